//! Integration tests of palisade-monitor: detection rules, alert states and delivery, a real sshd's log, and GitHub's own audit-log example.
//!
//! Each suite keeps its own folder; they share one binary so the crate's
//! dependencies are linked once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs
)]

#[path = "../alerts/main.rs"]
mod alerts;
#[path = "../detect/main.rs"]
mod detect;
#[path = "../github/main.rs"]
mod github;
#[path = "../sshd/main.rs"]
mod sshd;
