//! OpenSSH's auth log, as syslog writes it.
//!
//! A line is a syslog prefix and sshd's message. The prefixes read:
//!
//! - RFC 3164, as rsyslog and syslog-ng write files by default:
//!   `Dec  7 09:30:00 bastion-1 sshd[812]: …`, optionally after a `<PRI>`;
//! - an RFC 3339 timestamp in place of the RFC 3164 one (rsyslog's
//!   `RSYSLOG_FileFormat`): `2026-12-07T09:30:00.123456+00:00 bastion-1 sshd[812]: …`;
//! - RFC 5424: `<38>1 2026-12-07T09:30:00.123Z bastion-1 sshd 812 - - …`.
//!
//! The program is `sshd`, or `sshd-session` and `sshd-auth` (OpenSSH 9.8 and
//! later split sshd into these); other programs' lines are
//! [`Problem::Skipped`]. An RFC 3164 timestamp has neither a year nor a zone:
//! [`Syslog::new`] takes the year of the file's first line and the zone the
//! host logs in, and each later line gets the year that puts it nearest the
//! line before, so a file running from December into January moves on a year
//! (and a late December line after a January one stays in the old year).
//!
//! The messages read ([`Message::parse`], shared with the journal's reader):
//!
//! | message | action | outcome |
//! |---|---|---|
//! | `Accepted password\|publickey\|… for USER from IP port N ssh2[: KEYTYPE SHA256:…]` | [`Action::Login`] | success |
//! | `Accepted publickey for USER from IP port N ssh2: ED25519-CERT SHA256:… ID KEYID (serial N) CA ED25519 SHA256:…` | [`Action::Login`], method `certificate`, key id as the grant, serial | success |
//! | `Failed METHOD for [invalid user ]USER from IP port N ssh2[: …]` | [`Action::LoginFailed`] (a certificate's key id and serial too) | failure |
//! | `Invalid user USER from IP port N` | [`Action::LoginFailed`], method `invalid_user` | failure |
//! | `Connection closed\|reset by authenticating\|invalid user USER IP port N [preauth]`, `Disconnected from authenticating\|invalid user …` | [`Action::LoginFailed`], method `unknown`, unless the connection logged a failure already | failure |
//! | `Disconnected from user USER IP port N` | [`Action::SessionClose`] | success |
//! | `pam_unix(sshd:session): session opened for user USER[(uid=N)] by …` | [`Action::SessionOpen`] | success |
//! | `pam_unix(sshd:session): session closed for user USER` | [`Action::SessionClose`] | success |
//!
//! A connection that fails logs one failed login however verbose sshd is:
//! at the default `LogLevel INFO` a wrong key shows only as the preauth
//! disconnect, while `LogLevel VERBOSE` logs `Failed publickey` before it,
//! so the readers remember the connections (host, address, port) that
//! logged a failure and skip their disconnect. Each password tried is a
//! failure of its own, and an invalid user's `Invalid user` line is one
//! more. Every other sshd message (`Connection from`,
//! `Postponed`, `Received disconnect`, the `Accepted key`/`Accepted
//! certificate` lines of `LogLevel VERBOSE`, …) is [`Problem::Skipped`].
//!
//! Names sshd logs are attacker-chosen for failed and invalid users; sshd
//! escapes control characters but not spaces, so the address is found as the
//! first ` from IP port N` whose rest of line is one sshd writes.
//!
//! A line that is not valid UTF-8 (a byte of another encoding in a user or
//! host name, a relay cutting a character) is read with U+FFFD in place of
//! each bad sequence; if it then reads, its event is marked
//! [`Event::lossy`] (and counted so), and if it does not, the line is
//! counted as invalid UTF-8.

use std::collections::{HashSet, VecDeque};
use std::net::IpAddr;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::event::{Action, Actor, ActorKind, Event, Outcome, RawRef, Resource, Source};
use crate::parse::{Parser, Problem, utf8};

/// What one sshd message says, before it is placed in time and on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The user sshd names (the login name; for invalid users, what was tried).
    pub user: String,
    /// What happened.
    pub action: Action,
    /// Whether it worked.
    pub outcome: Outcome,
    /// The client's address (`None` when sshd logs `UNKNOWN` or gives none).
    pub address: Option<IpAddr>,
    /// The client's port, which pairs a login with its disconnect.
    pub port: Option<u16>,
    /// A certificate's key id (Palisade puts the grant id there).
    pub grant: Option<String>,
    /// A certificate's serial.
    pub serial: Option<u64>,
    /// Whether the message ends the connection (a disconnect).
    pub ends_connection: bool,
}

/// Whether `program` is one of OpenSSH's server programs.
pub fn is_sshd(program: &str) -> bool {
    matches!(program, "sshd" | "sshd-session" | "sshd-auth")
}

impl Message {
    /// Reads sshd's message text (without any syslog prefix: also what
    /// `sshd -e` writes to standard error).
    pub fn parse(text: &str) -> Result<Message, Problem> {
        let text = text.trim_end_matches(['\r', '\n']);
        if let Some(rest) = text.strip_prefix("Accepted ") {
            return auth(rest, true);
        }
        if let Some(rest) = text.strip_prefix("Failed ") {
            return auth(rest, false);
        }
        if let Some(rest) = text.strip_prefix("Invalid user ") {
            let (user, address, port, _) =
                user_from(rest, |tail| tail.is_empty() || tail == " [preauth]")?;
            return Ok(Message::new(
                user,
                Action::LoginFailed {
                    method: "invalid_user".into(),
                },
                Outcome::Failure,
                address,
                Some(port),
            ));
        }
        if let Some(rest) = text.strip_prefix("pam_unix(sshd:session): session ") {
            return pam_session(rest);
        }
        for head in [
            "Connection closed by ",
            "Connection reset by ",
            "Disconnected from ",
        ] {
            if let Some(rest) = text.strip_prefix(head) {
                return disconnect(rest);
            }
        }
        Err(Problem::Skipped(format!(
            "sshd message not read: {}",
            clip(text)
        )))
    }

