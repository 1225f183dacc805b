//! The Cedar entities built from the model's index on one day.

use std::collections::{HashMap, HashSet};

use cedar_policy::{Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};
use palisade_model::{
    Access, Day, EffectiveGrant, EnvId, Index, Phase, ResourceKind, RoleId, Sensitivity, Status,
    TeamKind,
};

use super::PolicyError;
use super::rules::need;

/// The entity type names of the schema, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct Types {
    pub vendor: EntityTypeName,
    pub team: EntityTypeName,
    pub environment: EntityTypeName,
    pub resource: EntityTypeName,
    pub permission: EntityTypeName,
    pub role: EntityTypeName,
    pub grant: EntityTypeName,
    pub person: EntityTypeName,
    pub cohort: EntityTypeName,
    pub action: EntityTypeName,
}

impl Types {
    pub(crate) fn new() -> Types {
        let t = |name: &str| {
            name.parse::<EntityTypeName>()
                .expect("the schema's type names are valid Cedar names")
        };
        Types {
            vendor: t("Vendor"),
            team: t("Team"),
            environment: t("Environment"),
            resource: t("Resource"),
            permission: t("Permission"),
            role: t("Role"),
            grant: t("Grant"),
            person: t("Person"),
            cohort: t("Cohort"),
            action: t("Action"),
        }
    }

    pub(crate) fn uid(ty: &EntityTypeName, id: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
    }
}

/// The cohorts of people the generated policies scope on, so that a
/// decision evaluates only the policies that can apply to its principal.
/// Bit `i` of a [`PersonFacts::cohorts`] mask is membership of `COHORTS[i]`.
pub(crate) const COHORTS: [&str; 6] = [
    "offboarded",
    "vendor",
    "vendor-not-own",
    "observe",
    "not-internal",
    "vetting-lapsed",
];

/// The bit of cohort `name` in a cohort mask.
pub(crate) fn cohort_bit(name: &str) -> Option<u8> {
    COHORTS.iter().position(|&c| c == name).map(|i| 1 << i)
}

/// The cohorts of a person with these attributes: each is exactly the
/// condition on the person's attributes that its name says, so that
/// `principal in Cohort::"vendor"` and `principal.team_kind == "vendor"`
/// agree for every person.
fn cohorts(team_kind: &str, phase: &str, active: bool, vetting_current: bool) -> u8 {
    let member = [
        !active,
        team_kind == "vendor",
        team_kind == "vendor" && phase != "own",
        phase == "observe",
        team_kind != "internal",
        !vetting_current,
    ];
    member
        .iter()
        .enumerate()
        .filter(|&(_, &m)| m)
        .fold(0, |mask, (i, _)| mask | 1 << i)
}

/// A person's entity before grants are added: their attributes, their
/// team, standing roles and cohorts, and their cohorts as a mask.
#[derive(Debug, Clone)]
pub(crate) struct PersonFacts {
    pub uid: EntityUid,
    pub attrs: HashMap<String, RestrictedExpression>,
    pub parents: HashSet<EntityUid>,
    pub cohorts: u8,
    /// The person's facts a rule may need ([`super::rules::need`]).
    pub facts: u16,
}

impl PersonFacts {
    pub(crate) fn entity(
        &self,
        grants: impl IntoIterator<Item = EntityUid>,
    ) -> Result<Entity, PolicyError> {
        let mut parents = self.parents.clone();
        parents.extend(grants);
        Entity::new(self.uid.clone(), self.attrs.clone(), parents)
            .map_err(|e| PolicyError::Entities(e.to_string()))
    }
}

/// A role's facts: what its `team_kinds`, `phases` and `approvals`
/// attributes leave out or ask for, whether it reaches production (its
/// `production`, or a production environment), and whether it has admin on
/// a critical environment without naming vendor.
fn role_facts(role: &palisade_model::Role, production: bool, critical_admin: bool) -> u16 {
    let mut facts = 0;
    if production {
        facts |= need::PRODUCTION;
    }
    if critical_admin {
        facts |= need::CRITICAL_ADMIN;
    }
    // Empty lists stand for every kind and phase, as in the attributes.
    let every_kind = [TeamKind::Internal, TeamKind::Vendor];
    if !role.team_kinds.is_empty() && !every_kind.iter().all(|k| role.team_kinds.contains(k)) {
        facts |= need::SOME_KINDS;
    }
    let every_phase = [Phase::Observe, Phase::CoDeliver, Phase::Own];
    if !role.phases.is_empty() && !every_phase.iter().all(|p| role.phases.contains(p)) {
        facts |= need::SOME_PHASES;
    }
    if role.approvals > 0 {
        facts |= need::APPROVALS;
    }
    facts
}

