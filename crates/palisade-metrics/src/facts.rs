//! What the other engines recorded in the ledger, read by kind over a period
//! into typed facts, each attributed to the scopes it counts for (a person's
//! team and vendor; a service's owning team and its vendor; always the
//! organisation).
//!
//! The shapes are those the gate, the scanner, the access engine and the
//! monitor write. This crate does not depend on those engines (they sit at
//! the same level), so the kinds are named here and every `data` field is
//! read defensively: an entry whose data does not have the shape its kind
//! promises is counted in [`DataIssues`] with its ledger index, never a panic
//! and never a silent drop. The integration tests write the entries with the
//! real engines, so a change of their shapes breaks a test here first.

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;
use palisade_model::Index;
use palisade_store::{LedgerFilter, LedgerOrder, LedgerRow, Store, StoreError};
use serde::Serialize;
use serde_json::Value;

use crate::input::DataIssues;
use crate::measure::Scope;
use crate::period::Period;

/// The ledger kinds read here, as the engines write them.
pub mod kind {
    /// A gate verdict (palisade-gate `record`).
    pub const GATE_VERDICT: &str = "gate.verdict";
    /// A scan's summary (palisade-scan `summary`).
    pub const SCAN_SUMMARY: &str = "scan.summary";
    /// An access request made.
    pub const ACCESS_REQUEST: &str = "access.request";
    /// An approval or denial of an access request.
    pub const ACCESS_DECISION: &str = "access.decision";
    /// An access request changed state.
    pub const ACCESS_STATE: &str = "access.state";
    /// Access taken without approval, for an incident.
    pub const BREAK_GLASS: &str = "access.break_glass";
    /// A break-glass use reviewed afterwards.
    pub const BREAK_GLASS_REVIEW: &str = "access.break_glass.review";
    /// An access review campaign started.
    pub const REVIEW_START: &str = "access.review.start";
    /// A reviewer kept or revoked one item of a campaign.
    pub const REVIEW_DECISION: &str = "access.review.decision";
    /// An access review campaign closed.
    pub const REVIEW_CLOSE: &str = "access.review.close";
    /// A new (or escalated) monitor alert.
    pub const ALERT: &str = "monitor.alert";
    /// A monitor alert changed state.
    pub const ALERT_STATE: &str = "monitor.alert.state";

    /// Every kind read, in the order they are read.
    pub const ALL: [&str; 12] = [
        GATE_VERDICT,
        SCAN_SUMMARY,
        ACCESS_REQUEST,
        ACCESS_DECISION,
        ACCESS_STATE,
        BREAK_GLASS,
        BREAK_GLASS_REVIEW,
        REVIEW_START,
        REVIEW_DECISION,
        REVIEW_CLOSE,
        ALERT,
        ALERT_STATE,
    ];
}

/// The `DataIssues` kind of an entry whose data does not have its kind's shape.
pub const UNREADABLE_ENTRY: &str = "unreadable_ledger_entry";
/// The `DataIssues` kind of a person no identity in the model names.
pub const UNKNOWN_PERSON: &str = "unknown_person";
/// The `DataIssues` kind of a service the model does not have.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// Whom a fact counts for, besides the organisation (which every fact counts for).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attribution {
    /// People (handles).
    pub people: Vec<String>,
    /// Services (ids).
    pub services: Vec<String>,
    /// Teams (ids): the people's teams and the services' owning teams.
    pub teams: Vec<String>,
    /// Vendors (ids) of those teams.
    pub vendors: Vec<String>,
}

impl Attribution {
    /// Whether the fact counts for `scope`.
    pub fn covers(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Org => true,
            Scope::Vendor(v) => self.vendors.contains(v),
            Scope::Team(t) => self.teams.contains(t),
            Scope::Service(s) => self.services.contains(s),
        }
    }

    fn add_team(&mut self, index: &Index<'_>, team: palisade_model::TeamId) {
        push_unique(&mut self.teams, &index.team(team).id);
        if let Some(v) = index.vendor_of_team(team) {
            push_unique(&mut self.vendors, &index.vendor(v).id);
        }
    }

    /// Adds the person `name` (any identity), their team and its vendor;
    /// `false` when the model knows nobody by that name.
    pub fn add_person(&mut self, index: &Index<'_>, name: &str) -> bool {
        let Some((person, _)) = index.find_person(name) else {
            return false;
        };
        push_unique(&mut self.people, &index.person(person).handle);
        if let Some(team) = index.team_of(person) {
            self.add_team(index, team);
        }
        true
    }

    /// Adds the service `id`, its owning team and that team's vendor; `false`
    /// when the model has no such service.
    pub fn add_service(&mut self, index: &Index<'_>, id: &str) -> bool {
        let Some(service) = index.service_by_id(id) else {
            return false;
        };
        push_unique(&mut self.services, id);
        if let Some(team) = index.team_by_id(&index.service(service).team) {
            self.add_team(index, team);
        }
        true
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_owned());
    }
}

