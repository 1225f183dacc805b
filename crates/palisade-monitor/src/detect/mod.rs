//! Detectors: each resolved [`Event`] judged against the operating model
//! (who works when, on what, with which grant) and against what was learned
//! of each person, into [`Finding`]s.
//!
//! | id | fires on |
//! | --- | --- |
//! | `off_hours` | activity outside the person's declared hours in their own zone, beyond the grace, with no grant of theirs covering the time |
//! | `after_end` | activity by an offboarded person (from their offboarding day, in their zone); an event under a grant (a certificate's key id) outside the grant's window, saying whether the grant expired or was revoked (a revoked grant's window ends at its revocation); a session opened under a grant still open when it ended |
//! | `least_privilege` | a git read or write, or an archive download, of a repository that neither the team's services, nor the standing roles' `repositories`, nor a grant in force name; a login to a host or database that neither standing roles nor a grant in force reach |
//! | `mass_download` | `mass_download_repositories` distinct repositories cloned or downloaded within `mass_download_window`; a day with `baseline_factor` times the person's median (at least half the absolute threshold; 7 active days of history first) |
//! | `failed_logins` | `failed_logins` failures within `failed_login_window` for one user or from one address; a success right after such a burst (higher) |
//! | `new_address` | a source address not seen for this person on a resource of a high or critical environment, after [`NEW_ADDRESS_HISTORY`] accesses there over at least a week |
//! | `rare_hour` | an hour of the week (their zone) holding less than `rare_hour_share` of the person's history, and the same hour on the days declared like it as rare on average, once it has `rare_hour_min_events` over at least a week |
//! | `security_change` | [`Action::SecurityChange`]: a change the parser read as weakening security (a strengthening is not one), saying what it weakened; higher when a vendor's member (or no one known) made it |
//! | `unknown_actor` | an actor no identity resolves (anonymous readers and bots aside); a certificate login whose key id looks like a grant id ([`crate::resolve::looks_like_grant`]) but names no grant Palisade knows, high, about the person its principal resolves to |
//!
//! Deciding whether anything covers an access, `least_privilege` also
//! records what did (the team's services, a standing role, a grant) and
//! when: the last use an access review shows, taken with
//! [`Detectors::take_last_uses`].
//!
//! Failed events feed only `failed_logins`: a failed login by someone's
//! name is not their activity. Git fetches are not downloads: they update a
//! repository already cloned, and IDEs and CI fetch all day.
//!
//! Judging an event allocates nothing unless it finds something (or is the
//! first use of a resource by a person under a cover): people's hours are a
//! bitmap of the minutes of their week, zone offsets are cached between
//! transitions, repository names are interned with the roles whose globs
//! cover them decided once per name, last uses are keyed by those ids.
//!
//! **Invariant:** state grows with people, resources and what is in flight
//! inside a window, never with the number of events.

mod facts;
mod profile;
mod text;
mod usage;

use std::net::IpAddr;

use jiff::Timestamp;
use palisade_model::{Index, ResourceId, ResourceKind, Sensitivity};

use crate::event::{Action, Event, Outcome, RawRef, Resource};
use crate::finding::{Finding, GrantWindow, Severity};
use crate::parse::github::ANONYMOUS;
use facts::{Clock, FxMap, GrantFacts, PersonFacts, Repos, role_reaches};
use profile::Learned;
pub use profile::{
    ADDRESSES_PER_RESOURCE, BASELINE_DAYS, HOURS_OF_WEEK, KnownAddresses, PersonProfile, Profiles,
    Today,
};
pub use usage::{Cover, LastUse, LastUses, MAX_LAST_USES};
use usage::{Target, Usage, Via};

/// Every detector's id, as in [`Finding::detector`].
pub const DETECTORS: [&str; 9] = [
    "off_hours",
    "after_end",
    "least_privilege",
    "mass_download",
    "failed_logins",
    "new_address",
    "rare_hour",
    "security_change",
    "unknown_actor",
];

/// Accesses of a person to a sensitive resource before a new source address
/// there is worth a finding: the first few addresses are how the profile
/// learns.
pub const NEW_ADDRESS_HISTORY: u32 = 3;

/// Active days of history before the download baseline judges a day.
pub const BASELINE_MIN_DAYS: usize = 7;

/// A week: the least history `rare_hour` judges from.
const WEEK_SECONDS: i64 = 7 * 86_400;

/// Sessions opened under a grant tracked at once; beyond it the oldest is
/// forgotten (a log without session ends must not grow this forever).
const MAX_OPEN_SESSIONS: usize = 4096;

/// How often, in events, windows no event touches any more are dropped.
const PRUNE_EVERY: u32 = 1 << 16;

/// The thresholds of `model.monitor`, in seconds where they are times.
#[derive(Debug, Clone, Copy)]
struct Settings {
    grace: u32,
    mass_repositories: usize,
    mass_window: i64,
    baseline_factor: u32,
    failed_logins: usize,
    failed_window: i64,
    rare_min: u64,
    rare_share: f64,
}

/// The resources of the model a host or database name maps to.
#[derive(Debug, Clone, Copy, Default)]
struct Hits {
    n: u8,
    ids: [Option<ResourceId>; 4],
}

impl Hits {
    fn iter(&self) -> impl Iterator<Item = ResourceId> + '_ {
        self.ids[..usize::from(self.n)].iter().flatten().copied()
    }
}

/// Failed logins of one user or from one address, within the window.
#[derive(Debug, Default)]
struct Burst {
    /// The latest failures, at most `failed_logins`.
    recent: std::collections::VecDeque<(i64, RawRef)>,
    /// The last failure of a burst in progress (or just ended).
    burst_last: Option<i64>,
    /// Failures in that burst.
    burst_size: u32,
    last: i64,
}

