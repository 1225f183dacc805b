//! Arguments of `palisade metrics`.

use std::path::PathBuf;

use clap::Args;

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
