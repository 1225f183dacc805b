//! Access review campaigns over a real store (SQLite and PostgreSQL) and the
//! ledger, on the example model: a campaign snapshots every standing role and
//! live grant with its last use, only an eligible reviewer other than the
//! holder decides, a revoked grant is withdrawn, a revoked standing role
//! comes back as the model change to make, and the deadline settles what
//! nobody reviewed as `[access] revoke_unreviewed` says.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use jiff::Timestamp;
use palisade_access::grants::{Grants, NewRequest, RequestView};
use palisade_access::policy::{AccessSettings, Authorizer};
use palisade_access::request::State;
use palisade_access::review::{
    Item, Outcome, ReviewError, Reviews, STANDING, StandingRemoval, Verdict, kind,
};
use palisade_ledger::ledger::{Event, Ledger, Query};
use palisade_model::{Day, GrantDuration, Index, Model};
use palisade_store::{MonitorLastUseRow, VIA_GRANT, VIA_ROLE, VIA_TEAM};
use palisade_test_support::db::backends;

fn acme() -> Model {
    let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
    palisade_model::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn at(minutes: i64) -> Timestamp {
    // 2026-12-01T09:00:00Z, a day the example's vetted people are current.
    Timestamp::from_second(1_796_115_600 + minutes * 60).unwrap()
}

const DAY: i64 = 24 * 60;

fn day() -> Day {
    "2026-12-01".parse().unwrap()
}

fn incident(hours: u32) -> NewRequest {
    NewRequest {
        role: "incident-responder".to_owned(),
        environment: Some("prod".to_owned()),
        duration: GrantDuration::from_minutes(hours * 60),
        reason: "INC-4711: payments latency".to_owned(),
        ticket: None,
        start: None,
    }
}

/// James's incident grant, active from `at(1)` for `hours`.
async fn granted(grants: &Grants<'_, '_>, hours: u32) -> RequestView {
    let made = grants
        .request("james", &incident(hours), at(0))
        .await
        .unwrap();
    grants
        .approve("sofia", &made.id, "ok", at(1))
        .await
        .unwrap()
}

async fn kinds(ledger: &Ledger) -> Vec<String> {
    ledger
        .query(&Query {
            limit: 1000,
            ..Query::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.entry.kind)
        .collect()
}

fn find<'i>(items: &'i [Item], person: &str, role: &str, via: &str) -> &'i Item {
    items
        .iter()
        .find(|i| i.person == person && i.role == role && i.via == via)
        .unwrap_or_else(|| panic!("no item {person} {role} {via} in {items:#?}"))
}

#[tokio::test]
async fn a_campaign_snapshots_every_standing_role_and_live_grant_with_its_last_use() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let used = granted(&grants, 4).await;
        let unused = granted(&grants, 4).await;
        // A credential issued for the first grant at minute 30 is its last
        // use; a later step of a credential that issues nothing is not.
        for (minute, phase) in [(20, "intended"), (30, "issued"), (40, "failed")] {
            ledger
                .append(Event {
                    time: at(minute),
                    actor: "palisade".to_owned(),
                    kind: kind::CREDENTIAL.to_owned(),
                    subject: used.id.clone(),
                    data: serde_json::json!({"phase": phase, "kind": "ssh_certificate"}),
                })
                .await
                .unwrap();
        }
        // An ended grant is no longer access to review.
        let ended = granted(&grants, 1).await;
        let reviews = Reviews::new(&ledger, &index, &authorizer);
        let campaign = reviews.start("eleanor", at(90)).await.unwrap();
        assert!(campaign.is_open());
        assert_eq!(campaign.deadline, at(90 + 14 * DAY), "review_within is 14d");
        let (_, items) = reviews.get(&campaign.id).await.unwrap();

        let standing: usize = model
            .people
            .iter()
            .filter(|p| p.status != palisade_model::Status::Offboarded)
            .map(|p| p.roles.len())
            .sum();
        assert_eq!(items.len(), standing + 2, "{}", db.backend());
        assert!(items.iter().all(|i| i.person != "gareth"), "offboarded");
        assert!(items.iter().all(|i| i.via != ended.id), "ended grant");
        assert_eq!(
            items.iter().map(|i| i.item).collect::<Vec<_>>(),
            (1..=items.len() as u32).collect::<Vec<_>>()
        );
        assert!(
            items
                .iter()
                .all(|i| i.decision.is_none() && i.outcome.is_none())
        );
        // Standing roles: no data on use, never a made-up time.
        let reader = find(&items, "marcus", "prod-reader", STANDING);
        assert_eq!(reader.last_use, None);
        assert!(
            items
                .iter()
                .filter(|i| i.is_standing())
                .all(|i| i.last_use.is_none())
        );
        let with_cred = find(&items, "james", "incident-responder", &used.id);
        assert_eq!(with_cred.last_use, Some(at(30)));
        assert_eq!(with_cred.environment.as_deref(), Some("prod"));
        let without = find(&items, "james", "incident-responder", &unused.id);
        assert_eq!(without.last_use, Some(at(1)), "the grant's start");

        // One campaign is open at a time.
        let err = reviews.start("eleanor", at(91)).await.unwrap_err();
        assert!(
            matches!(&err, ReviewError::AlreadyOpen { id, .. } if *id == campaign.id),
            "{err}"
        );
        let starts = ledger
            .query(&Query {
                kind: Some(kind::START.to_owned()),
                limit: 10,
                ..Query::default()
            })
            .await
            .unwrap();
        assert_eq!(starts.len(), 1);
        let data = &starts[0].entry.data;
        assert_eq!(starts[0].entry.subject, campaign.id);
        assert_eq!(data["items"], items.len());
        assert_eq!(data["deadline"], at(90 + 14 * DAY).to_string());
        assert_eq!(reviews.list().await.unwrap(), [campaign]);
    }
}

