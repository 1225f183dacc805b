//! The readiness scorecard: the playbook's control checklist, evaluated from
//! evidence, per vendor and for the whole organisation. Each control is pass,
//! warn or fail with the evidence lines behind it; thresholds come from
//! `[org.policy.readiness]`.
//!
//! The verdict is "ready to scale" only when every control passes. Otherwise
//! it is the list of what to fix first: every failing control before every
//! warning one (a fail is a control known to be broken, a warning one that is
//! unproven or drifting), and within each, the checklist's order, which runs
//! from what everything else rests on (who owns what, who can reach
//! production) to what it produces (deployments, runbooks, trends).
//!
//! What comes from another engine arrives as input (the CODEOWNERS check and
//! the access drift the gate runs, the ledger's facts, the runbooks read from
//! git, the metrics' trend), so this module depends on none of them. Missing
//! evidence is a warning that says so, never a pass.

use std::collections::BTreeMap;

use jiff::Timestamp;
use palisade_model::{Day, Index, Level, PersonId, Status as PersonStatus};
use serde::Serialize;

use crate::dora::Shipments;
use crate::facts::LedgerFacts;
use crate::input::{DeployStatus, Deployment, Incident};
use crate::knowledge::{Runbook, RunbookState};
use crate::measure::{Measured, Scope};
use crate::period::{Period, PeriodError};
use crate::platform::{finding_covers, service_covers};

/// How a control stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Met.
    Pass,
    /// Unproven (no evidence), or met with reservations.
    Warn,
    /// Not met.
    Fail,
}

impl Status {
    /// Its name.
    pub fn key(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// The controls of the checklist, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlId {
    /// Every service has a primary and a backup owner.
    Owners,
    /// CODEOWNERS and repository permissions agree with the model.
    OwnershipAgrees,
    /// Vendor teams have no standing production access, only time-boxed grants.
    NoStandingAccess,
    /// Everyone with production access is vetted and trained within policy.
    VettedAccess,
    /// Contracts are complete and current.
    Contracts,
    /// Access reviews are done on schedule.
    AccessReviews,
    /// Every production deployment has a gate verdict.
    GatedDeployments,
    /// Secret scanning is clean against its baseline.
    SecretScanning,
    /// Runbooks are fresh.
    Runbooks,
    /// Metrics are not worsening.
    MetricsTrend,
}

impl ControlId {
    /// Every control, in the checklist's order.
    pub const ALL: [ControlId; 10] = [
        ControlId::Owners,
        ControlId::OwnershipAgrees,
        ControlId::NoStandingAccess,
        ControlId::VettedAccess,
        ControlId::Contracts,
        ControlId::AccessReviews,
        ControlId::GatedDeployments,
        ControlId::SecretScanning,
        ControlId::Runbooks,
        ControlId::MetricsTrend,
    ];

    /// Its stable key.
    pub fn key(self) -> &'static str {
        match self {
            ControlId::Owners => "owners",
            ControlId::OwnershipAgrees => "ownership_agrees",
            ControlId::NoStandingAccess => "no_standing_access",
            ControlId::VettedAccess => "vetted_access",
            ControlId::Contracts => "contracts",
            ControlId::AccessReviews => "access_reviews",
            ControlId::GatedDeployments => "gated_deployments",
            ControlId::SecretScanning => "secret_scanning",
            ControlId::Runbooks => "runbooks",
            ControlId::MetricsTrend => "metrics_trend",
        }
    }

    /// What it checks, in one line.
    pub fn title(self) -> &'static str {
        match self {
            ControlId::Owners => "every service has a primary and a backup owner",
            ControlId::OwnershipAgrees => {
                "CODEOWNERS and repository permissions agree with the model"
            }
            ControlId::NoStandingAccess => {
                "vendor teams have no standing production access, only time-boxed grants"
            }
            ControlId::VettedAccess => {
                "everyone with production access is vetted and trained within policy"
            }
            ControlId::Contracts => "contracts are complete and current",
            ControlId::AccessReviews => "access reviews are done on schedule",
            ControlId::GatedDeployments => "every production deployment has a gate verdict",
            ControlId::SecretScanning => "secret scanning is clean against its baseline",
            ControlId::Runbooks => "runbooks are fresh",
            ControlId::MetricsTrend => "metrics are not worsening",
        }
    }
}

/// One control with its status and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Control {
    /// Which control.
    pub id: ControlId,
    /// What it checks.
    pub title: &'static str,
    /// How it stands.
    pub status: Status,
    /// What the status stands on, one line each.
    pub evidence: Vec<String>,
}

/// The scorecard of one scope (a vendor, or the organisation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// Whom it is about.
    pub scope: Scope,
    /// Whether every control passes.
    pub ready: bool,
    /// `ready to scale`, or how many controls to fix first.
    pub verdict: String,
    /// Every control, in the checklist's order.
    pub controls: Vec<Control>,
    /// The controls to fix, first first: fails, then warns, each in checklist order.
    pub fix_first: Vec<ControlId>,
}

/// What a check run elsewhere found, attributed where it can be.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OwnershipEvidence {
    /// What was checked, e.g. `CODEOWNERS (.github/CODEOWNERS) over 120 tracked paths`.
    pub source: String,
    /// Each problem found.
    pub problems: Vec<OwnershipProblem>,
}

/// One problem an ownership check found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OwnershipProblem {
    /// What is wrong, in one line.
    pub message: String,
    /// The person it is about (a handle or login), if any.
    pub person: Option<String>,
    /// The team it is about (an id), if any.
    pub team: Option<String>,
    /// The services it is about.
    pub services: Vec<String>,
}

/// One month of the metrics "not worsening" compares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// The month's label.
    pub label: String,
    /// Change failure rate, from 0 to 1.
    pub change_failure_rate: Measured<f64>,
    /// Median recovery time, in hours.
    pub recovery_hours: Measured<f64>,
    /// Incidents opened.
    pub incidents: Measured<f64>,
    /// Incidents that could not be linked to a deployment (their cause commit
    /// is in no history read): the change failure rate and recovery time are
    /// partial when this is not zero.
    pub unlinked_incidents: u64,
}

impl TrendPoint {
    /// The point of one month's DORA keys, with the incidents opened that month.
    pub fn from_dora(dora: &crate::dora::Dora, incidents: Measured<f64>) -> TrendPoint {
        TrendPoint {
            label: dora.period.clone(),
            change_failure_rate: dora.change_failure_rate.clone().map(|r| r.ratio),
            recovery_hours: dora
                .recovery_time
                .clone()
                .map(|d| d.median_seconds / 3600.0),
            incidents,
            unlinked_incidents: dora.unlinked_incidents,
        }
    }
}

/// The months the trend control judges as of `now`: the policy's
/// `trend_months` (at least two) ending with the last full month in `zone`.
pub fn trend_months(
    index: &Index<'_>,
    now: Timestamp,
    zone: &jiff::tz::TimeZone,
) -> Result<Vec<Period>, PeriodError> {
    let policy = &index.model().org.policy.readiness;
    Period::last_full_month(zone, now)?.months_back(policy.trend_months.max(2) as usize, zone)
}

