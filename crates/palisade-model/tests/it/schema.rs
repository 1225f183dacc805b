//! The published JSON Schema accepts the example models and rejects broken ones.

use serde_json::Value;

use crate::{acme, fixtures, toml_files};

/// TOML to the JSON form the schema describes: dates become strings.
fn to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, to_json(v))).collect())
        }
    }
}

fn instance(path: &std::path::Path) -> Value {
    to_json(toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&palisade_model::json_schema()).unwrap()
}

#[test]
fn schema_accepts_the_example_models() {
    let v = validator();
    let mut models = toml_files(&fixtures().join("valid"));
    models.push(acme());
    for path in models {
        let json = instance(&path);
        let errors: Vec<String> = v.iter_errors(&json).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

#[test]
fn schema_rejects_structurally_broken_models() {
    let v = validator();
    for name in [
        "unknown-key",
        "unknown-value",
        "wrong-type",
        "missing-key",
        "invalid-duration",
    ] {
        let json = instance(&fixtures().join("broken").join(format!("{name}.toml")));
        assert!(
            !v.is_valid(&json),
            "{name} should be rejected by the schema"
        );
    }
}

#[test]
fn schema_agrees_with_the_parser_on_shape() {
    // Semantic errors (a reference to nothing) are the checker's job, not
    // the schema's: such models are well-formed.
    let v = validator();
    for name in [
        "unknown-owner",
        "duplicate-id",
        "role-cycle",
        "missing-backup-owner",
    ] {
        let json = instance(&fixtures().join("broken").join(format!("{name}.toml")));
        assert!(v.is_valid(&json), "{name} is well-formed");
    }
}

#[test]
fn schema_describes_every_top_level_table() {
    let schema = palisade_model::json_schema();
    let props = schema["properties"].as_object().unwrap();
    for key in [
        "org",
        "teams",
        "people",
        "services",
        "environments",
        "roles",
        "gates",
        "contracts",
    ] {
        assert!(props.contains_key(key), "schema lacks {key}");
    }
    assert_eq!(schema["additionalProperties"], Value::Bool(false));
}
