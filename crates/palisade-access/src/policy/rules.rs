//! The Cedar schema and the policies generated from the model.
//!
//! The policies are few and generic: what differs from role to role (who may
//! hold it, for how long, with how many approvals, where it reaches) is data
//! on the entities, so a decision evaluates at most a dozen policies
//! whatever the size of the model, and changing a role or revoking a grant is
//! a data change, never a policy change. A rule that concerns only some
//! people (vendors, the offboarded, those whose vetting lapsed) says so in
//! its scope, as membership of a `Cohort`: the authoriser evaluates only the
//! rules whose action and cohort admit the question's principal.
//!
//! Every policy carries `@id` (its policy id) and `@reason` (one sentence for
//! `palisade access explain`).

use std::fmt::Write as _;

use palisade_model::Model;

/// The Cedar schema (Cedar's human-readable schema syntax).
///
/// Strings rather than enumerations keep organisation policies easy to
/// write (`principal.team_kind == "vendor"`); the values are the model's own
/// keys, listed on each attribute.
pub(crate) const SCHEMA: &str = r#"// Palisade's access schema, generated from the operating model.

// A vendor company.
entity Vendor;

// A team: kind "internal" or "vendor"; phase "observe", "co-deliver", "own",
// or "none" for internal teams.
entity Team = {
  kind: String,
  phase: String,
  vendor?: Vendor,
};

// An environment: sensitivity "low", "medium", "high" or "critical".
entity Environment = {
  production: Bool,
  sensitivity: String,
};

// A resource of an environment: kind "ssh_host", "database" or "other".
entity Resource in [Environment] = {
  environment: Environment,
  kind: String,
};

// One access level ("read", "deploy" or "admin") on a resource, or on an
// environment that lists no resources. Roles are members of what they allow.
entity Permission = {
  environment: Environment,
  access: String,
};

// A role. Its attributes are computed from the model, through `includes`:
// `team_kinds` and `phases` are every kind and phase when the model leaves
// them empty; `names_vendor` says the model names "vendor" in `team_kinds`.
entity Role in [Permission] = {
  approvals: Long,
  max_minutes: Long,
  team_kinds: Set<String>,
  phases: Set<String>,
  names_vendor: Bool,
  production: Bool,
  environments: Set<Environment>,
  production_environments: Set<Environment>,
  critical_admin_environments: Set<Environment>,
};

// A just-in-time grant: its holder is a member of it while it lasts.
entity Grant in [Role];

// A cohort of people, by what the person's attributes say of them:
// "offboarded" (not active), "vendor" (team_kind "vendor"), "vendor-not-own"
// (team_kind "vendor", phase not "own"), "observe" (phase "observe"),
// "not-internal" (team_kind not "internal"), "vetting-lapsed"
// (vetting_current false). Policies scoped to a cohort apply only to its
// members, so a decision evaluates only the policies that can apply.
entity Cohort;

// A person, as of the day the entities were built: `vetting_current` says
// every vetting and training record counts on that day; `approves` lists the
// environments they own or deploy a service to. A person is a member of
// their team, their standing roles, their active grants and their cohorts.
entity Person in [Team, Role, Grant, Cohort] = {
  team: Team,
  team_kind: String,
  phase: String,
  vendor?: Vendor,
  status: String,
  active: Bool,
  vetting_current: Bool,
  approves: Set<Environment>,
};

// What a request for a role says beyond the role, which is the resource:
// who asks, the one environment it narrows the role to (absent when it
// covers every environment of the role, `resource.environments`), its
// length in minutes, and the valid approvals it has (counted for activate,
// 0 otherwise). Flat, so that building it costs little on every decision.
type Request = {
  requester: Person,
  environment?: Environment,
  minutes: Long,
  approvals: Long,
};

// Ask for a role, approve someone's request for it, start the grant.
action request, approve, activate appliesTo {
  principal: Person,
  resource: Role,
  context: Request,
};

// Use an access level on a resource.
action "use" appliesTo {
  principal: Person,
  resource: Permission,
};
"#;

