//! The monthly review: every figure of a scope and month, with its trend, in one document.
//!
//! [`assemble`] takes inputs that are already loaded (deployments, incidents,
//! the history walk, the ledger's facts, the readiness scorecard) and computes
//! nothing new: it asks the other modules for the month's figures and for the
//! same figures over the months before, and shapes them into tables and
//! trends that [`crate::render`] writes as HTML, Markdown or JSON.

mod tables;
mod trend;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use palisade_model::Index;
use serde::Serialize;

use crate::cost::{CostInputs, CostToDeliver, QualityFlag, cost_to_deliver, quality};
use crate::delivery::{Delivery, DeliveryInput, delivery_given};
use crate::dora::{Dora, Shipments};
use crate::facts::LedgerFacts;
use crate::history::Histories;
use crate::input::{Commit, DataIssues, Deployment, Incident, PullRequest, Review};
use crate::knowledge::Runbook;
use crate::measure::{Measured, Scope};
use crate::period::Period;
use crate::platform::{PlatformHealth, PlatformInputs, platform_health, service_covers};
use crate::readiness::{ReadinessInputs, Scorecard, scorecard, trend_months, trend_points};

pub use trend::trend;

/// The monthly review of one scope: the month's figures, their trend, the
/// readiness scorecard and what the figures stand on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthlyReview {
    /// Whom it is about.
    pub scope: Scope,
    /// How the scope is shown (a vendor's name, a team's name).
    pub scope_name: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// First instant of the month in the organisation's zone.
    pub start: Timestamp,
    /// First instant after it.
    pub end: Timestamp,
    /// The organisation's time zone the month is read in (IANA name).
    pub zone: String,
    /// When it was produced.
    pub generated: Timestamp,
    /// The month's figures, one table per module (DORA, delivery, platform, knowledge, cost).
    pub tables: Vec<FigureTable>,
    /// The same figures as the modules computed them, for machines.
    pub figures: Figures,
    /// The figures over the months before, ending with this one.
    pub trend: Trend,
    /// The readiness scorecard as of [`MonthlyReview::generated`]: of the
    /// scope, or for a team or a service, of its vendor (or the organisation).
    pub readiness: Scorecard,
    /// Input that could not be used as it is, and what it means for the figures.
    pub issues: DataIssues,
}

/// The month's figures of each module, as computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// The DORA keys.
    pub dora: Option<Dora>,
    /// Delivery health.
    pub delivery: Option<Delivery>,
    /// Platform health and risk.
    pub platform: Option<PlatformHealth>,
    /// The runbooks of the scope's services.
    pub runbooks: Measured<Vec<Runbook>>,
    /// The cost to deliver (a vendor's, or a team's share of it).
    pub cost: Measured<CostToDeliver>,
    /// Output against quality, compared with the month before.
    pub cost_quality: QualityFlag,
}

/// A table of figures with a title: one row per figure, one cell per column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureTable {
    /// A short id, unique in the review (`dora`, `delivery`, …).
    pub id: String,
    /// Its heading.
    pub title: String,
    /// One sentence on how to read it, if any.
    pub note: Option<String>,
    /// The column headings.
    pub columns: Vec<String>,
    /// The rows; each has one cell per column.
    pub rows: Vec<Vec<Measured<String>>>,
}

/// The review's trends: the chart data, each measured or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// The months covered, oldest first; the review's month is the last.
    pub months: Vec<String>,
    /// Production deployments per week over those months.
    pub weekly: Measured<Vec<WeekCount>>,
    /// The month's production deployments by the median lead time of the changes each shipped.
    pub lead_time: Measured<Vec<Bucket>>,
    /// Change failure rate and recovery time per month.
    pub monthly: Vec<MonthPoint>,
    /// Alerts per month by severity, most severe first.
    pub alerts: Measured<Vec<MonthAlerts>>,
}

/// The deployments of one week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekCount {
    /// The Monday it starts on, `YYYY-MM-DD`.
    pub week: String,
    /// Successful production deployments that finished in it.
    pub deployments: u64,
    /// Failed ones.
    pub failed: u64,
}

