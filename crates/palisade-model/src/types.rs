//! The operating model's types, exactly as `palisade.toml` spells them.
//!
//! Every table is strict: an unknown key is an error, never silently ignored,
//! because a misspelt control (`owner_aprovals = 2`) that is dropped on the
//! floor is a control that is not enforced.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::values::{Day, GrantDuration};

/// The whole operating model: one `palisade.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// The organisation and its policies.
    pub org: Org,
    /// The vendor companies whose teams work on the platform.
    #[serde(default)]
    pub vendors: Vec<Vendor>,
    /// Internal and vendor teams.
    #[serde(default)]
    pub teams: Vec<Team>,
    /// Everyone who can touch the platform.
    #[serde(default)]
    pub people: Vec<Person>,
    /// Services, the code that makes them up, and who owns them.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Deployment environments and the resources in them.
    #[serde(default)]
    pub environments: Vec<Environment>,
    /// Roles: what a holder may do where, and who may hold them.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Controls a change needs, per risk tier.
    #[serde(default)]
    pub gates: Gates,
    /// Vendor contracts.
    #[serde(default)]
    pub contracts: Vec<Contract>,
    /// The secret and personal-data scanner's own rules and allowlists.
    #[serde(default)]
    pub scan: ScanSettings,
    /// Just-in-time access: limits that apply to every role.
    #[serde(default)]
    pub access: AccessSettings,
    /// Credentials several people know that cannot be revoked per person, and
    /// so must be rotated when one of them leaves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_credentials: Vec<SharedCredential>,
    /// The activity monitor: thresholds of its detectors, generic log
    /// mappings, and where alerts go.
    #[serde(default)]
    pub monitor: MonitorSettings,
    /// Governance metrics: the incident severity scale.
    #[serde(default)]
    pub metrics: MetricsSettings,
}

/// Settings of the governance metrics.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// The incident severities, most severe first (default `sev1` to `sev4`).
    /// An incident must name one of them.
    pub incident_severities: Vec<String>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            incident_severities: ["sev1", "sev2", "sev3", "sev4"].map(str::to_owned).to_vec(),
        }
    }
}

/// Settings of the activity monitor. Every threshold has a default that
/// suits a team of tens; each is a number a security engineer can defend.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MonitorSettings {
    /// Activity this long before or after a person's declared hours is not
    /// off hours (default `30m`).
    pub grace: GrantDuration,
    /// Alerts of one detector, actor and resource within this window are one
    /// alert (default `1h`).
    pub dedupe_window: GrantDuration,
    /// Mass download: this many distinct repositories cloned or downloaded
    /// within `mass_download_window` (default 20).
    pub mass_download_repositories: u32,
    /// The window of `mass_download_repositories` (default `1h`).
    pub mass_download_window: GrantDuration,
    /// Mass download against the person's own baseline: a day with this many
    /// times their median daily repositories (and at least
    /// `mass_download_repositories / 2`) (default 5).
    pub baseline_factor: u32,
    /// Failed logins: this many for one user, or from one address, within
    /// `failed_login_window` (default 5).
    pub failed_logins: u32,
    /// The window of `failed_logins` (default `10m`).
    pub failed_login_window: GrantDuration,
    /// Rare hour: silent until a person has this many events of history
    /// (default 200).
    pub rare_hour_min_events: u32,
    /// Rare hour: an hour of the week holding less than this share of the
    /// person's history is rare (default 0.005).
    pub rare_hour_share: f64,
    /// Generic NDJSON sources and how their fields map.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ndjson: Vec<NdjsonMapping>,
    /// Where alerts are delivered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alert_hooks: Vec<AlertHook>,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        MonitorSettings {
            grace: GrantDuration::from_minutes(30),
            dedupe_window: GrantDuration::from_minutes(60),
            mass_download_repositories: 20,
            mass_download_window: GrantDuration::from_minutes(60),
            baseline_factor: 5,
            failed_logins: 5,
            failed_login_window: GrantDuration::from_minutes(10),
            rare_hour_min_events: 200,
            rare_hour_share: 0.005,
            ndjson: Vec::new(),
            alert_hooks: Vec::new(),
        }
    }
}

