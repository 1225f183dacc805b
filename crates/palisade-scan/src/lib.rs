//! Secret, personal-data and plaintext-transport detection for working trees, staged
//! changes and git history.
//!
//! [`rules`] loads the detection rules (built in, and the model's own), [`engine`] finds
//! them in a buffer (a keyword prefilter, then only the rules whose keywords occur),
//! [`checks`] holds the tests a match must pass before it counts, [`published`] the
//! vendors' published example credentials that are never reported, [`pii`] the
//! personal-data detectors. [`scan`] scans one buffer or file: it skips what cannot hold
//! text, places findings in their file and drops the suppressed ones. [`source`] runs
//! whole scans of a tree, the staged change, a range of commits or the whole history
//! (blobs from [`git`]); [`setup`] builds a scan from the model and reports the mistakes
//! of its `[scan]` table as diagnostics, [`output`] renders the report for people,
//! machines, SARIF and GitHub, and [`summary`] turns it into the ledger's `scan.summary`
//! event.
//!
//! It never prints, exits, reads the clock or the environment: the caller shows progress,
//! times the scan and passes in the current directory and the time of day.

// A library never prints or exits: the binary decides what reaches the terminal and
// with which exit code.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

pub mod checks;
mod configs;
pub mod engine;
pub mod finding;
pub mod git;
pub mod output;
pub mod pii;
pub mod published;
pub mod rules;
pub mod scan;
pub mod setup;
pub mod source;
pub mod summary;

pub use source::{
    HistoryScan, Progress, ScanError, StagedScan, TreeScan, scan_bytes, scan_history, scan_range,
    scan_staged, scan_tree,
};
