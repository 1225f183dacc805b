//! Arguments of `palisade report`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// What `palisade report --help` shows after the options.
pub(super) const REPORT_HELP: &str = "\
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

Exit codes: 0 written, 2 could not run.";

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("scope").args(["vendor", "team", "service"]).multiple(false))]
pub struct ReportArgs {
    /// Review this vendor company (an id of [[vendors]]): all its teams
    #[arg(long, value_name = "ID")]
    pub vendor: Option<String>,

    /// Review this team (an id of [[teams]])
    #[arg(long, value_name = "ID")]
    pub team: Option<String>,

    /// Review this service (an id of [[services]])
    #[arg(long, value_name = "ID")]
    pub service: Option<String>,

    /// The month to review, YYYY-MM in the organisation's time zone (default: the last full month)
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,

    /// How many months the trends cover, ending with the reviewed one
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=36))]
    pub months: u32,

    /// Where to write the review (`-` for standard output); the extension
    /// .html, .md or .json picks the format unless --as is given
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    pub output: PathBuf,

    /// The format to write, whatever the file is called
    #[arg(long = "as", value_enum, value_name = "FORMAT")]
    pub as_format: Option<ReportFormat>,

    /// The clone of a repository the deployments name, for lead times and runbooks
    /// (repeat for more)
    #[arg(long = "repo-dir", value_name = "OWNER/NAME=PATH")]
    pub repo_dirs: Vec<String>,

    /// Pull requests as GitHub's pulls JSON (`[OWNER/NAME=]FILE`, repeat for more), for delivery health
    #[arg(long, value_name = "FILE")]
    pub pulls: Vec<String>,

    /// Their reviews as GitHub's reviews JSON (`[OWNER/NAME#NUMBER=]FILE`, repeat for more)
    #[arg(long, value_name = "FILE")]
    pub reviews: Vec<String>,

    /// The operating model
    #[arg(long, default_value = "palisade.toml")]
    pub model: PathBuf,

    /// Produce it as of this moment (RFC 3339) instead of now
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

/// A format of the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML file with inline SVG charts.
    Html,
    /// Markdown tables, without charts.
    Markdown,
    /// The review as JSON.
    Json,
}
