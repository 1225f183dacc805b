//! The cost to deliver: a vendor's contract cost against what it delivered
//! (production deployments, changes) and what broke (incidents), shared out
//! across its teams, and whether a rise in output came with a faster rise in
//! incidents (a quality problem, not a productivity win).
//!
//! Rules (also in `docs/platform-health.md`):
//! - **cost**: every contract of the vendor with a `monthly_cost`, for each
//!   day of the period it is in force (`starts..=ends`, days in the
//!   organisation's time zone), contributes `monthly_cost / days in that
//!   calendar month`; a period covering a whole month of a contract in force
//!   costs exactly its `monthly_cost`.
//! - **share**: a team's share of the vendor's cost is its number of people
//!   active during the period over the vendor's (a person is active unless
//!   offboarded on or before the period's first day); a vendor with no active
//!   people splits equally between its teams.
//! - **deployments**: successful deployments to production environments of
//!   services the team owns, finished in the period; **changes**: commits
//!   authored in the period by the team's people (each commit once);
//!   **incidents**: incidents opened in the period on services the team owns.

use std::collections::HashSet;

use jiff::{ToSpan, civil, tz::TimeZone};
use palisade_model::{Day, Index, Status, VendorId};
use serde::Serialize;

use crate::history::Histories;
use crate::input::{Commit, DeployStatus, Deployment, Incident};
use crate::measure::{Measured, Scope};
use crate::period::Period;

/// What the cost to deliver is computed from.
#[derive(Debug, Clone, Copy)]
pub struct CostInputs<'a> {
    /// The model's index.
    pub index: &'a Index<'a>,
    /// The period.
    pub period: &'a Period,
    /// The organisation's time zone (contract days are read in it).
    pub zone: &'a TimeZone,
    /// Deployments (any period; those in the period count).
    pub deployments: &'a [Deployment],
    /// Commits, authors resolved (any period; those authored in it count);
    /// empty when no repository history was read, and changes are then no data.
    pub commits: &'a [Commit],
    /// Incidents (any period; those opened in it count).
    pub incidents: &'a [Incident],
    /// The histories that were read, when known: a team that counts no change
    /// while a repository of its services was not read has no data, not 0.
    pub histories: Option<&'a Histories>,
}

/// Delivery against cost for one team of a vendor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamCost {
    /// The team.
    pub team: String,
    /// Its people active during the period.
    pub active_people: u64,
    /// Its share of the vendor's cost, from 0 to 1.
    pub share: f64,
    /// Its share of the cost, in the contract's currency.
    pub cost: Measured<f64>,
    /// Successful production deployments of its services.
    pub deployments: u64,
    /// Commits by its people; no data when no repository history was read.
    pub changes: Measured<u64>,
    /// Incidents opened on its services.
    pub incidents: u64,
    /// `cost / deployments`.
    pub cost_per_deployment: Measured<f64>,
    /// `cost / changes`.
    pub cost_per_change: Measured<f64>,
    /// `incidents / deployments`.
    pub incidents_per_deployment: Measured<f64>,
}

/// Delivery against cost for a vendor over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostToDeliver {
    /// The vendor.
    pub scope: Scope,
    /// The period's label.
    pub period: String,
    /// The contracts whose cost counts (in force during the period, with a `monthly_cost`).
    pub contracts: Vec<String>,
    /// Contracts in force during the period that state no `monthly_cost`.
    pub uncosted_contracts: Vec<String>,
    /// The currency, when every costed contract states the same one.
    pub currency: Option<String>,
    /// The cost of the period, prorated by day.
    pub cost: Measured<f64>,
    /// Successful production deployments of the vendor's teams' services.
    pub deployments: u64,
    /// Commits by the vendor's people; no data when no repository history was read.
    pub changes: Measured<u64>,
    /// Incidents opened on the vendor's teams' services.
    pub incidents: u64,
    /// `cost / deployments`.
    pub cost_per_deployment: Measured<f64>,
    /// `cost / changes`.
    pub cost_per_change: Measured<f64>,
    /// `incidents / deployments`.
    pub incidents_per_deployment: Measured<f64>,
    /// Each team's share, in the model's order of teams.
    pub teams: Vec<TeamCost>,
}

/// What a period-on-period change in output and incidents means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// Deployments rose and incidents per deployment did not: more output, same quality.
    ProductivityGain,
    /// Deployments rose, and incidents rose faster (incidents per deployment
    /// went up): shipping faster while breaking more.
    QualityProblem,
    /// Deployments did not rise.
    Steady,
}

/// The quality verdict of `current` against `previous`, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityFlag {
    /// The verdict, or no data when the previous period had no deployments.
    pub quality: Measured<Quality>,
    /// One line saying why.
    pub because: String,
}

