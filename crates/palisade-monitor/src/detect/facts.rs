//! What the model says about each person and grant, worked out once when
//! the detectors are built, so that judging an event is a few array reads:
//! a person's hours as a bitmap of the minutes of their week (grace
//! included), the offset of their zone cached until its next transition,
//! their team's repositories and their roles' repository globs as interned
//! ids, the resources their standing roles reach.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use palisade_model::glob::Glob;
use palisade_model::{Index, PersonId, ResourceId, RoleId, Status, WorkingHours};

use crate::finding::GrantWindow;

/// Minutes in a week.
pub(crate) const WEEK_MINUTES: usize = 7 * 1440;

/// A multiply-rotate hasher for the short keys of the detectors' maps
/// (handles, repository names, addresses): hashing them is most of the cost
/// of a lookup, and SipHash's resistance buys nothing on names the model
/// and the company's own logs supply.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("chunks of eight")));
        }
        let mut tail = 0u64;
        for (i, b) in chunks.remainder().iter().enumerate() {
            tail |= u64::from(*b) << (8 * i);
        }
        self.add(tail);
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map hashed with [`FxHasher`].
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A person's zone, with the offset in force cached for the span between
/// two transitions: most events need no zone lookup at all, and an event
/// across a daylight-saving change gets the offset jiff's database gives.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    pub(crate) tz: TimeZone,
    /// The zone's name, as the model spells it.
    pub(crate) name: String,
    offset: i64,
    from: i64,
    until: i64,
}

impl Clock {
    pub(crate) fn new(tz: TimeZone, name: &str) -> Clock {
        Clock {
            tz,
            name: name.to_owned(),
            offset: 0,
            from: i64::MAX,
            until: i64::MIN,
        }
    }

    /// Local seconds since the epoch (as if the local wall clock were UTC).
    pub(crate) fn local(&mut self, t: Timestamp) -> i64 {
        let s = t.as_second();
        if s < self.from || s >= self.until {
            self.refresh(t);
        }
        s + self.offset
    }

    fn refresh(&mut self, t: Timestamp) {
        let offset = self.tz.to_offset(t);
        self.offset = i64::from(offset.seconds());
        self.until = self
            .tz
            .following(t)
            .next()
            .map_or(i64::MAX, |tr| tr.timestamp().as_second());
        // A transition exactly at `t` may not count as preceding it; only
        // trust the earlier bound when it has the same offset.
        self.from = match self.tz.preceding(t).next() {
            Some(tr) if tr.offset() == offset => tr.timestamp().as_second(),
            None => i64::MIN,
            Some(_) => t.as_second(),
        };
    }
}

/// The minute of the week (Monday 00:00 = 0) of local seconds.
pub(crate) fn minute_of_week(local: i64) -> usize {
    // 1970-01-01 was a Thursday, three days after a Monday.
    (local.div_euclid(60) + 3 * 1440).rem_euclid(WEEK_MINUTES as i64) as usize
}

/// The local day number (days since 1970-01-01) of local seconds.
pub(crate) fn local_day(local: i64) -> i64 {
    local.div_euclid(86_400)
}

/// The minutes of a week inside declared hours or within `grace` of them.
#[derive(Debug, Clone)]
pub(crate) struct WeekMask(Box<[u64; WEEK_MINUTES.div_ceil(64)]>);

impl WeekMask {
    pub(crate) fn new(hours: &WorkingHours, grace: u32) -> WeekMask {
        let inside: Vec<bool> = (0..WEEK_MINUTES)
            .map(|m| {
                let day = Weekday::from_monday_zero_offset((m / 1440) as i8)
                    .expect("a week has seven days");
                hours.contains(day, (m % 1440) as u16)
            })
            .collect();
        // Dilate by the grace on both sides, round the week: a minute is
        // allowed when a working minute lies within `grace` of it.
        let g = (grace as usize).min(WEEK_MINUTES);
        let mut prefix = vec![0u32; 3 * WEEK_MINUTES + 1];
        for i in 0..3 * WEEK_MINUTES {
            prefix[i + 1] = prefix[i] + u32::from(inside[i % WEEK_MINUTES]);
        }
        let mut bits = Box::new([0u64; WEEK_MINUTES.div_ceil(64)]);
        for m in 0..WEEK_MINUTES {
            let centre = m + WEEK_MINUTES;
            if prefix[centre + g + 1] > prefix[centre - g] {
                bits[m >> 6] |= 1 << (m & 63);
            }
        }
        WeekMask(bits)
    }

