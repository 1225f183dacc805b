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
        f[0].sentence
            .contains("after grant req-7 expired at 2026-03-10 09:00 UTC")
            && !f[0].sentence.contains("revoked"),
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

#[test]
fn a_certificate_naming_a_grant_palisade_never_issued_is_reported_with_its_principals_person() {
    let from = utc("2026-03-10T05:00:00Z");
    let until = utc("2026-03-10T09:00:00Z");
    let grants = [grant("req-7", "kavya", "prod-reader", from, until)];
    let host = "bastion.prod.acme.internal";
    let t = utc("2026-03-10T06:00:00Z");
    // Key ids shaped like Palisade's grant ids, none of them a known grant.
    for forged in ["req-9999", "req-0123456789ab", "req-7a", "req-X1"] {
        let mut run = Run::new(index(), &grants);
        let f = run.feed(cert_login("kavya.iyer", host, forged, t));
        let u = of(&f, "unknown_actor");
        assert_eq!(u.len(), 1, "{forged}: {f:#?}");
        assert_eq!(u[0].severity, palisade_monitor::finding::Severity::High);
        // The principal still names the person.
        assert_eq!(u[0].person.as_deref(), Some("kavya"), "{forged}");
        let s = &u[0].sentence;
        assert!(
            s.contains(&format!(
                "a certificate naming grant {forged}, which Palisade never issued, logged in as principal `kavya.iyer` (person kavya)"
            )) && s.contains("host:bastion.prod.acme.internal"),
            "{s}"
        );
        // It is no grant: nothing says it was in or out of a window.
        assert!(!has(&f, "after_end"), "{f:#?}");
    }

    // By a principal no one has: one finding, not one per reason.
    let mut run = Run::new(index(), &grants);
    let f = run.feed(cert_login("ops", host, "req-9999", t));
    let u = of(&f, "unknown_actor");
    assert_eq!(u.len(), 1, "{f:#?}");
    assert_eq!(u[0].person, None);
    assert!(
        u[0].sentence
            .contains("principal `ops` (no person of the model)"),
        "{}",
        u[0].sentence
    );

    // The known grant, a key id of another shape, and sshd refusing the
    // certificate say nothing of the kind.
    let mut run = Run::new(index(), &grants);
    assert!(!has(
        &run.feed(cert_login("kavya.iyer", host, "req-7", t)),
        "unknown_actor"
    ));
    for other in ["grant-41", "ci@runner-7", "req-", "request-7"] {
        assert!(
            !has(
                &run.feed(cert_login("kavya.iyer", host, other, t)),
                "unknown_actor"
            ),
            "{other}"
        );
    }
    let mut refused = cert_login("kavya.iyer", host, "req-9999", t);
    refused.action = failed();
    refused.outcome = palisade_monitor::event::Outcome::Failure;
    assert!(!has(&run.feed(refused), "unknown_actor"));
}