/// The window whose evidence the scorecard judges, ending at `now`: long
/// enough for an access review cycle and for the trend months.
pub fn evidence_window(index: &Index<'_>, now: Timestamp) -> Result<Period, jiff::Error> {
    let policy = &index.model().org.policy.readiness;
    let days = i64::from(
        policy
            .access_review_interval_days
            .max(policy.trend_months * 31),
    );
    Ok(Period {
        start: now.checked_sub(jiff::Span::new().hours(days * 24))?,
        end: now,
        label: format!("the last {days} days"),
    })
}

/// The trend of `scope` over `months`: each month's change failure rate and
/// recovery time from `shipments`, and the incidents of the scope opened in it.
pub fn trend_points(
    index: &Index<'_>,
    shipments: &Shipments,
    incidents: &[Incident],
    scope: &Scope,
    months: &[Period],
    zone: &jiff::tz::TimeZone,
) -> Vec<TrendPoint> {
    months
        .iter()
        .map(|m| {
            let opened = incidents
                .iter()
                .filter(|i| m.contains(i.opened) && service_covers(index, &i.service, scope))
                .count();
            let counted = if incidents.is_empty() {
                Measured::NoData("no incident was recorded in these months".to_owned())
            } else {
                Measured::Value(opened as f64)
            };
            TrendPoint::from_dora(&shipments.dora(scope, m, zone), counted)
        })
        .collect()
}

/// Everything the scorecard is evaluated from.
#[derive(Debug, Clone, Copy)]
pub struct ReadinessInputs<'a> {
    /// The model's index.
    pub index: &'a Index<'a>,
    /// The day judged (vetting, contracts).
    pub today: Day,
    /// The instant judged (reviews, runbook ages).
    pub now: Timestamp,
    /// The CODEOWNERS check, if a CODEOWNERS file was given.
    pub codeowners: Option<&'a OwnershipEvidence>,
    /// The access drift, if a permissions export was given.
    pub permissions: Option<&'a OwnershipEvidence>,
    /// Deployments in the window judged (production ones are checked).
    pub deployments: &'a [Deployment],
    /// What the ledger holds over the window judged (at least the access
    /// review interval back from `now`).
    pub facts: &'a LedgerFacts,
    /// The runbooks, or why they were not read.
    pub runbooks: &'a Measured<Vec<Runbook>>,
    /// The trend per scope, oldest month first (`trend_months` of them).
    pub trends: &'a BTreeMap<Scope, Vec<TrendPoint>>,
}

/// The scorecards of the organisation and of every vendor (or only of `vendor`).
pub fn scorecards(inputs: &ReadinessInputs<'_>, vendor: Option<&str>) -> Vec<Scorecard> {
    let model = inputs.index.model();
    let mut scopes = Vec::new();
    match vendor {
        Some(v) => scopes.push(Scope::Vendor(v.to_owned())),
        None => {
            scopes.push(Scope::Org);
            scopes.extend(model.vendors.iter().map(|v| Scope::Vendor(v.id.clone())));
        }
    }
    scopes.iter().map(|s| scorecard(inputs, s)).collect()
}

/// The scorecard of `scope`.
pub fn scorecard(inputs: &ReadinessInputs<'_>, scope: &Scope) -> Scorecard {
    let controls: Vec<Control> = ControlId::ALL
        .into_iter()
        .map(|id| {
            let (status, evidence) = match id {
                ControlId::Owners => owners(inputs, scope),
                ControlId::OwnershipAgrees => ownership_agrees(inputs, scope),
                ControlId::NoStandingAccess => no_standing_access(inputs, scope),
                ControlId::VettedAccess => vetted_access(inputs, scope),
                ControlId::Contracts => contracts(inputs, scope),
                ControlId::AccessReviews => access_reviews(inputs, scope),
                ControlId::GatedDeployments => gated_deployments(inputs, scope),
                ControlId::SecretScanning => secret_scanning(inputs, scope),
                ControlId::Runbooks => runbooks(inputs, scope),
                ControlId::MetricsTrend => metrics_trend(inputs, scope),
            };
            Control {
                id,
                title: id.title(),
                status,
                evidence,
            }
        })
        .collect();
    let mut fix_first: Vec<&Control> = controls
        .iter()
        .filter(|c| c.status != Status::Pass)
        .collect();
    // Stable: within a status, the checklist's order stays.
    fix_first.sort_by_key(|c| std::cmp::Reverse(c.status));
    let fix_first: Vec<ControlId> = fix_first.iter().map(|c| c.id).collect();
    let ready = fix_first.is_empty();
    let verdict = if ready {
        "ready to scale".to_owned()
    } else {
        let fails = controls.iter().filter(|c| c.status == Status::Fail).count();
        let warns = fix_first.len() - fails;
        format!(
            "not ready to scale: {fails} failing, {warns} warning; fix first: {}",
            fix_first
                .iter()
                .map(|c| c.key())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Scorecard {
        scope: scope.clone(),
        ready,
        verdict,
        controls,
        fix_first,
    }
}

type Judged = (Status, Vec<String>);

fn people(n: usize) -> String {
    if n == 1 {
        "1 person".to_owned()
    } else {
        format!("{n} people")
    }
}

/// How a scope is named inside a sentence.
fn about(scope: &Scope) -> String {
    match scope {
        Scope::Org => "the organisation".to_owned(),
        other => other.to_string(),
    }
}

/// The services a scope answers for: all of them, or those its vendor's teams own.
fn services_of<'m>(index: &Index<'m>, scope: &Scope) -> Vec<&'m palisade_model::Service> {
    index
        .model()
        .services
        .iter()
        .filter(|s| match scope {
            Scope::Org => true,
            Scope::Vendor(v) => team_vendor(index, &s.team).as_deref() == Some(v.as_str()),
            Scope::Team(t) => &s.team == t,
            Scope::Service(id) => &s.id == id,
        })
        .collect()
}

fn team_vendor(index: &Index<'_>, team: &str) -> Option<String> {
    let t = index.team_by_id(team)?;
    index.vendor_of_team(t).map(|v| index.vendor(v).id.clone())
}

/// The active people a scope answers for: a vendor's, or everyone's.
fn people_of(index: &Index<'_>, scope: &Scope) -> Vec<PersonId> {
    let model = index.model();
    (0..model.people.len())
        .filter_map(|i| index.person_by_handle(&model.people[i].handle))
        .filter(|p| index.person(*p).status == PersonStatus::Active)
        .filter(|p| match scope {
            Scope::Org => true,
            Scope::Vendor(v) => index
                .vendor_of(*p)
                .is_some_and(|x| index.vendor(x).id == *v),
            Scope::Team(t) => index.team_of(*p).is_some_and(|x| index.team(x).id == *t),
            Scope::Service(_) => false,
        })
        .collect()
}

fn active_person(index: &Index<'_>, handle: &str) -> Result<(), String> {
    match index.person_by_handle(handle) {
        None => Err(format!("`{handle}` is not a person in the model")),
        Some(p) if index.person(p).status != PersonStatus::Active => {
            Err(format!("`{handle}` is offboarded"))
        }
        Some(_) => Ok(()),
    }
}

