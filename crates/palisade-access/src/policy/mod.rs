//! The Cedar schema, policies and entities generated from the model, and decisions.
//!
//! An [`Authorizer`] is built once from the model's [`Index`], the day and
//! the [`AccessSettings`]: it holds the generated [schema](Authorizer::schema_text),
//! the generated [policies](Authorizer::policies_text) (plus the
//! organisation's own, validated against the schema when they are added),
//! and the entities. Each [`Authorizer::decide`] then only builds a small
//! request and evaluates it.
//!
//! What a role allows, who may hold it, for how long and with how many
//! approvals are attributes of entities, not policy text; so are grants:
//! [`Authorizer::with_grants`] and [`Authorizer::revoke_grant`] change data,
//! never policies.
//!
//! Every decision names the policies that made it, with their `@reason`
//! annotations. A policy that fails to evaluate denies: the decision lists it
//! under [`Decision::problems`].

mod entities;
mod org;
mod rules;

use std::collections::{HashMap, HashSet};

use cedar_policy::{
    Context, Entities, Entity, EntityTypeName, EntityUid, PolicyId, PolicySet, PrincipalConstraint,
    RestrictedExpression, Schema, ValidationMode, Validator,
};
use palisade_model::{Access, Day, GrantDuration, Index};

use entities::{EnvFacts, PersonFacts, RoleFacts, Types};
pub use org::OrgPolicyProblem;

/// Settings of access decisions that come from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessSettings {
    /// The longest grant of a role that sets no `max_duration`.
    pub default_max_duration: GrantDuration,
}

impl AccessSettings {
    /// The settings the model's `[access]` section gives.
    pub fn from_model(model: &palisade_model::Model) -> AccessSettings {
        AccessSettings {
            default_max_duration: model.access.max_duration,
        }
    }
}

impl Default for AccessSettings {
    fn default() -> Self {
        AccessSettings {
            default_max_duration: GrantDuration::from_minutes(8 * 60),
        }
    }
}

/// Why an authoriser could not be built or changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The generated schema did not parse (a bug in Palisade).
    #[error("the generated Cedar schema does not parse: {0}")]
    Schema(String),
    /// The generated policies did not parse or validate (a bug in Palisade).
    #[error("the generated Cedar policies are invalid: {0}")]
    Generated(String),
    /// The entities built from the model do not fit the schema.
    #[error("the Cedar entities built from the model do not fit the schema: {0}")]
    Entities(String),
    /// The organisation's policy file does not parse or does not validate
    /// against the schema.
    #[error("{file}: {} problem(s) in the organisation's Cedar policies; the first: {}", problems.len(), problems.first().map_or(String::new(), ToString::to_string))]
    OrgPolicies {
        /// The file, as the caller named it.
        file: String,
        /// Each problem, in source order.
        problems: Vec<OrgPolicyProblem>,
    },
    /// A grant names a person or role the model does not have.
    #[error("grant `{grant}` names {what} `{name}`, which the model does not have")]
    UnknownInGrant {
        /// The grant id.
        grant: String,
        /// `person` or `role`.
        what: &'static str,
        /// The unknown name.
        name: String,
    },
}

/// The facts of a request for a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFacts<'q> {
    /// Who asks (a handle).
    pub requester: &'q str,
    /// The role asked for (a role id).
    pub role: &'q str,
    /// The environment the request narrows the role to, if any.
    pub environment: Option<&'q str>,
    /// How long the grant would last, in minutes.
    pub minutes: u32,
}

/// A question put to the authoriser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessQuestion<'q> {
    /// May the requester ask for this grant?
    Request(RequestFacts<'q>),
    /// May `approver` approve this request?
    Approve {
        /// Who approves (a handle).
        approver: &'q str,
        /// The request.
        request: RequestFacts<'q>,
    },
    /// May this grant start, with approvals from these people? Each approval
    /// counts once, and only if its approver may approve the request.
    Activate {
        /// The request.
        request: RequestFacts<'q>,
        /// The approvers so far (handles).
        approvers: &'q [&'q str],
    },
    /// May `person` use `access` on a resource (or an environment that lists none)?
    Use {
        /// Who (a handle).
        person: &'q str,
        /// The environment.
        environment: &'q str,
        /// The resource, or `None` for an environment without resources.
        resource: Option<&'q str>,
        /// The access level.
        access: Access,
    },
}

/// Where a policy comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyOrigin {
    /// Generated from the model.
    Generated,
    /// The organisation's own policy file.
    Organisation,
}

/// Whether a policy permits or forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// It permits.
    Permit,
    /// It forbids.
    Forbid,
}

