//! The requests the authoriser builds fit the schema. A decision builds its
//! request without checking it against the schema, to keep decisions cheap;
//! this checks, once, every request the example's questions become.

use cedar_policy::{Context, EntityId, EntityUid, Request, Schema};
use palisade_access::policy::AccessQuestion;

use super::*;

fn uid(v: &serde_json::Value) -> EntityUid {
    EntityUid::from_type_name_and_id(
        v["type"].as_str().unwrap().parse().unwrap(),
        EntityId::new(v["id"].as_str().unwrap()),
    )
}

#[test]
fn every_request_fits_the_schema() {
    let model = acme();
    let a = authorizer_on(&model, day());
    let (schema, _) = Schema::from_cedarschema_str(a.schema_text()).unwrap();
    let people: Vec<&str> = model.people.iter().map(|p| p.handle.as_str()).collect();
    let mut envs: Vec<Option<&str>> = vec![None];
    envs.extend(model.environments.iter().map(|e| Some(e.id.as_str())));
    let mut asked: Vec<AccessQuestion<'_>> = Vec::new();
    for (i, p) in people.iter().enumerate() {
        for role in &model.roles {
            for &environment in &envs {
                let facts = ask(p, &role.id, environment, 60);
                asked.push(AccessQuestion::Request(facts));
                asked.push(AccessQuestion::Approve {
                    approver: people[(i + 1) % people.len()],
                    request: facts,
                });
                asked.push(AccessQuestion::Activate {
                    request: facts,
                    approvers: &[],
                });
            }
        }
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
    let mut checked = 0;
    for q in &asked {
        let json = a.request_json(q).unwrap();
        let action = uid(&json["action"]);
        let context = Context::from_json_value(json["context"].clone(), Some((&schema, &action)))
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
        Request::new(
            uid(&json["principal"]),
            action,
            uid(&json["resource"]),
            context,
            Some(&schema),
        )
        .unwrap_or_else(|e| panic!("{q:?}: {e}"));
        checked += 1;
    }
    assert!(checked > 1000, "{checked}");
}