/// How a generic NDJSON log's fields map to an event.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NdjsonMapping {
    /// The source's name, given to `palisade monitor ingest --source ndjson:NAME`.
    pub name: String,
    /// The field holding the time (a dotted path for nested fields).
    pub time: String,
    /// `rfc3339` (default), `epoch_s` or `epoch_ms`.
    #[serde(default = "default_time_format")]
    pub time_format: String,
    /// The field naming the actor.
    pub actor: String,
    /// What the actor field holds: `email` (default), `github`, `gitlab`,
    /// `ssh_principal` or `handle`.
    #[serde(default = "default_actor_kind")]
    pub actor_kind: String,
    /// The field naming the action.
    pub action: String,
    /// The field naming the resource, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// What the resource is: `repository`, `host` (default) or `database`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_kind: Option<String>,
    /// The field holding the source address, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_address: Option<String>,
    /// The field holding the outcome, if any; `success_values` say which of
    /// its values mean success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Values of `outcome` that mean success (default `success`, `ok`, `true`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub success_values: Vec<String>,
}

fn default_time_format() -> String {
    "rfc3339".to_owned()
}

fn default_actor_kind() -> String {
    "email".to_owned()
}

/// Where alerts are delivered.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertHook {
    /// `slack` (a Slack-compatible incoming webhook) or `webhook` (signed,
    /// Standard Webhooks).
    pub kind: String,
    /// The environment variable holding the URL (a Slack URL is itself a secret).
    pub url_env: String,
    /// For `webhook`: the environment variable holding its `whsec_…` secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    /// Only alerts of at least this severity: `low`, `medium` (default), `high`, `critical`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<String>,
}

/// A credential that several people know and that cannot be revoked for one
/// of them alone: a vendor portal's shared login, a break-glass password, an
/// API key kept in a team's vault. When anyone who knows it leaves, it must
/// be rotated; `palisade offboard` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SharedCredential {
    /// Stable identifier, e.g. `stripe-dashboard-login`.
    pub id: String,
    /// What it is and what it opens, in one line.
    #[serde(default)]
    pub description: String,
    /// Who knows it: people (handles) and teams (ids), a team meaning every
    /// member.
    pub known_by: Vec<String>,
    /// How and where to rotate it (free text: a runbook, a console page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate: Option<String>,
    /// The environment it opens (an id of [[environments]]), if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// Organisation-wide limits of just-in-time access.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AccessSettings {
    /// The longest grant of a role that sets no `max_duration` (default `8h`).
    pub max_duration: GrantDuration,
    /// How long a request may wait for its approvals before it expires (default `24h`).
    pub approval_timeout: GrantDuration,
    /// The longest break-glass grant, taken without approval (default `1h`).
    pub break_glass_max: GrantDuration,
    /// How soon after a break-glass use someone must review it (default `24h`).
    pub break_glass_review_within: GrantDuration,
    /// A file of the organisation's own Cedar policies, relative to this file,
    /// checked against the generated schema when access decisions load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policies: Option<String>,
    /// Where Palisade writes the OpenSSH key revocation list (KRL) of the
    /// certificates it revoked, relative to this file; sshd reads it through
    /// `RevokedKeys`. Unset: SSH certificates are not issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_krl: Option<String>,
    /// A signed webhook told of every grant, revocation and break-glass use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<AccessWebhook>,
    /// How long reviewers have from the start of an access review to its
    /// deadline (default `14d`).
    pub review_within: GrantDuration,
    /// Whether access nobody reviewed by the deadline is revoked (default `true`).
    pub revoke_unreviewed: bool,
}

impl Default for AccessSettings {
    fn default() -> Self {
        AccessSettings {
            max_duration: GrantDuration::from_minutes(8 * 60),
            approval_timeout: GrantDuration::from_minutes(24 * 60),
            break_glass_max: GrantDuration::from_minutes(60),
            break_glass_review_within: GrantDuration::from_minutes(24 * 60),
            policies: None,
            ssh_krl: None,
            webhook: None,
            review_within: GrantDuration::from_minutes(14 * 24 * 60),
            revoke_unreviewed: true,
        }
    }
}

/// The webhook of access events.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessWebhook {
    /// Where events are posted (`https://…`, or `http://` on a trusted network).
    pub url: String,
    /// The environment variable holding its signing secret (`whsec_…`); the
    /// secret itself never goes in this file.
    #[serde(default = "default_webhook_secret_env")]
    pub secret_env: String,
}

