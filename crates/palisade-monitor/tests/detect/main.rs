//! The detectors on the Acme model (`examples/acme/palisade.toml`) with
//! events built here: for each detector the case it must report and the
//! near misses it must not (inside the grace, under a grant, a known
//! address, too little history), people in Kolkata, Warsaw, New York and
//! Manila across daylight-saving changes, and generated streams checking
//! what must hold whatever the events.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod access;
mod bursts;
mod changes;
mod hours;
mod last_use;
mod learned;
mod props;
mod weakening;

use std::net::IpAddr;
use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use palisade_model::{Index, Model};
use palisade_monitor::detect::{Detectors, Profiles};
use palisade_monitor::event::{Action, Actor, ActorKind, Event, Outcome, RawRef, Resource, Source};
use palisade_monitor::finding::{Finding, GrantWindow};

/// The Acme model as the repository ships it.
pub fn acme() -> Model {
    let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
    palisade_model::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

static ACME: LazyLock<Model> = LazyLock::new(acme);
static ACME_INDEX: LazyLock<Index<'static>> = LazyLock::new(|| Index::new(&ACME));

/// The index of the Acme model.
pub fn index() -> &'static Index<'static> {
    &ACME_INDEX
}

/// The index of a changed model (leaked: tests are short-lived).
pub fn index_of(model: Model) -> &'static Index<'static> {
    Box::leak(Box::new(Index::new(Box::leak(Box::new(model)))))
}

/// A UTC instant, `2026-03-10T04:30:00Z`.
pub fn utc(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A wall-clock time in a zone, `2026-03-10T10:00` in `Asia/Kolkata`.
pub fn local(zone: &str, s: &str) -> Timestamp {
    let dt: DateTime = s.parse().unwrap();
    dt.to_zoned(TimeZone::get(zone).unwrap())
        .unwrap()
        .timestamp()
}

fn raw(source: Source) -> RawRef {
    RawRef {
        source,
        file: "test.log".into(),
        line: 1,
        id: None,
    }
}

/// A GitHub event by login `login`.
pub fn github(login: &str, action: Action, repo: &str, time: Timestamp) -> Event {
    Event {
        time,
        actor: Actor {
            name: login.into(),
            kind: ActorKind::GithubLogin,
            person: None,
        },
        action,
        resource: Some(Resource::Repository(repo.into())),
        source_address: Some("192.0.2.10".parse().unwrap()),
        outcome: Outcome::Success,
        grant: None,
        serial: None,
        lossy: false,
        raw: raw(Source::Github),
    }
}

/// An sshd event for `user` on `host` from `from`.
pub fn ssh(user: &str, action: Action, host: &str, from: &str, time: Timestamp) -> Event {
    let outcome = match action {
        Action::LoginFailed { .. } => Outcome::Failure,
        _ => Outcome::Success,
    };
    Event {
        time,
        actor: Actor {
            name: user.into(),
            kind: ActorKind::SshUser,
            person: None,
        },
        action,
        resource: Some(Resource::Host(host.into())),
        source_address: from.parse::<IpAddr>().ok(),
        outcome,
        grant: None,
        serial: None,
        lossy: false,
        raw: raw(Source::Sshd),
    }
}

pub fn login() -> Action {
    Action::Login {
        method: "publickey".into(),
    }
}

pub fn failed() -> Action {
    Action::LoginFailed {
        method: "password".into(),
    }
}

/// A grant window.
pub fn grant(
    request: &str,
    person: &str,
    role: &str,
    from: Timestamp,
    until: Timestamp,
) -> GrantWindow {
    GrantWindow {
        request: request.into(),
        person: person.into(),
        role: role.into(),
        environment: None,
        from,
        until,
        break_glass: false,
        revoked: false,
    }
}

/// Detectors over `index` and `grants` that resolve each event first, as
/// the ingest does.
pub struct Run<'a> {
    pub index: &'a Index<'static>,
    pub grants: &'a [GrantWindow],
    pub detectors: Detectors<'a, 'static>,
}

impl<'a> Run<'a> {
    pub fn new(index: &'a Index<'static>, grants: &'a [GrantWindow]) -> Run<'a> {
        Run::with(index, grants, Profiles::default())
    }

    pub fn with(
        index: &'a Index<'static>,
        grants: &'a [GrantWindow],
        profiles: Profiles,
    ) -> Run<'a> {
        Run {
            index,
            grants,
            detectors: Detectors::new(index, grants, profiles),
        }
    }

    /// Resolves and judges one event.
    pub fn feed(&mut self, mut event: Event) -> Vec<Finding> {
        let grants = self.grants;
        palisade_monitor::resolve::resolve(&mut event, self.index, &|id| {
            grants
                .iter()
                .find(|g| g.request == id)
                .map(|g| g.person.clone())
        });
        self.detectors.observe(&event)
    }

    /// Feeds every event; returns every finding.
    pub fn feed_all(&mut self, events: impl IntoIterator<Item = Event>) -> Vec<Finding> {
        events.into_iter().flat_map(|e| self.feed(e)).collect()
    }
}

/// The findings of one detector.
pub fn of<'f>(findings: &'f [Finding], detector: &str) -> Vec<&'f Finding> {
    findings.iter().filter(|f| f.detector == detector).collect()
}

/// Whether any finding is of `detector`.
pub fn has(findings: &[Finding], detector: &str) -> bool {
    findings.iter().any(|f| f.detector == detector)
}
