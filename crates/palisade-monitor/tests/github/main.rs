//! The GitHub reader against GitHub's own example of its audit log: the
//! `audit-log` example of the Enterprise Cloud REST description Octokit
//! publishes (`scripts/ensure-tools` keeps it). The example is a page as the
//! API returns it, newest first; what our reader and the time order make of
//! it is compared with the fields read straight from the JSON.

use jiff::{SignedDuration, Timestamp};
use palisade_model::Model;
use palisade_monitor::event::{Action, ActorKind, Resource};
use palisade_monitor::order::{Order, Ordered};
use palisade_monitor::read::{SourceKind, Stream};
use serde_json::Value;

#[test]
fn githubs_own_audit_log_example_is_read_field_for_field_and_put_oldest_first() {
    let Some(path) = palisade_test_support::tool("PALISADE_TEST_GITHUB_AUDIT_LOG") else {
        return;
    };
    let text = std::fs::read(&path).unwrap();
    let records: Vec<Value> = serde_json::from_slice(&text).unwrap();
    assert!(records.len() >= 2, "{records:?}");

    let model = Model::default();
    let stream = Stream::open(
        &SourceKind::Github,
        &text[..],
        "audit-log.json",
        &model,
        2026,
        jiff::tz::TimeZone::UTC,
    )
    .unwrap();
    let mut ordered = Ordered::new(stream, Order::Auto, SignedDuration::from_mins(5));
    let events: Vec<_> = ordered.by_ref().map(|e| *e.unwrap()).collect();
    let stats = ordered.inner().stats().clone();
    assert_eq!(stats.records, records.len() as u64, "{stats:?}");
    assert_eq!(stats.events, records.len() as u64, "{stats:?}");

    // The page is newest first, as GitHub returns it: found, and read back.
    let times: Vec<i64> = records
        .iter()
        .map(|r| r["@timestamp"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert!(ordered.stats().newest_first, "{:?}", ordered.stats());
    assert_eq!(ordered.stats().late, 0);

    for (event, record) in events.iter().zip(records.iter().rev()) {
        let ms = record["@timestamp"].as_i64().unwrap();
        assert_eq!(event.time, Timestamp::from_millisecond(ms).unwrap());
        assert_eq!(event.actor.name, record["actor"].as_str().unwrap());
        assert_eq!(event.actor.kind, ActorKind::GithubLogin);
        assert_eq!(
            event.raw.id.as_deref(),
            record["_document_id"].as_str(),
            "{record}"
        );
        let name = record["action"].as_str().unwrap();
        assert_eq!(
            event.action,
            Action::Other {
                what: name.to_owned()
            },
            "{record}"
        );
        match record["repo"].as_str() {
            Some(repo) => assert_eq!(
                event.resource,
                Some(Resource::Repository(repo.to_owned())),
                "{record}"
            ),
            None => assert!(
                !matches!(event.resource, Some(Resource::Repository(_))),
                "{record}"
            ),
        }
    }
}
