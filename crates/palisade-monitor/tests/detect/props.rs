//! Generated streams: whatever the events, findings come only from the
//! listed detectors and say something with evidence; people working inside
//! their hours on their team's repositories are never reported; and a
//! million events leave the learned profiles no bigger than a few thousand.

use jiff::SignedDuration;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use palisade_model::{Status, WorkingHours};
use palisade_monitor::detect::{DETECTORS, Profiles};
use palisade_monitor::event::{Action, Event};
use proptest::prelude::*;

use super::*;

fn action(i: u8) -> Action {
    match i % 10 {
        0 => Action::GitClone,
        1 => Action::GitFetch,
        2 => Action::GitPush,
        3 => Action::ArchiveDownload,
        4 => login(),
        5 => failed(),
        6 => Action::SessionOpen,
        7 => Action::SessionClose,
        8 => Action::SecurityChange {
            what: "protected_branch.destroy".into(),
            change: "branch protection removed".into(),
        },
        _ => Action::Other {
            what: "repo.create".into(),
        },
    }
}

/// Names a log may give: logins, principals, strangers.
const ACTORS: [&str; 8] = [
    "arjun-menon-nimbus",
    "arjun.menon",
    "kavya.iyer",
    "glloyd",
    "msantos-harbor",
    "root",
    "mallory",
    "dependabot[bot]",
];

const RESOURCES: [&str; 6] = [
    "acme/payments",
    "acme/platform",
    "acme/secret",
    "bastion.prod.acme.internal",
    "app-01.prod.acme.internal",
    "web.staging.acme.internal",
];

fn event(actor: u8, act: u8, resource: u8, minutes: u32, address: u8) -> Event {
    let t = utc("2026-01-01T00:00:00Z") + SignedDuration::from_mins(i64::from(minutes));
    let name = RESOURCES[usize::from(resource) % RESOURCES.len()];
    let from = format!("203.0.113.{}", address % 8);
    let actor = ACTORS[usize::from(actor) % ACTORS.len()];
    let mut e = if name.starts_with("acme/") {
        github(actor, action(act), name, t)
    } else {
        ssh(actor, action(act), name, &from, t)
    };
    e.source_address = from.parse().ok();
    if act.is_multiple_of(3) {
        e.grant = Some("req-1".into());
    }
    e
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn findings_come_from_the_listed_detectors_and_carry_evidence(
        raw in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), 0u32..(400 * 1440), any::<u8>()), 1..300),
    ) {
        let grants = [grant("req-1", "kavya", "prod-reader", utc("2026-03-01T00:00:00Z"), utc("2026-03-02T00:00:00Z"))];
        let mut run = Run::new(index(), &grants);
        let mut events: Vec<Event> = raw.iter().map(|&(a, b, c, d, e)| event(a, b, c, d, e)).collect();
        // Mostly in order, as logs are.
        events.sort_by_key(|e| e.time);
        let mut findings = run.feed_all(events);
        findings.extend(run.detectors.finish(utc("2027-06-01T00:00:00Z")));
        for f in &findings {
            prop_assert!(DETECTORS.contains(&f.detector), "{}", f.detector);
            prop_assert!(!f.sentence.is_empty());
            prop_assert!(!f.evidence.is_empty(), "{f:#?}");
            if let Some(p) = &f.person {
                prop_assert!(index().person_by_handle(p).is_some());
            }
        }
    }

    #[test]
    fn people_inside_their_hours_on_their_teams_repositories_are_never_reported(
        picks in prop::collection::vec((any::<u8>(), 0i64..365, 0i16..1440, any::<bool>()), 1..150),
    ) {
        let index = index();
        let model = index.model();
        // Everyone active with a GitHub login, hours and a team with repositories.
        let people: Vec<(&str, TimeZone, WorkingHours, Vec<&str>)> = model
            .people
            .iter()
            .filter(|p| p.status == Status::Active && p.offboarded_on.is_none())
            .filter_map(|p| {
                let login = p.github.as_deref()?;
                let hours = WorkingHours::parse(p.hours.as_deref()?).ok()?;
                let zone = TimeZone::get(p.timezone.as_deref().unwrap_or(&model.org.timezone)).ok()?;
                let repos: Vec<&str> = model
                    .services
                    .iter()
                    .filter(|s| s.team == p.team)
                    .flat_map(|s| s.repos.iter().map(String::as_str))
                    .collect();
                (!repos.is_empty()).then_some((login, zone, hours, repos))
            })
            .collect();
        prop_assert!(people.len() > 10);
        let mut events = Vec::new();
        for &(who, day, minute, push) in &picks {
            let (login, zone, hours, repos) = &people[usize::from(who) % people.len()];
            let date = Date::constant(2026, 1, 1) + SignedDuration::from_hours(24 * day);
            if !hours.contains(date.weekday(), minute as u16) {
                continue;
            }
            let local = date.to_datetime(Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).unwrap());
            let t = local.to_zoned(zone.clone()).unwrap().timestamp();
            let repo = repos[usize::from(who) % repos.len()];
            let action = if push { Action::GitPush } else { Action::GitClone };
            events.push(github(login, action, repo, t));
        }
        events.sort_by_key(|e| e.time);
        let mut run = Run::new(index, &[]);
        let findings = run.feed_all(events);
        prop_assert!(findings.is_empty(), "{findings:#?}");
    }
}

