//! Palisade's persistence layer: one schema on SQLite (a file, zero set-up, the default) or
//! PostgreSQL (by URL, for several server replicas), with versioned migrations run on open.
//!
//! This is the only crate that speaks SQL: other crates call typed methods on [`Store`]
//! and never see a query. It is not a general database toolkit, an ORM or a cache; it does
//! not print, read environment variables or exit (the binary does that).
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

mod error;
mod location;
mod migrate;
mod model;
mod store;

pub use error::StoreError;
pub use location::redact_location;
pub use migrate::{AppliedMigration, Migration, migrations};
pub use model::{ModelVersion, NewModelVersion};
pub use store::{Backend, Store};
