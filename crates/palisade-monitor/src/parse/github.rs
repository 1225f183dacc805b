//! GitHub's organisation and enterprise audit log, as the REST API exports it
//! (`GET /orgs/{org}/audit-log?include=all`, web and git events) and as audit
//! log streaming writes it: a JSON array per page (several pages may follow
//! one another, as `gh api --paginate` writes them) or NDJSON, one record a
//! line. [`read`] streams either shape from any [`BufRead`] without holding
//! more than one record in memory.
//!
//! # Fields read
//!
//! | field | becomes |
//! | --- | --- |
//! | `@timestamp` (epoch milliseconds), else `created_at` | [`Event::time`]; a number, a string of digits, RFC 3339, or `YYYY-MM-DD HH:MM:SS[.fff]` taken as UTC |
//! | `actor` | [`Actor::name`], kind [`ActorKind::GithubLogin`] |
//! | `action` | [`Event::action`], see below |
//! | `repo`, else `repository` | [`Resource::Repository`] `owner/name` (a bare name is prefixed with `org`) |
//! | `org`, else `business` | [`Resource::Organisation`] when no repository is named |
//! | `actor_ip` | [`Event::source_address`] (ignored when not an address) |
//! | `_document_id` | [`RawRef::id`] |
//! | `repository_public` | only to tell an anonymous read of a public repository (skipped) |
//!
//! The records of actions that may weaken security are also read whole, for
//! the fields that say what changed (at the top level or in `data`; see
//! [`security`]). Everything else (`user_agent`, `actor_location`,
//! `transport_protocol_name`, …) is ignored: the raw record stays where
//! [`RawRef`] points.
//!
//! # Actions
//!
//! - `git.clone`, `git.fetch`, `git.push` → [`Action::GitClone`],
//!   [`Action::GitFetch`], [`Action::GitPush`];
//! - `repo.download_zip` and its siblings (any `repo.download_*`) →
//!   [`Action::ArchiveDownload`];
//! - a change that weakens security → [`Action::SecurityChange`], with what
//!   it weakened read from the record's fields ([`security`] has the rules):
//!   branch protection removed, overridden, bypassed or loosened (required
//!   reviews lowered or off, status checks off, admin enforcement off, force
//!   pushes or deletions allowed, …) or changed in a setting not known
//!   here, a ruleset deleted, disabled, loosened, retargeted or given bypass
//!   actors, a repository made public (or internal, unless it was public)
//!   or transferred, an
//!   outside collaborator or a collaborator added, a fine-grained personal
//!   access token, SSH or deploy key created, audit-log streaming added,
//!   changed or deleted, the audit log exported;
//! - a change that strengthens security (`protected_branch.create`, reviews
//!   raised, admin enforcement turned on, a repository made private, a
//!   token revoked) and everything else → [`Action::Other`] with the name
//!   as GitHub gives it (counted by [`Stats::other`]).
//!
//! Every record is a success ([`Outcome::Success`]) except
//! `protected_branch.rejected_ref_update`, a push the protection refused.
//!
//! A record with no `actor` (GitHub writes `""` or leaves it out for
//! anonymous git reads) is skipped when `repository_public` is true; on a
//! private repository it becomes an event by [`ANONYMOUS`], which no identity
//! resolves, so that it is reported rather than lost.

use std::borrow::Cow;
use std::io::{self, BufRead};
use std::net::IpAddr;

use jiff::Timestamp;
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Parser, Problem, Stats, utf8};
use crate::event::{Action, Actor, ActorKind, Event, Outcome, RawRef, Resource, Source};

/// The actor name of a record on a private repository that names no actor.
pub const ANONYMOUS: &str = "(anonymous)";

/// The longest record read; a longer one is counted as malformed and skipped.
pub const MAX_RECORD: usize = 1 << 20;

/// The action a GitHub audit-log action name maps to when nothing else of
/// the record is known: a change that may weaken security is then taken as
/// one whose record does not say how (see [`action_of`]).
pub fn action(name: &str) -> Action {
    action_of(name, security::Fields::none())
}

