//! The governance metrics' recorded inputs: deployments with the commits they
//! shipped, and incidents.
//!
//! Rows are written only inside a [`LedgerTx`], with the ledger entry that
//! records them, so a deployment or incident is never in the store without its
//! evidence, nor the other way round. Reads are by period: deployments that
//! finished in a half-open range, incidents that overlap one; a whole period
//! is two queries, whatever its size.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use crate::ledger::LedgerTx;
use crate::ledger::conn::{check_text, on_conn};
use crate::store::with_pool;
use crate::{Store, StoreError};

/// A deployment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsDeploymentRow {
    /// Its id.
    pub id: String,
    /// The service deployed.
    pub service: String,
    /// The environment deployed to.
    pub environment: String,
    /// When it started (unix microseconds).
    pub started_us: i64,
    /// When it finished (unix microseconds).
    pub finished_us: i64,
    /// `success` or `failure`.
    pub status: String,
    /// `command` or `devlake`.
    pub source: String,
    /// When it was recorded.
    pub recorded_us: i64,
    /// Who recorded it (a handle).
    pub recorded_by: String,
    /// The commits it shipped as `(repo, sha)`, sorted, each once.
    pub commits: Vec<(String, String)>,
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsIncidentRow {
    /// Its id.
    pub id: String,
    /// The service it hit.
    pub service: String,
    /// Its severity.
    pub severity: String,
    /// One line on what happened.
    pub title: String,
    /// When it was opened (unix microseconds).
    pub opened_us: i64,
    /// When it was resolved; `None` while open.
    pub resolved_us: Option<i64>,
    /// The commit that caused it.
    pub cause_sha: Option<String>,
    /// The deployment that caused it.
    pub deployment_id: Option<String>,
    /// Who opened it.
    pub opened_by: String,
    /// Who resolved it.
    pub resolved_by: Option<String>,
}

/// Which deployments a read returns besides its time range; `None` matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsDeploymentFilter {
    /// Only of this service.
    pub service: Option<String>,
    /// Only to this environment.
    pub environment: Option<String>,
}

const DEPLOYMENT_COLUMNS: &str = "id, service, environment, started_us, finished_us, status, \
     source, recorded_us, recorded_by";

type DeploymentTuple = (
    String,
    String,
    String,
    i64,
    i64,
    String,
    String,
    i64,
    String,
);

fn deployment(t: DeploymentTuple) -> MetricsDeploymentRow {
    MetricsDeploymentRow {
        id: t.0,
        service: t.1,
        environment: t.2,
        started_us: t.3,
        finished_us: t.4,
        status: t.5,
        source: t.6,
        recorded_us: t.7,
        recorded_by: t.8,
        commits: Vec::new(),
    }
}

const INCIDENT_COLUMNS: &str = "id, service, severity, title, opened_us, resolved_us, cause_sha, \
     deployment_id, opened_by, resolved_by";

type IncidentTuple = (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
);

fn incident(t: IncidentTuple) -> MetricsIncidentRow {
    MetricsIncidentRow {
        id: t.0,
        service: t.1,
        severity: t.2,
        title: t.3,
        opened_us: t.4,
        resolved_us: t.5,
        cause_sha: t.6,
        deployment_id: t.7,
        opened_by: t.8,
        resolved_by: t.9,
    }
}

fn invalid(what: &'static str, reason: impl Into<String>) -> StoreError {
    StoreError::InvalidInput {
        what,
        reason: reason.into(),
    }
}

fn check_deployment(r: &MetricsDeploymentRow) -> Result<(), StoreError> {
    for (value, what) in [
        (r.id.as_str(), "deployment id"),
        (r.service.as_str(), "deployment service"),
        (r.environment.as_str(), "deployment environment"),
        (r.status.as_str(), "deployment status"),
        (r.source.as_str(), "deployment source"),
        (r.recorded_by.as_str(), "deployment recorder"),
    ] {
        check_text(value, what)?;
    }
    for (repo, sha) in &r.commits {
        check_text(repo, "deployment commit repository")?;
        check_text(sha, "deployment commit")?;
    }
    if !matches!(r.status.as_str(), "success" | "failure") {
        return Err(invalid(
            "deployment status",
            format!("`{}` is neither success nor failure", r.status),
        ));
    }
    if !matches!(r.source.as_str(), "command" | "devlake") {
        return Err(invalid(
            "deployment source",
            format!("`{}` is neither command nor devlake", r.source),
        ));
    }
    if r.started_us > r.finished_us {
        return Err(invalid("deployment times", "it started after it finished"));
    }
    Ok(())
}

fn check_incident(r: &MetricsIncidentRow) -> Result<(), StoreError> {
    for (value, what) in [
        (r.id.as_str(), "incident id"),
        (r.service.as_str(), "incident service"),
        (r.severity.as_str(), "incident severity"),
        (r.title.as_str(), "incident title"),
        (r.opened_by.as_str(), "incident opener"),
        (r.cause_sha.as_deref().unwrap_or(""), "incident cause"),
        (
            r.deployment_id.as_deref().unwrap_or(""),
            "incident deployment",
        ),
        (r.resolved_by.as_deref().unwrap_or(""), "incident resolver"),
    ] {
        check_text(value, what)?;
    }
    if r.resolved_us.is_some() != r.resolved_by.is_some() {
        return Err(invalid(
            "incident resolution",
            "a resolved incident needs both when and by whom",
        ));
    }
    if r.resolved_us.is_some_and(|at| at < r.opened_us) {
        return Err(invalid(
            "incident resolution",
            "it is resolved before it was opened",
        ));
    }
    Ok(())
}

