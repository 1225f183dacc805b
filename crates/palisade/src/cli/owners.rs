//! Arguments of `palisade owners` and its subcommands.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// What `palisade owners --help` shows after the options.
pub(super) const OWNERS_HELP: &str = "\
Examples:
  palisade owners codeowners -o .github/CODEOWNERS   # write it from the model
  palisade owners check                              # CI: CODEOWNERS agrees, every file owned
  palisade owners who services/payments-api/main.go  # whom to call, and their local time
  palisade owners drift --collaborators collaborators.json --teams teams.json

Exit codes: 0 clean, 1 findings (disagreements, unowned paths, drift), 2 could not run.";

#[derive(Debug, Args)]
pub struct OwnersArgs {
    /// The operating model
    #[arg(
        long,
        global = true,
        default_value = "palisade.toml",
        help_heading = "Owners options",
        display_order = 800
    )]
    pub model: PathBuf,

    /// The repository, `owner/name`: its services are those that list it in
    /// `repos`, and those with no `repos` (which live where the model does)
    #[arg(
        long,
        global = true,
        value_name = "OWNER/NAME",
        help_heading = "Owners options",
        display_order = 801
    )]
    pub repo: Option<String>,

    #[command(subcommand)]
    pub command: OwnersCommand,
}

#[derive(Debug, Subcommand)]
pub enum OwnersCommand {
    /// Write the repository's CODEOWNERS from the model
    #[command(after_help = "\
Each service's path globs become root-anchored patterns owned by the team's
GitHub team, then the primary owner, then the backup owner (@login). A glob
CODEOWNERS cannot express (a [ ] class, white space) or an owner without a
GitHub login stops it, naming the service and the fix. So does a model that
`palisade check` rejects (overlapping services would give a path two lines).

Examples:
  palisade owners codeowners -o .github/CODEOWNERS
  palisade owners codeowners --repo acme/payments --model ops/palisade.toml -o CODEOWNERS

Exit codes: 0 written, 2 could not write (the reason names the service or
the model's errors).")]
    Codeowners {
        /// Write to FILE instead of standard output
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },

    /// Check CODEOWNERS against the model, and that every tracked file has an owner
    #[command(after_help = "\
CODEOWNERS is read the way GitHub reads it (last matching line wins, invalid
lines are reported and skipped). Every file git tracks (the index, or HEAD's
tree) is compared: the owners CODEOWNERS gives it against those the model
gives its service. Every line is also read on its own: an owner who is no
team, primary or backup owner of a service in the repository is reported
with the line number, even if the line matches no tracked file. Without
--codeowners, the file is looked for where GitHub looks: .github/CODEOWNERS,
CODEOWNERS, docs/CODEOWNERS.

Examples:
  palisade owners check
  palisade owners check --codeowners .github/CODEOWNERS --repo acme/payments
  palisade owners check --format json | jq '.disagreements[].path'

Exit codes: 0 clean, 1 disagreements, unowned files, unexpected owners or
invalid lines, 2 could not run.")]
    Check {
        /// The CODEOWNERS file (default: found as GitHub finds it)
        #[arg(long, value_name = "FILE")]
        codeowners: Option<PathBuf>,

        /// The repository whose tracked files are checked (default: the one
        /// holding the CODEOWNERS file, else the current directory)
        #[arg(long, value_name = "DIR")]
        tree: Option<PathBuf>,

        /// List at most N paths per group in human output (0: all)
        #[arg(long, default_value_t = 5, value_name = "N")]
        show: usize,
    },

    /// Who answers for paths: owning service, primary and backup owner, escalation
    #[command(after_help = "\
Paths are relative to the repository root. Each owner is shown with their
GitHub login, team, time zone and local time now, and whether that is
inside their working hours. A path no service of the repository owns, but
a service of another repository claims, is answered with those services and
the --repo to pass. A model `palisade check` rejects is used with a warning.

Examples:
  palisade owners who services/payments-api/src/main.rs
  palisade owners who --repo acme/platform infra/prod/main.tf docs/site/index.md
  palisade owners who web/checkout/app.ts --format json | jq '.[0].services[0].escalation'

Exit codes: 0 every path has an owner, 1 some path has none, 2 could not run.")]
    Who {
        /// Paths, relative to the repository root
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<String>,

        /// Answer as of this moment (RFC 3339) instead of now
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
    },

    /// Compare repository access exported from GitHub with the model
    #[command(after_help = "\
Export the repository's access with the GitHub CLI, then compare:
  gh api --paginate repos/acme/payments/collaborators > collaborators.json
  gh api --paginate repos/acme/payments/teams > teams.json
  palisade owners drift --repo acme/payments --collaborators collaborators.json --teams teams.json

Reported: vendor people or teams with admin or maintain rights; write access
to a repository where the person's (or team's) team owns no service; an
offboarded person with any access; logins and GitHub teams the model does
not know. --repo defaults to the one repository the model's services name.
Services with no `repos` live in the repository holding the model: --home
names it (default: the model's git `origin` remote on GitHub, else --repo).

Exit codes: 0 no drift, 1 drift found, 2 could not run.")]
    Drift {
        /// `GET /repos/{owner}/{repo}/collaborators`, as JSON
        #[arg(long, value_name = "FILE")]
        collaborators: PathBuf,

        /// `GET /repos/{owner}/{repo}/teams`, as JSON
        #[arg(long, value_name = "FILE")]
        teams: Option<PathBuf>,

        /// The repository holding the model, `owner/name`
        #[arg(long, value_name = "OWNER/NAME")]
        home: Option<String>,
    },
}
