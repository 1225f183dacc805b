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
    #[command(after_help = "\
Sources (default: the working tree at PATH or `.`, respecting .gitignore):
  palisade scan                          # this tree
  palisade scan src/ config/             # some directories
  palisade scan --staged                 # pre-commit: only the lines being committed
  palisade scan --history                # every blob ever committed, once each
  palisade scan --range main..HEAD       # what a branch adds
  cat file | palisade scan --stdin

Reports: --format human (default) | json | jsonl | sarif | github
Silence a finding with a `palisade:allow` comment on its line or the line
above, with scan.allow_paths / scan.allow_patterns in the model, or accept
today's findings once: palisade scan --write-baseline .palisade-baseline.json
and set scan.baseline (fingerprints never depend on line numbers).
Secrets are never printed: only a short prefix, the length and a digest.

Exit codes: 0 no findings, 1 findings, 2 could not run.")]
    Scan(ScanArgs),

    /// The tamper-evident evidence ledger: append, prove, verify, export
    #[command(after_help = "\
Every decision Palisade makes is an entry in an RFC 9162 Merkle log with
Ed25519-signed checkpoints (C2SP formats). Examples:
  palisade ledger keygen                        # once: the log's signing key
  palisade ledger append --kind gate.verdict --subject payments-api --data '{\"pass\":true}'
  palisade ledger tail -n 20 --kind access.grant
  palisade ledger prove 41 -o receipt.txt       # a receipt anyone can check offline
  palisade ledger verify                        # re-hash everything, name the first divergence
  palisade ledger export --since 2026-10-01 --until 2026-11-01 -o evidence/")]
    Ledger(LedgerArgs),

    /// Ownership: CODEOWNERS from the model and checked against it, who owns a path, access drift
    #[command(after_help = "\
Examples:
  palisade owners codeowners -o .github/CODEOWNERS   # write it from the model
  palisade owners check                              # CI: CODEOWNERS agrees, every file owned
  palisade owners who services/payments-api/main.go  # whom to call, and their local time
  palisade owners drift --collaborators collaborators.json --teams teams.json

Exit codes: 0 clean, 1 findings (disagreements, unowned paths, drift), 2 could not run.")]
    Owners(OwnersArgs),

    /// Judge a change: its risk tier from what it touches, the controls that tier
    /// requires, and the evidence CI produced for each
    #[command(after_help = "\
The change is what HEAD adds to BASE (from their merge base). Each changed path
maps to its services; the tier is the highest of their risk, of the matching
[[gates.path_rules]] and of the --env minimum ([[gates.environments]]). The
tier's [gates.tiers.*] lists the controls; evidence that names another commit
than HEAD does not count, and no evidence is never a pass.

Examples:
  palisade gate --base origin/main --plan               # what will this change need?
  palisade gate --base \"$BASE_SHA\" --head \"$HEAD_SHA\" --env prod \\
      --evidence junit:results.xml --evidence sarif:bandit.sarif \\
      --evidence scan:scan.json --evidence reviews:reviews.json \\
      --evidence pull-request:pr.json --evidence attestation:provenance.dsse.json \\
      --markdown \"$GITHUB_STEP_SUMMARY\" --github-annotations --junit gate.xml --json gate.json

Every verdict is appended to the ledger (--no-record to skip), with the digests of
the model and of each piece of evidence; with a signing key its receipt is printed.

Exit codes: 0 pass, 0 warn (with a warning line), 1 fail, 2 could not run.")]
    Gate(GateArgs),

    /// Just-in-time access: request a role for a bounded time, approve, revoke, extend
    #[command(after_help = "\
A request names a role, how long and why; the Cedar policies generated from the
model (eligibility by team kind and phase, maximum duration, approvers, vetting)
decide who may ask and who may approve; once enough approvals are in, the grant
starts and ends by itself. Every step is a ledger entry, written with the change.
The CLI trusts its operator's --as; the server authenticates.

Examples:
  palisade access request --as arjun --role prod-reader --for 2h --reason \"INC-4711\"
  palisade access list --state pending
  palisade access approve req-3f2a9c0b1d4e --as sofia
  palisade access explain req-3f2a9c0b1d4e
  palisade access revoke req-3f2a9c0b1d4e --as eleanor

Exit codes: 0 done, 2 refused or could not run (the reason is printed).")]
    Access(AccessArgs),

    /// Offboard a person, team or vendor: revoke everything, mark them in the model, print the exit checklist
    Offboard(OffboardArgs),

    /// Read audit and auth logs, resolve actors to people, detect unusual access, alert
    #[command(after_help = "\
