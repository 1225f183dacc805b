//! OpenSSH's auth log, as `journalctl -o json` writes it: one JSON object
//! per line (the journal's JSON format, systemd's `JOURNAL_EXPORT_FORMATS`).
//!
//! The fields read:
//!
//! - `__REALTIME_TIMESTAMP`: microseconds since the epoch, as a decimal
//!   string (the time the journal received the entry, in UTC);
//! - `_HOSTNAME`: the host, the event's resource;
//! - `SYSLOG_IDENTIFIER`, else `_COMM`: `sshd`, `sshd-session` or `sshd-auth`
//!   (other programs' entries are [`Problem::Skipped`]);
//! - `MESSAGE`: sshd's message, read with the grammar of
//!   [`sshd`](crate::parse::sshd) (the table of shapes is there);
//! - `__CURSOR`: the raw record's id, when the caller gave none.
//!
//! The JSON format serialises a value that is not printable UTF-8 as an
//! array of its bytes, a value left out for its size as `null`, and a field
//! given more than once as an array of values; all three are read. A
//! message or host name of bytes is read lossily (U+FFFD for what is not
//! UTF-8): its words are ASCII, and only a name sshd logs can carry other
//! bytes, so the event is kept with the name as near as it can be shown,
//! and marked [`Event::lossy`](crate::event::Event::lossy).

use std::borrow::Cow;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use crate::event::{Event, RawRef, Source};
use crate::parse::sshd::{Failed, Message, is_sshd};
use crate::parse::{Parser, Problem};

/// Reads sshd's entries of `journalctl -o json`.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    last: Option<Timestamp>,
    backward_jumps: u64,
    failed: Failed,
}

impl Journal {
    /// A reader.
    pub fn new() -> Journal {
        Journal::default()
    }

    /// How many entries stepped back in time by more than a few minutes
    /// from the entry before (the journal's realtime clock set back, or
    /// merged journals). Their events are made with the time they say.
    pub fn backward_jumps(&self) -> u64 {
        self.backward_jumps
    }
}

/// The fields read; the rest are skipped unparsed.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "__REALTIME_TIMESTAMP")]
    realtime: Option<Value>,
    #[serde(rename = "__CURSOR", borrow)]
    cursor: Option<Cow<'a, str>>,
    #[serde(rename = "_HOSTNAME")]
    hostname: Option<Value>,
    #[serde(rename = "SYSLOG_IDENTIFIER")]
    identifier: Option<Value>,
    #[serde(rename = "_COMM")]
    comm: Option<Value>,
    #[serde(rename = "MESSAGE")]
    message: Option<Value>,
}

/// A field's value as text: a string, an array of bytes, or the first of
/// several values; `None` for `null` (left out for its size).
fn text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Array(items) if items.iter().all(Value::is_u64) => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            bytes.map(|b| match String::from_utf8(b) {
                Ok(s) => Cow::Owned(s),
                Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            })
        }
        Value::Array(items) => items.iter().find_map(text),
        _ => None,
    }
}

/// Whether a field's value (its first, when several) is bytes that are not
/// UTF-8, so that [`text`] read it lossily.
fn lossy(value: &Value) -> bool {
    match value {
        Value::Array(items) if items.iter().all(Value::is_u64) => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            bytes.is_some_and(|b| std::str::from_utf8(&b).is_err())
        }
        Value::Array(items) => items.iter().find(|v| text(v).is_some()).is_some_and(lossy),
        _ => false,
    }
}

/// Every value of a field (several when it was given more than once).
fn texts(value: &Value) -> Vec<Cow<'_, str>> {
    match value {
        Value::Array(items) if !items.iter().all(Value::is_u64) => {
            items.iter().filter_map(text).collect()
        }
        _ => text(value).into_iter().collect(),
    }
}

fn json_problem(e: &serde_json::Error) -> Problem {
    if e.is_eof() {
        Problem::Truncated(format!("journal JSON ends early: {e}"))
    } else {
        Problem::Malformed(format!("journal JSON: {e}"))
    }
}

impl Parser for Journal {
    fn parse(&mut self, record: &[u8], at: RawRef) -> Result<Event, Problem> {
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        let r: Record<'_> = serde_json::from_slice(record).map_err(|e| json_problem(&e))?;
        let time = realtime(r.realtime.as_ref())?;
        if let Some(last) = self.last
            && t_before(time, last)
        {
            self.backward_jumps += 1;
        }
        self.last = Some(time);

        let program = r
            .identifier
            .as_ref()
            .or(r.comm.as_ref())
            .ok_or_else(|| Problem::Skipped("journal entry names no program".into()))?;
        let programs = texts(program);
        if !programs.iter().any(|p| is_sshd(p)) {
            let name = programs.first().map_or("", |p| p.as_ref());
            return Err(Problem::Skipped(format!(
                "not sshd: {}",
                name.chars().take(80).collect::<String>()
            )));
        }
        let message = match &r.message {
            None => {
                return Err(Problem::Field {
                    field: "MESSAGE",
                    what: "is missing".into(),
                });
            }
            Some(value) => text(value).ok_or_else(|| Problem::Field {
                field: "MESSAGE",
                what: "was left out (null) or is not text".into(),
            })?,
        };
        let host = r.hostname.as_ref().and_then(text);
        let message = self
            .failed
            .settle(host.as_deref(), Message::parse(&message)?)?;
        let mut raw = at;
        if raw.id.is_none() {
            raw.id = r.cursor.map(Cow::into_owned);
        }
        let lossy = [&r.message, &r.hostname].into_iter().flatten().any(lossy);
        let mut event = message.into_event(time, host.as_deref(), Source::Journald, raw);
        event.lossy = lossy;
        Ok(event)
    }
}