fn default_webhook_secret_env() -> String {
    "PALISADE_WEBHOOK_SECRET".to_owned()
}

/// Settings of `palisade scan`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanSettings {
    /// Path globs never scanned (vendored code, generated files).
    #[serde(default)]
    pub allow_paths: Vec<String>,
    /// Regexes: a finding whose secret matches one is dropped (known test keys).
    #[serde(default)]
    pub allow_patterns: Vec<String>,
    /// Built-in rules turned off, by id.
    #[serde(default)]
    pub disable: Vec<String>,
    /// The baseline file of accepted findings, relative to this file.
    #[serde(default)]
    pub baseline: Option<String>,
    /// Report only findings of this severity or worse (`low`, `medium`, `high` or
    /// `critical`; default `low`, everything). `palisade scan --min-severity` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<String>,
    /// Rules of the organisation's own credential formats.
    #[serde(default)]
    pub rules: Vec<ScanRule>,
}

/// A scanner rule written in the model: the same fields as the built-in rule files.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRule {
    /// Stable identifier, kebab-case, unique among all rules.
    pub id: String,
    /// Human name.
    pub name: String,
    /// `secret`, `transport` or `identifier`.
    pub kind: String,
    /// `critical`, `high`, `medium` or `low`.
    pub severity: String,
    /// Lowercase literals of which every match contains one (the prefilter).
    pub keywords: Vec<String>,
    /// A regex (Rust syntax) with a named capture `secret`.
    pub pattern: String,
    /// The least Shannon entropy, bits a character, the secret must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_entropy: Option<f64>,
    /// Texts the rule must find (checked when the model is loaded by `palisade scan`).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts the rule must not find.
    #[serde(default)]
    pub counter_examples: Vec<String>,
    /// A password rule: a literal value under 8 characters or below `min_entropy` is
    /// reported at severity low as a guessable password instead of dropped.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub guessable: bool,
    /// Texts the rule must find as a guessable password only (with `guessable = true`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guessable_examples: Vec<String>,
}

/// The organisation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Org {
    /// Display name.
    pub name: String,
    /// IANA time zone used where a person names none, e.g. `Europe/London`.
    pub timezone: String,
    /// The evidence ledger's log name (the origin line of its checkpoints),
    /// conventionally a domain-like name such as `acme.example/palisade`.
    pub log_name: String,
    /// The evidence ledger's published verifier key, `<name>+<key id>+<base64 key>`
    /// (what `palisade ledger keygen` prints): the key auditors' `palisade ledger
    /// verify*` commands pin when given no `--verifier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_key: Option<String>,
    /// Organisation-wide policy thresholds.
    #[serde(default)]
    pub policy: Policy,
    /// External witnesses that cosign the evidence ledger's checkpoints.
    #[serde(default)]
    pub witnesses: Vec<Witness>,
}

/// An external witness of the evidence ledger: it cosigns checkpoints it has
/// seen, so a checkpoint it saw can never be rolled back unnoticed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Witness {
    /// The witness's key name, as in its verifier key.
    pub name: String,
    /// Its verifier key in signed-note form, `<name>+<key id>+<base64 key>`.
    pub key: String,
}

/// Organisation-wide policy thresholds that `palisade check` enforces.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// A background check older than this many days no longer counts.
    pub background_check_max_age_days: u32,
    /// Secure-coding and security-awareness training older than this many days no longer counts.
    pub training_max_age_days: u32,
    /// An incident drill older than this many days no longer counts.
    pub incident_drill_max_age_days: u32,
    /// Clauses every vendor contract must have.
    pub required_clauses: Vec<Clause>,
    /// What a vendor contract's IP assignment must cover.
    pub required_ip_coverage: Vec<IpScope>,
    /// The longest breach-notification window a contract may allow, in hours.
    pub max_breach_notification_hours: u32,
    /// Warn this many days before a vendor contract ends.
    pub contract_expiry_warning_days: u32,
    /// Thresholds of the readiness scorecard (`palisade readiness`).
    pub readiness: ReadinessPolicy,
}

