//! The monitor's last uses: one row per person, resource and cover, keeping
//! the latest time and adding the counts whatever order the batches come in;
//! read back by role, by grant and per person.
#![allow(clippy::unwrap_used)]

use palisade_store::{MonitorLastUseRow, StoreError, VIA_GRANT, VIA_ROLE, VIA_TEAM};

use crate::common::backends;

fn used(person: &str, resource: &str, via: (&str, &str), last_us: i64) -> MonitorLastUseRow {
    MonitorLastUseRow {
        person: person.to_owned(),
        resource: resource.to_owned(),
        via_kind: via.0.to_owned(),
        via: via.1.to_owned(),
        last_us,
        uses: 1,
    }
}

#[tokio::test]
async fn recording_a_last_use_keeps_the_latest_time_and_adds_the_counts() {
    let hosts = "resource:prod/prod-hosts";
    let role = (VIA_ROLE, "prod-reader");
    for db in backends().await {
        let store = db.open().await;
        store
            .monitor_record_last_uses(&[used("arjun", hosts, role, 500)])
            .await
            .unwrap();
        // An older use arriving later (a log read out of order) does not move
        // the time back; the same key twice in one batch is merged first.
        store
            .monitor_record_last_uses(&[
                used("arjun", hosts, role, 100),
                used("arjun", hosts, role, 300),
            ])
            .await
            .unwrap();
        let rows = store.monitor_last_uses("arjun").await.unwrap();
        assert_eq!(
            rows,
            vec![MonitorLastUseRow {
                uses: 3,
                ..used("arjun", hosts, role, 500)
            }],
            "{}",
            db.backend()
        );
        store
            .monitor_record_last_uses(&[used("arjun", hosts, role, 900)])
            .await
            .unwrap();
        assert_eq!(
            store
                .monitor_role_last_use("arjun", "prod-reader")
                .await
                .unwrap(),
            Some(900),
            "{}",
            db.backend()
        );
        assert_eq!(
            db.scalar("SELECT uses FROM monitor_last_use")
                .await
                .unwrap(),
            4,
            "{}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn last_uses_are_read_by_role_over_all_resources_by_grant_and_per_person() {
    for db in backends().await {
        let store = db.open().await;
        let rows = vec![
            used(
                "arjun",
                "resource:prod/prod-hosts",
                (VIA_ROLE, "prod-reader"),
                200,
            ),
            used(
                "arjun",
                "resource:prod/prod-cluster",
                (VIA_ROLE, "prod-reader"),
                700,
            ),
            used(
                "arjun",
                "repository:acme/payments",
                (VIA_TEAM, "nimbus"),
                900,
            ),
            used(
                "kavya",
                "resource:prod/prod-hosts",
                (VIA_ROLE, "prod-reader"),
                950,
            ),
            used(
                "kavya",
                "resource:prod/prod-hosts",
                (VIA_GRANT, "req-1"),
                400,
            ),
            used(
                "kavya",
                "resource:prod/payments-db",
                (VIA_GRANT, "req-1"),
                600,
            ),
        ];
        // Many rows in one call span several statements.
        let mut many = rows.clone();
        many.extend((0..600).map(|i| {
            used(
                "bulk",
                &format!("repository:acme/r{i}"),
                (VIA_TEAM, "nimbus"),
                i,
            )
        }));
        store.monitor_record_last_uses(&many).await.unwrap();

        // A role's last use is its own, for that person, over every resource:
        // the team's use of a repository is not a use of the role.
        let role = |p: &'static str, r: &'static str| store.monitor_role_last_use(p, r);
        assert_eq!(role("arjun", "prod-reader").await.unwrap(), Some(700));
        assert_eq!(role("kavya", "prod-reader").await.unwrap(), Some(950));
        assert_eq!(role("arjun", "staging-deployer").await.unwrap(), None);
        assert_eq!(role("arjun", "nimbus").await.unwrap(), None);
        assert_eq!(
            store.monitor_grant_last_use("req-1").await.unwrap(),
            Some(600)
        );
        assert_eq!(store.monitor_grant_last_use("req-2").await.unwrap(), None);

        let arjun = store.monitor_last_uses("arjun").await.unwrap();
        assert_eq!(
            arjun
                .iter()
                .map(|r| (r.resource.as_str(), r.via.as_str(), r.last_us))
                .collect::<Vec<_>>(),
            vec![
                ("repository:acme/payments", "nimbus", 900),
                ("resource:prod/prod-cluster", "prod-reader", 700),
                ("resource:prod/prod-hosts", "prod-reader", 200),
            ],
            "{}",
            db.backend()
        );
        assert_eq!(store.monitor_last_uses("bulk").await.unwrap().len(), 600);
        assert!(store.monitor_last_uses("nobody").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_last_use_with_an_unknown_cover_or_no_use_is_refused_and_writes_nothing() {
    for db in backends().await {
        let store = db.open().await;
        let good = used(
            "arjun",
            "resource:prod/prod-hosts",
            (VIA_ROLE, "prod-reader"),
            1,
        );
        let bad_kind = used("arjun", "resource:prod/prod-hosts", ("standing", "x"), 1);
        let err = store
            .monitor_record_last_uses(&[good.clone(), bad_kind])
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidInput { what, .. } if *what == "last use cover kind"),
            "{}: {err}",
            db.backend()
        );
        let none = MonitorLastUseRow {
            uses: 0,
            ..good.clone()
        };
        let err = store.monitor_record_last_uses(&[none]).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidInput { what, .. } if *what == "last use count"),
            "{}: {err}",
            db.backend()
        );
        assert!(store.monitor_last_uses("arjun").await.unwrap().is_empty());
    }
}
