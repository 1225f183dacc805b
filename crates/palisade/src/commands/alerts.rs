//! `palisade alerts list | show | ack | resolve | deliver`, and the step
//! every monitor command ends with: record the findings as alerts and
//! deliver what is due. The hooks' URLs and secrets are read here, from the
//! environment variables the model names; palisade-monitor never reads the
//! environment.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use palisade_ledger::ledger::Ledger;
use palisade_model::{Index, Model};
use palisade_monitor::alerts::{Alert, AlertFilter, AlertState, Alerts};
use palisade_monitor::deliver::{Deliverer, DeliveryOptions, ResolvedHook};
use palisade_monitor::finding::{Finding, Severity};
use palisade_store::Store;
use serde_json::{Value, json};

use crate::cli::{AlertsArgs, AlertsCommand};
use crate::output::Output;

/// The model's alert hooks whose URL (and secret) the environment holds;
/// each one missing is a warning, and its deliveries stay queued.
pub fn hooks(model: &Model, out: &Output) -> anyhow::Result<Vec<ResolvedHook>> {
    let mut resolved = Vec::new();
    for hook in &model.monitor.alert_hooks {
        let Ok(url) = std::env::var(&hook.url_env) else {
            out.warning(format!(
                "alert hook {} is not delivered to: {} is not set (its alerts stay queued)",
                hook.kind, hook.url_env
            ));
            continue;
        };
        let secret = match &hook.secret_env {
            Some(var) => match std::env::var(var) {
                Ok(text) => Some(
                    palisade_access::webhook::WebhookSecret::parse(&text)
                        .with_context(|| format!("{var} does not hold a webhook secret"))?,
                ),
                Err(_) => {
                    out.warning(format!(
                        "alert hook {} is not delivered to: {var} is not set (its alerts stay queued)",
                        hook.kind
                    ));
                    continue;
                }
            },
            None => None,
        };
        resolved.push(ResolvedHook::new(hook, url, secret)?);
    }
    Ok(resolved)
}

/// One line for an alert as `alert_json` gives it.
pub fn alert_line(a: &Value) -> String {
    format!(
        "{}  {:<8} {:<16} {}",
        a["id"].as_str().unwrap_or(""),
        a["severity"].as_str().unwrap_or(""),
        a["detector"].as_str().unwrap_or(""),
        a["sentence"].as_str().unwrap_or("")
    )
}

/// An alert as printed.
pub fn alert_json(a: &Alert) -> Value {
    json!({
        "id": a.id,
        "detector": a.detector,
        "severity": a.severity.key(),
        "person": a.person,
        "actor": a.actor,
        "resource": a.resource,
        "first_seen": a.first_seen.to_string(),
        "last_seen": a.last_seen.to_string(),
        "count": a.seen,
        "state": a.state.state.key(),
        "sentence": a.sentence,
    })
}

/// Records `findings` as alerts (deduplicated, ledgered, deliveries queued)
/// and, when `deliver`, delivers what is due; returns the alerts touched.
pub async fn record_and_deliver(
    ledger: &Ledger,
    index: &Index<'_>,
    findings: &[Finding],
    deliver: bool,
    now: jiff::Timestamp,
    out: &Output,
) -> anyhow::Result<Vec<Value>> {
    let alerts = Alerts::new(ledger, &index.model().monitor)?;
    let recorded = alerts.record(findings, now).await?;
    let mut shown = Vec::new();
    // Findings folded into one alert name it once each: show it once.
    let mut seen = std::collections::HashSet::new();
    for id in recorded.alerts.iter().filter(|id| seen.insert(id.as_str())) {
        if let Some(a) = alerts.get(id).await? {
            shown.push(alert_json(&a));
        }
    }
    if deliver {
        deliver_due(ledger.store(), index.model(), now, out).await?;
    }
    Ok(shown)
}

async fn deliver_due(
    store: &Store,
    model: &Model,
    now: jiff::Timestamp,
    out: &Output,
) -> anyhow::Result<(usize, usize, usize)> {
    let hooks = hooks(model, out)?;
    if hooks.is_empty() {
        return Ok((0, 0, 0));
    }
    let report = Deliverer::new(store.clone(), DeliveryOptions::default())
        .deliver_pending(&hooks, now)
        .await?;
    for f in report.failed() {
        out.warning(format!(
            "alert {} could not be delivered to {}: {:?}",
            f.alert, f.hook, f.outcome
        ));
    }
    Ok((
        report.delivered().count(),
        report.retrying().count(),
        report.failed().count(),
    ))
}

