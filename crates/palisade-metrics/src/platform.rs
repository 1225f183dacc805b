//! Platform health and risk, per scope and period: incidents and recovery,
//! gate failures and waivers, secrets found, alerts by severity, break-glass
//! uses and access exceptions.
//!
//! Each block is [`Measured::NoData`] when its source recorded nothing that
//! could speak for the scope, so "no scan was recorded" never reads as "no
//! secrets found". The definitions are in `docs/platform-health.md`.

use jiff::Timestamp;
use palisade_model::Index;
use serde::Serialize;

use crate::facts::{Attribution, LedgerFacts, kind};
use crate::input::{DataIssues, Incident};
use crate::measure::{Measured, Scope};
use crate::period::Period;

/// A count under a name (a severity, a finding kind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedCount {
    /// The name.
    pub name: String,
    /// How many.
    pub count: u64,
}

/// Platform health and risk of one scope over one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformHealth {
    /// Whom it is about.
    pub scope: Scope,
    /// The period's label (`2026-10`).
    pub period: String,
    /// Incidents opened, by severity, and how long recovery took.
    pub incidents: Measured<IncidentHealth>,
    /// Gate verdicts, failures and waivers.
    pub gate: Measured<GateHealth>,
    /// What secret and personal-data scans found.
    pub secrets: Measured<SecretHealth>,
    /// Monitor alerts by severity.
    pub alerts: Measured<AlertHealth>,
    /// Break-glass uses, denials and access exceptions.
    pub access: Measured<AccessHealth>,
    /// Input these figures could not use (for this period, all scopes).
    pub issues: DataIssues,
}

/// Incidents of a scope in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentHealth {
    /// Incidents opened in the period.
    pub opened: u64,
    /// Of those, by severity, in the model's order (most severe first), each severity listed.
    pub by_severity: Vec<NamedCount>,
    /// Incidents opened per 30 days of the period (the frequency).
    pub per_30_days: f64,
    /// Incidents resolved in the period.
    pub resolved: u64,
    /// Median time from opened to resolved of those, in hours.
    pub median_recovery_hours: Measured<f64>,
    /// Mean time from opened to resolved of those, in hours.
    pub mean_recovery_hours: Measured<f64>,
    /// Incidents still open at the period's end (opened before it ended).
    pub open_at_end: u64,
}

/// Gate verdicts of a scope in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateHealth {
    /// Verdicts recorded.
    pub verdicts: u64,
    /// Verdicts that failed.
    pub failed: u64,
    /// Verdicts that warned.
    pub warned: u64,
    /// `failed / verdicts`.
    pub failure_rate: f64,
    /// Waivers used across the verdicts (each use counted).
    pub waivers_used: u64,
    /// Verdicts that used at least one waiver.
    pub waived_verdicts: u64,
}

/// Scan summaries of a scope in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretHealth {
    /// Scans recorded.
    pub scans: u64,
    /// Findings reported across them (after baseline suppression).
    pub findings: u64,
    /// Of those, secrets (`kind = secret`).
    pub secrets: u64,
    /// Findings by kind (`secret`, `pii`, `transport`, `identifier`), those that occurred.
    pub by_kind: Vec<NamedCount>,
    /// Findings by severity, most severe first, each severity listed.
    pub by_severity: Vec<NamedCount>,
    /// Findings of the latest scan of each subject: what is still there.
    pub open_findings: u64,
}

/// Monitor alerts of a scope in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertHealth {
    /// New alerts raised.
    pub raised: u64,
    /// New alerts by severity, most severe first, each severity listed.
    pub by_severity: Vec<NamedCount>,
    /// Escalations of alerts to a higher severity.
    pub escalated: u64,
}

/// Access events of a scope in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessHealth {
    /// Access requests made.
    pub requests: u64,
    /// Requests denied (by an approver, or withdrawn at offboarding).
    pub denied: u64,
    /// Break-glass uses.
    pub break_glass: u64,
    /// Of those, not reviewed by the time asked about.
    pub break_glass_unreviewed: u64,
    /// Of those, whose review is overdue at that time.
    pub break_glass_overdue: u64,
    /// Access an access review revoked (a reviewer's `revoke`).
    pub review_revocations: u64,
    /// Access exceptions: break-glass uses plus access a review revoked, the
    /// access that existed outside the normal approved, time-boxed path.
    pub exceptions: u64,
}