/// A `gate.verdict` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateVerdictFact {
    /// Its ledger index.
    pub idx: u64,
    /// When the gate ran.
    pub time: Timestamp,
    /// The repository (or path) the change is to.
    pub subject: String,
    /// `pass`, `warn` or `fail`.
    pub verdict: String,
    /// The change's risk tier.
    pub tier: String,
    /// The head commit judged (full hex).
    pub head: String,
    /// The environment the change was gated for, if any.
    pub environment: Option<String>,
    /// The services the change touches.
    pub services: Vec<String>,
    /// Waivers the verdict used (their ids).
    pub waivers_used: Vec<String>,
    /// Controls that passed only by a waiver.
    pub waived_controls: u64,
    /// Controls that failed or were missing.
    pub failed_controls: Vec<String>,
    /// Whom it counts for (the services' teams and vendors).
    pub attribution: Attribution,
}

/// One finding of a `scan.summary` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanResultFact {
    /// The rule that matched.
    pub rule: String,
    /// `secret`, `pii`, `transport` or `identifier`.
    pub kind: String,
    /// `low` to `critical`.
    pub severity: String,
    /// Where (relative path).
    pub path: String,
}

/// A `scan.summary` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanFact {
    /// Its ledger index.
    pub idx: u64,
    /// When the scan ran.
    pub time: Timestamp,
    /// What was scanned: a service, a repository or a path.
    pub subject: String,
    /// `tree`, `staged`, `history`, `range` or `stdin`.
    pub mode: String,
    /// Findings reported (after inline, allowlist and baseline suppression).
    pub findings: u64,
    /// Findings the baseline suppressed: known, accepted ones.
    pub suppressed_baseline: u64,
    /// Each finding reported.
    pub results: Vec<ScanResultFact>,
    /// Whom it counts for.
    pub attribution: Attribution,
}

/// An `access.request` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessRequestFact {
    /// Its ledger index.
    pub idx: u64,
    /// When it was made.
    pub time: Timestamp,
    /// The request's id.
    pub id: String,
    /// Who asked.
    pub requester: String,
    /// The role asked for.
    pub role: String,
    /// The environment, if narrowed to one.
    pub environment: Option<String>,
    /// Whom it counts for (the requester).
    pub attribution: Attribution,
}

/// An `access.decision` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessDecisionFact {
    /// Its ledger index.
    pub idx: u64,
    /// When.
    pub time: Timestamp,
    /// The request's id.
    pub id: String,
    /// Who decided.
    pub actor: String,
    /// `approve` or `deny`.
    pub decision: String,
    /// Whom it counts for: the requester, when the request was read too.
    pub attribution: Attribution,
}

/// An `access.state` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessStateFact {
    /// Its ledger index.
    pub idx: u64,
    /// When.
    pub time: Timestamp,
    /// The request's id.
    pub id: String,
    /// The state before.
    pub from: String,
    /// The state after (`active`, `denied`, `revoked`, `expired`, …).
    pub to: String,
    /// Who asked for the access.
    pub requester: String,
    /// The role.
    pub role: String,
    /// The environment, if narrowed to one.
    pub environment: Option<String>,
    /// Whom it counts for (the requester).
    pub attribution: Attribution,
}

/// An `access.break_glass` entry, with its review if one was recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakGlassFact {
    /// Its ledger index.
    pub idx: u64,
    /// When the glass was broken.
    pub time: Timestamp,
    /// The grant's id.
    pub id: String,
    /// Who broke it.
    pub requester: String,
    /// The role taken.
    pub role: String,
    /// The environment, if narrowed to one.
    pub environment: Option<String>,
    /// When it must be reviewed by.
    pub review_due: Option<Timestamp>,
    /// When it was reviewed (an `access.break_glass.review` read in the same window).
    pub reviewed: Option<Timestamp>,
    /// Whom it counts for (who broke the glass).
    pub attribution: Attribution,
}

