//! Last use: what covered each access `least_privilege` judged (the team's
//! services first, then standing roles, then grants in force, or the grant a
//! certificate names), recorded per person, resource and cover, stored, and
//! read by an access review as a standing role's and a grant's last use.

use jiff::SignedDuration;
use palisade_access::grants::{Grants, NewRequest};
use palisade_access::policy::{AccessSettings, Authorizer};
use palisade_access::review::{Item, Reviews, STANDING};
use palisade_ledger::ledger::Ledger;
use palisade_model::GrantDuration;
use palisade_monitor::detect::{Cover, LastUse};
use palisade_monitor::event::Action;
use palisade_test_support::db::backends;

use super::*;

const ARJUN: &str = "arjun-menon-nimbus"; // team nimbus: acme/payments, acme/platform

/// 2026-12-01T09:00:00Z plus `minutes`, a day the example's people are vetted.
fn at(minutes: i64) -> Timestamp {
    Timestamp::from_second(1_796_115_600 + minutes * 60).unwrap()
}

fn uses_of<'u>(uses: &'u [LastUse], person: &str) -> Vec<(&'u str, &'u Cover, i64, u64)> {
    uses.iter()
        .filter(|u| u.person == person)
        .map(|u| (u.resource.as_str(), &u.via, u.last.as_second(), u.uses))
        .collect()
}

fn role(id: &str) -> Cover {
    Cover::Role(id.to_owned())
}

fn find<'i>(items: &'i [Item], person: &str, role: &str, via: &str) -> &'i Item {
    items
        .iter()
        .find(|i| i.person == person && i.role == role && i.via == via)
        .unwrap_or_else(|| panic!("no item {person} {role} {via} in {items:#?}"))
}

#[test]
fn a_repository_the_team_covers_is_no_use_of_a_role_that_also_names_it() {
    let mut model = acme();
    let reader = model
        .roles
        .iter_mut()
        .find(|r| r.id == "prod-reader")
        .unwrap();
    reader.repositories = vec!["acme/*".into()];
    let index = index_of(model);
    let mut run = Run::new(index, &[]);
    let t = utc("2026-03-10T06:00:00Z"); // 11:30 in Kolkata, a Tuesday
    run.feed(github(ARJUN, Action::GitClone, "acme/payments", t));
    run.feed(github(
        ARJUN,
        Action::GitFetch,
        "ACME/Payments",
        t + SignedDuration::from_secs(60),
    ));
    run.feed(github(ARJUN, Action::GitClone, "acme/infra-live", t));
    // Not a git read, write or download: not judged, not a use.
    run.feed(github(
        ARJUN,
        Action::Other {
            what: "issues.create".into(),
        },
        "acme/docs",
        t,
    ));
    let taken = run.detectors.take_last_uses();
    assert_eq!(taken.dropped, 0);
    assert_eq!(
        uses_of(&taken.uses, "arjun"),
        vec![
            (
                "repository:acme/infra-live",
                &role("prod-reader"),
                t.as_second(),
                1
            ),
            (
                "repository:acme/payments",
                &Cover::Team("nimbus".into()),
                t.as_second() + 60,
                2
            ),
        ],
        "{:#?}",
        taken.uses
    );
    // Taken means taken: the next take holds only what came after.
    assert!(run.detectors.take_last_uses().uses.is_empty());
}

#[test]
fn a_host_is_used_under_every_standing_role_that_reaches_it_and_a_named_grant_alone() {
    let mut model = acme();
    // wei holds staging-deployer; prod-deployer includes it and prod-reader.
    let wei = model.people.iter_mut().find(|p| p.handle == "wei").unwrap();
    wei.roles.push("prod-deployer".into());
    let index = index_of(model);
    let t = utc("2026-03-10T06:00:00Z");
    let grants = [grant(
        "req-5",
        "wei",
        "incident-responder",
        t - SignedDuration::from_secs(3600),
        t + SignedDuration::from_secs(3600),
    )];
    let mut run = Run::new(index, &grants);
    let user = "wei.tan";
    let staging = "web.staging.acme.internal";
    let prod = "bastion.prod.acme.internal";
    run.feed(ssh(user, login(), staging, "198.51.100.7", t));
    // A certificate naming the grant: the grant was used, not the roles.
    let mut cert = ssh(
        user,
        login(),
        prod,
        "198.51.100.7",
        t + SignedDuration::from_secs(60),
    );
    cert.grant = Some("req-5".into());
    run.feed(cert);
    // A failed login is not a use.
    run.feed(ssh(
        user,
        failed(),
        prod,
        "198.51.100.7",
        t + SignedDuration::from_secs(120),
    ));
    let taken = run.detectors.take_last_uses();
    assert_eq!(
        uses_of(&taken.uses, "wei"),
        vec![
            (
                "resource:prod/prod-hosts",
                &Cover::Grant("req-5".into()),
                t.as_second() + 60,
                1
            ),
            (
                "resource:staging/staging-hosts",
                &role("prod-deployer"),
                t.as_second(),
                1
            ),
            (
                "resource:staging/staging-hosts",
                &role("staging-deployer"),
                t.as_second(),
                1
            ),
        ],
        "{:#?}",
        taken.uses
    );
}

