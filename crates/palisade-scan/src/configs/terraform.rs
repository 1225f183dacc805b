//! A Terraform (or OpenTofu) state, `*.tfstate`: every attribute value of every resource
//! in clear, the secret ones among them. Reported: the values the state itself marks
//! sensitive (each instance's `sensitive_attributes` paths, outputs with
//! `"sensitive": true`), and, for states written before Terraform recorded that, the
//! attributes whose names providers use for secrets.
//! <https://developer.hashicorp.com/terraform/language/state/sensitive-data>

use std::collections::HashSet;

use super::json::{self, Value};
use super::{Sink, place};

/// Attribute names that hold secrets in the major providers' resources (`aws_db_instance`
/// `password`, `aws_iam_access_key` `secret`, `tls_private_key` `private_key_pem`,
/// `azurerm_storage_account` `primary_access_key`…).
const SECRET_ATTRIBUTES: &[&str] = &[
    "password",
    "master_password",
    "admin_password",
    "administrator_login_password",
    "root_password",
    "secret",
    "client_secret",
    "secret_key",
    "secret_access_key",
    "ses_smtp_password_v4",
    "private_key",
    "private_key_pem",
    "private_key_openssh",
    "private_key_pem_pkcs8",
    "primary_access_key",
    "secondary_access_key",
    "primary_connection_string",
    "secondary_connection_string",
    "access_token",
    "auth_token",
    "token",
];

pub(super) fn read(data: &[u8], sink: &mut Sink) {
    let document = match json::parse(data) {
        Ok(value) => value,
        Err(e) => {
            sink.problem(format!("invalid JSON at {}: {}", place(data, e.at), e.what));
            return;
        }
    };
    let mut values: Vec<&json::Str> = Vec::new();
    if let Some(Value::Object(outputs)) = document.get("outputs") {
        for (_, output) in outputs {
            if matches!(output.get("sensitive"), Some(Value::Bool(true)))
                && let Some(value) = output.get("value")
            {
                strings(value, &mut values);
            }
        }
    }
    if let Some(Value::Array(resources)) = document.get("resources") {
        for resource in resources {
            let random_password = resource
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.value == b"random_password");
            let Some(Value::Array(instances)) = resource.get("instances") else {
                continue;
            };
            for instance in instances {
                let Some(attributes) = instance.get("attributes") else {
                    continue;
                };
                if let Some(Value::Array(paths)) = instance.get("sensitive_attributes") {
                    for path in paths {
                        let steps: &[Value] = match path {
                            Value::Array(steps) => steps,
                            step @ Value::Object(_) => std::slice::from_ref(step),
                            _ => continue,
                        };
                        if let Some(value) = follow(attributes, steps) {
                            strings(value, &mut values);
                        }
                    }
                }
                if let Value::Object(members) = attributes {
                    for (name, value) in members {
                        let secret = SECRET_ATTRIBUTES.iter().any(|s| name.value == s.as_bytes())
                            || random_password && name.value == b"result";
                        if secret {
                            strings(value, &mut values);
                        }
                    }
                }
            }
        }
    }
    let mut seen = HashSet::new();
    for value in values {
        if seen.insert(value.raw.start) {
            sink.credential(value.raw.clone(), &value.value);
        }
    }
}

/// The value at a `sensitive_attributes` path: steps `{"type": "get_attr", "value":
/// name}` and `{"type": "index", "value": {"value": key, "type": "number"|"string"}}`.
fn follow<'a>(mut at: &'a Value, steps: &[Value]) -> Option<&'a Value> {
    for step in steps {
        let kind = step.get("type").and_then(Value::as_str)?;
        let key = step.get("value")?;
        at = match (kind.value.as_slice(), at) {
            (b"get_attr", _) => at.get(std::str::from_utf8(&key.as_str()?.value).ok()?)?,
            (b"index", Value::Array(items)) => {
                let index = key.get("value")?;
                let Value::Number(Some(n)) = index else {
                    return None;
                };
                items.get(usize::try_from(*n).ok()?)?
            }
            (b"index", Value::Object(_)) => {
                let name = key.get("value").and_then(Value::as_str)?;
                at.get(std::str::from_utf8(&name.value).ok()?)?
            }
            _ => return None,
        };
    }
    Some(at)
}

/// Every string in `value`, nested ones included.
fn strings<'a>(value: &'a Value, out: &mut Vec<&'a json::Str>) {
    match value {
        Value::Str(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(members) => members.iter().for_each(|(_, v)| strings(v, out)),
        _ => {}
    }
}