/// An `access.review.start` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewStartFact {
    /// Its ledger index.
    pub idx: u64,
    /// When.
    pub time: Timestamp,
    /// The campaign's id.
    pub campaign: String,
    /// Items to review.
    pub items: u64,
    /// The deadline.
    pub deadline: Option<Timestamp>,
}

/// An `access.review.decision` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewDecisionFact {
    /// Its ledger index.
    pub idx: u64,
    /// When.
    pub time: Timestamp,
    /// The campaign's id.
    pub campaign: String,
    /// Whose access.
    pub person: String,
    /// The role.
    pub role: String,
    /// `standing` or a grant's id.
    pub via: String,
    /// `keep` or `revoke`.
    pub decision: String,
    /// Whom it counts for (the person reviewed).
    pub attribution: Attribution,
}

/// An `access.review.close` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewCloseFact {
    /// Its ledger index.
    pub idx: u64,
    /// When it closed.
    pub time: Timestamp,
    /// The campaign's id.
    pub campaign: String,
    /// Items in all.
    pub items: u64,
    /// Items a reviewer decided.
    pub reviewed: u64,
    /// People with items nobody reviewed (handles as recorded).
    pub unreviewed_people: Vec<String>,
}

/// A `monitor.alert` entry: a new alert, or an escalation of one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertFact {
    /// Its ledger index.
    pub idx: u64,
    /// When.
    pub time: Timestamp,
    /// The alert's id.
    pub id: String,
    /// The detector that raised it.
    pub detector: String,
    /// Its severity (`low` to `critical`).
    pub severity: String,
    /// The person it is about, if resolved.
    pub person: Option<String>,
    /// For an escalation, the severity before.
    pub escalated_from: Option<String>,
    /// Whom it counts for (the person; an escalation inherits its alert's).
    pub attribution: Attribution,
}

/// A `monitor.alert.state` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertStateFact {
    /// Its ledger index.
    pub idx: u64,
    /// When.
    pub time: Timestamp,
    /// The alert's id.
    pub id: String,
    /// The state before.
    pub from: String,
    /// The state after.
    pub to: String,
    /// Whom it counts for (the alert's person).
    pub attribution: Attribution,
}

/// Every fact read from the ledger for one window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LedgerFacts {
    /// Gate verdicts.
    pub gate_verdicts: Vec<GateVerdictFact>,
    /// Scan summaries.
    pub scans: Vec<ScanFact>,
    /// Access requests.
    pub access_requests: Vec<AccessRequestFact>,
    /// Access decisions.
    pub access_decisions: Vec<AccessDecisionFact>,
    /// Access state changes.
    pub access_states: Vec<AccessStateFact>,
    /// Break-glass uses, each with its review if any.
    pub break_glass: Vec<BreakGlassFact>,
    /// Access review campaigns started.
    pub review_starts: Vec<ReviewStartFact>,
    /// Access review decisions.
    pub review_decisions: Vec<ReviewDecisionFact>,
    /// Access review campaigns closed.
    pub review_closes: Vec<ReviewCloseFact>,
    /// Monitor alerts (new and escalated).
    pub alerts: Vec<AlertFact>,
    /// Monitor alert state changes.
    pub alert_states: Vec<AlertStateFact>,
    /// The kinds the ledger holds at least one entry of, at any time before
    /// the window's end: tells "nothing happened" from "never recorded".
    pub kinds_recorded: BTreeSet<String>,
    /// Entries read.
    pub entries_read: u64,
    /// Entries that could not be used, and people or services the model does not know.
    pub issues: DataIssues,
    /// Break-glass reviews read, matched to their uses once everything is read.
    #[serde(skip)]
    pending_reviews: Vec<(u64, String, Timestamp)>,
}

impl LedgerFacts {
    /// Whether the ledger holds any entry of `kind` from before the window's end.
    pub fn recorded(&self, kind: &str) -> bool {
        self.kinds_recorded.contains(kind)
    }
}

/// Why the facts could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FactsError {
    /// The store failed.
    #[error("reading the ledger: {0}")]
    Store(#[from] StoreError),
}