/// A session opened under a grant, until it closes.
#[derive(Debug)]
struct OpenSession {
    host: Option<Box<str>>,
    user: Box<str>,
    person: Option<String>,
    grant: u32,
    opened: Timestamp,
    raw: RawRef,
}

/// One person's state at run time: what is learned, and their download window.
#[derive(Debug, Default)]
struct State {
    learned: Learned,
    /// Distinct repositories in the window: id, latest time, the event.
    window: Vec<(u32, i64, RawRef)>,
    /// An event of theirs was judged since what was learned was last taken
    /// ([`Detectors::take_changed_profiles`]).
    changed: bool,
}

/// The detectors, with what they have seen so far. Feed events in time
/// order (a little disorder is tolerated), then [`Detectors::finish`].
pub struct Detectors<'a, 'm> {
    index: &'a Index<'m>,
    settings: Settings,
    people: Vec<PersonFacts<'m>>,
    states: Vec<State>,
    handles: FxMap<&'m str, u32>,
    grants: &'a [GrantWindow],
    /// Grants learned of after the start ([`Detectors::add_grant`]),
    /// numbered after `grants`.
    added: Vec<GrantWindow>,
    grant_facts: Vec<GrantFacts>,
    grant_ids: FxMap<Box<str>, u32>,
    repos: Repos,
    hosts: FxMap<Box<str>, Hits>,
    databases: FxMap<Box<str>, Hits>,
    by_user: FxMap<Box<str>, Burst>,
    by_address: FxMap<IpAddr, Burst>,
    sessions: Vec<OpenSession>,
    next_session_end: i64,
    /// Profiles of people the model no longer names, kept as they were.
    others: std::collections::BTreeMap<String, PersonProfile>,
    /// What covered each access `least_privilege` judged, and when.
    usage: Usage,
    events: u32,
}

impl<'a, 'm> Detectors<'a, 'm> {
    /// Detectors over `index` (thresholds from `model.monitor`), judging
    /// against `grants`, starting from what `profiles` learned before.
    pub fn new(index: &'a Index<'m>, grants: &'a [GrantWindow], profiles: Profiles) -> Self {
        let m = &index.model().monitor;
        let settings = Settings {
            grace: m.grace.minutes(),
            mass_repositories: m.mass_download_repositories.max(1) as usize,
            mass_window: i64::from(m.mass_download_window.minutes()) * 60,
            baseline_factor: m.baseline_factor.max(1),
            failed_logins: m.failed_logins.max(1) as usize,
            failed_window: i64::from(m.failed_login_window.minutes()) * 60,
            rare_min: u64::from(m.rare_hour_min_events),
            rare_share: m.rare_hour_share,
        };
        let mut repos = Repos::new(index);
        let people = facts::people(index, grants, settings.grace, &mut repos);
        let mut handles = FxMap::default();
        for (i, p) in people.iter().enumerate() {
            handles
                .entry(p.handle)
                .or_insert(u32::try_from(i).unwrap_or(u32::MAX));
        }
        let mut others = profiles.people;
        let states = people
            .iter()
            .map(|p| State {
                learned: others
                    .remove(p.handle)
                    .map(|pr| Learned::load(&pr, index, &mut repos))
                    .unwrap_or_default(),
                window: Vec::new(),
                changed: false,
            })
            .collect();
        let mut grant_ids = FxMap::default();
        for (i, g) in grants.iter().enumerate() {
            grant_ids
                .entry(g.request.as_str().into())
                .or_insert(u32::try_from(i).unwrap_or(u32::MAX));
        }
        Detectors {
            index,
            settings,
            people,
            states,
            handles,
            grants,
            added: Vec::new(),
            grant_facts: facts::grants(index, grants),
            grant_ids,
            repos,
            hosts: FxMap::default(),
            databases: FxMap::default(),
            by_user: FxMap::default(),
            by_address: FxMap::default(),
            sessions: Vec::new(),
            next_session_end: i64::MAX,
            others,
            usage: Usage::default(),
            events: 0,
        }
    }

    /// Adds a grant made after these detectors were built (a log followed
    /// for days sees certificates of grants made since it started); false,
    /// and nothing changes, when its request is known already.
    pub fn add_grant(&mut self, window: GrantWindow) -> bool {
        if self.grant_ids.contains_key(window.request.as_str()) {
            return false;
        }
        let g = u32::try_from(self.grants.len() + self.added.len()).unwrap_or(u32::MAX);
        self.grant_facts
            .extend(facts::grants(self.index, std::slice::from_ref(&window)));
        self.grant_ids.insert(window.request.as_str().into(), g);
        if let Some(&p) = self.handles.get(window.person.as_str()) {
            let mine = &self.people[p as usize].grants;
            let at = mine
                .partition_point(|&j| window_of(self.grants, &self.added, j).from <= window.from);
            self.people[p as usize].grants.insert(at, g);
        }
        self.added.push(window);
        true
    }

    /// Judges one event; returns what it shows (usually nothing).
    pub fn observe(&mut self, event: &Event) -> Vec<Finding> {
        let mut out = Vec::new();
        let t = event.time.as_second();
        self.events = self.events.wrapping_add(1);
        if self.events.is_multiple_of(PRUNE_EVERY) {
            self.prune(t);
        }
        if t >= self.next_session_end {
            self.end_sessions(t, &mut out);
        }
        match &event.action {
            Action::LoginFailed { .. } => self.failed_login(event, t, &mut out),
            Action::Login { .. } if event.outcome == Outcome::Success => {
                self.login_after_burst(event, t, &mut out);
            }
            Action::SessionClose => self.close_session(event),
            _ => {}
        }
        if event.outcome == Outcome::Failure {
            return out;
        }
        let unissued = self.grant_window(event, t, &mut out);
        match self.person_of(event.actor.person.as_deref()) {
            Some(p) => self.person_event(p, event, t, &mut out),
            None => {
                if let Action::SecurityChange { what, change } = &event.action {
                    out.push(self.security_change(None, what, change, event));
                }
                // A certificate naming a grant never issued already said who.
                if !unissued {
                    self.unknown_actor(event, &mut out);
                }
            }
        }
        out
    }