#[tokio::test]
async fn reviewers_keep_and_revoke_and_a_revoked_grant_is_withdrawn() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let grant = granted(&grants, 4).await;
        let reviews = Reviews::new(&ledger, &index, &authorizer);
        let c = reviews.start("eleanor", at(10)).await.unwrap();
        let (_, items) = reviews.get(&c.id).await.unwrap();
        let marcus = find(&items, "marcus", "prod-reader", STANDING).item;
        let james_reader = find(&items, "james", "prod-reader", STANDING).item;
        let james_grant = find(&items, "james", "incident-responder", &grant.id).item;
        let before = kinds(&ledger).await.len();

        // Nobody reviews their own access.
        let err = reviews
            .decide("james", &c.id, james_grant, Verdict::Keep, "mine", at(11))
            .await
            .unwrap_err();
        assert!(matches!(err, ReviewError::SelfReview(_)), "{err}");
        // Only someone who may approve the role for the person reviews it: a
        // vendor engineer may not review production access.
        let err = reviews
            .decide("arjun", &c.id, marcus, Verdict::Keep, "fine", at(11))
            .await
            .unwrap_err();
        assert!(matches!(err, ReviewError::NotEligible { .. }), "{err}");
        assert!(
            err.to_string().contains("arjun may not review item"),
            "{err}"
        );
        let err = reviews
            .decide("sofia", &c.id, marcus, Verdict::Keep, " ", at(11))
            .await
            .unwrap_err();
        assert!(matches!(err, ReviewError::NoReason), "{err}");
        let err = reviews
            .decide("sofia", &c.id, 9999, Verdict::Keep, "ok", at(11))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ReviewError::UnknownItem { item: 9999, .. }),
            "{err}"
        );
        let err = reviews
            .decide("sofia", "rev-nope", marcus, Verdict::Keep, "ok", at(11))
            .await
            .unwrap_err();
        assert!(matches!(err, ReviewError::NotFound(_)), "{err}");
        assert_eq!(
            kinds(&ledger).await.len(),
            before,
            "refusals change nothing"
        );

        let kept = reviews
            .decide(
                "sofia",
                &c.id,
                marcus,
                Verdict::Keep,
                "on call rota",
                at(12),
            )
            .await
            .unwrap();
        assert_eq!(kept.item.outcome, Some(Outcome::Kept));
        assert_eq!(kept.item.reviewer.as_deref(), Some("sofia"));
        assert_eq!((kept.revoked_grant, kept.model_change), (None, None));

        let err = reviews
            .decide("eleanor", &c.id, marcus, Verdict::Revoke, "again", at(13))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ReviewError::AlreadyReviewed { reviewer, .. } if reviewer == "sofia"),
            "{err}"
        );

        // Revoking a grant withdraws it.
        let revoked = reviews
            .decide(
                "sofia",
                &c.id,
                james_grant,
                Verdict::Revoke,
                "incident over",
                at(14),
            )
            .await
            .unwrap();
        assert_eq!(revoked.item.outcome, Some(Outcome::Revoked));
        let view = revoked.revoked_grant.expect("the grant was live");
        assert_eq!(view.state, State::Revoked);
        assert_eq!(grants.get(&grant.id).await.unwrap().state, State::Revoked);

        // Revoking a standing role gives the model change to make.
        let removed = reviews
            .decide(
                "dana",
                &c.id,
                james_reader,
                Verdict::Revoke,
                "no longer on call",
                at(15),
            )
            .await
            .unwrap();
        assert_eq!(
            removed.model_change,
            Some(StandingRemoval {
                person: "james".to_owned(),
                role: "prod-reader".to_owned()
            })
        );
        assert_eq!(removed.revoked_grant, None);

        let all = kinds(&ledger).await;
        assert_eq!(
            all[before..],
            [
                kind::DECISION,
                kind::DECISION,
                palisade_access::grants::kind::STATE,
                kind::DECISION
            ],
            "{}",
            db.backend()
        );
        let decisions = ledger
            .query(&Query {
                kind: Some(kind::DECISION.to_owned()),
                subject: Some(c.id.clone()),
                limit: 10,
                ..Query::default()
            })
            .await
            .unwrap();
        let first = &decisions[0].entry;
        assert_eq!(first.actor, "sofia");
        assert_eq!(first.data["item"], marcus);
        assert_eq!(first.data["decision"], "keep");
        assert_eq!(first.data["reason"], "on call rota");
        assert_eq!(first.data["person"], "marcus");

        // The report says who reviewed what.
        let report = reviews.report(&c.id).await.unwrap();
        assert_eq!(report.totals.reviewed, 3);
        assert_eq!((report.totals.kept, report.totals.revoked), (1, 2));
        assert_eq!(report.totals.pending, report.totals.items - 3);
        let tallies: Vec<_> = report
            .reviewers
            .iter()
            .map(|t| (t.reviewer.as_str(), t.kept, t.revoked))
            .collect();
        assert_eq!(tallies, [("dana", 0, 1), ("sofia", 1, 1)]);
        let row = report.items.iter().find(|i| i.item == marcus).unwrap();
        assert_eq!(row.reason.as_deref(), Some("on call rota"));
        assert_eq!(row.decided, Some(at(12)));
    }
}

