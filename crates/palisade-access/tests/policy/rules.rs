//! Each generated rule, on the example organisation.

use palisade_access::policy::{
    AccessQuestion, AccessSettings, ActiveGrant, Authorizer, PolicyOrigin,
};
use palisade_model::{Access, GrantDuration, Index, Role, RoleGrant, TeamKind};

use super::*;

#[test]
fn schema_and_policies_name_every_rule_with_a_reason() {
    let a = authorizer_on(&acme(), day());
    let ids: Vec<&str> = a.policies().map(|p| p.id.as_str()).collect();
    for id in [
        "role-eligibility",
        "role-phase",
        "observe-no-production",
        "environment-sensitivity",
        "max-duration",
        "approvals-required",
        "approver-owner",
        "production-approver-internal",
        "no-self-approval",
        "vendor-approves-vendor-production",
        "vetting-current",
    ] {
        assert!(ids.contains(&id), "no policy {id}");
    }
    assert!(a.policies().all(|p| !p.reason.is_empty()));
    assert!(a.policies().all(|p| p.origin == PolicyOrigin::Generated));
    assert!(
        a.schema_text()
            .contains("entity Person in [Team, Role, Grant, Cohort]")
    );
    for (id, text) in a.policy_texts() {
        assert!(text.contains(&format!("@id(\"{id}\")")), "{text}");
    }
}

#[test]
fn a_vetted_vendor_in_co_deliver_may_request_prod_reader() {
    let a = authorizer_on(&acme(), day());
    let d = request(&a, ask("arjun", "prod-reader", None, 120));
    assert_allowed(&d);
    assert_eq!(ids(&d), ["jit-request"]);
}

#[test]
fn a_vendor_in_observe_cannot_request_a_production_role() {
    let a = authorizer_on(&acme(), day());
    let d = request(&a, ask("katarzyna", "prod-reader", None, 60));
    assert_denied_by(&d, "observe-no-production");
    assert_denied_by(&d, "role-phase");
    // Narrowed to production it is still a production role.
    let d = request(&a, ask("katarzyna", "prod-reader", Some("prod"), 60));
    assert_denied_by(&d, "observe-no-production");
}

#[test]
fn role_eligibility_follows_team_kinds_and_phases() {
    let a = authorizer_on(&acme(), day());
    // payments-db-admin is for internal teams only.
    assert_denied_by(
        &request(&a, ask("arjun", "payments-db-admin", None, 60)),
        "role-eligibility",
    );
    assert_allowed(&request(&a, ask("eleanor", "payments-db-admin", None, 60)));
    // prod-deployer is for vendor teams in phase own; internal people are not phased.
    assert_denied_by(
        &request(&a, ask("arjun", "prod-deployer", None, 60)),
        "role-phase",
    );
    assert_allowed(&request(&a, ask("dana", "prod-deployer", None, 60)));
}

#[test]
fn a_request_names_only_environments_the_role_grants() {
    let a = authorizer_on(&acme(), day());
    assert_denied_by(
        &request(&a, ask("wei", "staging-deployer", Some("prod"), 60)),
        "role-environment",
    );
    assert_allowed(&request(
        &a,
        ask("wei", "staging-deployer", Some("staging"), 60),
    ));
    // prod-deployer includes staging-deployer, so it reaches staging too.
    assert_allowed(&request(
        &a,
        ask("dana", "prod-deployer", Some("staging"), 60),
    ));
}

#[test]
fn duration_is_bounded_by_the_role_or_the_default() {
    let model = acme();
    let a = authorizer_on(&model, day());
    // payments-db-admin: max_duration = "2h".
    assert_allowed(&request(&a, ask("eleanor", "payments-db-admin", None, 120)));
    assert_denied_by(
        &request(&a, ask("eleanor", "payments-db-admin", None, 121)),
        "max-duration",
    );
    assert_denied_by(
        &request(&a, ask("eleanor", "payments-db-admin", None, 0)),
        "max-duration",
    );
    // dev-developer has none: the default, 8h unless the caller says otherwise.
    assert_allowed(&request(&a, ask("tomas", "dev-developer", None, 480)));
    assert_denied_by(
        &request(&a, ask("tomas", "dev-developer", None, 540)),
        "max-duration",
    );
    let index = Index::new(&model);
    let longer = AccessSettings {
        default_max_duration: GrantDuration::from_minutes(600),
    };
    let a = Authorizer::new(&index, day(), &longer).unwrap();
    assert_allowed(&request(&a, ask("tomas", "dev-developer", None, 540)));
}