    fn new(
        user: &str,
        action: Action,
        outcome: Outcome,
        address: Option<IpAddr>,
        port: Option<u16>,
    ) -> Message {
        Message {
            user: user.to_owned(),
            action,
            outcome,
            address,
            port,
            grant: None,
            serial: None,
            ends_connection: false,
        }
    }

    /// The event this message makes, logged at `time` on `host`.
    pub fn into_event(
        self,
        time: Timestamp,
        host: Option<&str>,
        source: Source,
        raw: RawRef,
    ) -> Event {
        Event {
            time,
            actor: Actor {
                name: self.user,
                kind: ActorKind::SshUser,
                person: None,
            },
            action: self.action,
            resource: host.map(|h| Resource::Host(h.to_owned())),
            source_address: self.address,
            outcome: self.outcome,
            grant: self.grant,
            serial: self.serial,
            lossy: false,
            raw: RawRef { source, ..raw },
        }
    }
}

/// `Accepted|Failed METHOD for [invalid user ]USER from IP port N ssh2[: EXTRA]`,
/// after the first word.
fn auth(rest: &str, accepted: bool) -> Result<Message, Problem> {
    let Some((method, after)) = rest.split_once(' ') else {
        return Err(Problem::Truncated("sshd authentication line".into()));
    };
    let Some(after) = after.strip_prefix("for ") else {
        // `Accepted key …` and `Accepted certificate ID …` (LogLevel
        // VERBOSE) say which key matched, before the line that counts.
        if "for ".starts_with(after) {
            return Err(Problem::Truncated("sshd authentication line".into()));
        }
        return Err(Problem::Skipped(format!(
            "sshd message not read: {}",
            clip(rest)
        )));
    };
    if method.is_empty()
        || !method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-/@._".contains(&b))
    {
        return Err(Problem::Malformed(format!(
            "sshd authentication method {:?}",
            clip(method)
        )));
    }
    let after = after.strip_prefix("invalid user ").unwrap_or(after);
    let (user, address, port, tail) = user_from(after, |tail| {
        tail.is_empty() || tail == " [preauth]" || tail.starts_with(" ssh2")
    })?;
    let extra = tail
        .strip_prefix(" ssh2")
        .and_then(|t| t.strip_prefix(": "))
        .map(|t| t.strip_suffix(" [preauth]").unwrap_or(t));
    let cert = match extra {
        Some(extra) => certificate(extra)?,
        None => None,
    };
    let method = if cert.is_some() {
        "certificate".to_owned()
    } else {
        method.to_owned()
    };
    let (action, outcome) = if accepted {
        (Action::Login { method }, Outcome::Success)
    } else {
        (Action::LoginFailed { method }, Outcome::Failure)
    };
    let mut message = Message::new(user, action, outcome, address, Some(port));
    if let Some((key_id, serial)) = cert {
        message.grant = (!key_id.is_empty()).then(|| key_id.to_owned());
        message.serial = Some(serial);
    }
    Ok(message)
}

/// A certificate's key id and serial from `KEYTYPE-CERT FP ID KEYID (serial
/// N) CA KEYTYPE FP[, …]`; `None` for a plain key.
fn certificate(extra: &str) -> Result<Option<(&str, u64)>, Problem> {
    let Some((key_type, rest)) = extra.split_once(' ') else {
        return Ok(None);
    };
    if !key_type.ends_with("-CERT") {
        return Ok(None);
    }
    let truncated = || Problem::Truncated("sshd certificate details".into());
    let (_fingerprint, rest) = rest.split_once(' ').ok_or_else(truncated)?;
    let rest = rest.strip_prefix("ID ").ok_or_else(truncated)?;
    // The key id may hold spaces: its end is the last ` (serial N)` that
    // is followed by the CA.
    let mut found = None;
    for at in memchr::memmem::rfind_iter(rest.as_bytes(), b" (serial ") {
        let after = &rest[at + " (serial ".len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let close = &after[digits..];
        if digits > 0 && close.starts_with(") CA ") {
            found = Some((at, &after[..digits]));
            break;
        }
    }
    let (at, digits) = found.ok_or_else(truncated)?;
    let serial = digits.parse::<u64>().map_err(|_| Problem::Field {
        field: "serial",
        what: format!("{} is not a certificate serial", clip(digits)),
    })?;
    Ok(Some((&rest[..at], serial)))
}

/// Splits `USER from IP port N TAIL` at the first ` from ` whose address,
/// port and tail read; `tail_ok` says which tails sshd writes after this
/// message.
fn user_from(
    rest: &str,
    tail_ok: impl Fn(&str) -> bool,
) -> Result<(&str, Option<IpAddr>, u16, &str), Problem> {
    let mut problem = None;
    for at in memchr::memmem::find_iter(rest.as_bytes(), b" from ") {
        match address_port(&rest[at + " from ".len()..]) {
            Ok((address, port, tail)) if tail_ok(tail) => {
                return Ok((&rest[..at], address, port, tail));
            }
            Ok(_) => {}
            Err(p) => problem = Some(worse(problem, p)),
        }
    }
    // A line cut before ` from ` (or with a mangled one) still names sshd's
    // message; say which way it is broken.
    Err(match problem {
        Some(p) => p,
        None if !rest.contains(" from ") => {
            Problem::Truncated("sshd line ends before ` from IP port N`".into())
        }
        None => Problem::Malformed(format!("sshd line ends oddly: {}", clip(rest))),
    })
}

/// The more telling of two problems: a bad field over a cut-off line over a
/// malformed one.
fn worse(old: Option<Problem>, new: Problem) -> Problem {
    let rank = |p: &Problem| match p {
        Problem::Field { .. } => 3,
        Problem::Truncated(_) => 2,
        _ => 1,
    };
    match old {
        Some(old) if rank(&old) >= rank(&new) => old,
        _ => new,
    }
}

/// `IP port N` and what follows it.
fn address_port(s: &str) -> Result<(Option<IpAddr>, u16, &str), Problem> {
    let truncated = || Problem::Truncated("sshd line ends in `IP port N`".into());
    let (ip, after) = s.split_once(' ').ok_or_else(truncated)?;
    let Some(after) = after.strip_prefix("port ") else {
        if "port ".starts_with(after) {
            return Err(truncated());
        }
        return Err(Problem::Malformed(format!(
            "sshd line has no port after {}",
            clip(ip)
        )));
    };
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(if after.is_empty() {
            truncated()
        } else {
            Problem::Malformed(format!("sshd port {:?}", clip(after)))
        });
    }
    let port = after[..digits].parse::<u16>().map_err(|_| Problem::Field {
        field: "port",
        what: format!("{} is not a port", clip(&after[..digits])),
    })?;
    Ok((address(ip)?, port, &after[digits..]))
}