/// The action of a record of action `name` with `fields`.
pub fn action_of(name: &str, fields: security::Fields<'_>) -> Action {
    match name {
        "git.clone" => Action::GitClone,
        "git.fetch" => Action::GitFetch,
        "git.push" => Action::GitPush,
        _ if name.starts_with("repo.download_") => Action::ArchiveDownload,
        _ => match security::may_weaken(name)
            .then(|| security::weakening(name, fields))
            .flatten()
        {
            Some(change) => Action::SecurityChange {
                what: name.to_owned(),
                change,
            },
            None => Action::Other {
                what: name.to_owned(),
            },
        },
    }
}

/// Reads GitHub audit-log records.
#[derive(Debug, Default, Clone)]
pub struct GithubParser;

/// One record, borrowing from the input where it can.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "@timestamp", borrow, default)]
    timestamp: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    created_at: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    action: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    actor: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    repo: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    repository: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    org: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    business: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    actor_ip: Option<Scalar<'a>>,
    #[serde(rename = "_document_id", borrow, default)]
    document_id: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    repository_public: Option<Scalar<'a>>,
}

impl Parser for GithubParser {
    fn parse(&mut self, record: &[u8], at: RawRef) -> Result<Event, Problem> {
        let text = utf8(record)?;
        let r: Record<'_> = object(text)?;

        let name = match &r.action {
            Some(Scalar::Str(s)) if !s.is_empty() => s.as_ref(),
            Some(Scalar::Null) | None => return Err(missing("action")),
            Some(_) => return Err(not_string("action")),
        };
        let time = match (&r.timestamp, &r.created_at) {
            (Some(t), _) if !t.is_null() => timestamp(t, "@timestamp")?,
            (_, Some(t)) if !t.is_null() => timestamp(t, "created_at")?,
            _ => return Err(missing("@timestamp")),
        };
        let org = r
            .org
            .as_ref()
            .and_then(Scalar::str)
            .filter(|s| !s.is_empty());
        let repo = [&r.repo, &r.repository]
            .into_iter()
            .flatten()
            .filter_map(Scalar::str)
            .find(|s| !s.is_empty());
        let resource = match (repo, org) {
            (Some(repo), Some(org)) if !repo.contains('/') => {
                Some(Resource::Repository(format!("{org}/{repo}")))
            }
            (Some(repo), _) => Some(Resource::Repository(repo.to_owned())),
            (None, Some(org)) => Some(Resource::Organisation(org.to_owned())),
            (None, None) => r
                .business
                .as_ref()
                .and_then(Scalar::str)
                .filter(|s| !s.is_empty())
                .map(|b| Resource::Organisation(b.to_owned())),
        };
        let actor = match &r.actor {
            Some(Scalar::Str(s)) if !s.is_empty() => s.as_ref(),
            Some(Scalar::Str(_) | Scalar::Null) | None => {
                if matches!(r.repository_public, Some(Scalar::Bool(true))) {
                    return Err(Problem::Skipped(format!(
                        "anonymous {name} of a public repository"
                    )));
                }
                ANONYMOUS
            }
            Some(_) => return Err(not_string("actor")),
        };
        // Only the records that may weaken security are read a second time,
        // whole, for the fields that say what changed.
        let action = if security::may_weaken(name) {
            let whole: serde_json::Value =
                serde_json::from_str(text).map_err(|e| Problem::Malformed(e.to_string()))?;
            action_of(name, security::Fields::of(&whole))
        } else {
            action(name)
        };
        let outcome = if name == "protected_branch.rejected_ref_update" {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        Ok(Event {
            time,
            actor: Actor {
                name: actor.to_owned(),
                kind: ActorKind::GithubLogin,
                person: None,
            },
            action,
            resource,
            source_address: r.actor_ip.as_ref().and_then(address),
            outcome,
            grant: None,
            serial: None,
            lossy: false,
            raw: RawRef {
                id: r.document_id.as_ref().and_then(Scalar::text),
                ..at
            },
        })
    }
}

/// Streams GitHub audit-log events from `reader` (NDJSON or JSON arrays),
/// naming `file` in each event's [`RawRef`].
pub fn read<R: BufRead>(reader: R, file: &str) -> Events<R, GithubParser> {
    Events::new(reader, file, Source::Github, GithubParser)
}

/// Events read from a stream of JSON records, each with the line its record
/// starts on; the counts so far are in [`Events::stats`].
#[derive(Debug)]
pub struct Events<R, P> {
    records: JsonRecords<R>,
    parser: P,
    file: String,
    source: Source,
    stats: Stats,
}

impl<R: BufRead, P: Parser> Events<R, P> {
    /// Reads `reader` with `parser`; `file` and `source` go into each [`RawRef`].
    pub fn new(reader: R, file: &str, source: Source, parser: P) -> Self {
        Self {
            records: JsonRecords::new(reader),
            parser,
            file: file.to_owned(),
            source,
            stats: Stats::default(),
        }
    }