/// Thresholds of the readiness scorecard: when a control passes, warns or fails.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReadinessPolicy {
    /// A runbook unchanged for this many days while its service's code
    /// changed is stale (default 180).
    pub runbook_max_age_days: u32,
    /// Access reviews of a vendor's people are due this often, in days (default 90).
    pub access_review_interval_days: u32,
    /// Share of production deployments, in percent, that must carry a gate
    /// verdict for the control to pass (default 100); below it but at least
    /// `gated_deployments_warn_pct` warns.
    pub gated_deployments_pct: u32,
    /// Below this share of gated production deployments, in percent, the
    /// control fails (default 90).
    pub gated_deployments_warn_pct: u32,
    /// A metric worse than the previous period's by more than this many
    /// percent is worsening (default 10).
    pub worsening_pct: u32,
    /// How many months "metrics are not worsening" looks back over (default 3).
    pub trend_months: u32,
}

impl Default for ReadinessPolicy {
    fn default() -> Self {
        ReadinessPolicy {
            runbook_max_age_days: 180,
            access_review_interval_days: 90,
            gated_deployments_pct: 100,
            gated_deployments_warn_pct: 90,
            worsening_pct: 10,
            trend_months: 3,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            background_check_max_age_days: 3 * 365,
            training_max_age_days: 365,
            incident_drill_max_age_days: 365,
            required_clauses: vec![
                Clause::Nda,
                Clause::Dpa,
                Clause::IpAssignment,
                Clause::AuditRights,
                Clause::BreachNotification,
                Clause::TransitionAssistance,
                Clause::DataReturnDeletion,
            ],
            required_ip_coverage: vec![IpScope::Source, IpScope::Artifacts, IpScope::Docs],
            max_breach_notification_hours: 72,
            contract_expiry_warning_days: 60,
            readiness: ReadinessPolicy::default(),
        }
    }
}

/// A contract clause that policy can require.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Clause {
    /// Non-disclosure agreement.
    Nda,
    /// Data processing agreement.
    Dpa,
    /// Assignment of intellectual property.
    IpAssignment,
    /// The right to audit the vendor.
    AuditRights,
    /// The vendor discloses its subprocessors.
    SubprocessorDisclosure,
    /// The vendor must notify breaches within a set number of hours.
    BreachNotification,
    /// The vendor assists a transition at exit.
    TransitionAssistance,
    /// The vendor returns and deletes data at exit.
    DataReturnDeletion,
}

impl Clause {
    /// The key that names this clause in `palisade.toml`.
    pub fn key(self) -> &'static str {
        match self {
            Clause::Nda => "nda",
            Clause::Dpa => "dpa",
            Clause::IpAssignment => "ip_assignment",
            Clause::AuditRights => "audit_rights",
            Clause::SubprocessorDisclosure => "subprocessor_disclosure",
            Clause::BreachNotification => "breach_notification_hours",
            Clause::TransitionAssistance => "transition_assistance",
            Clause::DataReturnDeletion => "data_return_deletion",
        }
    }
}

/// What an IP assignment clause can cover.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IpScope {
    /// Source code.
    Source,
    /// Build artifacts and binaries.
    Artifacts,
    /// Documentation.
    Docs,
    /// Tests and test data.
    Tests,
    /// Infrastructure code (Terraform, Helm, pipelines).
    Infrastructure,
    /// Prompts and model configurations.
    Prompts,
    /// Work derived from any of the above.
    DerivedWork,
}

impl IpScope {
    /// The name used in `palisade.toml`.
    pub fn key(self) -> &'static str {
        match self {
            IpScope::Source => "source",
            IpScope::Artifacts => "artifacts",
            IpScope::Docs => "docs",
            IpScope::Tests => "tests",
            IpScope::Infrastructure => "infrastructure",
            IpScope::Prompts => "prompts",
            IpScope::DerivedWork => "derived_work",
        }
    }
}

/// Whether a team is part of the company or an external vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamKind {
    /// Employees.
    Internal,
    /// An external vendor or contractor team.
    Vendor,
}

/// A vendor team's onboarding phase: observe, then co-deliver, then own.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Shadowing: read access, no production roles.
    Observe,
    /// Delivering alongside an internal team.
    CoDeliver,
    /// Owning services outright.
    Own,
}

