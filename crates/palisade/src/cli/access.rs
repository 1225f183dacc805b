//! Arguments of `palisade access`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

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
    /// Access reviews: keep or revoke every standing role and active grant, with a reason
    #[command(
        after_help = "Examples:\n  palisade access review start --as eleanor\n  palisade access review decide 4 --keep --as sofia --reason \"on the on-call rota\"\n  palisade access review report"
    )]
    Review(super::ReviewArgs),
}