fn owners(inputs: &ReadinessInputs<'_>, scope: &Scope) -> Judged {
    let index = inputs.index;
    let services = services_of(index, scope);
    if services.is_empty() {
        return (
            Status::Pass,
            vec![format!("{} owns no service", about(scope))],
        );
    }
    let (mut status, mut evidence) = (Status::Pass, Vec::new());
    for s in &services {
        if let Err(e) = active_person(index, &s.owner) {
            status = Status::Fail;
            evidence.push(format!("{}: primary owner {e}", s.id));
        }
        match s.backup_owner.as_deref() {
            None => {
                status = Status::Fail;
                evidence.push(format!("{}: no backup owner", s.id));
            }
            Some(b) => {
                if let Err(e) = active_person(index, b) {
                    status = Status::Fail;
                    evidence.push(format!("{}: backup owner {e}", s.id));
                } else if b == s.owner {
                    status = status.max(Status::Warn);
                    evidence.push(format!("{}: the backup owner is the primary owner", s.id));
                }
            }
        }
    }
    if status == Status::Pass {
        evidence.push(format!(
            "all {} services have an active primary and backup owner",
            services.len()
        ));
    }
    (status, evidence)
}

fn problem_covers(index: &Index<'_>, p: &OwnershipProblem, scope: &Scope) -> bool {
    let vendor = match scope {
        Scope::Org => return true,
        Scope::Vendor(v) => v,
        _ => return false,
    };
    let by_person = p.person.as_deref().and_then(|n| {
        let (pid, _) = index.find_person(n)?;
        index.vendor_of(pid).map(|v| index.vendor(v).id.clone())
    });
    let by_team = p.team.as_deref().and_then(|t| team_vendor(index, t));
    let by_service = p.services.iter().any(|s| {
        index
            .service_by_id(s)
            .and_then(|id| team_vendor(index, &index.service(id).team))
            .as_deref()
            == Some(vendor.as_str())
    });
    by_person.as_deref() == Some(vendor.as_str())
        || by_team.as_deref() == Some(vendor.as_str())
        || by_service
}

fn ownership_agrees(inputs: &ReadinessInputs<'_>, scope: &Scope) -> Judged {
    let (mut status, mut evidence) = (Status::Pass, Vec::new());
    for (what, given) in [
        ("CODEOWNERS", inputs.codeowners),
        ("repository permissions", inputs.permissions),
    ] {
        let Some(e) = given else {
            status = status.max(Status::Warn);
            evidence.push(format!(
                "no evidence: no {what} {} was given",
                if what == "CODEOWNERS" {
                    "file"
                } else {
                    "export"
                }
            ));
            continue;
        };
        let mine: Vec<_> = e
            .problems
            .iter()
            .filter(|p| problem_covers(inputs.index, p, scope))
            .collect();
        if mine.is_empty() {
            evidence.push(format!("{}: agrees with the model", e.source));
        } else {
            status = Status::Fail;
            evidence.push(format!(
                "{}: {} disagreement{} with the model",
                e.source,
                mine.len(),
                if mine.len() == 1 { "" } else { "s" }
            ));
            evidence.extend(mine.iter().take(10).map(|p| format!("  {}", p.message)));
            if mine.len() > 10 {
                evidence.push(format!("  … and {} more", mine.len() - 10));
            }
        }
    }
    (status, evidence)
}

fn is_production(index: &Index<'_>, env: &str) -> bool {
    index
        .environment_by_id(env)
        .is_some_and(|e| index.environment(e).production)
}

fn no_standing_access(inputs: &ReadinessInputs<'_>, scope: &Scope) -> Judged {
    let index = inputs.index;
    let vendor_people: Vec<PersonId> = people_of(index, scope)
        .into_iter()
        .filter(|p| index.is_vendor(*p))
        .collect();
    let mut evidence = Vec::new();
    for p in &vendor_people {
        let reach = index.production_reach(*p);
        if reach.any {
            let roles: Vec<&str> = index
                .standing_roles(*p)
                .into_iter()
                .filter(|r| index.role_reach(*r).any)
                .map(|r| index.role(r).id.as_str())
                .collect();
            evidence.push(format!(
                "{} holds standing {}production access through role{} {}",
                index.person(*p).handle,
                if reach.admin { "admin " } else { "" },
                if roles.len() == 1 { "" } else { "s" },
                roles.join(", ")
            ));
        }
    }
    if evidence.is_empty() {
        let grants = inputs
            .facts
            .access_states
            .iter()
            .filter(|s| s.to == "active" && s.attribution.covers(scope))
            .filter(|s| {
                s.environment
                    .as_deref()
                    .is_some_and(|e| is_production(index, e))
            })
            .count();
        (
            Status::Pass,
            vec![format!(
                "none of the {} active vendor people holds a standing production role; {grants} time-boxed production grant{} started in the window",
                vendor_people.len(),
                if grants == 1 { "" } else { "s" }
            )],
        )
    } else {
        (Status::Fail, evidence)
    }
}

