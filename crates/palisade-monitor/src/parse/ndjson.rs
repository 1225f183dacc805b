//! Any NDJSON log, through a field mapping declared in the model
//! (`[[monitor.ndjson]]`): which field holds the time (and in which format),
//! the actor (and what kind of name it is), the action, the resource, the
//! source address and the outcome. A dotted path (`actor.login`) reaches
//! into nested objects.
//!
//! Actions are kept as the log names them ([`Action::Other`]), except the
//! few every detector understands, recognised by name: `git.clone`,
//! `git.fetch`, `git.push`, `download` (an archive download), `login`,
//! `login_failed`, `session_open` and `session_close`.

use std::net::IpAddr;

use jiff::Timestamp;
use palisade_model::NdjsonMapping;
use serde_json::Value;

use crate::event::{Action, Actor, ActorKind, Event, Outcome, RawRef, Resource};
use crate::parse::{Parser, Problem, utf8};

/// Reads records of one mapped NDJSON source.
#[derive(Debug, Clone)]
pub struct Mapped {
    mapping: NdjsonMapping,
    actor_kind: ActorKind,
}

/// Why a mapping cannot be used (the model's check refuses these too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ndjson source `{name}`: {reason}")]
pub struct MappingError {
    /// The source's name.
    pub name: String,
    /// What is wrong.
    pub reason: String,
}

impl Mapped {
    /// A parser for `mapping`.
    pub fn new(mapping: &NdjsonMapping) -> Result<Mapped, MappingError> {
        let actor_kind = match mapping.actor_kind.as_str() {
            "email" => ActorKind::Email,
            "github" => ActorKind::GithubLogin,
            "gitlab" => ActorKind::GitlabUsername,
            "ssh_principal" => ActorKind::SshUser,
            "handle" => ActorKind::Handle,
            other => {
                return Err(MappingError {
                    name: mapping.name.clone(),
                    reason: format!("unknown actor_kind `{other}`"),
                });
            }
        };
        if !["rfc3339", "epoch_s", "epoch_ms"].contains(&mapping.time_format.as_str()) {
            return Err(MappingError {
                name: mapping.name.clone(),
                reason: format!("unknown time_format `{}`", mapping.time_format),
            });
        }
        Ok(Mapped {
            mapping: mapping.clone(),
            actor_kind,
        })
    }

    fn time(&self, value: &Value) -> Result<Timestamp, Problem> {
        let bad = |what: String| Problem::Field {
            field: "time",
            what,
        };
        match self.mapping.time_format.as_str() {
            "rfc3339" => value
                .as_str()
                .ok_or_else(|| bad("is not a string".to_owned()))?
                .parse::<Timestamp>()
                .map_err(|e| bad(format!("is not RFC 3339: {e}"))),
            unit => {
                let n = value
                    .as_i64()
                    .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                    .ok_or_else(|| bad("is not a whole number".to_owned()))?;
                let t = if unit == "epoch_ms" {
                    Timestamp::from_millisecond(n)
                } else {
                    Timestamp::from_second(n)
                };
                t.map_err(|e| bad(format!("is out of range: {e}")))
            }
        }
    }
}

/// The value at dotted `path` in `record`.
fn field<'v>(record: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(record, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The action a mapped log's name stands for.
pub fn action(name: &str) -> Action {
    match name {
        "git.clone" => Action::GitClone,
        "git.fetch" => Action::GitFetch,
        "git.push" => Action::GitPush,
        "download" => Action::ArchiveDownload,
        "login" => Action::Login {
            method: "unknown".to_owned(),
        },
        "login_failed" => Action::LoginFailed {
            method: "unknown".to_owned(),
        },
        "session_open" => Action::SessionOpen,
        "session_close" => Action::SessionClose,
        other => Action::Other {
            what: other.to_owned(),
        },
    }
}