Reads GitHub and GitLab audit logs, sshd's auth log (syslog or journald) and any
mapped NDJSON log; resolves each actor through the model's identities; judges
each event against the person's declared hours, grants, roles and history
(off hours, after the end, least privilege, mass download, failed logins, new
address, rare hour, security changes, unknown actors); records deduplicated
alerts in the ledger and delivers them to the model's alert hooks.

Examples:
  palisade monitor ingest --source github audit.ndjson --source sshd /var/log/auth.log --year 2026
  palisade monitor follow --source sshd /var/log/auth.log
  palisade alerts list --state open")]
    Monitor(MonitorArgs),

    /// The monitor's alerts: list, show, acknowledge, resolve, deliver
    Alerts(AlertsArgs),

    /// Deployments the metrics count: record one from CI, import DevLake NDJSON, list
    #[command(after_help = "\
Every deployment recorded is a `deploy.recorded` ledger entry, written with it.

Examples:
  palisade deploy record --service payments-api --env prod --sha \"$GITHUB_SHA\" --status success
  palisade deploy import deployments.ndjson --repo-dir acme/payments=.
  palisade deploy list --env prod --since 2026-10-01T00:00:00Z")]
    Deploy(DeployArgs),

    /// Incidents the metrics count: open, resolve, list
    #[command(after_help = "\
Opening and resolving are `incident.opened` and `incident.resolved` ledger entries.

Examples:
  palisade incident open --service payments-api --severity sev2 --title \"checkout returns 500\"
  palisade incident resolve inc-3f2a9c0b1d4e
  palisade incident list --open")]
    Incident(IncidentArgs),

    /// The DORA keys and delivery health of the organisation, a vendor, a team
    /// or a service over a month, each key classified against the DORA 2024 clusters
    #[command(after_help = "\
Deployments and incidents come from the store (palisade deploy / incident);
lead times from the history of each deployed repository given with
--repo-dir; review latency and pull request size from GitHub's pulls and
reviews JSON. A figure with nothing behind it says \"no data\" and why; bad
input (unknown commits, clock skew, force-pushed or shallow history) is
counted under \"data issues\". Definitions: docs/metrics.md.

Examples:
  palisade metrics --month 2026-10 --repo-dir acme/payments=../payments
  palisade metrics --vendor nimbus --month 2026-10 --repo-dir acme/payments=../payments
  palisade metrics --team payments --pulls acme/payments=pulls.json --reviews reviews.json
  palisade metrics --service ledger --format json | jq .dora.lead_time

Exit codes: 0 shown, 2 could not run.")]
    Metrics(MetricsArgs),

    /// The monthly review of a vendor, team, service or the organisation: figures,
    /// trends and the readiness scorecard, as HTML with charts, Markdown or JSON
    #[command(after_help = "\
One self-contained HTML file (inline SVG charts, no script, nothing fetched,
printable), Markdown tables, or JSON. Its figures: the DORA keys, delivery and
platform health, knowledge transfer and the cost to deliver of the month, with
their trend over --months months (deployments per week, lead times, change
failure rate and recovery time, alerts by severity) and the readiness
scorecard. A figure with nothing behind it says \"no data\" and why.

Examples:
  palisade report --vendor nimbus --month 2026-10 -o review.html
  palisade report --team payments --month 2026-10 -o review.md
  palisade report --month 2026-10 --as json -o - | jq .trend.monthly
  palisade report --vendor nimbus --repo-dir acme/platform=../platform -o review.html

Exit codes: 0 written, 2 could not run.")]
    Report(ReportArgs),

    /// The readiness scorecard: the control checklist per vendor, each control
    /// pass, warn or fail with its evidence, and what to fix before scaling
    #[command(after_help = "\
Controls, in order: service owners, CODEOWNERS and repository permissions
against the model, no standing vendor production access, vetting of everyone
with production access, contracts, access reviews, gate verdicts on production
deployments, secret scanning, runbook freshness, metrics trend. Thresholds are
in [org.policy.readiness]. A control without evidence warns and says so. The
verdict is \"ready to scale\" only when every control passes; otherwise the
controls to fix, failing before warning.

Examples:
  palisade readiness
  palisade readiness --vendor nimbus --repo-dir acme/payments=../payments
  palisade readiness --codeowners .github/CODEOWNERS --permissions collaborators.json
  palisade readiness --vendor nimbus --format json | jq '.scorecards[0].fix_first'

Exit codes: 0 ready to scale, 1 not ready, 2 could not run.")]
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
