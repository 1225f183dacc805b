//! A connection to run ledger statements on, whichever backend and wherever it comes from
//! (the pool, or an open write transaction), and the checks every value passes before it
//! is bound to a statement.

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection};

use super::sql::{PG_MAX_PARAMS, Placeholders, SQLITE_MAX_PARAMS};
use crate::store::Pool;
use crate::{Store, StoreError};

/// A connection to run ledger statements on: pooled, or inside a [`super::LedgerTx`].
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    pub(super) fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }

    pub(super) fn max_params(&self) -> usize {
        match self {
            Conn::Sqlite(_) => SQLITE_MAX_PARAMS,
            Conn::Postgres(_) => PG_MAX_PARAMS,
        }
    }

    /// `sqlite` or `postgres`, whichever SQL suits this connection.
    pub(super) fn pick(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Conn::Sqlite(_) => sqlite,
            Conn::Postgres(_) => postgres,
        }
    }

    pub(super) fn placeholders(&self) -> Placeholders {
        match self {
            Conn::Sqlite(_) => Placeholders::Anonymous,
            Conn::Postgres(_) => Placeholders::Numbered,
        }
    }
}

/// Runs `$body` with `$c` bound to the concrete `&mut SqliteConnection` or
/// `&mut PgConnection` behind a [`Conn`], so the body is type-checked once per backend.
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match &mut $conn {
            $crate::ledger::conn::Conn::Sqlite(inner) => {
                let $c: &mut ::sqlx::SqliteConnection = &mut **inner;
                $body
            }
            $crate::ledger::conn::Conn::Postgres(inner) => {
                let $c: &mut ::sqlx::PgConnection = &mut **inner;
                $body
            }
        }
    };
}
pub(crate) use on_conn;

/// A connection taken from the store's pool for a multi-statement read.
pub(super) enum PooledConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl PooledConn {
    pub(super) fn conn(&mut self) -> Conn<'_> {
        match self {
            PooledConn::Sqlite(conn) => Conn::Sqlite(conn),
            PooledConn::Postgres(conn) => Conn::Postgres(conn),
        }
    }
}

impl Store {
    /// `sqlite` or `postgres`, whichever SQL suits this store.
    pub(super) fn pick(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match &self.pool {
            Pool::Sqlite(_) => sqlite,
            Pool::Postgres(_) => postgres,
        }
    }

    /// A pooled connection for a read that takes more than one statement.
    pub(super) async fn pooled(&self, context: &'static str) -> Result<PooledConn, StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => pool.acquire().await.map(PooledConn::Sqlite),
            Pool::Postgres(pool) => pool.acquire().await.map(PooledConn::Postgres),
        }
        .map_err(StoreError::db(context))
    }
}

/// A `u64` index or size as the database stores it (`BIGINT`, so at most `i64::MAX`).
pub(crate) fn index_param(value: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::InvalidInput {
        what,
        reason: format!("{value} is above the largest storable value {}", i64::MAX),
    })
}

/// A node level the schema takes (0 to 63).
pub(super) fn check_level(level: u8) -> Result<(), StoreError> {
    if level < 64 {
        Ok(())
    } else {
        Err(StoreError::InvalidInput {
            what: "ledger node level",
            reason: format!("{level} is above 63"),
        })
    }
}

/// Refuses NUL characters, which PostgreSQL cannot store in `TEXT`, on both backends alike.
pub(crate) fn check_text(value: &str, what: &'static str) -> Result<(), StoreError> {
    if value.contains('\0') {
        Err(StoreError::InvalidInput {
            what,
            reason: "it contains a NUL character".to_owned(),
        })
    } else {
        Ok(())
    }
}

/// An exclusive upper bound as a `BIGINT`: anything larger means "no bound".
pub(super) fn clamp_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
