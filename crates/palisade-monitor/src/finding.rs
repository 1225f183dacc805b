//! What a detector reports: a [`Finding`], which the alert store turns into
//! an alert (or folds into an open one of the same detector, actor and
//! resource).

use jiff::Timestamp;
use serde::Serialize;

use crate::event::RawRef;

/// How bad it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Look today.
    Medium,
    /// Look now.
    High,
    /// Act now.
    Critical,
}

impl Severity {
    /// The name stored and shown.
    pub fn key(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The severity a stored name names.
    pub fn from_key(key: &str) -> Option<Severity> {
        [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|s| s.key() == key)
    }
}

/// One detector's finding, with the events that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The detector's id: `off_hours`, `after_end`, `least_privilege`,
    /// `mass_download`, `failed_logins`, `new_address`, `rare_hour`,
    /// `security_change` or `unknown_actor`.
    pub detector: &'static str,
    /// How bad.
    pub severity: Severity,
    /// The person it is about (their handle), when the actor resolved.
    pub person: Option<String>,
    /// The actor as the record names them.
    pub actor: String,
    /// The resource, as `kind:name` (`repository:acme/payments`, `host:bastion`).
    pub resource: Option<String>,
    /// When (the time of the latest evidence event).
    #[serde(serialize_with = "rfc3339")]
    pub time: Timestamp,
    /// One sentence a person can act on, naming the evidence.
    pub sentence: String,
    /// The raw records that show it.
    pub evidence: Vec<RawRef>,
}

/// A grant as the monitor needs it: who held which role, where, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GrantWindow {
    /// The request id (an SSH certificate's key id names it).
    pub request: String,
    /// The holder's handle.
    pub person: String,
    /// The role.
    pub role: String,
    /// The environment it was narrowed to, if any.
    #[serde(default)]
    pub environment: Option<String>,
    /// When it started.
    #[serde(serialize_with = "rfc3339", deserialize_with = "parse_rfc3339")]
    pub from: Timestamp,
    /// When it ended (or ends): expiry, or revocation when `revoked`.
    #[serde(serialize_with = "rfc3339", deserialize_with = "parse_rfc3339")]
    pub until: Timestamp,
    /// Taken without approval.
    #[serde(default)]
    pub break_glass: bool,
    /// Withdrawn before its end: `until` is when it was revoked.
    #[serde(default)]
    pub revoked: bool,
}

fn rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

fn parse_rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    text.parse::<Timestamp>()
        .map_err(|e| serde::de::Error::custom(format!("`{text}` is not an RFC 3339 time: {e}")))
}
