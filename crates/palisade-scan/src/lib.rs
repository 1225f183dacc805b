//! Secret, personal-data and plaintext-transport detection for working trees, staged
//! changes and git history.
//!
//! [`rules`] loads the detection rules (built in, and the model's own), [`engine`] finds
//! them in a buffer (a keyword prefilter, then only the rules whose keywords occur),
//! [`checks`] holds the tests a match must pass before it counts, [`pii`] the
//! personal-data detectors. [`scan`] walks a tree (or takes buffers from [`git`] or
//! standard input), skips what cannot hold text, places findings in their file and
//! drops the suppressed ones; [`setup`] builds all that from the model, and [`output`]
//! renders the report for people, machines, SARIF and GitHub.

pub mod checks;
pub mod engine;
pub mod finding;
pub mod git;
pub mod output;
pub mod pii;
pub mod rules;
pub mod scan;
pub mod setup;
