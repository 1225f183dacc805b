//! The words of findings: times in a person's zone and in UTC, what an
//! event did, and resources as `kind:name`. Only called when a detector has
//! something to say, so allocation here is fine.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::event::{Action, Event, Resource};

/// `Sat 2026-03-07 02:14 IST in Asia/Kolkata (Fri 2026-03-06 20:44 UTC)`,
/// or the UTC time alone when the zone is unknown.
pub(crate) fn when(t: Timestamp, zone: Option<(&TimeZone, &str)>) -> String {
    let utc = t.to_zoned(TimeZone::UTC).strftime("%a %Y-%m-%d %H:%M UTC");
    match zone {
        Some((tz, name)) => {
            let local = t.to_zoned(tz.clone()).strftime("%a %Y-%m-%d %H:%M %Z");
            format!("{local} in {name} ({utc})")
        }
        None => utc.to_string(),
    }
}

/// A UTC time, `2026-03-07 20:44 UTC`.
pub(crate) fn utc(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string()
}

/// A resource as findings name it: `repository:acme/payments`.
pub(crate) fn resource(r: &Resource) -> String {
    match r {
        Resource::Repository(n) => format!("repository:{n}"),
        Resource::Host(n) => format!("host:{n}"),
        Resource::Database(n) => format!("database:{n}"),
        Resource::Organisation(n) => format!("organisation:{n}"),
    }
}

/// What the event did, as a verb phrase: `cloned repository acme/payments`.
pub(crate) fn did(e: &Event) -> String {
    let mut s = match &e.action {
        Action::GitClone => "cloned".to_owned(),
        Action::GitFetch => "fetched".to_owned(),
        Action::GitPush => "pushed to".to_owned(),
        Action::ArchiveDownload => "downloaded an archive of".to_owned(),
        Action::Login { method } => format!("logged in ({method}) to"),
        Action::LoginFailed { method } => format!("failed to log in ({method}) to"),
        Action::SessionOpen => "opened a session on".to_owned(),
        Action::SessionClose => "closed a session on".to_owned(),
        Action::SecurityChange { what, change } => {
            format!("made the security change `{what}` ({change}) on")
        }
        Action::Other { what } => format!("did `{what}` on"),
    };
    match &e.resource {
        Some(r) => {
            let (kind, name) = match r {
                Resource::Repository(n) => ("repository", n),
                Resource::Host(n) => ("host", n),
                Resource::Database(n) => ("database", n),
                Resource::Organisation(n) => ("organisation", n),
            };
            let _ = write!(s, " {kind} {name}");
        }
        None => s.push_str(" (no resource named)"),
    }
    if let Some(a) = e.source_address {
        let _ = write!(s, " from {a}");
    }
    s
}

/// Up to `n` names, then how many more.
pub(crate) fn some_of<'s>(names: impl ExactSizeIterator<Item = &'s str>, n: usize) -> String {
    let total = names.len();
    let mut out = String::new();
    for (i, name) in names.take(n).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
    }
    if total > n {
        let _ = write!(out, " and {} more", total - n);
    }
    out
}

/// An actor kind in words, with its article: "a GitHub login".
pub(crate) fn actor_kind(kind: crate::event::ActorKind) -> &'static str {
    use crate::event::ActorKind;
    match kind {
        ActorKind::GithubLogin => "a GitHub login",
        ActorKind::GitlabUsername => "a GitLab username",
        ActorKind::Email => "an e-mail address",
        ActorKind::SshUser => "a login name",
        ActorKind::CertificateKeyId => "a certificate key id",
        ActorKind::Handle => "a handle",
    }
}
