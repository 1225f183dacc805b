//! Temporary PostgreSQL roles, against a real server: the test PostgreSQL of
//! `scripts/ensure-postgres`, which checks passwords (SCRAM-SHA-256) on every
//! TCP login, so a refused login here is PostgreSQL refusing it. Each test
//! gets a fresh database with its own mapped roles and a `payments` table.

mod errors;
mod issue;
mod quoting;
mod revoke;
pub(crate) mod support;
mod sweep;
