//! Arguments of `palisade scan`.

use std::path::PathBuf;

use clap::Args;

/// What `palisade scan --help` shows after the options.
pub(super) const SCAN_HELP: &str = "\
Sources (default: the working tree at PATH or `.`, respecting .gitignore):
  palisade scan                          # this tree
  palisade scan src/ config/             # some directories
  palisade scan --staged                 # pre-commit: only the lines being committed
  palisade scan --history                # every blob ever committed, once each
  palisade scan --range main..HEAD       # what a branch adds
  cat file | palisade scan --stdin

Reports: --format human (default) | json | jsonl | sarif | github
Silence a finding with a `palisade:allow` comment on its line or the line
above, with scan.allow_paths / scan.allow_patterns in the model, or accept
today's findings once: palisade scan --write-baseline .palisade-baseline.json
and set scan.baseline (fingerprints never depend on line numbers).
Secrets are never printed: only a short prefix, the length and a digest.

Exit codes: 0 no findings, 1 findings, 2 could not run.";

/// Arguments of `palisade scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (the repository, for git sources)
    pub paths: Vec<PathBuf>,

    /// Scan only the lines the staged change adds (pre-commit mode)
    #[arg(long, conflicts_with_all = ["history", "range", "stdin"])]
    pub staged: bool,

    /// Scan every blob of the repository's history once; each secret is reported once, with
    /// every place it occurs and the commit that introduced it
    #[arg(long, conflicts_with_all = ["range", "stdin"])]
    pub history: bool,

    /// Scan the blobs a range of commits introduces, e.g. `main..HEAD` (grouped like
    /// `--history`)
    #[arg(long, value_name = "A..B", conflicts_with = "stdin")]
    pub range: Option<String>,

    /// Scan standard input
    #[arg(long)]
    pub stdin: bool,

    /// The path findings in standard input are reported under
    #[arg(long, default_value = "-", requires = "stdin")]
    pub stdin_name: String,

    /// The model with scan rules, allowlists and data paths (default: ./palisade.toml if present)
    #[arg(long)]
    pub model: Option<PathBuf>,

    /// Baseline of accepted findings (overrides scan.baseline in the model)
    #[arg(long)]
    pub baseline: Option<PathBuf>,

    /// Write the current findings as a baseline to FILE and exit 0
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Do not look for personal data
    #[arg(long)]
    pub no_pii: bool,

    /// Threads (default: one per core)
    #[arg(long)]
    pub threads: Option<usize>,

    /// Append the scan's summary (counts, fingerprints, digests) to the ledger
    #[arg(long)]
    pub record: bool,

    /// Who ran the scan, for the ledger
    #[arg(long, env = "PALISADE_ACTOR", default_value = "palisade-scan")]
    pub actor: String,

    /// What was scanned, for the ledger (default: the path)
    #[arg(long)]
    pub subject: Option<String>,

    /// Report only findings of this severity or worse: `medium` leaves out guessable
    /// passwords and infrastructure identifiers (both `low`) [default: the model's
    /// scan.min_severity, else low]
    #[arg(long, value_name = "SEVERITY", value_parser = ["low", "medium", "high", "critical"])]
    pub min_severity: Option<String>,

    /// No progress line
    #[arg(long, short)]
    pub quiet: bool,
}