/// A cheap deterministic generator, so the million events cost nothing to draw.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn a_million_events_for_twenty_people_leave_the_profiles_bounded() {
    let index = index();
    let model = index.model();
    let people: Vec<(&str, Vec<&str>)> = model
        .people
        .iter()
        .filter(|p| p.github.is_some())
        .take(20)
        .map(|p| {
            (
                p.github.as_deref().unwrap(),
                p.ssh_principals.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(people.len(), 20);
    // Templates reused with a new time: building a million events would
    // cost more than judging them.
    let mut templates: Vec<Event> = Vec::new();
    for (name, principals) in &people {
        for r in 0..40 {
            templates.push(github(
                name,
                Action::GitClone,
                &format!("acme/repo-{r}"),
                utc("2026-01-01T00:00:00Z"),
            ));
        }
        for (i, principal) in principals.iter().enumerate() {
            for a in 0..40 {
                let host = [
                    "bastion.prod.acme.internal",
                    "app-01.prod.acme.internal",
                    "web.staging.acme.internal",
                ][i % 3];
                templates.push(ssh(
                    principal,
                    login(),
                    host,
                    &format!("198.51.100.{a}"),
                    utc("2026-01-01T00:00:00Z"),
                ));
            }
        }
    }
    for t in &mut templates {
        let person = index
            .find_person(&t.actor.name)
            .map(|(p, _)| index.person(p).handle.clone());
        t.actor.person = person;
    }
    let mut detectors = Some(palisade_monitor::detect::Detectors::new(
        index,
        &[],
        Profiles::default(),
    ));
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut time = utc("2026-01-01T00:00:00Z");
    let mut sizes = Vec::new();
    for i in 0..1_000_000u32 {
        let pick = (rng.next() % templates.len() as u64) as usize;
        let e = &mut templates[pick];
        // About 90 days over the million, with jitter.
        time += SignedDuration::from_secs((rng.next() % 16) as i64);
        e.time = time;
        detectors.as_mut().unwrap().observe(e);
        if i % 250_000 == 249_999 {
            let profiles = detectors.take().unwrap().into_profiles();
            sizes.push((
                profiles.values(),
                serde_json::to_string(&profiles).unwrap().len(),
            ));
            detectors = Some(palisade_monitor::detect::Detectors::new(
                index,
                &[],
                profiles,
            ));
        }
    }
    // 20 people × (168 hours + 28 days + today's 40 repositories + 3
    // resources × (1 + 32 addresses)) values at most.
    let bound = 20 * (168 + 28 + 41 + 3 * 33);
    let (last_values, last_json) = *sizes.last().unwrap();
    assert!(last_values <= bound, "{sizes:?}");
    // Four times the events, not four times the size: past the first
    // quarter only counts grow (a digit more here and there).
    let (_, first_json) = sizes[0];
    assert!(last_json <= first_json * 5 / 4, "{sizes:?}");
}