/// Facts of a question that a generated rule needs before it can decide
/// anything: a rule whose needs a question does not meet is provably not
/// satisfied by it (its `when` is false or its `unless` true for every such
/// question), so a decision leaves it out, as it leaves out rules of other
/// actions and cohorts. A question's facts are its role's, its principal's
/// and its own, each computed from the same values its entities carry.
pub(crate) mod need {
    /// The role reaches production: `production`, or a production environment.
    pub const PRODUCTION: u16 = 1 << 0;
    /// The role has admin on a critical environment and does not name vendor.
    pub const CRITICAL_ADMIN: u16 = 1 << 1;
    /// The role's `phases` leave out a phase, or the principal has a phase
    /// outside them all (a vendor team without one).
    pub const SOME_PHASES: u16 = 1 << 2;
    /// The role's `team_kinds` leave out a kind, or the principal has a kind
    /// outside them all.
    pub const SOME_KINDS: u16 = 1 << 3;
    /// The role needs approvals.
    pub const APPROVALS: u16 = 1 << 4;
    /// The request names one environment.
    pub const ENVIRONMENT: u16 = 1 << 5;
    /// The principal is the requester.
    pub const SELF: u16 = 1 << 6;
    /// The principal is not the requester.
    pub const OTHER: u16 = 1 << 7;
    /// Every fact: a question that has them all meets every rule's needs.
    pub const ALL: u16 = (1 << 8) - 1;
}

/// One generated policy: its id, what it says, its Cedar text, and the facts
/// it needs (see [`need`]).
struct Rule {
    id: &'static str,
    reason: String,
    body: &'static str,
    needs: u16,
}

