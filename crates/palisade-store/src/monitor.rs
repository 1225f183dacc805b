//! The activity monitor's tables: the events it read, its alerts with every
//! state they were put in, and the outbox of alert deliveries.
//!
//! Events are written in large batches, one transaction per batch and outside
//! the ledger's lock: they are evidence to look up, not decisions. Alerts and
//! their states change only inside a [`LedgerTx`], with the ledger entry that
//! records the change; a new alert's deliveries are queued in the same
//! transaction, so an alert the ledger records is always delivered, however
//! late. The deliveries themselves are claimed and finished outside the
//! ledger: an attempt changes no decision.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use sqlx::AssertSqlSafe;

use crate::ledger::LedgerTx;
use crate::ledger::conn::{Conn, check_text, on_conn};
use crate::store::{Pool, with_pool};
use crate::{Store, StoreError};

/// One normalised event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorEventRow {
    /// When (unix microseconds, UTC).
    pub time_us: i64,
    /// `github`, `gitlab`, `sshd`, `journald`, `ledger` or `ndjson`.
    pub source: String,
    /// The actor's name in the record.
    pub actor: String,
    /// What kind of name it is (`github_login`, `ssh_user`, …).
    pub actor_kind: String,
    /// The person it resolved to (a handle); `None` for an unknown actor.
    pub person: Option<String>,
    /// The action (`git_clone`, `login`, `security_change`, …).
    pub action: String,
    /// A login's method or the source's own action name, when the action has one.
    pub action_detail: Option<String>,
    /// The resource as `kind:name`.
    pub resource: Option<String>,
    /// The source address.
    pub address: Option<String>,
    /// `success`, `failure` or `unknown`.
    pub outcome: String,
    /// The grant it was done under.
    pub grant: Option<String>,
    /// An SSH certificate's serial.
    pub serial: Option<i64>,
    /// The file the raw record is in.
    pub raw_file: String,
    /// Its 1-based line.
    pub raw_line: i64,
    /// The record's own id.
    pub raw_id: Option<String>,
}

const EVENT_COLUMNS: &str = "time_us, source, actor, actor_kind, person, action, action_detail, \
     resource, address, outcome, grant_id, serial, raw_file, raw_line, raw_id";
const EVENT_COLUMN_COUNT: usize = 15;

type EventTuple = (
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<i64>,
    String,
    i64,
    Option<String>,
);

fn event(t: EventTuple) -> MonitorEventRow {
    MonitorEventRow {
        time_us: t.0,
        source: t.1,
        actor: t.2,
        actor_kind: t.3,
        person: t.4,
        action: t.5,
        action_detail: t.6,
        resource: t.7,
        address: t.8,
        outcome: t.9,
        grant: t.10,
        serial: t.11,
        raw_file: t.12,
        raw_line: t.13,
        raw_id: t.14,
    }
}

fn check_event(r: &MonitorEventRow) -> Result<(), StoreError> {
    for (value, what) in [
        (r.source.as_str(), "event source"),
        (r.actor.as_str(), "event actor"),
        (r.actor_kind.as_str(), "event actor kind"),
        (r.action.as_str(), "event action"),
        (r.outcome.as_str(), "event outcome"),
        (r.raw_file.as_str(), "event file"),
    ] {
        check_text(value, what)?;
    }
    for (value, what) in [
        (&r.person, "event person"),
        (&r.action_detail, "event action detail"),
        (&r.resource, "event resource"),
        (&r.address, "event address"),
        (&r.grant, "event grant"),
        (&r.raw_id, "event record id"),
    ] {
        if let Some(value) = value {
            check_text(value, what)?;
        }
    }
    Ok(())
}

/// Rows per multi-row insert of events: 15 columns × 512 rows stays within
/// SQLite's 32,766 parameters. Larger statements measured no faster: past a
/// few hundred rows the B-tree and index updates dominate.
const EVENTS_PER_INSERT: usize = 512;
const _: () = assert!(EVENTS_PER_INSERT * EVENT_COLUMN_COUNT <= 32_766);