/// A bucket of a distribution: a label and how many fell in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Its label (`< 1 h`, `< 1 day`, …).
    pub label: String,
    /// How many fell in it.
    pub count: u64,
}

/// One month of the stability trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPoint {
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Production deployments in it.
    pub deployments: Measured<u64>,
    /// Change failure rate, 0 to 1.
    pub change_failure_rate: Measured<f64>,
    /// Median failed-deployment recovery time, in hours.
    pub recovery_hours: Measured<f64>,
}

/// One month's alerts by severity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthAlerts {
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Alerts raised in it per severity, most severe first, or why there are none to count.
    pub by_severity: Measured<Vec<(String, u64)>>,
}

/// The lead-time buckets, as upper bounds in hours with their labels; the last is open.
pub const LEAD_TIME_BUCKETS: [(f64, &str); 5] = [
    (1.0, "< 1 hour"),
    (24.0, "< 1 day"),
    (24.0 * 7.0, "< 1 week"),
    (24.0 * 30.0, "< 1 month"),
    (f64::INFINITY, "1 month or more"),
];

/// Lead times (hours) counted into [`LEAD_TIME_BUCKETS`]; no data when there are none.
pub fn lead_time_buckets(hours: &[f64], why: impl FnOnce() -> String) -> Measured<Vec<Bucket>> {
    if hours.is_empty() {
        return Measured::NoData(why());
    }
    let mut counts = [0u64; LEAD_TIME_BUCKETS.len()];
    for h in hours {
        let i = LEAD_TIME_BUCKETS
            .iter()
            .position(|(upper, _)| *h < *upper)
            .unwrap_or(LEAD_TIME_BUCKETS.len() - 1);
        counts[i] += 1;
    }
    Measured::Value(
        LEAD_TIME_BUCKETS
            .iter()
            .zip(counts)
            .map(|((_, label), count)| Bucket {
                label: (*label).to_owned(),
                count,
            })
            .collect(),
    )
}

/// Everything the review is assembled from, already loaded.
#[derive(Debug, Clone, Copy)]
pub struct ReviewInputs<'a> {
    /// The model's index.
    pub index: &'a Index<'a>,
    /// The organisation's time zone.
    pub zone: &'a TimeZone,
    /// Every recorded deployment up to the reviewed month's end or later, as
    /// `palisade metrics` reads them: each service's previous deployment and
    /// its real first one are among them, so the figures agree.
    pub deployments: &'a [Deployment],
    /// Incidents open at some instant of those months.
    pub incidents: &'a [Incident],
    /// The commits of the histories read, authors resolved (for the cost per change).
    pub commits: &'a [Commit],
    /// The git histories of the deployed repositories that were read.
    pub histories: &'a Histories,
    /// Pull requests, when GitHub's JSON was given.
    pub pulls: Option<&'a [PullRequest]>,
    /// Their reviews, when given.
    pub reviews: Option<&'a [Review]>,
    /// Pull requests (`owner/name`, number) whose reviews were given though
    /// none is recorded (an empty reviews file for one): those have no review.
    pub reviews_given: &'a [(String, u64)],
    /// What the ledger holds, one per month of the trend, in the same order.
    pub facts: &'a [LedgerFacts],
    /// What the ledger holds over the window the readiness scorecard judges
    /// (at least the access review interval back from `now`).
    pub readiness_facts: &'a LedgerFacts,
    /// The deployments that finished in that window.
    pub readiness_deployments: &'a [Deployment],
    /// The runbooks of the model's services, or why they were not read.
    pub runbooks: &'a Measured<Vec<Runbook>>,
    /// What loading the inputs set aside.
    pub issues: &'a DataIssues,
    /// When the review is produced.
    pub now: Timestamp,
}

/// How `scope` is shown: a vendor's or team's name, a service's id, or "the organisation".
pub fn scope_name(index: &Index<'_>, scope: &Scope) -> String {
    match scope {
        Scope::Org => index.model().org.name.clone(),
        Scope::Vendor(id) => index
            .vendor_by_id(id)
            .map_or_else(|| id.clone(), |v| index.vendor(v).name.clone()),
        Scope::Team(id) => index
            .team_by_id(id)
            .map_or_else(|| id.clone(), |t| index.team(t).name.clone()),
        Scope::Service(id) => id.clone(),
    }
}

