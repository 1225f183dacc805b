//! Sources by name: `github`, `gitlab`, `sshd`, `journald`, `ndjson:NAME`,
//! each read as a stream of `(line, event or problem)` with its counts, in
//! constant memory whatever the size of the input.

use std::io::BufRead;
use std::str::FromStr;

use jiff::tz::TimeZone;
use palisade_model::Model;

use crate::event::{Event, RawRef, Source};
use crate::parse::github::Events;
use crate::parse::journald::Journal;
use crate::parse::ndjson::Mapped;
use crate::parse::sshd::Syslog;
use crate::parse::{Parser, Problem, Stats};

/// A source kind as the command line names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// GitHub's audit log.
    Github,
    /// GitLab's audit events.
    Gitlab,
    /// sshd's syslog lines.
    Sshd,
    /// `journalctl -o json`.
    Journald,
    /// A generic NDJSON source mapped in the model.
    Ndjson(String),
    /// Palisade's own ledger, in the store (not a file).
    Ledger,
}

/// Why a source cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// Not a kind this monitor reads.
    #[error(
        "unknown source `{0}`: use github, gitlab, sshd, journald, ledger, or ndjson:NAME for a log mapped in [[monitor.ndjson]]"
    )]
    Unknown(String),
    /// `ndjson:NAME` names no mapping.
    #[error("no [[monitor.ndjson]] named `{name}` in the model{}", hint(known))]
    NoMapping {
        /// The name given.
        name: String,
        /// The names the model has.
        known: Vec<String>,
    },
    /// The mapping cannot be used.
    #[error(transparent)]
    Mapping(#[from] crate::parse::ndjson::MappingError),
    /// The ledger is read from the store, not from a file.
    #[error(
        "the ledger source reads the store's own ledger (--db), not a file: write `--source ledger -`"
    )]
    NotAFile,
}

fn hint(known: &[String]) -> String {
    if known.is_empty() {
        "; it maps none".to_owned()
    } else {
        format!(" (it maps {})", known.join(", "))
    }
}

impl FromStr for SourceKind {
    type Err = SourceError;

    fn from_str(s: &str) -> Result<SourceKind, SourceError> {
        Ok(match s {
            "github" => SourceKind::Github,
            "gitlab" => SourceKind::Gitlab,
            "sshd" => SourceKind::Sshd,
            "journald" => SourceKind::Journald,
            "ledger" => SourceKind::Ledger,
            other => match other.strip_prefix("ndjson:") {
                Some(name) if !name.is_empty() => SourceKind::Ndjson(name.to_owned()),
                _ => return Err(SourceError::Unknown(other.to_owned())),
            },
        })
    }
}

/// A parser for one record of `kind` at a time (for following a log line
/// by line; GitHub and GitLab records are then one JSON object a line).
pub fn parser(
    kind: &SourceKind,
    model: &Model,
    year: i16,
    zone: TimeZone,
) -> Result<(Box<dyn Parser>, Source), SourceError> {
    Ok(match kind {
        SourceKind::Github => (Box::new(crate::parse::github::GithubParser), Source::Github),
        SourceKind::Gitlab => (Box::new(crate::parse::gitlab::GitlabParser), Source::Gitlab),
        SourceKind::Sshd => (Box::new(Syslog::new(year, zone)), Source::Sshd),
        SourceKind::Journald => (Box::new(Journal::new()), Source::Journald),
        SourceKind::Ledger => return Err(SourceError::NotAFile),
        SourceKind::Ndjson(name) => {
            let mapping = model
                .monitor
                .ndjson
                .iter()
                .find(|m| &m.name == name)
                .ok_or_else(|| SourceError::NoMapping {
                    name: name.clone(),
                    known: model
                        .monitor
                        .ndjson
                        .iter()
                        .map(|m| m.name.clone())
                        .collect(),
                })?;
            (Box::new(Mapped::new(mapping)?), Source::Ndjson)
        }
    })
}

/// Events read from one source.
pub enum Stream<R: BufRead> {
    /// JSON records (GitHub, GitLab).
    Json(Box<JsonStream<R>>),
    /// One record per line (sshd, journald, mapped NDJSON).
    Lines(Box<LineStream<R>>),
}