/// `INSERT INTO monitor_events (…) VALUES (…), …` for `rows` rows.
fn events_insert_sql(rows: usize, numbered: bool) -> String {
    insert_values_sql(
        "monitor_events",
        EVENT_COLUMNS,
        EVENT_COLUMN_COUNT,
        rows,
        numbered,
    )
}

/// `INSERT INTO table (columns) VALUES (…), …` for `rows` rows of `count`
/// columns, with `?` placeholders on SQLite (anonymous ones bind in order;
/// SQLite searches named ones linearly, which is quadratic in a long
/// statement) and `$n` on PostgreSQL.
pub(crate) fn insert_values_sql(
    table: &str,
    columns: &str,
    count: usize,
    rows: usize,
    numbered: bool,
) -> String {
    let mut sql = String::with_capacity(80 + rows * count * 6);
    let _ = write!(sql, "INSERT INTO {table} ({columns}) VALUES ");
    let mut param = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..count {
            param += 1;
            if column > 0 {
                sql.push_str(", ");
            }
            if numbered {
                let _ = write!(sql, "${param}");
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// Splits `rows` into full statements of [`EVENTS_PER_INSERT`] and a tail of
/// power-of-two runs, so any batch runs as statements of a dozen shapes at
/// most, each prepared once per connection and then taken from its cache.
fn event_runs(mut rows: &[MonitorEventRow]) -> impl Iterator<Item = &[MonitorEventRow]> {
    std::iter::from_fn(move || {
        if rows.is_empty() {
            return None;
        }
        let take = if rows.len() >= EVENTS_PER_INSERT {
            EVENTS_PER_INSERT
        } else {
            1 << rows.len().ilog2()
        };
        let (run, rest) = rows.split_at(take);
        rows = rest;
        Some(run)
    })
}

/// Binds one run of events to a query, in [`EVENT_COLUMNS`] order.
macro_rules! bind_events {
    ($query:expr, $run:expr) => {{
        let mut query = $query;
        for r in $run {
            query = query
                .bind(r.time_us)
                .bind(r.source.as_str())
                .bind(r.actor.as_str())
                .bind(r.actor_kind.as_str())
                .bind(r.person.as_deref())
                .bind(r.action.as_str())
                .bind(r.action_detail.as_deref())
                .bind(r.resource.as_deref())
                .bind(r.address.as_deref())
                .bind(r.outcome.as_str())
                .bind(r.grant.as_deref())
                .bind(r.serial)
                .bind(r.raw_file.as_str())
                .bind(r.raw_line)
                .bind(r.raw_id.as_deref());
        }
        query
    }};
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorAlertRow {
    /// Its id.
    pub id: String,
    /// The detector that found it.
    pub detector: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// The person it is about.
    pub person: Option<String>,
    /// The actor as the records name them.
    pub actor: String,
    /// The resource as `kind:name`.
    pub resource: Option<String>,
    /// The first finding's sentence.
    pub sentence: String,
    /// JSON: the raw references of the evidence, capped.
    pub evidence: String,
    /// How many findings were folded in, the first included.
    pub seen: i64,
    /// The first finding's time (unix microseconds).
    pub first_us: i64,
    /// The latest finding's time.
    pub last_us: i64,
    /// `open`, `acknowledged` or `resolved`.
    pub state: String,
    /// Who put it in its state.
    pub state_by: String,
    /// Why.
    pub state_reason: String,
    /// When (for a new alert, when it was recorded).
    pub state_us: i64,
    /// Rises with every change.
    pub version: i64,
}

const ALERT_COLUMNS: &str = "id, detector, severity, person, actor, resource, sentence, evidence, \
     seen, first_us, last_us, state, state_by, state_reason, state_us, version";

type AlertTuple = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    String,
    String,
    i64,
    i64,
);

fn alert(t: AlertTuple) -> MonitorAlertRow {
    MonitorAlertRow {
        id: t.0,
        detector: t.1,
        severity: t.2,
        person: t.3,
        actor: t.4,
        // No resource is stored as '' so that the dedupe key compares with `=`.
        resource: Some(t.5).filter(|r| !r.is_empty()),
        sentence: t.6,
        evidence: t.7,
        seen: t.8,
        first_us: t.9,
        last_us: t.10,
        state: t.11,
        state_by: t.12,
        state_reason: t.13,
        state_us: t.14,
        version: t.15,
    }
}

fn check_alert(r: &MonitorAlertRow) -> Result<(), StoreError> {
    for (value, what) in [
        (r.id.as_str(), "alert id"),
        (r.detector.as_str(), "alert detector"),
        (r.severity.as_str(), "alert severity"),
        (r.actor.as_str(), "alert actor"),
        (r.resource.as_deref().unwrap_or(""), "alert resource"),
        (r.person.as_deref().unwrap_or(""), "alert person"),
        (r.sentence.as_str(), "alert sentence"),
        (r.evidence.as_str(), "alert evidence"),
        (r.state.as_str(), "alert state"),
        (r.state_by.as_str(), "alert state's actor"),
        (r.state_reason.as_str(), "alert state's reason"),
    ] {
        check_text(value, what)?;
    }
    if r.resource.as_deref() == Some("") {
        return Err(StoreError::InvalidInput {
            what: "alert resource",
            reason: "it is empty; give none instead".to_owned(),
        });
    }
    Ok(())
}

/// Which alerts [`Store::monitor_alerts`] lists; every field left `None` matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonitorAlertFilter {
    /// Only in this state.
    pub state: Option<String>,
    /// Only of these severities.
    pub severities: Option<Vec<String>>,
    /// Only about this person.
    pub person: Option<String>,
    /// Only of this detector.
    pub detector: Option<String>,
    /// At most this many, newest first.
    pub limit: Option<u32>,
}

/// One state an alert was put in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorAlertStateRow {
    /// The alert.
    pub alert_id: String,
    /// 1 for the state it was recorded in, then one more per change.
    pub seq: i64,
    /// `open`, `acknowledged` or `resolved`.
    pub state: String,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When (unix microseconds).
    pub at_us: i64,
}

/// One queued (or finished) delivery of an alert to a hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorDeliveryRow {
    /// Its id, also the webhook message id.
    pub id: String,
    /// The alert delivered.
    pub alert_id: String,
    /// The hook, named by its kind and the environment variable of its URL.
    pub hook: String,
    /// `slack` or `webhook`.
    pub kind: String,
    /// The body to post, fixed when queued.
    pub body: String,
    /// `queued`, `delivered` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (unix microseconds).
    pub next_attempt_us: i64,
    /// What the last failed attempt got back.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_us: i64,
    /// When it last changed.
    pub updated_us: i64,
}

