//! Deployments and incidents recorded with their ledger entries, and every
//! kind of bad input refused with a message that says what to fix.

use palisade_metrics::input::{DeployStatus, DeployedCommit, Deployment};
use palisade_metrics::record::{
    NewIncident, Outcome, RecordError, Recorder, Source, deployment_id, kind,
};
use palisade_model::Index;
use palisade_test_support::db::backends;

use super::{entries, ledger, model, now, t};

const SHA: &str = "3f2a9c0b1d4e5f60718293a4b5c6d7e8f9012345";

fn deployment(id: &str, service: &str, env: &str, finished: &str) -> Deployment {
    Deployment {
        id: id.to_owned(),
        service: service.to_owned(),
        environment: env.to_owned(),
        started: t(finished),
        finished: t(finished),
        status: DeployStatus::Success,
        commits: vec![DeployedCommit {
            repo: "acme/payments".to_owned(),
            sha: SHA.to_owned(),
        }],
    }
}

#[tokio::test]
async fn a_deployment_is_recorded_once_with_its_ledger_entry() {
    let model = model();
    let index = Index::new(&model);
    for db in backends().await {
        let store = db.open().await;
        let ledger = ledger(&store);
        let recorder = Recorder::new(&ledger, &index);
        let mut d = deployment("run-1", "payments-api", "prod", "2026-10-05T10:04:00Z");
        d.started = t("2026-10-05T09:58:00Z");
        // Upper-case hex is stored lower-case.
        d.commits[0].sha = SHA.to_ascii_uppercase();
        let (stored, outcome) = recorder
            .record_deployment(&d, Source::Command, "sofia", now())
            .await
            .unwrap();
        assert_eq!(outcome, Outcome::Recorded);
        assert_eq!(stored.commits[0].sha, SHA);
        // A re-run of the same CI step changes nothing and ledgers nothing.
        let (_, again) = recorder
            .record_deployment(&d, Source::Command, "sofia", now())
            .await
            .unwrap();
        assert_eq!(again, Outcome::AlreadyRecorded, "{}", db.backend());
        // The same id for another deployment is refused, naming what differs.
        let mut other = d.clone();
        other.status = DeployStatus::Failure;
        let err = recorder
            .record_deployment(&other, Source::Command, "sofia", now())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, RecordError::ConflictingDeployment { differs, .. } if differs == "status"),
            "{err}"
        );

        let recorded = entries(&ledger, kind::DEPLOY_RECORDED).await;
        assert_eq!(recorded.len(), 1, "{}", db.backend());
        let (subject, actor, data) = &recorded[0];
        assert_eq!((subject.as_str(), actor.as_str()), ("run-1", "sofia"));
        assert_eq!(data["service"], "payments-api");
        assert_eq!(data["environment"], "prod");
        assert_eq!(data["status"], "success");
        assert_eq!(data["source"], "command");
        assert_eq!(data["commits"][0]["sha"], SHA);
        let row = store.metrics_deployment("run-1").await.unwrap().unwrap();
        assert_eq!(row.recorded_by, "sofia");
        assert_eq!(row.started_us, t("2026-10-05T09:58:00Z").as_microsecond());
    }
}