/// How many entries one query reads.
pub const CHUNK: u32 = 1000;

/// Reads every kind of [`kind::ALL`] recorded within `window`, in chunks of
/// [`CHUNK`], into facts attributed through `index`. Break-glass reviews are
/// read up to `reviews_until` (at least the window's end), since a use near
/// the end of a window is reviewed after it.
pub async fn read(
    store: &Store,
    index: &Index<'_>,
    window: &Period,
    reviews_until: Timestamp,
) -> Result<LedgerFacts, FactsError> {
    let mut facts = LedgerFacts::default();
    let until = reviews_until.max(window.end);
    for k in kind::ALL {
        let (since, end) = if k == kind::BREAK_GLASS_REVIEW {
            (window.start, until)
        } else {
            (window.start, window.end)
        };
        let mut any = false;
        // Pages by time, not by offset: a range whose query comes back full
        // is halved and each half read again, so the whole window costs
        // about twice its entries, where offsets would skip quadratically
        // many. Only a single microsecond holding more than a page is read by
        // offset.
        let mut ranges = vec![(since.as_microsecond(), end.as_microsecond())];
        while let Some((from, to)) = ranges.pop() {
            let filter = LedgerFilter {
                kind: Some(k),
                subject: None,
                since_us: Some(from),
                until_us: Some(to),
            };
            let rows = store
                .ledger_query(&filter, LedgerOrder::OldestFirst, CHUNK, 0)
                .await?;
            if rows.len() as u64 == u64::from(CHUNK) && to - from > 1 {
                let mid = from + (to - from) / 2;
                ranges.push((mid, to));
                ranges.push((from, mid));
                continue;
            }
            let mut rows = rows;
            let mut offset = 0u64;
            loop {
                let n = rows.len() as u64;
                any |= n > 0;
                for row in &rows {
                    facts.entries_read += 1;
                    facts.add_row(index, row);
                }
                if n < u64::from(CHUNK) {
                    break;
                }
                offset += n;
                rows = store
                    .ledger_query(&filter, LedgerOrder::OldestFirst, CHUNK, offset)
                    .await?;
            }
        }
        let recorded = any || {
            let before = LedgerFilter {
                kind: Some(k),
                subject: None,
                since_us: None,
                until_us: Some(window.end.as_microsecond()),
            };
            !store
                .ledger_query(&before, LedgerOrder::OldestFirst, 1, 0)
                .await?
                .is_empty()
        };
        if recorded {
            facts.kinds_recorded.insert(k.to_owned());
        }
    }
    facts.link();
    Ok(facts)
}

/// Why an entry's data could not be read.
struct Bad(String);

fn data(row: &LedgerRow) -> Result<Value, Bad> {
    let entry: Value =
        serde_json::from_slice(&row.entry).map_err(|e| Bad(format!("not JSON: {e}")))?;
    match entry {
        Value::Object(mut m) => match m.remove("data") {
            Some(d @ Value::Object(_)) => Ok(d),
            Some(_) => Err(Bad("`data` is not an object".to_owned())),
            None => Err(Bad("no `data`".to_owned())),
        },
        _ => Err(Bad("the entry is not a JSON object".to_owned())),
    }
}

fn text(d: &Value, field: &str) -> Result<String, Bad> {
    d.get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Bad(format!("`{field}` is missing or not a string")))
}

fn opt_text(d: &Value, field: &str) -> Result<Option<String>, Bad> {
    match d.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Bad(format!("`{field}` is not a string"))),
    }
}

fn count(d: &Value, field: &str) -> Result<u64, Bad> {
    d.get(field)
        .and_then(Value::as_u64)
        .ok_or_else(|| Bad(format!("`{field}` is missing or not a count")))
}

fn texts(d: &Value, field: &str) -> Result<Vec<String>, Bad> {
    match d.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Bad(format!("`{field}` holds something that is not a string")))
            })
            .collect(),
        Some(_) => Err(Bad(format!("`{field}` is not a list"))),
    }
}

fn opt_time(d: &Value, field: &str) -> Result<Option<Timestamp>, Bad> {
    opt_text(d, field)?
        .map(|s| {
            s.parse::<Timestamp>()
                .map_err(|e| Bad(format!("`{field}` is not a time: {e}")))
        })
        .transpose()
}