/// A policy that took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecidingPolicy {
    /// Its policy id (`@id`; organisation policies are prefixed `org/`).
    pub id: String,
    /// Whether it permits or forbids.
    pub effect: Effect,
    /// Its `@reason` annotation (empty when it has none).
    pub reason: String,
    /// Where it comes from.
    pub origin: PolicyOrigin,
}

/// One approval of a request being activated, and whether it counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalCheck {
    /// The approver (a handle, as given).
    pub approver: String,
    /// The decision on their approving the request.
    pub decision: Decision,
}

/// The answer to an [`AccessQuestion`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    /// Whether it is allowed.
    pub allowed: bool,
    /// Allowed: the permits that allowed it. Denied: the forbids that
    /// denied it; empty when nothing permitted it (Cedar denies by default).
    pub policies: Vec<DecidingPolicy>,
    /// What else denied it: a name the model does not have, a policy that
    /// failed to evaluate, a repeated approver.
    pub problems: Vec<String>,
    /// For [`AccessQuestion::Activate`]: each approval and whether it counted.
    pub approvals: Vec<ApprovalCheck>,
}

impl Decision {
    fn refused(problem: String) -> Decision {
        Decision {
            problems: vec![problem],
            ..Decision::default()
        }
    }
}

/// A grant that is active now: its holder is a member of it, and it of its
/// role, so what the role allows the holder may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveGrant {
    /// The grant id.
    pub id: String,
    /// The holder (a handle).
    pub person: String,
    /// The role (a role id).
    pub role: String,
}

/// Access decisions by Cedar over the model on one day. See the module documentation.
#[derive(Debug)]
pub struct Authorizer {
    schema: Schema,
    schema_text: String,
    generated_text: String,
    org_text: Option<String>,
    policies: PolicySet,
    info: HashMap<PolicyId, DecidingPolicy>,
    order: Vec<PolicyId>,
    /// The facts each generated rule needs ([`rules::need`]).
    needs: HashMap<PolicyId, u16>,
    entities: Entities,
    types: Types,
    people: HashMap<String, PersonFacts>,
    who: Who,
    roles: HashMap<String, RoleFacts>,
    environments: HashMap<String, EnvFacts>,
    grants: HashMap<String, ActiveGrant>,
    actions: Actions,
}

/// The four actions of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Request,
    Approve,
    Activate,
    Use,
}

impl Act {
    const ALL: [Act; 4] = [Act::Request, Act::Approve, Act::Activate, Act::Use];

    fn name(self) -> &'static str {
        match self {
            Act::Request => "request",
            Act::Approve => "approve",
            Act::Activate => "activate",
            Act::Use => "use",
        }
    }
}

/// Each action's entity id, and the policies in force sliced by what a
/// question can meet: a decision evaluates only the policies whose action
/// scope admits its action, whose principal scope, when it names a
/// [cohort](entities::COHORTS), admits its principal, and, for generated
/// rules, whose [needs](rules::need) its facts meet. Slicing changes no
/// decision: a policy left out has a scope that is false for the question,
/// or a condition that is provably false for it, so Cedar would find it not
/// satisfied, without error. Each policy in a slice is the policy in force
/// under the same id, with its action scope dropped (it holds within the
/// slice), so Cedar no longer builds the scope's set of actions on every
/// evaluation.
#[derive(Debug)]
struct Actions {
    uids: [EntityUid; 4],
    /// Every policy of each action.
    all: [PolicySet; 4],
    /// Indexed by [`Actions::slot`] (cohort mask, action, facts): an index
    /// into `sets`, or `NONE` for a mask nobody has.
    table: Vec<u16>,
    /// The distinct slices.
    sets: Vec<PolicySet>,
}

const NONE: u16 = u16::MAX;

impl Actions {
    fn new(types: &Types) -> Actions {
        Actions {
            uids: Act::ALL.map(|a| Types::uid(&types.action, a.name())),
            all: Default::default(),
            table: Vec::new(),
            sets: Vec::new(),
        }
    }

    fn uid(&self, act: Act) -> &EntityUid {
        &self.uids[act as usize]
    }

    /// Where the slice of a cohort mask, action and facts is in `table`.
    fn slot(cohorts: u8, act: Act, facts: u16) -> usize {
        ((usize::from(cohorts) * Act::ALL.len() + act as usize) << 8)
            | usize::from(facts & rules::need::ALL)
    }

    fn policies(&self, act: Act, cohorts: u8, facts: u16) -> &PolicySet {
        match self.table.get(Self::slot(cohorts, act, facts)) {
            Some(&i) if i != NONE => &self.sets[usize::from(i)],
            _ => &self.all[act as usize],
        }
    }

