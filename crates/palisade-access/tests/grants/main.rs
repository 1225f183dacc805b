//! Requests and grants over a real store (SQLite and PostgreSQL) and the
//! ledger: each step and its ledger entry commit together, the policies and
//! the state machine refuse what they should, and a race between two
//! writers leaves one consistent story.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use jiff::Timestamp;
use palisade_access::grants::{AccessError, Grants, NewRequest, kind};
use palisade_access::policy::{AccessSettings, Authorizer};
use palisade_access::request::State;
use palisade_ledger::ledger::{Ledger, Query};
use palisade_model::{Day, GrantDuration, Index, Model};
use palisade_test_support::db::backends;

fn acme() -> Model {
    let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
    palisade_model::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn at(minutes: i64) -> Timestamp {
    // 2026-12-01T09:00:00Z, a day the example's vetted people are current.
    Timestamp::from_second(1_796_115_600 + minutes * 60).unwrap()
}

fn day() -> Day {
    "2026-12-01".parse().unwrap()
}

fn incident(hours: u32) -> NewRequest {
    NewRequest {
        role: "incident-responder".to_owned(),
        environment: Some("prod".to_owned()),
        duration: GrantDuration::from_minutes(hours * 60),
        reason: "INC-4711: payments latency".to_owned(),
        ticket: Some("https://tickets.acme.example/INC-4711".to_owned()),
        start: None,
    }
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

#[tokio::test]
async fn a_request_is_approved_granted_revoked_and_every_step_is_ledgered() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let made = grants.request("james", &incident(2), at(0)).await.unwrap();
        assert_eq!(made.state, State::Pending, "{}", db.backend());
        assert_eq!(kinds(&ledger).await, [kind::REQUEST]);

        // James cannot approve his own request.
        let err = grants
            .approve("james", &made.id, "mine", at(1))
            .await
            .unwrap_err();
        assert!(matches!(err, AccessError::Denied { .. }), "{err}");
        // A vendor engineer cannot approve a production request.
        let err = grants
            .approve("arjun", &made.id, "ok", at(1))
            .await
            .unwrap_err();
        assert!(matches!(err, AccessError::Denied { .. }), "{err}");
        assert_eq!(kinds(&ledger).await.len(), 1, "refusals change nothing");

        let granted = grants
            .approve("sofia", &made.id, "on call", at(2))
            .await
            .unwrap();
        assert_eq!(granted.state, State::Active);
        assert_eq!((granted.from, granted.until), (Some(at(2)), Some(at(122))));
        assert_eq!(granted.approved_by, ["sofia"]);
        assert_eq!(
            kinds(&ledger).await,
            [kind::REQUEST, kind::DECISION, kind::STATE]
        );

        // Approving twice, or after the grant started, is refused.
        let err = grants
            .approve("sofia", &made.id, "again", at(3))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("is active, so it cannot be approved"),
            "{err}"
        );

        let revoked = grants.revoke("eleanor", &made.id, at(30)).await.unwrap();
        assert_eq!(revoked.state, State::Revoked);
        assert_eq!(revoked.until, Some(at(30)));
        let err = grants
            .approve("dana", &made.id, "late", at(31))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("revoked"), "{err}");
        assert_eq!(kinds(&ledger).await.len(), 4);
        let stored = grants.get(&made.id).await.unwrap();
        assert_eq!(stored, revoked);
    }
}