#[tokio::test]
async fn the_deadline_revokes_what_nobody_reviewed() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        // A grant long enough to outlive the campaign: the deadline ends it.
        let made = grants
            .request(
                "james",
                &NewRequest {
                    role: "prod-reader".to_owned(),
                    environment: None,
                    duration: GrantDuration::from_minutes(12 * 60),
                    reason: "read logs".to_owned(),
                    ticket: None,
                    start: None,
                },
                at(0),
            )
            .await
            .unwrap();
        let grant = grants
            .approve("sofia", &made.id, "ok", at(1))
            .await
            .unwrap();
        let mut settings = model.clone();
        settings.access.review_within = GrantDuration::from_minutes(60);
        let index = Index::new(&settings);
        let reviews = Reviews::new(&ledger, &index, &authorizer);
        let c = reviews.start("eleanor", at(10)).await.unwrap();
        assert_eq!(c.deadline, at(70));
        let (_, items) = reviews.get(&c.id).await.unwrap();
        let marcus = find(&items, "marcus", "prod-reader", STANDING).item;
        reviews
            .decide("sofia", &c.id, marcus, Verdict::Keep, "on call", at(20))
            .await
            .unwrap();

        // Before the deadline, with items unreviewed, it does not close.
        let err = reviews.close("eleanor", at(30)).await.unwrap_err();
        assert!(
            matches!(err, ReviewError::NotDue { pending, .. } if pending as usize == items.len() - 1),
            "{err}"
        );
        assert!(reviews.sweep("palisade", at(69)).await.unwrap().is_none());
        // At the deadline nothing more is decided.
        let err = reviews
            .decide("sofia", &c.id, marcus + 1, Verdict::Keep, "late", at(70))
            .await
            .unwrap_err();
        assert!(matches!(err, ReviewError::PastDeadline { .. }), "{err}");

        let closed = reviews
            .sweep("palisade", at(70))
            .await
            .unwrap()
            .expect("due");
        assert!(!closed.campaign.is_open());
        assert_eq!(closed.campaign.closed_by.as_deref(), Some("palisade"));
        assert_eq!(closed.totals.kept, 1);
        assert_eq!(closed.totals.revoked_at_deadline, closed.totals.items - 1);
        assert_eq!(closed.totals.pending, 0);
        assert_eq!(
            closed
                .revoked_grants
                .iter()
                .map(|g| (g.id.as_str(), g.state))
                .collect::<Vec<_>>(),
            [(grant.id.as_str(), State::Revoked)]
        );
        assert_eq!(grants.get(&grant.id).await.unwrap().state, State::Revoked);
        // Every unreviewed standing role is to leave the model; the kept one stays.
        let standing = items.iter().filter(|i| i.is_standing()).count();
        assert_eq!(closed.model_changes.len(), standing - 1);
        assert!(
            !closed
                .model_changes
                .iter()
                .any(|m| m.person == "marcus" && m.role == "prod-reader")
        );
        let (_, after) = reviews.get(&c.id).await.unwrap();
        assert_eq!(
            find(&after, "james", "prod-reader", &grant.id).outcome,
            Some(Outcome::RevokedAtDeadline)
        );
        assert_eq!(
            find(&after, "marcus", "prod-reader", STANDING).outcome,
            Some(Outcome::Kept)
        );

        // Closed: decisions are final, and nothing is open to close.
        let err = reviews
            .decide("sofia", &c.id, marcus + 1, Verdict::Keep, "late", at(71))
            .await
            .unwrap_err();
        assert!(matches!(err, ReviewError::Closed(_)), "{err}");
        let err = reviews.close("eleanor", at(72)).await.unwrap_err();
        assert!(matches!(err, ReviewError::NoneOpen), "{err}");
        let close = ledger
            .query(&Query {
                kind: Some(kind::CLOSE.to_owned()),
                limit: 10,
                ..Query::default()
            })
            .await
            .unwrap();
        assert_eq!(close.len(), 1);
        assert_eq!(close[0].entry.subject, c.id);
        assert_eq!(close[0].entry.data["revoke_unreviewed"], true);
        assert_eq!(
            close[0].entry.data["unreviewed"].as_array().unwrap().len(),
            items.len() - 1
        );
        // A new campaign may start once the last one closed.
        reviews.start("eleanor", at(80)).await.unwrap();
    }
}

