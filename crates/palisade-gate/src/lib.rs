//! Ownership and the risk-based CI gate.
//!
//! - [`codeowners`]: GitHub's CODEOWNERS format, read, matched and written
//!   from the model, and checked against it.
//! - [`owners`]: who answers for a path, and [`drift`]: repository access as
//!   exported from GitHub against the model.
//! - [`diff`]: the paths a change touches, from a tree diff of two commits.
//! - [`evidence`]: what CI already produces (JUnit, SARIF, scan reports,
//!   reviews, pull requests, signed attestations), read into facts.
//! - [`verdict`]: the change's tier, the controls it needs, and the result of
//!   each against the evidence; [`report`] renders it for people and CI, and
//!   [`vsa`] signs it as a SLSA Verification Summary Attestation.
//!
//! Nothing here prints, exits or reads the clock: the caller passes the time.

pub mod codeowners;
pub mod diff;
pub mod drift;
pub mod evaluate;
pub mod evidence;
pub mod owners;
pub mod record;
pub mod report;
pub mod verdict;
pub mod vsa;