/// A person's facts: a team kind or phase outside every role's lists (no
/// team, or a vendor team without a phase) meets the needs those lists do.
fn person_facts(kind: &str, phase: &str) -> u16 {
    let mut facts = 0;
    if !matches!(kind, "internal" | "vendor") {
        facts |= need::SOME_KINDS;
    }
    if !matches!(phase, "observe" | "co-deliver" | "own") {
        facts |= need::SOME_PHASES;
    }
    facts
}

fn sensitivity_key(s: Sensitivity) -> &'static str {
    match s {
        Sensitivity::Low => "low",
        Sensitivity::Medium => "medium",
        Sensitivity::High => "high",
        Sensitivity::Critical => "critical",
    }
}

fn kind_key(k: TeamKind) -> &'static str {
    match k {
        TeamKind::Internal => "internal",
        TeamKind::Vendor => "vendor",
    }
}

fn resource_kind_key(k: ResourceKind) -> &'static str {
    match k {
        ResourceKind::SshHost => "ssh_host",
        ResourceKind::Database => "database",
        ResourceKind::Other => "other",
    }
}

/// The id of a resource entity: `environment/resource`.
pub(crate) fn resource_id(env: &str, resource: &str) -> String {
    format!("{env}/{resource}")
}

/// The id of a permission entity: `environment/resource/access`, or
/// `environment/access` for an environment without resources.
pub(crate) fn permission_id(env: &str, resource: Option<&str>, access: Access) -> String {
    match resource {
        Some(r) => format!("{env}/{r}/{}", access.key()),
        None => format!("{env}/{}", access.key()),
    }
}

fn s(v: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(v.to_owned())
}

fn set(uids: impl IntoIterator<Item = EntityUid>) -> RestrictedExpression {
    RestrictedExpression::new_set(uids.into_iter().map(RestrictedExpression::new_entity_uid))
}

fn strings<'a>(v: impl IntoIterator<Item = &'a str>) -> RestrictedExpression {
    RestrictedExpression::new_set(v.into_iter().map(s))
}