impl Phase {
    /// The name used in `palisade.toml`.
    pub fn key(self) -> &'static str {
        match self {
            Phase::Observe => "observe",
            Phase::CoDeliver => "co-deliver",
            Phase::Own => "own",
        }
    }
}

/// A vendor company: the one id that groups its teams, their people and its contracts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    /// Stable identifier, e.g. `nimbus`; commands that work per vendor take it as `--vendor`.
    pub id: String,
    /// The company's legal name.
    pub name: String,
    /// Where notices to the vendor go (an e-mail address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// A team of people.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Stable identifier, e.g. `payments`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `internal` or `vendor`.
    pub kind: TeamKind,
    /// For vendor teams: the vendor company (an id of [[vendors]]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// The team on GitHub, `org/slug` (as CODEOWNERS names it: `@org/slug`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_team: Option<String>,
    /// The group on GitLab, its full path (`group` or `group/subgroup`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gitlab_group: Option<String>,
    /// For vendor teams: the contract they work under.
    pub contract: Option<String>,
    /// For vendor teams: the onboarding phase.
    pub phase: Option<Phase>,
    /// For vendor teams: the day the current phase began.
    pub phase_since: Option<Day>,
}

/// Whether a person can currently work on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Working on the platform.
    #[default]
    Active,
    /// Left; must hold nothing.
    Offboarded,
}

/// A person who can touch the platform.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Stable handle, e.g. `asha` (usually their VCS login).
    pub handle: String,
    /// Full name.
    pub name: String,
    /// Work email.
    pub email: String,
    /// Further e-mail addresses they commit or sign in with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    /// GitHub login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<String>,
    /// GitLab username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gitlab: Option<String>,
    /// SSH certificate principals (the names sshd logs and `AuthorizedPrincipalsFile` lists).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_principals: Vec<String>,
    /// The team they belong to.
    pub team: String,
    /// IANA time zone, e.g. `Asia/Kolkata`; defaults to the org's.
    pub timezone: Option<String>,
    /// Declared working hours in their time zone, e.g. `Mon-Fri 09:00-18:00`.
    pub hours: Option<String>,
    /// `active` (default) or `offboarded`.
    #[serde(default)]
    pub status: Status,
    /// The day they left or will leave.
    pub offboarded_on: Option<Day>,
    /// Standing roles (prefer just-in-time grants).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Vetting and training records.
    #[serde(default)]
    pub vetting: Vetting,
}

/// Vetting and training records, each the day it was done.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vetting {
    /// Background check completed.
    pub background_check: Option<Day>,
    /// NDA signed.
    pub nda_signed: Option<Day>,
    /// Secure-coding training completed.
    pub secure_coding_training: Option<Day>,
    /// Security-awareness training completed.
    pub security_awareness_training: Option<Day>,
    /// Last incident-response drill taken part in.
    pub incident_drill: Option<Day>,
}

/// How much harm a bad change to a service can do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskTier {
    /// Internal tooling, no customer impact.
    Low,
    /// Customer-facing, recoverable.
    Medium,
    /// Customer data or money, hard to recover.
    High,
    /// Safety, security or regulatory core.
    Critical,
}

impl RiskTier {
    /// All tiers, lowest first.
    pub const ALL: [RiskTier; 4] = [
        RiskTier::Low,
        RiskTier::Medium,
        RiskTier::High,
        RiskTier::Critical,
    ];

    /// The name used in `palisade.toml`.
    pub fn key(self) -> &'static str {
        match self {
            RiskTier::Low => "low",
            RiskTier::Medium => "medium",
            RiskTier::High => "high",
            RiskTier::Critical => "critical",
        }
    }
}

/// How sensitive the data a service holds is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// Public information.
    Public,
    /// Internal, not sensitive.
    #[default]
    Internal,
    /// Confidential business data.
    Confidential,
    /// Personal, payment or regulated data.
    Restricted,
}

