//! The decision to record, and how one is read from a line of JSON Lines.

use jiff::Timestamp;
use serde_json::Value;

/// A decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it was made.
    pub time: Timestamp,
    /// Who made it.
    pub actor: String,
    /// What kind of decision it is, e.g. `gate.verdict`.
    pub kind: String,
    /// What it is about, e.g. a service or a grant id.
    pub subject: String,
    /// Its details.
    pub data: Value,
}

/// Why a line of JSON Lines is not an event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventLineError {
    /// The line is not JSON.
    #[error("not JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// A field every event needs is missing, or is not a string.
    #[error("no `{0}`")]
    Missing(&'static str),
}

impl Event {
    /// An event from one line of JSON Lines: an object with `kind` and `subject`
    /// (strings), and optionally `actor` (a string; `actor` when absent) and `data` (any
    /// JSON; null when absent). The event is made at `time`: lines carry no time of
    /// their own.
    pub fn from_json_line(
        line: &str,
        time: Timestamp,
        actor: &str,
    ) -> Result<Event, EventLineError> {
        let value: Value = serde_json::from_str(line).map_err(EventLineError::Json)?;
        let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
        Ok(Event {
            time,
            actor: field("actor").unwrap_or_else(|| actor.to_owned()),
            kind: field("kind").ok_or(EventLineError::Missing("kind"))?,
            subject: field("subject").ok_or(EventLineError::Missing("subject"))?,
            data: value.get("data").cloned().unwrap_or(Value::Null),
        })
    }
}
