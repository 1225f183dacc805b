//! `after_end` (an offboarded person from their offboarding day in their
//! zone; a certificate used outside its grant's window; a session still open
//! when its grant ends) and `least_privilege` (team services, roles'
//! repository globs, standing roles on hosts mapped by `hosts` globs, grants
//! in force, narrowed to an environment).

use jiff::SignedDuration;
use palisade_monitor::event::{Action, Resource};

use super::*;

const MEERA: &str = "meera-pillai"; // nimbus-mobile: acme/mobile; dev-developer
const ARJUN: &str = "arjun-menon-nimbus"; // nimbus: acme/payments, acme/platform

#[test]
fn an_offboarded_persons_activity_is_reported_from_their_last_day_in_their_zone() {
    // gareth left on 2026-08-29, London (BST, UTC+1): the day starts 23:00 UTC.
    let mut run = Run::new(index(), &[]);
    let before = run.feed(github(
        "glloyd",
        Action::GitClone,
        "acme/platform",
        utc("2026-08-28T22:59:00Z"),
    ));
    assert!(!has(&before, "after_end"), "{before:#?}");
    let after = run.feed(github(
        "glloyd",
        Action::GitClone,
        "acme/platform",
        utc("2026-08-28T23:00:00Z"),
    ));
    let f = of(&after, "after_end");
    assert_eq!(f.len(), 1, "{after:#?}");
    assert_eq!(f[0].severity, palisade_monitor::finding::Severity::Critical);
    assert!(
        f[0].sentence.contains("offboarded on 2026-08-29"),
        "{}",
        f[0].sentence
    );
    assert!(
        f[0].sentence
            .contains("Sat 2026-08-29 00:00 BST in Europe/London"),
        "{}",
        f[0].sentence
    );
}

#[test]
fn an_offboarded_status_without_a_day_covers_all_activity() {
    let mut model = acme();
    let gareth = model
        .people
        .iter_mut()
        .find(|p| p.handle == "gareth")
        .unwrap();
    gareth.offboarded_on = None;
    let mut run = Run::new(index_of(model), &[]);
    let f = run.feed(github(
        "glloyd",
        Action::GitPush,
        "acme/platform",
        utc("2020-01-07T10:00:00Z"),
    ));
    assert!(has(&f, "after_end"), "{f:#?}");
    // An active person is never after the end.
    let f = run.feed(github(
        "ewhitfield",
        Action::GitPush,
        "acme/platform",
        utc("2026-03-10T10:00:00Z"),
    ));
    assert!(!has(&f, "after_end"), "{f:#?}");
}

fn cert_login(
    user: &str,
    host: &str,
    request: &str,
    t: jiff::Timestamp,
) -> palisade_monitor::event::Event {
    let mut e = ssh(
        user,
        Action::Login {
            method: "certificate".into(),
        },
        host,
        "198.51.100.7",
        t,
    );
    e.grant = Some(request.into());
    e
}

#[test]
fn a_certificate_used_outside_its_grants_window_is_after_the_end() {
    let from = utc("2026-03-10T05:00:00Z");
    let until = utc("2026-03-10T09:00:00Z");
    let grants = [grant("req-7", "kavya", "prod-reader", from, until)];
    let host = "bastion.prod.acme.internal";
    let mut run = Run::new(index(), &grants);
    let inside = run.feed(cert_login(
        "kavya.iyer",
        host,
        "req-7",
        utc("2026-03-10T06:00:00Z"),
    ));
    assert!(!has(&inside, "after_end"), "{inside:#?}");
    assert!(
        !has(&inside, "least_privilege"),
        "the grant reaches prod-hosts: {inside:#?}"
    );
    let close = ssh(
        "kavya.iyer",
        Action::SessionClose,
        host,
        "",
        utc("2026-03-10T07:00:00Z"),
    );
    assert!(run.feed(close).is_empty());
    let late = run.feed(cert_login("kavya.iyer", host, "req-7", until));
    let f = of(&late, "after_end");
    assert_eq!(f.len(), 1, "{late:#?}");
    assert!(
        f[0].sentence.contains("after grant req-7 ended")
            && f[0].sentence.contains("2026-03-10 09:00 UTC"),
        "{}",
        f[0].sentence
    );
    assert_eq!(f[0].person.as_deref(), Some("kavya"));
    let early = run.feed(cert_login(
        "kavya.iyer",
        host,
        "req-7",
        utc("2026-03-10T04:59:00Z"),
    ));
    assert!(
        of(&early, "after_end")[0]
            .sentence
            .contains("before grant req-7 began")
    );
    // sshd refusing the expired certificate is the control working.
    let mut refused = cert_login("kavya.iyer", host, "req-7", utc("2026-03-10T10:00:00Z"));
    refused.action = failed();
    refused.outcome = palisade_monitor::event::Outcome::Failure;
    assert!(!has(&run.feed(refused), "after_end"));
}