/// Whether `t` is more than a few minutes before `last`.
fn t_before(t: Timestamp, last: Timestamp) -> bool {
    t < last && last.duration_since(t) > jiff::SignedDuration::from_mins(5)
}

/// `__REALTIME_TIMESTAMP`: microseconds since the epoch, as a string (or a
/// number, as other tools write it).
fn realtime(value: Option<&Value>) -> Result<Timestamp, Problem> {
    let field = |what: String| Problem::Field {
        field: "__REALTIME_TIMESTAMP",
        what,
    };
    let micros = match value {
        None => return Err(field("is missing".into())),
        Some(Value::String(s)) => s
            .parse::<i64>()
            .map_err(|_| field(format!("{:?} is not microseconds", clip(s))))?,
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| field(format!("{n} is not microseconds")))?,
        Some(other) => return Err(field(format!("is {other}, not microseconds"))),
    };
    Timestamp::from_microsecond(micros).map_err(|e| field(format!("{micros}: {e}")))
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::event::{Action, ActorKind, Outcome, Resource};

    fn raw() -> RawRef {
        RawRef {
            source: Source::Journald,
            file: "journal.json".into(),
            line: 1,
            id: None,
        }
    }

    /// Entries as `journalctl -o json` 252 printed them, from a journal file
    /// that `systemd-journal-remote` wrote of OpenSSH 9.2's messages; the
    /// last one's MESSAGE holds a byte that is not UTF-8 and a control
    /// character, so journalctl wrote it as bytes.
    const ENTRIES: [&str; 3] = [
        r#"{"__REALTIME_TIMESTAMP":"1796635800123456","_BOOT_ID":"0f2e5d3c1b2a49c8a1b2c3d4e5f60718","_COMM":"sshd","__MONOTONIC_TIMESTAMP":"1000","SYSLOG_IDENTIFIER":"sshd","_HOSTNAME":"bastion-1","__CURSOR":"s=0ec57d8996594ca0a38d484ab66fc9c4;i=1;b=0f2e5d3c1b2a49c8a1b2c3d4e5f60718;m=3e8;t=66207dea83840;x=aaaefd27fc1e7e43","_PID":"4242","PRIORITY":"6","MESSAGE":"Accepted publickey for root from 127.0.0.1 port 55114 ssh2: ED25519-CERT SHA256:1lsm9eg2tfqz8GoscotEuQPUO7iP6WHLlFZAAmHueQk ID grant-7 (serial 77) CA ED25519 SHA256:n7jy0iEGhK8EFSCJu2cP1tH59hcDrnKzqk9Mv963NYI","SYSLOG_FACILITY":"4"}"#,
        r#"{"SYSLOG_IDENTIFIER":"sshd","__REALTIME_TIMESTAMP":"1796635800128456","_PID":"4242","_HOSTNAME":"bastion-1","MESSAGE":"Invalid user nosuchuser from 127.0.0.1 port 55136","_BOOT_ID":"0f2e5d3c1b2a49c8a1b2c3d4e5f60718","__MONOTONIC_TIMESTAMP":"1005","_COMM":"sshd","PRIORITY":"6","SYSLOG_FACILITY":"4","__CURSOR":"s=0ec57d8996594ca0a38d484ab66fc9c4;i=6;b=0f2e5d3c1b2a49c8a1b2c3d4e5f60718;m=3ed;t=66207dea84bc8;x=515794ab927caebb"}"#,
        r#"{"__MONOTONIC_TIMESTAMP":"2000","__CURSOR":"s=0ec57d8996594ca0a38d484ab66fc9c4;i=7;b=0f2e5d3c1b2a49c8a1b2c3d4e5f60718;m=7d0;t=66207dea9baf8;x=84ef033fcc4d1809","__REALTIME_TIMESTAMP":"1796635800222456","_BOOT_ID":"0f2e5d3c1b2a49c8a1b2c3d4e5f60718","_COMM":"sshd-session","SYSLOG_IDENTIFIER":"sshd-session","_HOSTNAME":"bastion-1","MESSAGE":[73,110,118,97,108,105,100,32,117,115,101,114,32,98,228,114,1,32,102,114,111,109,32,49,50,55,46,48,46,48,46,49,32,112,111,114,116,32,52,48,48,48,48]}"#,
    ];

    #[test]
    fn journalctl_entries_read() {
        let mut j = Journal::new();
        let e = j.parse(ENTRIES[0].as_bytes(), raw()).unwrap();
        assert_eq!(e.time.to_string(), "2026-12-07T09:30:00.123456Z");
        assert_eq!(e.actor.name, "root");
        assert_eq!(e.actor.kind, ActorKind::SshUser);
        assert_eq!(
            e.action,
            Action::Login {
                method: "certificate".into()
            }
        );
        assert_eq!(e.grant.as_deref(), Some("grant-7"));
        assert_eq!(e.serial, Some(77));
        assert_eq!(e.resource, Some(Resource::Host("bastion-1".into())));
        assert_eq!(e.source_address, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(e.raw.source, Source::Journald);
        assert!(e.raw.id.as_deref().unwrap().starts_with("s=0ec57d"));

        let e = j.parse(ENTRIES[1].as_bytes(), raw()).unwrap();
        assert_eq!(
            e.action,
            Action::LoginFailed {
                method: "invalid_user".into()
            }
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert!(!e.lossy);

        let e = j.parse(ENTRIES[2].as_bytes(), raw()).unwrap();
        assert_eq!(e.actor.name, "b\u{fffd}r\u{1}");
        // Its bytes were not UTF-8: the event says so, and is counted so.
        assert!(e.lossy);
        let mut stats = crate::parse::Stats::default();
        stats.count(1, &Ok(e.clone()));
        stats.count(2, &j.parse(ENTRIES[1].as_bytes(), raw()));
        assert_eq!((stats.events, stats.lossy), (2, 1));
        assert_eq!(e.source_address, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(j.backward_jumps(), 0);
    }

    #[test]
    fn several_values_and_null_fields_read() {
        let mut j = Journal::new();
        let e = j
            .parse(
                br#"{"__REALTIME_TIMESTAMP":"1796635800000000","SYSLOG_IDENTIFIER":["sshd","x"],"_HOSTNAME":"h","MESSAGE":["Disconnected from user ana 192.0.2.1 port 9",null]}"#,
                raw(),
            )
            .unwrap();
        assert_eq!(e.action, Action::SessionClose);
        let got = j.parse(
            br#"{"__REALTIME_TIMESTAMP":"1796635800000000","SYSLOG_IDENTIFIER":"sshd","MESSAGE":null}"#,
            raw(),
        );
        assert!(
            matches!(
                got,
                Err(Problem::Field {
                    field: "MESSAGE",
                    ..
                })
            ),
            "{got:?}"
        );
    }

    #[test]
    fn bad_entries_are_counted_by_kind() {
        let mut j = Journal::new();
        let cases: &[(&[u8], &str)] = &[
            (b"", "truncated"),
            (br#"{"__REALTIME_TIMESTAMP":"17966358"#, "truncated"),
            (b"not json", "malformed"),
            (b"[1,2,3]", "malformed"),
            (b"\xff\xfe", "malformed"),
            (br#"{"__REALTIME_TIMESTAMP":"1796635800000000","SYSLOG_IDENTIFIER":"cron","MESSAGE":"x"}"#, "skipped"),
            (br#"{"__REALTIME_TIMESTAMP":"1796635800000000","MESSAGE":"x"}"#, "skipped"),
            (br#"{"SYSLOG_IDENTIFIER":"sshd","MESSAGE":"x"}"#, "field"),
            (br#"{"__REALTIME_TIMESTAMP":"soon","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"x"}"#, "field"),
            (br#"{"__REALTIME_TIMESTAMP":"99999999999999999999","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"x"}"#, "field"),
            (br#"{"__REALTIME_TIMESTAMP":"-999999999999999999","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"x"}"#, "field"),
            (br#"{"__REALTIME_TIMESTAMP":"1796635800000000","SYSLOG_IDENTIFIER":"sshd"}"#, "field"),
            (br#"{"__REALTIME_TIMESTAMP":"1796635800000000","SYSLOG_IDENTIFIER":"sshd","MESSAGE":[300]}"#, "field"),
            (br#"{"__REALTIME_TIMESTAMP":"1796635800000000","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Accepted password for a from 1.2.3.4 port 70000 ssh2"}"#, "field"),
            (br#"{"__REALTIME_TIMESTAMP":"1796635800000000","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Server listening on :: port 22."}"#, "skipped"),
        ];
        for (entry, key) in cases {
            let got = j.parse(entry, raw());
            assert_eq!(
                got.as_ref().map_err(Problem::key).err(),
                Some(*key),
                "{}: {got:?}",
                String::from_utf8_lossy(entry)
            );
        }
    }

    #[test]
    fn a_clock_set_back_is_counted() {
        let mut j = Journal::new();
        let at = |micros: &str| {
            format!(
                r#"{{"__REALTIME_TIMESTAMP":"{micros}","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Invalid user x from 192.0.2.1 port 1"}}"#
            )
        };
        j.parse(at("1796635800000000").as_bytes(), raw()).unwrap();
        j.parse(at("1796635799000000").as_bytes(), raw()).unwrap();
        assert_eq!(j.backward_jumps(), 0);
        j.parse(at("1796620000000000").as_bytes(), raw()).unwrap();
        assert_eq!(j.backward_jumps(), 1);
    }
}
