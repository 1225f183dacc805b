//! Offboarding over a real store (SQLite and PostgreSQL) and the ledger: the
//! plan names the right services, credentials and exit steps for a person, a
//! team and a vendor; executing it withdraws every open request and grant of
//! the leavers (and nobody else's) and ledgers each step.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use jiff::Timestamp;
use palisade_access::grants::{Grants, NewRequest};
use palisade_access::offboard::{
    Coverage, OffboardError, OffboardTarget, OwnerRole, execute, kind, plan, record_model_edit,
};
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

fn person(name: &str) -> OffboardTarget {
    OffboardTarget::Person(name.to_owned())
}

fn ask(role: &str, env: &str) -> NewRequest {
    NewRequest {
        role: role.to_owned(),
        environment: Some(env.to_owned()),
        duration: GrantDuration::from_minutes(120),
        reason: "release 2026.12".to_owned(),
        ticket: None,
        start: None,
    }
}

#[test]
fn a_vendor_engineer_hands_over_what_they_own_and_knew() {
    let model = acme();
    let index = Index::new(&model);
    let p = plan(&index, person("arjun"), day()).unwrap();
    assert_eq!(p.handles(), ["arjun"]);
    assert_eq!(p.people[0].vendor.as_deref(), Some("nimbus"));
    assert_eq!(
        p.people[0].standing_roles,
        ["dev-developer", "staging-deployer", "prod-reader"]
    );
    assert_eq!(p.contract.as_deref(), Some("nimbus-msa-2025"));

    // Arjun owns checkout-web and is on mobile-app's escalation list.
    let services: Vec<&str> = p.services.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(services, ["checkout-web", "mobile-app"]);
    let checkout = &p.services[0];
    assert_eq!(checkout.leaving, [("arjun".to_owned(), OwnerRole::Owner)]);
    assert_eq!(checkout.needs, ["owner"]);
    assert_eq!(checkout.remaining, ["ruth", "sofia"]);
    assert!(!checkout.team_leaves);
    assert_eq!(p.services[1].leaving[0].1, OwnerRole::Escalation);
    assert!(p.services[1].needs.is_empty());

    // He knows the CDN login through his team; ruth stays and knows it too.
    assert_eq!(p.credentials.len(), 1);
    let cdn = &p.credentials[0];
    assert_eq!(cdn.id, "checkout-cdn-console");
    assert_eq!(
        cdn.known_by,
        [("arjun".to_owned(), Some("nimbus".to_owned()))]
    );
    assert!(cdn.remaining.contains(&"ruth".to_owned()));
    assert!(cdn.remaining.contains(&"kavya".to_owned()));

    // Nimbus' contract has every exit clause.
    let keys: Vec<&str> = p.checklist.iter().map(|c| c.key).collect();
    assert_eq!(
        keys,
        [
            "runbook_handover",
            "credential_rotation",
            "repository_ownership_transfer",
            "data_return_deletion",
            "documentation_completeness"
        ]
    );
    assert_eq!(
        p.checklist[0].coverage,
        Coverage::Covered {
            contract: "nimbus-msa-2025".into(),
            clause: "transition_assistance"
        }
    );
    assert_eq!(p.checklist[1].coverage, Coverage::CompanyStep);
    assert!(p.checklist[0].details[0].contains("docs/runbooks/checkout-web.md"));
    assert!(p.checklist[1].details[0].starts_with("checkout-cdn-console: CDN console"));
    assert!(
        p.checklist[2]
            .details
            .iter()
            .any(|d| d.contains("arjun-menon-nimbus"))
    );
    // Any identity finds him.
    let by_login = plan(&index, person("arjun-menon-nimbus"), day()).unwrap();
    assert_eq!(by_login.handles(), ["arjun"]);
}

#[test]
fn a_vendor_leaves_with_its_teams_and_the_contract_says_what_is_missing() {
    let mut model = acme();
    // Had Harbor's SOW no data return clause, the checklist would say so.
    let sow = model
        .contracts
        .iter_mut()
        .find(|c| c.id == "harbor-sow-2026")
        .unwrap();
    sow.clauses.data_return_deletion = false;
    let index = Index::new(&model);
    let p = plan(&index, OffboardTarget::Vendor("harbor".into()), day()).unwrap();
    assert_eq!(p.people.len(), 6);
    assert!(p.already_offboarded.is_empty());
    let services: Vec<&str> = p.services.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(services, ["docs-site", "status-page"]);
    assert!(
        p.services
            .iter()
            .all(|s| s.team_leaves && s.needs.contains(&"team"))
    );
    assert_eq!(p.services[0].remaining, ["priya"]);
    assert_eq!(p.credentials[0].id, "harbor-gitlab-deploy-token");
    assert_eq!(p.credentials[0].known_by.len(), 6);
    assert!(p.credentials[0].remaining.is_empty());
    let data = p
        .checklist
        .iter()
        .find(|c| c.key == "data_return_deletion")
        .unwrap();
    assert_eq!(
        data.coverage,
        Coverage::NotCovered {
            contract: "harbor-sow-2026".into(),
            clause: "data_return_deletion"
        }
    );
    let repos = p
        .checklist
        .iter()
        .find(|c| c.key == "repository_ownership_transfer")
        .unwrap();
    assert!(repos.details.iter().any(|d| d.contains("@acme/harbor")));
    assert!(
        repos
            .details
            .iter()
            .any(|d| d.contains("harbor-digital/acme"))
    );
}

