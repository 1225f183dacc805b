//! The organisation's own policies: enforced when they validate, rejected
//! with the policy and its place when they do not.

use palisade_access::policy::{PolicyError, PolicyOrigin};

use super::*;

const NIMBUS_NO_STAGING: &str = r#"// Acme's own rules.

@id("nimbus-no-staging-deploys")
@reason("Nimbus deploys to staging through the release train, not by hand")
forbid(principal, action == Action::"request", resource == Role::"staging-deployer")
when { principal has vendor && principal.vendor == Vendor::"nimbus" };
"#;

#[test]
fn an_organisation_policy_that_forbids_is_enforced() {
    let a = authorizer_on(&acme(), day());
    assert_allowed(&request(&a, ask("wei", "staging-deployer", None, 60)));
    let a = a
        .with_org_policies("access.cedar", NIMBUS_NO_STAGING)
        .unwrap();
    let d = request(&a, ask("wei", "staging-deployer", None, 60));
    assert_denied_by(&d, "org/nimbus-no-staging-deploys");
    let p = &d.policies[0];
    assert_eq!(p.origin, PolicyOrigin::Organisation);
    assert!(p.reason.contains("release train"));
    // Internal people are untouched.
    assert_allowed(&request(&a, ask("ruth", "staging-deployer", None, 60)));
    assert!(a.org_policies_text().is_some());
}

#[test]
fn an_organisation_policy_that_does_not_validate_is_rejected_with_its_place() {
    let text = r#"@id("fine")
forbid(principal, action == Action::"request", resource)
when { principal.phase == "observe" };

@id("needs-clearance")
forbid(principal, action == Action::"request", resource)
when { principal.clearance < 3 };
"#;
    let err = authorizer_on(&acme(), day())
        .with_org_policies("access.cedar", text)
        .unwrap_err();
    let PolicyError::OrgPolicies { file, problems } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(file, "access.cedar");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let p = &problems[0];
    assert_eq!(p.policy.as_deref(), Some("org/needs-clearance"));
    assert_eq!((p.line, p.column), (7, 8), "{p}");
    assert!(p.message.contains("clearance"), "{p}");
    let shown = err.to_string();
    assert!(
        shown.contains("access.cedar")
            && shown.contains("line 7")
            && shown.contains("needs-clearance"),
        "{shown}"
    );
}

