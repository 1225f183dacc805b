//! The inputs of a period read back from the store.
//!
//! What was recorded was checked against the model of its day; the model may
//! have changed since (a service removed or renamed, an environment dropped, a
//! severity taken off the scale). Such rows are not dropped silently and not
//! counted as if nothing had changed: each is left out of the figures and
//! counted in [`DataIssues`] under its own kind, with its id.

use palisade_model::Index;
use palisade_store::{MetricsDeploymentFilter, Store, StoreError};

use crate::input::{DataIssues, Deployment, Incident};
use crate::period::Period;
use crate::record::{to_deployment, to_incident};

/// A period's recorded inputs, with what could not be used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    /// Deployments that finished in the period, oldest first.
    pub deployments: Vec<Deployment>,
    /// Incidents open at some instant of the period, oldest first.
    pub incidents: Vec<Incident>,
    /// Rows left out, by kind.
    pub issues: DataIssues,
}

/// Why the inputs could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Kinds of rows that no longer match the model.
pub mod issue {
    /// A deployment or incident of a service the model no longer has.
    pub const REMOVED_SERVICE: &str = "removed_service";
    /// A deployment to an environment the model no longer has.
    pub const REMOVED_ENVIRONMENT: &str = "removed_environment";
    /// An incident of a severity no longer on the model's scale.
    pub const REMOVED_SEVERITY: &str = "removed_severity";
    /// A row this version cannot read (a status or time out of range).
    pub const UNREADABLE: &str = "unreadable_record";
}

/// Reads the deployments that finished in `period` (only of `filter`'s
/// service and environment when it names them) and the incidents open during
/// it, checked against the current model in `index`.
pub async fn load(
    store: &Store,
    index: &Index<'_>,
    period: &Period,
    filter: &MetricsDeploymentFilter,
) -> Result<Loaded, LoadError> {
    load_range(
        store,
        index,
        period.start.as_microsecond(),
        period.end.as_microsecond(),
        filter,
    )
    .await
}

/// [`load`] over `[start_us, end_us)` in unix microseconds (several periods at once:
/// a trend reads its months in one go and splits them).
pub async fn load_range(
    store: &Store,
    index: &Index<'_>,
    start_us: i64,
    end_us: i64,
    filter: &MetricsDeploymentFilter,
) -> Result<Loaded, LoadError> {
    let mut out = Loaded::default();
    let severities = &index.model().metrics.incident_severities;
    for row in store
        .metrics_deployments_finished(start_us, end_us, filter)
        .await?
    {
        if index.service_by_id(&row.service).is_none() {
            out.issues.note(
                issue::REMOVED_SERVICE,
                "a recorded deployment of a service no longer in the model is left out",
                format!("deployment {} ({})", row.id, row.service),
            );
            continue;
        }
        if index.environment_by_id(&row.environment).is_none() {
            out.issues.note(
                issue::REMOVED_ENVIRONMENT,
                "a recorded deployment to an environment no longer in the model is left out",
                format!("deployment {} ({})", row.id, row.environment),
            );
            continue;
        }
        match to_deployment(&row) {
            Some(d) => out.deployments.push(d),
            None => out.issues.note(
                issue::UNREADABLE,
                "a stored record this version cannot read is left out",
                format!("deployment {}", row.id),
            ),
        }
    }
    let wanted = |service: &str| filter.service.as_deref().is_none_or(|s| s == service);
    for row in store
        .metrics_incidents_overlapping(start_us, end_us)
        .await?
    {
        if !wanted(&row.service) {
            continue;
        }
        if index.service_by_id(&row.service).is_none() {
            out.issues.note(
                issue::REMOVED_SERVICE,
                "a recorded incident of a service no longer in the model is left out",
                format!("incident {} ({})", row.id, row.service),
            );
            continue;
        }
        if !severities.iter().any(|s| s == &row.severity) {
            out.issues.note(
                issue::REMOVED_SEVERITY,
                "a recorded incident whose severity is no longer on the model's scale is left out",
                format!("incident {} ({})", row.id, row.severity),
            );
            continue;
        }
        match to_incident(&row) {
            Ok(i) => out.incidents.push(i),
            Err(_) => out.issues.note(
                issue::UNREADABLE,
                "a stored record this version cannot read is left out",
                format!("incident {}", row.id),
            ),
        }
    }
    Ok(out)
}