/// An address as sshd logs it; `UNKNOWN` when the connection had already gone.
fn address(ip: &str) -> Result<Option<IpAddr>, Problem> {
    if ip == "UNKNOWN" {
        return Ok(None);
    }
    // A link-local IPv6 address may carry its interface (`fe80::1%eth0`).
    let bare = ip.split_once('%').map_or(ip, |(a, _)| a);
    bare.parse::<IpAddr>()
        .map(Some)
        .map_err(|_| Problem::Field {
            field: "source_address",
            what: format!("{:?} is not an IP address", clip(ip)),
        })
}

/// `opened for user USER[(uid=N)] by …` or `closed for user USER`.
fn pam_session(rest: &str) -> Result<Message, Problem> {
    let (action, rest) = if let Some(r) = rest.strip_prefix("opened for user ") {
        (Action::SessionOpen, r)
    } else if let Some(r) = rest.strip_prefix("closed for user ") {
        (Action::SessionClose, r)
    } else if "opened for user ".starts_with(rest) || "closed for user ".starts_with(rest) {
        return Err(Problem::Truncated("pam_unix session line".into()));
    } else {
        return Err(Problem::Skipped(format!(
            "pam_unix session message not read: {}",
            clip(rest)
        )));
    };
    let end = rest.find(['(', ' ']).unwrap_or(rest.len());
    let user = &rest[..end];
    if user.is_empty() {
        return Err(Problem::Truncated(
            "pam_unix session line has no user".into(),
        ));
    }
    Ok(Message::new(user, action, Outcome::Success, None, None))
}

/// After `Connection closed by `, `Connection reset by ` or `Disconnected from `:
/// `[authenticating |invalid ]user USER IP port N[ [preauth]]`.
fn disconnect(rest: &str) -> Result<Message, Problem> {
    let (after, action, outcome) = if let Some(r) = rest
        .strip_prefix("authenticating user ")
        .or_else(|| rest.strip_prefix("invalid user "))
    {
        let method = "unknown".to_owned();
        (r, Action::LoginFailed { method }, Outcome::Failure)
    } else if let Some(r) = rest.strip_prefix("user ") {
        (r, Action::SessionClose, Outcome::Success)
    } else {
        // `Connection closed by IP port N [preauth]`: nobody named.
        return Err(Problem::Skipped(format!(
            "sshd disconnect names no user: {}",
            clip(rest)
        )));
    };
    // USER IP port N: the user may hold spaces, the address never does,
    // so the address is the word before the last ` port N` that reads.
    let mut problem = None;
    for at in memchr::memmem::rfind_iter(after.as_bytes(), b" port ") {
        let Some(space) = after[..at].rfind(' ') else {
            continue;
        };
        match address_port(&after[space + 1..]) {
            Ok((address, port, tail)) if tail.is_empty() || tail == " [preauth]" => {
                let user = &after[..space];
                let mut message = Message::new(user, action, outcome, address, Some(port));
                message.ends_connection = true;
                return Ok(message);
            }
            Ok(_) => {}
            Err(p) => problem = Some(worse(problem, p)),
        }
    }
    Err(problem.unwrap_or_else(|| {
        Problem::Truncated("sshd disconnect line ends before `IP port N`".into())
    }))
}

/// At most 80 characters of `s`, for a problem's message.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// Connections that logged a failure, so the disconnect that ends one is
/// not counted as another failure. Bounded: a connection whose disconnect
/// never comes is forgotten after [`Failed::KEEP`] more.
#[derive(Debug, Clone, Default)]
pub(crate) struct Failed {
    open: HashSet<Connection>,
    order: VecDeque<Connection>,
}

/// A connection: host, client address and port.
type Connection = (Option<String>, Option<IpAddr>, u16);

impl Failed {
    const KEEP: usize = 65_536;

    /// `message` as an event's content, or skipped when it is the disconnect
    /// of a connection whose failure is counted already.
    pub(crate) fn settle(
        &mut self,
        host: Option<&str>,
        message: Message,
    ) -> Result<Message, Problem> {
        let Some(port) = message.port else {
            return Ok(message);
        };
        let key = (host.map(str::to_owned), message.address, port);
        if message.ends_connection {
            if self.open.remove(&key) && message.outcome == Outcome::Failure {
                return Err(Problem::Skipped(
                    "sshd disconnect of a connection whose failure is counted".into(),
                ));
            }
        } else if message.outcome == Outcome::Failure && self.open.insert(key.clone()) {
            self.order.push_back(key);
            if self.order.len() > Self::KEEP
                && let Some(old) = self.order.pop_front()
            {
                self.open.remove(&old);
            }
        }
        Ok(message)
    }
}

/// How far back a line's time may step before it counts as a clock jump:
/// syslog writes lines in arrival order, and processes' clocks and queues
/// reorder them by a little.
const JUMP: SignedDuration = SignedDuration::from_mins(5);

/// How far a line may be from the one before and still move the year.
const HALF_YEAR: SignedDuration = SignedDuration::from_hours(183 * 24);

/// Reads sshd's lines of a syslog file (see the module docs for the shapes).
#[derive(Debug, Clone)]
pub struct Syslog {
    year: i16,
    zone: TimeZone,
    last: Option<Timestamp>,
    backward_jumps: u64,
    failed: Failed,
}

impl Syslog {
    /// A reader of a file whose first RFC 3164 line is in `year`, logged by
    /// hosts whose clocks are in `zone`.
    pub fn new(year: i16, zone: TimeZone) -> Syslog {
        Syslog {
            year,
            zone,
            last: None,
            backward_jumps: 0,
            failed: Failed::default(),
        }
    }