/// What platform health is computed from.
#[derive(Debug, Clone, Copy)]
pub struct PlatformInputs<'a> {
    /// The model's index, for attributing incidents to teams and vendors.
    pub index: &'a Index<'a>,
    /// The period.
    pub period: &'a Period,
    /// The incidents, or `None` when no incident records exist at all.
    pub incidents: Option<&'a [Incident]>,
    /// What the ledger holds for the period.
    pub facts: &'a LedgerFacts,
    /// The time asked about (break-glass reviews due by then are overdue).
    pub now: Timestamp,
}

/// Alert and finding severities, most severe first.
pub const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

/// The `DataIssues` kind of an incident resolved before it was opened.
pub const RESOLVED_BEFORE_OPENED: &str = "resolved_before_opened";

/// Platform health of `scope` over the inputs' period.
pub fn platform_health(inputs: &PlatformInputs<'_>, scope: &Scope) -> PlatformHealth {
    let mut issues = inputs.facts.issues.clone();
    for i in inputs.incidents.unwrap_or_default() {
        if inputs.index.service_by_id(&i.service).is_none() {
            issues.note(
                crate::facts::UNKNOWN_SERVICE,
                "counted for the organisation only: the model has no such service",
                format!("incident {} ({})", i.id, i.service),
            );
        }
        if i.resolved.is_some_and(|r| r < i.opened) {
            issues.note(
                RESOLVED_BEFORE_OPENED,
                "left out of recovery time: its clock is wrong",
                format!("incident {}", i.id),
            );
        }
    }
    PlatformHealth {
        scope: scope.clone(),
        period: inputs.period.label.clone(),
        incidents: incident_health(inputs, scope),
        gate: gate_health(inputs, scope),
        secrets: secret_health(inputs, scope),
        alerts: alert_health(inputs, scope),
        access: access_health(inputs, scope),
        issues,
    }
}

/// Whether an incident of `service` counts for `scope` (its owning team and vendor).
pub fn service_covers(index: &Index<'_>, service: &str, scope: &Scope) -> bool {
    if matches!(scope, Scope::Org) {
        return true;
    }
    let mut at = Attribution::default();
    at.add_service(index, service) && at.covers(scope)
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

fn hours(from: Timestamp, to: Timestamp) -> f64 {
    (to.as_microsecond() - from.as_microsecond()) as f64 / 3_600_000_000.0
}

fn incident_health(inputs: &PlatformInputs<'_>, scope: &Scope) -> Measured<IncidentHealth> {
    let Some(all) = inputs.incidents else {
        return Measured::NoData("no incidents have been recorded at all".to_owned());
    };
    let p = inputs.period;
    let mine: Vec<&Incident> = all
        .iter()
        .filter(|i| service_covers(inputs.index, &i.service, scope))
        .collect();
    let severities = &inputs.index.model().metrics.incident_severities;
    let opened: Vec<&&Incident> = mine.iter().filter(|i| p.contains(i.opened)).collect();
    let mut by_severity: Vec<NamedCount> = severities
        .iter()
        .map(|s| NamedCount {
            name: s.clone(),
            count: 0,
        })
        .collect();
    for i in &opened {
        match by_severity.iter_mut().find(|c| c.name == i.severity) {
            Some(c) => c.count += 1,
            None => by_severity.push(NamedCount {
                name: i.severity.clone(),
                count: 1,
            }),
        }
    }
    let mut recoveries: Vec<f64> = mine
        .iter()
        .filter_map(|i| i.resolved.filter(|r| p.contains(*r)).map(|r| (i.opened, r)))
        .filter(|(o, r)| r >= o)
        .map(|(o, r)| hours(o, r))
        .collect();
    recoveries.sort_by(f64::total_cmp);
    let none = || format!("no incident of {scope} was resolved in {}", p.label);
    let mean =
        (!recoveries.is_empty()).then(|| recoveries.iter().sum::<f64>() / recoveries.len() as f64);
    let open_at_end = mine
        .iter()
        .filter(|i| i.opened < p.end && i.resolved.is_none_or(|r| r >= p.end))
        .count() as u64;
    let days = p.days();
    Measured::Value(IncidentHealth {
        opened: opened.len() as u64,
        by_severity,
        per_30_days: if days > 0.0 {
            opened.len() as f64 * 30.0 / days
        } else {
            0.0
        },
        resolved: recoveries.len() as u64,
        median_recovery_hours: Measured::from_option(median(&recoveries), none),
        mean_recovery_hours: Measured::from_option(mean, none),
        open_at_end,
    })
}

fn gate_health(inputs: &PlatformInputs<'_>, scope: &Scope) -> Measured<GateHealth> {
    let verdicts: Vec<_> = inputs
        .facts
        .gate_verdicts
        .iter()
        .filter(|v| v.attribution.covers(scope))
        .collect();
    if verdicts.is_empty() {
        return Measured::NoData(format!(
            "no gate verdict of {scope} was recorded in {}",
            inputs.period.label
        ));
    }
    let n = verdicts.len() as u64;
    let failed = verdicts.iter().filter(|v| v.verdict == "fail").count() as u64;
    Measured::Value(GateHealth {
        verdicts: n,
        failed,
        warned: verdicts.iter().filter(|v| v.verdict == "warn").count() as u64,
        failure_rate: failed as f64 / n as f64,
        waivers_used: verdicts.iter().map(|v| v.waivers_used.len() as u64).sum(),
        waived_verdicts: verdicts
            .iter()
            .filter(|v| !v.waivers_used.is_empty())
            .count() as u64,
    })
}

fn severity_counts<'s>(items: impl Iterator<Item = &'s str>) -> Vec<NamedCount> {
    let mut out: Vec<NamedCount> = SEVERITIES
        .iter()
        .map(|s| NamedCount {
            name: (*s).to_owned(),
            count: 0,
        })
        .collect();
    for s in items {
        match out.iter_mut().find(|c| c.name == s) {
            Some(c) => c.count += 1,
            None => out.push(NamedCount {
                name: s.to_owned(),
                count: 1,
            }),
        }
    }
    out
}

