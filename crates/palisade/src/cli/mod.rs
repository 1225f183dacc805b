//! Command-line definitions (clap derive). Every subcommand has a one-line
//! summary and an example in its `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod access;
mod access_review;
mod deploy;
mod gate;
mod ledger;
mod metrics;
mod monitor;
mod offboard;
mod owners;
mod readiness;
mod report;
mod scan;

pub use access::{AccessArgs, AccessCommand, SecretsCommand};
pub use access_review::{ReviewArgs, ReviewCommand};
pub use deploy::{DeployArgs, DeployCommand, IncidentArgs, IncidentCommand, StatusArg};
pub use gate::GateArgs;
pub use ledger::{LedgerArgs, LedgerCommand, TrustArgs};
pub use metrics::MetricsArgs;
pub use monitor::{AlertsArgs, AlertsCommand, FollowArgs, IngestArgs, MonitorArgs, MonitorCommand};
pub use offboard::OffboardArgs;
pub use owners::{OwnersArgs, OwnersCommand};
pub use readiness::ReadinessArgs;
pub use report::{ReportArgs, ReportFormat};
pub use scan::ScanArgs;

/// Palisade: explicit ownership, risk-based gates, scanning, just-in-time
/// access and tamper-evident evidence for work with external developer teams.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

const AFTER_HELP: &str = "\
Exit codes: 0 clean, 1 findings (model errors, a failed gate, a vendor not ready), 2 refused (a denied access request) or could not run.

Start here:
  palisade init                 write a starter palisade.toml for this repository
  palisade check                validate it
  palisade apply                record it as the current model in the store";

/// Options every subcommand takes, listed under their own heading after
/// each command's own options.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Output format: `human` for people, `json` for machines; `palisade scan`
    /// also writes `jsonl`, `sarif` and `github` (Actions annotations)
    #[arg(long, global = true, value_enum, default_value_t = Format::Human, env = "PALISADE_FORMAT", display_order = 900)]
    pub format: Format,

    /// When to colour human output (NO_COLOR is honoured with `auto`)
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, display_order = 901)]
    pub color: Color,

    /// The store: a SQLite file path or a postgres:// URL
    #[arg(
        long,
        global = true,
        env = "PALISADE_DB",
        default_value = ".palisade/palisade.db",
        hide_env_values = true,
        display_order = 902
    )]
    pub db: String,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text, with source snippets for diagnostics.
    Human,
    /// One JSON document on stdout.
    Json,
    /// One JSON object per line (`palisade scan`: one per finding).
    Jsonl,
    /// SARIF 2.1.0, for code-scanning dashboards (`palisade scan`).
    Sarif,
    /// GitHub Actions annotations (`palisade scan`).
    Github,
}

impl Format {
    /// Whether only `palisade scan` writes this format.
    pub fn scan_only(self) -> bool {
        matches!(self, Format::Jsonl | Format::Sarif | Format::Github)
    }
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the operating model and report problems with their location
    #[command(after_help = "\
Examples:
  palisade check                              # ./palisade.toml
  palisade check examples/acme/palisade.toml
  palisade check --format json | jq '.diagnostics[].code'
  palisade check --deny-warnings              # CI: warnings fail too

Exit codes: 0 no errors, 1 errors found (or warnings with --deny-warnings), 2 could not run.")]
    Check(CheckArgs),

    /// Write a commented starter palisade.toml for the current git repository
    #[command(after_help = "\
Services are guessed from the repository's top-level directories; people
from the authors of HEAD's history (one person per name, through .mailmap,
bots left out); each service's owner and backup owner from its most active
authors of the last year of history, except where CODEOWNERS (.github/, the
root or docs/) names them. With two people or more the result passes
`palisade check`; edit it to make it true. With neither a commit nor a
CODEOWNERS file there is nobody to name, and it stops.

Examples:
  palisade init
  palisade init --output ops/palisade.toml --force")]
    Init(InitArgs),

    /// Find a person by any identity: handle, GitHub or GitLab login, e-mail or SSH principal
    #[command(after_help = "\
Prints their team, vendor and phase, their roles and what those allow, their
vetting status today, their working hours and their local time now. Logins
and e-mail addresses match without regard to case; a leading `@` is fine.

Examples:
  palisade who arjun-menon-nimbus            # a GitHub login from an audit log
  palisade who dana.k@users.noreply.github.com
  palisade who dana-break-glass              # an SSH certificate principal
  palisade who --vendor nimbus               # everyone of one vendor company
  palisade who sofia --format json | jq .grants

Exit codes: 0 found, 1 no such person (the nearest identity is suggested), 2 could not run.")]
    Who(WhoArgs),

    /// Print the JSON Schema of palisade.toml
    #[command(after_help = "\
