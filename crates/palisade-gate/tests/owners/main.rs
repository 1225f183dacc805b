//! Ownership: CODEOWNERS read, matched, written and checked, against the
//! shared conformance data, two implementations we did not write, real git
//! repositories and GitHub-shaped access exports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs
)]

mod conformance;
mod drift;
mod model;
mod peers;
mod props;
