//! Integration tests of palisade-metrics: recorded inputs, the hand-computed delivery fixture and platform health from real engines' ledger entries.
//!
//! Each suite keeps its own folder; they share one binary so the crate's
//! dependencies are linked once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs
)]

#[path = "../fixture/main.rs"]
mod fixture;
#[path = "../inputs/main.rs"]
mod inputs;
#[path = "../platform/main.rs"]
mod platform;
