//! Alerts end to end over a real store on both backends: findings folded by
//! detector, actor and resource within the dedupe window; states moved by
//! people for reasons, each change ledgered and wrong ones refused;
//! deliveries queued with their alert and posted to a real HTTP receiver on
//! loopback that fails and then recovers, across a reopened store; events
//! persisted in batches and read back by person.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod dedupe;
mod delivery;
mod events;
mod receiver;
mod states;

use jiff::{SignedDuration, Timestamp};
use palisade_ledger::ledger::{Ledger, Query, Stored};
use palisade_model::{AlertHook, GrantDuration, MonitorSettings};
use palisade_monitor::event::{RawRef, Source};
use palisade_monitor::finding::{Finding, Severity};

/// A fixed start, so dedupe windows are exact.
pub fn t0() -> Timestamp {
    "2025-03-03T02:00:00Z".parse().unwrap()
}

pub fn minutes(m: i64) -> Timestamp {
    t0().checked_add(SignedDuration::from_mins(m)).unwrap()
}

pub fn ledger(store: &palisade_store::Store) -> Ledger {
    Ledger::new(store.clone(), "palisade.test/monitor")
}

/// Monitor settings with a one-hour dedupe window and `hooks`.
pub fn settings(hooks: Vec<AlertHook>) -> MonitorSettings {
    MonitorSettings {
        dedupe_window: GrantDuration::from_minutes(60),
        alert_hooks: hooks,
        ..MonitorSettings::default()
    }
}

pub fn hook(kind: &str, url_env: &str, min_severity: Option<&str>) -> AlertHook {
    AlertHook {
        kind: kind.to_owned(),
        url_env: url_env.to_owned(),
        secret_env: (kind == "webhook").then(|| format!("{url_env}_SECRET")),
        min_severity: min_severity.map(str::to_owned),
    }
}

/// A finding of `detector` by `actor` on `resource` at `time`, with one
/// evidence line numbered `line`.
pub fn finding(
    detector: &'static str,
    severity: Severity,
    actor: &str,
    resource: Option<&str>,
    time: Timestamp,
    line: u64,
) -> Finding {
    Finding {
        detector,
        severity,
        person: Some(format!("{actor}-person")),
        actor: actor.to_owned(),
        resource: resource.map(str::to_owned),
        time,
        sentence: format!(
            "{actor} cloned {} at 02:00 in Europe/Paris, outside their hours 09:00-18:00",
            resource.unwrap_or("nothing")
        ),
        evidence: vec![RawRef {
            source: Source::Github,
            file: "audit.ndjson".to_owned(),
            line,
            id: Some(format!("doc-{line}")),
        }],
    }
}

/// The ledger entries of `kind`, oldest first.
pub async fn entries(ledger: &Ledger, kind: &str) -> Vec<Stored> {
    ledger
        .query(&Query {
            kind: Some(kind.to_owned()),
            limit: 1000,
            ..Query::default()
        })
        .await
        .unwrap()
}
