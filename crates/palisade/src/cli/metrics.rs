//! Arguments of `palisade metrics`.

use std::path::PathBuf;

use clap::Args;

/// What `palisade metrics --help` shows after the options.
pub(super) const METRICS_HELP: &str = "\
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

Exit codes: 0 shown, 2 could not run.";

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Only this vendor company's teams (an id of [[vendors]])
    #[arg(long, value_name = "ID", conflicts_with_all = ["team", "service"])]
    pub vendor: Option<String>,

    /// Only this team (an id of [[teams]])
    #[arg(long, value_name = "ID", conflicts_with = "service")]
    pub team: Option<String>,

    /// Only this service (an id of [[services]])
    #[arg(long, value_name = "ID")]
    pub service: Option<String>,

    /// The calendar month, in the organisation's time zone (default: last month)
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,

    /// A clone of a deployed repository, for lead times (repeat for more)
    #[arg(long = "repo-dir", value_name = "OWNER/NAME=PATH")]
    pub repo_dirs: Vec<String>,

    /// Pull requests as GitHub's pulls JSON (`[OWNER/NAME=]FILE`, repeat for more)
    #[arg(long, value_name = "FILE")]
    pub pulls: Vec<String>,

    /// Their reviews as GitHub's reviews JSON (`[OWNER/NAME#NUMBER=]FILE`, repeat for more)
    #[arg(long, value_name = "FILE")]
    pub reviews: Vec<String>,

    /// The operating model
    #[arg(long, default_value = "palisade.toml")]
    pub model: PathBuf,

    /// Take "last month" as of this moment (RFC 3339) instead of now
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}