pub fn run(args: &AlertsArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let now = super::parse_now(args.now.as_deref())?;
    let (_, model) = super::check::load_model(&args.model)?;
    let index = Index::new(&model);
    let actor = || super::acting(&index, args.actor.as_deref());
    super::runtime()?.block_on(async {
        let store = Store::open(db).await?;
        let ledger = Ledger::new(store, model.org.log_name.clone());
        let alerts = Alerts::new(&ledger, &model.monitor)?;
        match &args.command {
            AlertsCommand::List {
                state,
                severity,
                person,
                detector,
                limit,
            } => {
                let state = match state.as_deref() {
                    Some(s) => Some(AlertState::from_key(s).with_context(|| {
                        format!("unknown state `{s}`: open, acknowledged or resolved")
                    })?),
                    None => None,
                };
                let min_severity = match severity.as_deref() {
                    Some(s) => Some(Severity::from_key(s).with_context(|| {
                        format!("unknown severity `{s}`: low, medium, high or critical")
                    })?),
                    None => None,
                };
                let list = alerts
                    .list(&AlertFilter {
                        state,
                        min_severity,
                        person: person.clone(),
                        detector: detector.clone(),
                        limit: Some(*limit),
                    })
                    .await?;
                if out.json() {
                    out.print_json(&Value::Array(list.iter().map(alert_json).collect()))?;
                } else if list.is_empty() {
                    out.line("no alerts")?;
                } else {
                    for a in &list {
                        out.line(format!(
                            "{}  {:<12} {:<8} {:<16} {}  {}",
                            a.id,
                            a.state.state.key(),
                            a.severity.key(),
                            a.detector,
                            a.last_seen,
                            a.sentence
                        ))?;
                    }
                }
            }
            AlertsCommand::Show { id } => {
                let a = alerts
                    .get(id)
                    .await?
                    .with_context(|| format!("no alert `{id}`; `palisade alerts list` shows them"))?;
                let history = alerts.history(id).await?;
                let deliveries = ledger.store().monitor_deliveries_of(id).await?;
                if out.json() {
                    let mut v = alert_json(&a);
                    v["evidence"] = serde_json::to_value(&a.evidence)?;
                    v["history"] = serde_json::to_value(&history)?;
                    v["deliveries"] = Value::Array(
                        deliveries
                            .iter()
                            .map(|d| json!({"hook": d.hook, "state": d.state, "attempts": d.attempts, "last_error": d.last_error}))
                            .collect(),
                    );
                    out.print_json(&v)?;
                } else {
                    out.line(format!("{}  {} {}  {}", a.id, a.severity.key(), a.detector, a.state.state.key()))?;
                    out.line(format!("  {}", a.sentence))?;
                    out.line(format!(
                        "  seen {} time(s), {} → {}",
                        a.seen, a.first_seen, a.last_seen
                    ))?;
                    out.line("  evidence:")?;
                    for e in &a.evidence {
                        out.line(format!("    {}:{} ({})", e.file, e.line, e.source))?;
                    }
                    out.line("  history:")?;
                    for h in &history {
                        out.line(format!("    {} {} by {}: {}", h.at, h.state.key(), h.by, h.reason))?;
                    }
                    for d in &deliveries {
                        out.line(format!(
                            "  delivery to {}: {} after {} attempt(s){}",
                            d.hook,
                            d.state,
                            d.attempts,
                            d.last_error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
                        ))?;
                    }
                }
            }
            AlertsCommand::Ack { id, reason } => {
                let a = alerts.acknowledge(id, &actor()?, reason, now).await?;
                print_one(&a, out)?;
            }
            AlertsCommand::Resolve { id, reason } => {
                let a = alerts.resolve(id, &actor()?, reason, now).await?;
                print_one(&a, out)?;
            }
            AlertsCommand::Deliver => {
                if model.monitor.alert_hooks.is_empty() {
                    bail!("the model names no [[monitor.alert_hooks]]: there is nowhere to deliver to");
                }
                let (delivered, retrying, failed) =
                    deliver_due(ledger.store(), &model, now, out).await?;
                out.line(format!(
                    "{delivered} delivered, {retrying} to retry, {failed} failed"
                ))?;
            }
        }
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

fn print_one(a: &Alert, out: &Output) -> anyhow::Result<()> {
    if out.json() {
        return out.print_json(&alert_json(a));
    }
    out.line(format!(
        "{}  {:<12} {:<8} {}  ({} by {}: {})",
        a.id,
        a.state.state.key(),
        a.severity.key(),
        a.detector,
        a.state.state.key(),
        a.state.by,
        a.state.reason
    ))
}