/// The example plus a production admin role that names no team kinds, and
/// the same role opened to vendors by name.
fn with_prod_admin_roles() -> palisade_model::Model {
    let mut model = acme();
    let grant = RoleGrant {
        environment: "prod".into(),
        resources: vec!["prod-hosts".into()],
        access: Access::Admin,
    };
    let role = |id: &str, team_kinds: Vec<TeamKind>| Role {
        id: id.into(),
        description: String::new(),
        grants: vec![grant.clone()],
        includes: vec![],
        max_duration: None,
        approvals: 1,
        team_kinds,
        phases: vec![],
        repositories: Vec::new(),
    };
    model.roles.push(role("prod-host-admin", vec![]));
    model.roles.push(role(
        "prod-host-admin-vendors",
        vec![TeamKind::Internal, TeamKind::Vendor],
    ));
    model
}

#[test]
fn critical_admin_needs_internal_or_own_or_a_role_naming_vendors() {
    let a = authorizer_on(&with_prod_admin_roles(), day());
    assert_denied_by(
        &request(&a, ask("arjun", "prod-host-admin", None, 60)),
        "environment-sensitivity",
    );
    assert_allowed(&request(&a, ask("eleanor", "prod-host-admin", None, 60)));
    assert_allowed(&request(
        &a,
        ask("arjun", "prod-host-admin-vendors", None, 60),
    ));
}

#[test]
fn an_internal_owner_can_approve_and_so_can_a_service_owner() {
    let a = authorizer_on(&acme(), day());
    let facts = ask("arjun", "prod-reader", None, 120);
    // eleanor owns prod.
    let d = approve(&a, "eleanor", facts);
    assert_allowed(&d);
    assert_eq!(ids(&d), ["approve-request"]);
    // omar owns analytics-etl, deployed to prod.
    assert_allowed(&approve(&a, "omar", facts));
}

#[test]
fn an_approver_owns_the_environment_or_a_service_in_it() {
    let a = authorizer_on(&acme(), day());
    // katarzyna owns docs-site, which is only in prod.
    assert_denied_by(
        &approve(&a, "katarzyna", ask("wei", "staging-deployer", None, 60)),
        "approver-owner",
    );
    // ruth owns staging.
    assert_allowed(&approve(
        &a,
        "ruth",
        ask("wei", "staging-deployer", None, 60),
    ));
}

#[test]
fn nobody_approves_their_own_request() {
    let a = authorizer_on(&acme(), day());
    let d = approve(&a, "eleanor", ask("eleanor", "payments-db-admin", None, 60));
    assert_denied_by(&d, "no-self-approval");
}

#[test]
fn a_vendor_never_approves_a_vendors_production_request() {
    let a = authorizer_on(&acme(), day());
    // kavya owns notifications, deployed to prod, but is a vendor.
    let d = approve(&a, "kavya", ask("arjun", "prod-reader", None, 60));
    assert_denied_by(&d, "vendor-approves-vendor-production");
    assert_denied_by(&d, "production-approver-internal");
    // Outside production a vendor owner may approve (meera's app is in staging).
    assert_allowed(&approve(
        &a,
        "meera",
        ask("wei", "staging-deployer", None, 60),
    ));
}

#[test]
fn offboarded_people_do_nothing() {
    let a = authorizer_on(&acme(), day());
    assert_denied_by(
        &request(&a, ask("gareth", "dev-developer", None, 60)),
        "person-active",
    );
}

#[test]
fn a_grant_activates_only_with_enough_valid_approvals() {
    let a = authorizer_on(&acme(), day());
    let facts = ask("eleanor", "payments-db-admin", None, 60);
    let activate = |approvers: &[&str]| {
        a.decide(&AccessQuestion::Activate {
            request: facts,
            approvers,
        })
    };
    assert_allowed(&activate(&["sofia", "dana"]));
    assert_denied_by(&activate(&[]), "approvals-required");
    assert_denied_by(&activate(&["sofia"]), "approvals-required");
    // The same approver twice counts once; one's own approval not at all.
    let d = activate(&["sofia", "sofia"]);
    assert_denied_by(&d, "approvals-required");
    assert!(d.approvals[0].decision.allowed && !d.approvals[1].decision.allowed);
    let d = activate(&["eleanor", "sofia"]);
    assert_denied_by(&d, "approvals-required");
    assert_denied_by(&d.approvals[0].decision, "no-self-approval");
    // A vendor's approval of a vendor's production request does not count.
    let d = a.decide(&AccessQuestion::Activate {
        request: ask("arjun", "prod-reader", None, 60),
        approvers: &["kavya"],
    });
    assert_denied_by(&d, "approvals-required");
    let d = a.decide(&AccessQuestion::Activate {
        request: ask("arjun", "prod-reader", None, 60),
        approvers: &["kavya", "eleanor"],
    });
    assert_allowed(&d);
}

