//! Alerts: what detectors found, deduplicated, with a state people move
//! along, and a delivery queued for every hook that wants it.
//!
//! A finding of the same detector, actor and resource as an alert not yet
//! resolved, within the dedupe window of its first or last finding, folds
//! into that alert (one more seen, the last time moved, its evidence added up
//! to [`EVIDENCE_CAP`]) instead of starting another. A new alert is recorded
//! in one ledger transaction with its `monitor.alert` entry and one queued
//! delivery per hook whose minimum severity it meets (the outbox
//! [`crate::deliver`] empties), so no alert is ledgered and not delivered.
//!
//! States go open → acknowledged → resolved, or open → resolved, each change
//! made by someone for a reason and ledgered as `monitor.alert.state`.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use palisade_ledger::ledger::{Event, Ledger, LedgerError};
use palisade_model::{AlertHook, MonitorSettings};
use palisade_store::{MonitorAlertFilter, MonitorAlertRow, MonitorDeliveryRow, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::deliver;
use crate::finding::{Finding, Severity};

/// The ledger kinds of alert events.
pub mod kind {
    /// A new alert.
    pub const ALERT: &str = "monitor.alert";
    /// An alert's state changed.
    pub const STATE: &str = "monitor.alert.state";
}

/// The actor of the entries the monitor itself writes (new alerts).
pub const MONITOR_ACTOR: &str = "palisade-monitor";

/// The most evidence references one alert keeps: later findings still count
/// in `seen` and move `last_seen`.
pub const EVIDENCE_CAP: usize = 50;

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Nobody has looked yet.
    Open,
    /// Someone is looking.
    Acknowledged,
    /// Done with.
    Resolved,
}

impl AlertState {
    /// The name stored and shown.
    pub fn key(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Resolved => "resolved",
        }
    }

    /// The state a stored name names.
    pub fn from_key(key: &str) -> Option<AlertState> {
        [
            AlertState::Open,
            AlertState::Acknowledged,
            AlertState::Resolved,
        ]
        .into_iter()
        .find(|s| s.key() == key)
    }

    /// Whether a person may move an alert from this state to `to`.
    pub fn can_become(self, to: AlertState) -> bool {
        matches!(
            (self, to),
            (AlertState::Open, AlertState::Acknowledged)
                | (AlertState::Open, AlertState::Resolved)
                | (AlertState::Acknowledged, AlertState::Resolved)
        )
    }
}

impl std::fmt::Display for AlertState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// Where a raw record of the evidence is, as an alert keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The source (`github`, `sshd`, …).
    pub source: String,
    /// The file.
    pub file: String,
    /// The 1-based line.
    pub line: u64,
    /// The record's own id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// One change of an alert's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateChange {
    /// The state it was put in.
    pub state: AlertState,
    /// Who.
    pub by: String,
    /// Why.
    pub reason: String,
    /// When.
    #[serde(serialize_with = "rfc3339")]
    pub at: Timestamp,
}

/// An alert as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// Its id, `alert-<12 hex>`.
    pub id: String,
    /// The detector that found it.
    pub detector: String,
    /// The highest severity of its findings.
    pub severity: Severity,
    /// The person it is about.
    pub person: Option<String>,
    /// The actor as the records name them.
    pub actor: String,
    /// The resource as `kind:name`.
    pub resource: Option<String>,
    /// The first finding's sentence.
    pub sentence: String,
    /// The evidence, at most [`EVIDENCE_CAP`] references.
    pub evidence: Vec<Evidence>,
    /// How many findings it holds.
    pub seen: u64,
    /// The first finding's time.
    #[serde(serialize_with = "rfc3339")]
    pub first_seen: Timestamp,
    /// The latest finding's time.
    #[serde(serialize_with = "rfc3339")]
    pub last_seen: Timestamp,
    /// Its state, who put it there, why and when.
    pub state: StateChange,
}

impl Alert {
    /// Whether it is at least `severity`.
    pub fn meets(&self, severity: Severity) -> bool {
        self.severity >= severity
    }
}