    /// What the read has come to so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// What the read came to.
    pub fn into_stats(self) -> Stats {
        self.stats
    }
}

impl<R: BufRead, P: Parser> Iterator for Events<R, P> {
    type Item = (u64, Result<Event, Problem>);

    fn next(&mut self) -> Option<Self::Item> {
        let (line, record) = self.records.next_record()?;
        let outcome = match record {
            Ok(bytes) => {
                let at = RawRef {
                    source: self.source,
                    file: self.file.clone(),
                    line,
                    id: None,
                };
                self.parser.parse(bytes, at)
            }
            Err(problem) => Err(problem),
        };
        self.stats.count(line, &outcome);
        Some((line, outcome))
    }
}

/// Splits a byte stream into JSON records: the lines of NDJSON, or the
/// elements of top-level JSON arrays (one or several in a row), found
/// incrementally so that a file of any size is read in constant memory.
/// Also used for GitLab, whose exports take the same two shapes.
///
/// The shape is decided by the first byte that is not white space (after a
/// UTF-8 byte-order mark): `[` starts an array, anything else NDJSON. After
/// an array closes, the next one is decided the same way.
///
/// A record longer than [`MAX_RECORD`] is reported as malformed and skipped.
/// An array element that never closes runs to the end of the input and is
/// reported once, as truncated: the elements before it are all read.
#[derive(Debug)]
pub struct JsonRecords<R> {
    reader: R,
    buf: Vec<u8>,
    /// The line the next unread byte is on, from 1.
    line: u64,
    mode: Mode,
    done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Before the first record, or after an array closed.
    Start,
    /// NDJSON, to the end.
    Lines,
    /// Inside a top-level array, between elements.
    Array,
}

impl<R: BufRead> JsonRecords<R> {
    /// Records from `reader`.
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            buf: Vec::new(),
            line: 1,
            mode: Mode::Start,
            done: false,
        }
    }

    /// The next record and the line it starts on, or why it could not be
    /// read; `None` at the end of the input.
    pub fn next_record(&mut self) -> Option<(u64, Result<&[u8], Problem>)> {
        if self.done {
            return None;
        }
        loop {
            match self.mode {
                Mode::Start => match self.start() {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => return Some(self.failed(&e)),
                },
                Mode::Lines => return self.next_line(),
                Mode::Array => match self.next_element() {
                    // The array closed: decide what follows.
                    None => self.mode = Mode::Start,
                    Some((line, Ok(()))) => return Some((line, Ok(&self.buf))),
                    Some((line, Err(p))) => return Some((line, Err(p))),
                },
            }
        }
    }

    /// An I/O error ends the read, reported once as a problem.
    fn failed(&mut self, e: &io::Error) -> (u64, Result<&[u8], Problem>) {
        self.done = true;
        (
            self.line,
            Err(Problem::Truncated(format!("the read failed: {e}"))),
        )
    }

    /// Skips white space and a byte-order mark, then picks the mode; false at
    /// the end of the input.
    fn start(&mut self) -> io::Result<bool> {
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(false);
            }
            let mut used = 0;
            let mut decided = None;
            while used < chunk.len() {
                match chunk[used] {
                    b'\n' => {
                        self.line += 1;
                        used += 1;
                    }
                    b' ' | b'\t' | b'\r' => used += 1,
                    // A byte-order mark, even split across reads: these
                    // bytes cannot start JSON.
                    0xEF | 0xBB | 0xBF => used += 1,
                    b'[' => {
                        used += 1;
                        decided = Some(Mode::Array);
                        break;
                    }
                    _ => {
                        decided = Some(Mode::Lines);
                        break;
                    }
                }
            }
            self.reader.consume(used);
            if let Some(mode) = decided {
                self.mode = mode;
                return Ok(true);
            }
        }
    }

    /// The next non-blank line.
    fn next_line(&mut self) -> Option<(u64, Result<&[u8], Problem>)> {
        loop {
            self.buf.clear();
            let start = self.line;
            let mut long = false;
            let mut eof = false;
            loop {
                let chunk = match self.reader.fill_buf() {
                    Ok(c) => c,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Some(self.failed(&e)),
                };
                if chunk.is_empty() {
                    eof = true;
                    break;
                }
                let (take, used, newline) = match memchr::memchr(b'\n', chunk) {
                    Some(i) => (i, i + 1, true),
                    None => (chunk.len(), chunk.len(), false),
                };
                if !long {
                    if self.buf.len() + take > MAX_RECORD {
                        long = true;
                        self.buf.clear();
                    } else {
                        self.buf.extend_from_slice(&chunk[..take]);
                    }
                }
                self.reader.consume(used);
                if newline {
                    self.line += 1;
                    break;
                }
            }
            if long {
                return Some((start, Err(too_long())));
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                if eof {
                    self.done = true;
                    return None;
                }
                continue;
            }
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            return Some((start, Ok(&self.buf)));
        }
    }

    /// The next element of the current array into `buf`; `None` once the
    /// array closes.
    fn next_element(&mut self) -> Option<(u64, Result<(), Problem>)> {
        self.buf.clear();
        let mut start = None;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut long = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let (line, problem) = self.failed(&e);
                    return Some((line, problem.map(|_| ())));
                }
            };
            if chunk.is_empty() {
                self.done = true;
                return start.map(|line| {
                    (
                        line,
                        Err(Problem::Truncated(
                            "the input ends inside an array element".into(),
                        )),
                    )
                });
            }
            let mut used = 0;
            let mut ended = None;
            let mut closed = false;
            for (i, &b) in chunk.iter().enumerate() {
                used = i + 1;
                if b == b'\n' {
                    self.line += 1;
                }
                let Some(_) = start else {
                    // Between elements.
                    match b {
                        b' ' | b'\t' | b'\r' | b'\n' | b',' => continue,
                        b']' => {
                            closed = true;
                            break;
                        }
                        _ => start = Some(self.line),
                    }
                    // Fall through: `b` opens the element.
                    push(&mut self.buf, b, &mut long);
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth = 1,
                        _ => {}
                    }
                    continue;
                };
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                    }
                    push(&mut self.buf, b, &mut long);
                    if !in_string && depth == 0 {
                        // A top-level string element ends with its quote.
                        ended = Some(());
                        break;
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => {
                        depth -= 1;
                        if depth == 0 {
                            push(&mut self.buf, b, &mut long);
                            ended = Some(());
                            break;
                        }
                    }
                    // A scalar element ends at the separator or the
                    // array's end, which stays for the next call.
                    b',' | b']' | b'}' if depth == 0 => {
                        used = i;
                        ended = Some(());
                        break;
                    }
                    _ => {}
                }
                push(&mut self.buf, b, &mut long);
            }
            self.reader.consume(used);
            if closed {
                return None;
            }
            if ended.is_some() {
                let line = start.unwrap_or(self.line);
                if long {
                    return Some((line, Err(too_long())));
                }
                while self.buf.last().is_some_and(u8::is_ascii_whitespace) {
                    self.buf.pop();
                }
                return Some((line, Ok(())));
            }
        }
    }
}

