//! What roles allow: each role's include closure, its effective grants and
//! its reach into production, computed once for every role.

use super::{EnvId, Index, PersonId, ResourceId, RoleId};
use crate::types::Access;

/// One thing a role allows: an access level on a resource of an
/// environment (or on the environment itself, when it lists no resources).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EffectiveGrant {
    /// The environment.
    pub env: EnvId,
    /// The resource, or `None` for an environment without resources.
    pub resource: Option<ResourceId>,
    /// The access level granted.
    pub access: Access,
}

/// What a set of grants reaches in production.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProductionReach {
    /// Some access to a production environment.
    pub any: bool,
    /// Admin access to a production environment.
    pub admin: bool,
}

impl ProductionReach {
    fn add(&mut self, other: ProductionReach) {
        self.any |= other.any;
        self.admin |= other.admin;
    }
}

#[derive(Debug, Default)]
pub(crate) struct RoleTable {
    /// Per role: itself and every role it includes, directly or not, each
    /// once, in the order they are reached.
    closure: Vec<Vec<RoleId>>,
    /// Per role: the grants of its closure, sorted, each once.
    grants: Vec<Vec<EffectiveGrant>>,
    reach: Vec<ProductionReach>,
}

impl RoleTable {
    pub(crate) fn build(index: &Index<'_>) -> RoleTable {
        let model = index.model;
        let n = model.roles.len();
        // The grants each role writes itself.
        let direct: Vec<Vec<EffectiveGrant>> = model
            .roles
            .iter()
            .map(|role| {
                let mut out = Vec::new();
                for g in &role.grants {
                    let Some(env) = index.environment_by_id(&g.environment) else {
                        continue;
                    };
                    let environment = index.environment(env);
                    if !g.resources.is_empty() {
                        out.extend(
                            g.resources
                                .iter()
                                .filter_map(|r| index.resource_by_id(env, r))
                                .map(|r| EffectiveGrant {
                                    env,
                                    resource: Some(r),
                                    access: g.access,
                                }),
                        );
                    } else if environment.resources.is_empty() {
                        out.push(EffectiveGrant {
                            env,
                            resource: None,
                            access: g.access,
                        });
                    } else {
                        // "All of them": every resource that offers this access.
                        for (j, r) in environment.resources.iter().enumerate() {
                            if r.access.contains(&g.access) {
                                out.push(EffectiveGrant {
                                    env,
                                    resource: Some(ResourceId {
                                        env,
                                        position: u32::try_from(j).unwrap_or(u32::MAX),
                                    }),
                                    access: g.access,
                                });
                            }
                        }
                    }
                }
                out
            })
            .collect();
        let includes: Vec<Vec<RoleId>> = model
            .roles
            .iter()
            .map(|r| {
                r.includes
                    .iter()
                    .filter_map(|i| index.role_by_id(i))
                    .collect()
            })
            .collect();

        let mut table = RoleTable {
            closure: Vec::with_capacity(n),
            grants: Vec::with_capacity(n),
            reach: Vec::with_capacity(n),
        };
        let mut seen = vec![false; n];
        for r in 0..n {
            // A breadth-first walk; `seen` keeps it finite on a cycle.
            let start = RoleId::at(r);
            let mut closure = vec![start];
            seen[r] = true;
            let mut i = 0;
            while i < closure.len() {
                for &inc in &includes[closure[i].index()] {
                    if !seen[inc.index()] {
                        seen[inc.index()] = true;
                        closure.push(inc);
                    }
                }
                i += 1;
            }
            for c in &closure {
                seen[c.index()] = false;
            }
            let mut grants: Vec<EffectiveGrant> = closure
                .iter()
                .flat_map(|c| direct[c.index()].iter().copied())
                .collect();
            grants.sort_unstable();
            grants.dedup();
            // Reach counts every grant on a production environment, even one
            // that names no resource there: what the role claims to allow.
            let mut reach = ProductionReach::default();
            for c in &closure {
                for g in &model.roles[c.index()].grants {
                    if index
                        .environment_by_id(&g.environment)
                        .is_some_and(|e| index.environment(e).production)
                    {
                        reach.any = true;
                        reach.admin |= g.access == Access::Admin;
                    }
                }
            }
            table.closure.push(closure);
            table.grants.push(grants);
            table.reach.push(reach);
        }
        table
    }
}

impl Index<'_> {
    /// A role and every role it includes, directly or through others, each
    /// once, the role itself first.
    pub fn role_closure(&self, role: RoleId) -> &[RoleId] {
        &self.roles.closure[role.index()]
    }

    /// Everything a role allows, through its own grants and its includes:
    /// sorted, each once. A grant of a whole environment is listed once
    /// for each of its resources that offers the access.
    pub fn role_grants(&self, role: RoleId) -> &[EffectiveGrant] {
        &self.roles.grants[role.index()]
    }

    /// What a role reaches in production, through its includes too.
    pub fn role_reach(&self, role: RoleId) -> ProductionReach {
        self.roles.reach[role.index()]
    }

    /// A person's standing roles that exist in the model.
    pub fn standing_roles(&self, person: PersonId) -> Vec<RoleId> {
        self.person(person)
            .roles
            .iter()
            .filter_map(|r| self.role_by_id(r))
            .collect()
    }

    /// Everything a person's standing roles allow: sorted, each once.
    pub fn standing_grants(&self, person: PersonId) -> Vec<EffectiveGrant> {
        let mut out: Vec<EffectiveGrant> = self
            .standing_roles(person)
            .into_iter()
            .flat_map(|r| self.role_grants(r).iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// What a person's standing roles reach in production.
    pub fn production_reach(&self, person: PersonId) -> ProductionReach {
        let mut reach = ProductionReach::default();
        for r in self.standing_roles(person) {
            reach.add(self.role_reach(r));
        }
        reach
    }
}