impl Parser for Mapped {
    fn parse(&mut self, record: &[u8], at: RawRef) -> Result<Event, Problem> {
        let text_record = utf8(record)?;
        let trimmed = text_record.trim();
        if trimmed.is_empty() {
            return Err(Problem::Skipped("an empty line".to_owned()));
        }
        let value: Value = serde_json::from_str(trimmed).map_err(|e| {
            if e.is_eof() {
                Problem::Truncated(e.to_string())
            } else {
                Problem::Malformed(e.to_string())
            }
        })?;
        if !value.is_object() {
            return Err(Problem::Malformed(
                "the record is not a JSON object".to_owned(),
            ));
        }
        let m = &self.mapping;
        let time = self.time(field(&value, &m.time).ok_or(Problem::Field {
            field: "time",
            what: format!("(`{}`) is missing", m.time),
        })?)?;
        let actor = field(&value, &m.actor)
            .and_then(text)
            .filter(|s| !s.trim().is_empty())
            .ok_or(Problem::Field {
                field: "actor",
                what: format!("(`{}`) is missing or not text", m.actor),
            })?;
        let action_name = field(&value, &m.action)
            .and_then(text)
            .ok_or(Problem::Field {
                field: "action",
                what: format!("(`{}`) is missing or not text", m.action),
            })?;
        let resource =
            match &m.resource {
                Some(path) => field(&value, path).and_then(text).map(|name| {
                    match m.resource_kind.as_deref() {
                        Some("repository") => Resource::Repository(name),
                        Some("database") => Resource::Database(name),
                        _ => Resource::Host(name),
                    }
                }),
                None => None,
            };
        let source_address = match &m.source_address {
            Some(path) => match field(&value, path).and_then(text) {
                Some(s) => Some(s.parse::<IpAddr>().map_err(|_| Problem::Field {
                    field: "source_address",
                    what: format!("`{s}` is not an IP address"),
                })?),
                None => None,
            },
            None => None,
        };
        let outcome = match &m.outcome {
            Some(path) => match field(&value, path).and_then(text) {
                Some(v) => {
                    let v = v.to_ascii_lowercase();
                    let success = if m.success_values.is_empty() {
                        ["success", "ok", "true"].contains(&v.as_str())
                    } else {
                        m.success_values.iter().any(|s| s.eq_ignore_ascii_case(&v))
                    };
                    if success {
                        Outcome::Success
                    } else {
                        Outcome::Failure
                    }
                }
                None => Outcome::Unknown,
            },
            None => Outcome::Unknown,
        };
        Ok(Event {
            time,
            actor: Actor {
                name: actor,
                kind: self.actor_kind,
                person: None,
            },
            action: action(&action_name),
            resource,
            source_address,
            outcome,
            grant: None,
            serial: None,
            lossy: false,
            raw: at,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::event::Source;

    fn vpn() -> NdjsonMapping {
        NdjsonMapping {
            name: "vpn".to_owned(),
            time: "ts".to_owned(),
            time_format: "epoch_ms".to_owned(),
            actor: "user.email".to_owned(),
            actor_kind: "email".to_owned(),
            action: "event".to_owned(),
            resource: Some("gateway".to_owned()),
            resource_kind: None,
            source_address: Some("ip".to_owned()),
            outcome: Some("result".to_owned()),
            success_values: vec!["allowed".to_owned()],
        }
    }

    fn at(line: u64) -> RawRef {
        RawRef {
            source: Source::Ndjson,
            file: "vpn.ndjson".to_owned(),
            line,
            id: None,
        }
    }

    #[test]
    fn a_mapped_record_becomes_an_event_with_every_mapped_field() {
        let mut p = Mapped::new(&vpn()).unwrap();
        let e = p
            .parse(
                br#"{"ts": 1796115600000, "user": {"email": "arjun@nimbus.example"}, "event": "login", "gateway": "vpn-eu-1", "ip": "198.51.100.7", "result": "ALLOWED"}"#,
                at(1),
            )
            .unwrap();
        assert_eq!(e.time, Timestamp::from_second(1_796_115_600).unwrap());
        assert_eq!(e.actor.name, "arjun@nimbus.example");
        assert_eq!(e.actor.kind, ActorKind::Email);
        assert!(matches!(e.action, Action::Login { .. }));
        assert_eq!(e.resource, Some(Resource::Host("vpn-eu-1".to_owned())));
        assert_eq!(e.source_address, Some("198.51.100.7".parse().unwrap()));
        assert_eq!(e.outcome, Outcome::Success);
        let denied = p
            .parse(
                br#"{"ts": "1796115600000", "user": {"email": "x@y"}, "event": "tunnel.up", "result": "denied"}"#,
                at(2),
            )
            .unwrap();
        assert_eq!(denied.outcome, Outcome::Failure);
        assert_eq!(
            denied.action,
            Action::Other {
                what: "tunnel.up".to_owned()
            }
        );
    }

    #[test]
    fn bad_records_are_problems_that_say_which_field() {
        let mut p = Mapped::new(&vpn()).unwrap();
        let cases: [(&[u8], &str); 7] = [
            (b"{\"ts\": 1", "truncated"),
            (b"[1, 2]", "malformed"),
            (b"{\"user\": {\"email\": \"a@b\"}, \"event\": \"login\"}", "time"),
            (b"{\"ts\": \"soon\", \"user\": {\"email\": \"a@b\"}, \"event\": \"x\"}", "time"),
            (b"{\"ts\": 1, \"event\": \"login\"}", "actor"),
            (b"{\"ts\": 1, \"user\": {\"email\": \"a@b\"}, \"event\": \"x\", \"ip\": \"300.1.1.1\"}", "source_address"),
            (b"\xff\xfe{}", "UTF-8"),
        ];
        for (record, says) in cases {
            let err = p.parse(record, at(1)).unwrap_err();
            assert!(err.to_string().contains(says), "{err} should say {says}");
        }
        assert!(
            Mapped::new(&NdjsonMapping {
                actor_kind: "emial".to_owned(),
                ..vpn()
            })
            .is_err()
        );
    }

    proptest::proptest! {
        #[test]
        fn no_bytes_make_it_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let mut p = Mapped::new(&vpn()).unwrap();
            let _ = p.parse(&bytes, at(1));
        }
    }
}
