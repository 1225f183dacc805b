//! Arguments of `palisade deploy` and `palisade incident`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// What `palisade deploy --help` shows after the options.
pub(super) const DEPLOY_HELP: &str = "\
Every deployment recorded is a `deploy.recorded` ledger entry, written with it.

Examples:
  palisade deploy record --service payments-api --env prod --sha \"$GITHUB_SHA\" --status success
  palisade deploy import deployments.ndjson --repo-dir acme/payments=.
  palisade deploy list --env prod --since 2026-10-01T00:00:00Z";

/// What `palisade incident --help` shows after the options.
pub(super) const INCIDENT_HELP: &str = "\
Opening and resolving are `incident.opened` and `incident.resolved` ledger entries.

Examples:
  palisade incident open --service payments-api --severity sev2 --title \"checkout returns 500\"
  palisade incident resolve inc-3f2a9c0b1d4e
  palisade incident list --open";

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The operating model
    #[arg(
        long,
        global = true,
        default_value = "palisade.toml",
        help_heading = "Deploy options",
        display_order = 800
    )]
    pub model: PathBuf,

    /// Who is recording (a handle, login or e-mail of the model)
    #[arg(
        long = "as",
        global = true,
        env = "PALISADE_ACTOR",
        value_name = "HANDLE",
        help_heading = "Deploy options",
        display_order = 801
    )]
    pub actor: Option<String>,

    /// Act as of this moment (RFC 3339) instead of now
    #[arg(
        long,
        global = true,
        value_name = "TIME",
        help_heading = "Deploy options",
        display_order = 802
    )]
    pub now: Option<String>,

    #[command(subcommand)]
    pub command: DeployCommand,
}

/// A deployment's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// It went out.
    Success,
    /// It failed to go out.
    Failure,
}

#[derive(Debug, Subcommand)]
pub enum DeployCommand {
    /// Record one deployment (from CI, after it finished) and ledger it
    #[command(after_help = "\
The commit's repository is the service's only one in `repos`; name it with
--repo when the service lists several or none. Recording the same deployment
twice (same id, or same service, environment, time and commit) records it once.

Examples:
  palisade deploy record --service payments-api --env prod --sha \"$GITHUB_SHA\" --status success --as ci-bot
  palisade deploy record --service payments-api --env prod --sha 3f2a…(40 hex) --status failure \\
      --started 2026-10-05T09:58:00Z --time 2026-10-05T10:04:00Z --id run-4711

Exit codes: 0 recorded (or already recorded), 2 refused or could not run (the reason is printed).")]
    Record {
        /// The service deployed (an id of [[services]])
        #[arg(long)]
        service: String,
        /// The environment deployed to (an id of [[environments]])
        #[arg(long)]
        env: String,
        /// The commit deployed: the full id, 40 (or 64) hex digits
        #[arg(long)]
        sha: String,
        /// The commit's repository, owner/name (default: the service's only repository)
        #[arg(long)]
        repo: Option<String>,
        /// Whether it went out
        #[arg(long, value_enum)]
        status: StatusArg,
        /// When it finished (RFC 3339; default now)
        #[arg(long, value_name = "TIME")]
        time: Option<String>,
        /// When it started (RFC 3339; default: when it finished)
        #[arg(long, value_name = "TIME")]
        started: Option<String>,
        /// Its id (default: made from the service, environment, time and commit)
        #[arg(long)]
        id: Option<String>,
    },
    /// Import deployments from NDJSON in the shape DevLake's deployment webhook accepts
    #[command(after_help = "\
One JSON object per line: {\"id\", \"startedDate\", \"finishedDate\", \"result\"?,
\"environment\"?, \"deploymentCommits\": [{\"repoUrl\", \"commitSha\"}]}. Each repository
URL maps to owner/name and needs a clone (--repo-dir) to learn which services
the deployed commits touch. Each bad line is reported with its number; the
good ones are recorded. Importing a file twice records it once.

Examples:
  palisade deploy import deployments.ndjson --repo-dir acme/payments=../payments --as ci-bot
  jq -c '.[]' export.json | palisade deploy import - --repo-dir acme/shop=. --env prod --format json

Exit codes: 0 every line recorded, 1 some lines or deployments refused (listed), 2 could not run.")]
    Import {
        /// The NDJSON file, or - for standard input
        file: String,
        /// A local clone of a repository: owner/name=PATH (repeat for more)
        #[arg(long = "repo-dir", value_name = "OWNER/NAME=PATH")]
        repo_dirs: Vec<String>,
        /// The repository that holds the model, for services that list no `repos`
        #[arg(long, value_name = "OWNER/NAME")]
        model_repo: Option<String>,
        /// Record every deployment to this environment, whatever the lines say
        #[arg(long)]
        env: Option<String>,
    },
    /// List recorded deployments, oldest first
    #[command(after_help = "\
Examples:
  palisade deploy list --service payments-api --env prod --since 2026-10-01T00:00:00Z
  palisade deploy list --format json | jq length")]
    List {
        /// Only of this service
        #[arg(long)]
        service: Option<String>,
        /// Only to this environment
        #[arg(long)]
        env: Option<String>,
        /// Only those that finished at or after this time (RFC 3339)
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only those that finished before this time (RFC 3339)
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct IncidentArgs {
    /// The operating model
    #[arg(
        long,
        global = true,
        default_value = "palisade.toml",
        help_heading = "Incident options",
        display_order = 800
    )]
    pub model: PathBuf,

    /// Who is acting (a handle, login or e-mail of the model)
    #[arg(
        long = "as",
        global = true,
        env = "PALISADE_ACTOR",
        value_name = "HANDLE",
        help_heading = "Incident options",
        display_order = 801
    )]
    pub actor: Option<String>,

    /// Act as of this moment (RFC 3339) instead of now
    #[arg(
        long,
        global = true,
        value_name = "TIME",
        help_heading = "Incident options",
        display_order = 802
    )]
    pub now: Option<String>,

    #[command(subcommand)]
    pub command: IncidentCommand,
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open an incident on a service, with its severity and, when known, its cause
    #[command(after_help = "\
