//! `palisade incident open | resolve | list`: the incidents the metrics
//! count, each step recorded with its ledger entry by palisade-metrics.

use std::process::ExitCode;

use palisade_ledger::ledger::Ledger;
use palisade_metrics::input::Incident;
use palisade_metrics::record::{NewIncident, Outcome, Recorder};
use palisade_model::Index;
use palisade_store::{MetricsIncidentRow, Store};
use serde_json::{Value, json};

use super::deploy::parse_time;
use crate::cli::{IncidentArgs, IncidentCommand};
use crate::output::Output;

fn incident_json(i: &Incident) -> Value {
    json!({
        "id": i.id,
        "service": i.service,
        "severity": i.severity,
        "title": i.title,
        "opened": i.opened.to_string(),
        "resolved": i.resolved.map(|t| t.to_string()),
        "cause": i.cause,
        "deployment": i.deployment,
    })
}

fn row_json(r: &MetricsIncidentRow) -> Value {
    let at = |us: i64| {
        jiff::Timestamp::from_microsecond(us).map_or_else(|_| us.to_string(), |t| t.to_string())
    };
    json!({
        "id": r.id,
        "service": r.service,
        "severity": r.severity,
        "title": r.title,
        "opened": at(r.opened_us),
        "resolved": r.resolved_us.map(at),
        "cause": r.cause_sha,
        "deployment": r.deployment_id,
        "opened_by": r.opened_by,
        "resolved_by": r.resolved_by,
    })
}

fn line(v: &Value) -> String {
    format!(
        "{}  {:<6} {:<16} {} → {}  {}",
        v["id"].as_str().unwrap_or(""),
        v["severity"].as_str().unwrap_or(""),
        v["service"].as_str().unwrap_or(""),
        v["opened"].as_str().unwrap_or(""),
        v["resolved"].as_str().unwrap_or("open"),
        v["title"].as_str().unwrap_or("")
    )
}

pub fn run(args: &IncidentArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let now = super::parse_now(args.now.as_deref())?;
    let (_, model) = super::check::load_model(&args.model)?;
    let index = Index::new(&model);
    let actor = || super::acting(&index, args.actor.as_deref());
    super::runtime()?.block_on(async {
        let store = Store::open(db).await?;
        let ledger = Ledger::new(store, model.org.log_name.clone());
        let recorder = Recorder::new(&ledger, &index);
        match &args.command {
            IncidentCommand::Open {
                service,
                severity,
                title,
                cause,
                deployment,
                time,
                id,
            } => {
                let actor = actor()?;
                let opened = match time {
                    Some(t) => parse_time("--time", t)?,
                    None => now,
                };
                let (incident, outcome) = recorder
                    .open_incident(
                        &NewIncident {
                            id: id.clone(),
                            service: service.clone(),
                            severity: severity.clone(),
                            title: title.clone(),
                            opened,
                            cause: cause.clone(),
                            deployment: deployment.clone(),
                        },
                        &actor,
                        now,
                    )
                    .await?;
                let v = incident_json(&incident);
                if out.json() {
                    let mut v = v;
                    v["outcome"] = serde_json::to_value(outcome)?;
                    out.print_json(&v)?;
                } else {
                    let what = match outcome {
                        Outcome::Recorded => "opened",
                        Outcome::AlreadyRecorded => "already open",
                    };
                    out.line(format!("{what}: {}", line(&v)))?;
                }
            }
            IncidentCommand::Resolve { id, time } => {
                let actor = actor()?;
                let at = match time {
                    Some(t) => parse_time("--time", t)?,
                    None => now,
                };
                let incident = recorder.resolve_incident(id, at, &actor, now).await?;
                let v = incident_json(&incident);
                if out.json() {
                    out.print_json(&v)?;
                } else {
                    out.line(format!("resolved: {}", line(&v)))?;
                }
            }
            IncidentCommand::List { open } => {
                let rows = ledger.store().metrics_incidents(*open).await?;
                let list: Vec<Value> = rows.iter().map(row_json).collect();
                if out.json() {
                    out.print_json(&Value::Array(list))?;
                } else if list.is_empty() {
                    out.line(if *open {
                        "no open incidents"
                    } else {
                        "no incidents"
                    })?;
                } else {
                    for v in &list {
                        out.line(line(v))?;
                    }
                }
            }
        }
        anyhow::Ok(ExitCode::SUCCESS)
    })
}