fn secret_health(inputs: &PlatformInputs<'_>, scope: &Scope) -> Measured<SecretHealth> {
    let scans: Vec<_> = inputs
        .facts
        .scans
        .iter()
        .filter(|s| s.attribution.covers(scope))
        .collect();
    if scans.is_empty() {
        return Measured::NoData(format!(
            "no scan of {scope} was recorded in {}",
            inputs.period.label
        ));
    }
    // A scan of a whole repository counts for a service through the paths
    // of its findings: only those findings are the service's.
    let results: Vec<_> = scans
        .iter()
        .flat_map(|s| s.results.iter().map(move |r| (*s, r)))
        .filter(|(s, r)| finding_covers(inputs.index, s, &r.path, scope))
        .map(|(_, r)| r)
        .collect();
    let mut by_kind: Vec<NamedCount> = Vec::new();
    for r in &results {
        match by_kind.iter_mut().find(|c| c.name == r.kind) {
            Some(c) => c.count += 1,
            None => by_kind.push(NamedCount {
                name: r.kind.clone(),
                count: 1,
            }),
        }
    }
    by_kind.sort_by(|a, b| a.name.cmp(&b.name));
    let mut latest: std::collections::BTreeMap<&str, &crate::facts::ScanFact> = Default::default();
    for s in &scans {
        latest.insert(s.subject.as_str(), s);
    }
    let open_findings = latest
        .values()
        .map(|s| {
            s.results
                .iter()
                .filter(|r| finding_covers(inputs.index, s, &r.path, scope))
                .count() as u64
        })
        .sum();
    Measured::Value(SecretHealth {
        scans: scans.len() as u64,
        findings: results.len() as u64,
        secrets: results.iter().filter(|r| r.kind == "secret").count() as u64,
        by_kind,
        by_severity: severity_counts(results.iter().map(|r| r.severity.as_str())),
        open_findings,
    })
}

/// Whether a finding at `path` of `scan` belongs to `scope`: always when the
/// scan names a service; else when the path belongs to one of the scope's services.
pub fn finding_covers(
    index: &Index<'_>,
    scan: &crate::facts::ScanFact,
    path: &str,
    scope: &Scope,
) -> bool {
    if matches!(scope, Scope::Org) || index.service_by_id(&scan.subject).is_some() {
        return true;
    }
    let repo = index
        .model()
        .services
        .iter()
        .any(|s| {
            s.repos
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&scan.subject))
        })
        .then_some(scan.subject.as_str());
    let mut at = Attribution::default();
    for s in index.services_for_path(repo, path) {
        let id = index.service(s).id.clone();
        at.add_service(index, &id);
    }
    at.covers(scope)
}