/// Which alerts [`Alerts::list`] shows; the default shows all, most recently
/// seen first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// Only in this state.
    pub state: Option<AlertState>,
    /// Only of this severity or higher.
    pub min_severity: Option<Severity>,
    /// Only about this person.
    pub person: Option<String>,
    /// Only of this detector.
    pub detector: Option<String>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// What [`Alerts::record`] did with each finding, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The alerts each finding went to, in the findings' order.
    pub alerts: Vec<String>,
    /// The ids of the new alerts.
    pub new: Vec<String>,
    /// How many findings folded into an alert already there.
    pub folded: u64,
    /// The deliveries queued, one per new alert and hook.
    pub queued: u64,
}

/// How a hook is reached, as far as recording needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HookKind {
    /// A Slack-compatible incoming webhook: `{"text", "blocks"}`.
    Slack,
    /// A signed Standard Webhook.
    Webhook,
}

impl HookKind {
    /// The name stored and shown.
    pub fn key(self) -> &'static str {
        match self {
            HookKind::Slack => "slack",
            HookKind::Webhook => "webhook",
        }
    }
}

/// A hook as recording sees it: no URL, no secret, only what it is, what it
/// wants and the name its deliveries are queued under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// `<kind>:<url_env>`: stable across restarts and safe to show.
    pub id: String,
    /// How it is reached.
    pub kind: HookKind,
    /// The least severity it is sent.
    pub min_severity: Severity,
}

impl Hook {
    /// The hook the model declares (`min_severity` defaults to `medium`).
    pub fn from_model(hook: &AlertHook) -> Result<Hook, AlertError> {
        let kind = match hook.kind.as_str() {
            "slack" => HookKind::Slack,
            "webhook" => HookKind::Webhook,
            other => {
                return Err(AlertError::InvalidHook {
                    hook: hook.url_env.clone(),
                    reason: format!("kind `{other}` is neither `slack` nor `webhook`"),
                });
            }
        };
        let min_severity = match hook.min_severity.as_deref() {
            None => Severity::Medium,
            Some(key) => Severity::from_key(key).ok_or_else(|| AlertError::InvalidHook {
                hook: hook.url_env.clone(),
                reason: format!("`{key}` is not a severity (low, medium, high, critical)"),
            })?,
        };
        Ok(Hook {
            id: hook_id(kind, &hook.url_env),
            kind,
            min_severity,
        })
    }
}

/// The id deliveries to the hook of `kind` whose URL is in `url_env` are
/// queued under.
pub fn hook_id(kind: HookKind, url_env: &str) -> String {
    format!("{}:{url_env}", kind.key())
}

/// Why alerts could not be recorded, listed or changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlertError {
    /// No alert has this id.
    #[error("no alert `{0}`; `palisade alerts list` shows them")]
    NotFound(String),
    /// The alert's state does not allow the change.
    #[error("alert `{id}` is {from}; it cannot be {}{}", verb(*to), hint(*from))]
    Transition {
        /// The alert.
        id: String,
        /// Its state.
        from: AlertState,
        /// The state asked for.
        to: AlertState,
    },
    /// A change needs who and why.
    #[error("{0} is empty; say who changes the alert and why")]
    Missing(&'static str),
    /// The alert was changed by someone else between read and write.
    #[error("alert `{0}` changed while this step was being taken; look again and retry")]
    Conflict(String),
    /// A hook of the model cannot be used.
    #[error("alert hook {hook}: {reason}")]
    InvalidHook {
        /// The hook's URL variable.
        hook: String,
        /// What is wrong.
        reason: String,
    },
    /// A stored alert this version cannot read.
    #[error("alert `{id}` is stored with {what} this version cannot read: {reason}")]
    Corrupt {
        /// The alert.
        id: String,
        /// Which value.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The operating system's random source failed.
    #[error("cannot make an alert id: {0}")]
    Random(String),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn verb(state: AlertState) -> &'static str {
    match state {
        AlertState::Open => "reopened",
        AlertState::Acknowledged => "acknowledged",
        AlertState::Resolved => "resolved",
    }
}

fn hint(from: AlertState) -> &'static str {
    match from {
        AlertState::Resolved => "; a new finding of the same kind opens a new alert",
        _ => "",
    }
}

