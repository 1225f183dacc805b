//! One parser per source. Each reads one record (a line of NDJSON or syslog,
//! or one element of a JSON array) into an [`Event`], or says why it could
//! not in a [`Problem`] that the caller counts and reports. No input makes a
//! parser panic, and no bad record stops the read of the rest.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::event::{Action, Event, RawRef};

pub mod github;
pub mod gitlab;
pub mod journald;
pub mod ledger;
pub mod ndjson;
pub mod sshd;

/// Why a record was not read into an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The record is not valid UTF-8.
    #[error("not valid UTF-8 at byte {at}")]
    InvalidUtf8 {
        /// The first invalid byte's offset in the record.
        at: usize,
    },
    /// The record ends early (a cut-off line, unbalanced JSON).
    #[error("truncated: {0}")]
    Truncated(String),
    /// The record is not in the source's format.
    #[error("malformed: {0}")]
    Malformed(String),
    /// A field the event needs is missing or has the wrong type.
    #[error("field `{field}` {what}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        what: String,
    },
    /// A well-formed record of a kind the monitor does not read (a log line
    /// of another program, an audit action with no meaning here). Counted,
    /// not an error.
    #[error("skipped: {0}")]
    Skipped(String),
}

impl Problem {
    /// A short key to count problems by.
    pub fn key(&self) -> &'static str {
        match self {
            Problem::InvalidUtf8 { .. } => "invalid_utf8",
            Problem::Truncated(_) => "truncated",
            Problem::Malformed(_) => "malformed",
            Problem::Field { .. } => "field",
            Problem::Skipped(_) => "skipped",
        }
    }
}

/// Reads one source's records.
pub trait Parser {
    /// Reads `record` (without its line ending), found at `at`.
    fn parse(&mut self, record: &[u8], at: RawRef) -> Result<Event, Problem>;
}

/// What a read came to: events made, and each problem counted with the
/// first few examples (where, and why).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Records read.
    pub records: u64,
    /// Events made.
    pub events: u64,
    /// Of those, events whose action no mapping names ([`Action::Other`]):
    /// read, but not understood.
    pub other: u64,
    /// Of those, events read from a record that was not valid UTF-8, its
    /// bad bytes read as U+FFFD ([`Event::lossy`]).
    pub lossy: u64,
    /// Problems by [`Problem::key`].
    pub problems: BTreeMap<&'static str, u64>,
    /// Up to [`Stats::EXAMPLES`] problems, each with its line.
    pub examples: Vec<(u64, String)>,
}

impl Stats {
    /// How many problem examples are kept.
    pub const EXAMPLES: usize = 20;

    /// Counts the outcome of one record at `line`.
    pub fn count(&mut self, line: u64, outcome: &Result<Event, Problem>) {
        self.records += 1;
        match outcome {
            Ok(event) => {
                self.events += 1;
                if matches!(event.action, Action::Other { .. }) {
                    self.other += 1;
                }
                if event.lossy {
                    self.lossy += 1;
                }
            }
            Err(p) => {
                *self.problems.entry(p.key()).or_default() += 1;
                if self.examples.len() < Self::EXAMPLES {
                    self.examples.push((line, p.to_string()));
                }
            }
        }
    }
}

/// `record` as UTF-8, or the problem.
pub fn utf8(record: &[u8]) -> Result<&str, Problem> {
    std::str::from_utf8(record).map_err(|e| Problem::InvalidUtf8 {
        at: e.valid_up_to(),
    })
}