#[tokio::test]
async fn without_revoke_unreviewed_the_deadline_leaves_unreviewed_access_marked() {
    let mut model = acme();
    model.access.revoke_unreviewed = false;
    model.access.review_within = GrantDuration::from_minutes(60);
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let grant = granted(&grants, 4).await;
        let reviews = Reviews::new(&ledger, &index, &authorizer);
        let c = reviews.start("eleanor", at(10)).await.unwrap();
        let (_, items) = reviews.get(&c.id).await.unwrap();
        let item = find(&items, "james", "incident-responder", &grant.id).item;
        reviews
            .decide("sofia", &c.id, item, Verdict::Revoke, "done", at(20))
            .await
            .unwrap();
        let closed = reviews.close("eleanor", at(70)).await.unwrap();
        assert_eq!(closed.totals.revoked, 1);
        assert_eq!(closed.totals.left_at_deadline, closed.totals.items - 1);
        assert!(closed.revoked_grants.is_empty(), "revoked at the decision");
        assert!(closed.model_changes.is_empty());
        let report = reviews.report(&c.id).await.unwrap();
        assert!(
            report
                .items
                .iter()
                .all(|i| i.item == item || i.outcome == Some(Outcome::LeftAtDeadline))
        );
    }
}

#[tokio::test]
async fn closing_early_is_allowed_once_every_item_is_reviewed() {
    let mut model = acme();
    // Two people with one standing role each keep the campaign small.
    model.people.iter_mut().for_each(|p| {
        if p.handle != "marcus" && p.handle != "tomas" {
            p.roles.clear();
        }
    });
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let reviews = Reviews::new(&ledger, &index, &authorizer);
        let c = reviews.start("eleanor", at(0)).await.unwrap();
        let (_, items) = reviews.get(&c.id).await.unwrap();
        assert_eq!(items.len(), 3, "{items:#?}");
        for i in &items {
            let reviewer = if i.person == "marcus" {
                "eleanor"
            } else {
                "marcus"
            };
            let verdict = if i.role == "dev-developer" {
                Verdict::Keep
            } else {
                Verdict::Revoke
            };
            reviews
                .decide(reviewer, &c.id, i.item, verdict, "checked", at(5))
                .await
                .unwrap();
        }
        let closed = reviews.close("eleanor", at(6)).await.unwrap();
        assert_eq!((closed.totals.kept, closed.totals.revoked), (2, 1));
        // The revoked standing role is still in the model: it is to be removed.
        assert_eq!(
            closed.model_changes,
            [StandingRemoval {
                person: "marcus".to_owned(),
                role: "prod-reader".to_owned()
            }]
        );
    }
}