/// The generated policies' text, and each one's id with the facts it needs.
pub(crate) struct Generated {
    pub text: String,
    pub needs: Vec<(&'static str, u16)>,
}

/// The generated policies, in the order `explain` lists them.
pub(crate) fn policies(model: &Model, default_max_minutes: u32) -> Generated {
    let p = &model.org.policy;
    let rules = [
        Rule {
            id: "jit-request",
            reason: "a person may ask for a role for a bounded time, and start it; the forbid rules narrow who, where, how long and after what approvals".into(),
            body: r#"permit(principal, action in [Action::"request", Action::"activate"], resource);"#,
            needs: 0,
        },
        Rule {
            id: "approve-request",
            reason: "a person may approve a request; the forbid rules narrow who".into(),
            body: r#"permit(principal, action == Action::"approve", resource);"#,
            needs: 0,
        },
        Rule {
            id: "use-granted",
            reason: "a person may use what a standing role or an active grant allows".into(),
            body: r#"permit(principal, action == Action::"use", resource)
when { principal in resource };"#,
            needs: 0,
        },
        Rule {
            id: "person-active",
            reason: "offboarded people may do nothing".into(),
            body: r#"forbid(principal in Cohort::"offboarded", action, resource);"#,
            needs: 0,
        },
        Rule {
            id: "requester-only",
            reason: "only the requester asks for and starts their own grant".into(),
            body: r#"forbid(principal, action in [Action::"request", Action::"activate"], resource)
unless { principal == context.requester };"#,
            needs: need::OTHER,
        },
        Rule {
            id: "role-eligibility",
            reason: "the role's team_kinds do not include the requester's team kind".into(),
            body: r#"forbid(principal, action in [Action::"request", Action::"activate"], resource)
unless { resource.team_kinds.contains(principal.team_kind) };"#,
            needs: need::SOME_KINDS,
        },
        Rule {
            id: "role-phase",
            reason: "the role's phases do not include the requester's vendor team phase".into(),
            body: r#"forbid(principal in Cohort::"vendor", action in [Action::"request", Action::"activate"], resource)
unless { resource.phases.contains(principal.phase) };"#,
            needs: need::SOME_PHASES,
        },
        Rule {
            id: "observe-no-production",
            reason: "a vendor team in phase observe gets no production role at all".into(),
            body: r#"forbid(principal in Cohort::"observe", action in [Action::"request", Action::"activate"], resource)
when { resource.production };"#,
            needs: need::PRODUCTION,
        },
        Rule {
            id: "environment-sensitivity",
            reason: "admin on a critical environment is for internal people and vendor teams in phase own, unless the role names vendor in its team_kinds".into(),
            body: r#"forbid(principal in Cohort::"vendor-not-own", action in [Action::"request", Action::"activate"], resource)
when {
  !resource.names_vendor &&
  (if context has environment
   then resource.critical_admin_environments.contains(context.environment)
   else resource.critical_admin_environments.containsAny(resource.environments))
};"#,
            needs: need::CRITICAL_ADMIN,
        },
        Rule {
            id: "role-environment",
            reason: "the role grants nothing in an environment the request names".into(),
            body: r#"forbid(principal, action in [Action::"request", Action::"approve", Action::"activate"], resource)
when { context has environment && !resource.environments.contains(context.environment) };"#,
            needs: need::ENVIRONMENT,
        },
        Rule {
            id: "max-duration",
            reason: format!(
                "a grant lasts at least a minute and at most the role's max_duration ({} without one)",
                palisade_model::GrantDuration::from_minutes(default_max_minutes)
            ),
            body: r#"forbid(principal, action in [Action::"request", Action::"activate"], resource)
when { context.minutes < 1 || context.minutes > resource.max_minutes };"#,
            needs: 0,
        },
        Rule {
            id: "vetting-current",
            reason: format!(
                "production access needs vetting and training current on the day (background check within {} days, training within {} days, incident drill within {} days, NDA signed)",
                p.background_check_max_age_days, p.training_max_age_days, p.incident_drill_max_age_days
            ),
            body: r#"forbid(principal in Cohort::"vetting-lapsed", action in [Action::"request", Action::"activate"], resource)
when {
  if context has environment
  then resource.production_environments.contains(context.environment)
  else resource.production_environments.containsAny(resource.environments)
};"#,
            needs: need::PRODUCTION,
        },
        Rule {
            id: "vetting-current-use",
            reason: "using production access needs vetting and training current on the day".into(),
            body: r#"forbid(principal in Cohort::"vetting-lapsed", action == Action::"use", resource)
when { resource.environment.production };"#,
            needs: 0,
        },
        Rule {
            id: "approvals-required",
            reason: "a grant starts only with as many valid approvals as the role's approvals".into(),
            body: r#"forbid(principal, action == Action::"activate", resource)
when { context.approvals < resource.approvals };"#,
            needs: need::APPROVALS,
        },
        Rule {
            id: "no-self-approval",
            reason: "nobody approves their own request".into(),
            body: r#"forbid(principal, action == Action::"approve", resource)
when { principal == context.requester };"#,
            needs: need::SELF,
        },
        Rule {
            id: "vendor-approves-vendor-production",
            reason: "a vendor never approves a vendor's production request".into(),
            body: r#"forbid(principal in Cohort::"vendor", action == Action::"approve", resource)
when {
  context.requester.team_kind == "vendor" &&
  (if context has environment
     then resource.production_environments.contains(context.environment)
     else resource.production_environments.containsAny(resource.environments))
};"#,
            needs: need::PRODUCTION,
        },
        Rule {
            id: "approver-owner",
            reason: "an approver owns every environment the request covers, or a service deployed there".into(),
            body: r#"forbid(principal, action == Action::"approve", resource)
unless {
  if context has environment
  then principal.approves.contains(context.environment)
  else principal.approves.containsAll(resource.environments)
};"#,
            needs: 0,
        },
        Rule {
            id: "production-approver-internal",
            reason: "production requests are approved from an internal team".into(),
            body: r#"forbid(principal in Cohort::"not-internal", action == Action::"approve", resource)
when {
  if context has environment
  then resource.production_environments.contains(context.environment)
  else resource.production_environments.containsAny(resource.environments)
};"#,
            needs: need::PRODUCTION,
        },
    ];
    let mut out =
        String::from("// Palisade's access policies, generated from the operating model.\n");
    let needs = rules.iter().map(|r| (r.id, r.needs)).collect();
    for rule in rules {
        // Reasons are our own sentences and model numbers: no quote or backslash.
        let _ = write!(
            out,
            "\n@id(\"{}\")\n@reason(\"{}\")\n{}\n",
            rule.id,
            rule.reason.replace(['"', '\\'], "'"),
            rule.body
        );
    }
    Generated { text: out, needs }
}
