//! Events persisted in batches and read back by person and time, on both
//! backends and on an in-memory SQLite store (whose path differs).

use std::net::{IpAddr, Ipv4Addr};

use palisade_monitor::event::{Action, Actor, ActorKind, Event, Outcome, RawRef, Resource, Source};
use palisade_monitor::persist::{event_row, persist_events};
use palisade_store::Store;
use palisade_test_support::db::backends;

use super::minutes;

fn event(i: u64) -> Event {
    let person = if i.is_multiple_of(2) { "alice" } else { "bob" };
    Event {
        time: minutes(i as i64),
        actor: Actor {
            name: format!("{person}-gh"),
            kind: ActorKind::GithubLogin,
            person: (i % 10 != 9).then(|| person.to_owned()),
        },
        action: if i.is_multiple_of(3) {
            Action::Login {
                method: "certificate".to_owned(),
            }
        } else {
            Action::GitClone
        },
        resource: Some(Resource::Repository(format!("acme/repo-{}", i % 7))),
        source_address: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, (i % 200) as u8))),
        outcome: Outcome::Success,
        grant: i.is_multiple_of(3).then(|| format!("req-{i}")),
        serial: i.is_multiple_of(3).then_some(i),
        lossy: false,
        raw: RawRef {
            source: Source::Github,
            file: "audit.ndjson".to_owned(),
            line: i + 1,
            id: Some(format!("doc-{i}")),
        },
    }
}

async fn check(store: &Store, what: &str) {
    let events: Vec<Event> = (0..1_300).map(event).collect();
    persist_events(store, &events[..1_000]).await.unwrap();
    persist_events(store, &events[1_000..]).await.unwrap();
    persist_events(store, &[]).await.unwrap();
    assert_eq!(store.monitor_event_count().await.unwrap(), 1_300, "{what}");

    let alice = store
        .monitor_events_of(
            "alice",
            minutes(100).as_microsecond(),
            minutes(200).as_microsecond(),
            1_000,
        )
        .await
        .unwrap();
    let expected: Vec<_> = events[100..200]
        .iter()
        .filter(|e| e.actor.person.as_deref() == Some("alice"))
        .map(event_row)
        .collect();
    assert_eq!(alice, expected, "{what}");
    assert_eq!(alice[0].action, "git_clone", "{what}");
    assert_eq!(
        alice[0].resource.as_deref(),
        Some("repository:acme/repo-2"),
        "{what}"
    );
    assert_eq!(alice[1].action, "login", "{what}");
    assert_eq!(
        alice[1].action_detail.as_deref(),
        Some("certificate"),
        "{what}"
    );
    assert_eq!(alice[1].grant.as_deref(), Some("req-102"), "{what}");
    assert_eq!(alice[1].serial, Some(102), "{what}");

    // A NUL in a value is refused before anything is written.
    let mut bad = event(5_000);
    bad.actor.name = "a\0b".to_owned();
    assert!(
        persist_events(store, &[event(5_001), bad]).await.is_err(),
        "{what}"
    );
    assert_eq!(store.monitor_event_count().await.unwrap(), 1_300, "{what}");
}

#[tokio::test]
async fn events_round_trip_in_batches() {
    for db in backends().await {
        let store = db.open().await;
        check(&store, &db.backend().to_string()).await;
        store.close().await;
    }
    let memory = Store::open("sqlite::memory:").await.unwrap();
    check(&memory, "in-memory SQLite").await;
}