#[test]
fn vetting_must_be_current_on_the_day() {
    let model = acme();
    assert_allowed(&request(
        &authorizer_on(&model, day()),
        ask("eleanor", "payments-db-admin", None, 60),
    ));
    // Her secure-coding training (2026-09-14) is more than 365 days old by then.
    let later = authorizer_on(&model, "2027-10-01".parse().unwrap());
    assert_denied_by(
        &request(&later, ask("eleanor", "payments-db-admin", None, 60)),
        "vetting-current",
    );
    // tomas has no vetting records at all; outside production it does not matter.
    let a = authorizer_on(&model, day());
    assert_denied_by(
        &request(&a, ask("tomas", "incident-responder", None, 60)),
        "vetting-current",
    );
    assert_allowed(&request(&a, ask("tomas", "dev-developer", None, 60)));
}

#[test]
fn grants_are_data_and_revoking_one_takes_its_access_away() {
    let use_db = AccessQuestion::Use {
        person: "eleanor",
        environment: "prod",
        resource: Some("payments-db"),
        access: Access::Admin,
    };
    let a = authorizer_on(&acme(), day());
    let before = a.policy_texts();
    let d = a.decide(&use_db);
    assert!(!d.allowed && d.policies.is_empty(), "{d:#?}");
    let mut a = a
        .with_grants(&[ActiveGrant {
            id: "g-1".into(),
            person: "eleanor".into(),
            role: "payments-db-admin".into(),
        }])
        .unwrap();
    let d = a.decide(&use_db);
    assert_allowed(&d);
    assert_eq!(ids(&d), ["use-granted"]);
    assert!(a.revoke_grant("g-1").unwrap());
    assert!(!a.decide(&use_db).allowed);
    assert!(!a.revoke_grant("g-1").unwrap());
    assert_eq!(a.policy_texts(), before, "revoking changed no policy");
    // Standing roles count as well: arjun reads prod hosts as a prod-reader.
    assert_allowed(&a.decide(&AccessQuestion::Use {
        person: "arjun",
        environment: "prod",
        resource: Some("prod-hosts"),
        access: Access::Read,
    }));
}

#[test]
fn a_grant_naming_an_unknown_role_is_refused() {
    let a = authorizer_on(&acme(), day());
    let err = a
        .with_grants(&[ActiveGrant {
            id: "g-2".into(),
            person: "eleanor".into(),
            role: "no-such-role".into(),
        }])
        .unwrap_err();
    assert!(err.to_string().contains("no-such-role"), "{err}");
}

#[test]
fn unknown_names_are_denied_with_the_reason() {
    let a = authorizer_on(&acme(), day());
    for (facts, word) in [
        (ask("nobody", "prod-reader", None, 60), "nobody"),
        (ask("arjun", "no-role", None, 60), "no-role"),
        (ask("arjun", "prod-reader", Some("mars"), 60), "mars"),
    ] {
        let d = request(&a, facts);
        assert!(!d.allowed);
        assert!(d.problems.iter().any(|p| p.contains(word)), "{d:#?}");
    }
}

#[test]
fn cohorts_agree_with_the_attributes_they_name() {
    // The generated rules scope on cohorts, and the authoriser leaves out
    // rules whose cohort excludes the principal; both are right only while
    // each cohort is exactly the condition on attributes it names.
    let text = r#"@id("cohort-mismatch")
@reason("a cohort disagrees with the attributes")
forbid(principal, action, resource)
when {
  (principal in Cohort::"offboarded") != !principal.active ||
  (principal in Cohort::"vendor") != (principal.team_kind == "vendor") ||
  (principal in Cohort::"vendor-not-own") != (principal.team_kind == "vendor" && principal.phase != "own") ||
  (principal in Cohort::"observe") != (principal.phase == "observe") ||
  (principal in Cohort::"not-internal") != (principal.team_kind != "internal") ||
  (principal in Cohort::"vetting-lapsed") != !principal.vetting_current
};
"#;
    let model = acme();
    for day in [day(), "2031-01-01".parse().unwrap()] {
        let a = authorizer_on(&model, day)
            .with_org_policies("access.cedar", text)
            .unwrap();
        for p in &model.people {
            let d = request(&a, ask(&p.handle, &model.roles[0].id, None, 60));
            assert!(
                d.problems.is_empty() && !ids(&d).contains(&"org/cohort-mismatch"),
                "{}: {d:#?}",
                p.handle
            );
        }
        // Every cohort has members, so the check above meets each.
        let entities = a.entities_json().unwrap();
        for cohort in [
            "offboarded",
            "vendor",
            "vendor-not-own",
            "observe",
            "not-internal",
            "vetting-lapsed",
        ] {
            let in_it = entities.as_array().unwrap().iter().any(|e| {
                e["uid"]["type"] == "Person"
                    && e["parents"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["type"] == "Cohort" && p["id"] == cohort)
            });
            assert!(in_it, "nobody in cohort {cohort}");
        }
    }
}