fn entity(
    uid: EntityUid,
    attrs: impl IntoIterator<Item = (&'static str, RestrictedExpression)>,
    parents: impl IntoIterator<Item = EntityUid>,
) -> Result<Entity, PolicyError> {
    Entity::new(
        uid,
        attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        parents.into_iter().collect(),
    )
    .map_err(|e| PolicyError::Entities(e.to_string()))
}

/// An environment's entity id as a context value, and the
/// permissions on it by resource and access level, so that a decision
/// finds them without building ids from strings.
#[derive(Debug, Clone)]
pub(crate) struct EnvFacts {
    pub value: RestrictedExpression,
    /// The permissions on the environment itself (one that lists no resources).
    bare: [Option<EntityUid>; 3],
    /// The permissions on each of its resources.
    resources: HashMap<String, [Option<EntityUid>; 3]>,
}

impl EnvFacts {
    fn new(uid: EntityUid) -> EnvFacts {
        EnvFacts {
            value: RestrictedExpression::new_entity_uid(uid),
            bare: Default::default(),
            resources: HashMap::new(),
        }
    }

    /// The permission entity for `access` on `resource` (or on the
    /// environment itself), if the model has one.
    pub(crate) fn permission(&self, resource: Option<&str>, access: Access) -> Option<&EntityUid> {
        let levels = match resource {
            None => &self.bare,
            Some(r) => self.resources.get(r)?,
        };
        levels[level(access)].as_ref()
    }
}

fn level(access: Access) -> usize {
    match access {
        Access::Read => 0,
        Access::Deploy => 1,
        Access::Admin => 2,
    }
}

/// What a request for a role needs of it: its entity id.
#[derive(Debug, Clone)]
pub(crate) struct RoleFacts {
    pub uid: EntityUid,
    /// The role's facts a rule may need ([`super::rules::need`]), from the
    /// same values as its attributes.
    pub facts: u16,
}

/// Every entity but people's, and people's and roles' facts.
pub(crate) struct Built {
    pub others: Vec<Entity>,
    pub roles: HashMap<String, RoleFacts>,
    pub people: HashMap<String, PersonFacts>,
    pub environments: HashMap<String, EnvFacts>,
}

pub(crate) fn build(
    index: &Index<'_>,
    day: Day,
    default_max_minutes: u32,
    types: &Types,
) -> Result<Built, PolicyError> {
    let model = index.model();
    let mut others = Vec::new();
    let env_uid = |e: EnvId| Types::uid(&types.environment, &index.environment(e).id);

    for v in &model.vendors {
        others.push(entity(Types::uid(&types.vendor, &v.id), [], [])?);
    }
    for c in COHORTS {
        others.push(entity(Types::uid(&types.cohort, c), [], [])?);
    }
    for t in &model.teams {
        let mut attrs = vec![
            ("kind", s(kind_key(t.kind))),
            (
                "phase",
                s(match t.kind {
                    TeamKind::Vendor => t.phase.map_or("none", Phase::key),
                    TeamKind::Internal => "none",
                }),
            ),
        ];
        if let Some(v) = &t.vendor {
            attrs.push((
                "vendor",
                RestrictedExpression::new_entity_uid(Types::uid(&types.vendor, v)),
            ));
        }
        others.push(entity(Types::uid(&types.team, &t.id), attrs, [])?);
    }
    for env in &model.environments {
        let uid = Types::uid(&types.environment, &env.id);
        others.push(entity(
            uid.clone(),
            [
                ("production", RestrictedExpression::new_bool(env.production)),
                ("sensitivity", s(sensitivity_key(env.sensitivity))),
            ],
            [],
        )?);
        for r in &env.resources {
            others.push(entity(
                Types::uid(&types.resource, &resource_id(&env.id, &r.id)),
                [
                    (
                        "environment",
                        RestrictedExpression::new_entity_uid(uid.clone()),
                    ),
                    ("kind", s(resource_kind_key(r.kind))),
                ],
                [uid.clone()],
            )?);
        }
    }

    // Permissions: every access level each resource offers (every level on
    // an environment without resources), and whatever a role reaches.
    let permission_uid = |g: &EffectiveGrant| {
        let env = &index.environment(g.env).id;
        let res = g.resource.map(|r| index.resource(r).id.as_str());
        Types::uid(&types.permission, &permission_id(env, res, g.access))
    };
    let mut environments: HashMap<String, EnvFacts> = HashMap::new();
    for env in &model.environments {
        environments
            .entry(env.id.clone())
            .or_insert_with(|| EnvFacts::new(Types::uid(&types.environment, &env.id)));
    }
    let mut seen = HashSet::new();
    let mut permission = |env: &str, res: Option<&str>, access: Access| {
        let uid = Types::uid(&types.permission, &permission_id(env, res, access));
        if let Some(facts) = environments.get_mut(env) {
            let levels = match res {
                None => &mut facts.bare,
                Some(r) => facts.resources.entry(r.to_owned()).or_default(),
            };
            levels[level(access)].get_or_insert_with(|| uid.clone());
        }
        if seen.insert(uid.clone()) {
            let env = Types::uid(&types.environment, env);
            Some(entity(
                uid,
                [
                    ("environment", RestrictedExpression::new_entity_uid(env)),
                    ("access", s(access.key())),
                ],
                [],
            ))
        } else {
            None
        }
    };
    const LEVELS: [Access; 3] = [Access::Read, Access::Deploy, Access::Admin];
    for env in &model.environments {
        if env.resources.is_empty() {
            for access in LEVELS {
                others.extend(permission(&env.id, None, access).transpose()?);
            }
        }
        for r in &env.resources {
            for &access in &r.access {
                others.extend(permission(&env.id, Some(&r.id), access).transpose()?);
            }
        }
    }
    let mut roles = HashMap::with_capacity(model.roles.len());
    let mut seen_roles: HashSet<RoleId> = HashSet::new();
    for role in &model.roles {
        let Some(id) = index.role_by_id(&role.id) else {
            continue;
        };
        for g in index.role_grants(id) {
            let env = &index.environment(g.env).id;
            let res = g.resource.map(|r| index.resource(r).id.as_str());
            others.extend(permission(env, res, g.access).transpose()?);
        }
    }

    for role in &model.roles {
        // A duplicate id (only in a model `check` rejects) keeps the first.
        let Some(id) = index.role_by_id(&role.id).filter(|&r| seen_roles.insert(r)) else {
            continue;
        };
        let grants = index.role_grants(id);
        let mut envs: Vec<EnvId> = grants.iter().map(|g| g.env).collect();
        envs.sort_unstable();
        envs.dedup();
        let production: Vec<EnvId> = envs
            .iter()
            .copied()
            .filter(|&e| index.environment(e).production)
            .collect();
        let mut critical_admin: Vec<EnvId> = grants
            .iter()
            .filter(|g| {
                g.access == Access::Admin
                    && index.environment(g.env).sensitivity == Sensitivity::Critical
            })
            .map(|g| g.env)
            .collect();
        critical_admin.dedup();
        let names_vendor = role.team_kinds.contains(&TeamKind::Vendor);
        let reaches_production = index.role_reach(id).any;
        roles.insert(
            role.id.clone(),
            RoleFacts {
                uid: Types::uid(&types.role, &role.id),
                facts: role_facts(
                    role,
                    reaches_production || !production.is_empty(),
                    !names_vendor && !critical_admin.is_empty(),
                ),
            },
        );
        let team_kinds: Vec<&str> = if role.team_kinds.is_empty() {
            vec!["internal", "vendor"]
        } else {
            role.team_kinds.iter().map(|&k| kind_key(k)).collect()
        };
        let phases: Vec<&str> = if role.phases.is_empty() {
            vec!["observe", "co-deliver", "own"]
        } else {
            role.phases.iter().map(|&p| p.key()).collect()
        };
        let max = role
            .max_duration
            .map_or(default_max_minutes, |d| d.minutes());
        others.push(entity(
            Types::uid(&types.role, &role.id),
            [
                (
                    "approvals",
                    RestrictedExpression::new_long(i64::from(role.approvals)),
                ),
                (
                    "max_minutes",
                    RestrictedExpression::new_long(i64::from(max)),
                ),
                ("team_kinds", strings(team_kinds)),
                ("phases", strings(phases)),
                ("names_vendor", RestrictedExpression::new_bool(names_vendor)),
                (
                    "production",
                    RestrictedExpression::new_bool(reaches_production),
                ),
                ("environments", set(envs.iter().map(|&e| env_uid(e)))),
                (
                    "production_environments",
                    set(production.iter().map(|&e| env_uid(e))),
                ),
                (
                    "critical_admin_environments",
                    set(critical_admin.iter().map(|&e| env_uid(e))),
                ),
            ],
            grants.iter().map(permission_uid),
        )?);
    }

    // Who may approve where: owners of the environment, and the owners and
    // backup owners of the services deployed to it.
    let mut approves: Vec<Vec<EnvId>> = vec![Vec::new(); model.people.len()];
    for e in &model.environments {
        let Some(env) = index.environment_by_id(&e.id) else {
            continue;
        };
        for &p in index.environment_owners(env) {
            approves[p.index()].push(env);
        }
    }
    for svc in &model.services {
        let Some(id) = index.service_by_id(&svc.id) else {
            continue;
        };
        for owner in std::iter::once(&svc.owner).chain(svc.backup_owner.as_ref()) {
            if let Some(p) = index.person_by_handle(owner) {
                approves[p.index()].extend(index.service_environments(id));
            }
        }
    }

    let mut people = HashMap::with_capacity(model.people.len());
    for person in &model.people {
        let Some(id) = index.person_by_handle(&person.handle) else {
            continue;
        };
        if people.contains_key(&person.handle) {
            continue;
        }
        let i = id.index();
        let team = index.team_of(id);
        let kind = team.map_or("none", |t| kind_key(index.team(t).kind));
        let phase = index.phase_of(id).map_or("none", Phase::key);
        let mut envs = std::mem::take(&mut approves[i]);
        envs.sort_unstable();
        envs.dedup();
        let active = person.status == Status::Active;
        let vetting_current = index.vetting(id, day).is_complete();
        let mut attrs: HashMap<String, RestrictedExpression> = [
            (
                "team",
                RestrictedExpression::new_entity_uid(Types::uid(&types.team, &person.team)),
            ),
            ("team_kind", s(kind)),
            ("phase", s(phase)),
            (
                "status",
                s(match person.status {
                    Status::Active => "active",
                    Status::Offboarded => "offboarded",
                }),
            ),
            ("active", RestrictedExpression::new_bool(active)),
            (
                "vetting_current",
                RestrictedExpression::new_bool(vetting_current),
            ),
            ("approves", set(envs.iter().map(|&e| env_uid(e)))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if let Some(v) = index.vendor_of(id) {
            attrs.insert(
                "vendor".to_owned(),
                RestrictedExpression::new_entity_uid(Types::uid(
                    &types.vendor,
                    &index.vendor(v).id,
                )),
            );
        }
        let mut parents: HashSet<EntityUid> = HashSet::new();
        parents.insert(Types::uid(&types.team, &person.team));
        for r in index.standing_roles(id) {
            parents.insert(Types::uid(&types.role, &index.role(r).id));
        }
        let mask = cohorts(kind, phase, active, vetting_current);
        for (i, c) in COHORTS.iter().enumerate() {
            if mask & 1 << i != 0 {
                parents.insert(Types::uid(&types.cohort, c));
            }
        }
        people.insert(
            person.handle.clone(),
            PersonFacts {
                uid: Types::uid(&types.person, &person.handle),
                attrs,
                parents,
                cohorts: mask,
                facts: person_facts(kind, phase),
            },
        );
    }
    Ok(Built {
        others,
        roles,
        people,
        environments,
    })
}