#[tokio::test]
async fn who_has_lists_standing_roles_and_active_grants() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let before = grants
            .who_has("prod", Some("prod-hosts"), at(0))
            .await
            .unwrap();
        assert!(before.iter().all(|h| h.via == "standing"), "{before:?}");
        assert!(
            !before
                .iter()
                .any(|h| h.person == "james" && h.role == "incident-responder")
        );
        let made = grants.request("james", &incident(2), at(0)).await.unwrap();
        grants
            .approve("sofia", &made.id, "ok", at(1))
            .await
            .unwrap();
        let during = grants
            .who_has("prod", Some("prod-hosts"), at(10))
            .await
            .unwrap();
        let james: Vec<_> = during.iter().filter(|h| h.via == made.id).collect();
        assert_eq!(james.len(), 1, "{during:?}");
        assert_eq!(james[0].person, "james");
        assert_eq!(james[0].access, palisade_model::Access::Admin);
        assert_eq!(james[0].until, Some(at(121)));
        // After its end the grant no longer counts, even before a sweep records it.
        let after = grants
            .who_has("prod", Some("prod-hosts"), at(121))
            .await
            .unwrap();
        assert!(!after.iter().any(|h| h.via == made.id), "{after:?}");
        // Standing holders: the model's roles, offboarded people left out.
        let readers = grants.who_has("prod", None, at(0)).await.unwrap();
        assert!(
            readers
                .iter()
                .any(|h| h.person == "arjun" && h.role == "prod-reader"),
            "{readers:?}"
        );
        assert!(!readers.iter().any(|h| h.person == "gareth"), "{readers:?}");
        assert!(matches!(
            grants.who_has("prdo", None, at(0)).await.unwrap_err(),
            AccessError::NotFound(_)
        ));
    }
}

#[tokio::test]
async fn requests_the_policies_refuse_are_not_recorded() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        // Over the role's maximum (6h).
        let err = grants
            .request("james", &incident(7), at(0))
            .await
            .unwrap_err();
        assert!(matches!(err, AccessError::Denied { .. }), "{err}");
        // A vendor team member asks for an internal-only role.
        let err = grants
            .request("arjun", &incident(1), at(0))
            .await
            .unwrap_err();
        assert!(matches!(err, AccessError::Denied { .. }), "{err}");
        // A role that does not exist.
        let mut unknown = incident(1);
        unknown.role = "root".to_owned();
        let err = grants.request("james", &unknown, at(0)).await.unwrap_err();
        assert!(matches!(err, AccessError::Denied { .. }), "{err}");
        assert!(kinds(&ledger).await.is_empty());
        // Cancelling someone else's request, or one that does not exist.
        let made = grants.request("james", &incident(1), at(0)).await.unwrap();
        let err = grants.cancel("sofia", &made.id, at(1)).await.unwrap_err();
        assert!(matches!(err, AccessError::NotRequester { .. }), "{err}");
        let err = grants
            .cancel("james", "req-000000000000", at(1))
            .await
            .unwrap_err();
        assert!(matches!(err, AccessError::NotFound(_)), "{err}");
        let cancelled = grants.cancel("james", &made.id, at(2)).await.unwrap();
        assert_eq!(cancelled.state, State::Cancelled);
    }
}

#[tokio::test]
async fn time_expires_grants_and_unapproved_requests() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let waiting = grants.request("james", &incident(1), at(0)).await.unwrap();
        let granted = grants.request("james", &incident(1), at(0)).await.unwrap();
        grants
            .approve("sofia", &granted.id, "ok", at(1))
            .await
            .unwrap();
        let extended = grants
            .extend(
                "james",
                &granted.id,
                GrantDuration::from_minutes(60),
                at(30),
            )
            .await
            .unwrap();
        assert_eq!(extended.until, Some(at(121)));
        // Beyond the role's 6h in all is refused.
        let err = grants
            .extend(
                "james",
                &granted.id,
                GrantDuration::from_minutes(300),
                at(31),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AccessError::Denied { .. }), "{err}");

        assert!(grants.tick("palisade", at(100)).await.unwrap().is_empty());
        let changed = grants.tick("palisade", at(121)).await.unwrap();
        assert_eq!(changed.len(), 1);
        assert_eq!(
            (changed[0].id.as_str(), changed[0].state),
            (granted.id.as_str(), State::Expired)
        );
        // The unapproved one expires after the 24h approval wait.
        let changed = grants.tick("palisade", at(24 * 60)).await.unwrap();
        assert_eq!(changed.len(), 1);
        assert_eq!(
            (changed[0].id.as_str(), changed[0].state),
            (waiting.id.as_str(), State::Expired)
        );
        let err = grants
            .approve("sofia", &waiting.id, "late", at(24 * 60 + 1))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
    }
}

