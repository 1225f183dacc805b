//! Palisade's governance metrics. It reads what the other engines record
//! (deployments and incidents recorded here, gate verdicts, waivers, scan
//! summaries, grants, break-glass uses and alerts from the ledger, commits
//! from git, pull requests and reviews from GitHub's JSON) and measures, per
//! organisation, vendor, team and service and per period:
//!
//! - the DORA keys, each classified against the 2024 clusters;
//! - delivery health, platform health and risk, knowledge transfer, and the
//!   cost to deliver;
//! - the readiness scorecard: the control checklist, each control pass, warn
//!   or fail with its evidence;
//! - the monthly review, as HTML with inline SVG charts, Markdown and JSON.
//!
//! A figure with nothing behind it is [`measure::Measured::NoData`], with the
//! reason, never a zero presented as a measurement. Bad input (deployments of
//! unknown commits, incidents without a service, clock skew, rewritten or
//! shallow history) is counted in [`input::DataIssues`] and shown with the
//! figures it touches.
//!
//! Nothing here prints, exits or reads the clock: the caller passes the time.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

pub mod cost;
pub mod delivery;
pub mod devlake;
pub mod dora;
pub mod facts;
pub mod github;
pub mod history;
pub mod input;
pub mod knowledge;
pub mod load;
pub mod measure;
pub mod period;
pub mod platform;
pub mod readiness;
pub mod record;
pub mod render;
pub mod review;