/// The cost to deliver of `vendor` over the inputs' period; `None` if the
/// model has no such vendor.
pub fn cost_to_deliver(inputs: &CostInputs<'_>, vendor: &str) -> Option<CostToDeliver> {
    let index = inputs.index;
    let vid = index.vendor_by_id(vendor)?;
    let p = inputs.period;
    let (contracts, uncosted, currencies, cost) = contract_cost(inputs, vid);
    let cost = if contracts.is_empty() {
        Measured::NoData(if uncosted.is_empty() {
            format!("vendor {vendor} has no contract in force in {}", p.label)
        } else {
            format!(
                "no contract of vendor {vendor} in force in {} states a monthly_cost ({})",
                p.label,
                uncosted.join(", ")
            )
        })
    } else {
        Measured::Value(cost)
    };
    let teams: Vec<_> = index.vendor_teams(vid).to_vec();
    let active: Vec<u64> = teams
        .iter()
        .map(|t| {
            index
                .members(*t)
                .iter()
                .filter(|m| active_in(index, **m, inputs))
                .count() as u64
        })
        .collect();
    let total_active: u64 = active.iter().sum();
    let mut team_costs = Vec::new();
    let mut seen_commits = HashSet::new();
    let no_history = || "no repository history was read (--repo-dir)".to_owned();
    let measured = |n: u64| {
        if inputs.commits.is_empty() {
            Measured::NoData(no_history())
        } else {
            Measured::Value(n)
        }
    };
    let (mut deployments, mut changes, mut incidents) = (0, 0, 0);
    for (t, n) in teams.iter().zip(&active) {
        let team = &index.team(*t).id;
        let share = if total_active == 0 {
            1.0 / teams.len() as f64
        } else {
            *n as f64 / total_active as f64
        };
        let d = inputs
            .deployments
            .iter()
            .filter(|d| {
                d.status == DeployStatus::Success
                    && p.contains(d.finished)
                    && owned_by(index, &d.service, team)
                    && index
                        .environment_by_id(&d.environment)
                        .is_some_and(|e| index.environment(e).production)
            })
            .count() as u64;
        let members: HashSet<&str> = index
            .members(*t)
            .iter()
            .map(|m| index.person(*m).handle.as_str())
            .collect();
        let c = inputs
            .commits
            .iter()
            .filter(|c| p.contains(c.authored))
            .filter(|c| c.person.as_deref().is_some_and(|h| members.contains(h)))
            .filter(|c| seen_commits.insert(c.sha.as_str()))
            .count() as u64;
        let i = inputs
            .incidents
            .iter()
            .filter(|i| p.contains(i.opened) && owned_by(index, &i.service, team))
            .count() as u64;
        // No change counted while the team's own repositories were not read
        // is not a measured 0.
        let unread = inputs.histories.map_or_else(Vec::new, |h| {
            crate::delivery::scope_repositories(index, &Scope::Team(team.clone()), h).1
        });
        let team_changes = if c == 0 && !unread.is_empty() {
            Measured::NoData(format!(
                "the history of {} was not read (--repo-dir)",
                unread.join(", ")
            ))
        } else {
            measured(c)
        };
        deployments += d;
        changes += c;
        incidents += i;
        let team_cost = cost.clone().map(|c| c * share);
        team_costs.push(TeamCost {
            team: team.clone(),
            active_people: *n,
            share,
            cost_per_deployment: per(&team_cost, d, "production deployments"),
            cost_per_change: per_measured(&team_cost, &team_changes, "changes"),
            incidents_per_deployment: ratio(i, d),
            cost: team_cost,
            deployments: d,
            changes: team_changes,
            incidents: i,
        });
    }
    Some(CostToDeliver {
        scope: Scope::Vendor(vendor.to_owned()),
        period: p.label.clone(),
        currency: match currencies.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        },
        contracts,
        uncosted_contracts: uncosted,
        cost_per_deployment: per(&cost, deployments, "production deployments"),
        cost_per_change: per_measured(&cost, &measured(changes), "changes"),
        incidents_per_deployment: ratio(incidents, deployments),
        cost,
        deployments,
        changes: measured(changes),
        incidents,
        teams: team_costs,
    })
}

/// Compares a vendor's (or team's) period with the one before: deployments
/// up and incidents per deployment up is a quality problem.
pub fn quality(
    previous_deployments: u64,
    previous_incidents: u64,
    deployments: u64,
    incidents: u64,
) -> QualityFlag {
    if previous_deployments == 0 {
        return QualityFlag {
            quality: Measured::NoData(
                "no production deployments in the previous period to compare with".to_owned(),
            ),
            because: "nothing to compare with".to_owned(),
        };
    }
    let before = previous_incidents as f64 / previous_deployments as f64;
    let now = if deployments == 0 {
        0.0
    } else {
        incidents as f64 / deployments as f64
    };
    let (q, because) = if deployments <= previous_deployments {
        (
            Quality::Steady,
            format!("deployments did not rise ({previous_deployments} → {deployments})"),
        )
    } else if now > before {
        (
            Quality::QualityProblem,
            format!(
                "deployments rose {previous_deployments} → {deployments} while incidents rose faster, {previous_incidents} → {incidents} ({before:.2} → {now:.2} per deployment)"
            ),
        )
    } else {
        (
            Quality::ProductivityGain,
            format!(
                "deployments rose {previous_deployments} → {deployments}; incidents per deployment {before:.2} → {now:.2}"
            ),
        )
    };
    QualityFlag {
        quality: Measured::Value(q),
        because,
    }
}