/// Two writers on one store, each with its own connection pool, revoke and
/// extend the same grant at once: the ledger's lock serialises them, so the
/// grant ends revoked, and the log holds exactly the steps that happened.
#[tokio::test]
async fn revoke_and_extend_racing_leave_one_consistent_story() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let first = Ledger::new(db.open().await, "acme.example/palisade");
        let second = Ledger::new(db.open().await, "acme.example/palisade");
        let a = Grants::new(&first, &index, &authorizer);
        let made = a.request("james", &incident(1), at(0)).await.unwrap();
        a.approve("sofia", &made.id, "ok", at(1)).await.unwrap();
        for round in 0..5 {
            let b = Grants::new(&second, &index, &authorizer);
            let id = if round == 0 {
                made.id.clone()
            } else {
                let m = a.request("james", &incident(1), at(0)).await.unwrap();
                a.approve("sofia", &m.id, "ok", at(1)).await.unwrap();
                m.id
            };
            let (revoked, extended) = tokio::join!(
                a.revoke("eleanor", &id, at(10)),
                b.extend("james", &id, GrantDuration::from_minutes(30), at(10)),
            );
            assert!(revoked.is_ok(), "{}: {revoked:?}", db.backend());
            let end = a.get(&id).await.unwrap();
            assert_eq!(end.state, State::Revoked);
            let entries = first
                .query(&Query {
                    subject: Some(id.clone()),
                    limit: 100,
                    ..Query::default()
                })
                .await
                .unwrap();
            // request, decision, granted, then revoked, and the extension only if it came first.
            let expected = if extended.is_ok() { 5 } else { 4 };
            assert_eq!(entries.len(), expected, "{}: {extended:?}", db.backend());
        }
    }
}

#[tokio::test]
async fn an_approved_grant_starts_at_its_requested_start() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let mut later = incident(1);
        later.start = Some(at(60));
        let made = grants.request("james", &later, at(0)).await.unwrap();
        let approved = grants
            .approve("sofia", &made.id, "ok", at(1))
            .await
            .unwrap();
        assert_eq!(approved.state, State::Approved, "{}", db.backend());
        assert!(grants.tick("palisade", at(59)).await.unwrap().is_empty());
        let started = grants.tick("palisade", at(60)).await.unwrap();
        assert_eq!(started.len(), 1);
        assert_eq!(started[0].state, State::Active);
        let ended = grants.tick("palisade", at(120)).await.unwrap();
        assert_eq!(ended[0].state, State::Expired);
    }
}

#[tokio::test]
async fn withdraw_all_denies_pending_and_revokes_granted_leaving_others_alone() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let granted = grants.request("james", &incident(2), at(0)).await.unwrap();
        grants
            .approve("sofia", &granted.id, "on call", at(1))
            .await
            .unwrap();
        let pending = grants.request("james", &incident(1), at(2)).await.unwrap();
        let finished = grants.request("james", &incident(1), at(3)).await.unwrap();
        grants.cancel("james", &finished.id, at(4)).await.unwrap();
        let before = kinds(&ledger).await.len();

        let changed = grants
            .withdraw_all("james", "eleanor", "offboarded", at(10))
            .await
            .unwrap();
        let mut states: Vec<_> = changed
            .iter()
            .map(|v| (v.id.clone(), v.state.key()))
            .collect();
        states.sort();
        let mut want = vec![
            (granted.id.clone(), State::Revoked.key()),
            (pending.id.clone(), State::Denied.key()),
        ];
        want.sort();
        assert_eq!(states, want, "{}", db.backend());
        assert_eq!(
            grants.get(&finished.id).await.unwrap().state,
            State::Cancelled
        );
        let entries = ledger
            .query(&Query {
                limit: 1000,
                ..Query::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), before + 2);
        for e in &entries[before..] {
            assert_eq!(e.entry.actor, "eleanor");
            assert_eq!(e.entry.data["reason"], "offboarded");
        }
        // Nothing is left open: a second call changes nothing.
        let again = grants
            .withdraw_all("james", "eleanor", "offboarded", at(11))
            .await
            .unwrap();
        assert!(again.is_empty());
    }
}