    /// Reports what is still open at `now` (sessions under a grant that has
    /// ended), and closes windows that ended by then.
    pub fn finish(&mut self, now: Timestamp) -> Vec<Finding> {
        let mut out = Vec::new();
        let t = now.as_second();
        self.end_sessions(t, &mut out);
        self.prune(t);
        out
    }

    /// The position of the person with `handle` among the model's people.
    fn person_of(&self, handle: Option<&str>) -> Option<usize> {
        handle
            .and_then(|h| self.handles.get(h))
            .map(|&p| p as usize)
    }

    /// The last uses recorded since the detectors were built or last
    /// asked: for each person, resource and what covered the access (the
    /// team's services, a standing role or a grant), the latest time and how
    /// many events. Takes them, so a long-running caller can store them now
    /// and then; what follows starts afresh.
    pub fn take_last_uses(&mut self) -> LastUses {
        let (grants, added) = (self.grants, &self.added);
        // A grant learned while running is numbered after the first ones.
        let grant = |g: u32| {
            let g = g as usize;
            grants
                .get(g)
                .or_else(|| added.get(g.checked_sub(grants.len())?))
        };
        self.usage
            .take(self.index, &self.people, &self.repos, grant)
    }

    /// What was learned of the people who did something since the last call
    /// (since the start for the first), to store while the detectors go on:
    /// stored over the profiles kept before, it equals [`Detectors::into_profiles`].
    pub fn take_changed_profiles(&mut self) -> Profiles {
        let mut people = std::collections::BTreeMap::new();
        for (facts, state) in self.people.iter().zip(&mut self.states) {
            if std::mem::take(&mut state.changed) {
                people.insert(
                    facts.handle.to_owned(),
                    state.learned.save(self.index, &self.repos),
                );
            }
        }
        Profiles { people }
    }

    /// What was learned, to pass to [`Detectors::new`] next time.
    pub fn into_profiles(self) -> Profiles {
        let mut people = self.others;
        for (facts, state) in self.people.iter().zip(&self.states) {
            people.insert(
                facts.handle.to_owned(),
                state.learned.save(self.index, &self.repos),
            );
        }
        Profiles { people }
    }

    // ------------------------------------------------------------ one person

    fn person_event(&mut self, p: usize, event: &Event, t: i64, out: &mut Vec<Finding>) {
        self.states[p].changed = true;
        let local = self.people[p].clock.as_mut().map(|c| c.local(event.time));
        self.offboarded(p, event, t, out);
        if let Action::SecurityChange { what, change } = &event.action {
            out.push(self.security_change(Some(p), what, change, event));
        }
        let hits = self.resources_of(event.resource.as_ref());
        if !matches!(event.action, Action::SessionClose) {
            if let Some(local) = local {
                self.off_hours(p, event, t, local, hits, out);
                self.rare_hour(p, event, t, local, out);
            }
            self.least_privilege(p, event, t, hits, out);
            self.new_address(p, event, t, hits, out);
        }
        if matches!(event.action, Action::GitClone | Action::ArchiveDownload)
            && let Some(Resource::Repository(name)) = &event.resource
        {
            let repo = self.repos.intern(name);
            self.mass_download(p, event, t, repo, out);
            if let Some(local) = local {
                self.baseline(p, event, repo, local, out);
            }
        }
    }

    fn offboarded(&self, p: usize, event: &Event, t: i64, out: &mut Vec<Finding>) {
        let facts = &self.people[p];
        let Some(from) = facts.offboarded_from else {
            return;
        };
        if t < from {
            return;
        }
        let person = self.index.person(facts.id);
        let since = match person.offboarded_on {
            Some(day) => format!("offboarded on {day}"),
            None => "offboarded".to_owned(),
        };
        let sentence = format!(
            "{} ({since}) {} at {}; an offboarded person must have no access left, so find which credential still works and revoke it",
            facts.handle,
            text::did(event),
            self.when(p, event.time),
        );
        out.push(self.finding("after_end", Severity::Critical, Some(p), event, sentence));
    }

    fn off_hours(
        &self,
        p: usize,
        event: &Event,
        t: i64,
        local: i64,
        hits: Hits,
        out: &mut Vec<Finding>,
    ) {
        let facts = &self.people[p];
        let Some((mask, hours)) = &facts.hours else {
            return;
        };
        if mask.allows(facts::minute_of_week(local)) {
            return;
        }
        if facts
            .grants
            .iter()
            .any(|&g| self.grant_facts[g as usize].covers(t))
        {
            return;
        }
        let critical = hits
            .iter()
            .any(|r| self.index.environment(r.env).sensitivity >= Sensitivity::High);
        let severity = if critical {
            Severity::High
        } else {
            Severity::Medium
        };
        let sentence = format!(
            "{} {} at {}, outside their hours `{hours}` and the {}m grace, with no grant of theirs covering the time",
            facts.handle,
            text::did(event),
            self.when(p, event.time),
            self.settings.grace,
        );
        out.push(self.finding("off_hours", severity, Some(p), event, sentence));
    }

