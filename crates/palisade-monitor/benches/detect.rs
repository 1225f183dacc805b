//! Every detector over a GitHub-like stream (target: well under 1 µs an
//! event, so that parse, resolve and detect together pass 500,000 events/s
//! on one core): 200,000 events of the Acme model's people, mostly clones,
//! fetches and pushes of their team's repositories in their hours, with
//! pull-request noise, archive downloads, repositories outside their
//! services, off-hours work, security changes and unknown actors mixed in.
//!
//! Before divan's figures, `main` runs the stream once with `Instant` and
//! prints events/s for `observe` alone and for resolve plus `observe`.
//!
//! `cargo bench -p palisade-monitor --bench detect`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::hint::black_box;
use std::sync::LazyLock;
use std::time::Instant;

use divan::counter::ItemsCount;
use jiff::{SignedDuration, Timestamp};
use palisade_model::{Index, Model, PersonId};
use palisade_monitor::detect::{Detectors, Profiles};
use palisade_monitor::event::{Action, Actor, ActorKind, Event, Outcome, RawRef, Resource, Source};

const EVENTS: usize = 200_000;

static MODEL: LazyLock<Model> = LazyLock::new(|| {
    let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
    palisade_model::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
});

static INDEX: LazyLock<Index<'static>> = LazyLock::new(|| Index::new(&MODEL));

/// The stream, resolved as the ingest resolves it.
static STREAM: LazyLock<Vec<Event>> = LazyLock::new(|| {
    let mut events = stream();
    for e in &mut events {
        resolve(e);
    }
    events
});

fn resolve(e: &mut Event) {
    palisade_monitor::resolve::resolve(e, &INDEX, &|_| None);
}

/// A cheap deterministic generator.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn stream() -> Vec<Event> {
    let index = &*INDEX;
    let model = index.model();
    // Each person with a GitHub login, with their team's repositories.
    let people: Vec<(PersonId, &str, Vec<&str>)> = model
        .people
        .iter()
        .filter_map(|p| {
            let id = index.person_by_handle(&p.handle)?;
            let repos = model
                .services
                .iter()
                .filter(|s| s.team == p.team)
                .flat_map(|s| s.repos.iter().map(String::as_str))
                .collect();
            Some((id, p.github.as_deref()?, repos))
        })
        .collect();
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let mut time: Timestamp = "2026-03-02T00:00:00Z".parse().unwrap();
    let mut out = Vec::with_capacity(EVENTS);
    for line in 0..EVENTS {
        time += SignedDuration::from_millis((rng.next() % 5000) as i64);
        let roll = rng.next() % 100;
        // Someone at work (nights and weekends are quiet), but 5% of
        // events by anyone at any time.
        let mut pool: Vec<_>;
        loop {
            pool = people
                .iter()
                .filter(|(p, _, _)| roll < 5 || index.is_working(*p, time) == Some(true))
                .collect();
            if !pool.is_empty() {
                break;
            }
            time += SignedDuration::from_mins(10);
        }
        let (_, login, repos) = pool[(rng.next() % pool.len() as u64) as usize];
        let team_repo = repos
            .get(line % repos.len().max(1))
            .copied()
            .unwrap_or("acme/platform");
        let (actor, action, repo) = match roll {
            0..=39 => (*login, Action::GitFetch, team_repo.to_owned()),
            40..=59 => (*login, Action::GitClone, team_repo.to_owned()),
            60..=74 => (*login, Action::GitPush, team_repo.to_owned()),
            75..=86 => (
                *login,
                Action::Other {
                    what: "pull_request.create".into(),
                },
                team_repo.to_owned(),
            ),
            87..=91 => (*login, Action::ArchiveDownload, team_repo.to_owned()),
            92..=95 => (
                *login,
                Action::GitClone,
                format!("acme/tool-{}", rng.next() % 40),
            ),
            96..=97 => (
                *login,
                Action::SecurityChange {
                    what: "protected_branch.update".into(),
                    change: "required approving reviews now 0".into(),
                },
                team_repo.to_owned(),
            ),
            _ => ("someone-else", Action::GitClone, team_repo.to_owned()),
        };
        out.push(Event {
            time,
            actor: Actor {
                name: actor.to_owned(),
                kind: ActorKind::GithubLogin,
                person: None,
            },
            action,
            resource: Some(Resource::Repository(repo)),
            source_address: Some(format!("192.0.2.{}", rng.next() % 200).parse().unwrap()),
            outcome: Outcome::Success,
            grant: None,
            serial: None,
            lossy: false,
            raw: RawRef {
                source: Source::Github,
                file: "audit.ndjson".into(),
                line: line as u64 + 1,
                id: None,
            },
        });
    }
    out
}

fn main() {
    let events = &*STREAM;
    let start = Instant::now();
    let mut detectors = Detectors::new(&INDEX, &[], Profiles::default());
    let mut findings = 0;
    let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
    for e in events {
        let f = detectors.observe(e);
        findings += f.len();
        for f in f {
            *by.entry(f.detector).or_default() += 1;
        }
    }
    let observe = start.elapsed();
    let mut raw = stream();
    let start = Instant::now();
    let mut detectors = Detectors::new(&INDEX, &[], Profiles::default());
    for e in &mut raw {
        resolve(e);
        black_box(detectors.observe(e));
    }
    let both = start.elapsed();
    println!(
        "{EVENTS} events, {findings} findings {by:?}\nobserve {:.0} events/s ({:.0} ns each); resolve + observe {:.0} events/s",
        EVENTS as f64 / observe.as_secs_f64(),
        observe.as_nanos() as f64 / EVENTS as f64,
        EVENTS as f64 / both.as_secs_f64(),
    );
    divan::main();
}

/// `observe` over the resolved stream, from fresh detectors.
#[divan::bench(sample_count = 10)]
fn observe(bencher: divan::Bencher) {
    let events = &*STREAM;
    bencher
        .counter(ItemsCount::new(events.len()))
        .with_inputs(|| Detectors::new(&INDEX, &[], Profiles::default()))
        .bench_local_values(|mut detectors| {
            for e in events {
                black_box(detectors.observe(e));
            }
            detectors
        });
}
