//! Palisade's own ledger as a source: what people did through Palisade
//! (grants that started, break-glass uses, credentials issued, revoked or
//! abandoned) as events, so the detectors judge them like any other
//! activity, and an SSH certificate or database login names its grant.
//!
//! | entry | event |
//! |---|---|
//! | `access.state` to `active` | `access.granted`, by the grant's holder |
//! | `access.break_glass` | `access.break_glass`, by its user |
//! | `access.credential` phase `issued` | `access.credential.issued` on the resource, under the grant |
//!
//! Other entries are skipped (counted, not errors): requests, approvals and
//! revocations are decisions about access, not its use, and a credential's
//! other phases (intended, revoking, revoked, abandoned) are Palisade's
//! bookkeeping, done by whoever ran the command.

use palisade_ledger::entry::Entry;

use crate::event::{Action, Actor, ActorKind, Event, Outcome, RawRef, Resource, Source};
use crate::parse::Problem;

/// The event a ledger entry stands for, or why it stands for none.
pub fn event(entry: &Entry) -> Result<Event, Problem> {
    let data = &entry.data;
    let text = |key: &str| data.get(key).and_then(|v| v.as_str());
    let (what, actor, outcome, resource, grant) = match entry.kind.as_str() {
        "access.state" if text("to") == Some("active") => (
            "access.granted",
            text("requester").unwrap_or(&entry.actor).to_owned(),
            Outcome::Success,
            None,
            Some(entry.subject.clone()),
        ),
        "access.break_glass" => (
            "access.break_glass",
            entry.actor.clone(),
            Outcome::Success,
            None,
            Some(entry.subject.clone()),
        ),
        "access.credential" => {
            let phase = text("phase").ok_or(Problem::Field {
                field: "phase",
                what: "is missing from an access.credential entry".to_owned(),
            })?;
            let (what, outcome) = match phase {
                "issued" => ("access.credential.issued", Outcome::Success),
                other => {
                    return Err(Problem::Skipped(format!(
                        "credential phase `{other}` is a step, not a use"
                    )));
                }
            };
            let name = format!(
                "{}/{}",
                text("environment").unwrap_or("?"),
                text("resource").unwrap_or("?")
            );
            let resource = match text("kind") {
                Some("database_role") => Resource::Database(name),
                _ => Resource::Host(name),
            };
            (
                what,
                entry.actor.clone(),
                outcome,
                Some(resource),
                Some(entry.subject.clone()),
            )
        }
        other => {
            return Err(Problem::Skipped(format!(
                "`{other}` is not activity the monitor reads"
            )));
        }
    };
    Ok(Event {
        time: entry.time,
        actor: Actor {
            name: actor,
            kind: ActorKind::Handle,
            person: None,
        },
        action: Action::Other {
            what: what.to_owned(),
        },
        resource,
        source_address: None,
        outcome,
        grant,
        serial: None,
        lossy: false,
        raw: RawRef {
            source: Source::Ledger,
            file: "ledger".to_owned(),
            line: entry.index + 1,
            id: Some(entry.index.to_string()),
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use jiff::Timestamp;
    use serde_json::json;

    use super::*;

    fn entry(kind: &str, data: serde_json::Value) -> Entry {
        Entry {
            index: 41,
            time: Timestamp::from_second(1_796_115_600).unwrap(),
            actor: "james".to_owned(),
            kind: kind.to_owned(),
            subject: "req-1".to_owned(),
            data,
        }
    }

    #[test]
    fn grants_break_glass_and_credentials_become_events_under_their_grant() {
        let granted = event(&entry(
            "access.state",
            json!({"from": "pending", "to": "active", "requester": "arjun"}),
        ))
        .unwrap();
        assert_eq!(granted.actor.name, "arjun", "the holder, not the approver");
        assert_eq!(granted.grant.as_deref(), Some("req-1"));
        assert_eq!(granted.raw.line, 42);
        let issued = event(&entry(
            "access.credential",
            json!({"phase": "issued", "kind": "database_role", "environment": "prod", "resource": "payments-db"}),
        ))
        .unwrap();
        assert_eq!(
            issued.resource,
            Some(Resource::Database("prod/payments-db".to_owned()))
        );
        assert_eq!(issued.outcome, Outcome::Success);
        assert!(event(&entry("access.break_glass", json!({}))).is_ok());
    }

    #[test]
    fn decisions_and_steps_are_skipped_and_a_broken_entry_says_why() {
        for (kind, data) in [
            ("access.request", json!({})),
            ("access.decision", json!({"decision": "approve"})),
            ("access.state", json!({"to": "revoked"})),
            ("access.credential", json!({"phase": "intended"})),
            ("access.credential", json!({"phase": "revoked"})),
            ("access.credential", json!({"phase": "abandoned"})),
            ("gate.verdict", json!({})),
        ] {
            let err = event(&entry(kind, data)).unwrap_err();
            assert_eq!(err.key(), "skipped", "{kind}: {err}");
        }
        let err = event(&entry("access.credential", json!({}))).unwrap_err();
        assert!(err.to_string().contains("phase"), "{err}");
    }
}