    pub(crate) fn allows(&self, minute: usize) -> bool {
        self.0[minute >> 6] & (1 << (minute & 63)) != 0
    }

    /// The days of the week (Monday first) as kinds: days whose allowed
    /// minutes are the same are of one kind (`Mon-Fri 10:00-19:00` makes the
    /// weekdays one kind and the weekend another).
    pub(crate) fn day_kinds(&self) -> DayKinds {
        let mut kinds = [0u8; 7];
        let mut next = 0u8;
        for d in 0..7 {
            let same = (0..d).find(|&e| {
                (0..1440).all(|m| self.allows(d * 1440 + m) == self.allows(e * 1440 + m))
            });
            kinds[d] = match same {
                Some(e) => kinds[e],
                None => {
                    next += 1;
                    next - 1
                }
            };
        }
        DayKinds(kinds)
    }
}

/// Days of the week grouped by kind; see [`WeekMask::day_kinds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayKinds(pub(crate) [u8; 7]);

impl DayKinds {
    /// Without declared hours: weekdays, and the weekend.
    pub(crate) const WEEKDAYS_AND_WEEKEND: DayKinds = DayKinds([0, 0, 0, 0, 0, 1, 1]);

    /// The days (Monday zero) of the kind of `day`.
    pub(crate) fn like(self, day: usize) -> impl Iterator<Item = usize> {
        let kind = self.0[day];
        (0..7).filter(move |&d| self.0[d] == kind)
    }
}

/// What the detectors know about one person of the model.
#[derive(Debug)]
pub(crate) struct PersonFacts<'m> {
    pub(crate) id: PersonId,
    pub(crate) handle: &'m str,
    /// Their zone (theirs, else the org's); `None` when the name is unknown.
    pub(crate) clock: Option<Clock>,
    /// Their hours widened by the grace, and the text for sentences.
    pub(crate) hours: Option<(WeekMask, &'m str)>,
    /// Their days grouped by the hours declared for them.
    pub(crate) day_kinds: DayKinds,
    /// From when their activity is after the end (UTC seconds).
    pub(crate) offboarded_from: Option<i64>,
    /// The vendor team they belong to, if a vendor's.
    pub(crate) vendor_team: Option<&'m str>,
    /// Interned ids of their team's services' repositories.
    pub(crate) team_repos: Vec<u32>,
    /// Their standing roles as the model lists them, each once; each
    /// covers what its includes do ([`Repos::role_covers`], the index's
    /// `role_grants`), so uses are credited to the role the person holds.
    pub(crate) roles: Vec<RoleId>,
    /// Resources their standing roles reach, sorted.
    pub(crate) resources: Vec<ResourceId>,
    /// Positions in the grant list of their grants, by start.
    pub(crate) grants: Vec<u32>,
}

/// A grant, resolved against the model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GrantFacts {
    pub(crate) role: Option<RoleId>,
    pub(crate) env: Option<palisade_model::EnvId>,
    pub(crate) from: i64,
    pub(crate) until: i64,
}

impl GrantFacts {
    pub(crate) fn covers(&self, t: i64) -> bool {
        self.from <= t && t < self.until
    }
}

/// Repository names seen (lower-cased) as small ids, each with which roles'
/// `repositories` globs (through includes) cover it, decided once per name.
#[derive(Debug, Default)]
pub(crate) struct Repos {
    ids: FxMap<Box<str>, u32>,
    pub(crate) names: Vec<Box<str>>,
    /// Per repository id: per role, whether the role covers it.
    covered_by: Vec<Box<[bool]>>,
    /// Per role: the globs of its closure, lower-cased.
    role_globs: Vec<Vec<Glob>>,
    scratch: String,
}

impl Repos {
    pub(crate) fn new(index: &Index<'_>) -> Repos {
        let model = index.model();
        let role_globs = (0..model.roles.len())
            .map(|r| {
                let id = index
                    .role_by_id(&model.roles[r].id)
                    .expect("every role of the model has an id in its index");
                index
                    .role_closure(id)
                    .iter()
                    .flat_map(|c| &index.role(*c).repositories)
                    .filter_map(|g| Glob::new(&g.to_ascii_lowercase()).ok())
                    .collect()
            })
            .collect();
        Repos {
            role_globs,
            ..Repos::default()
        }
    }