const DELIVERY_COLUMNS: &str = "id, alert_id, hook, kind, body, state, attempts, next_attempt_us, \
     last_error, created_us, updated_us";

type DeliveryTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    i64,
    i64,
);

fn delivery(t: DeliveryTuple) -> MonitorDeliveryRow {
    MonitorDeliveryRow {
        id: t.0,
        alert_id: t.1,
        hook: t.2,
        kind: t.3,
        body: t.4,
        state: t.5,
        attempts: t.6,
        next_attempt_us: t.7,
        last_error: t.8,
        created_us: t.9,
        updated_us: t.10,
    }
}

impl LedgerTx<'_> {
    /// The newest alert not resolved of this detector, actor and resource, as
    /// this transaction sees it: the one a new finding may fold into.
    pub async fn monitor_unresolved_alert(
        &mut self,
        detector: &str,
        actor: &str,
        resource: Option<&str>,
    ) -> Result<Option<MonitorAlertRow>, StoreError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM monitor_alerts WHERE detector = $1 AND actor = $2 \
             AND resource = $3 AND state <> 'resolved' ORDER BY last_us DESC, id LIMIT 1"
        );
        let resource = resource.unwrap_or("");
        let mut conn = self.conn();
        let found: Option<AlertTuple> = on_conn!(conn, c => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(detector).bind(actor).bind(resource)
                .fetch_optional(c).await
        })
        .map_err(StoreError::db("looking for an open alert"))?;
        Ok(found.map(alert))
    }

    /// The alert `id`, as this transaction sees it.
    pub async fn monitor_alert(&mut self, id: &str) -> Result<Option<MonitorAlertRow>, StoreError> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM monitor_alerts WHERE id = $1");
        let mut conn = self.conn();
        let found: Option<AlertTuple> = on_conn!(conn, c => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(c).await
        })
        .map_err(StoreError::db("reading an alert"))?;
        Ok(found.map(alert))
    }

    /// Inserts a new alert with its first state (seq 1); an id already used is
    /// [`StoreError::InvalidInput`].
    pub async fn monitor_insert_alert(&mut self, r: &MonitorAlertRow) -> Result<(), StoreError> {
        check_alert(r)?;
        let sql = format!(
            "INSERT INTO monitor_alerts ({ALERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (id) DO NOTHING"
        );
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(AssertSqlSafe(sql))
                .bind(&r.id).bind(&r.detector).bind(&r.severity).bind(&r.person)
                .bind(&r.actor).bind(r.resource.as_deref().unwrap_or("")).bind(&r.sentence)
                .bind(&r.evidence).bind(r.seen).bind(r.first_us).bind(r.last_us).bind(&r.state)
                .bind(&r.state_by).bind(&r.state_reason).bind(r.state_us).bind(r.version)
                .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("recording an alert"))?;
        if done == 0 {
            return Err(StoreError::InvalidInput {
                what: "alert id",
                reason: format!("`{}` is already taken", r.id),
            });
        }
        self.monitor_insert_alert_state(&MonitorAlertStateRow {
            alert_id: r.id.clone(),
            seq: 1,
            state: r.state.clone(),
            actor: r.state_by.clone(),
            reason: r.state_reason.clone(),
            at_us: r.state_us,
        })
        .await
    }

    /// Replaces alert `r.id` with `r` if its stored version is still
    /// `expected_version`; a changed state is added to its history. Returns
    /// whether it did.
    pub async fn monitor_update_alert(
        &mut self,
        r: &MonitorAlertRow,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        check_alert(r)?;
        let Some(before) = self.monitor_alert(&r.id).await? else {
            return Ok(false);
        };
        if before.version != expected_version {
            return Ok(false);
        }
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(
                "UPDATE monitor_alerts SET severity = $1, evidence = $2, seen = $3, first_us = $4, \
                 last_us = $5, state = $6, state_by = $7, state_reason = $8, state_us = $9, \
                 version = $10, sentence = $13 WHERE id = $11 AND version = $12",
            )
            .bind(&r.severity).bind(&r.evidence).bind(r.seen).bind(r.first_us).bind(r.last_us)
            .bind(&r.state).bind(&r.state_by).bind(&r.state_reason).bind(r.state_us)
            .bind(r.version).bind(&r.id).bind(expected_version).bind(&r.sentence)
            .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("changing an alert"))?;
        if done != 1 {
            return Ok(false);
        }
        if before.state != r.state || before.state_us != r.state_us {
            let mut conn = self.conn();
            let seq: i64 = on_conn!(conn, c => {
                sqlx::query_scalar(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM monitor_alert_states WHERE alert_id = $1",
                )
                .bind(&r.id).fetch_one(c).await
            })
            .map_err(StoreError::db("reading an alert's history"))?;
            self.monitor_insert_alert_state(&MonitorAlertStateRow {
                alert_id: r.id.clone(),
                seq,
                state: r.state.clone(),
                actor: r.state_by.clone(),
                reason: r.state_reason.clone(),
                at_us: r.state_us,
            })
            .await?;
        }
        Ok(true)
    }

    async fn monitor_insert_alert_state(
        &mut self,
        r: &MonitorAlertStateRow,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        on_conn!(conn, c => {
            sqlx::query(
                "INSERT INTO monitor_alert_states (alert_id, seq, state, actor, reason, at_us) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&r.alert_id).bind(r.seq).bind(&r.state).bind(&r.actor).bind(&r.reason)
            .bind(r.at_us)
            .execute(c).await.map(drop)
        })
        .map_err(StoreError::db("recording an alert's state"))
    }

    /// Queues a delivery (in the transaction that records its alert).
    pub async fn monitor_queue_delivery(
        &mut self,
        r: &MonitorDeliveryRow,
    ) -> Result<(), StoreError> {
        for (value, what) in [
            (r.id.as_str(), "delivery id"),
            (r.alert_id.as_str(), "delivery alert"),
            (r.hook.as_str(), "delivery hook"),
            (r.kind.as_str(), "delivery kind"),
            (r.body.as_str(), "delivery body"),
            (r.state.as_str(), "delivery state"),
            (r.last_error.as_deref().unwrap_or(""), "delivery error"),
        ] {
            check_text(value, what)?;
        }
        let sql = format!(
            "INSERT INTO monitor_deliveries ({DELIVERY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        let mut conn = self.conn();
        on_conn!(conn, c => {
            sqlx::query(AssertSqlSafe(sql))
                .bind(&r.id).bind(&r.alert_id).bind(&r.hook).bind(&r.kind).bind(&r.body)
                .bind(&r.state).bind(r.attempts).bind(r.next_attempt_us).bind(&r.last_error)
                .bind(r.created_us).bind(r.updated_us)
                .execute(c).await.map(drop)
        })
        .map_err(StoreError::db("queueing an alert delivery"))
    }
}

impl Store {
    /// Stores `rows` in one transaction: all of them or, on error, none.
    ///
    /// On a SQLite file the rows go through one prepared statement on a
    /// connection of their own, on a thread of their own: sqlx hands every
    /// statement to its worker thread and copies each bound value, which
    /// measured 65,000 events/s where this path does well over 100,000. An
    /// in-memory SQLite store and PostgreSQL use multi-row inserts of up to
    /// 512 rows.
    pub async fn monitor_insert_events(
        &self,
        rows: Vec<MonitorEventRow>,
    ) -> Result<(), StoreError> {
        for r in &rows {
            check_event(r)?;
        }
        if rows.is_empty() {
            return Ok(());
        }
        let failed = StoreError::db("storing monitor events");
        match &self.pool {
            Pool::Sqlite(pool) => {
                let file: Option<String> =
                    sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                        .fetch_optional(pool)
                        .await
                        .map_err(StoreError::db("finding the database file"))?;
                if let Some(file) = file.filter(|f| !f.is_empty()) {
                    return insert_events_direct(file, rows, self.lock_timeout).await;
                }
                // IMMEDIATE: take the write lock first, so this transaction never
                // has to upgrade a read lock another writer holds.
                let mut tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(StoreError::db("starting to store monitor events"))?;
                for run in event_runs(&rows) {
                    let sql = events_insert_sql(run.len(), false);
                    bind_events!(sqlx::query(AssertSqlSafe(sql)), run)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db("storing monitor events"))?;
                }
                tx.commit().await.map_err(failed)
            }
            Pool::Postgres(pool) => {
                let mut tx = pool
                    .begin()
                    .await
                    .map_err(StoreError::db("starting to store monitor events"))?;
                for run in event_runs(&rows) {
                    let sql = events_insert_sql(run.len(), true);
                    bind_events!(sqlx::query(AssertSqlSafe(sql)), run)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db("storing monitor events"))?;
                }
                tx.commit().await.map_err(failed)
            }
        }
    }

    /// The events of `person` from `from_us` (inclusive) to `until_us`
    /// (exclusive), oldest first, at most `limit`.
    pub async fn monitor_events_of(
        &self,
        person: &str,
        from_us: i64,
        until_us: i64,
        limit: u32,
    ) -> Result<Vec<MonitorEventRow>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM monitor_events WHERE person = $1 AND time_us >= $2 \
             AND time_us < $3 ORDER BY time_us, id LIMIT $4"
        );
        let rows: Vec<EventTuple> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(person).bind(from_us).bind(until_us).bind(i64::from(limit))
                .fetch_all(pool).await
        })
        .map_err(StoreError::db("reading monitor events"))?;
        Ok(rows.into_iter().map(event).collect())
    }

    /// How many events are stored.
    pub async fn monitor_event_count(&self) -> Result<u64, StoreError> {
        let count: i64 = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT count(*) FROM monitor_events").fetch_one(pool).await
        })
        .map_err(StoreError::db("counting monitor events"))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The alert `id`.
    pub async fn monitor_alert(&self, id: &str) -> Result<Option<MonitorAlertRow>, StoreError> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM monitor_alerts WHERE id = $1");
        let found: Option<AlertTuple> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading an alert"))?;
        Ok(found.map(alert))
    }

    /// The alerts `filter` matches, the most recently seen first.
    pub async fn monitor_alerts(
        &self,
        filter: &MonitorAlertFilter,
    ) -> Result<Vec<MonitorAlertRow>, StoreError> {
        // Optional conditions as `($n IS NULL OR column = $n)`, so the text is one
        // statement whatever the filter. Severities are few: filtered after reading.
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM monitor_alerts \
             WHERE (CAST($1 AS TEXT) IS NULL OR state = $1) \
             AND (CAST($2 AS TEXT) IS NULL OR person = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR detector = $3) \
             ORDER BY last_us DESC, id"
        );
        let rows: Vec<AlertTuple> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(filter.state.as_deref())
                .bind(filter.person.as_deref())
                .bind(filter.detector.as_deref())
                .fetch_all(pool).await
        })
        .map_err(StoreError::db("listing alerts"))?;
        let limit = filter.limit.map_or(usize::MAX, |l| l as usize);
        Ok(rows
            .into_iter()
            .map(alert)
            .filter(|a| {
                filter
                    .severities
                    .as_ref()
                    .is_none_or(|s| s.contains(&a.severity))
            })
            .take(limit)
            .collect())
    }

    /// Every state alert `id` was put in, first to last.
    pub async fn monitor_alert_history(
        &self,
        id: &str,
    ) -> Result<Vec<MonitorAlertStateRow>, StoreError> {
        let rows: Vec<(String, i64, String, String, String, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT alert_id, seq, state, actor, reason, at_us FROM monitor_alert_states \
                 WHERE alert_id = $1 ORDER BY seq",
            )
            .bind(id).fetch_all(pool).await
        })
        .map_err(StoreError::db("reading an alert's history"))?;
        Ok(rows
            .into_iter()
            .map(|t| MonitorAlertStateRow {
                alert_id: t.0,
                seq: t.1,
                state: t.2,
                actor: t.3,
                reason: t.4,
                at_us: t.5,
            })
            .collect())
    }

    /// The deliveries of alert `alert_id`, by hook.
    pub async fn monitor_deliveries_of(
        &self,
        alert_id: &str,
    ) -> Result<Vec<MonitorDeliveryRow>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM monitor_deliveries WHERE alert_id = $1 ORDER BY hook, id"
        );
        let rows: Vec<DeliveryTuple> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql.clone())).bind(alert_id).fetch_all(pool).await
        })
        .map_err(StoreError::db("reading alert deliveries"))?;
        Ok(rows.into_iter().map(delivery).collect())
    }

    /// Every delivery in `state`, oldest first.
    pub async fn monitor_deliveries_in(
        &self,
        state: &str,
    ) -> Result<Vec<MonitorDeliveryRow>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM monitor_deliveries WHERE state = $1 \
             ORDER BY created_us, id"
        );
        let rows: Vec<DeliveryTuple> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql.clone())).bind(state).fetch_all(pool).await
        })
        .map_err(StoreError::db("listing alert deliveries"))?;
        Ok(rows.into_iter().map(delivery).collect())
    }

    /// Claims up to `limit` queued deliveries to `hooks` due at `now_us`, oldest first:
    /// their next attempt moves to `lease_until_us`, so another process
    /// delivering at the same time skips them, and a process that stops
    /// mid-attempt leaves them due again once the lease ends. Returns them as
    /// they were before the claim.
    pub async fn monitor_claim_deliveries(
        &self,
        hooks: &[&str],
        now_us: i64,
        lease_until_us: i64,
        limit: u32,
    ) -> Result<Vec<MonitorDeliveryRow>, StoreError> {
        if hooks.is_empty() {
            return Ok(Vec::new());
        }
        for hook in hooks {
            check_text(hook, "delivery hook")?;
        }
        let mut select = format!(
            "SELECT {DELIVERY_COLUMNS} FROM monitor_deliveries WHERE state = 'queued' \
             AND next_attempt_us <= $1 AND hook IN ("
        );
        for n in 0..hooks.len() {
            let _ = write!(select, "{}${}", if n == 0 { "" } else { ", " }, n + 3);
        }
        select.push_str(") ORDER BY next_attempt_us, id LIMIT $2");
        let claim = "UPDATE monitor_deliveries SET next_attempt_us = $1 \
                     WHERE id = $2 AND state = 'queued' AND next_attempt_us <= $3";
        let context = "claiming alert deliveries";
        let claimed = match &self.pool {
            Pool::Sqlite(pool) => {
                let mut tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(StoreError::db(context))?;
                let mut conn = Conn::Sqlite(&mut tx);
                let rows = claim_in(
                    &mut conn,
                    &select,
                    claim,
                    hooks,
                    (now_us, lease_until_us),
                    limit,
                )
                .await
                .map_err(StoreError::db(context))?;
                tx.commit().await.map_err(StoreError::db(context))?;
                rows
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(StoreError::db(context))?;
                // Rows another deliverer holds are skipped, not waited for.
                let select = format!("{select} FOR UPDATE SKIP LOCKED");
                let mut conn = Conn::Postgres(&mut tx);
                let rows = claim_in(
                    &mut conn,
                    &select,
                    claim,
                    hooks,
                    (now_us, lease_until_us),
                    limit,
                )
                .await
                .map_err(StoreError::db(context))?;
                tx.commit().await.map_err(StoreError::db(context))?;
                rows
            }
        };
        Ok(claimed)
    }

    /// Records the outcome of an attempt at a claimed delivery, if no one else
    /// finished it since it was claimed with `attempts_before` attempts:
    /// `state` (`queued`, `delivered` or `failed`), the attempts made, the next
    /// attempt's time and the error. Returns whether it did.
    pub async fn monitor_finish_delivery(
        &self,
        r: &MonitorDeliveryRow,
        attempts_before: i64,
    ) -> Result<bool, StoreError> {
        check_text(&r.state, "delivery state")?;
        check_text(r.last_error.as_deref().unwrap_or(""), "delivery error")?;
        let done = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE monitor_deliveries SET state = $1, attempts = $2, next_attempt_us = $3, \
                 last_error = $4, updated_us = $5 \
                 WHERE id = $6 AND state = 'queued' AND attempts = $7",
            )
            .bind(&r.state).bind(r.attempts).bind(r.next_attempt_us).bind(&r.last_error)
            .bind(r.updated_us).bind(&r.id).bind(attempts_before)
            .execute(pool).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("recording an alert delivery's attempt"))?;
        Ok(done == 1)
    }
}