#[test]
fn a_session_still_open_when_its_grant_ends_is_reported_once_and_a_closed_one_not() {
    let from = utc("2026-03-10T05:00:00Z");
    let until = utc("2026-03-10T09:00:00Z");
    let grants = [
        grant("req-7", "kavya", "prod-reader", from, until),
        grant("req-8", "arjun", "prod-reader", from, until),
    ];
    let host = "bastion.prod.acme.internal";
    let mut run = Run::new(index(), &grants);
    assert!(
        run.feed(cert_login(
            "kavya.iyer",
            host,
            "req-7",
            utc("2026-03-10T06:00:00Z")
        ))
        .is_empty()
    );
    assert!(
        run.feed(cert_login(
            "arjun.menon",
            host,
            "req-8",
            utc("2026-03-10T06:00:00Z")
        ))
        .is_empty()
    );
    // arjun's session closes in time; kavya's does not.
    let close = ssh(
        "arjun.menon",
        Action::SessionClose,
        host,
        "",
        utc("2026-03-10T08:00:00Z"),
    );
    assert!(run.feed(close).is_empty());
    // The first event after the end reports it.
    let next = run.feed(github(
        "ewhitfield",
        Action::GitPush,
        "acme/platform",
        utc("2026-03-10T10:00:00Z"),
    ));
    let f = of(&next, "after_end");
    assert_eq!(f.len(), 1, "{next:#?}");
    assert_eq!(f[0].person.as_deref(), Some("kavya"));
    assert!(
        f[0].sentence.contains("still open when the grant ended"),
        "{}",
        f[0].sentence
    );
    assert!(run.detectors.finish(utc("2026-03-11T00:00:00Z")).is_empty());

    // Without later events, `finish` reports it.
    let mut run = Run::new(index(), &grants);
    run.feed(cert_login(
        "kavya.iyer",
        host,
        "req-7",
        utc("2026-03-10T06:00:00Z"),
    ));
    assert!(run.detectors.finish(utc("2026-03-10T08:59:00Z")).is_empty());
    let f = run.detectors.finish(utc("2026-03-10T09:00:00Z"));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].detector, "after_end");
}

#[test]
fn repositories_outside_the_team_services_are_least_privilege() {
    let t = utc("2026-03-10T06:00:00Z"); // 11:30 in Kolkata, a Tuesday
    let mut run = Run::new(index(), &[]);
    assert!(
        run.feed(github(MEERA, Action::GitClone, "acme/mobile", t))
            .is_empty()
    );
    // Case is GitHub's, not the model's.
    assert!(
        run.feed(github(MEERA, Action::GitFetch, "ACME/Mobile", t))
            .is_empty()
    );
    let clone = run.feed(github(MEERA, Action::GitClone, "acme/payments", t));
    let f = of(&clone, "least_privilege");
    assert_eq!(f.len(), 1, "{clone:#?}");
    assert_eq!(f[0].severity, palisade_monitor::finding::Severity::Medium);
    assert!(f[0].sentence.contains("nimbus-mobile"), "{}", f[0].sentence);
    let push = run.feed(github(MEERA, Action::GitPush, "acme/payments", t));
    assert_eq!(
        of(&push, "least_privilege")[0].severity,
        palisade_monitor::finding::Severity::High
    );
    // Arjun's team owns a service in acme/payments.
    assert!(
        run.feed(github(ARJUN, Action::GitPush, "acme/payments", t))
            .is_empty()
    );
    // Anything but git reads, writes and downloads is not judged here.
    let other = github(
        MEERA,
        Action::Other {
            what: "issues.create".into(),
        },
        "acme/payments",
        t,
    );
    assert!(run.feed(other).is_empty());
}