/// A service: the code that makes it up and who answers for it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Stable identifier, e.g. `payments-api`.
    pub id: String,
    /// What it does, in one line.
    #[serde(default)]
    pub description: String,
    /// Repositories (`owner/name`) holding its code; empty means the repository
    /// that holds this `palisade.toml`.
    #[serde(default)]
    pub repos: Vec<String>,
    /// Path globs, relative to the repository root: `services/api/**`,
    /// `**/*.tf`. A plain directory path claims everything below it.
    #[serde(default)]
    pub paths: Vec<String>,
    /// The owning team.
    pub team: String,
    /// Primary owner (a person's handle).
    pub owner: String,
    /// Backup owner, for when the primary is away or asleep.
    pub backup_owner: Option<String>,
    /// Risk tier; drives the gate a change must pass.
    pub risk: RiskTier,
    /// Path of the runbook, relative to the repository root.
    pub runbook: Option<String>,
    /// Who to call, in order (people's handles).
    #[serde(default)]
    pub escalation: Vec<String>,
    /// Classification of the data it holds.
    #[serde(default)]
    pub data: DataClass,
    /// The environments it is deployed to (ids of [[environments]]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
}

/// How sensitive an environment is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Throwaway.
    #[default]
    Low,
    /// Shared, no real data.
    Medium,
    /// Close to production.
    High,
    /// Production.
    Critical,
}

/// A deployment environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Stable identifier, e.g. `prod`.
    pub id: String,
    /// Whether this is a production environment.
    #[serde(default)]
    pub production: bool,
    /// How sensitive it is.
    #[serde(default)]
    pub sensitivity: Sensitivity,
    /// Whether production (real personal) data may live here.
    #[serde(default)]
    pub production_data: bool,
    /// Path globs of files that hold this environment's data or config
    /// (fixtures, seeds), used by the personal-data scanner.
    #[serde(default)]
    pub data_paths: Vec<String>,
    /// People (handles) who own it and may approve access to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Teams whose active members own it and may approve access to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owner_teams: Vec<String>,
    /// Hosts, databases and other resources in it.
    #[serde(default)]
    pub resources: Vec<Resource>,
}

/// What kind of thing a resource is, which decides the credential issued for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A host reached over SSH (OpenSSH user certificates).
    SshHost,
    /// A database (temporary roles).
    Database,
    /// Anything else (a cluster, a bucket, a console).
    Other,
}

/// An access level a resource offers and a role can grant.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Look, do not touch.
    Read,
    /// Ship changes.
    Deploy,
    /// Everything.
    Admin,
}

impl Access {
    /// The name used in `palisade.toml`.
    pub fn key(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Deploy => "deploy",
            Access::Admin => "admin",
        }
    }
}

/// A resource in an environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Identifier, unique within its environment.
    pub id: String,
    /// `ssh_host`, `database` or `other`.
    pub kind: ResourceKind,
    /// Where it lives (`host:port`, a URL), for credential issuers.
    pub address: Option<String>,
    /// Access levels it offers.
    pub access: Vec<Access>,
    /// For `ssh_host`: the host names it covers, or globs of them (`*.prod.acme.internal`),
    /// so that a log line naming a host maps to this resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// For `database`: the database name temporary roles log in to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// For `database`: the database role each access level makes a temporary
    /// login role a member of (roles the database's owner defines, holding
    /// that level's privileges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_roles: Option<DbRoles>,
}

/// The database role behind each access level of a database resource.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DbRoles {
    /// Role granted for `read`, e.g. `app_readonly`.
    pub read: Option<String>,
    /// Role granted for `deploy`, e.g. `app_migrator`.
    pub deploy: Option<String>,
    /// Role granted for `admin`, e.g. `app_owner`.
    pub admin: Option<String>,
}

impl DbRoles {
    /// The role mapped to `access`, if any.
    pub fn get(&self, access: Access) -> Option<&str> {
        match access {
            Access::Read => self.read.as_deref(),
            Access::Deploy => self.deploy.as_deref(),
            Access::Admin => self.admin.as_deref(),
        }
    }
}

/// A role: what its holder may do, where, and who may hold it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Stable identifier, e.g. `prod-deployer`.
    pub id: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// What it allows.
    #[serde(default)]
    pub grants: Vec<RoleGrant>,
    /// Other roles whose grants this one includes.
    #[serde(default)]
    pub includes: Vec<String>,
    /// The longest a just-in-time grant of it may last, e.g. `4h`.
    pub max_duration: Option<GrantDuration>,
    /// How many approvals a just-in-time grant needs.
    #[serde(default)]
    pub approvals: u32,
    /// Team kinds that may hold it (empty: any).
    #[serde(default)]
    pub team_kinds: Vec<TeamKind>,
    /// Vendor phases that may hold it (empty: any).
    #[serde(default)]
    pub phases: Vec<Phase>,
    /// Repositories (`owner/name`, or globs like `acme/payments-*`) the role
    /// lets its holders read or write beyond their team's services, for the
    /// monitor's least-privilege check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repositories: Vec<String>,
}

