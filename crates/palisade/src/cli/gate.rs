//! Arguments of `palisade gate`.

use std::path::PathBuf;

use clap::Args;

/// What `palisade gate --help` shows after the options.
pub(super) const GATE_HELP: &str = "\
The change is what HEAD adds to BASE (from their merge base). Each changed path
maps to its services; the tier is the highest of their risk, of the matching
[[gates.path_rules]] and of the --env minimum ([[gates.environments]]). The
tier's [gates.tiers.*] lists the controls; evidence that names another commit
than HEAD does not count, and no evidence is never a pass.

Examples:
  palisade gate --base origin/main --plan               # what will this change need?
  palisade gate --base \"$BASE_SHA\" --head \"$HEAD_SHA\" --env prod \\
      --evidence junit:results.xml --evidence sarif:bandit.sarif \\
      --evidence scan:scan.json --evidence reviews:reviews.json \\
      --evidence pull-request:pr.json --evidence attestation:provenance.dsse.json \\
      --markdown \"$GITHUB_STEP_SUMMARY\" --github-annotations --junit gate.xml --json gate.json

Every verdict is appended to the ledger (--no-record to skip), with the digests of
the model and of each piece of evidence; with a signing key its receipt is printed.

Exit codes: 0 pass, 0 warn (with a warning line), 1 fail, 2 could not run.";

/// Arguments of `palisade gate`.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// The base of the change: the target branch or its commit (the diff runs from
    /// the merge base of BASE and HEAD, as a pull request shows it)
    #[arg(long, value_name = "REF")]
    pub base: String,

    /// The head of the change: the commit to judge
    #[arg(long, value_name = "REF", default_value = "HEAD")]
    pub head: String,

    /// The target environment (an id of [[environments]]); it may raise the tier
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,

    /// Evidence, repeatable: `[KIND:]PATH`, KIND one of junit, sarif, scan, reviews,
    /// approvals, pull-request, attestation (sniffed from the content when left out)
    #[arg(long, value_name = "[KIND:]PATH")]
    pub evidence: Vec<String>,

    /// Say what the change will need, before any evidence exists (nothing is recorded)
    #[arg(long)]
    pub plan: bool,

    /// The model
    #[arg(long, default_value = "palisade.toml")]
    pub model: PathBuf,

    /// The git repository (or a directory inside it)
    #[arg(long, short = 'C', value_name = "DIR", default_value = ".")]
    pub repository: PathBuf,

    /// The repository as the model's services name it in `repos`, `owner/name`
    /// [default: $GITHUB_REPOSITORY, $CI_PROJECT_PATH, else the `origin` remote's path]
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,

    /// Also write the verdict as JSON to FILE
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub json: Option<PathBuf>,

    /// Also write a Markdown summary to FILE (e.g. "$GITHUB_STEP_SUMMARY")
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub markdown: Option<PathBuf>,

    /// Also print GitHub Actions annotations (workflow commands) on stdout
    #[arg(long, help_heading = "Outputs")]
    pub github_annotations: bool,

    /// Also write the verdict as JUnit XML to FILE, one test case per control
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub junit: Option<PathBuf>,

    /// Also write a SLSA Verification Summary Attestation, signed with the ledger key,
    /// as a DSSE envelope to FILE
    #[arg(long, value_name = "FILE", help_heading = "Outputs")]
    pub vsa: Option<PathBuf>,

    /// Do not append the verdict to the ledger
    #[arg(long, help_heading = "Ledger")]
    pub no_record: bool,

    /// The ledger's signing key, for the receipt and the VSA (default .palisade/ledger.key)
    #[arg(long, env = "PALISADE_LEDGER_KEY", help_heading = "Ledger")]
    pub key: Option<PathBuf>,

    /// Who runs the gate, for the ledger
    #[arg(
        long,
        env = "PALISADE_ACTOR",
        default_value = "palisade-gate",
        help_heading = "Ledger"
    )]
    pub actor: String,

    /// Judge as of this moment (RFC 3339) instead of now: waivers' expiry, the ledger's time
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}