    fn rare_hour(&mut self, p: usize, event: &Event, t: i64, local: i64, out: &mut Vec<Finding>) {
        let hour = facts::minute_of_week(local) / 60;
        let learned = &self.states[p].learned;
        let total = learned.total;
        let here = learned.hours[hour];
        // A few weeks of history leave hour-of-week buckets thin: a
        // Thursday evening seen twice on other weekdays is not rare because
        // no Thursday evening is in the history yet. So a rare bucket counts
        // when the same hour is rare on the days like it too (days with the
        // same declared hours), or when those days make this bucket's few
        // events unlikely by chance (a Poisson tail under 0.1%): a Saturday
        // afternoon for someone busy every weekday afternoon but whose
        // Saturdays end at two.
        let rare = |share: f64| share < self.settings.rare_share;
        let share = |n: u64| n as f64 / total as f64;
        // A history shorter than a week has not seen every hour come round.
        // The days like this one are looked at only for a bucket that is
        // rare on its own (most events stop at the cheap checks).
        let judged = total >= self.settings.rare_min
            && total > 0
            && learned.since.is_some_and(|s| t - s >= WEEK_SECONDS)
            && rare(share(u64::from(here)));
        let (day, hod) = (hour / 24, hour % 24);
        let pooled_share = judged.then(|| {
            let (days, pooled) = self.people[p]
                .day_kinds
                .like(day)
                .fold((0u64, 0u64), |(n, sum), d| {
                    (n + 1, sum + u64::from(learned.hours[d * 24 + hod]))
                });
            // What this bucket would hold were it like the other days of its kind.
            let expected = if days > 1 {
                (pooled - u64::from(here)) as f64 / (days - 1) as f64
            } else {
                0.0
            };
            let pooled_share = share(pooled) / days.max(1) as f64;
            (rare(pooled_share) || poisson_at_most(u64::from(here), expected) < 0.001)
                .then_some(pooled_share)
        });
        if let Some(pooled_share) = pooled_share.flatten() {
            let facts = &self.people[p];
            let sentence = format!(
                "{} {} at {}; that hour of the week holds {here} of their {total} past events ({:.2}%), and the same hour on days like it {:.2}% on average, under the {:.2}% that makes an hour rare",
                facts.handle,
                text::did(event),
                self.when(p, event.time),
                100.0 * share(u64::from(here)),
                100.0 * pooled_share,
                100.0 * self.settings.rare_share,
            );
            out.push(self.finding("rare_hour", Severity::Low, Some(p), event, sentence));
        }
        self.states[p].learned.count_hour(hour, t);
    }

    fn least_privilege(
        &mut self,
        p: usize,
        event: &Event,
        t: i64,
        hits: Hits,
        out: &mut Vec<Finding>,
    ) {
        match &event.resource {
            Some(Resource::Repository(name))
                if matches!(
                    event.action,
                    Action::GitClone | Action::GitFetch | Action::GitPush | Action::ArchiveDownload
                ) =>
            {
                let repo = self.repos.intern(name);
                if self.cover_repository(p, repo, event, t) {
                    return;
                }
                let facts = &self.people[p];
                let severity = if event.action == Action::GitPush {
                    Severity::High
                } else {
                    Severity::Medium
                };
                let team = self
                    .index
                    .team_of(facts.id)
                    .map_or("no team", |t| self.index.team(t).id.as_str());
                let sentence = format!(
                    "{} {} at {}; no service of their team ({team}), none of their standing roles' repositories and no grant in force covers that repository",
                    facts.handle,
                    text::did(event),
                    self.when(p, event.time),
                );
                out.push(self.finding("least_privilege", severity, Some(p), event, sentence));
            }
            Some(Resource::Host(_) | Resource::Database(_)) => {
                if hits.n == 0 {
                    return;
                }
                let mut covered = false;
                for r in hits.iter() {
                    covered |= self.cover_resource(p, r, event, t);
                }
                if covered {
                    return;
                }
                let facts = &self.people[p];
                let names: Vec<String> = hits
                    .iter()
                    .map(|r| profile::resource_key(self.index, r))
                    .collect();
                let critical = hits
                    .iter()
                    .any(|r| self.index.environment(r.env).sensitivity >= Sensitivity::High);
                let severity = if critical {
                    Severity::High
                } else {
                    Severity::Medium
                };
                let sentence = format!(
                    "{} {} at {}; it is resource {} of the model, which none of their standing roles and no grant in force reaches",
                    facts.handle,
                    text::did(event),
                    self.when(p, event.time),
                    names.join(", "),
                );
                out.push(self.finding("least_privilege", severity, Some(p), event, sentence));
            }
            _ => {}
        }
    }

    /// Whether anything covers person `p`'s access to repository `repo` at
    /// `t`, recording what did: their team's services first, else every
    /// standing role that names it, else every grant in force that does.
    fn cover_repository(&mut self, p: usize, repo: u32, event: &Event, t: i64) -> bool {
        let facts = &self.people[p];
        let at = event.time.as_microsecond();
        let target = Target::Repo(repo);
        if facts.team_repos.binary_search(&repo).is_ok() {
            self.usage.record(p, target, Via::Team, at);
            return true;
        }
        let mut covered = false;
        for &r in &facts.roles {
            if self.repos.role_covers(repo, r) {
                self.usage.record(p, target, Via::Role(r), at);
                covered = true;
            }
        }
        if covered {
            return true;
        }
        for &g in &facts.grants {
            let grant = &self.grant_facts[g as usize];
            if grant.covers(t) && grant.role.is_some_and(|r| self.repos.role_covers(repo, r)) {
                self.usage.record(p, target, Via::Grant(g), at);
                covered = true;
            }
        }
        covered
    }