/// The JSON sources.
pub enum JsonStream<R: BufRead> {
    /// GitHub.
    Github(Events<R, crate::parse::github::GithubParser>),
    /// GitLab.
    Gitlab(Events<R, crate::parse::gitlab::GitlabParser>),
}

/// A line-per-record source.
pub struct LineStream<R: BufRead> {
    reader: R,
    parser: Box<dyn Parser>,
    source: Source,
    file: String,
    line: u64,
    buf: Vec<u8>,
    stats: Stats,
    failed: bool,
}

/// `line` without its `\n` or `\r\n`.
pub(crate) fn without_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The longest line a line source reads whole (as GitHub's reader caps a
/// record): a log line is a few hundred bytes, and a longer one is not held
/// in memory whatever its length.
pub const MAX_LINE: usize = crate::parse::github::MAX_RECORD;

/// What one call of [`read_line_bounded`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounded {
    /// Bytes consumed from the reader (0: it was at its end).
    pub consumed: usize,
    /// Some of them were dropped: the line is longer than the cap.
    pub cut: bool,
    /// The line's `\n` was read; otherwise the reader ended first.
    pub ended: bool,
}

/// Reads one line (with its `\n`) into `buf`, after what `buf` already
/// holds, keeping at most `cap` bytes in `buf`: the rest of a longer line is
/// read and dropped. Stops at the `\n` or at the end of the reader.
pub(crate) fn read_line_bounded<R: BufRead>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Bounded> {
    read_line_bounded_seen(reader, buf, cap, |_| {})
}

/// [`read_line_bounded`], handing `seen` every byte consumed, in order,
/// those dropped from `buf` too.
pub(crate) fn read_line_bounded_seen<R: BufRead>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
    mut seen: impl FnMut(&[u8]),
) -> std::io::Result<Bounded> {
    let mut read = Bounded {
        consumed: 0,
        cut: false,
        ended: false,
    };
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read);
        }
        let (take, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let room = cap.saturating_sub(buf.len());
        if take > room {
            buf.extend_from_slice(&available[..room]);
            read.cut = true;
        } else {
            buf.extend_from_slice(&available[..take]);
        }
        seen(&available[..take]);
        reader.consume(take);
        read.consumed += take;
        if done {
            read.ended = true;
            return Ok(read);
        }
    }
}

impl<R: BufRead> Iterator for LineStream<R> {
    type Item = (u64, Result<Event, Problem>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        self.buf.clear();
        let cut = match read_line_bounded(&mut self.reader, &mut self.buf, MAX_LINE) {
            Ok(Bounded { consumed: 0, .. }) => return None,
            Ok(read) => read.cut,
            Err(e) => {
                // A read error ends this source; it is counted, not hidden.
                self.failed = true;
                self.line += 1;
                let outcome = Err(Problem::Truncated(format!("reading stopped: {e}")));
                self.stats.count(self.line, &outcome);
                return Some((self.line, outcome));
            }
        };
        self.line += 1;
        if cut {
            let outcome = Err(Problem::Malformed(format!(
                "a line longer than {MAX_LINE} bytes (its first {MAX_LINE} were kept, the rest skipped)"
            )));
            self.stats.count(self.line, &outcome);
            return Some((self.line, outcome));
        }
        let record = without_line_end(&self.buf);
        let at = RawRef {
            source: self.source,
            file: self.file.clone(),
            line: self.line,
            id: None,
        };
        let outcome = self.parser.parse(record, at);
        self.stats.count(self.line, &outcome);
        Some((self.line, outcome))
    }
}

impl<R: BufRead> Stream<R> {
    /// Opens `reader` (named `file` in each event's raw reference) as a
    /// source of `kind`; syslog lines take `year` and `zone`, mapped NDJSON
    /// its mapping from `model`.
    pub fn open(
        kind: &SourceKind,
        reader: R,
        file: &str,
        model: &Model,
        year: i16,
        zone: TimeZone,
    ) -> Result<Stream<R>, SourceError> {
        Ok(match kind {
            SourceKind::Github => Stream::Json(Box::new(JsonStream::Github(
                crate::parse::github::read(reader, file),
            ))),
            SourceKind::Gitlab => Stream::Json(Box::new(JsonStream::Gitlab(
                crate::parse::gitlab::read(reader, file),
            ))),
            // A line source reads with the parser `follow` uses too.
            _ => {
                let (parser, source) = parser(kind, model, year, zone)?;
                Stream::Lines(Box::new(LineStream {
                    reader,
                    parser,
                    source,
                    file: file.to_owned(),
                    line: 0,
                    buf: Vec::new(),
                    stats: Stats::default(),
                    failed: false,
                }))
            }
        })
    }