    /// Splits `policies` by action, then by each of `masks`, then by the
    /// facts each generated rule needs (`needs`; others need none).
    fn split(
        &mut self,
        policies: &PolicySet,
        entities: &Entities,
        cohort: &EntityTypeName,
        masks: impl IntoIterator<Item = u8>,
        needs: &HashMap<PolicyId, u16>,
    ) -> Result<(), String> {
        for act in Act::ALL {
            self.all[act as usize] = for_action(policies, self.uid(act), entities)?;
        }
        let masks: HashSet<u8> = masks.into_iter().collect();
        self.table = vec![NONE; Self::slot(u8::MAX >> 2, Act::Use, rules::need::ALL) + 1];
        self.sets = Vec::new();
        let mut known: HashMap<Vec<PolicyId>, u16> = HashMap::new();
        for &mask in &masks {
            if usize::from(mask) >= 1 << entities::COHORTS.len() {
                continue;
            }
            for act in Act::ALL {
                let slice = for_cohorts(&self.all[act as usize], mask, cohort)?;
                let each: Vec<(&cedar_policy::Policy, u16)> = slice
                    .policies()
                    .map(|p| (p, needs.get(p.id()).copied().unwrap_or(0)))
                    .collect();
                for facts in 0..=rules::need::ALL {
                    let kept: Vec<&cedar_policy::Policy> = each
                        .iter()
                        .filter(|(_, n)| n & !facts == 0)
                        .map(|&(p, _)| p)
                        .collect();
                    let mut ids: Vec<PolicyId> = kept.iter().map(|p| p.id().clone()).collect();
                    ids.sort();
                    let i = match known.get(&ids) {
                        Some(&i) => i,
                        None => {
                            let i = u16::try_from(self.sets.len())
                                .ok()
                                .filter(|&i| i != NONE)
                                .ok_or("too many distinct policy slices")?;
                            let mut set = PolicySet::new();
                            for p in kept {
                                set.add(p.clone()).map_err(|e| e.to_string())?;
                            }
                            self.sets.push(set);
                            known.insert(ids, i);
                            i
                        }
                    };
                    self.table[Self::slot(mask, act, facts)] = i;
                }
            }
        }
        Ok(())
    }
}