    /// Whether anything covers person `p`'s access to resource `r` of the
    /// model at `t`, recording what did: the grant the event names (its
    /// certificate's key id) when it is theirs, in force and reaches `r`;
    /// else every standing role that reaches it; else every grant in force
    /// that does.
    fn cover_resource(&mut self, p: usize, r: ResourceId, event: &Event, t: i64) -> bool {
        let facts = &self.people[p];
        let at = event.time.as_microsecond();
        let target = Target::Resource(r);
        let reaches = |g: u32| {
            let grant = &self.grant_facts[g as usize];
            grant.covers(t)
                && grant
                    .role
                    .is_some_and(|role| role_reaches(self.index, role, grant.env, r))
        };
        let named = event
            .grant
            .as_deref()
            .and_then(|request| self.grant_ids.get(request).copied())
            .filter(|g| facts.grants.contains(g) && reaches(*g));
        if let Some(g) = named {
            self.usage.record(p, target, Via::Grant(g), at);
            return true;
        }
        let mut covered = false;
        if facts.resources.binary_search(&r).is_ok() {
            for &role in &facts.roles {
                if role_reaches(self.index, role, None, r) {
                    self.usage.record(p, target, Via::Role(role), at);
                    covered = true;
                }
            }
        }
        if covered {
            return true;
        }
        for &g in &facts.grants {
            if reaches(g) {
                self.usage.record(p, target, Via::Grant(g), at);
                covered = true;
            }
        }
        covered
    }

    fn new_address(&mut self, p: usize, event: &Event, t: i64, hits: Hits, out: &mut Vec<Finding>) {
        let Some(address) = event.source_address else {
            return;
        };
        for r in hits.iter() {
            let sensitivity = self.index.environment(r.env).sensitivity;
            if sensitivity < Sensitivity::High {
                continue;
            }
            let known = self.states[p].learned.known(r);
            // Silent while the history there is shorter than a week: the
            // first days show a person's regular addresses one by one.
            if known.events >= NEW_ADDRESS_HISTORY
                && known
                    .since
                    .is_some_and(|s| t.saturating_sub(s) >= WEEK_SECONDS)
                && !known.addresses.contains(&address)
            {
                let (n, events) = (known.addresses.len(), known.events);
                let facts = &self.people[p];
                let sentence = format!(
                    "{} {} at {}; {address} is new for them on {} ({sensitivity:?} sensitivity), where {n} other address{} were seen in their {events} earlier accesses",
                    facts.handle,
                    text::did(event),
                    self.when(p, event.time),
                    profile::resource_key(self.index, r),
                    if n == 1 { "" } else { "es" },
                );
                let severity = if sensitivity == Sensitivity::Critical {
                    Severity::High
                } else {
                    Severity::Medium
                };
                out.push(self.finding("new_address", severity, Some(p), event, sentence));
            }
            self.states[p].learned.known(r).learn(address, t);
        }
    }

    fn mass_download(
        &mut self,
        p: usize,
        event: &Event,
        t: i64,
        repo: u32,
        out: &mut Vec<Finding>,
    ) {
        let window = self.settings.mass_window;
        let w = &mut self.states[p].window;
        w.retain(|(_, last, _)| *last > t - window);
        match w.iter_mut().find(|(r, _, _)| *r == repo) {
            Some(entry) => {
                if t >= entry.1 {
                    entry.1 = t;
                    entry.2 = event.raw.clone();
                }
            }
            None => w.push((repo, t, event.raw.clone())),
        }
        if w.len() < self.settings.mass_repositories {
            return;
        }
        let taken = std::mem::take(w);
        let first = taken.iter().map(|e| e.1).min().unwrap_or(t);
        let names = text::some_of(taken.iter().map(|e| self.repos.name(e.0)), 5);
        let facts = &self.people[p];
        let sentence = format!(
            "{} cloned or downloaded {} distinct repositories in {} minutes (from {} to {}), at or over the threshold of {} within {} minutes: {names}",
            facts.handle,
            taken.len(),
            (t - first + 59) / 60,
            self.when(p, Timestamp::from_second(first).unwrap_or(event.time)),
            self.when(p, event.time),
            self.settings.mass_repositories,
            window / 60,
        );
        let mut finding = self.finding("mass_download", Severity::High, Some(p), event, sentence);
        finding.evidence = taken.into_iter().map(|e| e.2).collect();
        out.push(finding);
    }

    fn baseline(&mut self, p: usize, event: &Event, repo: u32, local: i64, out: &mut Vec<Finding>) {
        let learned = &mut self.states[p].learned;
        learned.roll_day(facts::local_day(local));
        let Err(at) = learned.today_repos.binary_search(&repo) else {
            return;
        };
        learned.today_repos.insert(at, repo);
        if learned.today_alerted || learned.days.len() < BASELINE_MIN_DAYS {
            return;
        }
        let Some(median) = learned.median_day() else {
            return;
        };
        let need = (median.saturating_mul(self.settings.baseline_factor))
            .max((self.settings.mass_repositories as u32).div_ceil(2))
            .max(1);
        let today = learned.today_repos.len() as u32;
        if today < need {
            return;
        }
        learned.today_alerted = true;
        let days = learned.days.len();
        let facts = &self.people[p];
        let sentence = format!(
            "{} has cloned or downloaded {today} distinct repositories today (their day, {}), against a median of {median} on their last {days} active days: over {} times their usual (threshold {need}); the last was {} at {}",
            facts.handle,
            facts.clock.as_ref().map_or("UTC", |c| c.name.as_str()),
            self.settings.baseline_factor,
            self.repos.name(repo),
            self.when(p, event.time),
        );
        out.push(self.finding("mass_download", Severity::Medium, Some(p), event, sentence));
    }

