//! Palisade's persistence layer: one schema on SQLite (a file, zero set-up, the default) or
//! PostgreSQL (by URL, for several server replicas), with versioned migrations run on open.
//!
//! This is the only crate that speaks SQL: other crates call typed methods on [`Store`]
//! and never see a query. That includes the evidence ledger's storage
//! ([`Store::ledger_begin`] and the `ledger_*` reads): entries, Merkle node hashes and
//! checkpoints as bytes, with appends serialised in the database so that several
//! processes or replicas can share one log; the Merkle math lives in palisade-ledger,
//! which this crate does not depend on.
//!
//! It is not a general database toolkit, an ORM or a cache; it does not print, read
//! environment variables or exit (the binary does that).
//!
//! ```no_run
//! # async fn demo() -> Result<(), palisade_store::StoreError> {
//! let store = palisade_store::Store::open(".palisade/palisade.db").await?;
//! if let Some((version, _content)) = store.latest_model().await? {
//!     let _ = (version.id, version.sha256);
//! }
//! store.close().await;
//! # Ok(())
//! # }
//! ```

// A library never prints or exits: the binary decides what reaches the terminal and
// with which exit code.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

mod access;
mod access_credentials;
mod access_review;
mod error;
mod ledger;
mod location;
mod metrics;
mod migrate;
mod model;
mod monitor;
mod monitor_follow;
mod monitor_last_use;
mod monitor_profiles;
mod reader;
mod store;

pub use access::{AccessDecisionRow, AccessFilter, AccessRequestRow};
pub use access_credentials::{AccessCredentialRow, BreakGlassReviewRow, SealedSecretRow};
pub use access_review::{AccessReviewCampaignRow, AccessReviewDecision, AccessReviewItemRow};
pub use error::StoreError;
pub use ledger::{
    LedgerCheckpoint, LedgerCosignature, LedgerEntryRun, LedgerFilter, LedgerNodeRun, LedgerOrder,
    LedgerRow, LedgerRowRef, LedgerTx, SUBJECT_INDEX_LAG, SubjectIndexCheck,
};
pub use location::redact_location;
pub use metrics::{MetricsDeploymentFilter, MetricsDeploymentRow, MetricsIncidentRow};
pub use migrate::{AppliedMigration, Migration, migrations};
pub use model::{ModelVersion, NewModelVersion};
pub use monitor::{
    MonitorAlertFilter, MonitorAlertRow, MonitorAlertStateRow, MonitorDeliveryRow, MonitorEventRow,
};
pub use monitor_follow::MonitorFollowRow;
pub use monitor_last_use::{MonitorLastUseRow, VIA_GRANT, VIA_ROLE, VIA_TEAM};
pub use store::{Backend, DEFAULT_LOCK_TIMEOUT, Store, StoreOptions};