/// The review of `scope` for the last of `months` (oldest first), with the
/// trend over all of them.
pub fn assemble(inputs: &ReviewInputs<'_>, scope: &Scope, months: &[Period]) -> MonthlyReview {
    let index = inputs.index;
    let shipments = Shipments::compute(
        index,
        inputs.deployments,
        inputs.incidents,
        inputs.histories,
    );
    let dora: Vec<Dora> = months
        .iter()
        .map(|m| shipments.dora(scope, m, inputs.zone))
        .collect();
    let platform: Vec<_> = months
        .iter()
        .zip(inputs.facts)
        .map(|(period, facts)| {
            platform_health(
                &PlatformInputs {
                    index,
                    period,
                    incidents: Some(inputs.incidents),
                    facts,
                    now: inputs.now,
                },
                scope,
            )
        })
        .collect();
    let month = months.last();
    let mut tables = Vec::new();
    if let Some(d) = dora.last() {
        tables.push(tables::dora(d));
    }
    let delivery = month.map(|m| {
        delivery_given(
            index,
            scope,
            m,
            DeliveryInput {
                pulls: inputs.pulls,
                reviews: inputs.reviews,
                histories: inputs.histories,
                shipments: &shipments,
            },
            inputs.reviews_given,
        )
    });
    if let Some(d) = &delivery {
        tables.push(tables::delivery(d));
    }
    if let Some(p) = platform.last() {
        tables.push(tables::platform(p));
    }
    let runbooks = match inputs.runbooks {
        Measured::Value(list) => Measured::Value(
            list.iter()
                .filter(|r| service_covers(index, &r.service, scope))
                .cloned()
                .collect::<Vec<_>>(),
        ),
        Measured::NoData(why) => Measured::NoData(why.clone()),
    };
    tables.push(tables::knowledge(
        &runbooks,
        index.model().org.policy.readiness.runbook_max_age_days,
    ));
    let (cost, cost_quality) = match month {
        Some(m) => cost(inputs, scope, months, m),
        None => no_cost("there is no month to review".into()),
    };
    tables.push(tables::cost(&cost, &cost_quality));

    let mut issues = inputs.issues.clone();
    if let Some(d) = dora.last() {
        issues.merge(d.issues.clone());
    }
    if let Some(d) = &delivery {
        issues.merge(d.issues.clone());
    }
    if let Some(p) = platform.last() {
        issues.merge(p.issues.clone());
    }
    MonthlyReview {
        scope: scope.clone(),
        scope_name: scope_name(index, scope),
        month: month.map(|m| m.label.clone()).unwrap_or_default(),
        start: month.map_or(inputs.now, |m| m.start),
        end: month.map_or(inputs.now, |m| m.end),
        zone: inputs.zone.iana_name().unwrap_or("UTC").to_owned(),
        generated: inputs.now,
        tables,
        trend: trend(&dora, &platform, inputs.zone, inputs.now),
        readiness: readiness(inputs, scope, &shipments),
        issues,
        figures: Figures {
            dora: dora.last().cloned(),
            delivery,
            platform: platform.last().cloned(),
            runbooks,
            cost,
            cost_quality,
        },
    }
}

