//! A ledger entry and its one canonical encoding.
//!
//! The leaf of the Merkle tree is the RFC 8785 canonical JSON ([`crate::jcs`])
//! of the object `{"actor", "data", "index", "kind", "subject", "time"}`,
//! where `time` is an RFC 3339 UTC timestamp with exactly six fractional
//! digits (`2026-11-22T09:30:00.000000Z`). Because the encoding is canonical,
//! one entry has exactly one byte string, and [`Entry::from_canonical`]
//! refuses any other spelling of it.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::Offset;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::jcs::{self, JcsError};
use crate::merkle::{self, Hash};

/// Why an entry could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// The time has a non-zero part below the microsecond.
    #[error("entry time {time} is more precise than a microsecond")]
    TimePrecision {
        /// The time.
        time: Timestamp,
    },
    /// The time's year is not in 0000..=9999, which RFC 3339 cannot write.
    #[error("entry time {time} is outside the years 0000 to 9999")]
    TimeRange {
        /// The time.
        time: Timestamp,
    },
    /// The entry (its index or data) has no canonical JSON.
    #[error("entry has no canonical JSON: {0}")]
    Canonical(#[from] JcsError),
    /// The bytes are not JSON.
    #[error("entry is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The JSON is not an entry object.
    #[error("JSON is not a ledger entry: {0}")]
    Shape(#[source] serde_json::Error),
    /// The bytes are an entry, but not in its canonical encoding.
    #[error(
        "entry is not in canonical form: first difference at byte {offset} (expected {expected:?})"
    )]
    NotCanonical {
        /// The offset of the first byte that differs from the canonical encoding.
        offset: usize,
        /// The canonical encoding, for comparison.
        expected: String,
    },
}

/// One decision recorded in the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The entry's position in the log, from 0 (below 2^53).
    pub index: u64,
    /// When the decision was made, to the microsecond.
    #[serde(with = "micros")]
    pub time: Timestamp,
    /// Who made it (a person, a service, `palisade` itself).
    pub actor: String,
    /// What kind of decision it is (`gate.verdict`, `access.grant`, …).
    pub kind: String,
    /// What it is about (a service, a grant id, a person).
    pub subject: String,
    /// The decision's details, any JSON the kind defines.
    pub data: Value,
}

impl Entry {
    /// An entry, its time truncated to the microsecond.
    pub fn new(
        index: u64,
        time: Timestamp,
        actor: impl Into<String>,
        kind: impl Into<String>,
        subject: impl Into<String>,
        data: Value,
    ) -> Self {
        Entry {
            index,
            time: truncate_to_micros(time),
            actor: actor.into(),
            kind: kind.into(),
            subject: subject.into(),
            data,
        }
    }

    /// The canonical bytes of the entry: the leaf data of the Merkle tree.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, EntryError> {
        encode(
            self.index,
            self.time,
            &self.actor,
            &self.kind,
            &self.subject,
            &self.data,
        )
    }

    /// The entry's Merkle leaf hash.
    pub fn leaf_hash(&self) -> Result<Hash, EntryError> {
        Ok(merkle::leaf_hash(&self.canonical_bytes()?))
    }

    /// Decodes canonical bytes, refusing any encoding but the canonical one.
    pub fn from_canonical(bytes: &[u8]) -> Result<Self, EntryError> {
        let value: Value = serde_json::from_slice(bytes).map_err(EntryError::Json)?;
        let entry = Entry::deserialize(value).map_err(EntryError::Shape)?;
        let canonical = entry.canonical_bytes()?;
        if canonical != bytes {
            let offset = canonical
                .iter()
                .zip(bytes)
                .position(|(a, b)| a != b)
                .unwrap_or(canonical.len().min(bytes.len()));
            return Err(EntryError::NotCanonical {
                offset,
                expected: String::from_utf8_lossy(&canonical).into_owned(),
            });
        }
        Ok(entry)
    }
}