fn vetted_access(inputs: &ReadinessInputs<'_>, scope: &Scope) -> Judged {
    let index = inputs.index;
    let mut reach: Vec<(PersonId, &'static str)> = Vec::new();
    for p in people_of(index, scope) {
        if index.production_reach(p).any {
            reach.push((p, "a standing role"));
        }
    }
    let granted = inputs
        .facts
        .access_states
        .iter()
        .filter(|s| s.to == "active")
        .map(|s| (&s.requester, &s.environment))
        .chain(
            inputs
                .facts
                .break_glass
                .iter()
                .map(|b| (&b.requester, &b.environment)),
        );
    for (who, env) in granted {
        if !env.as_deref().is_some_and(|e| is_production(index, e)) {
            continue;
        }
        let Some((p, _)) = index.find_person(who) else {
            continue;
        };
        let in_scope = match scope {
            Scope::Org => true,
            Scope::Vendor(v) => index.vendor_of(p).is_some_and(|x| index.vendor(x).id == *v),
            _ => false,
        };
        if in_scope && !reach.iter().any(|(q, _)| *q == p) {
            reach.push((p, "a grant in the window"));
        }
    }
    if reach.is_empty() {
        return (
            Status::Pass,
            vec![format!("nobody of {} had production access", about(scope))],
        );
    }
    let (mut status, mut evidence) = (Status::Pass, Vec::new());
    let soon = inputs.today.plus_days(30);
    for (p, how) in &reach {
        let v = index.vetting(*p, inputs.today);
        let handle = &index.person(*p).handle;
        if !v.is_complete() {
            status = Status::Fail;
            let gaps: Vec<String> = v
                .items
                .iter()
                .filter_map(|i| match i.state {
                    palisade_model::VettingState::Current { .. } => None,
                    palisade_model::VettingState::Missing => {
                        Some(format!("{} missing", i.record.key()))
                    }
                    palisade_model::VettingState::Stale {
                        age_days,
                        max_age_days,
                    } => Some(format!(
                        "{} {age_days} days old (policy: {max_age_days})",
                        i.record.key()
                    )),
                    palisade_model::VettingState::Future => {
                        Some(format!("{} dated in the future", i.record.key()))
                    }
                })
                .collect();
            evidence.push(format!(
                "{handle} (production access through {how}): {}",
                gaps.join(", ")
            ));
        } else if let (Some(until), Some(soon)) = (v.next_expiry(), soon)
            && until <= soon
        {
            status = status.max(Status::Warn);
            evidence.push(format!(
                "{handle} (production access through {how}): vetting lapses after {}",
                until.0
            ));
        }
    }
    if status == Status::Pass {
        evidence.push(format!(
            "{} with production access {} vetted and trained within policy",
            people(reach.len()),
            if reach.len() == 1 { "is" } else { "are all" }
        ));
    }
    (status, evidence)
}

/// The vendor a contract or team diagnostic is about, from its model path.
fn diagnostic_vendor(index: &Index<'_>, path: &str) -> Option<String> {
    let at = |prefix: &str| -> Option<usize> {
        let rest = path.strip_prefix(prefix)?.strip_prefix('[')?;
        rest.split(']').next()?.parse().ok()
    };
    let model = index.model();
    if let Some(i) = at("contracts") {
        return model.contracts.get(i).map(|c| c.vendor.clone());
    }
    if let Some(i) = at("teams") {
        return model.teams.get(i).and_then(|t| t.vendor.clone());
    }
    None
}

fn contracts(inputs: &ReadinessInputs<'_>, scope: &Scope) -> Judged {
    let index = inputs.index;
    let diagnostics = palisade_model::validate_indexed(index, inputs.today);
    let (mut status, mut evidence) = (Status::Pass, Vec::new());
    for d in &diagnostics {
        let path = d.primary.path.to_string();
        let about_contract = path.starts_with("contracts[")
            || (path.starts_with("teams[") && d.code.contains("contract"));
        if !about_contract {
            continue;
        }
        let vendor = diagnostic_vendor(index, &path);
        let mine = match scope {
            Scope::Org => true,
            Scope::Vendor(v) => vendor.as_deref() == Some(v.as_str()),
            _ => false,
        };
        if !mine {
            continue;
        }
        status = status.max(match d.level {
            Level::Error => Status::Fail,
            _ => Status::Warn,
        });
        evidence.push(format!("{} [{}] {}", d.level_key(), d.code, d.message));
    }
    if let Scope::Vendor(v) = scope
        && let Some(vid) = index.vendor_by_id(v)
        && index.vendor_contracts(vid).is_empty()
    {
        status = Status::Fail;
        evidence.push(format!("vendor {v} has no contract in the model"));
    }
    if status == Status::Pass {
        let n = match scope {
            Scope::Vendor(v) => index
                .vendor_by_id(v)
                .map_or(0, |vid| index.vendor_contracts(vid).len()),
            _ => index.model().contracts.len(),
        };
        evidence.push(format!(
            "{n} contract{} complete and current (as `palisade check` judges them)",
            if n == 1 { "" } else { "s" }
        ));
    }
    (status, evidence)
}

trait LevelKey {
    fn level_key(&self) -> &'static str;
}

impl LevelKey for palisade_model::Diagnostic {
    fn level_key(&self) -> &'static str {
        match self.level {
            Level::Error => "error",
            _ => "warning",
        }
    }
}

fn days_between(a: Timestamp, b: Timestamp) -> f64 {
    (b.as_second() - a.as_second()) as f64 / 86_400.0
}

