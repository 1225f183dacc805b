//! Arguments of `palisade monitor` and `palisade alerts`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// What `palisade monitor --help` shows after the options.
pub(super) const MONITOR_HELP: &str = "\
Reads GitHub and GitLab audit logs, sshd's auth log (syslog or journald) and any
mapped NDJSON log; resolves each actor through the model's identities; judges
each event against the person's declared hours, grants, roles and history
(off hours, after the end, least privilege, mass download, failed logins, new
address, rare hour, security changes, unknown actors); records deduplicated
alerts in the ledger and delivers them to the model's alert hooks.

Examples:
  palisade monitor ingest --source github audit.ndjson --source sshd /var/log/auth.log --year 2026
  palisade monitor follow --source sshd /var/log/auth.log
  palisade alerts list --state open";

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// The operating model
    #[arg(
        long,
        global = true,
        default_value = "palisade.toml",
        help_heading = "Monitor options",
        display_order = 800
    )]
    pub model: PathBuf,

    /// Judge as of this moment (RFC 3339) instead of now: which grants are in force,
    /// when deliveries are due
    #[arg(
        long,
        global = true,
        value_name = "TIME",
        help_heading = "Monitor options",
        display_order = 801
    )]
    pub now: Option<String>,

    #[command(subcommand)]
    pub command: MonitorCommand,
}