#[tokio::test]
async fn deployments_that_do_not_match_the_model_are_refused_and_nothing_is_written() {
    let model = model();
    let index = Index::new(&model);
    let db = backends().await.into_iter().next().unwrap();
    let store = db.open().await;
    let ledger = ledger(&store);
    let recorder = Recorder::new(&ledger, &index);
    let ok = || deployment("d", "payments-api", "prod", "2026-10-05T10:00:00Z");
    let mut cases: Vec<(Deployment, &str, &str)> = Vec::new();
    cases.push((
        Deployment {
            service: "payment-api".into(),
            ..ok()
        },
        "unknown_service",
        "unknown service `payment-api`",
    ));
    cases.push((
        Deployment {
            environment: "production".into(),
            ..ok()
        },
        "unknown_environment",
        "`prod`",
    ));
    let mut short = ok();
    short.commits[0].sha = "3f2a9c0".into();
    cases.push((short, "bad_sha", "40 (SHA-1) or 64"));
    let mut repo = ok();
    repo.commits[0].repo = "payments".into();
    cases.push((repo, "bad_repo", "owner/name"));
    cases.push((
        Deployment {
            commits: vec![],
            ..ok()
        },
        "no_commits",
        "names no commit",
    ));
    cases.push((
        Deployment {
            started: t("2026-10-05T11:00:00Z"),
            ..ok()
        },
        "clock_skew",
        "after it finishes",
    ));
    cases.push((
        Deployment {
            finished: t("2026-12-01T01:00:00Z"),
            started: t("2026-12-01T01:00:00Z"),
            ..ok()
        },
        "clock_skew",
        "in the future",
    ));
    for (d, kind, says) in cases {
        let err = recorder
            .record_deployment(&d, Source::Command, "sofia", now())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert!(err.to_string().contains(says), "{err}");
    }
    // Within the tolerance for two machines' clocks is fine.
    let near = Deployment {
        id: "near".into(),
        finished: t("2026-12-01T00:04:00Z"),
        started: t("2026-12-01T00:04:00Z"),
        ..ok()
    };
    recorder
        .record_deployment(&near, Source::Command, "sofia", now())
        .await
        .unwrap();
    assert_eq!(entries(&ledger, kind::DEPLOY_RECORDED).await.len(), 1);
    assert_eq!(
        db.scalar("SELECT count(*) FROM metrics_deployments")
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn an_incident_opens_and_resolves_once_each_step_ledgered() {
    let model = model();
    let index = Index::new(&model);
    for db in backends().await {
        let store = db.open().await;
        let ledger = ledger(&store);
        let recorder = Recorder::new(&ledger, &index);
        let d = deployment("run-7", "payments-api", "prod", "2026-10-05T10:00:00Z");
        recorder
            .record_deployment(&d, Source::Command, "sofia", now())
            .await
            .unwrap();
        let new = NewIncident {
            id: None,
            service: "payments-api".into(),
            severity: "sev2".into(),
            title: "checkout returns 500".into(),
            opened: t("2026-10-05T11:00:00Z"),
            cause: Some(SHA.to_ascii_uppercase()),
            deployment: Some("run-7".into()),
        };
        let (incident, outcome) = recorder.open_incident(&new, "sofia", now()).await.unwrap();
        assert_eq!(outcome, Outcome::Recorded);
        assert!(incident.id.starts_with("inc-"), "{}", incident.id);
        assert_eq!(incident.cause.as_deref(), Some(SHA));
        // Opening it again is the same incident.
        let (_, again) = recorder.open_incident(&new, "sofia", now()).await.unwrap();
        assert_eq!(again, Outcome::AlreadyRecorded);

        let early = recorder
            .resolve_incident(&incident.id, t("2026-10-05T10:59:00Z"), "ruth", now())
            .await
            .unwrap_err();
        assert!(
            matches!(early, RecordError::ResolvedBeforeOpened { .. }),
            "{early}"
        );
        assert!(early.to_string().contains("--time"), "{early}");
        let resolved = recorder
            .resolve_incident(&incident.id, t("2026-10-05T12:30:00Z"), "ruth", now())
            .await
            .unwrap();
        assert_eq!(resolved.resolved, Some(t("2026-10-05T12:30:00Z")));
        let twice = recorder
            .resolve_incident(&incident.id, t("2026-10-05T13:00:00Z"), "ruth", now())
            .await
            .unwrap_err();
        assert!(
            matches!(&twice, RecordError::AlreadyResolved { by, .. } if by == "ruth"),
            "{twice}"
        );
        let unknown = recorder
            .resolve_incident("inc-nope", t("2026-10-05T13:00:00Z"), "ruth", now())
            .await
            .unwrap_err();
        assert!(
            matches!(unknown, RecordError::NoSuchIncident(_)),
            "{unknown}"
        );

        let opened = entries(&ledger, kind::INCIDENT_OPENED).await;
        assert_eq!(opened.len(), 1, "{}", db.backend());
        assert_eq!(opened[0].0, incident.id);
        assert_eq!(opened[0].2["severity"], "sev2");
        assert_eq!(opened[0].2["deployment"], "run-7");
        let closed = entries(&ledger, kind::INCIDENT_RESOLVED).await;
        assert_eq!(closed.len(), 1, "{}", db.backend());
        assert_eq!(
            (closed[0].0.as_str(), closed[0].1.as_str()),
            (incident.id.as_str(), "ruth")
        );
        assert_eq!(closed[0].2["minutes_open"], 90.0);
        let row = store.metrics_incident(&incident.id).await.unwrap().unwrap();
        assert_eq!(row.resolved_by.as_deref(), Some("ruth"));
    }
}

#[tokio::test]
async fn incidents_that_do_not_match_the_model_are_refused() {
    let model = model();
    let index = Index::new(&model);
    let db = backends().await.into_iter().next().unwrap();
    let store = db.open().await;
    let ledger = ledger(&store);
    let recorder = Recorder::new(&ledger, &index);
    let ok = || NewIncident {
        id: None,
        service: "identity".into(),
        severity: "sev1".into(),
        title: "logins fail".into(),
        opened: t("2026-10-05T11:00:00Z"),
        cause: None,
        deployment: None,
    };
    for (new, says) in [
        (
            NewIncident {
                severity: "critical".into(),
                ..ok()
            },
            "`sev1`, `sev2`, `sev3`, `sev4`",
        ),
        (
            NewIncident {
                service: "nope".into(),
                ..ok()
            },
            "unknown service `nope`",
        ),
        (
            NewIncident {
                cause: Some("abc".into()),
                ..ok()
            },
            "not a full commit id",
        ),
        (
            NewIncident {
                deployment: Some("run-404".into()),
                ..ok()
            },
            "no deployment `run-404`",
        ),
        (
            NewIncident {
                title: "  ".into(),
                ..ok()
            },
            "title is empty",
        ),
        (
            NewIncident {
                opened: t("2027-01-01T00:00:00Z"),
                ..ok()
            },
            "in the future",
        ),
    ] {
        let err = recorder
            .open_incident(&new, "sofia", now())
            .await
            .unwrap_err();
        assert!(err.to_string().contains(says), "{says}: {err}");
    }
    assert!(entries(&ledger, kind::INCIDENT_OPENED).await.is_empty());
    assert_eq!(
        db.scalar("SELECT count(*) FROM metrics_incidents")
            .await
            .unwrap(),
        0
    );
    // The same id for another incident is refused.
    let mine = NewIncident {
        id: Some("INC-1".into()),
        ..ok()
    };
    recorder.open_incident(&mine, "sofia", now()).await.unwrap();
    let err = recorder
        .open_incident(
            &NewIncident {
                severity: "sev3".into(),
                ..mine
            },
            "sofia",
            now(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another severity"), "{err}");
}

#[tokio::test]
async fn an_import_writes_in_batches_counts_what_it_refuses_and_is_idempotent() {
    let model = model();
    let index = Index::new(&model);
    let db = backends().await.into_iter().next().unwrap();
    let store = db.open().await;
    let ledger = ledger(&store);
    let recorder = Recorder::new(&ledger, &index);
    // More than one batch.
    let mut many: Vec<Deployment> = (0..1_203)
        .map(|n| {
            let mut d = deployment("", "payments-api", "staging", "2026-10-05T10:00:00Z");
            d.finished = d
                .finished
                .checked_add(jiff::SignedDuration::from_secs(n))
                .unwrap();
            d.id = deployment_id(&d.service, &d.environment, d.finished, &d.commits);
            d
        })
        .collect();
    many.push(deployment(
        "bad-env",
        "payments-api",
        "qa",
        "2026-10-05T10:00:00Z",
    ));
    let summary = recorder
        .import_deployments(&many, Source::Devlake, "ci-bot", now())
        .await
        .unwrap();
    assert_eq!(summary.recorded, 1_203);
    assert_eq!(summary.refused.count("unknown_environment"), 1);
    assert!(summary.refused.kinds[0].examples[0].starts_with("bad-env: "));
    let again = recorder
        .import_deployments(&many, Source::Devlake, "ci-bot", now())
        .await
        .unwrap();
    assert_eq!((again.recorded, again.already_recorded), (0, 1_203));
    let ledgered = entries(&ledger, kind::DEPLOY_RECORDED).await;
    assert_eq!(ledgered.len(), 1_203);
    assert!(
        ledgered
            .iter()
            .all(|(_, actor, data)| actor == "ci-bot" && data["source"] == "devlake")
    );
}