/// One permission of a role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleGrant {
    /// The environment.
    pub environment: String,
    /// Resource ids in that environment; empty means all of them.
    #[serde(default)]
    pub resources: Vec<String>,
    /// The access level.
    pub access: Access,
}

/// Static-analysis severities, for gate thresholds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational and up.
    Note,
    /// Low and up.
    Low,
    /// Medium and up.
    Medium,
    /// High and up.
    High,
    /// Critical only.
    Critical,
}

/// Controls a change needs, per risk tier, and the paths that raise risk.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gates {
    /// Controls for each tier.
    #[serde(default)]
    pub tiers: GateTiers,
    /// Paths whose change raises a change's risk tier.
    #[serde(default)]
    pub path_rules: Vec<PathRule>,
    /// Target environments that raise a change's tier: a change bound for
    /// production needs at least the controls of the tier given here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<EnvironmentGate>,
    /// Keys whose signed in-toto attestations count as evidence (`signed_artifact`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signers: Vec<Signer>,
    /// Approved exceptions: a control that a change may skip, where, until when.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<Waiver>,
}

/// The least tier a change bound for one environment gets.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentGate {
    /// The environment (an id of [[environments]]).
    pub environment: String,
    /// A change bound for it needs at least this tier's controls.
    pub min_tier: RiskTier,
}

/// A key that signs attestations (DSSE envelopes) the gate accepts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signer {
    /// Stable identifier, e.g. `ci-release`; the DSSE `keyid` it signs with.
    pub id: String,
    /// Its Ed25519 public key: 64 hex digits (the form securesystemslib prints).
    pub key: String,
    /// What it signs, in a few words.
    #[serde(default)]
    pub description: String,
    /// The last day its signatures count (a key past its rotation date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Day>,
}

/// A control of the gate, as `[gates.tiers.*]` and waivers name it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// Tests ran and passed.
    Tests,
    /// Static analysis found nothing at or above the threshold.
    StaticAnalysis,
    /// The secret scan of the change is clean.
    SecretScan,
    /// Owners of the touched services approved.
    OwnerApprovals,
    /// A member of an internal team approved.
    InternalApproval,
    /// Docs or runbook changed with deployment or access configuration.
    DocsUpdated,
    /// The artifact is signed (an in-toto attestation by a listed signer).
    SignedArtifact,
    /// The change says how to roll it back.
    RollbackPlan,
}

impl Control {
    /// Every control, in the order reports list them.
    pub const ALL: [Control; 8] = [
        Control::Tests,
        Control::StaticAnalysis,
        Control::SecretScan,
        Control::OwnerApprovals,
        Control::InternalApproval,
        Control::DocsUpdated,
        Control::SignedArtifact,
        Control::RollbackPlan,
    ];

    /// The name used in `palisade.toml` and in reports.
    pub fn key(self) -> &'static str {
        match self {
            Control::Tests => "tests",
            Control::StaticAnalysis => "static_analysis",
            Control::SecretScan => "secret_scan",
            Control::OwnerApprovals => "owner_approvals",
            Control::InternalApproval => "internal_approval",
            Control::DocsUpdated => "docs_updated",
            Control::SignedArtifact => "signed_artifact",
            Control::RollbackPlan => "rollback_plan",
        }
    }
}

/// An approved exception to one control.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// Stable identifier, e.g. `legacy-billing-no-sast`.
    pub id: String,
    /// The control it waives.
    pub control: Control,
    /// The services it applies to (ids of [[services]]); empty with no `paths`
    /// means every change.
    #[serde(default)]
    pub services: Vec<String>,
    /// Or the path globs it applies to: it holds when every changed path matches one.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Who approved it (a person's handle).
    pub approved_by: String,
    /// Why.
    pub reason: String,
    /// The last day it holds.
    pub expires: Day,
}