/// Writes `rows` into the SQLite file `path` in one `BEGIN IMMEDIATE`
/// transaction, on a thread of its own so the caller's runtime keeps running;
/// the answer comes back over a channel.
async fn insert_events_direct(
    path: String,
    rows: Vec<MonitorEventRow>,
    lock_timeout: Duration,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "storing monitor events";
    let started = Instant::now();
    let (answer, answered) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("palisade-events".to_owned())
        .spawn(move || {
            let _ = answer.send(write_events(&path, &rows, lock_timeout));
        })
        .map_err(|e| StoreError::Database {
            context: CONTEXT,
            source: sqlx::Error::Io(e),
        })?;
    let written = answered.await.map_err(|_| StoreError::Database {
        context: CONTEXT,
        source: sqlx::Error::WorkerCrashed,
    })?;
    written.map_err(|error| match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Busy {
                context: CONTEXT,
                waited: started.elapsed(),
            }
        }
        _ => StoreError::Database {
            context: CONTEXT,
            source: sqlx::Error::AnyDriverError(Box::new(error)),
        },
    })
}

/// The blocking half of [`insert_events_direct`]. The connection is set as the
/// pool's are (`synchronous=FULL`, the same busy timeout); the file is already
/// in WAL mode, which is a property of the file.
fn write_events(
    path: &str,
    rows: &[MonitorEventRow],
    lock_timeout: Duration,
) -> rusqlite::Result<()> {
    let mut conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(lock_timeout)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // A batch touches every page at the end of the table and of the person
    // index's busy leaves; 64 MiB keeps them in memory across statements.
    conn.pragma_update(None, "cache_size", -65_536)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut one = tx.prepare(&events_insert_sql(1, false))?;
        for r in rows {
            let mut index = 1;
            bind_direct(&mut one, &mut index, r)?;
            one.raw_execute()?;
        }
    }
    tx.commit()
}