#[test]
fn an_organisation_policy_on_an_unknown_entity_type_is_rejected() {
    let text = "permit(principal == User::\"root\", action, resource);\n";
    let err = authorizer_on(&acme(), day())
        .with_org_policies("access.cedar", text)
        .unwrap_err();
    let PolicyError::OrgPolicies { problems, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(problems[0].policy.as_deref(), Some("org/policy0"));
    assert_eq!(problems[0].line, 1);
}

#[test]
fn an_organisation_policy_that_does_not_parse_is_rejected_with_its_place() {
    let text = "\n\nforbid(principal, action, resource) when { principal.active &&& true };\n";
    let err = authorizer_on(&acme(), day())
        .with_org_policies("access.cedar", text)
        .unwrap_err();
    let PolicyError::OrgPolicies { problems, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(problems[0].line, 3, "{err}");
}

#[test]
fn organisation_policy_ids_do_not_clash() {
    let text = "@id(\"x\")\nforbid(principal, action, resource) when { false };\n\
                @id(\"x\")\nforbid(principal, action, resource) when { false };\n";
    let err = authorizer_on(&acme(), day())
        .with_org_policies("access.cedar", text)
        .unwrap_err();
    assert!(err.to_string().contains("org/x"), "{err}");
}

#[test]
fn an_organisation_policy_applies_to_the_actions_its_scope_names() {
    // Each action is decided by the policies whose scope admits it; a
    // policy may also name actions in its condition.
    let text = r#"@id("ruth-approves-nothing")
@reason("ruth is on leave")
forbid(principal, action in [Action::"approve", Action::"activate"], resource)
when { principal == Person::"ruth" };

@id("wei-only-asks")
@reason("wei may only ask")
forbid(principal, action, resource)
when { principal == Person::"wei" && action != Action::"request" };
"#;
    let a = authorizer_on(&acme(), day())
        .with_org_policies("access.cedar", text)
        .unwrap();
    let staging = ask("wei", "staging-deployer", None, 60);
    assert_allowed(&request(&a, staging));
    assert_allowed(&request(&a, ask("ruth", "staging-deployer", None, 60)));
    assert_denied_by(&approve(&a, "ruth", staging), "org/ruth-approves-nothing");
    let d = a.decide(&AccessQuestion::Activate {
        request: ask("ruth", "staging-deployer", None, 60),
        approvers: &[],
    });
    assert_denied_by(&d, "org/ruth-approves-nothing");
    assert_denied_by(
        &approve(&a, "wei", ask("ruth", "staging-deployer", None, 60)),
        "org/wei-only-asks",
    );
    let d = a.decide(&AccessQuestion::Activate {
        request: staging,
        approvers: &["ruth"],
    });
    assert_denied_by(&d, "org/wei-only-asks");
    assert_denied_by(&d.approvals[0].decision, "org/ruth-approves-nothing");
}

/// Organisation policies may read the request's context: `requester`,
/// `environment` (only when the request narrows the role to one), `minutes`
/// and `approvals`; the role is the resource.
const SHORT_STAGING: &str = r#"@id("short-staging")
@reason("staging grants narrowed to staging last at most an hour")
forbid(principal, action in [Action::"request", Action::"activate"], resource)
when {
  context has environment &&
  context.environment == Environment::"staging" &&
  context.minutes > 60
};

@id("others-approve-vendors")
@reason("a vendor's request is approved by someone outside their team")
forbid(principal, action == Action::"approve", resource)
when {
  context.requester.team_kind == "vendor" &&
  principal.team == context.requester.team
};
"#;

#[test]
fn an_organisation_policy_reads_the_requests_context() {
    let a = authorizer_on(&acme(), day())
        .with_org_policies("access.cedar", SHORT_STAGING)
        .unwrap();
    let narrowed = ask("wei", "staging-deployer", Some("staging"), 90);
    assert_denied_by(&request(&a, narrowed), "org/short-staging");
    assert_allowed(&request(
        &a,
        ask("wei", "staging-deployer", Some("staging"), 60),
    ));
    // Not narrowed: the request covers every environment of the role, and
    // `context has environment` is false.
    assert_allowed(&request(&a, ask("wei", "staging-deployer", None, 90)));
    // arjun is on wei's vendor team.
    assert_denied_by(
        &approve(&a, "arjun", ask("wei", "staging-deployer", None, 60)),
        "org/others-approve-vendors",
    );
    let json = a.request_json(&AccessQuestion::Request(narrowed)).unwrap();
    assert_eq!(
        json["context"],
        serde_json::json!({
            "requester": {"__entity": {"type": "Person", "id": "wei"}},
            "environment": {"__entity": {"type": "Environment", "id": "staging"}},
            "minutes": 90,
            "approvals": 0,
        })
    );
}

#[test]
fn an_organisation_policy_on_the_old_nested_context_is_rejected_with_its_place() {
    // Before the context was flattened, a request's facts were under
    // `context.request`; a policy still written that way must not load.
    let text = r#"@id("old")
forbid(principal, action == Action::"request", resource)
when { context.request.minutes > 60 };
"#;
    let err = authorizer_on(&acme(), day())
        .with_org_policies("access.cedar", text)
        .unwrap_err();
    let PolicyError::OrgPolicies { problems, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(problems[0].policy.as_deref(), Some("org/old"));
    assert_eq!(problems[0].line, 3, "{err}");
    assert!(problems[0].message.contains("request"), "{err}");
}

#[test]
fn an_organisation_policy_scoped_to_a_cohort_applies_to_its_members_only() {
    // Each form of cohort scope: `in`, and `is Person in`.
    let text = r#"@id("vendors-no-staging")
@reason("vendors deploy to staging through the release train")
forbid(principal in Cohort::"vendor", action == Action::"request", resource == Role::"staging-deployer");

@id("vendors-short")
@reason("vendors' grants last at most two hours")
forbid(principal is Person in Cohort::"vendor", action == Action::"request", resource)
when { context.minutes > 120 };
"#;
    let a = authorizer_on(&acme(), day())
        .with_org_policies("access.cedar", text)
        .unwrap();
    assert_denied_by(
        &request(&a, ask("wei", "staging-deployer", None, 60)),
        "org/vendors-no-staging",
    );
    assert_denied_by(
        &request(&a, ask("wei", "dev-developer", None, 180)),
        "org/vendors-short",
    );
    assert_allowed(&request(&a, ask("wei", "dev-developer", None, 60)));
    assert_allowed(&request(&a, ask("ruth", "staging-deployer", None, 180)));
}
