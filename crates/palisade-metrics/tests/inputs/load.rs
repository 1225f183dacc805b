//! A period's inputs read back from the store, with rows the model no
//! longer matches counted instead of dropped.

use jiff::tz::TimeZone;
use palisade_metrics::input::{DeployStatus, DeployedCommit, Deployment};
use palisade_metrics::load::{issue, load};
use palisade_metrics::period::Period;
use palisade_metrics::record::{NewIncident, Recorder, Source};
use palisade_model::Index;
use palisade_store::MetricsDeploymentFilter;
use palisade_test_support::db::backends;

use super::{ledger, model, now, t};

fn deployment(id: &str, service: &str, finished: &str) -> Deployment {
    Deployment {
        id: id.to_owned(),
        service: service.to_owned(),
        environment: "prod".to_owned(),
        started: t(finished),
        finished: t(finished),
        status: DeployStatus::Success,
        commits: vec![DeployedCommit {
            repo: "acme/payments".to_owned(),
            sha: "3f2a9c0b1d4e5f60718293a4b5c6d7e8f9012345".to_owned(),
        }],
    }
}

fn incident(service: &str, title: &str, opened: &str) -> NewIncident {
    NewIncident {
        id: Some(title.to_owned()),
        service: service.to_owned(),
        severity: "sev3".to_owned(),
        title: title.to_owned(),
        opened: t(opened),
        cause: None,
        deployment: None,
    }
}

#[tokio::test]
async fn a_month_reads_what_finished_in_it_and_what_was_open_during_it() {
    let model = model();
    let index = Index::new(&model);
    let october = Period::month("2026-10", &TimeZone::UTC).unwrap();
    for db in backends().await {
        let store = db.open().await;
        let ledger = ledger(&store);
        let recorder = Recorder::new(&ledger, &index);
        for d in [
            deployment("sep", "payments-api", "2026-09-30T23:59:59Z"),
            deployment("oct-1", "payments-api", "2026-10-01T00:00:00Z"),
            deployment("oct-2", "ledger", "2026-10-15T12:00:00Z"),
            deployment("nov", "payments-api", "2026-11-01T00:00:00Z"),
        ] {
            recorder
                .record_deployment(&d, Source::Command, "sofia", now())
                .await
                .unwrap();
        }
        for (i, resolved) in [
            (
                incident("ledger", "sep-closed", "2026-09-20T10:00:00Z"),
                Some("2026-09-21T10:00:00Z"),
            ),
            (incident("ledger", "sep-open", "2026-09-25T10:00:00Z"), None),
            (
                incident("payments-api", "oct", "2026-10-10T10:00:00Z"),
                Some("2026-10-10T11:00:00Z"),
            ),
            (
                incident("payments-api", "nov", "2026-11-02T10:00:00Z"),
                None,
            ),
        ] {
            recorder.open_incident(&i, "sofia", now()).await.unwrap();
            if let Some(at) = resolved {
                recorder
                    .resolve_incident(i.id.as_deref().unwrap(), t(at), "sofia", now())
                    .await
                    .unwrap();
            }
        }
        let loaded = load(
            &store,
            &index,
            &october,
            &MetricsDeploymentFilter::default(),
        )
        .await
        .unwrap();
        let ids: Vec<_> = loaded.deployments.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["oct-1", "oct-2"], "{}", db.backend());
        assert_eq!(
            loaded.deployments[0],
            deployment("oct-1", "payments-api", "2026-10-01T00:00:00Z")
        );
        let ids: Vec<_> = loaded.incidents.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["sep-open", "oct"], "{}", db.backend());
        assert_eq!(
            loaded.incidents[1].resolved,
            Some(t("2026-10-10T11:00:00Z"))
        );
        assert!(loaded.issues.is_empty());

        let only_api = load(
            &store,
            &index,
            &october,
            &MetricsDeploymentFilter {
                service: Some("payments-api".into()),
                environment: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(only_api.deployments.len(), 1);
        assert_eq!(only_api.incidents.len(), 1);
    }
}

#[tokio::test]
async fn rows_of_a_service_no_longer_in_the_model_are_counted_not_dropped_silently() {
    let model = model();
    let index = Index::new(&model);
    let october = Period::month("2026-10", &TimeZone::UTC).unwrap();
    let db = backends().await.into_iter().next().unwrap();
    let store = db.open().await;
    let ledger = ledger(&store);
    let recorder = Recorder::new(&ledger, &index);
    recorder
        .record_deployment(
            &deployment("oct-ledger", "ledger", "2026-10-15T12:00:00Z"),
            Source::Command,
            "sofia",
            now(),
        )
        .await
        .unwrap();
    recorder
        .record_deployment(
            &deployment("oct-api", "payments-api", "2026-10-16T12:00:00Z"),
            Source::Command,
            "sofia",
            now(),
        )
        .await
        .unwrap();
    recorder
        .open_incident(
            &incident("ledger", "ledger-down", "2026-10-15T13:00:00Z"),
            "sofia",
            now(),
        )
        .await
        .unwrap();
    // The ledger service is taken out of the model, and sev3 off the scale.
    let mut later = model.clone();
    later.services.retain(|s| s.id != "ledger");
    later.metrics.incident_severities = vec!["sev1".into(), "sev2".into()];
    let later_index = Index::new(&later);
    let loaded = load(
        &store,
        &later_index,
        &october,
        &MetricsDeploymentFilter::default(),
    )
    .await
    .unwrap();
    assert_eq!(loaded.deployments.len(), 1);
    assert_eq!(loaded.deployments[0].id, "oct-api");
    assert!(loaded.incidents.is_empty());
    assert_eq!(loaded.issues.count(issue::REMOVED_SERVICE), 2);
    let removed = loaded
        .issues
        .kinds
        .iter()
        .find(|k| k.kind == issue::REMOVED_SERVICE)
        .unwrap();
    assert_eq!(
        removed.examples,
        [
            "deployment oct-ledger (ledger)",
            "incident ledger-down (ledger)"
        ]
    );
}