fn per(cost: &Measured<f64>, n: u64, what: &str) -> Measured<f64> {
    match cost {
        Measured::NoData(why) => Measured::NoData(why.clone()),
        Measured::Value(_) if n == 0 => Measured::NoData(format!("no {what} in the period")),
        Measured::Value(c) => Measured::Value(c / n as f64),
    }
}

/// `cost / n` for a count that may itself be no data.
fn per_measured(cost: &Measured<f64>, n: &Measured<u64>, what: &str) -> Measured<f64> {
    match (cost, n) {
        (Measured::NoData(why), _) | (_, Measured::NoData(why)) => Measured::NoData(why.clone()),
        (_, Measured::Value(n)) => per(cost, *n, what),
    }
}

fn ratio(incidents: u64, deployments: u64) -> Measured<f64> {
    if deployments == 0 {
        Measured::NoData("no production deployments in the period".to_owned())
    } else {
        Measured::Value(incidents as f64 / deployments as f64)
    }
}

fn owned_by(index: &Index<'_>, service: &str, team: &str) -> bool {
    index
        .service_by_id(service)
        .is_some_and(|s| index.service(s).team == team)
}

fn active_in(index: &Index<'_>, person: palisade_model::PersonId, inputs: &CostInputs<'_>) -> bool {
    let p = index.person(person);
    let first = Day(inputs.period.start.to_zoned(inputs.zone.clone()).date());
    match (p.status, p.offboarded_on) {
        (_, Some(day)) => day > first,
        (Status::Offboarded, None) => false,
        (_, None) => true,
    }
}

/// The costed contracts, the uncosted ones, the currencies, and the prorated cost.
fn contract_cost(
    inputs: &CostInputs<'_>,
    vendor: VendorId,
) -> (Vec<String>, Vec<String>, Vec<String>, f64) {
    let index = inputs.index;
    let p = inputs.period;
    let first = p.start.to_zoned(inputs.zone.clone()).date();
    // The period is half-open: its last day is the day of the instant before its end.
    let last = p
        .end
        .checked_sub(1.microsecond())
        .unwrap_or(p.end)
        .to_zoned(inputs.zone.clone())
        .date();
    let (mut costed, mut uncosted, mut currencies) = (Vec::new(), Vec::new(), Vec::new());
    let mut total = 0.0;
    for c in index.vendor_contracts(vendor) {
        let c = index.contract(*c);
        let from = first.max(c.starts.0);
        let to = last.min(c.ends.0);
        if from > to {
            continue;
        }
        let Some(monthly) = c.monthly_cost else {
            uncosted.push(c.id.clone());
            continue;
        };
        costed.push(c.id.clone());
        if let Some(cur) = &c.currency
            && !currencies.contains(cur)
        {
            currencies.push(cur.clone());
        }
        total += prorated(monthly, from, to);
    }
    (costed, uncosted, currencies, total)
}

/// `monthly` for the days `from..=to`: each day costs `monthly / days in its month`.
pub fn prorated(monthly: f64, from: civil::Date, to: civil::Date) -> f64 {
    let mut total = 0.0;
    let mut day = from;
    while day <= to {
        let month_end = day.last_of_month();
        let stop = month_end.min(to);
        let days = i64::from(stop.day() - day.day()) + 1;
        total += monthly * days as f64 / f64::from(day.days_in_month());
        match month_end.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_month_costs_its_monthly_cost_and_a_part_its_share_of_days() {
        let d = |s: &str| s.parse::<civil::Date>().expect("date");
        assert!((prorated(3100.0, d("2026-10-01"), d("2026-10-31")) - 3100.0).abs() < 1e-9);
        // 10 of October's 31 days.
        assert!((prorated(3100.0, d("2026-10-22"), d("2026-10-31")) - 1000.0).abs() < 1e-9);
        // 16 of 30 November days and 31 December days.
        let two = prorated(3000.0, d("2026-11-15"), d("2026-12-31"));
        assert!((two - (1600.0 + 3000.0)).abs() < 1e-9, "{two}");
    }

    #[test]
    fn shipping_more_while_incidents_climb_faster_is_a_quality_problem() {
        let q = quality(10, 1, 20, 4);
        assert_eq!(q.quality, Measured::Value(Quality::QualityProblem));
        let q = quality(10, 2, 20, 4);
        assert_eq!(q.quality, Measured::Value(Quality::ProductivityGain));
        let q = quality(10, 2, 10, 9);
        assert_eq!(q.quality, Measured::Value(Quality::Steady));
        assert!(matches!(quality(0, 0, 5, 5).quality, Measured::NoData(_)));
    }
}