/// Alerts over a ledger and its store.
#[derive(Debug)]
pub struct Alerts<'l> {
    ledger: &'l Ledger,
    window: SignedDuration,
    hooks: Vec<Hook>,
}

impl<'l> Alerts<'l> {
    /// Alerts over `ledger`, folded within `settings.dedupe_window` and queued
    /// for `settings.alert_hooks`.
    pub fn new(ledger: &'l Ledger, settings: &MonitorSettings) -> Result<Alerts<'l>, AlertError> {
        let hooks = settings
            .alert_hooks
            .iter()
            .map(Hook::from_model)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Alerts {
            ledger,
            window: SignedDuration::from_mins(i64::from(settings.dedupe_window.minutes())),
            hooks,
        })
    }

    /// The hooks new alerts are queued for.
    pub fn hooks(&self) -> &[Hook] {
        &self.hooks
    }

    /// Records `findings` in one ledger transaction: each folds into the
    /// alert not resolved of its detector, actor and resource when it falls
    /// within the dedupe window of that alert's findings, or else starts a new
    /// alert, ledgered with its deliveries queued. Findings of one call fold
    /// into each other too.
    pub async fn record(
        &self,
        findings: &[Finding],
        now: Timestamp,
    ) -> Result<Recorded, AlertError> {
        let mut recorded = Recorded::default();
        if findings.is_empty() {
            return Ok(recorded);
        }
        let mut tx = self.ledger.begin().await?;
        // The alerts this call touches, read once and written once at the
        // end: thousands of findings of one key cost one update, not
        // thousands. Each entry: the version stored, and the row as it is now.
        type Key = (&'static str, String, Option<String>);
        let mut touched: HashMap<Key, Option<(i64, MonitorAlertRow)>> = HashMap::new();
        let mut dirty: Vec<Key> = Vec::new();
        for finding in findings {
            let resource = finding.resource.as_deref().filter(|r| !r.is_empty());
            let key: Key = (
                finding.detector,
                finding.actor.clone(),
                resource.map(str::to_owned),
            );
            if !touched.contains_key(&key) {
                let open = tx
                    .monitor_unresolved_alert(finding.detector, &finding.actor, resource)
                    .await?;
                touched.insert(key.clone(), open.map(|row| (row.version, row)));
            }
            let current = touched
                .get(&key)
                .and_then(|entry| entry.as_ref())
                .filter(|(_, row)| self.within_window(row, finding.time))
                .map(|(_, row)| row.clone());
            if let Some(row) = current {
                let folded = fold(&row, finding)?;
                if let Some(Some((_, stored))) = touched.get_mut(&key) {
                    *stored = folded.clone();
                }
                if !dirty.contains(&key) {
                    dirty.push(key.clone());
                }
                // A finding that raises the alert's severity reaches the
                // hooks the old severity did not, and says so in the ledger.
                let before = severity_of(&row)?;
                let after = severity_of(&folded)?;
                if after > before {
                    let alert = to_alert(&folded)?;
                    let mut queued_for = Vec::new();
                    for hook in self
                        .hooks
                        .iter()
                        .filter(|h| after >= h.min_severity && before < h.min_severity)
                    {
                        let delivery = MonitorDeliveryRow {
                            id: deliver::new_message_id().map_err(AlertError::Random)?,
                            alert_id: folded.id.clone(),
                            hook: hook.id.clone(),
                            kind: hook.kind.key().to_owned(),
                            body: match hook.kind {
                                HookKind::Slack => deliver::slack_body(&alert),
                                HookKind::Webhook => deliver::webhook_body(&alert, now),
                            },
                            state: "queued".to_owned(),
                            attempts: 0,
                            next_attempt_us: now.as_microsecond(),
                            last_error: None,
                            created_us: now.as_microsecond(),
                            updated_us: now.as_microsecond(),
                        };
                        tx.monitor_queue_delivery(&delivery).await?;
                        recorded.queued += 1;
                        queued_for.push(delivery.hook);
                    }
                    self.ledger
                        .append_in(
                            &mut tx,
                            &[Event {
                                time: now,
                                actor: MONITOR_ACTOR.to_owned(),
                                kind: kind::ALERT.to_owned(),
                                subject: folded.id.clone(),
                                data: json!({
                                    "escalated_from": before,
                                    "severity": after,
                                    "detector": alert.detector,
                                    "sentence": alert.sentence,
                                    "time": finding.time.to_string(),
                                    "queued_for": queued_for,
                                }),
                            }],
                        )
                        .await?;
                }
                recorded.alerts.push(row.id);
                recorded.folded += 1;
                continue;
            }
            let row = new_row(finding, now)?;
            let alert = to_alert(&row)?;
            let mut hooks = Vec::new();
            for hook in self.hooks.iter().filter(|h| alert.meets(h.min_severity)) {
                let delivery = MonitorDeliveryRow {
                    id: deliver::new_message_id().map_err(AlertError::Random)?,
                    alert_id: row.id.clone(),
                    hook: hook.id.clone(),
                    kind: hook.kind.key().to_owned(),
                    body: String::new(),
                    state: "queued".to_owned(),
                    attempts: 0,
                    next_attempt_us: now.as_microsecond(),
                    last_error: None,
                    created_us: now.as_microsecond(),
                    updated_us: now.as_microsecond(),
                };
                let body = match hook.kind {
                    HookKind::Slack => deliver::slack_body(&alert),
                    HookKind::Webhook => deliver::webhook_body(&alert, now),
                };
                hooks.push((delivery, body));
            }
            // An alert of this key folded into earlier in this call, now
            // out of the window, is written before the new one takes its place.
            if let Some(at) = dirty.iter().position(|k| *k == key) {
                dirty.remove(at);
                if let Some(Some((stored_version, old))) = touched.remove(&key) {
                    let old = MonitorAlertRow {
                        version: stored_version + 1,
                        ..old
                    };
                    if !tx.monitor_update_alert(&old, stored_version).await? {
                        return Err(AlertError::Conflict(old.id));
                    }
                }
            }
            tx.monitor_insert_alert(&row).await?;
            touched.insert(key.clone(), Some((row.version, row.clone())));
            let mut queued_for = Vec::with_capacity(hooks.len());
            for (mut delivery, body) in hooks {
                delivery.body = body;
                tx.monitor_queue_delivery(&delivery).await?;
                recorded.queued += 1;
                queued_for.push(delivery.hook);
            }
            self.ledger
                .append_in(
                    &mut tx,
                    &[Event {
                        time: now,
                        actor: MONITOR_ACTOR.to_owned(),
                        kind: kind::ALERT.to_owned(),
                        subject: row.id.clone(),
                        data: json!({
                            "detector": alert.detector,
                            "severity": alert.severity,
                            "person": alert.person,
                            "actor": alert.actor,
                            "resource": alert.resource,
                            "sentence": alert.sentence,
                            "time": alert.first_seen.to_string(),
                            "evidence": alert.evidence,
                            "queued_for": queued_for,
                        }),
                    }],
                )
                .await?;
            recorded.alerts.push(row.id.clone());
            recorded.new.push(row.id);
        }
        for key in dirty {
            if let Some(Some((stored_version, row))) = touched.remove(&key) {
                let row = MonitorAlertRow {
                    version: stored_version + 1,
                    ..row
                };
                if !tx.monitor_update_alert(&row, stored_version).await? {
                    return Err(AlertError::Conflict(row.id));
                }
            }
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// `actor` acknowledges open alert `id` for `reason`.
    pub async fn acknowledge(
        &self,
        id: &str,
        actor: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<Alert, AlertError> {
        self.change(id, AlertState::Acknowledged, actor, reason, now)
            .await
    }

    /// `actor` resolves open or acknowledged alert `id` for `reason`.
    pub async fn resolve(
        &self,
        id: &str,
        actor: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<Alert, AlertError> {
        self.change(id, AlertState::Resolved, actor, reason, now)
            .await
    }

    async fn change(
        &self,
        id: &str,
        to: AlertState,
        actor: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<Alert, AlertError> {
        if actor.trim().is_empty() {
            return Err(AlertError::Missing("who"));
        }
        if reason.trim().is_empty() {
            return Err(AlertError::Missing("the reason"));
        }
        let mut tx = self.ledger.begin().await?;
        let row = tx
            .monitor_alert(id)
            .await?
            .ok_or_else(|| AlertError::NotFound(id.to_owned()))?;
        let from = state_of(&row)?;
        if !from.can_become(to) {
            return Err(AlertError::Transition {
                id: id.to_owned(),
                from,
                to,
            });
        }
        let changed = MonitorAlertRow {
            state: to.key().to_owned(),
            state_by: actor.to_owned(),
            state_reason: reason.to_owned(),
            state_us: now.as_microsecond(),
            version: row.version + 1,
            ..row.clone()
        };
        if !tx.monitor_update_alert(&changed, row.version).await? {
            return Err(AlertError::Conflict(id.to_owned()));
        }
        self.ledger
            .append_in(
                &mut tx,
                &[Event {
                    time: now,
                    actor: actor.to_owned(),
                    kind: kind::STATE.to_owned(),
                    subject: id.to_owned(),
                    data: json!({
                        "from": from,
                        "to": to,
                        "reason": reason,
                        "detector": row.detector,
                        "person": row.person,
                    }),
                }],
            )
            .await?;
        tx.commit().await?;
        to_alert(&changed)
    }

    /// The alert `id`.
    pub async fn get(&self, id: &str) -> Result<Option<Alert>, AlertError> {
        self.ledger
            .store()
            .monitor_alert(id)
            .await?
            .as_ref()
            .map(to_alert)
            .transpose()
    }

    /// Every state alert `id` was put in, first to last.
    pub async fn history(&self, id: &str) -> Result<Vec<StateChange>, AlertError> {
        self.ledger
            .store()
            .monitor_alert_history(id)
            .await?
            .into_iter()
            .map(|r| {
                Ok(StateChange {
                    state: AlertState::from_key(&r.state).ok_or_else(|| AlertError::Corrupt {
                        id: id.to_owned(),
                        what: "a state",
                        reason: format!("`{}` is not a state", r.state),
                    })?,
                    by: r.actor,
                    reason: r.reason,
                    at: time(id, r.at_us)?,
                })
            })
            .collect()
    }

    /// The alerts `filter` matches, the most recently seen first.
    pub async fn list(&self, filter: &AlertFilter) -> Result<Vec<Alert>, AlertError> {
        let severities = filter.min_severity.map(|min| {
            [
                Severity::Low,
                Severity::Medium,
                Severity::High,
                Severity::Critical,
            ]
            .into_iter()
            .filter(|s| *s >= min)
            .map(|s| s.key().to_owned())
            .collect()
        });
        self.ledger
            .store()
            .monitor_alerts(&MonitorAlertFilter {
                state: filter.state.map(|s| s.key().to_owned()),
                severities,
                person: filter.person.clone(),
                detector: filter.detector.clone(),
                limit: filter.limit,
            })
            .await?
            .iter()
            .map(to_alert)
            .collect()
    }

    /// Whether a finding at `time` falls within the window of `row`'s findings.
    fn within_window(&self, row: &MonitorAlertRow, time: Timestamp) -> bool {
        let us = time.as_microsecond();
        let window = self.window.as_micros();
        let window = i64::try_from(window).unwrap_or(i64::MAX);
        us >= row.first_us.saturating_sub(window) && us <= row.last_us.saturating_add(window)
    }
}

fn evidence_of(finding: &Finding) -> Vec<Evidence> {
    finding
        .evidence
        .iter()
        .map(|raw| Evidence {
            source: crate::persist::source_key(raw.source).to_owned(),
            file: raw.file.clone(),
            line: raw.line,
            id: raw.id.clone(),
        })
        .collect()
}

fn new_id() -> Result<String, AlertError> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| AlertError::Random(e.to_string()))?;
    Ok(format!("alert-{}", hex::encode(bytes)))
}

fn new_row(finding: &Finding, now: Timestamp) -> Result<MonitorAlertRow, AlertError> {
    let mut evidence = evidence_of(finding);
    evidence.truncate(EVIDENCE_CAP);
    let time = finding.time.as_microsecond();
    Ok(MonitorAlertRow {
        id: new_id()?,
        detector: finding.detector.to_owned(),
        severity: finding.severity.key().to_owned(),
        person: finding.person.clone(),
        actor: finding.actor.clone(),
        resource: finding.resource.clone().filter(|r| !r.is_empty()),
        sentence: finding.sentence.clone(),
        evidence: serde_json::to_string(&evidence).expect("evidence always serialises"),
        seen: 1,
        first_us: time,
        last_us: time,
        state: AlertState::Open.key().to_owned(),
        state_by: MONITOR_ACTOR.to_owned(),
        state_reason: format!("{} found it", finding.detector),
        state_us: now.as_microsecond(),
        version: 1,
    })
}

/// `row` with `finding` folded in: one more seen, times widened, severity
/// raised to the finding's if higher, evidence added up to the cap.
fn fold(row: &MonitorAlertRow, finding: &Finding) -> Result<MonitorAlertRow, AlertError> {
    let mut evidence: Vec<Evidence> =
        serde_json::from_str(&row.evidence).map_err(|e| AlertError::Corrupt {
            id: row.id.clone(),
            what: "evidence",
            reason: e.to_string(),
        })?;
    for item in evidence_of(finding) {
        if evidence.len() >= EVIDENCE_CAP {
            break;
        }
        if !evidence.contains(&item) {
            evidence.push(item);
        }
    }
    let before = severity_of(row)?;
    let severity = before.max(finding.severity);
    let time = finding.time.as_microsecond();
    // A graver finding's sentence says what the alert now is.
    let sentence = if finding.severity > before {
        finding.sentence.clone()
    } else {
        row.sentence.clone()
    };
    Ok(MonitorAlertRow {
        severity: severity.key().to_owned(),
        sentence,
        evidence: serde_json::to_string(&evidence).expect("evidence always serialises"),
        seen: row.seen.saturating_add(1),
        first_us: row.first_us.min(time),
        last_us: row.last_us.max(time),
        version: row.version + 1,
        ..row.clone()
    })
}

fn state_of(row: &MonitorAlertRow) -> Result<AlertState, AlertError> {
    AlertState::from_key(&row.state).ok_or_else(|| AlertError::Corrupt {
        id: row.id.clone(),
        what: "a state",
        reason: format!("`{}` is not a state", row.state),
    })
}

fn severity_of(row: &MonitorAlertRow) -> Result<Severity, AlertError> {
    Severity::from_key(&row.severity).ok_or_else(|| AlertError::Corrupt {
        id: row.id.clone(),
        what: "a severity",
        reason: format!("`{}` is not a severity", row.severity),
    })
}

fn time(id: &str, us: i64) -> Result<Timestamp, AlertError> {
    Timestamp::from_microsecond(us).map_err(|e| AlertError::Corrupt {
        id: id.to_owned(),
        what: "a time",
        reason: e.to_string(),
    })
}

fn to_alert(row: &MonitorAlertRow) -> Result<Alert, AlertError> {
    Ok(Alert {
        id: row.id.clone(),
        detector: row.detector.clone(),
        severity: severity_of(row)?,
        person: row.person.clone(),
        actor: row.actor.clone(),
        resource: row.resource.clone(),
        sentence: row.sentence.clone(),
        evidence: serde_json::from_str(&row.evidence).map_err(|e| AlertError::Corrupt {
            id: row.id.clone(),
            what: "evidence",
            reason: e.to_string(),
        })?,
        seen: u64::try_from(row.seen).unwrap_or(0),
        first_seen: time(&row.id, row.first_us)?,
        last_seen: time(&row.id, row.last_us)?,
        state: StateChange {
            state: state_of(row)?,
            by: row.state_by.clone(),
            reason: row.state_reason.clone(),
            at: time(&row.id, row.state_us)?,
        },
    })
}

fn rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}