/// A grant revoked through the access engine, on SQLite and PostgreSQL: the
/// window the monitor reads from the store ends at the revocation, and a
/// certificate naming the grant used after it is `after_end`, saying the
/// grant was revoked (an expired one says it expired).
#[tokio::test]
async fn a_certificate_used_after_its_grant_was_revoked_is_after_the_end_and_says_revoked() {
    use palisade_access::grants::{Grants, NewRequest};
    use palisade_access::policy::{AccessSettings, Authorizer};
    use palisade_ledger::ledger::Ledger;
    use palisade_model::GrantDuration;

    // 2026-12-01T09:00:00Z and minutes after: a Tuesday, 09:00 in London.
    let at = |minutes: i64| Timestamp::from_second(1_796_115_600 + minutes * 60).unwrap();
    let ask = |hours: u32| NewRequest {
        role: "incident-responder".to_owned(),
        environment: Some("prod".to_owned()),
        duration: GrantDuration::from_minutes(hours * 60),
        reason: "INC-4711: payments latency".to_owned(),
        ticket: None,
        start: None,
    };
    let authorizer = Authorizer::new(
        index(),
        "2026-12-01".parse().unwrap(),
        &AccessSettings::default(),
    )
    .unwrap();
    let host = "bastion.prod.acme.internal";
    for db in palisade_test_support::db::backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let engine = Grants::new(&ledger, index(), &authorizer);
        let revoked = engine.request("james", &ask(2), at(0)).await.unwrap();
        engine
            .approve("sofia", &revoked.id, "on call", at(2))
            .await
            .unwrap();
        engine.revoke("eleanor", &revoked.id, at(30)).await.unwrap();
        let expired = engine.request("james", &ask(1), at(0)).await.unwrap();
        engine
            .approve("sofia", &expired.id, "on call", at(2))
            .await
            .unwrap();

        let rows = ledger
            .store()
            .access_requests(&palisade_store::AccessFilter::default())
            .await
            .unwrap();
        let windows: Vec<_> = rows
            .iter()
            .filter_map(palisade_monitor::learned::grant_window)
            .collect();
        let window = windows.iter().find(|w| w.request == revoked.id).unwrap();
        assert_eq!(
            (window.from, window.until),
            (at(2), at(30)),
            "{}",
            db.backend()
        );
        assert!(window.revoked);
        assert!(
            !windows
                .iter()
                .find(|w| w.request == expired.id)
                .unwrap()
                .revoked
        );

        let mut run = Run::new(index(), &windows);
        let before = run.feed(cert_login("james", host, &revoked.id, at(20)));
        assert!(!has(&before, "after_end"), "{before:#?}");
        let after = run.feed(cert_login("james", host, &revoked.id, at(45)));
        let f = of(&after, "after_end");
        // The login after the revocation, and the session opened under the
        // grant before it, still open when it was revoked.
        assert_eq!(f.len(), 2, "{}: {after:#?}", db.backend());
        let login = f
            .iter()
            .find(|f| f.sentence.contains("logged in"))
            .unwrap_or_else(|| panic!("{after:#?}"));
        assert_eq!(login.severity, palisade_monitor::finding::Severity::High);
        assert_eq!(login.person.as_deref(), Some("james"));
        assert!(
            login.sentence.contains(&format!(
                "after grant {} was revoked at 2026-12-01 09:30 UTC",
                revoked.id
            )) && !login.sentence.contains("expired"),
            "{}",
            login.sentence
        );
        assert!(
            f.iter().any(|f| f
                .sentence
                .contains("was still open when the grant was revoked at 2026-12-01 09:30 UTC")),
            "{after:#?}"
        );

        let late = run.feed(cert_login("james", host, &expired.id, at(90)));
        let f = of(&late, "after_end");
        assert_eq!(f.len(), 1, "{late:#?}");
        assert!(
            f[0].sentence.contains(&format!(
                "after grant {} expired at 2026-12-01 10:02 UTC",
                expired.id
            )),
            "{}",
            f[0].sentence
        );
    }
}

#[test]
fn a_grant_added_while_running_is_known_from_then_on() {
    let from = utc("2026-03-10T05:00:00Z");
    let until = utc("2026-03-10T09:00:00Z");
    let host = "bastion.prod.acme.internal";
    let mut run = Run::new(index(), &[]);
    // Before the detectors know of it, its certificate looks forged.
    let f = run.feed(cert_login("kavya.iyer", host, "req-71", from));
    assert!(has(&f, "unknown_actor"), "{f:#?}");
    assert!(
        run.detectors
            .add_grant(grant("req-71", "kavya", "prod-reader", from, until))
    );
    assert!(
        !run.detectors
            .add_grant(grant("req-71", "kavya", "prod-reader", from, until))
    );
    let inside = run.feed(cert_login(
        "kavya.iyer",
        host,
        "req-71",
        utc("2026-03-10T06:00:00Z"),
    ));
    assert!(
        inside.is_empty(),
        "the grant covers hours and host: {inside:#?}"
    );
    let late = run.feed(cert_login("kavya.iyer", host, "req-71", until));
    let f = of(&late, "after_end");
    assert!(
        f.iter()
            .any(|f| f.sentence.contains("after grant req-71 expired at")),
        "{late:#?}"
    );
    assert!(!has(&late, "unknown_actor"), "{late:#?}");
}

#[test]
fn an_unknown_actor_is_named_by_the_kind_of_name_it_is() {
    let t = utc("2026-03-10T06:00:00Z");
    let mut run = Run::new(index(), &[]);
    let f = run.feed(github("mallory-x", Action::GitClone, "acme/platform", t));
    let u = of(&f, "unknown_actor");
    assert!(
        u[0].sentence
            .contains("`mallory-x` (a GitHub login no identity of the model names)"),
        "{}",
        u[0].sentence
    );
    let f = run.feed(ssh(
        "deploy-bot",
        login(),
        "bastion.prod.acme.internal",
        "198.51.100.7",
        t,
    ));
    let u = of(&f, "unknown_actor");
    assert!(
        u[0].sentence
            .contains("`deploy-bot` (a login name no identity of the model names)"),
        "{}",
        u[0].sentence
    );
}