    /// How many lines stepped back in time by more than a few minutes from
    /// the line before (a clock set back, or lines out of order). Their
    /// events are made with the time they say.
    pub fn backward_jumps(&self) -> u64 {
        self.backward_jumps
    }

    /// The year RFC 3164 lines are placed in now.
    pub fn year(&self) -> i16 {
        self.year
    }

    /// Places an RFC 3164 month, day and time in the year nearest the line
    /// before, moving on a year when that is the next one.
    fn place(&mut self, month: i8, day: i8, time: (i8, i8, i8)) -> Result<Timestamp, Problem> {
        let at = |year: i16| -> Result<Timestamp, jiff::Error> {
            let dt = DateTime::new(year, month, day, time.0, time.1, time.2, 0)?;
            self.zone.to_timestamp(dt)
        };
        let Some(last) = self.last else {
            return at(self.year).map_err(time_problem);
        };
        let mut best: Option<(i16, Timestamp)> = None;
        let mut error = None;
        for year in [
            self.year,
            self.year.saturating_sub(1),
            self.year.saturating_add(1),
        ] {
            match at(year) {
                Ok(t) => {
                    let nearer = best.is_none_or(|(_, b)| {
                        t.duration_since(last).abs() < b.duration_since(last).abs()
                    });
                    if nearer {
                        best = Some((year, t));
                    }
                }
                // Feb 29 exists in one year of three at most.
                Err(e) => error = Some(e),
            }
        }
        match best {
            // Another year only when it is near: Feb 29 in a year without
            // one is wrong, not a line from a leap year away.
            Some((year, t)) if year != self.year && t.duration_since(last).abs() > HALF_YEAR => {
                at(self.year).map_err(time_problem)
            }
            Some((year, t)) => {
                if year > self.year {
                    self.year = year;
                }
                Ok(t)
            }
            None => Err(time_problem(
                error.expect("no candidate year worked, so one failed"),
            )),
        }
    }

    fn observe(&mut self, t: Timestamp) {
        if let Some(last) = self.last
            && t < last
            && last.duration_since(t) > JUMP
        {
            self.backward_jumps += 1;
        }
        self.last = Some(t);
    }
}

fn time_problem(e: jiff::Error) -> Problem {
    Problem::Field {
        field: "time",
        what: format!("is not a time: {e}"),
    }
}

/// A syslog line's parts.
struct Line<'a> {
    time: When<'a>,
    host: &'a str,
    program: &'a str,
    message: &'a str,
}

enum When<'a> {
    /// RFC 3164: month, day, (hour, minute, second).
    Bsd(i8, i8, (i8, i8, i8)),
    /// RFC 3339 (RFC 5424, or rsyslog's file format).
    Iso(&'a str),
}

impl Parser for Syslog {
    fn parse(&mut self, record: &[u8], at: RawRef) -> Result<Event, Problem> {
        match utf8(record) {
            Ok(text) => self.line(text, at),
            // A byte that is not UTF-8 (a name from a client, a relay's
            // encoding) does not make the rest unreadable: read the line
            // with U+FFFD in its place. If it still does not read, the bad
            // bytes are the likeliest reason, and are what is reported.
            Err(bad) => match self.line(&String::from_utf8_lossy(record), at) {
                Ok(mut event) => {
                    event.lossy = true;
                    Ok(event)
                }
                Err(skipped @ Problem::Skipped(_)) => Err(skipped),
                Err(_) => Err(bad),
            },
        }
    }
}

impl Syslog {
    /// Reads one line of text.
    fn line(&mut self, text: &str, at: RawRef) -> Result<Event, Problem> {
        let text = text.trim_end_matches(['\r', '\n']);
        let line = split(text)?;
        let time = match line.time {
            When::Bsd(month, day, hms) => self.place(month, day, hms)?,
            When::Iso(s) => iso(s, &self.zone)?,
        };
        // Other programs' lines place the year too, so they are timed first.
        self.observe(time);
        if !is_sshd(line.program) {
            return Err(Problem::Skipped(format!(
                "not sshd: {}",
                clip(line.program)
            )));
        }
        let host = (!line.host.is_empty() && line.host != "-").then_some(line.host);
        let message = self.failed.settle(host, Message::parse(line.message)?)?;
        Ok(message.into_event(time, host, Source::Sshd, at))
    }
}

/// An RFC 3339 timestamp; one without an offset is in `zone`.
fn iso(s: &str, zone: &TimeZone) -> Result<Timestamp, Problem> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let dt = s.parse::<DateTime>().map_err(time_problem)?;
    zone.to_timestamp(dt).map_err(time_problem)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn truncated_prefix() -> Problem {
    Problem::Truncated("line ends inside the syslog prefix".into())
}

/// Splits a syslog line into its time, host, program and message.
fn split(text: &str) -> Result<Line<'_>, Problem> {
    let mut rest = text;
    // `<PRI>` of a line as received, not as filed.
    if let Some(r) = rest.strip_prefix('<') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        match r[digits..].strip_prefix('>') {
            Some(r) if (1..=3).contains(&digits) => rest = r,
            _ if digits == r.len() => return Err(truncated_prefix()),
            _ => return Err(Problem::Malformed("syslog priority".into())),
        }
        if let Some(r) = rest.strip_prefix("1 ") {
            return rfc5424(r);
        }
    }
    if rest.is_empty() {
        return Err(Problem::Truncated("empty line".into()));
    }
    let (time, rest) = if rest.as_bytes()[0].is_ascii_digit() {
        let (stamp, rest) = rest.split_once(' ').ok_or_else(truncated_prefix)?;
        (When::Iso(stamp), rest)
    } else {
        bsd_time(rest)?
    };
    let (host, tag_message) = rest.split_once(' ').ok_or_else(truncated_prefix)?;
    let Some((tag, message)) = tag_message.split_once(": ").or_else(|| {
        // `sshd[812]:` with an empty message.
        tag_message.strip_suffix(':').map(|t| (t, ""))
    }) else {
        return Err(if tag_message.contains(' ') {
            Problem::Malformed(format!("no `program:` in {}", clip(tag_message)))
        } else {
            truncated_prefix()
        });
    };
    let program = tag.split_once('[').map_or(tag, |(p, _)| p);
    if program.contains(' ') {
        return Err(Problem::Malformed(format!(
            "no `program:` in {}",
            clip(tag_message)
        )));
    }
    Ok(Line {
        time,
        host,
        program,
        message,
    })
}

