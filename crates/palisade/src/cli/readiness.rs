//! Arguments of `palisade readiness`.

use std::path::PathBuf;

use clap::Args;

/// What `palisade readiness --help` shows after the options.
pub(super) const READINESS_HELP: &str = "\
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

Exit codes: 0 ready to scale, 1 not ready, 2 could not run.";

#[derive(Debug, Args)]
pub struct ReadinessArgs {
    /// Only this vendor company (an id of [[vendors]]); default: the
    /// organisation and every vendor
    #[arg(long, value_name = "ID")]
    pub vendor: Option<String>,

    /// The clone of a repository the model's services name, for runbooks
    /// and CODEOWNERS (repeat for more)
    #[arg(long = "repo-dir", value_name = "OWNER/NAME=PATH")]
    pub repo_dirs: Vec<String>,

    /// A CODEOWNERS file to check against the model (over the tracked
    /// paths of the repository that holds it)
    #[arg(long, value_name = "FILE")]
    pub codeowners: Option<PathBuf>,

    /// A repository's collaborators exported from GitHub (`gh api
    /// repos/OWNER/NAME/collaborators`), to compare with the model
    #[arg(long, value_name = "FILE")]
    pub permissions: Option<PathBuf>,

    /// The repository (OWNER/NAME) the --permissions export is of, when the
    /// model's services name several
    #[arg(long, value_name = "OWNER/NAME")]
    pub permissions_repo: Option<String>,

    /// The operating model
    #[arg(long, default_value = "palisade.toml")]
    pub model: PathBuf,

    /// Judge as of this moment (RFC 3339) instead of now
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}
