//! Integration tests of palisade-access: grants and their state machine, Cedar decisions, credentials against real sshd and PostgreSQL, signed webhooks, reviews and offboarding.
//!
//! Each suite keeps its own folder; they share one binary so the crate's
//! dependencies are linked once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs
)]

#[path = "../credentials/main.rs"]
mod credentials;
#[path = "../grants/main.rs"]
mod grants;
#[path = "../offboard/main.rs"]
mod offboard;
#[path = "../policy/main.rs"]
mod policy;
#[path = "../postgres/main.rs"]
mod postgres;
#[path = "../request/main.rs"]
mod request;
#[path = "../review/main.rs"]
mod review;
#[path = "../ssh/main.rs"]
mod ssh;
#[path = "../webhook/main.rs"]
mod webhook;