#[test]
fn an_internal_team_has_no_contract_and_who_left_already_is_skipped() {
    let model = acme();
    let index = Index::new(&model);
    let p = plan(&index, OffboardTarget::Team("platform".into()), day()).unwrap();
    assert_eq!(p.people.len(), 5);
    assert_eq!(p.already_offboarded.len(), 1);
    assert_eq!(p.already_offboarded[0].handle, "gareth");
    assert_eq!(p.contract, None);
    assert!(
        p.checklist
            .iter()
            .filter(|c| c.key != "credential_rotation")
            .all(|c| c.coverage == Coverage::NoContract)
    );
    let again = plan(&index, person("gareth"), day()).unwrap();
    assert!(again.people.is_empty());
    assert!(again.services.is_empty() && again.credentials.is_empty());
    assert_eq!(
        again.already_offboarded[0].offboarded_on,
        Some("2026-08-29".parse().unwrap())
    );
}

#[test]
fn unknown_names_suggest_the_closest() {
    let model = acme();
    let index = Index::new(&model);
    let e = plan(&index, person("arjn"), day()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no person `arjn` in the model; did you mean `arjun`?"
    );
    let e = plan(&index, OffboardTarget::Team("nimbos".into()), day()).unwrap_err();
    assert!(
        matches!(e, OffboardError::UnknownTeam { suggestion: Some(ref s), .. } if s == "nimbus"),
        "{e}"
    );
    let e = plan(&index, OffboardTarget::Vendor("harbour".into()), day()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no vendor `harbour` in the model; did you mean `harbor`?"
    );
}

#[tokio::test]
async fn executing_withdraws_the_leavers_access_only_and_ledgers_each_step() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::default()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        // Arjun waits for production logs and holds staging; Kavya holds staging too.
        let pending = grants
            .request("arjun", &ask("prod-reader", "prod"), at(0))
            .await
            .unwrap();
        assert_eq!(pending.state, State::Pending, "{}", db.backend());
        let staging = grants
            .request("arjun", &ask("staging-deployer", "staging"), at(0))
            .await
            .unwrap();
        let staging = if staging.state == State::Pending {
            grants
                .approve("ruth", &staging.id, "release", at(1))
                .await
                .unwrap()
        } else {
            staging
        };
        assert_eq!(staging.state, State::Active);
        let kavya = grants
            .request("kavya", &ask("staging-deployer", "staging"), at(0))
            .await
            .unwrap();
        let kavya = if kavya.state == State::Pending {
            grants
                .approve("ruth", &kavya.id, "release", at(1))
                .await
                .unwrap()
        } else {
            kavya
        };

        let p = plan(&index, person("arjun"), day()).unwrap();
        // Vendor staff do not offboard anyone, nor do unknown people.
        let e = execute(&p, &grants, &ledger, &index, "kavya", at(5))
            .await
            .unwrap_err();
        assert!(matches!(e, OffboardError::NotAllowed { .. }), "{e}");
        let e = execute(&p, &grants, &ledger, &index, "elenor", at(5))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("did you mean `eleanor`"), "{e}");

        let done = execute(&p, &grants, &ledger, &index, "eleanor", at(5))
            .await
            .unwrap();
        assert_eq!(done.withdrawn.len(), 1);
        let changed: Vec<(&str, State)> = done.withdrawn[0]
            .1
            .iter()
            .map(|r| (r.id.as_str(), r.state))
            .collect();
        assert_eq!(changed.len(), 2, "{}", db.backend());
        assert!(changed.contains(&(pending.id.as_str(), State::Denied)));
        assert!(changed.contains(&(staging.id.as_str(), State::Revoked)));
        assert_eq!(grants.get(&kavya.id).await.unwrap().state, kavya.state);

        let model_entry = record_model_edit(&ledger, &p, "eleanor", at(6), "a", "b", false)
            .await
            .unwrap();
        assert_eq!(model_entry, done.first_entry + 2);

        let entries = ledger
            .query(&Query {
                limit: 1000,
                ..Query::default()
            })
            .await
            .unwrap();
        let offboarding: Vec<(String, String)> = entries
            .iter()
            .filter(|e| e.entry.kind.starts_with("offboard."))
            .map(|e| (e.entry.kind.clone(), e.entry.subject.clone()))
            .collect();
        let mut offboarding_sorted = offboarding.clone();
        offboarding_sorted.sort();
        assert_eq!(
            offboarding_sorted,
            [
                (kind::MODEL.to_owned(), "arjun".to_owned()),
                (kind::PERSON.to_owned(), "arjun".to_owned()),
                (kind::PLAN.to_owned(), "arjun".to_owned()),
            ]
        );
        let person_entry = entries
            .iter()
            .find(|e| e.entry.kind == kind::PERSON)
            .unwrap();
        let data = &person_entry.entry.data;
        assert_eq!(
            data["credentials"],
            serde_json::json!(["checkout-cdn-console"])
        );
        assert_eq!(
            data["services"][0],
            serde_json::json!({"service": "checkout-web", "as": "owner"})
        );
        assert_eq!(data["withdrawn"].as_array().unwrap().len(), 2);
        let reasons: Vec<&str> = entries
            .iter()
            .filter(|e| e.entry.kind == palisade_access::grants::kind::STATE)
            .filter_map(|e| e.entry.data["reason"].as_str())
            .collect();
        assert_eq!(reasons, ["offboarding arjun on 2026-12-01"; 2]);

        // Running it again withdraws nothing more, and still records the run.
        let again = execute(&p, &grants, &ledger, &index, "eleanor", at(7))
            .await
            .unwrap();
        assert!(again.withdrawn[0].1.is_empty());
    }
}
