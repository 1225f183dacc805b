//! `new_address`: silent while a person's history on a sensitive resource is
//! short, then reporting an address never seen there; never on resources of
//! low or medium environments; what is known carries over between runs.

use jiff::SignedDuration;
use palisade_monitor::finding::Severity;

use super::*;

const PROD: &str = "bastion.prod.acme.internal"; // prod: critical
const STAGING: &str = "web.staging.acme.internal"; // staging: medium

fn logins(run: &mut Run<'_>, host: &str, from: &[&str]) -> Vec<palisade_monitor::finding::Finding> {
    // Tuesdays 11:30 in Kolkata, a week apart.
    let start = utc("2026-03-10T06:00:00Z");
    let mut out = Vec::new();
    for (i, a) in from.iter().enumerate() {
        let t = start + SignedDuration::from_hours(24 * 7 * i as i64);
        out.extend(run.feed(ssh("arjun.menon", login(), host, a, t)));
    }
    out
}

#[test]
fn a_new_address_on_a_critical_resource_after_some_history_is_reported() {
    let mut run = Run::new(index(), &[]);
    let f = logins(
        &mut run,
        PROD,
        &["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2"],
    );
    let n = of(&f, "new_address");
    assert_eq!(n.len(), 1, "{f:#?}");
    assert_eq!(n[0].severity, Severity::High);
    let s = &n[0].sentence;
    assert!(
        s.contains("10.0.0.2 is new for them on prod/prod-hosts")
            && s.contains("1 other address were seen in their 3 earlier accesses"),
        "{s}"
    );
    // Now it is known.
    let f = logins(&mut run, PROD, &["10.0.0.2"]);
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn history_below_the_minimum_or_a_known_address_is_silent() {
    let mut run = Run::new(index(), &[]);
    // Two accesses are too few to know their addresses.
    assert!(logins(&mut run, PROD, &["10.0.0.1", "10.0.0.1", "10.0.0.2"]).is_empty());
    let mut run = Run::new(index(), &[]);
    assert!(
        logins(
            &mut run,
            PROD,
            &["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.2", "10.0.0.1"]
        )
        .is_empty()
    );
    // Failed logins teach nothing and are not accesses.
    let mut run = Run::new(index(), &[]);
    logins(&mut run, PROD, &["10.0.0.1"; 3]);
    let t = utc("2026-04-07T06:00:00Z");
    assert!(!has(
        &run.feed(ssh("arjun.menon", failed(), PROD, "10.9.9.9", t)),
        "new_address"
    ));
}

#[test]
fn resources_of_medium_environments_are_not_watched() {
    let mut run = Run::new(index(), &[]);
    assert!(
        logins(
            &mut run,
            STAGING,
            &["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2"]
        )
        .is_empty()
    );
}

#[test]
fn known_addresses_carry_over_between_runs() {
    let mut run = Run::new(index(), &[]);
    logins(&mut run, PROD, &["10.0.0.1", "10.0.0.1", "10.0.0.1"]);
    let profiles = run.detectors.into_profiles();
    let known = &profiles.people["arjun"].addresses["prod/prod-hosts"];
    assert_eq!(known.events, 3);
    assert_eq!(
        known.addresses,
        vec!["10.0.0.1".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(known.since.as_deref(), Some("2026-03-10T06:00:00Z"));
    let later = utc("2026-04-07T06:00:00Z");
    let mut run = Run::with(index(), &[], profiles.clone());
    assert!(
        run.feed(ssh("arjun.menon", login(), PROD, "10.0.0.1", later))
            .is_empty()
    );
    let mut run = Run::with(index(), &[], profiles);
    assert!(has(
        &run.feed(ssh("arjun.menon", login(), PROD, "10.0.0.7", later)),
        "new_address"
    ));
}

#[test]
fn the_first_week_on_a_resource_learns_addresses_without_reporting_them() {
    // A first day with three logins from the office, then home the next
    // day: regular addresses showing up one by one, not news.
    let mut run = Run::new(index(), &[]);
    let day1 = utc("2026-03-10T06:00:00Z");
    let mut out = Vec::new();
    for h in 0..3 {
        out.extend(run.feed(ssh(
            "arjun.menon",
            login(),
            PROD,
            "10.0.0.1",
            day1 + SignedDuration::from_hours(h),
        )));
    }
    out.extend(run.feed(ssh(
        "arjun.menon",
        login(),
        PROD,
        "10.0.0.2",
        day1 + SignedDuration::from_hours(24),
    )));
    assert!(out.is_empty(), "{out:#?}");
    // A week on, an address never seen is news.
    let f = run.feed(ssh(
        "arjun.menon",
        login(),
        PROD,
        "10.0.0.3",
        day1 + SignedDuration::from_hours(24 * 7 + 1),
    ));
    assert!(has(&f, "new_address"), "{f:#?}");
}

#[test]
fn only_the_people_who_did_something_since_the_last_take_are_taken_to_store() {
    let mut run = Run::new(index(), &[]);
    logins(&mut run, PROD, &["10.0.0.1", "10.0.0.1"]);
    let mut stored = run.detectors.take_changed_profiles();
    assert_eq!(stored.people.keys().collect::<Vec<_>>(), ["arjun"]);
    assert_eq!(
        stored.people["arjun"].addresses["prod/prod-hosts"].events,
        2
    );
    assert!(run.detectors.take_changed_profiles().people.is_empty());
    // A failed login teaches nothing: nobody to store.
    let t = utc("2026-04-07T06:00:00Z");
    run.feed(ssh("arjun.menon", failed(), PROD, "10.9.9.9", t));
    assert!(run.detectors.take_changed_profiles().people.is_empty());
    logins(&mut run, PROD, &["10.0.0.2"]);
    let again = run.detectors.take_changed_profiles();
    assert_eq!(again.people.keys().collect::<Vec<_>>(), ["arjun"]);
    stored.people.extend(again.people);
    // Stored over each other, the takes are what the run learned.
    let all = run.detectors.into_profiles();
    assert_eq!(stored.people["arjun"], all.people["arjun"]);
    assert_eq!(
        stored.people["arjun"].addresses["prod/prod-hosts"].events,
        3
    );
}

#[test]
fn addresses_kept_before_their_first_time_was_recorded_are_judged_at_once() {
    // A profile stored without `since`: its history is old enough.
    let profiles: palisade_monitor::detect::Profiles = serde_json::from_value(serde_json::json!({
        "people": {"arjun": {"addresses": {"prod/prod-hosts": {
            "addresses": ["10.0.0.1"], "events": 40
        }}}}
    }))
    .unwrap();
    let mut run = Run::with(index(), &[], profiles);
    let t = utc("2026-04-07T06:00:00Z");
    assert!(
        run.feed(ssh("arjun.menon", login(), PROD, "10.0.0.1", t))
            .is_empty()
    );
    let f = run.feed(ssh("arjun.menon", login(), PROD, "10.0.0.9", t));
    assert!(has(&f, "new_address"), "{f:#?}");
    // Saved again, it still has no first time, and is judged the same.
    let saved = run.detectors.into_profiles();
    assert_eq!(
        saved.people["arjun"].addresses["prod/prod-hosts"].since,
        None
    );
}
