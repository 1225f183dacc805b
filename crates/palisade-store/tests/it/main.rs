//! palisade-store's integration tests: one binary, every store test on both backends
//! (see `common` for how the databases are made and when PostgreSQL is skipped).

mod common;
mod errors;
mod ledger;
mod migrations;
mod models;
mod open;
