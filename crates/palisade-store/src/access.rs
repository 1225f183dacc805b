//! Just-in-time access requests and the decisions on them.
//!
//! Every change goes through a [`LedgerTx`], so a request's new state and the
//! ledger entry that records it commit together or not at all; the ledger's
//! lock serialises writers across processes, and each change also names the
//! `version` it read, so a change based on a stale read is refused.

use crate::ledger::LedgerTx;
use crate::ledger::conn::{check_text, on_conn};
use crate::store::with_pool;
use crate::{Store, StoreError};

/// One access request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRequestRow {
    /// Its id.
    pub id: String,
    /// The requester's handle.
    pub requester: String,
    /// The role asked for.
    pub role: String,
    /// The environment it is narrowed to, if any.
    pub environment: Option<String>,
    /// The duration asked for, in seconds.
    pub duration_s: i64,
    /// Why.
    pub reason: String,
    /// A ticket URL.
    pub ticket: Option<String>,
    /// The requested start (unix microseconds); `None`: on approval.
    pub start_us: Option<i64>,
    /// When it was made.
    pub created_us: i64,
    /// Its state (`pending`, `approved`, `active`, `expired`, `revoked`, `denied`, `cancelled`).
    pub state: String,
    /// When it entered that state.
    pub state_us: i64,
    /// When its grant starts.
    pub active_from_us: Option<i64>,
    /// When its grant ends.
    pub active_until_us: Option<i64>,
    /// Rises with every change.
    pub version: i64,
    /// Taken without approval, for an incident; reviewed afterwards.
    pub break_glass: bool,
}

/// One person's decision on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDecisionRow {
    /// The request.
    pub request_id: String,
    /// Who decided (a handle).
    pub actor: String,
    /// `approve` or `deny`.
    pub decision: String,
    /// Why.
    pub reason: String,
    /// When (unix microseconds).
    pub at_us: i64,
}

/// Which requests to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessFilter {
    /// Only these states (empty: all).
    pub states: Vec<String>,
    /// Only this requester.
    pub requester: Option<String>,
    /// At most this many, newest first (0: no limit).
    pub limit: u32,
}

type RequestTuple = (
    String,
    String,
    String,
    Option<String>,
    i64,
    String,
    Option<String>,
    Option<i64>,
    i64,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    i16,
);

const COLUMNS: &str = "id, requester, role, environment, duration_s, reason, ticket, start_us, \
     created_us, state, state_us, active_from_us, active_until_us, version, break_glass";

fn row(t: RequestTuple) -> AccessRequestRow {
    AccessRequestRow {
        id: t.0,
        requester: t.1,
        role: t.2,
        environment: t.3,
        duration_s: t.4,
        reason: t.5,
        ticket: t.6,
        start_us: t.7,
        created_us: t.8,
        state: t.9,
        state_us: t.10,
        active_from_us: t.11,
        active_until_us: t.12,
        version: t.13,
        break_glass: t.14 != 0,
    }
}

fn check_row(r: &AccessRequestRow) -> Result<(), StoreError> {
    for (value, what) in [
        (r.id.as_str(), "access request id"),
        (r.requester.as_str(), "access requester"),
        (r.role.as_str(), "access role"),
        (r.reason.as_str(), "access reason"),
        (r.state.as_str(), "access state"),
    ] {
        check_text(value, what)?;
    }
    for (value, what) in [
        (r.environment.as_deref(), "access environment"),
        (r.ticket.as_deref(), "access ticket"),
    ] {
        if let Some(v) = value {
            check_text(v, what)?;
        }
    }
    Ok(())
}

