//! Arguments of `palisade access`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// What `palisade access --help` shows after the options.
pub(super) const ACCESS_HELP: &str = "\
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

Exit codes: 0 done, 2 refused or could not run (the reason is printed).";

#[derive(Debug, Args)]
pub struct AccessArgs {
    /// The operating model
    #[arg(
        long,
        global = true,
        default_value = "palisade.toml",
        help_heading = "Access options",
        display_order = 800
    )]
    pub model: PathBuf,

    /// Who is acting: a handle, login or e-mail of the model. The CLI trusts its
    /// operator; the server authenticates
    #[arg(
        long = "as",
        global = true,
        env = "PALISADE_ACTOR",
        value_name = "HANDLE",
        help_heading = "Access options",
        display_order = 801
    )]
    pub actor: Option<String>,

    /// Act as of this moment (RFC 3339) instead of now
    #[arg(
        long,
        global = true,
        value_name = "TIME",
        help_heading = "Access options",
        display_order = 802
    )]
    pub now: Option<String>,

    /// A file holding the key that seals the issuers' secrets (64 hex digits or
    /// base64 of 32 bytes); or give the key itself in PALISADE_SECRETS_KEY.
    /// Without it, credentials are neither issued nor revoked in outside systems
    #[arg(
        long,
        global = true,
        env = "PALISADE_SECRETS_KEY_FILE",
        value_name = "FILE",
        help_heading = "Access options",
        display_order = 803
    )]
    pub secrets_key_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: AccessCommand,
}

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Ask for a role for a bounded time, with a reason
    #[command(
        after_help = "Example:\n  palisade access request --as arjun --role prod-reader --for 2h --reason \"INC-4711: read payment logs\" --ticket https://tickets.example/INC-4711"
    )]
    Request {
        /// The role (an id of [[roles]])
        #[arg(long)]
        role: String,
        /// Narrow a role whose grants span environments to one of them
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// How long: 30m, 2h, 1h30m (at most the role's max_duration, else [access] max_duration)
        #[arg(long = "for", value_name = "DURATION")]
        duration: String,
        /// Why: what the work is
        #[arg(long)]
        reason: String,
        /// A ticket or incident URL
        #[arg(long)]
        ticket: Option<String>,
        /// Start later (RFC 3339) instead of on approval
        #[arg(long, value_name = "TIME")]
        start: Option<String>,
    },
    /// Approve a request (once enough approvals are in, its grant starts)
    #[command(
        after_help = "Example:\n  palisade access approve req-3f2a9c0b1d4e --as sofia --reason \"on call for INC-4711\""
    )]
    Approve {
        /// The request id
        id: String,
        /// Why
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Refuse a request
    #[command(
        after_help = "Example:\n  palisade access deny req-3f2a9c0b1d4e --as sofia --reason \"use the read-only role\""
    )]
    Deny {
        /// The request id
        id: String,
        /// Why
        #[arg(long)]
        reason: String,
    },
    /// Withdraw an approved or active grant now
    #[command(after_help = "Example:\n  palisade access revoke req-3f2a9c0b1d4e --as eleanor")]
    Revoke {
        /// The request id
        id: String,
    },
    /// Lengthen an active grant (within the role's maximum from its start)
    #[command(
        after_help = "Example:\n  palisade access extend req-3f2a9c0b1d4e --as arjun --by 30m"
    )]
    Extend {
        /// The request id
        id: String,
        /// How much longer: 30m, 1h
        #[arg(long, value_name = "DURATION")]
        by: String,
    },
    /// Withdraw one's own request before its grant starts
    #[command(after_help = "Example:\n  palisade access cancel req-3f2a9c0b1d4e --as arjun")]
    Cancel {
        /// The request id
        id: String,
    },
    /// List requests, newest first
    #[command(
        after_help = "Examples:\n  palisade access list --state pending\n  palisade access list --as arjun --mine --format json"
    )]
    List {
        /// Only requests in this state (pending, approved, active, expired, revoked, denied, cancelled)
        #[arg(long)]
        state: Vec<String>,
        /// Only the acting person's requests
        #[arg(long)]
        mine: bool,
        /// At most this many
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one request, with its approvals
    Show {
        /// The request id
        id: String,
    },
    /// Apply what time has made true: start approved grants, expire ended ones and
    /// requests that waited too long (run it from cron or CI; every command also does)
    Sweep,
    /// Who can reach an environment (or one of its resources) now: standing roles
    /// and active grants
    #[command(
        name = "who-has",
        after_help = "Examples:\n  palisade access who-has prod\n  palisade access who-has prod --resource payments-db --format json"
    )]
    WhoHas {
        /// The environment (an id of [[environments]])
        env: String,
        /// Only this resource of it
        #[arg(long)]
        resource: Option<String>,
    },
    /// Which policies allow or deny a request, and each approval's standing
    #[command(after_help = "Example:\n  palisade access explain req-3f2a9c0b1d4e")]
    Explain {
        /// The request id
        id: String,
    },
    /// Take a role at once for an incident, without approval, for at most
    /// [access] break_glass_max; recorded loudly and reviewed afterwards
    #[command(
        name = "break-glass",
        after_help = "Example:\n  palisade access break-glass --as james --role incident-responder --env prod --for 30m --reason \"INC-4711: payments down\" --ticket https://tickets.example/INC-4711"
    )]
    BreakGlass {
        /// The role (an id of [[roles]])
        #[arg(long)]
        role: String,
        /// Narrow a role whose grants span environments to one of them
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// How long: at most [access] break_glass_max (default 1h)
        #[arg(long = "for", value_name = "DURATION")]
        duration: String,
        /// The incident
        #[arg(long)]
        reason: String,
        /// The incident's ticket URL
        #[arg(long)]
        ticket: Option<String>,
    },
    /// Review a break-glass use afterwards (someone who may approve the role, not its user);
    /// without an id, list the uses still waiting for review
    #[command(
        name = "break-glass-review",
        after_help = "Examples:\n  palisade access break-glass-review\n  palisade access break-glass-review req-3f2a9c0b1d4e --as sofia --reason \"INC-4711 justified it; no data touched\""
    )]
    BreakGlassReview {
        /// The break-glass request id
        id: Option<String>,
        /// What the review found (required with an id)
        #[arg(long, requires = "id")]
        reason: Option<String>,
        /// List every use, reviewed or not
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
    /// Get an OpenSSH certificate for an active grant, valid exactly for its window
    #[command(
        after_help = "Example:\n  palisade access cert req-3f2a9c0b1d4e --as james --key ~/.ssh/id_ed25519.pub -o ~/.ssh/id_ed25519-cert.pub\n  ssh -i ~/.ssh/id_ed25519 james@bastion.prod.acme.internal"
    )]
    Cert {
        /// The request id of the active grant
        id: String,
        /// Your public key (an OpenSSH .pub file)
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The SSH host resource, when the grant reaches several
        #[arg(long)]
        resource: Option<String>,
        /// Only from these addresses (CIDR list, e.g. 10.0.0.0/8,192.0.2.7/32)
        #[arg(long, value_name = "CIDRS")]
        source_address: Option<String>,
        /// Write the certificate here (default: print it)
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Get a temporary PostgreSQL login for an active grant, dropped when it ends
    #[command(
        name = "db-login",
        after_help = "Example:\n  palisade access db-login req-3f2a9c0b1d4e --as james -o ~/.pgpass-incident\n  PGPASSFILE=~/.pgpass-incident psql \"postgres://palisade_g_…@payments-db.prod.acme.internal:5432/payments\""
    )]
    DbLogin {
        /// The request id of the active grant
        id: String,
        /// The database resource, when the grant reaches several
        #[arg(long)]
        resource: Option<String>,
        /// The password file to write (mode 0600, libpq's .pgpass format); the password is never printed
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// The credentials issued for a request, and where each is in its life
    #[command(
        after_help = "Example:\n  palisade access credentials req-3f2a9c0b1d4e --format json"
    )]
    Credentials {
        /// The request id
        id: String,
    },
    /// The issuers' secrets: the SSH certificate authority and database admin logins,
    /// stored sealed under the secrets key
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Access reviews: keep or revoke every standing role and active grant, with a reason
    #[command(
        after_help = "Examples:\n  palisade access review start --as eleanor\n  palisade access review decide 4 --keep --as sofia --reason \"on the on-call rota\"\n  palisade access review report"
    )]
    Review(super::ReviewArgs),
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Create the SSH certificate authority; prints the line for sshd's TrustedUserCAKeys
    #[command(
        name = "ca-init",
        after_help = "Example:\n  palisade access secrets ca-init --as eleanor --secrets-key-file /etc/palisade/secrets.key > /etc/ssh/palisade-ca.pub\n  # sshd_config: TrustedUserCAKeys /etc/ssh/palisade-ca.pub\n  #              RevokedKeys <the model's [access] ssh_krl>"
    )]
    CaInit {
        /// Replace an existing CA (every certificate it signed stops working)
        #[arg(long)]
        replace: bool,
    },
    /// Print the CA's public key line
    #[command(name = "ca-public-key")]
    CaPublicKey,
    /// Store the admin login of a database resource, read from standard input
    /// (never from the command line, where it would show in the process list)
    #[command(
        name = "db-admin",
        after_help = "Example:\n  printf '%s' \"$PAYMENTS_ADMIN_URL\" | palisade access secrets db-admin --as eleanor --env prod --resource payments-db"
    )]
    DbAdmin {
        /// The environment
        #[arg(long)]
        env: String,
        /// The database resource
        #[arg(long)]
        resource: String,
    },
}
