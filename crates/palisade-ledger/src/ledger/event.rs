//! The decision to record.

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