    fn security_change(
        &self,
        p: Option<usize>,
        what: &str,
        change: &str,
        event: &Event,
    ) -> Finding {
        let vendor = p.and_then(|p| self.people[p].vendor_team);
        let outsider = p.is_none() || vendor.is_some();
        let credential = [
            "personal_access_token",
            "access_token",
            "deploy_key",
            "public_key",
        ]
        .iter()
        .any(|k| what.contains(k));
        let exposure = ["transfer", "visibility", "repo.access"]
            .iter()
            .any(|k| what.contains(k));
        let severity = match (outsider, credential, exposure) {
            (true, _, true) => Severity::Critical,
            (true, _, false) => Severity::High,
            (false, true, _) => Severity::Low,
            (false, false, true) => Severity::High,
            (false, false, false) => Severity::Medium,
        };
        let who = match (p, vendor) {
            (Some(p), Some(team)) => format!("{} of vendor team {team}", self.people[p].handle),
            (Some(p), None) => format!("{} (internal)", self.people[p].handle),
            (None, _) => format!(
                "`{}`, whom no identity of the model names,",
                event.actor.name
            ),
        };
        let sentence = format!(
            "{who} made the security change `{what}`{} at {}: {change}",
            event
                .resource
                .as_ref()
                .map(|r| format!(" on {}", text::resource(r)))
                .unwrap_or_default(),
            match p {
                Some(p) => self.when(p, event.time),
                None => text::when(event.time, None),
            },
        );
        self.finding("security_change", severity, p, event, sentence)
    }

    // ------------------------------------------------------------ anyone

    fn unknown_actor(&self, event: &Event, out: &mut Vec<Finding>) {
        let name = event.actor.name.as_str();
        if name.is_empty()
            || name == ANONYMOUS
            || name.ends_with("[bot]")
            || matches!(name, "(system)" | "github-actions")
        {
            return;
        }
        let severity = match event.action {
            Action::SecurityChange { .. } | Action::GitPush => Severity::High,
            _ => Severity::Medium,
        };
        let how = match &event.actor.person {
            Some(h) => format!("resolved to `{h}`, who is not in the model"),
            None => format!(
                "{} no identity of the model names",
                text::actor_kind(event.actor.kind)
            ),
        };
        let sentence = format!(
            "`{name}` ({how}) {} at {}; add the identity to its person, or find out who this is",
            text::did(event),
            text::when(event.time, None),
        );
        out.push(self.finding("unknown_actor", severity, None, event, sentence));
    }

    /// `after_end` for an event under a grant outside its window; for a
    /// certificate whose key id looks like a grant id but names none, an
    /// `unknown_actor` finding (returns true then).
    fn grant_window(&mut self, event: &Event, t: i64, out: &mut Vec<Finding>) -> bool {
        let Some(request) = &event.grant else {
            return false;
        };
        let Some(&g) = self.grant_ids.get(request.as_str()) else {
            let certificate =
                matches!(&event.action, Action::Login { method } if method == "certificate");
            if certificate && crate::resolve::looks_like_grant(request) {
                out.push(self.unissued_grant(event, request));
                return true;
            }
            return false;
        };
        let facts = self.grant_facts[g as usize];
        let window = window_of(self.grants, &self.added, g);
        if facts.covers(t) {
            if matches!(event.action, Action::Login { .. } | Action::SessionOpen) {
                self.open_session(event, g, facts.until);
            }
            return false;
        }
        let p = self.person_of(event.actor.person.as_deref());
        let relation = if t < facts.from {
            format!("before grant {request} began at {}", text::utc(window.from))
        } else if window.revoked {
            format!(
                "after grant {request} was revoked at {}",
                text::utc(window.until)
            )
        } else {
            format!(
                "after grant {request} expired at {}",
                text::utc(window.until)
            )
        };
        let sentence = format!(
            "{} {} at {}, {relation}; a credential must stop working when its grant ends",
            event.actor.person.as_deref().unwrap_or(&event.actor.name),
            text::did(event),
            match p {
                Some(p) => self.when(p, event.time),
                None => text::when(event.time, None),
            },
        );
        out.push(self.finding("after_end", Severity::High, p, event, sentence));
        false
    }

    /// A certificate whose key id has the shape of a grant id, naming a
    /// grant that is not known: Palisade did not sign it.
    fn unissued_grant(&self, event: &Event, request: &str) -> Finding {
        let p = self.person_of(event.actor.person.as_deref());
        let who = match (p, &event.actor.person) {
            (Some(p), _) => format!("person {}", self.people[p].handle),
            (None, Some(h)) => format!("`{h}`, who is not in the model"),
            (None, None) => "no person of the model".to_owned(),
        };
        let sentence = format!(
            "a certificate naming grant {request}, which Palisade never issued, logged in as principal `{}` ({who}){}{} at {}; find who signed it, and stop trusting its CA if it is not Palisade's",
            event.actor.name,
            match &event.resource {
                Some(r) => format!(" to {}", text::resource(r)),
                None => String::new(),
            },
            event
                .source_address
                .map(|a| format!(" from {a}"))
                .unwrap_or_default(),
            match p {
                Some(p) => self.when(p, event.time),
                None => text::when(event.time, None),
            },
        );
        self.finding("unknown_actor", Severity::High, p, event, sentence)
    }

    fn failed_login(&mut self, event: &Event, t: i64, out: &mut Vec<Finding>) {
        let s = self.settings;
        let user = event.actor.name.as_str();
        if !self.by_user.contains_key(user) {
            self.by_user.insert(user.into(), Burst::default());
        }
        let burst = self.by_user.get_mut(user).expect("inserted above");
        let mut user_burst = false;
        if let Some(size) = count_failure(burst, event, t, s) {
            user_burst = true;
            let sentence = format!(
                "{size} failed logins for user `{user}` within {} minutes, the last {} at {}: a password or key guessed, or a credential that no longer works being retried",
                s.failed_window / 60,
                text::did(event),
                text::utc(event.time),
            );
            let evidence = burst.recent.iter().map(|(_, r)| r.clone()).collect();
            out.push(self.burst_finding(event, Severity::Medium, sentence, evidence));
        }
        if let Some(address) = event.source_address {
            let burst = self.by_address.entry(address).or_default();
            // One user's burst from one address is that user's finding; the
            // address's own is for bursts across names (a spray).
            if let Some(size) = count_failure(burst, event, t, s).filter(|_| !user_burst) {
                let sentence = format!(
                    "{size} failed logins from {address} within {} minutes, the last by `{user}` at {}",
                    s.failed_window / 60,
                    text::utc(event.time),
                );
                let evidence = burst.recent.iter().map(|(_, r)| r.clone()).collect();
                // A burst from one address (a spray over many names) is the
                // address's doing, not the last name it tried.
                let mut f = self.burst_finding(event, Severity::Medium, sentence, evidence);
                f.actor = address.to_string();
                f.person = None;
                out.push(f);
            }
        }
    }