/// The scorecard of `scope` (of its vendor, or the organisation's, for a
/// team or a service) as `palisade readiness` judges it at the same instant:
/// its trend control over the policy's trend months ending with the last full
/// month before [`ReviewInputs::now`], whatever months the review's charts show.
fn readiness(inputs: &ReviewInputs<'_>, scope: &Scope, shipments: &Shipments) -> Scorecard {
    // The checklist is a vendor's (or the organisation's): a team or a service
    // is judged with the vendor it belongs to.
    let index = inputs.index;
    let team = match scope {
        Scope::Team(t) => index.team_by_id(t),
        Scope::Service(s) => index
            .service_by_id(s)
            .and_then(|s| index.team_by_id(&index.service(s).team)),
        Scope::Org | Scope::Vendor(_) => None,
    };
    let judged = match scope {
        Scope::Org | Scope::Vendor(_) => scope.clone(),
        _ => team
            .and_then(|t| index.vendor_of_team(t))
            .map_or(Scope::Org, |v| Scope::Vendor(index.vendor(v).id.clone())),
    };
    let points = match trend_months(index, inputs.now, inputs.zone) {
        Ok(months) => {
            // The incidents `palisade readiness` reads: open at some instant
            // from the first trend month to now.
            let from = months.first().map_or(inputs.now, |m| m.start);
            let incidents: Vec<Incident> = inputs
                .incidents
                .iter()
                .filter(|i| i.opened < inputs.now && i.resolved.is_none_or(|r| r >= from))
                .cloned()
                .collect();
            trend_points(index, shipments, &incidents, &judged, &months, inputs.zone)
        }
        // No months to compare: the control says there is no trend.
        Err(_) => Vec::new(),
    };
    let trends = std::collections::BTreeMap::from([(judged.clone(), points)]);
    scorecard(
        &ReadinessInputs {
            index: inputs.index,
            today: palisade_model::Day(inputs.now.to_zoned(inputs.zone.clone()).date()),
            now: inputs.now,
            codeowners: None,
            permissions: None,
            deployments: inputs.readiness_deployments,
            facts: inputs.readiness_facts,
            runbooks: inputs.runbooks,
            trends: &trends,
        },
        &judged,
    )
}

/// No cost to deliver, and why.
fn no_cost(why: String) -> (Measured<CostToDeliver>, QualityFlag) {
    (
        Measured::NoData(why.clone()),
        QualityFlag {
            quality: Measured::NoData(why),
            because: "nothing to compare".into(),
        },
    )
}

/// The cost to deliver and its quality flag: a vendor's own, a team's share
/// of its vendor's, none for the organisation or a service.
fn cost(
    inputs: &ReviewInputs<'_>,
    scope: &Scope,
    months: &[Period],
    month: &Period,
) -> (Measured<CostToDeliver>, QualityFlag) {
    let index = inputs.index;
    let vendor = match scope {
        Scope::Vendor(v) => Some(v.clone()),
        Scope::Team(t) => index
            .team_by_id(t)
            .and_then(|t| index.vendor_of_team(t))
            .map(|v| index.vendor(v).id.clone()),
        Scope::Org | Scope::Service(_) => None,
    };
    let Some(vendor) = vendor else {
        return no_cost(format!(
            "the cost to deliver is a vendor's or a vendor team's; {scope} has no contract of its own"
        ));
    };
    let at = |period: &Period| {
        cost_to_deliver(
            &CostInputs {
                index,
                period,
                zone: inputs.zone,
                deployments: inputs.deployments,
                commits: inputs.commits,
                incidents: inputs.incidents,
                histories: Some(inputs.histories),
            },
            &vendor,
        )
    };
    let Some(now) = at(month) else {
        return no_cost(format!("the model has no vendor {vendor}"));
    };
    let previous = months.len().checked_sub(2).and_then(|i| at(&months[i]));
    // A team reads its own share; a vendor its whole.
    let (figures, prev) = match scope {
        Scope::Team(t) => {
            let team = |c: &CostToDeliver| c.teams.iter().find(|x| &x.team == t).cloned();
            let mine = team(&now).map(|tc| CostToDeliver {
                cost: tc.cost,
                deployments: tc.deployments,
                changes: tc.changes,
                incidents: tc.incidents,
                cost_per_deployment: tc.cost_per_deployment,
                cost_per_change: tc.cost_per_change,
                incidents_per_deployment: tc.incidents_per_deployment,
                ..now.clone()
            });
            let before = previous
                .as_ref()
                .and_then(team)
                .map(|tc| (tc.deployments, tc.incidents));
            (mine, before)
        }
        _ => {
            let before = previous.as_ref().map(|c| (c.deployments, c.incidents));
            (Some(now), before)
        }
    };
    let Some(figures) = figures else {
        return no_cost(format!("{scope} is not a team of vendor {vendor}"));
    };
    let flag = match prev {
        Some((d, i)) => quality(d, i, figures.deployments, figures.incidents),
        None => QualityFlag {
            quality: Measured::NoData("no month before this one in the review".into()),
            because: "nothing to compare with".into(),
        },
    };
    (Measured::Value(figures), flag)
}

#[cfg(test)]
mod tests;