/// The largest index a JSON number holds exactly (2^53 - 1).
const MAX_SAFE_INDEX: u64 = (1 << 53) - 1;

/// The canonical bytes of the entry with these fields, written directly (no
/// intermediate JSON tree): RFC 8785 orders the keys actor, data, index,
/// kind, subject, time. `time` must already be whole microseconds.
pub fn encode(
    index: u64,
    time: Timestamp,
    actor: &str,
    kind: &str,
    subject: &str,
    data: &Value,
) -> Result<Vec<u8>, EntryError> {
    let time = format_time(time)?;
    if index > MAX_SAFE_INDEX {
        return Err(JcsError::UnsafeInteger {
            value: index.to_string(),
            canonical: jcs::format_f64(index as f64).unwrap_or_default(),
            pointer: "/index".to_owned(),
        }
        .into());
    }
    let data = jcs::to_string(data).map_err(|e| e.under("/data"))?;
    let mut out = String::with_capacity(96 + actor.len() + kind.len() + subject.len() + data.len());
    out.push_str("{\"actor\":");
    jcs::write_string(actor, &mut out);
    out.push_str(",\"data\":");
    out.push_str(&data);
    let _ = write!(out, ",\"index\":{index},\"kind\":");
    jcs::write_string(kind, &mut out);
    out.push_str(",\"subject\":");
    jcs::write_string(subject, &mut out);
    out.push_str(",\"time\":\"");
    out.push_str(&time);
    out.push_str("\"}");
    Ok(out.into_bytes())
}

/// `time` with everything below the microsecond dropped (towards the past).
pub fn truncate_to_micros(time: Timestamp) -> Timestamp {
    let nanos = time.as_nanosecond();
    Timestamp::from_nanosecond(nanos - nanos.rem_euclid(1000)).unwrap_or(time)
}

/// The entry time format: RFC 3339 in UTC with six fractional digits.
pub fn format_time(time: Timestamp) -> Result<String, EntryError> {
    let mut s = String::with_capacity(27);
    write_time(time, &mut s)?;
    Ok(s)
}

/// [`format_time`], appended to `out`.
pub(crate) fn write_time(time: Timestamp, out: &mut String) -> Result<(), EntryError> {
    let dt = Offset::UTC.to_datetime(time);
    if dt.subsec_nanosecond() % 1000 != 0 {
        return Err(EntryError::TimePrecision { time });
    }
    if !(0..=9999).contains(&dt.year()) {
        return Err(EntryError::TimeRange { time });
    }
    // Digit by digit: this runs for every entry a verification checks.
    let digits = |out: &mut String, value: i64, width: u32| {
        for place in (0..width).rev() {
            let digit = (value / 10_i64.pow(place)) % 10;
            out.push(char::from(b'0' + digit as u8));
        }
    };
    digits(out, i64::from(dt.year()), 4);
    out.push('-');
    digits(out, i64::from(dt.month()), 2);
    out.push('-');
    digits(out, i64::from(dt.day()), 2);
    out.push('T');
    digits(out, i64::from(dt.hour()), 2);
    out.push(':');
    digits(out, i64::from(dt.minute()), 2);
    out.push(':');
    digits(out, i64::from(dt.second()), 2);
    out.push('.');
    digits(out, i64::from(dt.subsec_nanosecond() / 1000), 6);
    out.push('Z');
    Ok(())
}

/// Serde for the entry time: [`format_time`] out, any RFC 3339 time in
/// (canonical form is checked by [`Entry::from_canonical`]).
mod micros {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _, ser::Error as _};

    pub(super) fn serialize<S: Serializer>(time: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        let text = super::format_time(*time).map_err(S::Error::custom)?;
        s.serialize_str(&text)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        text.parse::<Timestamp>().map_err(|e| {
            D::Error::custom(format!("time {text:?} is not an RFC 3339 timestamp: {e}"))
        })
    }
}