/// Appends `b` to a record, unless it has grown too long.
fn push(buf: &mut Vec<u8>, b: u8, long: &mut bool) {
    if *long {
        return;
    }
    if buf.len() >= MAX_RECORD {
        *long = true;
        buf.clear();
    } else {
        buf.push(b);
    }
}

fn too_long() -> Problem {
    Problem::Malformed(format!("a record longer than {MAX_RECORD} bytes"))
}

/// A JSON value where a scalar is expected, borrowed where it can be;
/// objects and arrays are kept only as [`Scalar::Other`], so a field of the
/// wrong type becomes a counted problem rather than a failed record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Other,
}

impl<'a> Scalar<'a> {
    /// The string, if it is one.
    pub(crate) fn str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A string or a number, as text (ids come as either).
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Scalar::Str(s) if !s.is_empty() => Some(s.to_string()),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Float(f) if f.is_finite() => Some(f.to_string()),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Scalar::Null)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Scalar<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `text` as a JSON object of type `T`, or the problem.
pub(crate) fn object<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, Problem> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        return Err(Problem::Malformed(if trimmed.is_empty() {
            "an empty record".into()
        } else {
            "not a JSON object".into()
        }));
    }
    serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Eof => Problem::Truncated(e.to_string()),
        _ => Problem::Malformed(e.to_string()),
    })
}