    /// The id of repository `name` (case ignored), interning it when new.
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        let key: &str = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.scratch.clear();
            self.scratch.push_str(name);
            self.scratch.make_ascii_lowercase();
            &self.scratch
        } else {
            name
        };
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        let covered = self
            .role_globs
            .iter()
            .map(|gs| gs.iter().any(|g| g.matches(key)))
            .collect();
        self.covered_by.push(covered);
        self.names.push(key.into());
        self.ids.insert(key.into(), id);
        id
    }

    /// Whether `role` (with its includes) names repository `repo`.
    pub(crate) fn role_covers(&self, repo: u32, role: RoleId) -> bool {
        self.covered_by[repo as usize]
            .get(role.index())
            .copied()
            .unwrap_or(false)
    }

    pub(crate) fn name(&self, repo: u32) -> &str {
        &self.names[repo as usize]
    }
}

/// The facts of every person of the model, in model order.
pub(crate) fn people<'m>(
    index: &Index<'m>,
    grants: &[GrantWindow],
    grace: u32,
    repos: &mut Repos,
) -> Vec<PersonFacts<'m>> {
    let model = index.model();
    (0..model.people.len())
        .map(|i| {
            // A repeated handle resolves to its first entry, as everywhere.
            let id = index
                .person_by_handle(&model.people[i].handle)
                .expect("a person's handle is in the index");
            let person = &model.people[i];
            let clock = index
                .timezone(id)
                .map(|tz| Clock::new(tz.clone(), index.timezone_name(id)));
            let hours = match (index.hours(id), person.hours.as_deref()) {
                (Some(Ok(h)), Some(text)) => Some((WeekMask::new(h, grace), text)),
                _ => None,
            };
            let offboarded_from = match (person.offboarded_on, person.status) {
                (Some(day), _) => {
                    let tz = index.timezone(id).cloned().unwrap_or(TimeZone::UTC);
                    Some(
                        day.0
                            .to_zoned(tz)
                            .map_or(i64::MIN, |z| z.timestamp().as_second()),
                    )
                }
                (None, Status::Offboarded) => Some(i64::MIN),
                (None, Status::Active) => None,
            };
            let team = index.team_of(id);
            let vendor_team = team
                .filter(|&t| index.vendor_of_team(t).is_some())
                .map(|t| index.team(t).id.as_str());
            let mut team_repos: Vec<u32> = match team {
                Some(t) => {
                    let team_id = &index.team(t).id;
                    model
                        .services
                        .iter()
                        .filter(|s| &s.team == team_id)
                        .flat_map(|s| &s.repos)
                        .map(|r| repos.intern(r))
                        .collect()
                }
                None => Vec::new(),
            };
            team_repos.sort_unstable();
            team_repos.dedup();
            let mut roles = index.standing_roles(id);
            roles.sort_unstable();
            roles.dedup();
            let resources = index
                .standing_grants(id)
                .into_iter()
                .filter_map(|g| g.resource)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let mut mine: Vec<u32> = grants
                .iter()
                .enumerate()
                .filter(|(_, g)| g.person == person.handle)
                .map(|(j, _)| u32::try_from(j).unwrap_or(u32::MAX))
                .collect();
            mine.sort_by_key(|&j| grants[j as usize].from);
            PersonFacts {
                id,
                handle: person.handle.as_str(),
                clock,
                day_kinds: hours
                    .as_ref()
                    .map_or(DayKinds::WEEKDAYS_AND_WEEKEND, |(mask, _)| mask.day_kinds()),
                hours,
                offboarded_from,
                vendor_team,
                team_repos,
                roles,
                resources,
                grants: mine,
            }
        })
        .collect()
}

/// Each grant resolved against the model.
pub(crate) fn grants(index: &Index<'_>, grants: &[GrantWindow]) -> Vec<GrantFacts> {
    grants
        .iter()
        .map(|g| GrantFacts {
            role: index.role_by_id(&g.role),
            env: g
                .environment
                .as_deref()
                .and_then(|e| index.environment_by_id(e)),
            from: g.from.as_second(),
            until: g.until.as_second(),
        })
        .collect()
}

/// Whether a grant of `role` (narrowed to `env`) reaches `resource`.
pub(crate) fn role_reaches(
    index: &Index<'_>,
    role: RoleId,
    env: Option<palisade_model::EnvId>,
    resource: ResourceId,
) -> bool {
    env.is_none_or(|e| e == resource.env)
        && index
            .role_grants(role)
            .iter()
            .any(|g| g.resource == Some(resource))
}