/// The controls of each risk tier.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateTiers {
    /// Controls for low-risk changes.
    pub low: Option<GateControls>,
    /// Controls for medium-risk changes.
    pub medium: Option<GateControls>,
    /// Controls for high-risk changes.
    pub high: Option<GateControls>,
    /// Controls for critical changes.
    pub critical: Option<GateControls>,
}

impl GateTiers {
    /// The controls of `tier`, if the model sets them.
    pub fn get(&self, tier: RiskTier) -> Option<&GateControls> {
        match tier {
            RiskTier::Low => self.low.as_ref(),
            RiskTier::Medium => self.medium.as_ref(),
            RiskTier::High => self.high.as_ref(),
            RiskTier::Critical => self.critical.as_ref(),
        }
    }
}

/// The controls one risk tier requires of a change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GateControls {
    /// Tests must have run and passed.
    pub tests: bool,
    /// Static-analysis findings at or above this severity fail the gate.
    pub static_analysis: Option<Severity>,
    /// The secret scan of the change must be clean.
    pub secret_scan: bool,
    /// Approvals needed from the owners of the services touched.
    pub owner_approvals: u32,
    /// An approval from a member of an internal team is needed.
    pub internal_approval: bool,
    /// Docs or the runbook must be updated with the change.
    pub docs_updated: bool,
    /// The build artifact must be signed.
    pub signed_artifact: bool,
    /// The change must describe how to roll it back.
    pub rollback_plan: bool,
}

/// A path rule: changes to these paths are at least this risky.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathRule {
    /// What these paths are, e.g. `infrastructure code`.
    pub name: String,
    /// Path globs.
    pub paths: Vec<String>,
    /// The minimum tier a change touching them gets.
    pub raise_to: RiskTier,
    /// What configuration these paths hold: `deployment` or `access`. A change
    /// to such paths needs docs or a runbook changed with it where the tier
    /// requires `docs_updated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigKind>,
}

/// Configuration whose change should come with updated docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfigKind {
    /// How and where a service is deployed (infrastructure code, pipelines).
    Deployment,
    /// Who may do what (IAM, policies).
    Access,
}

/// A vendor contract.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Stable identifier, e.g. `nimbus-msa-2025`.
    pub id: String,
    /// The vendor company it is with (an id of [[vendors]]).
    pub vendor: String,
    /// First day in force.
    pub starts: Day,
    /// Last day in force.
    pub ends: Day,
    /// Monthly cost, in `currency`.
    pub monthly_cost: Option<f64>,
    /// ISO 4217 currency code of `monthly_cost`.
    pub currency: Option<String>,
    /// The clauses it contains.
    #[serde(default)]
    pub clauses: Clauses,
}

/// The clauses of a contract.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Clauses {
    /// Non-disclosure agreement.
    #[serde(default)]
    pub nda: bool,
    /// Data processing agreement.
    #[serde(default)]
    pub dpa: bool,
    /// What the IP assignment covers (empty: no IP assignment).
    #[serde(default)]
    pub ip_assignment: Vec<IpScope>,
    /// Right to audit the vendor.
    #[serde(default)]
    pub audit_rights: bool,
    /// The vendor discloses its subprocessors.
    #[serde(default)]
    pub subprocessor_disclosure: bool,
    /// Hours within which the vendor must notify a breach.
    pub breach_notification_hours: Option<u32>,
    /// Transition assistance at exit.
    #[serde(default)]
    pub transition_assistance: bool,
    /// Data returned and deleted at exit.
    #[serde(default)]
    pub data_return_deletion: bool,
}

impl Clauses {
    /// Whether the contract has `clause`.
    pub fn has(&self, clause: Clause) -> bool {
        match clause {
            Clause::Nda => self.nda,
            Clause::Dpa => self.dpa,
            Clause::IpAssignment => !self.ip_assignment.is_empty(),
            Clause::AuditRights => self.audit_rights,
            Clause::SubprocessorDisclosure => self.subprocessor_disclosure,
            Clause::BreachNotification => self.breach_notification_hours.is_some(),
            Clause::TransitionAssistance => self.transition_assistance,
            Clause::DataReturnDeletion => self.data_return_deletion,
        }
    }
}