#[test]
fn role_repository_globs_and_grants_of_such_roles_cover_repositories() {
    let mut model = acme();
    let role = model
        .roles
        .iter_mut()
        .find(|r| r.id == "prod-reader")
        .unwrap();
    role.repositories = vec!["acme/infra-*".into()];
    let index = index_of(model);
    let t = utc("2026-03-10T06:00:00Z");
    let grants = [grant(
        "req-9",
        "kavya",
        "prod-deployer",
        t - SignedDuration::from_hours(1),
        t + SignedDuration::from_hours(1),
    )];
    let mut run = Run::new(index, &grants);
    // arjun holds prod-reader; the glob covers acme/infra-live, not acme/infra.
    assert!(
        run.feed(github(ARJUN, Action::GitClone, "acme/infra-live", t))
            .is_empty()
    );
    assert!(has(
        &run.feed(github(ARJUN, Action::GitClone, "acme/infrastructure/x", t)),
        "least_privilege"
    ));
    // kavya does not; her grant of prod-deployer includes prod-reader, while it lasts.
    assert!(
        run.feed(github("kavya-iyer", Action::GitClone, "acme/infra-live", t))
            .is_empty()
    );
    let later = t + SignedDuration::from_hours(2);
    // 13:30 in Kolkata, inside hours.
    assert!(has(
        &run.feed(github(
            "kavya-iyer",
            Action::GitClone,
            "acme/infra-live",
            later
        )),
        "least_privilege"
    ));
    // meera has neither.
    assert!(has(
        &run.feed(github(MEERA, Action::GitClone, "acme/infra-live", t)),
        "least_privilege"
    ));
}

#[test]
fn hosts_map_to_resources_by_their_globs_and_standing_roles_or_grants_cover_them() {
    let t = utc("2026-03-10T06:00:00Z");
    let prod = "app-07.prod.acme.internal"; // prod-hosts: app-??.prod.acme.internal
    let mut run = Run::new(index(), &[]);
    // arjun: prod-reader reaches prod-hosts.
    assert!(
        run.feed(ssh("arjun.menon", login(), prod, "198.51.100.7", t))
            .is_empty()
    );
    // kavya: staging-deployer only.
    let f = run.feed(ssh("kavya.iyer", login(), prod, "198.51.100.8", t));
    let lp = of(&f, "least_privilege");
    assert_eq!(lp.len(), 1, "{f:#?}");
    assert_eq!(lp[0].severity, palisade_monitor::finding::Severity::High);
    assert!(
        lp[0].sentence.contains("prod/prod-hosts"),
        "{}",
        lp[0].sentence
    );
    assert!(
        run.feed(ssh(
            "kavya.iyer",
            login(),
            "db1.staging.acme.internal",
            "198.51.100.8",
            t
        ))
        .is_empty()
    );
    // `app-100` is not `app-??`: no resource, not judged.
    assert!(!has(
        &run.feed(ssh(
            "kavya.iyer",
            login(),
            "app-100.prod.acme.internal",
            "198.51.100.8",
            t
        )),
        "least_privilege"
    ));
    // A failed login is not access.
    assert!(!has(
        &run.feed(ssh("kavya.iyer", failed(), prod, "198.51.100.8", t)),
        "least_privilege"
    ));

    // A grant of prod-reader covers; narrowed to staging it does not.
    let window = (
        t - SignedDuration::from_hours(1),
        t + SignedDuration::from_hours(1),
    );
    let grants = [grant("req-1", "kavya", "prod-reader", window.0, window.1)];
    let mut run = Run::new(index(), &grants);
    assert!(
        run.feed(ssh("kavya.iyer", login(), prod, "198.51.100.8", t))
            .is_empty()
    );
    let mut narrowed = grants.clone();
    narrowed[0].environment = Some("staging".into());
    let mut run = Run::new(index(), &narrowed);
    assert!(has(
        &run.feed(ssh("kavya.iyer", login(), prod, "198.51.100.8", t)),
        "least_privilege"
    ));
}

#[test]
fn databases_map_by_resource_id_or_address_before_database_name() {
    let t = utc("2026-03-10T10:00:00Z"); // 11:00 in London
    let mut run = Run::new(index(), &[]);
    let mut e = ssh("ruth", login(), "x", "198.51.100.9", t);
    // ruth: staging-deployer reads staging-db, nothing in prod.
    e.resource = Some(Resource::Database("db.staging.acme.internal".into()));
    assert!(run.feed(e.clone()).is_empty());
    e.resource = Some(Resource::Database("payments-db".into()));
    let f = run.feed(e);
    assert!(has(&f, "least_privilege"), "{f:#?}");
}