    fn login_after_burst(&mut self, event: &Event, t: i64, out: &mut Vec<Finding>) {
        let window = self.settings.failed_window;
        let follows = |b: &Burst| {
            b.burst_last
                .is_some_and(|last| t >= last && t - last <= window)
        };
        let user = event.actor.name.as_str();
        let mut found: Option<(String, u32, Vec<RawRef>)> = None;
        if let Some(b) = self.by_user.get_mut(user)
            && follows(b)
        {
            found = Some((format!("user `{user}`"), b.burst_size, take_evidence(b)));
        }
        if let Some(address) = event.source_address
            && let Some(b) = self.by_address.get_mut(&address)
            && follows(b)
        {
            let evidence = take_evidence(b);
            if found.is_none() {
                found = Some((format!("address {address}"), b.burst_size, evidence));
            }
        }
        let Some((key, size, mut evidence)) = found else {
            return;
        };
        evidence.push(event.raw.clone());
        let sentence = format!(
            "{} at {}, within {} minutes of a burst of {size} failed logins for {key}: the guessing may have worked",
            text::did(event),
            text::utc(event.time),
            window / 60,
        );
        let sentence = format!("`{user}` {sentence}");
        out.push(self.burst_finding(event, Severity::High, sentence, evidence));
    }

    fn burst_finding(
        &self,
        event: &Event,
        severity: Severity,
        sentence: String,
        evidence: Vec<RawRef>,
    ) -> Finding {
        let p = self.person_of(event.actor.person.as_deref());
        let mut f = self.finding("failed_logins", severity, p, event, sentence);
        f.evidence = evidence;
        f
    }

    fn open_session(&mut self, event: &Event, grant: u32, until: i64) {
        if self.sessions.len() == MAX_OPEN_SESSIONS {
            self.sessions.remove(0);
        }
        let host = match &event.resource {
            Some(Resource::Host(h)) => Some(h.as_str().into()),
            _ => None,
        };
        // Login then session open of the same connection: one session.
        if matches!(event.action, Action::SessionOpen)
            && self
                .sessions
                .iter()
                .any(|s| s.grant == grant && s.host == host && *s.user == *event.actor.name)
        {
            return;
        }
        self.sessions.push(OpenSession {
            host,
            user: event.actor.name.as_str().into(),
            person: event.actor.person.clone(),
            grant,
            opened: event.time,
            raw: event.raw.clone(),
        });
        self.next_session_end = self.next_session_end.min(until);
    }

    fn close_session(&mut self, event: &Event) {
        if self.sessions.is_empty() {
            return;
        }
        let host = match &event.resource {
            Some(Resource::Host(h)) => Some(h.as_str()),
            _ => None,
        };
        if let Some(i) = self
            .sessions
            .iter()
            .position(|s| s.host.as_deref() == host && *s.user == *event.actor.name)
        {
            self.sessions.remove(i);
        }
    }

    fn end_sessions(&mut self, t: i64, out: &mut Vec<Finding>) {
        let mut next = i64::MAX;
        let mut i = 0;
        while i < self.sessions.len() {
            let g = self.sessions[i].grant as usize;
            let until = self.grant_facts[g].until;
            if until > t {
                next = next.min(until);
                i += 1;
                continue;
            }
            let s = self.sessions.remove(i);
            let window = window_of(self.grants, &self.added, s.grant);
            let p = self.person_of(s.person.as_deref());
            let sentence = format!(
                "a session of `{}` on {} opened at {} under grant {} was still open when the grant {} at {}: end it on the host",
                s.user,
                s.host
                    .as_deref()
                    .map_or("an unnamed host".to_owned(), |h| format!("host {h}")),
                text::utc(s.opened),
                window.request,
                if window.revoked {
                    "was revoked"
                } else {
                    "ended"
                },
                text::utc(window.until),
            );
            out.push(Finding {
                detector: "after_end",
                severity: Severity::High,
                person: p.map(|p| self.people[p].handle.to_owned()),
                actor: s.user.to_string(),
                resource: s.host.as_deref().map(|h| format!("host:{h}")),
                time: window.until,
                sentence,
                evidence: vec![s.raw],
            });
        }
        self.next_session_end = next;
    }

    fn prune(&mut self, t: i64) {
        let window = self.settings.failed_window;
        let live = |b: &Burst| b.last > t - window || b.burst_last.is_some_and(|l| l > t - window);
        self.by_user.retain(|_, b| live(b));
        self.by_address.retain(|_, b| live(b));
        let mass = self.settings.mass_window;
        for s in &mut self.states {
            s.window.retain(|(_, last, _)| *last > t - mass);
        }
    }

    // ------------------------------------------------------------ helpers