/// `Mmm dd hh:mm:ss ` (the day space-padded or not).
fn bsd_time(s: &str) -> Result<(When<'_>, &str), Problem> {
    let malformed = || Problem::Malformed(format!("not a syslog line: {}", clip(s)));
    let name = s.get(..3).ok_or_else(truncated_prefix)?;
    let month = MONTHS
        .iter()
        .position(|m| *m == name)
        .ok_or_else(malformed)?;
    let rest = s[3..].trim_start_matches(' ');
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == rest.len() {
        return Err(truncated_prefix());
    }
    if !(1..=2).contains(&digits) {
        return Err(malformed());
    }
    let day: i8 = rest[..digits].parse().map_err(|_| malformed())?;
    let rest = rest[digits..].strip_prefix(' ').ok_or_else(malformed)?;
    let Some(clock) = rest.get(..8) else {
        return Err(truncated_prefix());
    };
    let b = clock.as_bytes();
    let two = |i: usize| -> Option<i8> {
        let (h, l) = (b[i], b[i + 1]);
        (h.is_ascii_digit() && l.is_ascii_digit()).then(|| ((h - b'0') * 10 + (l - b'0')) as i8)
    };
    let (Some(h), Some(m), Some(sec), b':', b':') = (two(0), two(3), two(6), b[2], b[5]) else {
        return Err(malformed());
    };
    let rest = rest[8..].strip_prefix(' ').ok_or_else(truncated_prefix)?;
    let month = i8::try_from(month + 1).expect("twelve months fit in i8");
    Ok((When::Bsd(month, day, (h, m, sec)), rest))
}

/// After `<PRI>1 `: `TIMESTAMP HOST APP PROCID MSGID SD[ MSG]`.
fn rfc5424(s: &str) -> Result<Line<'_>, Problem> {
    let mut words = s.splitn(5, ' ');
    let (Some(stamp), Some(host), Some(app), Some(_procid), Some(rest)) = (
        words.next(),
        words.next(),
        words.next(),
        words.next(),
        words.next(),
    ) else {
        return Err(truncated_prefix());
    };
    let (_msgid, rest) = rest.split_once(' ').ok_or_else(truncated_prefix)?;
    let message = structured_data_end(rest)?;
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    Ok(Line {
        time: When::Iso(stamp),
        host,
        program: app,
        message,
    })
}