pub(crate) fn missing(field: &'static str) -> Problem {
    Problem::Field {
        field,
        what: "is missing".into(),
    }
}

pub(crate) fn not_string(field: &'static str) -> Problem {
    Problem::Field {
        field,
        what: "is not a string".into(),
    }
}

/// A time as audit logs write it: epoch milliseconds (a number or a string
/// of digits), RFC 3339, or a civil `YYYY-MM-DD HH:MM:SS[.fff]` (with `T` or
/// a space, optionally followed by ` UTC`) taken as UTC.
pub(crate) fn timestamp(value: &Scalar<'_>, field: &'static str) -> Result<Timestamp, Problem> {
    let bad = |what: String| Problem::Field { field, what };
    let millis = |ms: f64| {
        if ms.is_finite() && ms.abs() < 1e17 {
            Timestamp::from_millisecond(ms as i64).map_err(|e| bad(e.to_string()))
        } else {
            Err(bad(format!("{ms} is out of range")))
        }
    };
    match value {
        Scalar::Int(ms) => Timestamp::from_millisecond(*ms).map_err(|e| bad(e.to_string())),
        Scalar::Float(ms) => millis(*ms),
        Scalar::Str(s) => {
            let s = s.trim();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return match s.parse::<f64>() {
                    Ok(ms) => millis(ms),
                    Err(_) => Err(bad(format!("`{s}` is not a time"))),
                };
            }
            if let Ok(t) = s.parse::<Timestamp>() {
                return Ok(t);
            }
            let civil = s.strip_suffix(" UTC").unwrap_or(s);
            civil
                .parse::<jiff::civil::DateTime>()
                .ok()
                .and_then(|dt| jiff::tz::TimeZone::UTC.to_timestamp(dt).ok())
                .ok_or_else(|| bad(format!("`{s}` is not a time")))
        }
        _ => Err(bad("is not a time".into())),
    }
}

/// An address, when the value is one.
pub(crate) fn address(value: &Scalar<'_>) -> Option<IpAddr> {
    value.str().and_then(|s| s.trim().parse().ok())
}

pub mod security;

#[cfg(test)]
mod tests;
