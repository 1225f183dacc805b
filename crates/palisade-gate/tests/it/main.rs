//! Integration tests of palisade-gate: CODEOWNERS against the model and peers, evidence from CI formats, attestations, verdicts and their reports.
//!
//! Each suite keeps its own folder; they share one binary so the crate's
//! dependencies are linked once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs
)]

#[path = "../attestation/main.rs"]
mod attestation;
#[path = "../evidence/main.rs"]
mod evidence;
#[path = "../gate/main.rs"]
mod gate;
#[path = "../owners/main.rs"]
mod owners;
#[path = "../report/main.rs"]
mod report;
