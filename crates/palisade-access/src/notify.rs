//! Tells other systems of grants and revocations through the signed
//! [`webhook`](crate::webhook), and records each delivery, made or failed,
//! in the ledger (`access.webhook`: the message id, type and attempts; never
//! the secret).

use jiff::Timestamp;
use palisade_ledger::ledger::{Event, Ledger, LedgerError};
use serde_json::json;

use crate::grants::RequestView;
use crate::request::State;
use crate::webhook::{EventType, Message, Sender};

/// The ledger kind of a webhook delivery.
pub const KIND: &str = "access.webhook";

/// What one announcement came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    /// The request.
    pub request: String,
    /// `access.granted`, `access.revoked` or `access.expired`.
    pub event: &'static str,
    /// The message id.
    pub message_id: String,
    /// `None`: delivered; else why not.
    pub error: Option<String>,
}

/// The webhook event a request's new state calls for, if any.
pub fn event_for(request: &RequestView, now: Timestamp) -> Option<EventType> {
    match request.state {
        State::Active if request.from.is_some_and(|f| f <= now) => Some(EventType::Granted),
        State::Revoked if request.from.is_some() => Some(EventType::Revoked),
        State::Expired if request.from.is_some() => Some(EventType::Expired),
        _ => None,
    }
}

fn name(event: EventType) -> &'static str {
    match event {
        EventType::Granted => "access.granted",
        EventType::Revoked => "access.revoked",
        EventType::Expired => "access.expired",
    }
}

/// Posts one message per request whose change other systems must hear of,
/// and ledgers each delivery.
pub async fn announce(
    sender: &Sender,
    ledger: &Ledger,
    actor: &str,
    changed: &[RequestView],
    now: Timestamp,
) -> Result<Vec<Announced>, LedgerError> {
    let mut done = Vec::new();
    let mut events = Vec::new();
    for r in changed {
        let Some(event) = event_for(r, now) else {
            continue;
        };
        let data = json!({
            "request": r.id,
            "person": r.requester,
            "role": r.role,
            "environment": r.environment,
            "from": r.from.map(|t| t.to_string()),
            "until": r.until.map(|t| t.to_string()),
            "break_glass": r.break_glass,
            "reason": r.reason,
        });
        let message = match Message::new(event, now, data) {
            Ok(m) => m,
            Err(e) => {
                done.push(Announced {
                    request: r.id.clone(),
                    event: name(event),
                    message_id: String::new(),
                    error: Some(e.to_string()),
                });
                continue;
            }
        };
        let (error, attempts) = match sender.send(&message, now) {
            Ok(d) => (None, d.attempts.len()),
            Err(e) => (Some(e.to_string()), e.attempts().len()),
        };
        events.push(Event {
            time: now,
            actor: actor.to_owned(),
            kind: KIND.to_owned(),
            subject: r.id.clone(),
            data: json!({
                "type": name(event),
                "message_id": message.id(),
                "url": sender.url(),
                "delivered": error.is_none(),
                "attempts": attempts,
                "error": error,
            }),
        });
        done.push(Announced {
            request: r.id.clone(),
            event: name(event),
            message_id: message.id().to_owned(),
            error,
        });
    }
    if !events.is_empty() {
        ledger.append_batch(&events, now).await?;
    }
    Ok(done)
}