The severity is one of the model's [metrics] incident_severities (default
sev1 to sev4, most severe first). --cause names the commit that caused it;
--deployment the recorded deployment that shipped it.

Examples:
  palisade incident open --service payments-api --severity sev2 --title \"checkout returns 500\" --as sofia
  palisade incident open --service payments-api --severity sev1 --title \"card data in logs\" \\
      --cause 3f2a…(40 hex) --deployment run-4711 --time 2026-10-05T11:20:00Z

Exit codes: 0 opened (or already open), 2 refused or could not run.")]
    Open {
        /// The service it hit (an id of [[services]])
        #[arg(long)]
        service: String,
        /// Its severity, on the model's scale
        #[arg(long)]
        severity: String,
        /// One line on what happened
        #[arg(long)]
        title: String,
        /// The commit that caused it (full id)
        #[arg(long, value_name = "SHA")]
        cause: Option<String>,
        /// The recorded deployment that caused it
        #[arg(long, value_name = "ID")]
        deployment: Option<String>,
        /// When it started (RFC 3339; default now)
        #[arg(long, value_name = "TIME")]
        time: Option<String>,
        /// Its id (default: made from the service, time and title)
        #[arg(long)]
        id: Option<String>,
    },
    /// Resolve an open incident
    #[command(after_help = "\
An incident is resolved once, and never before it was opened: give the real
time with --time when recording it later.

Example:
  palisade incident resolve inc-3f2a9c0b1d4e --time 2026-10-05T12:05:00Z --as sofia

Exit codes: 0 resolved, 2 refused or could not run.")]
    Resolve {
        /// The incident's id
        id: String,
        /// When it was resolved (RFC 3339; default now)
        #[arg(long, value_name = "TIME")]
        time: Option<String>,
    },
    /// List incidents, oldest first
    #[command(after_help = "\
Examples:
  palisade incident list --open
  palisade incident list --format json")]
    List {
        /// Only those not resolved
        #[arg(long)]
        open: bool,
    },
}