impl LedgerTx<'_> {
    /// Inserts a new request; an id already used is [`StoreError::InvalidInput`].
    pub async fn access_insert_request(&mut self, r: &AccessRequestRow) -> Result<(), StoreError> {
        check_row(r)?;
        let sql = format!(
            "INSERT INTO access_requests ({COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (id) DO NOTHING"
        );
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&r.id).bind(&r.requester).bind(&r.role).bind(&r.environment)
                .bind(r.duration_s).bind(&r.reason).bind(&r.ticket).bind(r.start_us)
                .bind(r.created_us).bind(&r.state).bind(r.state_us).bind(r.active_from_us)
                .bind(r.active_until_us).bind(r.version).bind(i16::from(r.break_glass))
                .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("recording an access request"))?;
        if done == 0 {
            return Err(StoreError::InvalidInput {
                what: "access request id",
                reason: format!("`{}` is already taken", r.id),
            });
        }
        Ok(())
    }

    /// The request `id`, as this transaction sees it.
    pub async fn access_request(
        &mut self,
        id: &str,
    ) -> Result<Option<AccessRequestRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM access_requests WHERE id = $1");
        let mut conn = self.conn();
        let found: Option<RequestTuple> = on_conn!(conn, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(c).await
        })
        .map_err(StoreError::db("reading an access request"))?;
        Ok(found.map(row))
    }

    /// Replaces the request `r.id` with `r` if its stored version is still
    /// `expected_version` (`r.version` should be one more). Returns whether it did:
    /// `false` means another change came first, and nothing was written.
    pub async fn access_update_request(
        &mut self,
        r: &AccessRequestRow,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        check_row(r)?;
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(
                "UPDATE access_requests SET state = $1, state_us = $2, active_from_us = $3, \
                 active_until_us = $4, version = $5 WHERE id = $6 AND version = $7",
            )
            .bind(&r.state).bind(r.state_us).bind(r.active_from_us).bind(r.active_until_us)
            .bind(r.version).bind(&r.id).bind(expected_version)
            .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("changing an access request"))?;
        Ok(done == 1)
    }

    /// Records one person's decision; returns `false` (writing nothing) when that
    /// person already decided on that request.
    pub async fn access_insert_decision(
        &mut self,
        d: &AccessDecisionRow,
    ) -> Result<bool, StoreError> {
        for (value, what) in [
            (d.request_id.as_str(), "access request id"),
            (d.actor.as_str(), "access decision actor"),
            (d.decision.as_str(), "access decision"),
            (d.reason.as_str(), "access decision reason"),
        ] {
            check_text(value, what)?;
        }
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(
                "INSERT INTO access_decisions (request_id, actor, decision, reason, at_us) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id, actor) DO NOTHING",
            )
            .bind(&d.request_id).bind(&d.actor).bind(&d.decision).bind(&d.reason).bind(d.at_us)
            .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("recording an access decision"))?;
        Ok(done == 1)
    }

    /// The decisions on request `id`, oldest first, as this transaction sees them.
    pub async fn access_decisions(
        &mut self,
        id: &str,
    ) -> Result<Vec<AccessDecisionRow>, StoreError> {
        let mut conn = self.conn();
        let rows: Vec<(String, String, String, String, i64)> = on_conn!(conn, c => {
            sqlx::query_as(
                "SELECT request_id, actor, decision, reason, at_us FROM access_decisions \
                 WHERE request_id = $1 ORDER BY at_us, actor",
            )
            .bind(id)
            .fetch_all(c).await
        })
        .map_err(StoreError::db("reading access decisions"))?;
        Ok(rows.into_iter().map(decision).collect())
    }

    /// Requests time may have changed at `now_us`: granted ones whose grant
    /// ended, approved ones whose grant started, and pending or approved ones
    /// created at or before `stale_before_us`.
    pub async fn access_due(
        &mut self,
        now_us: i64,
        stale_before_us: i64,
    ) -> Result<Vec<AccessRequestRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM access_requests WHERE \
             (state IN ('active', 'approved') AND active_until_us <= $1) OR \
             (state = 'approved' AND active_from_us <= $1) OR \
             (state IN ('pending', 'approved') AND created_us <= $2) ORDER BY id"
        );
        let mut conn = self.conn();
        let rows: Vec<RequestTuple> = on_conn!(conn, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now_us).bind(stale_before_us).fetch_all(c).await
        })
        .map_err(StoreError::db("reading due access requests"))?;
        Ok(rows.into_iter().map(row).collect())
    }
}

fn decision(t: (String, String, String, String, i64)) -> AccessDecisionRow {
    AccessDecisionRow {
        request_id: t.0,
        actor: t.1,
        decision: t.2,
        reason: t.3,
        at_us: t.4,
    }
}

impl Store {
    /// The request `id`.
    pub async fn access_request(&self, id: &str) -> Result<Option<AccessRequestRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM access_requests WHERE id = $1");
        let found: Option<RequestTuple> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading an access request"))?;
        Ok(found.map(row))
    }

    /// The decisions on request `id`, oldest first.
    pub async fn access_decisions(&self, id: &str) -> Result<Vec<AccessDecisionRow>, StoreError> {
        let rows: Vec<(String, String, String, String, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT request_id, actor, decision, reason, at_us FROM access_decisions \
                 WHERE request_id = $1 ORDER BY at_us, actor",
            )
            .bind(id)
            .fetch_all(pool).await
        })
        .map_err(StoreError::db("reading access decisions"))?;
        Ok(rows.into_iter().map(decision).collect())
    }

    /// Requests matching `filter`, newest first.
    pub async fn access_requests(
        &self,
        filter: &AccessFilter,
    ) -> Result<Vec<AccessRequestRow>, StoreError> {
        // States and requester are few and fixed by the caller's own enum: filter in
        // memory over an index-ordered scan, keeping the SQL static.
        let sql = format!("SELECT {COLUMNS} FROM access_requests ORDER BY created_us DESC, id");
        let rows: Vec<RequestTuple> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await
        })
        .map_err(StoreError::db("listing access requests"))?;
        let mut out: Vec<AccessRequestRow> = rows
            .into_iter()
            .map(row)
            .filter(|r| filter.states.is_empty() || filter.states.contains(&r.state))
            .filter(|r| filter.requester.as_ref().is_none_or(|q| &r.requester == q))
            .collect();
        if filter.limit > 0 {
            out.truncate(filter.limit as usize);
        }
        Ok(out)
    }
}
