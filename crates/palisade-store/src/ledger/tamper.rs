//! The dishonest admin, for tests only: compiled with the `test-tamper` feature, which only
//! dev-dependencies turn on, so no build of the `palisade` binary carries it.

use sqlx::AssertSqlSafe;

use crate::store::with_pool;
use crate::{Store, StoreError};

impl Store {
    /// TEST ONLY: runs `sql` as it is and returns the number of rows it changed.
    ///
    /// It exists so the ledger's tests can play an administrator with database access who
    /// edits or deletes rows behind palisade's back, and check that verification notices.
    /// Nothing else may call it: it bypasses every check the store makes.
    ///
    /// The SQL is the backend's own. SQLite's ledger tables are `STRICT`, so bytes must be
    /// written as blobs: `X'00ff'`, `unhex('00ff')`, `CAST(... AS BLOB)`; PostgreSQL takes
    /// `'\x00ff'::bytea` or `decode('00ff', 'hex')`.
    pub async fn ledger_tamper(&self, sql: &str) -> Result<u64, StoreError> {
        with_pool!(self, pool => {
            sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(StoreError::db("running test-only SQL"))
    }
}
