//! docker's `config.json` (and podman's `auth.json`, same format) and the legacy
//! `~/.dockercfg`: each registry's `auth` is base64 of `user:password`; a registry
//! whose credentials are in a credential store has no `auth`, or an empty one.
//! <https://docs.docker.com/reference/cli/docker/login/#credential-stores>

use super::json::{self, Value};
use super::{Sink, base64, place, shown};

/// `{"auths": {registry: {"auth": …}, …}, "credsStore": …}`.
pub(super) fn config(data: &[u8], sink: &mut Sink) {
    let Some(document) = document(data, sink) else {
        return;
    };
    match document.get("auths") {
        Some(Value::Object(registries)) => registries_of(registries, sink),
        Some(_) => sink.problem("`auths` is not an object".to_owned()),
        None => {}
    }
}

/// `{registry: {"auth": …, "email": …}, …}`.
pub(super) fn legacy(data: &[u8], sink: &mut Sink) {
    let Some(document) = document(data, sink) else {
        return;
    };
    match &document {
        Value::Object(registries) => registries_of(registries, sink),
        _ => sink.problem("the document is not an object of registries".to_owned()),
    }
}

fn document(data: &[u8], sink: &mut Sink) -> Option<Value> {
    match json::parse(data) {
        Ok(value) => Some(value),
        Err(e) => {
            sink.problem(format!("invalid JSON at {}: {}", place(data, e.at), e.what));
            None
        }
    }
}

fn registries_of(registries: &[(json::Str, Value)], sink: &mut Sink) {
    for (registry, entry) in registries {
        let Value::Object(_) = entry else {
            continue;
        };
        if let Some(auth) = entry.get("auth").and_then(Value::as_str)
            && !auth.value.is_empty()
        {
            match base64(&auth.value) {
                Some(pair) => match pair.iter().position(|&b| b == b':') {
                    Some(colon) => sink.credential(auth.raw.clone(), &pair[colon + 1..]),
                    None => sink.problem(format!(
                        "the auth of `{}` decodes to no `user:password`",
                        shown(&registry.value)
                    )),
                },
                // A template (`${DOCKER_AUTH}`, `<auth>`) is no credential, and no
                // broken one either.
                None if auth.value.iter().any(|b| b"$<{%".contains(b)) => {}
                None => sink.problem(format!(
                    "the auth of `{}` is not base64",
                    shown(&registry.value)
                )),
            }
        }
        // Written by some tools instead of `auth`, and docker reads them.
        for field in ["password", "identitytoken", "registrytoken"] {
            if let Some(value) = entry.get(field).and_then(Value::as_str) {
                sink.credential(value.raw.clone(), &value.value);
            }
        }
    }
}