/// What follows RFC 5424's structured data (`-` or `[id k="v"]…`).
fn structured_data_end(s: &str) -> Result<&str, Problem> {
    let after = if let Some(r) = s.strip_prefix('-') {
        r
    } else if s.starts_with('[') {
        let mut in_quotes = false;
        let mut escaped = false;
        let mut end = None;
        for (i, b) in s.bytes().enumerate() {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quotes = !in_quotes,
                // `][` runs on into the next element.
                b']' if !in_quotes && s.as_bytes().get(i + 1) != Some(&b'[') => {
                    end = Some(i + 1);
                    break;
                }
                _ => {}
            }
        }
        &s[end.ok_or_else(truncated_prefix)?..]
    } else {
        return Err(Problem::Malformed("RFC 5424 structured data".into()));
    };
    Ok(after.strip_prefix(' ').unwrap_or(after))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn raw() -> RawRef {
        RawRef {
            source: Source::Sshd,
            file: "auth.log".into(),
            line: 1,
            id: None,
        }
    }

    type Case = (
        &'static str,
        Action,
        Outcome,
        &'static str,
        Option<&'static str>,
        Option<u16>,
    );

    fn utc() -> Syslog {
        Syslog::new(2026, TimeZone::UTC)
    }

    #[test]
    fn a_certificate_login_names_the_grant_and_serial() {
        let line = "Dec  7 09:30:00 bastion-1 sshd[812]: Accepted publickey for deploy from 203.0.113.9 port 50022 ssh2: ED25519-CERT SHA256:1lsm9eg2tfqz8GoscotEuQPUO7iP6WHLlFZAAmHueQk ID grant-7 (serial 77) CA ED25519 SHA256:n7jy0iEGhK8EFSCJu2cP1tH59hcDrnKzqk9Mv963NYI";
        let e = utc().parse(line.as_bytes(), raw()).unwrap();
        assert_eq!(e.time.to_string(), "2026-12-07T09:30:00Z");
        assert_eq!(e.actor.name, "deploy");
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
        assert_eq!(e.source_address, Some("203.0.113.9".parse().unwrap()));
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.raw.source, Source::Sshd);
    }

    #[test]
    fn the_syslog_prefixes_read() {
        let zone = TimeZone::get("Europe/Berlin").unwrap();
        let mut p = Syslog::new(2026, zone);
        let lines = [
            // RFC 3164 in the host's zone (CET, +01:00 in December).
            "Dec  7 10:30:00 bastion-1 sshd[812]: Accepted password for ana from 192.0.2.1 port 40000 ssh2",
            "<38>Dec  7 10:30:00 bastion-1 sshd[812]: Accepted password for ana from 192.0.2.1 port 40000 ssh2",
            "Dec 7 10:30:00 bastion-1 sshd: Accepted password for ana from 192.0.2.1 port 40000 ssh2",
            // rsyslog's RSYSLOG_FileFormat.
            "2026-12-07T09:30:00.000000+00:00 bastion-1 sshd[812]: Accepted password for ana from 192.0.2.1 port 40000 ssh2",
            "2026-12-07T10:30:00.000000+01:00 bastion-1 sshd-session[812]: Accepted password for ana from 192.0.2.1 port 40000 ssh2",
            // RFC 5424, with and without structured data.
            "<38>1 2026-12-07T09:30:00Z bastion-1 sshd 812 - - Accepted password for ana from 192.0.2.1 port 40000 ssh2",
            "<38>1 2026-12-07T09:30:00.000Z bastion-1 sshd 812 - [meta sequenceId=\"1\" x=\"a]b\"] Accepted password for ana from 192.0.2.1 port 40000 ssh2",
        ];
        for line in lines {
            let e = p
                .parse(line.as_bytes(), raw())
                .unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(e.time.to_string(), "2026-12-07T09:30:00Z", "{line}");
            assert_eq!(
                e.resource,
                Some(Resource::Host("bastion-1".into())),
                "{line}"
            );
            assert_eq!(e.actor.name, "ana");
        }
        assert_eq!(p.backward_jumps(), 0);
    }

    #[test]
    fn the_year_moves_on_from_december_to_january() {
        let mut p = utc();
        let at = |p: &mut Syslog, line: &str| {
            p.parse(line.as_bytes(), raw()).map(|e| e.time.to_string())
        };
        let tail = "bastion-1 sshd[1]: Invalid user x from 192.0.2.1 port 1";
        assert_eq!(
            at(&mut p, &format!("Dec 31 23:59:58 {tail}")).unwrap(),
            "2026-12-31T23:59:58Z"
        );
        assert_eq!(
            at(&mut p, &format!("Jan  1 00:00:01 {tail}")).unwrap(),
            "2027-01-01T00:00:01Z"
        );
        // A late line from the old year stays in it, and does not move the year back.
        assert_eq!(
            at(&mut p, &format!("Dec 31 23:59:59 {tail}")).unwrap(),
            "2026-12-31T23:59:59Z"
        );
        assert_eq!(
            at(&mut p, &format!("Jan  2 08:00:00 {tail}")).unwrap(),
            "2027-01-02T08:00:00Z"
        );
        assert_eq!(p.year(), 2027);
        // Other programs' lines move the year as well.
        let mut q = utc();
        let _ = q.parse(b"Dec 31 23:00:00 h cron[2]: job", raw());
        assert!(matches!(
            q.parse(b"Jan  1 01:00:00 h cron[2]: job", raw()),
            Err(Problem::Skipped(_))
        ));
        assert_eq!(
            at(&mut q, &format!("Jan  1 02:00:00 {tail}")).unwrap(),
            "2027-01-01T02:00:00Z"
        );
    }

    #[test]
    fn a_clock_set_back_is_counted_and_the_event_kept() {
        let mut p = utc();
        let tail = "bastion-1 sshd[1]: Invalid user x from 192.0.2.1 port 1";
        p.parse(format!("Mar  3 12:00:00 {tail}").as_bytes(), raw())
            .unwrap();
        // Seconds out of order are normal.
        p.parse(format!("Mar  3 11:59:59 {tail}").as_bytes(), raw())
            .unwrap();
        assert_eq!(p.backward_jumps(), 0);
        let e = p
            .parse(format!("Mar  3 09:00:00 {tail}").as_bytes(), raw())
            .unwrap();
        assert_eq!(e.time.to_string(), "2026-03-03T09:00:00Z");
        assert_eq!(p.backward_jumps(), 1);
        assert_eq!(p.year(), 2026);
    }

    #[test]
    fn feb_29_is_read_in_a_leap_year_and_refused_otherwise() {
        let tail = "h sshd[1]: Invalid user x from 192.0.2.1 port 1";
        let mut leap = Syslog::new(2028, TimeZone::UTC);
        assert!(
            leap.parse(format!("Feb 29 10:00:00 {tail}").as_bytes(), raw())
                .is_ok()
        );
        let mut p = utc();
        assert!(matches!(
            p.parse(format!("Feb 29 10:00:00 {tail}").as_bytes(), raw()),
            Err(Problem::Field { field: "time", .. })
        ));
        assert!(matches!(
            p.parse(format!("Feb 30 10:00:00 {tail}").as_bytes(), raw()),
            Err(Problem::Field { field: "time", .. })
        ));
        assert!(matches!(
            p.parse(format!("Feb 3 25:00:00 {tail}").as_bytes(), raw()),
            Err(Problem::Field { field: "time", .. })
        ));
    }

    #[test]
    fn each_message_shape_reads() {
        // Text, action, outcome, user, address, port.
        let cases: &[Case] = &[
            (
                "Accepted publickey for ana from 192.0.2.1 port 40000 ssh2: ED25519 SHA256:VQ5UkqXJgDG6tDPNbFPw8fdUZ9uQKOl1BhKbYN8AvjY",
                Action::Login {
                    method: "publickey".into(),
                },
                Outcome::Success,
                "ana",
                Some("192.0.2.1"),
                Some(40000),
            ),
            (
                "Accepted keyboard-interactive/pam for ana from 2001:db8::7 port 22 ssh2",
                Action::Login {
                    method: "keyboard-interactive/pam".into(),
                },
                Outcome::Success,
                "ana",
                Some("2001:db8::7"),
                Some(22),
            ),
            (
                "Failed password for invalid user admin from 198.51.100.4 port 51234 ssh2",
                Action::LoginFailed {
                    method: "password".into(),
                },
                Outcome::Failure,
                "admin",
                Some("198.51.100.4"),
                Some(51234),
            ),
            (
                "Failed publickey for root from 127.0.0.1 port 55128 ssh2: ED25519 SHA256:GDRjZ6uvOqw0zAURSF0bJVEXaSlqn08WDzXOVeMr4ro",
                Action::LoginFailed {
                    method: "publickey".into(),
                },
                Outcome::Failure,
                "root",
                Some("127.0.0.1"),
                Some(55128),
            ),
            (
                "Failed none for invalid user  from 198.51.100.4 port 2 ssh2",
                Action::LoginFailed {
                    method: "none".into(),
                },
                Outcome::Failure,
                "",
                Some("198.51.100.4"),
                Some(2),
            ),
            (
                "Invalid user oracle test from 198.51.100.4 port 51234",
                Action::LoginFailed {
                    method: "invalid_user".into(),
                },
                Outcome::Failure,
                "oracle test",
                Some("198.51.100.4"),
                Some(51234),
            ),
            (
                // A name made to look like the address: the real one is the
                // one followed by what sshd writes.
                "Invalid user x from 10.0.0.1 port 1 from 198.51.100.4 port 2",
                Action::LoginFailed {
                    method: "invalid_user".into(),
                },
                Outcome::Failure,
                "x from 10.0.0.1 port 1",
                Some("198.51.100.4"),
                Some(2),
            ),
            (
                "pam_unix(sshd:session): session opened for user ana(uid=1000) by (uid=0)",
                Action::SessionOpen,
                Outcome::Success,
                "ana",
                None,
                None,
            ),
            (
                "pam_unix(sshd:session): session opened for user ana by (uid=0)",
                Action::SessionOpen,
                Outcome::Success,
                "ana",
                None,
                None,
            ),
            (
                "pam_unix(sshd:session): session closed for user ana",
                Action::SessionClose,
                Outcome::Success,
                "ana",
                None,
                None,
            ),
            (
                "Connection closed by authenticating user root 127.0.0.1 port 55128 [preauth]",
                Action::LoginFailed {
                    method: "unknown".into(),
                },
                Outcome::Failure,
                "root",
                Some("127.0.0.1"),
                Some(55128),
            ),
            (
                "Connection reset by invalid user a b 203.0.113.5 port 7 [preauth]",
                Action::LoginFailed {
                    method: "unknown".into(),
                },
                Outcome::Failure,
                "a b",
                Some("203.0.113.5"),
                Some(7),
            ),
            (
                "Disconnected from invalid user nosuch 203.0.113.5 port 7 [preauth]",
                Action::LoginFailed {
                    method: "unknown".into(),
                },
                Outcome::Failure,
                "nosuch",
                Some("203.0.113.5"),
                Some(7),
            ),
            (
                "Disconnected from user root 127.0.0.1 port 55114",
                Action::SessionClose,
                Outcome::Success,
                "root",
                Some("127.0.0.1"),
                Some(55114),
            ),
            (
                "Connection closed by authenticating user root UNKNOWN port 65535 [preauth]",
                Action::LoginFailed {
                    method: "unknown".into(),
                },
                Outcome::Failure,
                "root",
                None,
                Some(65535),
            ),
        ];
        for (text, action, outcome, user, address, port) in cases {
            let m = Message::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(&m.action, action, "{text}");
            assert_eq!(&m.outcome, outcome, "{text}");
            assert_eq!(m.user, *user, "{text}");
            assert_eq!(m.address, address.map(|a| a.parse().unwrap()), "{text}");
            assert_eq!(m.port, *port, "{text}");
            assert_eq!(m.grant, None, "{text}");
        }
    }

    #[test]
    fn a_failed_certificate_names_its_grant_too_and_key_ids_may_hold_spaces() {
        let m = Message::parse(
            "Failed publickey for ana from 192.0.2.1 port 4 ssh2: RSA-CERT SHA256:abc ID ana laptop (serial 3) (serial 9) CA RSA SHA256:def, extra",
        )
        .unwrap();
        assert_eq!(
            m.action,
            Action::LoginFailed {
                method: "certificate".into()
            }
        );
        assert_eq!(m.grant.as_deref(), Some("ana laptop (serial 3)"));
        assert_eq!(m.serial, Some(9));
    }

    #[test]
    fn other_lines_are_skipped() {
        let mut p = utc();
        for line in [
            "Dec  7 09:30:00 h cron[22]: (root) CMD (run-parts /etc/cron.hourly)",
            "Dec  7 09:30:00 h sshd[1]: Connection from 127.0.0.1 port 55114 on 127.0.0.1 port 2299 rdomain \"\"",
            "Dec  7 09:30:00 h sshd[1]: Accepted certificate ID \"grant-7\" (serial 77) signed by ED25519 CA SHA256:n7 via /etc/ssh/ca.pub",
            "Dec  7 09:30:00 h sshd[1]: Accepted key ED25519 SHA256:VQ5 found at /root/.ssh/authorized_keys:1",
            "Dec  7 09:30:00 h sshd[1]: Postponed publickey for root from 127.0.0.1 port 55120 ssh2 [preauth]",
            "Dec  7 09:30:00 h sshd[1]: Received disconnect from 127.0.0.1 port 55114:11: disconnected by user",
            "Dec  7 09:30:00 h sshd[1]: Connection closed by 127.0.0.1 port 55114 [preauth]",
            "Dec  7 09:30:00 h sshd[1]: Server listening on 0.0.0.0 port 22.",
            "Dec  7 09:30:00 h sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.4",
        ] {
            assert!(
                matches!(p.parse(line.as_bytes(), raw()), Err(Problem::Skipped(_))),
                "{line}: {:?}",
                p.parse(line.as_bytes(), raw())
            );
        }
    }

    #[test]
    fn a_byte_that_is_not_utf8_in_a_name_no_longer_drops_the_login() {
        // Each bad sequence (a Latin-1 byte, a cut character, a stray
        // continuation byte) in the user or the host: the login is an
        // event, the bad bytes read as U+FFFD, and it is marked lossy.
        for bad in [&b"\xe9"[..], b"\xc3", b"\x80\x80", b"\xff"] {
            for in_host in [false, true] {
                let (user, host) = if in_host {
                    (b"ana".to_vec(), [&b"bastion-"[..], bad].concat())
                } else {
                    ([&b"jos"[..], bad].concat(), b"bastion".to_vec())
                };
                let line = [
                    &b"Dec  7 09:30:00 "[..],
                    &host,
                    b" sshd[812]: Accepted publickey for ",
                    &user,
                    b" from 192.0.2.1 port 40000 ssh2: ED25519 SHA256:abc",
                ]
                .concat();
                assert!(std::str::from_utf8(&line).is_err());
                let e = utc()
                    .parse(&line, raw())
                    .unwrap_or_else(|p| panic!("{}: {p}", String::from_utf8_lossy(&line)));
                assert!(e.lossy);
                assert_eq!(e.actor.name, String::from_utf8_lossy(&user));
                assert_eq!(
                    e.resource,
                    Some(Resource::Host(String::from_utf8_lossy(&host).into_owned()))
                );
                assert!(e.actor.name.contains('\u{fffd}') || in_host);
                assert_eq!(
                    e.action,
                    Action::Login {
                        method: "publickey".into()
                    }
                );
                assert_eq!(e.source_address, Some("192.0.2.1".parse().unwrap()));
            }
        }
        // Another program's line with a bad byte is skipped as another
        // program's, and a valid line is not lossy.
        let cron = b"Dec  7 09:30:00 h cron[2]: (jos\xe9) CMD (true)";
        assert!(matches!(utc().parse(cron, raw()), Err(Problem::Skipped(_))));
        let fine = utc()
            .parse(
                "Dec  7 09:30:00 h sshd[1]: Invalid user jos\u{e9} from 192.0.2.1 port 1"
                    .as_bytes(),
                raw(),
            )
            .unwrap();
        assert!(!fine.lossy);
        assert_eq!(fine.actor.name, "jos\u{e9}");
    }

    #[test]
    fn bad_lines_are_counted_by_kind() {
        let mut p = utc();
        let cases: &[(&[u8], &str)] = &[
            (b"", "truncated"),
            (b"Dec  7 09:3", "truncated"),
            (b"Dec  7 09:30:00 bastion-1", "truncated"),
            (b"Dec  7 09:30:00 bastion-1 sshd[81", "truncated"),
            (b"Dec  7 09:30:00 h sshd[1]: Accepted publickey for ana from 192.0.2.1 po", "truncated"),
            (b"Dec  7 09:30:00 h sshd[1]: Accepted publickey for ana", "truncated"),
            (b"Dec  7 09:30:00 h sshd[1]: Accepted publickey", "truncated"),
            (b"Dec  7 09:30:00 h sshd[1]: Accepted publickey for ana from 192.0.2.1 port 1 ssh2: ED25519-CERT SHA256:x ID gr", "truncated"),
            (b"Dec  7 09:30:00 h sshd[1]: pam_unix(sshd:session): session open", "truncated"),
            (b"Dec  7 09:30:00 h sshd[1]: Accepted publickey for ana from 192.0.2.1 port 99999 ssh2", "field"),
            (b"Dec  7 09:30:00 h sshd[1]: Accepted publickey for ana from 192.0.2.1 port 18446744073709551617 ssh2", "field"),
            (b"Dec  7 09:30:00 h sshd[1]: Accepted publickey for ana from 999.1.2.3 port 22 ssh2", "field"),
            (b"Dec  7 09:30:00 h sshd[1]: Invalid user ana from not-an-ip port 22", "field"),
            (b"Dec  7 09:30:00 h sshd[1]: Accepted publickey for ana from 192.0.2.1 port 1 ssh2: ED25519-CERT SHA256:x ID g (serial 99999999999999999999) CA ED25519 SHA256:y", "field"),
            (b"Dec  7 09:30:00 h sshd[1]: Accepted publickey for ana from 192.0.2.1 port 22 and more", "malformed"),
            (b"Dec  7 09:30:00 h sshd[1]: Accepted p\xc3blickey for ana", "invalid_utf8"),
            (b"\xff\xfe garbage", "invalid_utf8"),
            (b"hello world", "malformed"),
            (b"Foo  7 09:30:00 h sshd[1]: x", "malformed"),
            (b"Dec 777 09:30:00 h sshd[1]: x", "malformed"),
            (b"Dec  7 09:xx:00 h sshd[1]: x", "malformed"),
            (b"Dec  7 09:30:00 h a b c d", "malformed"),
            (b"2026-13-45T99:00:00Z h sshd[1]: Invalid user x from 192.0.2.1 port 1", "field"),
            (b"<999999>Dec  7 09:30:00 h sshd[1]: x", "malformed"),
            (b"<38", "truncated"),
            (b"<38>1 2026-12-07T09:30:00Z h sshd 1 - [x a=\"b", "truncated"),
        ];
        for (line, key) in cases {
            let got = p.parse(line, raw());
            assert_eq!(
                got.as_ref().map_err(Problem::key).err(),
                Some(*key),
                "{}: {got:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn a_failed_connection_counts_once_however_verbose_sshd_is() {
        let mut p = utc();
        let mut read = |msg: &str| {
            p.parse(
                format!("Dec  7 09:30:00 h sshd[1]: {msg}").as_bytes(),
                raw(),
            )
            .map(|e| e.action)
            .map_err(|e| e.key())
        };
        let failed = |method: &str| {
            Ok(Action::LoginFailed {
                method: method.into(),
            })
        };
        // LogLevel VERBOSE: the failure, then its disconnect.
        assert_eq!(
            read("Failed publickey for root from 127.0.0.1 port 5 ssh2: ED25519 SHA256:x"),
            failed("publickey")
        );
        assert_eq!(
            read("Connection closed by authenticating user root 127.0.0.1 port 5 [preauth]"),
            Err("skipped")
        );
        // LogLevel INFO: the disconnect is all there is.
        assert_eq!(
            read("Connection closed by authenticating user root 127.0.0.1 port 6 [preauth]"),
            failed("unknown")
        );
        assert_eq!(
            read("Invalid user x from 127.0.0.1 port 7"),
            failed("invalid_user")
        );
        assert_eq!(
            read("Failed password for invalid user x from 127.0.0.1 port 7 ssh2"),
            failed("password")
        );
        assert_eq!(
            read("Disconnected from invalid user x 127.0.0.1 port 7 [preauth]"),
            Err("skipped")
        );
        // The same port on another host is another connection.
        let e = p
            .parse(b"Dec  7 09:30:00 other sshd[1]: Connection closed by authenticating user root 127.0.0.1 port 5 [preauth]", raw())
            .unwrap();
        assert_eq!(
            e.action,
            Action::LoginFailed {
                method: "unknown".into()
            }
        );
    }

    #[test]
    fn a_crlf_line_from_sshd_e_reads() {
        let m = Message::parse("Invalid user nosuchuser from 127.0.0.1 port 55136\r\n").unwrap();
        assert_eq!(m.port, Some(55136));
    }
}