/// Sorts each deployment's commits into place, from `(deployment, repo, sha)` rows.
fn attach(rows: &mut [MetricsDeploymentRow], commits: Vec<(String, String, String)>) {
    let at: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    for (id, repo, sha) in commits {
        if let Some(&i) = at.get(&id) {
            rows[i].commits.push((repo, sha));
        }
    }
    for r in rows {
        r.commits.sort();
    }
}

impl LedgerTx<'_> {
    /// The deployment `id` with its commits, as this transaction sees it.
    pub async fn metrics_deployment(
        &mut self,
        id: &str,
    ) -> Result<Option<MetricsDeploymentRow>, StoreError> {
        let sql = format!("SELECT {DEPLOYMENT_COLUMNS} FROM metrics_deployments WHERE id = $1");
        let mut conn = self.conn();
        let found: Option<DeploymentTuple> = on_conn!(conn, c => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(c).await
        })
        .map_err(StoreError::db("reading a deployment"))?;
        let Some(mut row) = found.map(deployment) else {
            return Ok(None);
        };
        let mut conn = self.conn();
        let commits: Vec<(String, String)> = on_conn!(conn, c => {
            sqlx::query_as(
                "SELECT repo, sha FROM metrics_deployment_commits WHERE deployment_id = $1 \
                 ORDER BY repo, sha",
            )
            .bind(id).fetch_all(c).await
        })
        .map_err(StoreError::db("reading a deployment's commits"))?;
        row.commits = commits;
        Ok(Some(row))
    }

    /// Inserts a deployment with its commits; an id already taken is
    /// [`StoreError::InvalidInput`].
    pub async fn metrics_insert_deployment(
        &mut self,
        r: &MetricsDeploymentRow,
    ) -> Result<(), StoreError> {
        check_deployment(r)?;
        let sql = format!(
            "INSERT INTO metrics_deployments ({DEPLOYMENT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING"
        );
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(AssertSqlSafe(sql))
                .bind(&r.id).bind(&r.service).bind(&r.environment).bind(r.started_us)
                .bind(r.finished_us).bind(&r.status).bind(&r.source).bind(r.recorded_us)
                .bind(&r.recorded_by)
                .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("recording a deployment"))?;
        if done == 0 {
            return Err(invalid(
                "deployment id",
                format!("`{}` is already taken", r.id),
            ));
        }
        let mut commits = r.commits.clone();
        commits.sort();
        commits.dedup();
        for (repo, sha) in &commits {
            let mut conn = self.conn();
            on_conn!(conn, c => {
                sqlx::query(
                    "INSERT INTO metrics_deployment_commits (deployment_id, repo, sha) \
                     VALUES ($1, $2, $3)",
                )
                .bind(&r.id).bind(repo).bind(sha)
                .execute(c).await.map(drop)
            })
            .map_err(StoreError::db("recording a deployment's commits"))?;
        }
        Ok(())
    }

    /// The incident `id`, as this transaction sees it.
    pub async fn metrics_incident(
        &mut self,
        id: &str,
    ) -> Result<Option<MetricsIncidentRow>, StoreError> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM metrics_incidents WHERE id = $1");
        let mut conn = self.conn();
        let found: Option<IncidentTuple> = on_conn!(conn, c => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(c).await
        })
        .map_err(StoreError::db("reading an incident"))?;
        Ok(found.map(incident))
    }

    /// Inserts an incident; an id already taken is [`StoreError::InvalidInput`].
    pub async fn metrics_insert_incident(
        &mut self,
        r: &MetricsIncidentRow,
    ) -> Result<(), StoreError> {
        check_incident(r)?;
        let sql = format!(
            "INSERT INTO metrics_incidents ({INCIDENT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING"
        );
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(AssertSqlSafe(sql))
                .bind(&r.id).bind(&r.service).bind(&r.severity).bind(&r.title)
                .bind(r.opened_us).bind(r.resolved_us).bind(&r.cause_sha).bind(&r.deployment_id)
                .bind(&r.opened_by).bind(&r.resolved_by)
                .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("recording an incident"))?;
        if done == 0 {
            return Err(invalid(
                "incident id",
                format!("`{}` is already taken", r.id),
            ));
        }
        Ok(())
    }

    /// Marks the open incident `id` resolved at `resolved_us` by `by`.
    /// Returns whether it did: `false` when there is no such incident or it
    /// is already resolved. A time before it was opened is
    /// [`StoreError::InvalidInput`].
    pub async fn metrics_resolve_incident(
        &mut self,
        id: &str,
        resolved_us: i64,
        by: &str,
    ) -> Result<bool, StoreError> {
        check_text(by, "incident resolver")?;
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(
                "UPDATE metrics_incidents SET resolved_us = $1, resolved_by = $2 \
                 WHERE id = $3 AND resolved_us IS NULL AND opened_us <= $1",
            )
            .bind(resolved_us).bind(by).bind(id)
            .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("resolving an incident"))?;
        if done == 1 {
            return Ok(true);
        }
        match self.metrics_incident(id).await? {
            Some(r) if r.resolved_us.is_none() && resolved_us < r.opened_us => Err(invalid(
                "incident resolution",
                "it is resolved before it was opened",
            )),
            _ => Ok(false),
        }
    }
}

