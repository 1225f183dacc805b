//! Persisting events on SQLite (target: 100,000 events/s or more): a mix of
//! GitHub clones, sshd logins and failures by a few hundred people, stored
//! by `persist_events` in batches, each batch one transaction, into a fresh
//! file store (WAL, `synchronous=FULL`). The figure includes turning each
//! event into its row.
//!
//! `cargo bench -p palisade-monitor --bench persist`
//! (`PERSIST_EVENTS` and `PERSIST_BATCH` change the sizes.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    clippy::print_stdout
)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use jiff::Timestamp;
use palisade_monitor::event::{Action, Actor, ActorKind, Event, Outcome, RawRef, Resource, Source};
use palisade_monitor::persist::persist_events;
use palisade_store::Store;

fn sized(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Event `i` of a realistic mix: every third an sshd login, every seventh a
/// failure, the rest GitHub git reads and pushes over 50 repositories.
fn event(i: usize, start: Timestamp) -> Event {
    let person = format!("person-{}", i % 300);
    let time = start
        .checked_add(jiff::SignedDuration::from_millis(i as i64 * 7))
        .unwrap();
    let (source, actor, action, resource) = if i.is_multiple_of(3) {
        let action = if i.is_multiple_of(7) {
            Action::LoginFailed {
                method: "publickey".to_owned(),
            }
        } else {
            Action::Login {
                method: "certificate".to_owned(),
            }
        };
        (
            Source::Sshd,
            Actor {
                name: person.clone(),
                kind: ActorKind::SshUser,
                person: Some(person),
            },
            action,
            Resource::Host(format!("bastion-{}", i % 4)),
        )
    } else {
        (
            Source::Github,
            Actor {
                name: format!("{person}-gh"),
                kind: ActorKind::GithubLogin,
                person: Some(person),
            },
            if i.is_multiple_of(5) {
                Action::GitPush
            } else {
                Action::GitClone
            },
            Resource::Repository(format!("acme/service-{}", i % 50)),
        )
    };
    Event {
        time,
        actor,
        outcome: if matches!(action, Action::LoginFailed { .. }) {
            Outcome::Failure
        } else {
            Outcome::Success
        },
        action,
        resource: Some(resource),
        source_address: Some(IpAddr::V4(Ipv4Addr::new(
            10,
            0,
            (i / 256 % 256) as u8,
            (i % 256) as u8,
        ))),
        grant: (source == Source::Sshd).then(|| format!("req-{:012x}", i % 1000)),
        serial: (source == Source::Sshd).then_some(i as u64),
        lossy: false,
        raw: RawRef {
            source,
            file: "audit.ndjson".to_owned(),
            line: i as u64 + 1,
            id: (source == Source::Github).then(|| format!("doc-{i}")),
        },
    }
}

/// This process's CPU time (user and system), from `/proc/self/stat`; `None`
/// elsewhere. On a shared machine the wall-clock rate depends on the other
/// load, so the rate per CPU-second is printed too.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // The kernel's USER_HZ, 100 on every Linux build that matters here.
    Some((utime + stime) / 100.0)
}

fn main() {
    let total = sized("PERSIST_EVENTS", 500_000);
    let batch = sized("PERSIST_BATCH", 10_000);
    let start: Timestamp = "2025-03-03T08:00:00Z".parse().unwrap();
    let events: Vec<Event> = (0..total).map(|i| event(i, start)).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("bench.db").to_str().unwrap())
            .await
            .unwrap();
        let cpu_before = cpu_seconds();
        let began = Instant::now();
        for chunk in events.chunks(batch) {
            persist_events(&store, chunk).await.unwrap();
        }
        let took = began.elapsed();
        let cpu = cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
        assert_eq!(store.monitor_event_count().await.unwrap(), total as u64);
        let rate = total as f64 / took.as_secs_f64();
        println!(
            "persist: {total} events in batches of {batch}: {:.3} s, {rate:.0} events/s (SQLite, WAL, synchronous=FULL)",
            took.as_secs_f64()
        );
        if let Some(cpu) = cpu {
            println!(
                "persist: {cpu:.2} CPU-seconds, {:.0} events per CPU-second",
                total as f64 / cpu
            );
        }
        store.close().await;
    });
}