fn access_reviews(inputs: &ReadinessInputs<'_>, scope: &Scope) -> Judged {
    let policy = &inputs.index.model().org.policy.readiness;
    let interval = f64::from(policy.access_review_interval_days);
    let latest = inputs
        .facts
        .review_closes
        .iter()
        .filter(|c| c.time <= inputs.now && days_between(c.time, inputs.now) <= interval)
        .max_by_key(|c| c.time);
    let Some(close) = latest else {
        let open = inputs
            .facts
            .review_starts
            .iter()
            .filter(|s| s.time <= inputs.now && days_between(s.time, inputs.now) <= interval)
            .max_by_key(|s| s.time);
        return match open {
            Some(s) => (
                Status::Warn,
                vec![format!(
                    "campaign {} started {} is not closed yet; none closed in the last {} days",
                    s.campaign, s.time, policy.access_review_interval_days
                )],
            ),
            None => (
                Status::Fail,
                vec![format!(
                    "no access review closed in the last {} days (org.policy.readiness.access_review_interval_days)",
                    policy.access_review_interval_days
                )],
            ),
        };
    };
    let mine: Vec<&String> = close
        .unreviewed_people
        .iter()
        .filter(|p| match scope {
            Scope::Org => true,
            Scope::Vendor(v) => inputs
                .index
                .find_person(p)
                .and_then(|(pid, _)| inputs.index.vendor_of(pid))
                .is_some_and(|x| inputs.index.vendor(x).id == *v),
            _ => false,
        })
        .collect();
    let line = format!(
        "campaign {} closed {} ({:.0} days ago): {} of {} items reviewed",
        close.campaign,
        close.time,
        days_between(close.time, inputs.now),
        close.reviewed,
        close.items
    );
    if mine.is_empty() {
        (Status::Pass, vec![line])
    } else {
        (
            Status::Warn,
            vec![
                line,
                format!(
                    "left unreviewed at its deadline: access of {}",
                    mine.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ],
        )
    }
}

fn gated_deployments(inputs: &ReadinessInputs<'_>, scope: &Scope) -> Judged {
    let index = inputs.index;
    let policy = &index.model().org.policy.readiness;
    let services: Vec<&str> = services_of(index, scope)
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    let deployments: Vec<&Deployment> = inputs
        .deployments
        .iter()
        .filter(|d| d.status == DeployStatus::Success)
        .filter(|d| is_production(index, &d.environment))
        .filter(|d| services.contains(&d.service.as_str()))
        .collect();
    if deployments.is_empty() {
        return (
            Status::Warn,
            vec![format!(
                "no evidence: no production deployment of {} was recorded in the window",
                about(scope)
            )],
        );
    }
    let mut ungated = Vec::new();
    for d in &deployments {
        let gated = inputs.facts.gate_verdicts.iter().any(|v| {
            v.verdict != "fail"
                && v.environment.as_deref() == Some(d.environment.as_str())
                && d.commits
                    .iter()
                    .any(|c| c.sha.eq_ignore_ascii_case(&v.head))
        });
        if !gated {
            ungated.push(*d);
        }
    }
    let total = deployments.len();
    let gated = total - ungated.len();
    let pct = gated as f64 * 100.0 / total as f64;
    let status = if pct >= f64::from(policy.gated_deployments_pct) {
        Status::Pass
    } else if pct >= f64::from(policy.gated_deployments_warn_pct) {
        Status::Warn
    } else {
        Status::Fail
    };
    let mut evidence = vec![format!(
        "{gated} of {total} production deployments ({pct:.1}%) carry a passing or warning gate verdict for their head and environment (pass at {}%, warn from {}%)",
        policy.gated_deployments_pct, policy.gated_deployments_warn_pct
    )];
    evidence.extend(ungated.iter().take(10).map(|d| {
        format!(
            "  ungated: {} of {} to {} at {}",
            d.id, d.service, d.environment, d.finished
        )
    }));
    if ungated.len() > 10 {
        evidence.push(format!("  … and {} more", ungated.len() - 10));
    }
    (status, evidence)
}

fn secret_scanning(inputs: &ReadinessInputs<'_>, scope: &Scope) -> Judged {
    let index = inputs.index;
    let services = services_of(index, scope);
    if services.is_empty() {
        return (
            Status::Pass,
            vec![format!("{} owns no service", about(scope))],
        );
    }
    // The latest scan of each subject that covers one of the scope's services.
    let mut latest: BTreeMap<&str, &crate::facts::ScanFact> = BTreeMap::new();
    for s in &inputs.facts.scans {
        if s.time > inputs.now {
            continue;
        }
        if services
            .iter()
            .any(|svc| s.attribution.services.contains(&svc.id))
        {
            let e = latest.entry(s.subject.as_str()).or_insert(s);
            if s.idx > e.idx {
                *e = s;
            }
        }
    }
    let (mut status, mut evidence) = (Status::Pass, Vec::new());
    let unscanned: Vec<&str> = services
        .iter()
        .filter(|svc| {
            !latest
                .values()
                .any(|s| s.attribution.services.contains(&svc.id))
        })
        .map(|s| s.id.as_str())
        .collect();
    for s in latest.values() {
        let mine: Vec<_> = s
            .results
            .iter()
            .filter(|r| finding_covers(index, s, &r.path, scope))
            .collect();
        let secrets = mine.iter().filter(|r| r.kind == "secret").count();
        let other = mine.len() - secrets;
        if secrets > 0 {
            status = Status::Fail;
        } else if other > 0 {
            status = status.max(Status::Warn);
        }
        evidence.push(format!(
            "latest scan of {} ({}, {}): {} finding{} of {} beyond the baseline ({secrets} secret{}), {} suppressed by it",
            s.subject,
            s.mode,
            s.time,
            mine.len(),
            if mine.len() == 1 { "" } else { "s" },
            about(scope),
            if secrets == 1 { "" } else { "s" },
            s.suppressed_baseline
        ));
    }
    if !unscanned.is_empty() {
        status = status.max(Status::Warn);
        evidence.push(format!(
            "no evidence: no scan recorded for {}",
            unscanned.join(", ")
        ));
    }
    (status, evidence)
}

fn runbooks(inputs: &ReadinessInputs<'_>, scope: &Scope) -> Judged {
    let max = inputs
        .index
        .model()
        .org
        .policy
        .readiness
        .runbook_max_age_days;
    let all = match inputs.runbooks {
        Measured::Value(r) => r,
        Measured::NoData(why) => return (Status::Warn, vec![format!("no evidence: {why}")]),
    };
    let services: Vec<&str> = services_of(inputs.index, scope)
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    if services.is_empty() {
        return (
            Status::Pass,
            vec![format!("{} owns no service", about(scope))],
        );
    }
    let (mut status, mut evidence) = (Status::Pass, Vec::new());
    let mut fresh = 0;
    for r in all
        .iter()
        .filter(|r| services.contains(&r.service.as_str()))
    {
        match r.state {
            RunbookState::NotDeclared => {
                status = Status::Fail;
                evidence.push(format!("{}: no runbook declared", r.service));
            }
            RunbookState::Missing => {
                status = Status::Fail;
                evidence.push(format!(
                    "{}: runbook {} is missing from {}",
                    r.service,
                    r.path.as_deref().unwrap_or(""),
                    r.repo.as_deref().unwrap_or("the repository")
                ));
            }
            RunbookState::NoRepository => {
                status = status.max(Status::Warn);
                evidence.push(format!(
                    "{}: no evidence: {}",
                    r.service,
                    match &r.age_days {
                        Measured::NoData(why) => why.as_str(),
                        Measured::Value(_) => "not read",
                    }
                ));
            }
            RunbookState::Present => match r.stale(max) {
                Some(true) => {
                    status = status.max(Status::Warn);
                    let churn = r.churn.value().copied().unwrap_or_default();
                    evidence.push(format!(
                        "{}: runbook {} unchanged for {:.0} days (policy: {max}) while {} commits changed {} lines of the service",
                        r.service,
                        r.path.as_deref().unwrap_or(""),
                        r.age_days.value().copied().unwrap_or_default(),
                        churn.commits,
                        churn.lines()
                    ));
                }
                Some(false) => fresh += 1,
                None => {
                    status = status.max(Status::Warn);
                    evidence.push(format!(
                        "{}: runbook present, age unknown: {}",
                        r.service,
                        match &r.age_days {
                            Measured::NoData(why) => why.as_str(),
                            Measured::Value(_) => "churn not read",
                        }
                    ));
                }
            },
        }
    }
    evidence.insert(
        0,
        format!(
            "{fresh} of {} runbooks fresh (stale: unchanged over {max} days while the service's code changed)",
            services.len()
        ),
    );
    (status, evidence)
}

/// Whether `latest` is worse than the mean of `earlier` by more than
/// `pct` percent (higher is worse for every metric compared); `None` when
/// there is nothing to compare.
pub fn worsening(earlier: &[f64], latest: f64, pct: u32) -> Option<bool> {
    if earlier.is_empty() {
        return None;
    }
    let base = earlier.iter().sum::<f64>() / earlier.len() as f64;
    if base == 0.0 {
        return Some(latest > 0.0);
    }
    Some((latest - base) / base * 100.0 > f64::from(pct))
}

fn metrics_trend(inputs: &ReadinessInputs<'_>, scope: &Scope) -> Judged {
    let policy = &inputs.index.model().org.policy.readiness;
    let Some(points) = inputs.trends.get(scope).filter(|p| p.len() >= 2) else {
        return (
            Status::Warn,
            vec![format!(
                "no evidence: no trend of {} over {} months was given",
                about(scope),
                policy.trend_months
            )],
        );
    };
    let (mut status, mut evidence, mut compared) = (Status::Pass, Vec::new(), 0);
    let mut cfr_compared = false;
    const CFR: &str = "change failure rate";
    type Get = fn(&TrendPoint) -> &Measured<f64>;
    // The change failure rate and recovery time need each incident linked to
    // a deployment; the incident count does not.
    let metrics: [(&str, Get, bool); 3] = [
        (CFR, |p| &p.change_failure_rate, true),
        ("median recovery time (hours)", |p| &p.recovery_hours, true),
        ("incidents", |p| &p.incidents, false),
    ];
    let (last, earlier) = points.split_last().expect("at least two points");
    let partial: Vec<String> = points
        .iter()
        .filter(|p| p.unlinked_incidents > 0)
        .map(|p| format!("{} in {}", p.unlinked_incidents, p.label))
        .collect();
    for (name, get, linked) in metrics {
        if linked && !partial.is_empty() {
            evidence.push(format!(
                "{name}: partial, not judged: incidents could not be linked to a deployment ({}), their cause commits being in no history read; give full clones with --repo-dir",
                partial.join(", ")
            ));
            continue;
        }
        let before: Vec<f64> = earlier
            .iter()
            .filter_map(|p| get(p).value().copied())
            .collect();
        let Some(now) = get(last).value().copied() else {
            evidence.push(format!("{name}: no data in {}", last.label));
            continue;
        };
        match worsening(&before, now, policy.worsening_pct) {
            None => evidence.push(format!("{name}: nothing to compare {} with", last.label)),
            Some(w) => {
                compared += 1;
                cfr_compared |= name == CFR;
                let base = before.iter().sum::<f64>() / before.len() as f64;
                evidence.push(format!(
                    "{name}: {now:.2} in {} against {base:.2} {}{}",
                    last.label,
                    if before.len() == 1 {
                        "the month before".to_owned()
                    } else {
                        format!("on average over the {} months before", before.len())
                    },
                    if w {
                        format!(", worse by more than {}%", policy.worsening_pct)
                    } else {
                        String::new()
                    }
                ));
                if w {
                    status = Status::Fail;
                }
            }
        }
    }
    // Without the change failure rate there were no production deployments
    // to judge: the trend is unproven, whatever incidents did.
    if compared == 0 || !cfr_compared {
        status = status.max(Status::Warn);
    }
    (status, evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{
        Attribution, GateVerdictFact, ReviewCloseFact, ReviewStartFact, ScanFact, ScanResultFact,
    };
    use crate::input::DeployedCommit;
    use crate::knowledge::Churn;
    use palisade_model::Model;

    fn acme() -> Model {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/acme/palisade.toml"
        );
        palisade_model::parse(&std::fs::read_to_string(path).expect("acme")).expect("parses")
    }

    fn t(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    fn now() -> Timestamp {
        t("2026-11-22T12:00:00Z")
    }

    fn today() -> Day {
        Day("2026-11-22".parse().expect("day"))
    }

    struct Fixture {
        codeowners: Option<OwnershipEvidence>,
        permissions: Option<OwnershipEvidence>,
        deployments: Vec<Deployment>,
        facts: LedgerFacts,
        runbooks: Measured<Vec<Runbook>>,
        trends: BTreeMap<Scope, Vec<TrendPoint>>,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture {
                codeowners: None,
                permissions: None,
                deployments: Vec::new(),
                facts: LedgerFacts::default(),
                runbooks: Measured::NoData("no repository was given".to_owned()),
                trends: BTreeMap::new(),
            }
        }

        fn judge(&self, model: &Model, id: ControlId, scope: &Scope) -> (Status, Vec<String>) {
            let index = Index::new(model);
            let inputs = ReadinessInputs {
                index: &index,
                today: today(),
                now: now(),
                codeowners: self.codeowners.as_ref(),
                permissions: self.permissions.as_ref(),
                deployments: &self.deployments,
                facts: &self.facts,
                runbooks: &self.runbooks,
                trends: &self.trends,
            };
            let card = scorecard(&inputs, scope);
            let c = card
                .controls
                .into_iter()
                .find(|c| c.id == id)
                .expect("every control");
            (c.status, c.evidence)
        }
    }

    fn nimbus() -> Scope {
        Scope::Vendor("nimbus".to_owned())
    }

    fn harbor() -> Scope {
        Scope::Vendor("harbor".to_owned())
    }

    #[test]
    fn owners_pass_fail_without_a_backup_and_warn_when_the_backup_is_the_owner() {
        let f = Fixture::new();
        let mut model = acme();
        assert_eq!(
            f.judge(&model, ControlId::Owners, &nimbus()).0,
            Status::Pass
        );
        let i = model
            .services
            .iter()
            .position(|s| s.id == "checkout-web")
            .expect("service");
        model.services[i].backup_owner = Some("arjun".to_owned());
        let (status, evidence) = f.judge(&model, ControlId::Owners, &nimbus());
        assert_eq!(status, Status::Warn, "{evidence:?}");
        model.services[i].backup_owner = None;
        let (status, evidence) = f.judge(&model, ControlId::Owners, &nimbus());
        assert_eq!(status, Status::Fail);
        assert_eq!(evidence, ["checkout-web: no backup owner"]);
        // Harbor's services are not nimbus's problem.
        assert_eq!(
            f.judge(&model, ControlId::Owners, &harbor()).0,
            Status::Pass
        );
        model.services[i].backup_owner = Some("gareth".to_owned());
        let (status, evidence) = f.judge(&model, ControlId::Owners, &nimbus());
        assert_eq!(status, Status::Fail);
        assert!(evidence[0].contains("offboarded"), "{evidence:?}");
    }

    #[test]
    fn ownership_without_evidence_warns_and_a_vendors_disagreement_fails_only_that_vendor() {
        let model = acme();
        let mut f = Fixture::new();
        let (status, evidence) = f.judge(&model, ControlId::OwnershipAgrees, &nimbus());
        assert_eq!(status, Status::Warn);
        assert!(
            evidence.iter().all(|e| e.starts_with("no evidence")),
            "{evidence:?}"
        );
        f.codeowners = Some(OwnershipEvidence {
            source: "CODEOWNERS".to_owned(),
            problems: Vec::new(),
        });
        assert_eq!(
            f.judge(&model, ControlId::OwnershipAgrees, &nimbus()).0,
            Status::Warn
        );
        f.permissions = Some(OwnershipEvidence {
            source: "collaborators.json".to_owned(),
            problems: vec![OwnershipProblem {
                message: "vendor-admin: arjun-menon-nimbus administers acme/payments".to_owned(),
                person: Some("arjun-menon-nimbus".to_owned()),
                ..OwnershipProblem::default()
            }],
        });
        assert_eq!(
            f.judge(&model, ControlId::OwnershipAgrees, &nimbus()).0,
            Status::Fail
        );
        assert_eq!(
            f.judge(&model, ControlId::OwnershipAgrees, &harbor()).0,
            Status::Pass
        );
        assert_eq!(
            f.judge(&model, ControlId::OwnershipAgrees, &Scope::Org).0,
            Status::Fail
        );
    }

    #[test]
    fn a_vendor_person_with_a_standing_production_role_fails_and_without_it_passes() {
        let f = Fixture::new();
        let mut model = acme();
        let (status, evidence) = f.judge(&model, ControlId::NoStandingAccess, &nimbus());
        assert_eq!(status, Status::Fail);
        assert_eq!(
            evidence,
            ["arjun holds standing production access through role prod-reader"]
        );
        assert_eq!(
            f.judge(&model, ControlId::NoStandingAccess, &harbor()).0,
            Status::Pass
        );
        let arjun = model
            .people
            .iter()
            .position(|p| p.handle == "arjun")
            .expect("arjun");
        model.people[arjun].roles.retain(|r| r != "prod-reader");
        assert_eq!(
            f.judge(&model, ControlId::NoStandingAccess, &nimbus()).0,
            Status::Pass
        );
    }

    #[test]
    fn production_access_needs_current_vetting_and_warns_when_it_is_about_to_lapse() {
        let f = Fixture::new();
        let mut model = acme();
        assert_eq!(
            f.judge(&model, ControlId::VettedAccess, &nimbus()).0,
            Status::Pass
        );
        let arjun = model
            .people
            .iter()
            .position(|p| p.handle == "arjun")
            .expect("arjun");
        // 350 days old of 365 allowed: lapses within 30 days.
        model.people[arjun].vetting.secure_coding_training =
            Some(Day("2025-12-07".parse().expect("day")));
        let (status, evidence) = f.judge(&model, ControlId::VettedAccess, &nimbus());
        assert_eq!(status, Status::Warn, "{evidence:?}");
        model.people[arjun].vetting.background_check = None;
        let (status, evidence) = f.judge(&model, ControlId::VettedAccess, &nimbus());
        assert_eq!(status, Status::Fail);
        assert!(
            evidence[0].contains("background_check missing"),
            "{evidence:?}"
        );
        // Harbor has nobody with production access: nothing to vet.
        assert_eq!(
            f.judge(&model, ControlId::VettedAccess, &harbor()).0,
            Status::Pass
        );
    }

    #[test]
    fn contracts_take_check_diagnostics_a_warning_warns_and_an_error_fails() {
        let f = Fixture::new();
        let mut model = acme();
        assert_eq!(
            f.judge(&model, ControlId::Contracts, &nimbus()).0,
            Status::Pass
        );
        let (status, evidence) = f.judge(&model, ControlId::Contracts, &harbor());
        assert_eq!(status, Status::Warn);
        assert!(
            evidence[0].contains("contract-missing-clause"),
            "{evidence:?}"
        );
        let c = model
            .contracts
            .iter()
            .position(|c| c.id == "nimbus-msa-2025")
            .expect("contract");
        model.contracts[c].ends = Day("2026-10-31".parse().expect("day"));
        let (status, evidence) = f.judge(&model, ControlId::Contracts, &nimbus());
        assert_eq!(status, Status::Fail);
        assert!(
            evidence.iter().any(|e| e.contains("contract-expired")),
            "{evidence:?}"
        );
    }

    fn close(at: &str, unreviewed: &[&str]) -> ReviewCloseFact {
        ReviewCloseFact {
            idx: 1,
            time: t(at),
            campaign: "rev-1".to_owned(),
            items: 10,
            reviewed: 10 - unreviewed.len() as u64,
            unreviewed_people: unreviewed.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn access_reviews_pass_within_the_interval_warn_when_open_or_partial_and_fail_when_overdue() {
        let model = acme();
        let mut f = Fixture::new();
        assert_eq!(
            f.judge(&model, ControlId::AccessReviews, &nimbus()).0,
            Status::Fail
        );
        // 91 days before: outside the 90-day interval.
        f.facts
            .review_closes
            .push(close("2026-08-23T12:00:00Z", &[]));
        assert_eq!(
            f.judge(&model, ControlId::AccessReviews, &nimbus()).0,
            Status::Fail
        );
        f.facts.review_starts.push(ReviewStartFact {
            idx: 2,
            time: t("2026-11-20T09:00:00Z"),
            campaign: "rev-2".to_owned(),
            items: 12,
            deadline: Some(t("2026-11-27T09:00:00Z")),
        });
        assert_eq!(
            f.judge(&model, ControlId::AccessReviews, &nimbus()).0,
            Status::Warn
        );
        // 89 days before: inside.
        f.facts
            .review_closes
            .push(close("2026-08-25T12:00:00Z", &["kavya"]));
        assert_eq!(
            f.judge(&model, ControlId::AccessReviews, &nimbus()).0,
            Status::Warn
        );
        assert_eq!(
            f.judge(&model, ControlId::AccessReviews, &harbor()).0,
            Status::Pass
        );
    }

    fn prod(id: &str, service: &str, sha: &str) -> Deployment {
        Deployment {
            id: id.to_owned(),
            service: service.to_owned(),
            environment: "prod".to_owned(),
            started: t("2026-11-10T10:00:00Z"),
            finished: t("2026-11-10T10:05:00Z"),
            status: DeployStatus::Success,
            commits: vec![DeployedCommit {
                repo: "acme/payments".to_owned(),
                sha: sha.to_owned(),
            }],
        }
    }

    fn verdict(head: &str, env: Option<&str>, result: &str) -> GateVerdictFact {
        GateVerdictFact {
            idx: 0,
            time: t("2026-11-10T09:00:00Z"),
            subject: "acme/payments".to_owned(),
            verdict: result.to_owned(),
            tier: "high".to_owned(),
            head: head.to_owned(),
            environment: env.map(str::to_owned),
            services: vec!["checkout-web".to_owned()],
            waivers_used: Vec::new(),
            waived_controls: 0,
            failed_controls: Vec::new(),
            attribution: Attribution::default(),
        }
    }

    #[test]
    fn gated_deployments_follow_the_policy_thresholds_and_a_failed_verdict_does_not_gate() {
        let model = acme();
        let mut f = Fixture::new();
        assert_eq!(
            f.judge(&model, ControlId::GatedDeployments, &nimbus()).0,
            Status::Warn
        );
        for n in 0..10 {
            f.deployments
                .push(prod(&format!("d{n}"), "checkout-web", &format!("{n:040}")));
        }
        for n in 0..10 {
            f.facts
                .gate_verdicts
                .push(verdict(&format!("{n:040}"), Some("prod"), "pass"));
        }
        assert_eq!(
            f.judge(&model, ControlId::GatedDeployments, &nimbus()).0,
            Status::Pass
        );
        // 9 of 10: at the 90% warn threshold.
        f.facts.gate_verdicts[9].verdict = "fail".to_owned();
        let (status, evidence) = f.judge(&model, ControlId::GatedDeployments, &nimbus());
        assert_eq!(status, Status::Warn, "{evidence:?}");
        assert!(evidence[0].starts_with("9 of 10"), "{evidence:?}");
        // 8 of 10: below it. A verdict for another environment does not count.
        f.facts.gate_verdicts[8].environment = Some("staging".to_owned());
        assert_eq!(
            f.judge(&model, ControlId::GatedDeployments, &nimbus()).0,
            Status::Fail
        );
        // Harbor deployed nothing.
        assert_eq!(
            f.judge(&model, ControlId::GatedDeployments, &harbor()).0,
            Status::Warn
        );
    }

    fn scan(idx: u64, service: &str, results: &[(&str, &str)]) -> ScanFact {
        let model = acme();
        let index = Index::new(&model);
        let mut attribution = Attribution::default();
        attribution.add_service(&index, service);
        ScanFact {
            idx,
            time: t("2026-11-01T00:00:00Z"),
            subject: service.to_owned(),
            mode: "tree".to_owned(),
            findings: results.len() as u64,
            suppressed_baseline: 2,
            results: results
                .iter()
                .map(|(kind, severity)| ScanResultFact {
                    rule: "r".to_owned(),
                    kind: (*kind).to_owned(),
                    severity: (*severity).to_owned(),
                    path: "x".to_owned(),
                })
                .collect(),
            attribution,
        }
    }

    #[test]
    fn secret_scanning_judges_the_latest_scan_and_warns_on_services_never_scanned() {
        let model = acme();
        let mut f = Fixture::new();
        let (status, evidence) = f.judge(&model, ControlId::SecretScanning, &harbor());
        assert_eq!(status, Status::Warn);
        assert!(
            evidence[0].contains("docs-site, status-page"),
            "{evidence:?}"
        );
        f.facts
            .scans
            .push(scan(1, "docs-site", &[("secret", "critical")]));
        f.facts.scans.push(scan(2, "status-page", &[]));
        assert_eq!(
            f.judge(&model, ControlId::SecretScanning, &harbor()).0,
            Status::Fail
        );
        // A later clean scan of the same subject supersedes the finding.
        f.facts.scans.push(scan(3, "docs-site", &[]));
        assert_eq!(
            f.judge(&model, ControlId::SecretScanning, &harbor()).0,
            Status::Pass
        );
        // A scan of the whole repository covers every service in it; its
        // secret under nimbus's search service is nimbus's, not harbor's.
        let index = Index::new(&model);
        let mut repo_scan = scan(4, "acme/platform", &[("secret", "high")]);
        repo_scan.results[0].path = "services/search/key.pem".to_owned();
        repo_scan.attribution = Attribution::default();
        for s in ["docs-site", "status-page", "search", "identity"] {
            repo_scan.attribution.add_service(&index, s);
        }
        f.facts.scans.push(repo_scan);
        assert_eq!(
            f.judge(&model, ControlId::SecretScanning, &harbor()).0,
            Status::Pass
        );
        assert_eq!(
            f.judge(&model, ControlId::SecretScanning, &nimbus()).0,
            Status::Fail
        );
        f.facts
            .scans
            .push(scan(5, "status-page", &[("pii", "medium")]));
        assert_eq!(
            f.judge(&model, ControlId::SecretScanning, &harbor()).0,
            Status::Warn
        );
    }

    fn runbook(service: &str, state: RunbookState, age: f64, commits: u64) -> Runbook {
        Runbook {
            service: service.to_owned(),
            team: "harbor".to_owned(),
            repo: Some("acme/platform".to_owned()),
            path: Some(format!("docs/runbooks/{service}.md")),
            state,
            last_commit: None,
            last_changed: None,
            age_days: Measured::Value(age),
            churn: Measured::Value(Churn {
                commits,
                lines_added: commits * 10,
                lines_deleted: 0,
            }),
        }
    }

    #[test]
    fn runbooks_fail_when_missing_and_warn_when_old_while_the_code_moved() {
        let model = acme();
        let mut f = Fixture::new();
        assert_eq!(
            f.judge(&model, ControlId::Runbooks, &harbor()).0,
            Status::Warn
        );
        f.runbooks = Measured::Value(vec![
            runbook("docs-site", RunbookState::Present, 181.0, 0),
            runbook("status-page", RunbookState::Present, 10.0, 40),
        ]);
        // Old but nothing changed since: still fresh.
        assert_eq!(
            f.judge(&model, ControlId::Runbooks, &harbor()).0,
            Status::Pass
        );
        f.runbooks = Measured::Value(vec![
            runbook("docs-site", RunbookState::Present, 181.0, 3),
            runbook("status-page", RunbookState::Present, 180.0, 40),
        ]);
        let (status, evidence) = f.judge(&model, ControlId::Runbooks, &harbor());
        assert_eq!(status, Status::Warn);
        assert!(evidence[1].contains("181 days"), "{evidence:?}");
        f.runbooks = Measured::Value(vec![
            runbook("docs-site", RunbookState::Missing, 0.0, 0),
            runbook("status-page", RunbookState::Present, 1.0, 0),
        ]);
        assert_eq!(
            f.judge(&model, ControlId::Runbooks, &harbor()).0,
            Status::Fail
        );
    }

    fn point(label: &str, cfr: Option<f64>, recovery: Option<f64>, incidents: f64) -> TrendPoint {
        let m = |v: Option<f64>| Measured::from_option(v, || "none".to_owned());
        TrendPoint {
            label: label.to_owned(),
            change_failure_rate: m(cfr),
            recovery_hours: m(recovery),
            incidents: Measured::Value(incidents),
            unlinked_incidents: 0,
        }
    }

    #[test]
    fn worsening_is_more_than_the_policy_percentage_above_the_earlier_mean() {
        assert_eq!(worsening(&[0.10, 0.10], 0.11, 10), Some(false));
        assert_eq!(worsening(&[0.10, 0.10], 0.1101, 10), Some(true));
        assert_eq!(worsening(&[0.0], 0.0, 10), Some(false));
        assert_eq!(worsening(&[0.0], 1.0, 10), Some(true));
        assert_eq!(worsening(&[], 1.0, 10), None);
    }

    #[test]
    fn metrics_trend_fails_on_a_worsening_key_and_warns_without_deployments() {
        let model = acme();
        let mut f = Fixture::new();
        assert_eq!(
            f.judge(&model, ControlId::MetricsTrend, &nimbus()).0,
            Status::Warn
        );
        f.trends.insert(
            nimbus(),
            vec![
                point("2026-08", Some(0.2), Some(2.0), 3.0),
                point("2026-09", Some(0.2), Some(2.0), 3.0),
                point("2026-10", Some(0.2), None, 3.0),
            ],
        );
        assert_eq!(
            f.judge(&model, ControlId::MetricsTrend, &nimbus()).0,
            Status::Pass
        );
        f.trends.get_mut(&nimbus()).expect("inserted")[2].incidents = Measured::Value(4.0);
        let (status, evidence) = f.judge(&model, ControlId::MetricsTrend, &nimbus());
        assert_eq!(status, Status::Fail);
        assert!(
            evidence[2].contains("worse by more than 10%"),
            "{evidence:?}"
        );
        f.trends.insert(
            nimbus(),
            vec![
                point("2026-09", None, None, 0.0),
                point("2026-10", None, None, 0.0),
            ],
        );
        assert_eq!(
            f.judge(&model, ControlId::MetricsTrend, &nimbus()).0,
            Status::Warn
        );
    }

    #[test]
    fn metrics_trend_does_not_judge_a_partial_failure_rate() {
        let model = acme();
        let mut f = Fixture::new();
        let mut points = vec![
            point("2026-09", Some(0.2), Some(2.0), 3.0),
            point("2026-10", Some(0.2), Some(2.0), 3.0),
        ];
        points[1].unlinked_incidents = 2;
        f.trends.insert(nimbus(), points);
        let (status, evidence) = f.judge(&model, ControlId::MetricsTrend, &nimbus());
        assert_eq!(status, Status::Warn, "{evidence:?}");
        assert!(
            evidence[0].contains("partial, not judged") && evidence[0].contains("2 in 2026-10"),
            "{evidence:?}"
        );
        assert!(evidence[1].contains("partial"), "{evidence:?}");
    }

    #[test]
    fn the_verdict_lists_fails_before_warns_each_in_checklist_order() {
        let f = Fixture::new();
        let model = acme();
        let index = Index::new(&model);
        let inputs = ReadinessInputs {
            index: &index,
            today: today(),
            now: now(),
            codeowners: None,
            permissions: None,
            deployments: &f.deployments,
            facts: &f.facts,
            runbooks: &f.runbooks,
            trends: &f.trends,
        };
        let card = scorecard(&inputs, &nimbus());
        assert!(!card.ready);
        assert_eq!(
            card.fix_first,
            [
                ControlId::NoStandingAccess,
                ControlId::AccessReviews,
                ControlId::OwnershipAgrees,
                ControlId::GatedDeployments,
                ControlId::SecretScanning,
                ControlId::Runbooks,
                ControlId::MetricsTrend,
            ]
        );
        assert!(
            card.verdict
                .starts_with("not ready to scale: 2 failing, 5 warning"),
            "{}",
            card.verdict
        );
        let all = scorecards(&inputs, None);
        assert_eq!(
            all.iter().map(|c| c.scope.clone()).collect::<Vec<_>>(),
            [Scope::Org, nimbus(), harbor()]
        );
    }
}