impl Store {
    /// The deployments that finished in `[start_us, end_us)` and match
    /// `filter`, with their commits, oldest first (then by id).
    pub async fn metrics_deployments_finished(
        &self,
        start_us: i64,
        end_us: i64,
        filter: &MetricsDeploymentFilter,
    ) -> Result<Vec<MetricsDeploymentRow>, StoreError> {
        const WHERE: &str = "d.finished_us >= $1 AND d.finished_us < $2 \
             AND (CAST($3 AS TEXT) IS NULL OR d.service = $3) \
             AND (CAST($4 AS TEXT) IS NULL OR d.environment = $4)";
        let columns = DEPLOYMENT_COLUMNS
            .split(", ")
            .map(|c| format!("d.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let select = format!(
            "SELECT {columns} FROM metrics_deployments d WHERE {WHERE} \
             ORDER BY d.finished_us, d.id"
        );
        let commits = format!(
            "SELECT c.deployment_id, c.repo, c.sha FROM metrics_deployment_commits c \
             JOIN metrics_deployments d ON d.id = c.deployment_id WHERE {WHERE}"
        );
        let service = filter.service.as_deref();
        let environment = filter.environment.as_deref();
        let rows: Vec<DeploymentTuple> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(select.clone()))
                .bind(start_us).bind(end_us).bind(service).bind(environment)
                .fetch_all(pool).await
        })
        .map_err(StoreError::db("reading deployments"))?;
        let shipped: Vec<(String, String, String)> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(commits.clone()))
                .bind(start_us).bind(end_us).bind(service).bind(environment)
                .fetch_all(pool).await
        })
        .map_err(StoreError::db("reading deployments' commits"))?;
        let mut rows: Vec<MetricsDeploymentRow> = rows.into_iter().map(deployment).collect();
        attach(&mut rows, shipped);
        Ok(rows)
    }

    /// The deployment `id`, with its commits.
    pub async fn metrics_deployment(
        &self,
        id: &str,
    ) -> Result<Option<MetricsDeploymentRow>, StoreError> {
        let sql = format!("SELECT {DEPLOYMENT_COLUMNS} FROM metrics_deployments WHERE id = $1");
        let found: Option<DeploymentTuple> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading a deployment"))?;
        let Some(row) = found.map(deployment) else {
            return Ok(None);
        };
        let commits: Vec<(String, String, String)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT deployment_id, repo, sha FROM metrics_deployment_commits \
                 WHERE deployment_id = $1",
            )
            .bind(id).fetch_all(pool).await
        })
        .map_err(StoreError::db("reading a deployment's commits"))?;
        let mut rows = [row];
        attach(&mut rows, commits);
        let [row] = rows;
        Ok(Some(row))
    }

    /// The incidents open at some instant of `[start_us, end_us)`: opened
    /// before its end and not resolved before its start, oldest first.
    pub async fn metrics_incidents_overlapping(
        &self,
        start_us: i64,
        end_us: i64,
    ) -> Result<Vec<MetricsIncidentRow>, StoreError> {
        let sql = format!(
            "SELECT {INCIDENT_COLUMNS} FROM metrics_incidents WHERE opened_us < $2 \
             AND (resolved_us IS NULL OR resolved_us >= $1) ORDER BY opened_us, id"
        );
        let rows: Vec<IncidentTuple> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(start_us).bind(end_us).fetch_all(pool).await
        })
        .map_err(StoreError::db("reading incidents"))?;
        Ok(rows.into_iter().map(incident).collect())
    }

    /// Every incident, or only the open ones, oldest first.
    pub async fn metrics_incidents(
        &self,
        open_only: bool,
    ) -> Result<Vec<MetricsIncidentRow>, StoreError> {
        let sql = format!(
            "SELECT {INCIDENT_COLUMNS} FROM metrics_incidents \
             WHERE ($1 = 0 OR resolved_us IS NULL) ORDER BY opened_us, id"
        );
        let rows: Vec<IncidentTuple> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(i64::from(open_only)).fetch_all(pool).await
        })
        .map_err(StoreError::db("listing incidents"))?;
        Ok(rows.into_iter().map(incident).collect())
    }

    /// The incident `id`.
    pub async fn metrics_incident(
        &self,
        id: &str,
    ) -> Result<Option<MetricsIncidentRow>, StoreError> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM metrics_incidents WHERE id = $1");
        let found: Option<IncidentTuple> = with_pool!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading an incident"))?;
        Ok(found.map(incident))
    }
}