/// The policies of `policies` whose principal scope admits a principal in
/// exactly the cohorts of `mask`: every policy but those scoped to a person
/// in a cohort (`principal in Cohort::"…"`, or `is Person in`) the mask
/// leaves out. A person is never equal to a cohort, so such a scope is
/// false for everyone outside it. A cohort scope kept is true for every
/// principal the slice serves (a person is a member of exactly the cohorts
/// of their mask), so it is dropped (`is Person in` keeps `is Person`),
/// and Cedar no longer looks up the principal's ancestors for it.
fn for_cohorts(
    policies: &PolicySet,
    mask: u8,
    cohort: &EntityTypeName,
) -> Result<PolicySet, String> {
    let mut out = PolicySet::new();
    for p in policies.policies() {
        let policy = match p.principal_constraint() {
            PrincipalConstraint::In(g) | PrincipalConstraint::IsIn(_, g)
                if g.type_name() == cohort =>
            {
                let admits =
                    entities::cohort_bit(g.id().unescaped()).is_some_and(|bit| mask & bit != 0);
                if !admits {
                    continue;
                }
                let mut json = p
                    .to_json()
                    .map_err(|e| format!("policy `{}`: {e}", p.id()))?;
                match json["principal"]["op"].as_str() {
                    Some("in") => json["principal"] = serde_json::json!({"op": "All"}),
                    _ => {
                        if let Some(scope) = json["principal"].as_object_mut() {
                            scope.remove("in");
                        }
                    }
                }
                cedar_policy::Policy::from_json(Some(p.id().clone()), json)
                    .map_err(|e| format!("policy `{}`: {e}", p.id()))?
            }
            _ => p.clone(),
        };
        out.add(policy).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The policies of `policies` whose action scope admits `action` (itself,
/// or an action group it is in), each with that scope dropped.
fn for_action(
    policies: &PolicySet,
    action: &EntityUid,
    entities: &Entities,
) -> Result<PolicySet, String> {
    let admits = |a: &EntityUid| a == action || entities.is_ancestor_of(a, action);
    let mut out = PolicySet::new();
    for p in policies.policies() {
        let applies = match p.action_constraint() {
            cedar_policy::ActionConstraint::Any => true,
            cedar_policy::ActionConstraint::Eq(a) => a == *action,
            cedar_policy::ActionConstraint::In(list) => list.iter().any(admits),
        };
        if !applies {
            continue;
        }
        let mut json = p
            .to_json()
            .map_err(|e| format!("policy `{}`: {e}", p.id()))?;
        json["action"] = serde_json::json!({"op": "All"});
        let scoped = cedar_policy::Policy::from_json(Some(p.id().clone()), json)
            .map_err(|e| format!("policy `{}`: {e}", p.id()))?;
        out.add(scoped).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

impl Authorizer {
    /// Builds the schema, the policies and the entities of `index` on `day`.
    pub fn new(
        index: &Index<'_>,
        day: Day,
        settings: &AccessSettings,
    ) -> Result<Authorizer, PolicyError> {
        let (schema, warnings) = Schema::from_cedarschema_str(rules::SCHEMA)
            .map_err(|e| PolicyError::Schema(e.to_string()))?;
        drop(warnings.collect::<Vec<_>>());
        let default_max = settings.default_max_duration.minutes();
        let rules::Generated {
            text: generated_text,
            needs: rule_needs,
        } = rules::policies(index.model(), default_max);
        let parsed: PolicySet = generated_text
            .parse()
            .map_err(|e: cedar_policy::ParseErrors| PolicyError::Generated(e.to_string()))?;
        let mut policies = PolicySet::new();
        let mut info = HashMap::new();
        let mut order = Vec::new();
        let mut needs = HashMap::new();
        let mut generated: Vec<&cedar_policy::Policy> = parsed.policies().collect();
        // Cedar numbers them `policy0`, `policy1`, … in source order.
        generated.sort_by_key(|p| {
            p.id()
                .to_string()
                .strip_prefix("policy")
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(usize::MAX)
        });
        for p in generated {
            let id = p.annotation("id").unwrap_or_default().to_owned();
            let policy = p.new_id(PolicyId::new(&id));
            info.insert(
                policy.id().clone(),
                DecidingPolicy {
                    id,
                    effect: effect(&policy),
                    reason: policy.annotation("reason").unwrap_or_default().to_owned(),
                    origin: PolicyOrigin::Generated,
                },
            );
            order.push(policy.id().clone());
            if let Some(&(_, n)) = rule_needs
                .iter()
                .find(|(rule, _)| policy.id().to_string() == *rule)
            {
                needs.insert(policy.id().clone(), n);
            }
            policies
                .add(policy)
                .map_err(|e| PolicyError::Generated(e.to_string()))?;
        }
        let result = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !result.validation_passed() {
            let errors: Vec<String> = result.validation_errors().map(|e| e.to_string()).collect();
            return Err(PolicyError::Generated(errors.join("; ")));
        }

        let types = Types::new();
        let built = entities::build(index, day, default_max, &types)?;
        let actions = Actions::new(&types);
        let mut authorizer = Authorizer {
            schema,
            schema_text: rules::SCHEMA.to_owned(),
            generated_text,
            org_text: None,
            policies,
            info,
            order,
            needs,
            entities: Entities::empty(),
            types,
            who: Who::new(&built.people),
            people: built.people,
            roles: built.roles,
            environments: built.environments,
            grants: HashMap::new(),
            actions,
        };
        authorizer.entities = authorizer.assemble(built.others)?;
        authorizer.split().map_err(PolicyError::Generated)?;
        Ok(authorizer)
    }

    /// Slices the policies in force for decisions.
    fn split(&mut self) -> Result<(), String> {
        let masks = self.people.values().map(|p| p.cohorts);
        self.actions.split(
            &self.policies,
            &self.entities,
            &self.types.cohort,
            masks,
            &self.needs,
        )
    }

    /// Every entity: the model's, people's with their grants, and the
    /// schema's actions; checked against the schema.
    fn assemble(&self, others: Vec<Entity>) -> Result<Entities, PolicyError> {
        let mut by_person: HashMap<&str, Vec<EntityUid>> = HashMap::new();
        let mut grants = Vec::with_capacity(self.grants.len());
        for g in self.grants.values() {
            let uid = Types::uid(&self.types.grant, &g.id);
            by_person.entry(&g.person).or_default().push(uid.clone());
            grants.push(Entity::new_no_attrs(
                uid,
                HashSet::from([Types::uid(&self.types.role, &g.role)]),
            ));
        }
        let mut all = others;
        all.extend(grants);
        for (handle, facts) in &self.people {
            let extra = by_person.remove(handle.as_str()).unwrap_or_default();
            all.push(facts.entity(extra)?);
        }
        // A model `check` rejects may repeat an id; the first entity wins.
        let mut seen = HashSet::with_capacity(all.len());
        all.retain(|e| seen.insert(e.uid()));
        let actions = self
            .schema
            .action_entities()
            .map_err(|e| PolicyError::Entities(e.to_string()))?;
        all.extend(actions.iter().cloned());
        Entities::from_entities(all, Some(&self.schema))
            .map_err(|e| PolicyError::Entities(e.to_string()))
    }

    fn rebuild(&mut self) -> Result<(), PolicyError> {
        let keep: Vec<Entity> = self
            .entities
            .iter()
            .filter(|e| {
                let t = e.uid().type_name().clone();
                t != self.types.person && t != self.types.grant && t != self.types.action
            })
            .cloned()
            .collect();
        self.entities = self.assemble(keep)?;
        Ok(())
    }

    /// Adds the organisation's own Cedar policies from `text` (the file
    /// `file`, for messages), validated strictly against the schema. Each
    /// policy's id is `org/` and its `@id` annotation (else its position,
    /// `org/policy0`, …).
    pub fn with_org_policies(mut self, file: &str, text: &str) -> Result<Self, PolicyError> {
        let loaded = org::load(file, text, &self.schema)?;
        for (policy, meta) in loaded {
            self.info.insert(policy.id().clone(), meta);
            self.order.push(policy.id().clone());
            self.policies
                .add(policy)
                .map_err(|e| PolicyError::OrgPolicies {
                    file: file.to_owned(),
                    problems: vec![OrgPolicyProblem::unlocated(e.to_string())],
                })?;
        }
        self.split().map_err(|e| PolicyError::OrgPolicies {
            file: file.to_owned(),
            problems: vec![OrgPolicyProblem::unlocated(e)],
        })?;
        self.org_text = Some(text.to_owned());
        Ok(self)
    }

    /// Makes `grants` the active grants (replacing any before), so their
    /// holders may use what their roles allow.
    pub fn with_grants(mut self, grants: &[ActiveGrant]) -> Result<Self, PolicyError> {
        self.grants.clear();
        for g in grants {
            self.check_grant(g)?;
            self.grants.insert(g.id.clone(), g.clone());
        }
        self.rebuild()?;
        Ok(self)
    }

    /// Removes an active grant: a data change. Whether there was one.
    pub fn revoke_grant(&mut self, id: &str) -> Result<bool, PolicyError> {
        if self.grants.remove(id).is_none() {
            return Ok(false);
        }
        self.rebuild()?;
        Ok(true)
    }

    fn check_grant(&self, g: &ActiveGrant) -> Result<(), PolicyError> {
        if !self.people.contains_key(&g.person) {
            return Err(PolicyError::UnknownInGrant {
                grant: g.id.clone(),
                what: "person",
                name: g.person.clone(),
            });
        }
        if self
            .entities
            .get(&Types::uid(&self.types.role, &g.role))
            .is_none()
        {
            return Err(PolicyError::UnknownInGrant {
                grant: g.id.clone(),
                what: "role",
                name: g.role.clone(),
            });
        }
        Ok(())
    }

    /// The Cedar schema, in Cedar's schema syntax.
    pub fn schema_text(&self) -> &str {
        &self.schema_text
    }

    /// The Cedar schema in Cedar's JSON schema format.
    pub fn schema_json(&self) -> Result<serde_json::Value, PolicyError> {
        let (fragment, _) = cedar_policy::SchemaFragment::from_cedarschema_str(&self.schema_text)
            .map_err(|e| PolicyError::Schema(e.to_string()))?;
        fragment
            .to_json_value()
            .map_err(|e| PolicyError::Schema(e.to_string()))
    }

    /// The generated policies, in Cedar's policy syntax.
    pub fn policies_text(&self) -> &str {
        &self.generated_text
    }

    /// The organisation's policies, as added.
    pub fn org_policies_text(&self) -> Option<&str> {
        self.org_text.as_deref()
    }

    /// Every policy in force (generated, then the organisation's, each in
    /// source order): its policy id and its Cedar text, which carries the
    /// policy id as `@id`. Joined, the texts are a policy file other Cedar
    /// tools read; they number its policies in this order.
    pub fn policy_texts(&self) -> Vec<(String, String)> {
        let mut out = Vec::with_capacity(self.order.len());
        for id in &self.order {
            let Some(p) = self.policies.policy(id) else {
                continue;
            };
            let id = id.to_string();
            let text = p.to_string();
            if p.annotation("id") == Some(id.as_str()) {
                out.push((id, text));
            } else {
                // Renamed (organisation policies): carry the policy id as `@id`.
                let body: Vec<&str> = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("@id("))
                    .collect();
                let text = format!("@id(\"{id}\")\n{}", body.join("\n"));
                out.push((id, text));
            }
        }
        out
    }

    /// Every policy in force, by id.
    pub fn policies(&self) -> impl Iterator<Item = &DecidingPolicy> {
        self.order.iter().filter_map(|id| self.info.get(id))
    }

    /// The entities in Cedar's JSON entity format.
    pub fn entities_json(&self) -> Result<serde_json::Value, PolicyError> {
        self.entities
            .to_json_value()
            .map_err(|e| PolicyError::Entities(e.to_string()))
    }

    /// The Cedar request a question becomes, in the JSON form Cedar's tools
    /// take (`principal`, `action`, `resource` as `{type, id}`, `context`),
    /// or why it becomes none. For [`AccessQuestion::Activate`], the
    /// context's `approvals` counts the approvals that are valid.
    pub fn request_json(&self, q: &AccessQuestion<'_>) -> Result<serde_json::Value, String> {
        let parts = match q {
            AccessQuestion::Activate { request, approvers } => {
                let (count, _) = self.count_approvals(request, approvers);
                self.request_parts(Act::Activate, request.requester, request, count)?
            }
            _ => self.parts(q)?,
        };
        let uid = |u: &EntityUid| serde_json::json!({"type": u.type_name().to_string(), "id": u.id().unescaped()});
        let context = match parts.context {
            None => serde_json::json!({}),
            Some(c) => c
                .to_json_value()
                .map_err(|e| format!("the context does not convert to JSON: {e}"))?,
        };
        Ok(serde_json::json!({
            "principal": uid(&parts.principal),
            "action": uid(self.actions.uid(parts.act)),
            "resource": uid(&parts.resource),
            "context": context,
        }))
    }

    /// Decides a question. Never fails: whatever cannot be decided is denied,
    /// with the reason in [`Decision::problems`].
    pub fn decide(&self, q: &AccessQuestion<'_>) -> Decision {
        match q {
            AccessQuestion::Activate { request, approvers } => {
                let (count, approvals) = self.count_approvals(request, approvers);
                let mut d =
                    match self.request_parts(Act::Activate, request.requester, request, count) {
                        Ok(parts) => self.evaluate(parts),
                        Err(problem) => Decision::refused(problem),
                    };
                d.approvals = approvals;
                d
            }
            _ => match self.parts(q) {
                Ok(parts) => self.evaluate(parts),
                Err(problem) => Decision::refused(problem),
            },
        }
    }

    /// The approvals that count: each approver once, and only one allowed
    /// to approve the request.
    fn count_approvals(
        &self,
        request: &RequestFacts<'_>,
        approvers: &[&str],
    ) -> (u32, Vec<ApprovalCheck>) {
        let mut seen = HashSet::new();
        let mut count = 0u32;
        let mut checks = Vec::with_capacity(approvers.len());
        for &approver in approvers {
            let decision = if seen.insert(approver) {
                self.decide(&AccessQuestion::Approve {
                    approver,
                    request: *request,
                })
            } else {
                Decision::refused(format!("`{approver}` approved more than once"))
            };
            if decision.allowed {
                count = count.saturating_add(1);
            }
            checks.push(ApprovalCheck {
                approver: approver.to_owned(),
                decision,
            });
        }
        (count, checks)
    }

    fn parts(&self, q: &AccessQuestion<'_>) -> Result<Parts, String> {
        match q {
            AccessQuestion::Request(r) => self.request_parts(Act::Request, r.requester, r, 0),
            AccessQuestion::Approve { approver, request } => {
                self.request_parts(Act::Approve, approver, request, 0)
            }
            AccessQuestion::Activate { request, .. } => {
                self.request_parts(Act::Activate, request.requester, request, 0)
            }
            AccessQuestion::Use {
                person,
                environment,
                resource,
                access,
            } => {
                let person = self.person(person)?;
                let permission = self
                    .environments
                    .get(*environment)
                    .and_then(|e| e.permission(*resource, *access));
                let Some(permission) = permission else {
                    return Err(match resource {
                        Some(r) => format!(
                            "the model has no resource `{r}` offering {} in environment `{environment}`",
                            access.key()
                        ),
                        None => format!(
                            "the model has no environment `{environment}` without resources"
                        ),
                    });
                };
                Ok(Parts {
                    principal: person.uid.clone(),
                    cohorts: person.cohorts,
                    facts: rules::need::ALL,
                    act: Act::Use,
                    resource: permission.clone(),
                    context: None,
                })
            }
        }
    }

    /// A person's facts: entity id, cohorts, context value.
    fn person(&self, handle: &str) -> Result<&Hot, String> {
        self.who
            .get(handle)
            .ok_or_else(|| format!("the model has nobody with handle `{handle}`"))
    }

    fn request_parts(
        &self,
        action: Act,
        principal: &str,
        r: &RequestFacts<'_>,
        approvals: u32,
    ) -> Result<Parts, String> {
        let person = self.person(principal)?;
        let requester = if r.requester == principal {
            person
        } else {
            self.person(r.requester)?
        };
        let Some(role) = self.roles.get(r.role) else {
            return Err(format!("the model has no role `{}`", r.role));
        };
        let environment = match r.environment {
            Some(env) => match self.environments.get(env) {
                Some(facts) => Some(("environment".to_owned(), facts.value.clone())),
                None => return Err(format!("the model has no environment `{env}`")),
            },
            None => None,
        };
        // In key order, and without a vector: Cedar sorts the pairs into a
        // record, on every decision.
        let pairs = [(
            "approvals".to_owned(),
            RestrictedExpression::new_long(i64::from(approvals)),
        )]
        .into_iter()
        .chain(environment)
        .chain([
            (
                "minutes".to_owned(),
                RestrictedExpression::new_long(i64::from(r.minutes)),
            ),
            ("requester".to_owned(), requester.value.clone()),
        ]);
        let context = Context::from_pairs(pairs).map_err(|e| e.to_string())?;
        let mut facts = role.facts | person.facts;
        if r.environment.is_some() {
            facts |= rules::need::ENVIRONMENT;
        }
        // Cedar compares entity ids, and a handle is its person's id.
        facts |= if r.requester == principal {
            rules::need::SELF
        } else {
            rules::need::OTHER
        };
        Ok(Parts {
            principal: person.uid.clone(),
            cohorts: person.cohorts,
            facts,
            act: action,
            resource: role.uid.clone(),
            context: Some(context),
        })
    }

    fn evaluate(&self, parts: Parts) -> Decision {
        let policies = self.actions.policies(parts.act, parts.cohorts, parts.facts);
        self.evaluate_in(parts, policies)
    }

    fn evaluate_in(&self, parts: Parts, policies: &PolicySet) -> Decision {
        // Not checked against the schema (`None`): the request is built here
        // from the model's own entities, in one shape per action, and the
        // policy tests check every request the example's questions become
        // (`tests/policy/requests.rs`), so a check per decision would cost
        // time and find nothing.
        let request = match cedar_policy::Request::new(
            parts.principal,
            self.actions.uid(parts.act).clone(),
            parts.resource,
            parts.context.unwrap_or_else(Context::empty),
            None,
        ) {
            Ok(r) => r,
            Err(e) => return Decision::refused(e.to_string()),
        };
        let response =
            cedar_policy::Authorizer::new().is_authorized(&request, policies, &self.entities);
        let diagnostics = response.diagnostics();
        let mut policies: Vec<DecidingPolicy> = diagnostics
            .reason()
            .filter_map(|id| self.info.get(id).cloned())
            .collect();
        policies.sort_by(|a, b| a.id.cmp(&b.id));
        let problems: Vec<String> = diagnostics.errors().map(|e| e.to_string()).collect();
        // A policy that fails to evaluate might have forbidden it: deny.
        let allowed = response.decision() == cedar_policy::Decision::Allow && problems.is_empty();
        Decision {
            allowed,
            policies: if allowed || response.decision() == cedar_policy::Decision::Deny {
                policies
            } else {
                Vec::new()
            },
            problems,
            approvals: Vec::new(),
        }
    }
}

/// What a decision needs of a person, found by handle. Every decision looks
/// up one or two people among thousands; a handle of up to 15 bytes is its
/// own key, held in the table with its length, so a lookup compares it
/// there rather than following a pointer to a string elsewhere in memory.
#[derive(Debug)]
struct Who {
    short: HashMap<[u8; 16], usize>,
    long: HashMap<String, usize>,
    hot: Vec<Hot>,
}

/// A person's entity id, as itself and as a context value, and cohorts.
#[derive(Debug)]
struct Hot {
    uid: EntityUid,
    value: RestrictedExpression,
    cohorts: u8,
    facts: u16,
}

impl Who {
    fn new(people: &HashMap<String, PersonFacts>) -> Who {
        let mut who = Who {
            short: HashMap::with_capacity(people.len()),
            long: HashMap::new(),
            hot: Vec::with_capacity(people.len()),
        };
        for (handle, facts) in people {
            let i = who.hot.len();
            who.hot.push(Hot {
                uid: facts.uid.clone(),
                value: RestrictedExpression::new_entity_uid(facts.uid.clone()),
                cohorts: facts.cohorts,
                facts: facts.facts,
            });
            match short_key(handle) {
                Some(key) => who.short.insert(key, i),
                None => who.long.insert(handle.clone(), i),
            };
        }
        who
    }

    fn get(&self, handle: &str) -> Option<&Hot> {
        let i = match short_key(handle) {
            Some(key) => self.short.get(&key),
            None => self.long.get(handle),
        };
        i.map(|&i| &self.hot[i])
    }
}

/// A handle of up to 15 bytes as a key: its bytes, zero-padded, and its
/// length in the last byte, so no two handles share a key.
fn short_key(handle: &str) -> Option<[u8; 16]> {
    let bytes = handle.as_bytes();
    let len = u8::try_from(bytes.len()).ok().filter(|&n| n < 16)?;
    let mut key = [0u8; 16];
    key[..bytes.len()].copy_from_slice(bytes);
    key[15] = len;
    Some(key)
}

/// A question as Cedar's request, and the cohorts of its principal.
struct Parts {
    principal: EntityUid,
    cohorts: u8,
    /// What the question meets of the rules' needs ([`rules::need`]).
    facts: u16,
    act: Act,
    resource: EntityUid,
    context: Option<Context>,
}

fn effect(p: &cedar_policy::Policy) -> Effect {
    match p.effect() {
        cedar_policy::Effect::Permit => Effect::Permit,
        cedar_policy::Effect::Forbid => Effect::Forbid,
    }
}

#[cfg(test)]
mod tests {
    use palisade_model::{Access, GrantDuration, Phase, Role, RoleGrant, TeamKind};

    use super::*;

    /// The example, with roles in every combination of what the rules' needs
    /// read (team kinds, phases, approvals, production, critical admin) and
    /// a vendor team that has no phase.
    fn model() -> palisade_model::Model {
        let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
        let text = std::fs::read_to_string(path).expect("the example");
        let mut model = palisade_model::parse(&text).expect("the example parses");
        if let Some(team) = model.teams.iter_mut().find(|t| t.kind == TeamKind::Vendor) {
            team.phase = None;
        }
        let kinds = [
            vec![],
            vec![TeamKind::Internal],
            vec![TeamKind::Vendor],
            vec![TeamKind::Internal, TeamKind::Vendor],
        ];
        let phases = [
            vec![],
            vec![Phase::Own],
            vec![Phase::Observe, Phase::CoDeliver, Phase::Own],
        ];
        let grants = [
            ("dev", Access::Deploy),
            ("prod", Access::Read),
            ("prod", Access::Admin),
        ];
        let mut n = 0;
        for team_kinds in &kinds {
            for phases in &phases {
                for (env, access) in grants {
                    n += 1;
                    model.roles.push(Role {
                        id: format!("combo-{n:02}"),
                        description: String::new(),
                        grants: vec![RoleGrant {
                            environment: env.into(),
                            resources: vec![],
                            access,
                        }],
                        includes: vec![],
                        max_duration: Some(GrantDuration::from_minutes(120)),
                        approvals: n % 3,
                        team_kinds: team_kinds.clone(),
                        phases: phases.clone(),
                        repositories: vec![],
                    });
                }
            }
        }
        model
    }

    #[test]
    fn leaving_out_rules_whose_needs_a_question_does_not_meet_changes_no_decision() {
        let model = model();
        let index = Index::new(&model);
        let day = "2026-12-01".parse().expect("a day");
        let a = Authorizer::new(&index, day, &AccessSettings::default()).expect("builds");
        let people: Vec<&str> = model.people.iter().map(|p| p.handle.as_str()).collect();
        let mut envs: Vec<Option<&str>> = vec![None];
        envs.extend(model.environments.iter().map(|e| Some(e.id.as_str())));
        let (mut compared, mut allowed, mut fewer) = (0, 0, 0);
        for (i, &requester) in people.iter().enumerate() {
            for role in &model.roles {
                for &environment in &envs {
                    for minutes in [30, 100_000] {
                        let request = RequestFacts {
                            requester,
                            role: &role.id,
                            environment,
                            minutes,
                        };
                        let approver = people[(i + role.id.len()) % people.len()];
                        for (act, principal, approvals) in [
                            (Act::Request, requester, 0),
                            (Act::Approve, approver, 0),
                            (Act::Approve, requester, 0),
                            (Act::Activate, requester, 1),
                        ] {
                            let Ok(parts) = a.request_parts(act, principal, &request, approvals)
                            else {
                                continue;
                            };
                            let sliced = a.actions.policies(act, parts.cohorts, parts.facts);
                            let all = &a.actions.all[act as usize];
                            fewer +=
                                usize::from(sliced.policies().count() < all.policies().count());
                            let again = a
                                .request_parts(act, principal, &request, approvals)
                                .expect("built once already");
                            let expected = a.evaluate_in(again, all);
                            let got = a.evaluate(parts);
                            assert_eq!(
                                got, expected,
                                "{act:?} by {principal} of {request:?}: the slice decides otherwise"
                            );
                            compared += 1;
                            allowed += usize::from(got.allowed);
                        }
                    }
                }
            }
        }
        assert!(compared > 10_000, "{compared} questions compared");
        assert!(
            allowed > 100,
            "only {allowed} allowed: the comparison covers too little"
        );
        assert!(
            fewer > compared / 2,
            "the slices left out rules in only {fewer} of {compared}"
        );
    }
}