fn time_of(row: &LedgerRow) -> Result<Timestamp, Bad> {
    Timestamp::from_microsecond(row.time_us)
        .map_err(|e| Bad(format!("its time is out of range: {e}")))
}

impl LedgerFacts {
    fn add_row(&mut self, index: &Index<'_>, row: &LedgerRow) {
        if let Err(Bad(why)) = self.try_add(index, row) {
            self.issues.note(
                UNREADABLE_ENTRY,
                "a ledger entry whose data does not have its kind's shape is left out of every figure",
                format!("entry {} ({}): {why}", row.idx, row.kind),
            );
        }
    }

    fn person(&mut self, index: &Index<'_>, name: &str, at: &mut Attribution) {
        if !name.is_empty() && !at.add_person(index, name) {
            self.issues.note(
                UNKNOWN_PERSON,
                "counted for the organisation only: no identity in the model names this person",
                name.to_owned(),
            );
        }
    }

    fn service(&mut self, index: &Index<'_>, id: &str, at: &mut Attribution) {
        if !at.add_service(index, id) {
            self.issues.note(
                UNKNOWN_SERVICE,
                "counted for the organisation only: the model has no such service",
                id.to_owned(),
            );
        }
    }

    fn try_add(&mut self, index: &Index<'_>, row: &LedgerRow) -> Result<(), Bad> {
        let d = data(row)?;
        let time = time_of(row)?;
        let idx = row.idx;
        let subject = row.subject.clone();
        match row.kind.as_str() {
            kind::GATE_VERDICT => {
                let services = texts(&d, "services")?;
                let mut attribution = Attribution::default();
                for s in &services {
                    self.service(index, s, &mut attribution);
                }
                let controls = match d.get("controls") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(a)) => a.clone(),
                    Some(_) => return Err(Bad("`controls` is not a list".to_owned())),
                };
                let mut waived_controls = 0;
                let mut failed_controls = Vec::new();
                for c in &controls {
                    let result = text(c, "result")?;
                    if opt_text(c, "waiver")?.is_some() || result == "waived" {
                        waived_controls += 1;
                    }
                    if matches!(result.as_str(), "fail" | "missing") {
                        failed_controls.push(text(c, "id")?);
                    }
                }
                self.gate_verdicts.push(GateVerdictFact {
                    idx,
                    time,
                    subject,
                    verdict: text(&d, "verdict")?,
                    tier: text(&d, "tier")?,
                    head: text(&d, "head")?,
                    environment: opt_text(&d, "environment")?,
                    services,
                    waivers_used: texts(&d, "waivers_used")?,
                    waived_controls,
                    failed_controls,
                    attribution,
                });
            }
            kind::SCAN_SUMMARY => {
                let findings = count(&d, "findings")?;
                let suppressed_baseline = d
                    .get("suppressed")
                    .and_then(|s| s.get("baseline"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                let mut results = Vec::new();
                match d.get("results") {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(a)) => {
                        for r in a {
                            results.push(ScanResultFact {
                                rule: text(r, "rule")?,
                                kind: text(r, "kind")?,
                                severity: text(r, "severity")?,
                                path: text(r, "path")?,
                            });
                        }
                    }
                    Some(_) => return Err(Bad("`results` is not a list".to_owned())),
                }
                let attribution = scan_attribution(index, &subject, &results);
                self.scans.push(ScanFact {
                    idx,
                    time,
                    subject,
                    mode: text(&d, "mode")?,
                    findings,
                    suppressed_baseline,
                    results,
                    attribution,
                });
            }
            kind::ACCESS_REQUEST => {
                let mut attribution = Attribution::default();
                self.person(index, &row.actor, &mut attribution);
                self.access_requests.push(AccessRequestFact {
                    idx,
                    time,
                    id: subject,
                    requester: row.actor.clone(),
                    role: text(&d, "role")?,
                    environment: opt_text(&d, "environment")?,
                    attribution,
                });
            }
            kind::ACCESS_DECISION => {
                self.access_decisions.push(AccessDecisionFact {
                    idx,
                    time,
                    id: subject,
                    actor: row.actor.clone(),
                    decision: text(&d, "decision")?,
                    attribution: Attribution::default(),
                });
            }
            kind::ACCESS_STATE => {
                let requester = text(&d, "requester")?;
                let mut attribution = Attribution::default();
                let (from, to, role, environment) = (
                    text(&d, "from")?,
                    text(&d, "to")?,
                    text(&d, "role")?,
                    opt_text(&d, "environment")?,
                );
                self.person(index, &requester, &mut attribution);
                self.access_states.push(AccessStateFact {
                    idx,
                    time,
                    id: subject,
                    from,
                    to,
                    requester,
                    role,
                    environment,
                    attribution,
                });
            }
            kind::BREAK_GLASS => {
                let (role, environment, review_due) = (
                    text(&d, "role")?,
                    opt_text(&d, "environment")?,
                    opt_time(&d, "review_due")?,
                );
                let mut attribution = Attribution::default();
                self.person(index, &row.actor, &mut attribution);
                self.break_glass.push(BreakGlassFact {
                    idx,
                    time,
                    id: subject,
                    requester: row.actor.clone(),
                    role,
                    environment,
                    review_due,
                    reviewed: None,
                    attribution,
                });
            }
            kind::BREAK_GLASS_REVIEW => {
                // Checked for shape now, matched to its use once everything is read.
                text(&d, "requester")?;
                self.pending_reviews.push((idx, subject, time));
            }
            kind::REVIEW_START => self.review_starts.push(ReviewStartFact {
                idx,
                time,
                campaign: subject,
                items: count(&d, "items")?,
                deadline: opt_time(&d, "deadline")?,
            }),
            kind::REVIEW_DECISION => {
                let person = text(&d, "person")?;
                let (role, via, decision) =
                    (text(&d, "role")?, text(&d, "via")?, text(&d, "decision")?);
                let mut attribution = Attribution::default();
                self.person(index, &person, &mut attribution);
                self.review_decisions.push(ReviewDecisionFact {
                    idx,
                    time,
                    campaign: subject,
                    person,
                    role,
                    via,
                    decision,
                    attribution,
                });
            }
            kind::REVIEW_CLOSE => {
                let totals = d
                    .get("totals")
                    .ok_or_else(|| Bad("`totals` is missing".to_owned()))?;
                let mut unreviewed_people = Vec::new();
                if let Some(list) = d.get("unreviewed").and_then(Value::as_array) {
                    for u in list {
                        push_unique(&mut unreviewed_people, &text(u, "person")?);
                    }
                }
                self.review_closes.push(ReviewCloseFact {
                    idx,
                    time,
                    campaign: subject,
                    items: count(totals, "items")?,
                    reviewed: count(totals, "reviewed")?,
                    unreviewed_people,
                });
            }
            kind::ALERT => {
                let escalated_from = opt_text(&d, "escalated_from")?;
                let person = opt_text(&d, "person")?;
                let mut attribution = Attribution::default();
                if let Some(p) = &person {
                    self.person(index, p, &mut attribution);
                }
                self.alerts.push(AlertFact {
                    idx,
                    time,
                    id: subject,
                    detector: text(&d, "detector")?,
                    severity: text(&d, "severity")?,
                    person,
                    escalated_from,
                    attribution,
                });
            }
            kind::ALERT_STATE => {
                let mut attribution = Attribution::default();
                if let Some(p) = opt_text(&d, "person")? {
                    self.person(index, &p, &mut attribution);
                }
                self.alert_states.push(AlertStateFact {
                    idx,
                    time,
                    id: subject,
                    from: text(&d, "from")?,
                    to: text(&d, "to")?,
                    attribution,
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// Puts every list in log order and joins what refers to other entries:
    /// reviews to their break-glass uses, decisions to their requests,
    /// escalations to their alerts.
    fn link(&mut self) {
        self.gate_verdicts.sort_by_key(|f| f.idx);
        self.scans.sort_by_key(|f| f.idx);
        self.access_requests.sort_by_key(|f| f.idx);
        self.access_decisions.sort_by_key(|f| f.idx);
        self.access_states.sort_by_key(|f| f.idx);
        self.break_glass.sort_by_key(|f| f.idx);
        self.review_starts.sort_by_key(|f| f.idx);
        self.review_decisions.sort_by_key(|f| f.idx);
        self.review_closes.sort_by_key(|f| f.idx);
        self.alerts.sort_by_key(|f| f.idx);
        self.alert_states.sort_by_key(|f| f.idx);
        // The first review of a use is its review (the engine records one).
        let mut reviews: HashMap<String, (u64, Timestamp)> = HashMap::new();
        for (idx, id, time) in std::mem::take(&mut self.pending_reviews) {
            let e = reviews.entry(id).or_insert((idx, time));
            if idx < e.0 {
                *e = (idx, time);
            }
        }
        for b in &mut self.break_glass {
            b.reviewed = reviews.get(&b.id).map(|r| r.1);
        }
        let requests: HashMap<&str, &Attribution> = self
            .access_requests
            .iter()
            .map(|r| (r.id.as_str(), &r.attribution))
            .collect();
        for d in &mut self.access_decisions {
            if let Some(a) = requests.get(d.id.as_str()) {
                d.attribution = (*a).clone();
            }
        }
        let alerts: HashMap<String, Attribution> = self
            .alerts
            .iter()
            .filter(|a| a.escalated_from.is_none())
            .map(|a| (a.id.clone(), a.attribution.clone()))
            .collect();
        for a in self
            .alerts
            .iter_mut()
            .filter(|a| a.escalated_from.is_some())
        {
            if let Some(first) = alerts.get(&a.id) {
                a.attribution = first.clone();
            }
        }
    }
}

/// Whom a scan counts for: the service it names; else, for a repository of
/// the model, every service of the repository (a scan of a repository covers
/// them all, clean or not: which findings are whose is decided per finding
/// by their paths); else the services its findings' paths belong to.
fn scan_attribution(index: &Index<'_>, subject: &str, results: &[ScanResultFact]) -> Attribution {
    let mut at = Attribution::default();
    if at.add_service(index, subject) {
        return at;
    }
    let model = index.model();
    let repo_services: Vec<&str> = model
        .services
        .iter()
        .filter(|s| s.repos.iter().any(|r| r.eq_ignore_ascii_case(subject)))
        .map(|s| s.id.as_str())
        .collect();
    if !repo_services.is_empty() {
        for s in repo_services {
            at.add_service(index, s);
        }
        return at;
    }
    for r in results {
        for s in index.services_for_path(None, &r.path) {
            let id = index.service(s).id.clone();
            at.add_service(index, &id);
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn acme() -> palisade_model::Model {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/acme/palisade.toml"
        );
        palisade_model::parse(&std::fs::read_to_string(path).expect("acme")).expect("parses")
    }

    fn row(idx: u64, kind: &str, actor: &str, data: &str) -> LedgerRow {
        let entry = format!(
            r#"{{"actor":"{actor}","data":{data},"index":{idx},"kind":"{kind}","subject":"s-{idx}","time":"2026-10-01T00:00:00.000000Z"}}"#
        );
        LedgerRow {
            idx,
            leaf_hash: [0; 32],
            entry: entry.into_bytes(),
            time_us: 1_790_000_000_000_000,
            actor: actor.to_owned(),
            kind: kind.to_owned(),
            subject: format!("s-{idx}"),
        }
    }

    fn facts_of(rows: &[LedgerRow]) -> LedgerFacts {
        let model = acme();
        let index = Index::new(&model);
        let mut facts = LedgerFacts::default();
        for r in rows {
            facts.entries_read += 1;
            facts.add_row(&index, r);
        }
        facts.link();
        facts
    }

    fn used(f: &LedgerFacts) -> usize {
        f.gate_verdicts.len()
            + f.scans.len()
            + f.access_requests.len()
            + f.access_decisions.len()
            + f.access_states.len()
            + f.break_glass.len()
            + f.review_starts.len()
            + f.review_decisions.len()
            + f.review_closes.len()
            + f.alerts.len()
            + f.alert_states.len()
    }

    #[test]
    fn data_of_the_wrong_shape_is_counted_with_its_index() {
        let facts = facts_of(&[
            row(3, kind::GATE_VERDICT, "ci", r#"{"verdict":"pass"}"#),
            row(4, kind::SCAN_SUMMARY, "ci", r#"{"findings":"many"}"#),
            row(5, kind::ALERT, "m", r#"[1,2]"#),
            row(
                6,
                kind::ACCESS_STATE,
                "x",
                r#"{"from":"pending","to":"denied","role":"r","requester":7}"#,
            ),
            row(
                7,
                kind::BREAK_GLASS,
                "james",
                r#"{"role":"r","review_due":"tomorrow"}"#,
            ),
        ]);
        assert_eq!(used(&facts), 0);
        assert_eq!(facts.issues.count(UNREADABLE_ENTRY), 5);
        let examples = &facts.issues.kinds[0].examples;
        assert!(
            examples[0].starts_with("entry 3 (gate.verdict): `tier`"),
            "{examples:?}"
        );
        assert!(
            examples[2].starts_with("entry 5 (monitor.alert)"),
            "{examples:?}"
        );
    }

    #[test]
    fn people_resolve_by_any_identity_and_strangers_count_for_the_organisation_only() {
        let facts = facts_of(&[
            row(
                1,
                kind::ACCESS_REQUEST,
                "arjun-menon-nimbus",
                r#"{"role":"prod-reader","environment":"prod"}"#,
            ),
            row(
                2,
                kind::ACCESS_REQUEST,
                "mallory",
                r#"{"role":"prod-reader"}"#,
            ),
        ]);
        let a = &facts.access_requests[0].attribution;
        assert_eq!(
            (
                a.people.as_slice(),
                a.teams.as_slice(),
                a.vendors.as_slice()
            ),
            (
                &["arjun".to_owned()][..],
                &["nimbus".to_owned()][..],
                &["nimbus".to_owned()][..]
            )
        );
        assert!(a.covers(&Scope::Vendor("nimbus".to_owned())));
        let m = &facts.access_requests[1].attribution;
        assert!(m.covers(&Scope::Org) && !m.covers(&Scope::Vendor("nimbus".to_owned())));
        assert_eq!(facts.issues.count(UNKNOWN_PERSON), 1);
    }

    #[test]
    fn a_break_glass_review_and_an_escalation_are_joined_to_what_they_are_about() {
        let mut rows = vec![
            row(
                1,
                kind::BREAK_GLASS,
                "james",
                r#"{"role":"incident-responder","environment":"prod","review_due":"2026-10-02T00:00:00Z"}"#,
            ),
            row(
                2,
                kind::BREAK_GLASS_REVIEW,
                "sofia",
                r#"{"reason":"ok","requester":"james","role":"incident-responder"}"#,
            ),
            row(
                3,
                kind::ALERT,
                "palisade-monitor",
                r#"{"detector":"off_hours","severity":"low","person":"arjun"}"#,
            ),
            row(
                4,
                kind::ALERT,
                "palisade-monitor",
                r#"{"detector":"off_hours","severity":"high","escalated_from":"low"}"#,
            ),
        ];
        rows[1].subject = "s-1".to_owned();
        rows[3].subject = "s-3".to_owned();
        let facts = facts_of(&rows);
        assert!(facts.break_glass[0].reviewed.is_some());
        assert!(
            facts.alerts[1]
                .attribution
                .covers(&Scope::Team("nimbus".to_owned()))
        );
    }

    proptest! {
        #[test]
        fn any_data_is_read_or_counted_never_a_panic(
            k in 0usize..kind::ALL.len(),
            data in prop_oneof![
                Just("null".to_owned()),
                Just("{}".to_owned()),
                "[a-z0-9]{0,8}".prop_map(|s| format!(r#"{{"verdict":"{s}","tier":"{s}","head":"{s}","services":["{s}"],"controls":[{{"id":"x","result":"{s}"}}]}}"#)),
                "[a-z0-9]{0,8}".prop_map(|s| format!(r#"{{"findings":3,"mode":"{s}","results":[{{"rule":"{s}"}}]}}"#)),
                "[a-z0-9 ]{0,8}".prop_map(|s| format!(r#"{{"role":"{s}","requester":"{s}","from":"{s}","to":"{s}","person":"{s}","via":"{s}","decision":"{s}","detector":"{s}","severity":"{s}","items":1,"totals":{{"items":1,"reviewed":1}}}}"#)),
            ],
        ) {
            let facts = facts_of(&[row(0, kind::ALL[k], "ci", &data)]);
            let counted = facts.issues.count(UNREADABLE_ENTRY) as usize;
            // A break-glass review is a join, not a fact of its own.
            let joined = usize::from(kind::ALL[k] == kind::BREAK_GLASS_REVIEW && counted == 0);
            prop_assert_eq!(used(&facts) + counted + joined, 1);
        }
    }
}
