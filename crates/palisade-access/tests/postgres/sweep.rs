//! The sweep after a crash: orphans, ended grants and expired roles go;
//! active grants and everything not Palisade's stay.

use palisade_access::postgres::{GrantState, ROLE_PREFIX, SweepReason};
use palisade_model::Access;
use sqlx::Connection;

use super::support::{in_seconds, target};

#[tokio::test]
async fn sweep_drops_orphans_ended_and_expired_roles_and_leaves_others_alone() {
    let Some(t) = target().await else { return };
    let issuer = t.issuer();
    let issue = |grant: &'static str, seconds: i64| {
        let issuer = issuer.clone();
        async move {
            issuer
                .issue(grant, "ana", Access::Read, in_seconds(seconds))
                .await
                .expect("issued")
        }
    };
    let active = issue("g-active", 3600).await;
    let revoked = issue("g-revoked", 3600).await;
    let approved = issue("g-approved", 3600).await;
    let orphan = issue("g-orphan", 3600).await;
    let expired = issue("g-expired", -60).await;
    let lookalike = format!("{ROLE_PREFIX}lookalike_{}", t.suffix);
    t.create_role(&lookalike, "LOGIN").await;
    let unrelated = format!("reporting_{}", t.suffix);
    t.create_role(&unrelated, "LOGIN").await;
    let mut orphan_session = t
        .login(&orphan.role, orphan.password.expose())
        .await
        .expect("the orphan logs in before the sweep");

    let known = [
        ("g-active", GrantState::Active),
        ("g-revoked", GrantState::Revoked),
        ("g-approved", GrantState::Approved),
        ("g-expired", GrantState::Active),
    ];
    let report = issuer
        .sweep(&known, jiff::Timestamp::now())
        .await
        .expect("swept");

    let mut dropped: Vec<(String, SweepReason, u64)> = report
        .dropped
        .iter()
        .map(|d| (d.grant_id.clone(), d.reason, d.sessions_terminated))
        .collect();
    dropped.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        dropped,
        vec![
            (
                "g-approved".to_owned(),
                SweepReason::GrantNotActive(GrantState::Approved),
                0
            ),
            ("g-expired".to_owned(), SweepReason::Expired, 0),
            ("g-orphan".to_owned(), SweepReason::Orphan, 1),
            (
                "g-revoked".to_owned(),
                SweepReason::GrantNotActive(GrantState::Revoked),
                0
            ),
        ]
    );
    assert_eq!(report.kept, vec![active.role.clone()]);
    assert!(report.untagged.contains(&lookalike), "{report:?}");
    assert!(report.failed.is_empty(), "{report:?}");

    for gone in [&revoked, &approved, &orphan, &expired] {
        assert!(
            !t.role_exists(&gone.role).await,
            "{} was dropped",
            gone.role
        );
    }
    sqlx::query("SELECT 1")
        .execute(&mut orphan_session)
        .await
        .expect_err("the orphan's session was terminated");
    assert!(t.role_exists(&lookalike).await, "an untagged role stays");
    assert!(t.role_exists(&unrelated).await, "other roles stay");
    assert!(t.role_exists(&t.read_role).await, "mapped roles stay");
    let conn = t
        .login(&active.role, active.password.expose())
        .await
        .expect("the active grant still logs in");
    let _ = conn.close().await;

    let again = issuer
        .sweep(&known, jiff::Timestamp::now())
        .await
        .expect("swept again");
    assert!(
        again.dropped.is_empty(),
        "a second sweep finds nothing: {again:?}"
    );
    assert_eq!(again.kept, vec![active.role]);
}

#[tokio::test]
async fn sweep_keeps_to_its_own_database() {
    let (Some(a), Some(b)) = (target().await, target().await) else {
        return;
    };
    let credential = a
        .issuer()
        .issue("g-in-a", "ana", Access::Read, in_seconds(3600))
        .await
        .expect("issued in a");
    let report = b
        .issuer()
        .sweep(&[], jiff::Timestamp::now())
        .await
        .expect("swept b");
    assert!(
        report.dropped.iter().all(|d| d.role != credential.role),
        "{report:?}"
    );
    assert!(a.role_exists(&credential.role).await);
}
