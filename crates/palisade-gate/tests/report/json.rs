//! `report::json`: the documented fields, and the version marker.

use palisade_gate::report::{JSON_SCHEMA, json};

use super::fixtures;

#[test]
fn the_documented_fields_are_there() {
    for (name, v) in fixtures::all() {
        let doc = json(&v);
        assert_eq!(doc["schema"], "palisade.gate.verdict/v1", "{name}");
        assert_eq!(doc["schema"], JSON_SCHEMA);
        assert_eq!(doc["verdict"], v.verdict.key(), "{name}");
        assert_eq!(doc["plan"], v.plan, "{name}");
        assert_eq!(doc["tier"], v.tier.key(), "{name}");
        assert_eq!(doc["base"], v.base, "{name}");
        assert_eq!(doc["head"], v.head, "{name}");
        let services = doc["services"].as_array().unwrap();
        assert_eq!(services.len(), v.services.len(), "{name}");
        assert_eq!(services[0]["id"], v.services[0].id, "{name}");
        assert_eq!(services[0]["risk"], v.services[0].risk.key(), "{name}");
        let controls = doc["controls"].as_array().unwrap();
        assert_eq!(controls.len(), v.controls.len(), "{name}");
        for (j, c) in controls.iter().zip(&v.controls) {
            assert_eq!(j["id"], c.id.key(), "{name}");
            assert_eq!(j["result"], c.result.key(), "{name}");
            // The JSON has the whole text, never cut or cleaned.
            assert_eq!(j["reason"], c.reason, "{name}");
            assert_eq!(j["provide"].as_str(), c.provide.as_deref(), "{name}");
            assert_eq!(j["waiver"].as_str(), c.waiver.as_deref(), "{name}");
        }
        assert_eq!(
            doc["evidence"].as_array().unwrap().len(),
            v.evidence.len(),
            "{name}"
        );
    }
}

#[test]
fn it_is_the_verdict_as_serialised_plus_the_schema() {
    for (name, v) in fixtures::all() {
        let mut doc = json(&v);
        doc.as_object_mut().unwrap().remove("schema");
        assert_eq!(doc, serde_json::to_value(&v).unwrap(), "{name}");
    }
}

/// `value` with every object's keys sorted: serde_json keeps insertion order
/// once any dependency asks for it, so the snapshot must not depend on it.
fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}

#[test]
fn snapshot_of_a_warning_verdict() {
    insta::assert_snapshot!(
        "json_warn",
        serde_json::to_string_pretty(&sorted(json(&fixtures::warn()))).unwrap()
    );
}
