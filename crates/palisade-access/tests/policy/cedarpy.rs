//! Cross-check with Cedar's Python bindings (`cedarpy`, pinned in
//! scripts/test-tools/requirements.txt): our schema, policies and entities,
//! exported in Cedar's formats, reach the same decisions, for the same
//! reasons, in an engine we did not drive.

use std::io::Write as _;
use std::process::{Command, Stdio};

use palisade_access::policy::{AccessQuestion, Authorizer, RequestFacts};
use palisade_model::Model;

use super::*;

const SCRIPT: &str = r#"
import json, sys, cedarpy
data = json.load(sys.stdin)
schema = cedarpy.Schema.from_str(data["schema"]) if hasattr(cedarpy, "Schema") else data["schema"]
results = cedarpy.is_authorized_batch(data["requests"], data["policies"], data["entities"], schema)
out = []
for r in results:
    names = r.diagnostics.id_annotations_by_reason
    out.append({
        "allowed": r.allowed,
        "reasons": sorted(names.get(p, p) for p in r.diagnostics.reasons),
        "errors": [str(e) for e in r.diagnostics.errors],
    })
json.dump(out, sys.stdout)
"#;

/// Requester, role, environment, minutes, an approver (by position) and two approvers.
type Combination = (String, String, Option<String>, u32, usize, Vec<String>);

/// Every combination of the example's people, roles, environments and a
/// few durations, as requests, approvals, activations and uses.
fn questions(model: &Model) -> Vec<Combination> {
    let people: Vec<String> = model.people.iter().map(|p| p.handle.clone()).collect();
    let roles: Vec<String> = model.roles.iter().map(|r| r.id.clone()).collect();
    let mut envs: Vec<Option<String>> = vec![None];
    envs.extend(model.environments.iter().map(|e| Some(e.id.clone())));
    let mut out = Vec::new();
    for (i, p) in people.iter().enumerate() {
        for (j, r) in roles.iter().enumerate() {
            for e in &envs {
                for minutes in [60, 150, 600] {
                    // Approvers vary with the indices, so every pair is met somewhere.
                    let approver = (i * 7 + j * 3 + minutes as usize) % people.len();
                    let second = (approver + 5) % people.len();
                    out.push((
                        p.clone(),
                        r.clone(),
                        e.clone(),
                        minutes,
                        approver,
                        vec![people[approver].clone(), people[second].clone()],
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn cedarpy_reaches_the_same_decisions() {
    let Some(python) = palisade_test_support::tool("PALISADE_TEST_PYTHON") else {
        return;
    };
    let model = acme();
    let a: Authorizer = authorizer_on(&model, day())
        .with_org_policies(
            "access.cedar",
            "@id(\"no-harbor-staging\")\n@reason(\"Harbor observes\")\n\
             forbid(principal, action, resource == Role::\"staging-deployer\")\n\
             when { principal has vendor && principal.vendor == Vendor::\"harbor\" };\n",
        )
        .unwrap();
    let people: Vec<&str> = model.people.iter().map(|p| p.handle.as_str()).collect();
    let qs = questions(&model);
    let mut asked: Vec<AccessQuestion<'_>> = Vec::new();
    for (p, r, e, minutes, approver, approvers) in &qs {
        let facts = RequestFacts {
            requester: p,
            role: r,
            environment: e.as_deref(),
            minutes: *minutes,
        };
        asked.push(AccessQuestion::Request(facts));
        asked.push(AccessQuestion::Approve {
            approver: people[*approver],
            request: facts,
        });
        let approvers: &'static [&'static str] = Box::leak(
            approvers
                .iter()
                .map(|s| &*Box::leak(s.clone().into_boxed_str()))
                .collect::<Vec<&str>>()
                .into_boxed_slice(),
        );
        asked.push(AccessQuestion::Activate {
            request: facts,
            approvers,
        });
    }
    for p in &people {
        for env in &model.environments {
            for res in &env.resources {
                for &access in &res.access {
                    asked.push(AccessQuestion::Use {
                        person: p,
                        environment: &env.id,
                        resource: Some(&res.id),
                        access,
                    });
                }
            }
        }
    }
    let requests: Vec<serde_json::Value> =
        asked.iter().map(|q| a.request_json(q).unwrap()).collect();
    let policies: String = a
        .policy_texts()
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("\n\n");
    let input = serde_json::json!({
        "schema": a.schema_text(),
        "policies": policies,
        "entities": a.entities_json().unwrap(),
        "requests": requests,
    });
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "cedarpy failed");
    let theirs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(theirs.len(), asked.len());

    let (mut allowed, mut denied) = (0, 0);
    for (q, t) in asked.iter().zip(&theirs) {
        let ours = a.decide(q);
        let t_allowed = t["allowed"].as_bool().unwrap();
        assert_eq!(
            ours.allowed, t_allowed,
            "{q:?}: ours {ours:#?}, cedarpy {t}"
        );
        assert!(t["errors"].as_array().unwrap().is_empty(), "{q:?}: {t}");
        let mut our_ids: Vec<&str> = ids(&ours);
        our_ids.sort_unstable();
        let their_ids: Vec<&str> = t["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(our_ids, their_ids, "{q:?}");
        if ours.allowed {
            allowed += 1;
        } else {
            denied += 1;
        }
    }
    // The questions exercise both outcomes in earnest.
    assert!(
        allowed > 200 && denied > 200,
        "{allowed} allowed, {denied} denied"
    );
}