fn alert_health(inputs: &PlatformInputs<'_>, scope: &Scope) -> Measured<AlertHealth> {
    if !inputs.facts.recorded(kind::ALERT) {
        return Measured::NoData(
            "the monitor has recorded no alert at all: activity monitoring is not running"
                .to_owned(),
        );
    }
    let alerts: Vec<_> = inputs
        .facts
        .alerts
        .iter()
        .filter(|a| a.attribution.covers(scope))
        .collect();
    let new: Vec<_> = alerts
        .iter()
        .filter(|a| a.escalated_from.is_none())
        .collect();
    Measured::Value(AlertHealth {
        raised: new.len() as u64,
        by_severity: severity_counts(new.iter().map(|a| a.severity.as_str())),
        escalated: (alerts.len() - new.len()) as u64,
    })
}

fn access_health(inputs: &PlatformInputs<'_>, scope: &Scope) -> Measured<AccessHealth> {
    let f = inputs.facts;
    if ![kind::ACCESS_REQUEST, kind::BREAK_GLASS, kind::REVIEW_START]
        .iter()
        .any(|k| f.recorded(k))
    {
        return Measured::NoData(
            "no access request, break-glass use or access review has been recorded at all"
                .to_owned(),
        );
    }
    let requests = f
        .access_requests
        .iter()
        .filter(|r| r.attribution.covers(scope))
        .count() as u64;
    let denied = f
        .access_states
        .iter()
        .filter(|s| s.to == "denied" && s.attribution.covers(scope))
        .count() as u64;
    let glass: Vec<_> = f
        .break_glass
        .iter()
        .filter(|b| b.attribution.covers(scope))
        .collect();
    let unreviewed: Vec<_> = glass
        .iter()
        .filter(|b| b.reviewed.is_none_or(|r| r > inputs.now))
        .collect();
    let overdue = unreviewed
        .iter()
        .filter(|b| b.review_due.is_some_and(|d| d <= inputs.now))
        .count() as u64;
    let review_revocations = f
        .review_decisions
        .iter()
        .filter(|d| d.decision == "revoke" && d.attribution.covers(scope))
        .count() as u64;
    Measured::Value(AccessHealth {
        requests,
        denied,
        break_glass: glass.len() as u64,
        break_glass_unreviewed: unreviewed.len() as u64,
        break_glass_overdue: overdue,
        review_revocations,
        exceptions: glass.len() as u64 + review_revocations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> palisade_model::Model {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/acme/palisade.toml"
        );
        palisade_model::parse(&std::fs::read_to_string(path).expect("acme")).expect("parses")
    }

    fn t(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    fn incident(id: &str, service: &str, opened: &str, resolved: Option<&str>) -> Incident {
        Incident {
            id: id.to_owned(),
            service: service.to_owned(),
            severity: "sev5".to_owned(),
            title: id.to_owned(),
            opened: t(opened),
            resolved: resolved.map(t),
            cause: None,
            deployment: None,
        }
    }

    #[test]
    fn a_backwards_clock_and_an_unknown_service_are_counted_not_measured() {
        let model = acme();
        let index = Index::new(&model);
        let period = Period::month("2026-10", &jiff::tz::TimeZone::UTC).expect("month");
        let all = [
            incident(
                "ok",
                "ledger",
                "2026-10-01T00:00:00Z",
                Some("2026-10-01T02:00:00Z"),
            ),
            incident(
                "skewed",
                "ledger",
                "2026-10-05T00:00:00Z",
                Some("2026-10-04T00:00:00Z"),
            ),
            incident("ghost", "no-such-service", "2026-10-06T00:00:00Z", None),
        ];
        let facts = LedgerFacts::default();
        let inputs = PlatformInputs {
            index: &index,
            period: &period,
            incidents: Some(&all),
            facts: &facts,
            now: t("2026-11-01T00:00:00Z"),
        };
        let org = platform_health(&inputs, &Scope::Org);
        assert_eq!(org.issues.count(RESOLVED_BEFORE_OPENED), 1);
        assert_eq!(org.issues.count(crate::facts::UNKNOWN_SERVICE), 1);
        let i = org.incidents.value().expect("incidents given");
        assert_eq!((i.opened, i.resolved, i.open_at_end), (3, 1, 1));
        assert_eq!(i.median_recovery_hours, Measured::Value(2.0));
        // A severity off the model's scale is listed after it, not dropped.
        assert_eq!(
            i.by_severity.last().map(|c| (c.name.as_str(), c.count)),
            Some(("sev5", 3))
        );
        let payments = platform_health(&inputs, &Scope::Team("payments".to_owned()));
        assert_eq!(payments.incidents.value().expect("given").opened, 2);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[1.0, 2.0, 10.0]), Some(2.0));
        assert_eq!(median(&[1.0, 2.0, 4.0, 10.0]), Some(3.0));
        assert_eq!(median(&[]), None);
    }
}
