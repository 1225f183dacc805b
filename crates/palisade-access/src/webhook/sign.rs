//! Signing: the `webhook-signature` value and the messages Palisade sends.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;

use super::WebhookSecret;

/// The header holding the message id, the same on every attempt.
pub const HEADER_ID: &str = "webhook-id";
/// The header holding the attempt's time, in unix seconds.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// The header holding one or more space-separated `v1,<base64>` signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// The prefix of every message id Palisade makes.
pub const MESSAGE_ID_PREFIX: &str = "msg_";

/// The longest message id sent or accepted, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Whether `id` can be a message id: 1 to [`MAX_ID_LEN`] visible ASCII
/// characters, so it fits a header and a log line as it is.
pub(crate) fn check_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        Err("it is empty")
    } else if id.len() > MAX_ID_LEN {
        Err("it is longer than 256 bytes")
    } else if !id.bytes().all(|b| b.is_ascii_graphic()) {
        Err("it has characters other than visible ASCII")
    } else {
        Ok(())
    }
}

/// The version tag of an HMAC-SHA256 signature.
pub(crate) const VERSION_V1: &str = "v1";

/// The HMAC-SHA256 of `{id}.{timestamp}.{body}` under `secret`, ready to be
/// fed more data or finished.
pub(crate) fn mac(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.key()).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `webhook-signature` value, `v1,<base64>`, of `body` sent with this
/// id at this time (whole unix seconds; any fraction is dropped, as the
/// `webhook-timestamp` header carries none).
pub fn sign(secret: &WebhookSecret, id: &str, timestamp: Timestamp, body: &[u8]) -> String {
    sign_all(std::slice::from_ref(secret), id, timestamp, body)
}

/// The `webhook-signature` value with one signature per secret, separated
/// by spaces: while a secret is rotated, receivers holding either one accept
/// the message.
pub fn sign_all(secrets: &[WebhookSecret], id: &str, timestamp: Timestamp, body: &[u8]) -> String {
    let seconds = timestamp.as_second();
    let mut value = String::new();
    for secret in secrets {
        if !value.is_empty() {
            value.push(' ');
        }
        let tag = mac(secret, id, seconds, body).finalize().into_bytes();
        value.push_str(VERSION_V1);
        value.push(',');
        BASE64.encode_string(tag, &mut value);
    }
    value
}

/// The three headers of one attempt at sending a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// The `webhook-id` value.
    pub id: String,
    /// The `webhook-timestamp` value, unix seconds.
    pub timestamp: String,
    /// The `webhook-signature` value.
    pub signature: String,
}

impl SignedHeaders {
    /// The headers as (name, value) pairs, names in lower case.
    pub fn pairs(&self) -> [(&'static str, &str); 3] {
        [
            (HEADER_ID, &self.id),
            (HEADER_TIMESTAMP, &self.timestamp),
            (HEADER_SIGNATURE, &self.signature),
        ]
    }
}

/// What happened to access, as the message's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// A grant began: the person holds the role now (`access.granted`).
    Granted,
    /// A grant was ended before its time (`access.revoked`).
    Revoked,
    /// A grant reached the end of its window (`access.expired`).
    Expired,
}

impl EventType {
    /// The `type` field's value.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Granted => "access.granted",
            EventType::Revoked => "access.revoked",
            EventType::Expired => "access.expired",
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a message could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageError {
    /// The id is empty, too long, or has characters other than visible ASCII.
    #[error("the message id {id:?} is not valid: {reason}")]
    Id {
        /// The id given.
        id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The data is not a JSON object.
    #[error("a webhook's data must be a JSON object, not {found}")]
    DataNotObject {
        /// The JSON kind given (`array`, `string`, ...).
        found: &'static str,
    },
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {reason}")]
    Random {
        /// What the operating system said.
        reason: String,
    },
}

/// One event to send: a fresh id, and its JSON body
/// `{"type": ..., "timestamp": ..., "data": {...}}`, fixed once made so
/// every attempt sends the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    id: String,
    event_type: EventType,
    body: Vec<u8>,
}

impl Message {
    /// A message about `event_type` at `occurred` (written in RFC 3339, UTC),
    /// with `data` (a JSON object) and a new random id: `msg_` and 128 random
    /// bits in URL-safe base64.
    pub fn new(
        event_type: EventType,
        occurred: Timestamp,
        data: serde_json::Value,
    ) -> Result<Message, MessageError> {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|e| MessageError::Random {
            reason: e.to_string(),
        })?;
        let id = format!("{MESSAGE_ID_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
        Message::with_id(id, event_type, occurred, data)
    }

    /// A message with the caller's id, for a caller that stores ids and
    /// sends again after a restart: receivers drop a repeated id.
    pub fn with_id(
        id: String,
        event_type: EventType,
        occurred: Timestamp,
        data: serde_json::Value,
    ) -> Result<Message, MessageError> {
        if let Err(reason) = check_id(&id) {
            return Err(MessageError::Id { id, reason });
        }
        if !data.is_object() {
            return Err(MessageError::DataNotObject {
                found: json_kind(&data),
            });
        }
        let body = serde_json::json!({
            "type": event_type.as_str(),
            "timestamp": occurred.to_string(),
            "data": data,
        });
        let body = serde_json::to_vec(&body).expect("a JSON value always serialises");
        Ok(Message {
            id,
            event_type,
            body,
        })
    }

    /// The id, sent as `webhook-id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The event's type.
    pub fn event_type(&self) -> EventType {
        self.event_type
    }

    /// The JSON body, exactly as sent and signed.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The headers for an attempt at `now`, signed with `secret`.
    pub fn headers(&self, secret: &WebhookSecret, now: Timestamp) -> SignedHeaders {
        SignedHeaders {
            id: self.id.clone(),
            timestamp: now.as_second().to_string(),
            signature: sign(secret, &self.id, now, &self.body),
        }
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