#[tokio::test]
async fn a_review_shows_a_role_never_used_as_unknown_though_the_person_worked_daily() {
    let model = acme();
    let index = Index::new(&model);
    let day = "2026-12-01".parse().unwrap();
    let authorizer = Authorizer::new(&index, day, &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let request = NewRequest {
            role: "incident-responder".to_owned(),
            environment: Some("prod".to_owned()),
            duration: GrantDuration::from_minutes(4 * 60),
            reason: "INC-4711: payments latency".to_owned(),
            ticket: None,
            start: None,
        };
        let made = grants.request("james", &request, at(0)).await.unwrap();
        let grant = grants
            .approve("sofia", &made.id, "ok", at(1))
            .await
            .unwrap();

        // The grant windows as the ingest reads them from the store.
        let windows: Vec<_> = ledger
            .store()
            .access_requests(&palisade_store::AccessFilter::default())
            .await
            .unwrap()
            .iter()
            .filter_map(palisade_monitor::learned::grant_window)
            .collect();
        assert_eq!(windows.len(), 1);
        let mut detectors = Detectors::new(&index, &windows, Profiles::default());
        let holder = |id: &str| {
            windows
                .iter()
                .find(|w| w.request == id)
                .map(|w| w.person.clone())
        };
        let mut feed = |mut event: Event| {
            palisade_monitor::resolve::resolve(&mut event, &index, &holder);
            detectors.observe(&event);
        };
        // Arjun works on his team's repository all day and deploys to
        // staging once; he never touches the production hosts his
        // prod-reader role reaches.
        for m in [5, 20, 40, 80] {
            feed(github(ARJUN, Action::GitPush, "acme/payments", at(m)));
        }
        feed(ssh(
            "arjun.menon",
            login(),
            "web.staging.acme.internal",
            "198.51.100.7",
            at(30),
        ));
        // A failed login to production in his name is not his use.
        feed(ssh(
            "arjun.menon",
            failed(),
            "bastion.prod.acme.internal",
            "198.51.100.7",
            at(50),
        ));
        // James logs in to production with his grant's certificate, and
        // later with his own standing access.
        let mut cert = ssh(
            "james",
            login(),
            "bastion.prod.acme.internal",
            "198.51.100.9",
            at(45),
        );
        cert.grant = Some(grant.id.clone());
        feed(cert);
        feed(ssh(
            "james",
            login(),
            "app-01.prod.acme.internal",
            "198.51.100.9",
            at(60),
        ));
        let taken = detectors.take_last_uses();
        palisade_monitor::learned::save_last_uses(ledger.store(), &taken)
            .await
            .unwrap();

        let reviews = Reviews::new(&ledger, &index, &authorizer);
        let campaign = reviews.start("eleanor", at(90)).await.unwrap();
        let (_, items) = reviews.get(&campaign.id).await.unwrap();
        let backend = db.backend();
        let last = |person: &str, role: &str, via: &str| find(&items, person, role, via).last_use;
        assert_eq!(
            last("arjun", "prod-reader", STANDING),
            None,
            "{backend}: daily work on his team's repository is no use of prod-reader"
        );
        assert_eq!(last("arjun", "staging-deployer", STANDING), Some(at(30)));
        assert_eq!(last("arjun", "dev-developer", STANDING), None);
        assert_eq!(last("james", "prod-reader", STANDING), Some(at(60)));
        assert_eq!(
            last("james", "incident-responder", &grant.id),
            Some(at(45)),
            "{backend}: the certificate's login is the grant's use"
        );
    }
}

#[test]
fn a_grant_learned_while_running_is_recorded_as_the_cover_of_its_use() {
    let t = utc("2026-03-10T06:00:00Z");
    let mut run = Run::new(index(), &[]);
    assert!(run.detectors.add_grant(grant(
        "req-late",
        "wei",
        "incident-responder",
        t - SignedDuration::from_secs(3600),
        t + SignedDuration::from_secs(3600),
    )));
    let mut cert = ssh(
        "wei.tan",
        login(),
        "bastion.prod.acme.internal",
        "198.51.100.7",
        t,
    );
    cert.grant = Some("req-late".into());
    run.feed(cert);
    let taken = run.detectors.take_last_uses();
    assert_eq!(
        uses_of(&taken.uses, "wei"),
        vec![(
            "resource:prod/prod-hosts",
            &Cover::Grant("req-late".into()),
            t.as_second(),
            1
        )]
    );
}
