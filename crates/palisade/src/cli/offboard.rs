//! Arguments of `palisade offboard`.

use std::path::PathBuf;

use clap::{ArgGroup, Args};

#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("who").required(true).multiple(false).args(["person", "team", "vendor"])),
    after_help = "\
Withdraws every request and grant the leavers have open (pending ones denied,
active ones revoked, with their SSH certificates put in the KRL and their
temporary database roles dropped when the secrets key is given), marks them
offboarded in palisade.toml and takes their standing roles away (comments and
layout kept), and prints the services that need new owners, the shared
credentials to rotate and the exit checklist of the vendor's contract. Every
step is a ledger entry. People already offboarded are skipped and named.

palisade.toml is replaced atomically. When it cannot be written (read-only,
a generated file) the exact change is printed as a diff to apply by hand.
`palisade check` then fails until the services listed have new owners.

Examples:
  palisade offboard arjun --as eleanor --dry-run     # what it would do
  palisade offboard arjun --as eleanor
  palisade offboard --team nimbus-mobile --as sofia
  palisade offboard --vendor harbor --as eleanor --format json

Exit codes: 0 done (or nothing to do), 1 done but palisade.toml could not be
written (apply the printed change), 2 refused or could not run."
)]
pub struct OffboardArgs {
    /// The person who leaves: a handle, login, e-mail or SSH principal of the model
    pub person: Option<String>,

    /// Offboard every member of this team instead (an id of [[teams]])
    #[arg(long, value_name = "ID")]
    pub team: Option<String>,

    /// Offboard everyone of this vendor company instead (an id of [[vendors]])
    #[arg(long, value_name = "ID")]
    pub vendor: Option<String>,

    /// The operating model, edited in place
    #[arg(long, default_value = "palisade.toml")]
    pub model: PathBuf,

    /// Who is offboarding them: an active member of an internal team
    #[arg(long = "as", env = "PALISADE_ACTOR", value_name = "HANDLE")]
    pub actor: Option<String>,

    /// Act as of this moment (RFC 3339) instead of now; its UTC day is the leaving day
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,

    /// Only print the plan and the change to palisade.toml; change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// A file holding the key that seals the issuers' secrets; or give the key
    /// itself in PALISADE_SECRETS_KEY. Without it, issued credentials are not
    /// revoked in outside systems (they still expire by themselves)
    #[arg(long, env = "PALISADE_SECRETS_KEY_FILE", value_name = "FILE")]
    pub secrets_key_file: Option<PathBuf>,
}
