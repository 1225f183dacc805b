//! palisade-store's integration tests: one binary, every store test on both backends
//! (see `palisade_test_support::db` for how the databases are made and when PostgreSQL is skipped).

mod access;
mod errors;
mod ledger;
mod metrics;
mod migrations;
mod models;
mod monitor;
mod monitor_follow;
mod open;

use palisade_test_support::db as common;
