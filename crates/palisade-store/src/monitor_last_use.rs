//! When each person last used each resource, and what covered the use: one
//! of their standing roles, a grant, or their team's services, as the
//! activity monitor decided while reading the logs. Bounded by people ×
//! resources × covers, never by the number of events; access reviews read a
//! role's or a grant's last use from here.

use std::collections::BTreeMap;

use sqlx::AssertSqlSafe;

use crate::ledger::conn::check_text;
use crate::store::{Pool, with_pool};
use crate::{Store, StoreError};

/// The `via_kind` of a use a standing role covered (`via` is the role id).
pub const VIA_ROLE: &str = "role";
/// The `via_kind` of a use a grant covered (`via` is the request id).
pub const VIA_GRANT: &str = "grant";
/// The `via_kind` of a use the team's services covered (`via` is the team id).
pub const VIA_TEAM: &str = "team";

/// The last use of one resource by one person under one cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorLastUseRow {
    /// The person's handle.
    pub person: String,
    /// `repository:<name>` or `resource:<environment>/<resource>`.
    pub resource: String,
    /// What covered the use: [`VIA_ROLE`], [`VIA_GRANT`] or [`VIA_TEAM`].
    pub via_kind: String,
    /// The role id, the grant's request id or the team id.
    pub via: String,
    /// The latest use (unix microseconds, UTC).
    pub last_us: i64,
    /// How many uses were counted, across runs (at least 1).
    pub uses: i64,
}

const COLUMNS: &str = "person, resource, via_kind, via, last_us, uses";
const COLUMN_COUNT: usize = 6;

/// Rows per upsert statement: well within both backends' parameter limits.
const ROWS_PER_UPSERT: usize = 256;
const _: () = assert!(ROWS_PER_UPSERT * COLUMN_COUNT <= 32_766);

type Tuple = (String, String, String, String, i64, i64);

fn row(t: Tuple) -> MonitorLastUseRow {
    MonitorLastUseRow {
        person: t.0,
        resource: t.1,
        via_kind: t.2,
        via: t.3,
        last_us: t.4,
        uses: t.5,
    }
}

fn check(r: &MonitorLastUseRow) -> Result<(), StoreError> {
    check_text(&r.person, "last use person")?;
    check_text(&r.resource, "last use resource")?;
    check_text(&r.via, "last use cover")?;
    if ![VIA_ROLE, VIA_GRANT, VIA_TEAM].contains(&r.via_kind.as_str()) {
        return Err(StoreError::InvalidInput {
            what: "last use cover kind",
            reason: format!(
                "`{}` is none of `{VIA_ROLE}`, `{VIA_GRANT}`, `{VIA_TEAM}`",
                r.via_kind
            ),
        });
    }
    if r.uses < 1 {
        return Err(StoreError::InvalidInput {
            what: "last use count",
            reason: format!("{} is not a count of uses (at least 1)", r.uses),
        });
    }
    Ok(())
}

/// An upsert of `rows` rows that keeps the later time and adds the counts,
/// with `?` placeholders on SQLite and `$n` on PostgreSQL.
fn upsert_sql(rows: usize, numbered: bool) -> String {
    let mut sql = crate::monitor::insert_values_sql(
        "monitor_last_use",
        COLUMNS,
        COLUMN_COUNT,
        rows,
        numbered,
    );
    sql.push_str(
        " ON CONFLICT (person, resource, via_kind, via) DO UPDATE SET \
         last_us = CASE WHEN excluded.last_us > monitor_last_use.last_us \
         THEN excluded.last_us ELSE monitor_last_use.last_us END, \
         uses = monitor_last_use.uses + excluded.uses",
    );
    sql
}

impl Store {
    /// Records `rows` in one transaction: a new key is inserted, a known one
    /// keeps the later of the two times and adds the counts. Rows of one key
    /// in `rows` are merged the same way first, so the order of the batch and
    /// of batches does not matter (counts saturate rather than overflow).
    pub async fn monitor_record_last_uses(
        &self,
        rows: &[MonitorLastUseRow],
    ) -> Result<(), StoreError> {
        let mut merged: BTreeMap<(&str, &str, &str, &str), (i64, i64)> = BTreeMap::new();
        for r in rows {
            check(r)?;
            let key = (
                r.person.as_str(),
                r.resource.as_str(),
                r.via_kind.as_str(),
                r.via.as_str(),
            );
            let seen = merged.entry(key).or_insert((r.last_us, 0));
            seen.0 = seen.0.max(r.last_us);
            seen.1 = seen.1.saturating_add(r.uses);
        }
        if merged.is_empty() {
            return Ok(());
        }
        let merged: Vec<_> = merged.into_iter().collect();
        let numbered = matches!(self.pool, Pool::Postgres(_));
        with_pool!(self, pool => {
            async {
                let mut tx = pool.begin().await?;
                for chunk in merged.chunks(ROWS_PER_UPSERT) {
                    let sql = upsert_sql(chunk.len(), numbered);
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for ((person, resource, via_kind, via), (last_us, uses)) in chunk {
                        query = query
                            .bind(*person).bind(*resource).bind(*via_kind).bind(*via)
                            .bind(*last_us).bind(*uses);
                    }
                    query.execute(&mut *tx).await?;
                }
                tx.commit().await
            }.await
        })
        .map_err(StoreError::db("recording last uses"))?;
        Ok(())
    }

    /// The latest use by `person` of any resource that their standing role
    /// `role` covered; `None` when none was recorded.
    pub async fn monitor_role_last_use(
        &self,
        person: &str,
        role: &str,
    ) -> Result<Option<i64>, StoreError> {
        let found: Option<(Option<i64>,)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT max(last_us) FROM monitor_last_use \
                 WHERE via_kind = $1 AND via = $2 AND person = $3",
            )
            .bind(VIA_ROLE).bind(role).bind(person)
            .fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading a role's last use"))?;
        Ok(found.and_then(|(t,)| t))
    }

    /// The latest use of any resource that grant `grant` (a request id)
    /// covered; `None` when none was recorded.
    pub async fn monitor_grant_last_use(&self, grant: &str) -> Result<Option<i64>, StoreError> {
        let found: Option<(Option<i64>,)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT max(last_us) FROM monitor_last_use WHERE via_kind = $1 AND via = $2",
            )
            .bind(VIA_GRANT).bind(grant)
            .fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading a grant's last use"))?;
        Ok(found.and_then(|(t,)| t))
    }

    /// Every resource `person` was seen using, with what covered each use,
    /// by resource and then cover.
    pub async fn monitor_last_uses(
        &self,
        person: &str,
    ) -> Result<Vec<MonitorLastUseRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM monitor_last_use WHERE person = $1 \
             ORDER BY resource, via_kind, via"
        );
        let rows: Vec<Tuple> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql.clone())).bind(person).fetch_all(pool).await
        })
        .map_err(StoreError::db("reading a person's last uses"))?;
        Ok(rows.into_iter().map(row).collect())
    }
}