#[derive(Debug, Subcommand)]
pub enum MonitorCommand {
    /// Read logs, resolve their actors to people, run every detector, and record
    /// and deliver the alerts
    #[command(after_help = "\
Sources (each --source KIND FILE; FILE may be - for standard input):
  github     GitHub audit log (REST export with include=all), JSON array or NDJSON
  gitlab     GitLab audit events, JSON or NDJSON
  sshd       sshd's auth log as syslog lines (give --year and --zone: syslog has neither)
  journald   journalctl -o json
  ndjson:NAME  any NDJSON log mapped in the model's [[monitor.ndjson]] named NAME
  ledger     Palisade's own ledger in the store (grants, break-glass, credentials): FILE is -

Grants come from the store (every just-in-time grant, its window and whether it
was break-glass); --grants adds windows from a JSON file. What detectors learn
(hours, addresses, baselines) is kept in the store for the next run.

Examples:
  palisade monitor ingest --source github audit.ndjson --source sshd /var/log/auth.log --year 2026 --zone Europe/Paris
  gh api --paginate '/orgs/acme/audit-log?include=all' | palisade monitor ingest --source github -
  palisade monitor ingest --source ndjson:vpn vpn.ndjson --format json")]
    Ingest(IngestArgs),
    /// Follow a growing log (surviving rotation), feeding each new line to the
    /// detectors and recording alerts as they come
    #[command(after_help = "\
Each run resumes where the last one stopped (the position is kept in the store,
by the file's path): lines written while it was stopped are read, and lines it
stored are not read again. A log rotated while it was stopped is read from the
rest of the old file (when it is still beside the new one, as auth.log.1) and
then the new file's start; a truncated one from its start. With no saved
position it starts after the lines already there, like tail -F (--from-start
reads them).

Events, alerts, what the detectors learned and the position are stored every
--checkpoint-secs, whenever the log goes quiet, and on SIGINT or SIGTERM, which
stop it (exit 0). After a crash or SIGKILL the lines since the last checkpoint
are read again: at least once, never skipped.

Examples:
  palisade monitor follow --source sshd /var/log/auth.log --year 2026 --zone UTC
  palisade monitor follow --source sshd /var/log/auth.log --from-start --checkpoint-secs 10")]
    Follow(FollowArgs),
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// A source and its file: `--source github audit.ndjson` (repeat for more)
    #[arg(long = "source", num_args = 2, value_names = ["KIND", "FILE"], required = true)]
    pub sources: Vec<String>,
    /// Grant windows to add to the store's (JSON: [{request, person, role, environment, from, until, break_glass}])
    #[arg(long, value_name = "FILE")]
    pub grants: Option<PathBuf>,
    /// The year of syslog lines (they carry none); default: the current year
    #[arg(long)]
    pub year: Option<i16>,
    /// The time zone of syslog lines without an offset (IANA name); default UTC
    #[arg(long, default_value = "UTC")]
    pub zone: String,
    /// Do not store the events (alerts are still recorded)
    #[arg(long)]
    pub no_events: bool,
    /// Do not deliver alerts now (they stay queued for the next run)
    #[arg(long)]
    pub no_deliver: bool,
    /// The order the files are written in: auto (found from their first
    /// events), oldest-first, or newest-first (GitHub's audit-log API pages
    /// newest first unless asked `order=asc`); a newest-first file is read
    /// backwards
    #[arg(long, default_value = "auto", value_name = "ORDER")]
    pub order: palisade_monitor::order::Order,
    /// How long an event is held so that events a little out of order (hosts'
    /// clocks a little apart, several sources) are judged in time order; an
    /// event later than this is judged late and counted
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub reorder_window: palisade_model::GrantDuration,
}

#[derive(Debug, Args)]
pub struct FollowArgs {
    /// The source kind (github, gitlab, sshd, journald, ndjson:NAME)
    #[arg(long = "source", value_name = "KIND")]
    pub source: String,
    /// The log file to follow
    pub file: PathBuf,
    /// The year of syslog lines
    #[arg(long)]
    pub year: Option<i16>,
    /// The time zone of syslog lines without an offset
    #[arg(long, default_value = "UTC")]
    pub zone: String,
    /// How often to look for new lines, in milliseconds
    #[arg(long, default_value_t = 500)]
    pub poll_ms: u64,
    /// Stop after this many seconds without new lines (default: never)
    #[arg(long, value_name = "SECONDS")]
    pub idle_exit: Option<u64>,
    /// On a first run (no position saved for this file), read the lines already
    /// in it first instead of starting after them; a saved position still wins
    #[arg(long, conflicts_with = "from_end")]
    pub from_start: bool,
    /// Ignore the position saved by the last run and start after the lines already
    /// in the file (lines written while stopped are not read)
    #[arg(long)]
    pub from_end: bool,
    /// Store what was read (events, alerts, what was learned) and the position to
    /// resume from at least this often; also whenever the log goes quiet
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub checkpoint_secs: u64,
}

#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// The operating model
    #[arg(
        long,
        global = true,
        default_value = "palisade.toml",
        help_heading = "Alert options",
        display_order = 800
    )]
    pub model: PathBuf,

    /// Who is acting (a handle, login or e-mail of the model)
    #[arg(
        long = "as",
        global = true,
        env = "PALISADE_ACTOR",
        value_name = "HANDLE",
        help_heading = "Alert options",
        display_order = 801
    )]
    pub actor: Option<String>,

    /// Act as of this moment (RFC 3339) instead of now
    #[arg(
        long,
        global = true,
        value_name = "TIME",
        help_heading = "Alert options",
        display_order = 802
    )]
    pub now: Option<String>,

    #[command(subcommand)]
    pub command: AlertsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// List alerts, latest first
    #[command(
        after_help = "Examples:\n  palisade alerts list --state open --severity high\n  palisade alerts list --person arjun --format json"
    )]
    List {
        /// Only in this state (open, acknowledged, resolved)
        #[arg(long)]
        state: Option<String>,
        /// Only at least this severity (low, medium, high, critical)
        #[arg(long)]
        severity: Option<String>,
        /// Only about this person (a handle)
        #[arg(long)]
        person: Option<String>,
        /// Only from this detector
        #[arg(long)]
        detector: Option<String>,
        /// At most this many
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Show one alert: its sentence, evidence, history and deliveries
    Show {
        /// The alert id
        id: String,
    },
    /// Acknowledge an alert: someone is on it
    #[command(
        after_help = "Example:\n  palisade alerts ack al-3f2a9c0b1d4e --as sofia --reason \"asking arjun about the 2 AM clone\""
    )]
    Ack {
        /// The alert id
        id: String,
        /// Why
        #[arg(long)]
        reason: String,
    },
    /// Resolve an alert, with what was found
    #[command(
        after_help = "Example:\n  palisade alerts resolve al-3f2a9c0b1d4e --as sofia --reason \"release night, agreed with the on-call lead\""
    )]
    Resolve {
        /// The alert id
        id: String,
        /// What was found
        #[arg(long)]
        reason: String,
    },
    /// Deliver queued alerts now (runs also after every ingest)
    Deliver,
}