/// Binds one event's columns to `statement` from parameter `index` on.
fn bind_direct(
    statement: &mut rusqlite::Statement<'_>,
    index: &mut usize,
    r: &MonitorEventRow,
) -> rusqlite::Result<()> {
    let values: [&dyn rusqlite::ToSql; EVENT_COLUMN_COUNT] = [
        &r.time_us,
        &r.source,
        &r.actor,
        &r.actor_kind,
        &r.person,
        &r.action,
        &r.action_detail,
        &r.resource,
        &r.address,
        &r.outcome,
        &r.grant,
        &r.serial,
        &r.raw_file,
        &r.raw_line,
        &r.raw_id,
    ];
    for value in values {
        statement.raw_bind_parameter(*index, value)?;
        *index += 1;
    }
    Ok(())
}

/// Selects the due deliveries and moves each one's next attempt to the lease's end.
async fn claim_in(
    conn: &mut Conn<'_>,
    select: &str,
    claim: &'static str,
    hooks: &[&str],
    (now_us, lease_until_us): (i64, i64),
    limit: u32,
) -> Result<Vec<MonitorDeliveryRow>, sqlx::Error> {
    let rows: Vec<DeliveryTuple> = on_conn!(*conn, c => {
        let mut query = sqlx::query_as(AssertSqlSafe(select.to_owned()))
            .bind(now_us).bind(i64::from(limit));
        for hook in hooks {
            query = query.bind(*hook);
        }
        query.fetch_all(&mut *c).await
    })?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows.into_iter().map(delivery) {
        let done = on_conn!(*conn, c => {
            sqlx::query(claim)
                .bind(lease_until_us).bind(&row.id).bind(now_us)
                .execute(&mut *c).await.map(|d| d.rows_affected())
        })?;
        if done == 1 {
            claimed.push(row);
        }
    }
    Ok(claimed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_every_row_in_few_shapes() {
        let row = MonitorEventRow {
            time_us: 0,
            source: String::new(),
            actor: String::new(),
            actor_kind: String::new(),
            person: None,
            action: String::new(),
            action_detail: None,
            resource: None,
            address: None,
            outcome: String::new(),
            grant: None,
            serial: None,
            raw_file: String::new(),
            raw_line: 0,
            raw_id: None,
        };
        let rows = vec![row; 1300];
        let lens: Vec<usize> = event_runs(&rows).map(<[_]>::len).collect();
        assert_eq!(lens, [512, 512, 256, 16, 4]);
    }

    #[test]
    fn insert_sql_numbers_or_not() {
        let numbered = events_insert_sql(2, true);
        assert!(numbered.ends_with("$29, $30)"), "{numbered}");
        let anonymous = events_insert_sql(1, false);
        assert_eq!(anonymous.matches('?').count(), EVENT_COLUMN_COUNT);
    }
}