    /// The ssh_host resources a host maps to (by their `hosts` globs), or
    /// the database resources a database name maps to (by id, database
    /// name or address), each name worked out once.
    fn resources_of(&mut self, resource: Option<&Resource>) -> Hits {
        match resource {
            Some(Resource::Host(h)) => {
                if let Some(hits) = self.hosts.get(h.as_str()) {
                    return *hits;
                }
                let hits = hits_of(self.index.resources_for_host(h));
                self.hosts.insert(h.as_str().into(), hits);
                hits
            }
            Some(Resource::Database(d)) => {
                if let Some(hits) = self.databases.get(d.as_str()) {
                    return *hits;
                }
                let hits = hits_of(databases(self.index, d));
                self.databases.insert(d.as_str().into(), hits);
                hits
            }
            _ => Hits::default(),
        }
    }

    fn when(&self, p: usize, t: Timestamp) -> String {
        let clock: Option<&Clock> = self.people[p].clock.as_ref();
        text::when(t, clock.map(|c| (&c.tz, c.name.as_str())))
    }

    fn finding(
        &self,
        detector: &'static str,
        severity: Severity,
        p: Option<usize>,
        event: &Event,
        sentence: String,
    ) -> Finding {
        Finding {
            detector,
            severity,
            person: p.map(|p| self.people[p].handle.to_owned()),
            actor: event.actor.name.clone(),
            resource: event.resource.as_ref().map(text::resource),
            time: event.time,
            sentence,
            evidence: vec![event.raw.clone()],
        }
    }
}

/// Grant `g`: one of those the detectors started with, or one added since.
fn window_of<'g>(grants: &'g [GrantWindow], added: &'g [GrantWindow], g: u32) -> &'g GrantWindow {
    let g = g as usize;
    match grants.get(g) {
        Some(w) => w,
        None => &added[g - grants.len()],
    }
}

/// Counts one failure; returns the burst's size when this failure starts a burst.
fn count_failure(b: &mut Burst, event: &Event, t: i64, s: Settings) -> Option<u32> {
    // Kept in time order, so a little disorder does not break the count.
    let at = b.recent.partition_point(|(u, _)| *u <= t);
    b.recent.insert(at, (t, event.raw.clone()));
    let newest = b.recent.back().map_or(t, |(u, _)| *u);
    while b.recent.len() > s.failed_logins
        || b.recent
            .front()
            .is_some_and(|(u, _)| *u <= newest - s.failed_window)
    {
        b.recent.pop_front();
    }
    b.last = b.last.max(t);
    if b.recent.len() < s.failed_logins {
        return None;
    }
    let in_burst = b.burst_last.is_some_and(|last| t - last < s.failed_window);
    b.burst_last = Some(b.burst_last.map_or(t, |l| l.max(t)));
    if in_burst {
        b.burst_size = b.burst_size.saturating_add(1);
        None
    } else {
        b.burst_size = b.recent.len() as u32;
        Some(b.burst_size)
    }
}

/// The evidence of a burst, ending it: a success reports it once.
fn take_evidence(b: &mut Burst) -> Vec<RawRef> {
    b.burst_last = None;
    b.recent.drain(..).map(|(_, r)| r).collect()
}

fn hits_of(ids: Vec<ResourceId>) -> Hits {
    let mut hits = Hits::default();
    for (slot, id) in hits.ids.iter_mut().zip(ids) {
        *slot = Some(id);
        hits.n += 1;
    }
    hits
}

/// Database resources a name from a log means: by resource id or by the
/// host of its address first, else by the database name it holds.
fn databases(index: &Index<'_>, name: &str) -> Vec<ResourceId> {
    let model = index.model();
    let mut exact = Vec::new();
    let mut by_database = Vec::new();
    for env in &model.environments {
        let Some(env_id) = index.environment_by_id(&env.id) else {
            continue;
        };
        for r in &env.resources {
            if r.kind != ResourceKind::Database {
                continue;
            }
            let Some(id) = index.resource_by_id(env_id, &r.id) else {
                continue;
            };
            let host = r
                .address
                .as_deref()
                .map(|a| a.rsplit_once(':').map_or(a, |(h, _)| h));
            if r.id == name || host.is_some_and(|h| h.eq_ignore_ascii_case(name)) {
                exact.push(id);
            } else if r.database.as_deref() == Some(name) {
                by_database.push(id);
            }
        }
    }
    if exact.is_empty() { by_database } else { exact }
}

/// P(X <= k) for X Poisson with mean `mean`, summed in log space so that a
/// large mean neither underflows to nothing nor is cut short.
fn poisson_at_most(k: u64, mean: f64) -> f64 {
    if mean <= 0.0 || !mean.is_finite() {
        return 1.0;
    }
    let ln_mean = mean.ln();
    // ln P(X = i) = i ln(mean) - mean - ln(i!), accumulated term by term.
    let (mut ln_term, mut sum) = (-mean, 0.0f64);
    for i in 0..=k {
        if i > 0 {
            ln_term += ln_mean - (i as f64).ln();
        }
        sum += ln_term.exp();
    }
    sum.min(1.0)
}

#[cfg(test)]
mod poisson_tests {
    use super::poisson_at_most;

    #[test]
    fn the_poisson_tail_is_right_for_small_and_large_means() {
        let close = |a: f64, b: f64, tol: f64| (a - b).abs() < tol;
        assert!(close(poisson_at_most(0, 5.0), (-5.0f64).exp(), 1e-12));
        assert!(close(poisson_at_most(2, 1.0), 2.5 * (-1.0f64).exp(), 1e-12));
        // A mean far beyond where e^-mean underflows: about 0.19, not 0.
        let p = poisson_at_most(1990, 2030.0);
        assert!(close(p, 0.19, 0.02), "{p}");
        assert!(poisson_at_most(10, 2000.0) < 1e-300);
        assert_eq!(poisson_at_most(3, 0.0), 1.0);
        assert_eq!(poisson_at_most(3, f64::NAN), 1.0);
        assert!(close(poisson_at_most(50, 20.0), 1.0, 1e-6));
    }
}