    /// The counts so far.
    pub fn stats(&self) -> &Stats {
        match self {
            Stream::Json(j) => match j.as_ref() {
                JsonStream::Github(e) => e.stats(),
                JsonStream::Gitlab(e) => e.stats(),
            },
            Stream::Lines(l) => &l.stats,
        }
    }
}

impl<R: BufRead> Iterator for Stream<R> {
    type Item = (u64, Result<Event, Problem>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Stream::Json(j) => match j.as_mut() {
                JsonStream::Github(e) => e.next(),
                JsonStream::Gitlab(e) => e.next(),
            },
            Stream::Lines(l) => l.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn kinds_parse_and_unknown_ones_say_what_is_read() {
        assert_eq!("sshd".parse::<SourceKind>().unwrap(), SourceKind::Sshd);
        assert_eq!(
            "ndjson:vpn".parse::<SourceKind>().unwrap(),
            SourceKind::Ndjson("vpn".to_owned())
        );
        let err = "syslog".parse::<SourceKind>().unwrap_err();
        assert!(err.to_string().contains("github, gitlab, sshd"), "{err}");
        assert!("ndjson:".parse::<SourceKind>().is_err());
    }

    #[test]
    fn an_overlong_line_is_counted_and_not_held_and_the_next_line_is_read() {
        let mut text = vec![b'x'; MAX_LINE * 3];
        text.extend_from_slice(
            b"\n2026-12-07T09:05:00+00:00 bastion sshd[1]: Invalid user mallory from 203.0.113.9 port 4000\n",
        );
        let model = Model::default();
        let mut s = Stream::open(
            &SourceKind::Sshd,
            std::io::BufReader::with_capacity(4096, &text[..]),
            "auth.log",
            &model,
            2026,
            TimeZone::UTC,
        )
        .unwrap();
        let first = s.next().unwrap();
        assert_eq!(first.0, 1);
        let Err(Problem::Malformed(why)) = &first.1 else {
            panic!("{:?}", first.1)
        };
        assert!(why.contains("longer than"), "{why}");
        if let Stream::Lines(lines) = &s {
            assert!(lines.buf.len() <= MAX_LINE, "{}", lines.buf.len());
        }
        let second = s.next().unwrap();
        assert_eq!(second.0, 2);
        assert!(second.1.is_ok(), "{:?}", second.1);
        assert!(s.next().is_none());
        assert_eq!((s.stats().records, s.stats().events), (2, 1));
    }

    #[test]
    fn a_line_source_counts_every_line_and_keeps_going() {
        let text = b"2026-12-07T09:00:00+00:00 bastion sshd[1]: Accepted publickey for arjun.menon from 198.51.100.7 port 50000 ssh2: ED25519 SHA256:abc\r\n\
garbage line\n\xff\xfe\n2026-12-07T09:05:00+00:00 bastion sshd[1]: Invalid user mallory from 203.0.113.9 port 4000\n";
        let model = Model::default();
        let mut s = Stream::open(
            &SourceKind::Sshd,
            &text[..],
            "auth.log",
            &model,
            2026,
            TimeZone::UTC,
        )
        .unwrap();
        let outcomes: Vec<_> = s.by_ref().collect();
        assert_eq!(outcomes.len(), 4);
        assert!(outcomes[0].1.is_ok());
        assert_eq!(outcomes[0].1.as_ref().unwrap().raw.line, 1);
        assert!(outcomes[1].1.is_err());
        assert!(outcomes[2].1.is_err());
        assert!(outcomes[3].1.is_ok());
        assert_eq!((s.stats().records, s.stats().events), (4, 2));
        let err = Stream::open(
            &SourceKind::Ndjson("vpn".to_owned()),
            &text[..],
            "x",
            &model,
            2026,
            TimeZone::UTC,
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("maps none"), "{err}");
    }
}