fn used(person: &str, resource: &str, via: (&str, &str), minute: i64) -> MonitorLastUseRow {
    MonitorLastUseRow {
        person: person.to_owned(),
        resource: resource.to_owned(),
        via_kind: via.0.to_owned(),
        via: via.1.to_owned(),
        last_us: at(minute).as_microsecond(),
        uses: 1,
    }
}

#[tokio::test]
async fn the_monitors_last_uses_under_each_role_and_grant_are_their_last_use() {
    let mut model = acme();
    // Ruth also holds prod-deployer, which includes prod-reader.
    let ruth = model
        .people
        .iter_mut()
        .find(|p| p.handle == "ruth")
        .unwrap();
    ruth.roles.push("prod-deployer".to_owned());
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let grant = granted(&grants, 4).await;
        let hosts = "resource:prod/prod-hosts";
        ledger
            .store()
            .monitor_record_last_uses(&[
                // Marcus read the production hosts under prod-reader at
                // minute 10, and worked on his team's repository later:
                // that is no use of any of his roles.
                used("marcus", hosts, (VIA_ROLE, "prod-reader"), 10),
                used(
                    "marcus",
                    "repository:acme/platform",
                    (VIA_TEAM, "platform"),
                    70,
                ),
                // James used his standing role at 20 and his grant at 45.
                used("james", hosts, (VIA_ROLE, "prod-reader"), 20),
                used("james", hosts, (VIA_GRANT, &grant.id), 45),
                // A use under a role that ruth's prod-deployer includes.
                used("ruth", hosts, (VIA_ROLE, "prod-reader"), 33),
            ])
            .await
            .unwrap();
        let reviews = Reviews::new(&ledger, &index, &authorizer);
        let campaign = reviews.start("eleanor", at(90)).await.unwrap();
        let (_, items) = reviews.get(&campaign.id).await.unwrap();
        let last = |person: &str, role: &str, via: &str| find(&items, person, role, via).last_use;
        let backend = db.backend();
        assert_eq!(
            last("marcus", "prod-reader", STANDING),
            Some(at(10)),
            "{backend}"
        );
        assert_eq!(
            last("marcus", "dev-developer", STANDING),
            None,
            "{backend}: the team's repository is no use of a role"
        );
        assert_eq!(
            last("eleanor", "prod-reader", STANDING),
            None,
            "no data stays no data"
        );
        assert_eq!(last("james", "prod-reader", STANDING), Some(at(20)));
        assert_eq!(last("james", "incident-responder", &grant.id), Some(at(45)));
        assert_eq!(last("ruth", "prod-deployer", STANDING), Some(at(33)));
        assert_eq!(
            last("ruth", "staging-deployer", STANDING),
            None,
            "prod-reader is not part of staging-deployer"
        );
    }
}

#[tokio::test]
async fn closing_after_a_grant_expired_by_time_withdraws_nothing_and_succeeds() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        // A one-hour grant, active from at(1): its row says active until
        // something ticks it, however late that is.
        let grant = granted(&grants, 1).await;
        assert_eq!(grant.state, State::Active);
        let reviews = Reviews::new(&ledger, &index, &authorizer);
        // The campaign starts while the grant is live and nobody reviews it:
        // the deadline revokes what nobody reviewed, long after time ended it.
        let c = reviews.start("eleanor", at(10)).await.unwrap();
        let (_, items) = reviews.get(&c.id).await.unwrap();
        find(&items, "james", "incident-responder", &grant.id);
        assert_eq!(grants.get(&grant.id).await.unwrap().state, State::Active);
        let closed = reviews
            .sweep("palisade", c.deadline)
            .await
            .expect("closing does not fail on a grant time already ended")
            .expect("due");
        assert!(!closed.campaign.is_open());
        assert!(
            closed.revoked_grants.iter().all(|g| g.id != grant.id),
            "time ended {}, the campaign did not revoke it: {:?}",
            grant.id,
            closed.revoked_grants
        );
        let (_, after) = reviews.get(&c.id).await.unwrap();
        assert_eq!(
            find(&after, "james", "incident-responder", &grant.id).outcome,
            Some(Outcome::RevokedAtDeadline)
        );
    }
}