Example: editors use it for completion and validation, e.g. taplo:
  palisade schema > palisade.schema.json
and `#:schema ./palisade.schema.json` as the first line of palisade.toml.")]
    Schema,

    /// Check the model and record it in the store as the current version
    #[command(after_help = "\
Refuses a model with errors. Recording the same text twice is a no-op.

Examples:
  palisade apply
  palisade apply examples/acme/palisade.toml --db postgres://palisade@db/palisade")]
    Apply(ApplyArgs),

    /// Inspect and migrate the store
    #[command(subcommand)]
    Db(DbCommand),

    /// Find secrets, personal data and plaintext transport in code or git history
    #[command(after_help = scan::SCAN_HELP)]
    Scan(ScanArgs),

    /// The tamper-evident evidence ledger: append, prove, verify, export
    #[command(after_help = ledger::LEDGER_HELP)]
    Ledger(LedgerArgs),

    /// Ownership: CODEOWNERS from the model and checked against it, who owns a path, access drift
    #[command(after_help = owners::OWNERS_HELP)]
    Owners(OwnersArgs),

    /// Judge a change: its risk tier from what it touches, the controls that tier
    /// requires, and the evidence CI produced for each
    #[command(after_help = gate::GATE_HELP)]
    Gate(GateArgs),

    /// Just-in-time access: request a role for a bounded time, approve, revoke, extend
    #[command(after_help = access::ACCESS_HELP)]
    Access(AccessArgs),

    /// Offboard a person, team or vendor: revoke everything, mark them in the model, print the exit checklist
    Offboard(OffboardArgs),

    /// Read audit and auth logs, resolve actors to people, detect unusual access, alert
    #[command(after_help = monitor::MONITOR_HELP)]
    Monitor(MonitorArgs),

    /// The monitor's alerts: list, show, acknowledge, resolve, deliver
    Alerts(AlertsArgs),

    /// Deployments the metrics count: record one from CI, import DevLake NDJSON, list
    #[command(after_help = deploy::DEPLOY_HELP)]
    Deploy(DeployArgs),

    /// Incidents the metrics count: open, resolve, list
    #[command(after_help = deploy::INCIDENT_HELP)]
    Incident(IncidentArgs),

    /// The DORA keys and delivery health of the organisation, a vendor, a team
    /// or a service over a month, each key classified against the DORA 2024 clusters
    #[command(after_help = metrics::METRICS_HELP)]
    Metrics(MetricsArgs),

    /// The monthly review of a vendor, team, service or the organisation: figures,
    /// trends and the readiness scorecard, as HTML with charts, Markdown or JSON
    #[command(after_help = report::REPORT_HELP)]
    Report(ReportArgs),

    /// The readiness scorecard: the control checklist per vendor, each control
    /// pass, warn or fail with its evidence, and what to fix before scaling
    #[command(after_help = readiness::READINESS_HELP)]
    Readiness(ReadinessArgs),
}

// The options every ledger subcommand takes are listed under their own heading, after
// each subcommand's own options (a doc comment here would replace the command's about).
#[derive(Debug, Args)]
pub struct WhoArgs {
    /// Any identity of the person: handle, login, e-mail address or SSH principal
    #[arg(required_unless_present = "vendor", conflicts_with = "vendor")]
    pub query: Option<String>,

    /// List everyone of this vendor company instead (its id in [[vendors]])
    #[arg(long, value_name = "ID")]
    pub vendor: Option<String>,

    /// The model file
    #[arg(long, default_value = "palisade.toml")]
    pub model: PathBuf,

    /// Answer as of this moment (RFC 3339, e.g. 2026-12-06T09:30:00Z) instead of now
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The model file
    #[arg(default_value = "palisade.toml")]
    pub file: PathBuf,

    /// Judge expiry and staleness as of this day (YYYY-MM-DD) instead of today
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,

    /// Treat warnings as errors (exit 1 when there are any)
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the model (default: palisade.toml at the repository root)
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The model file
    #[arg(default_value = "palisade.toml")]
    pub file: PathBuf,

    /// Judge expiry and staleness as of this day (YYYY-MM-DD) instead of today
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Show the backend, schema version, migrations and recorded models
    #[command(
        after_help = "Example:\n  palisade db status --db postgres://palisade@localhost/palisade"
    )]
    Status,
    /// Apply pending migrations (every command also does this on open)
    #[command(after_help = "Example:\n  palisade db migrate --db .palisade/palisade.db")]
    Migrate,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    /// clap checks the whole command tree: a flag that collides with a
    /// global one, or a conflict naming an argument that does not exist,
    /// fails here instead of panicking in a user's hands.
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
