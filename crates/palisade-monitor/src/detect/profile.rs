//! What the detectors learn about each person and keep between runs: when
//! they work (a weekly histogram in their own zone), where they connect to
//! sensitive resources from, and how many repositories a normal day of
//! theirs touches. Every part has a fixed bound, so a profile grows with the
//! people and resources of the model, never with the events read.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

use jiff::civil::Date;
use palisade_model::{Index, ResourceId};
use serde::{Deserialize, Serialize};

use super::facts::Repos;

/// Hours in a week: the histogram's buckets.
pub const HOURS_OF_WEEK: usize = 168;
/// Active days of history kept for the download baseline.
pub const BASELINE_DAYS: usize = 28;
/// Source addresses remembered per person and resource (the oldest go first).
pub const ADDRESSES_PER_RESOURCE: usize = 32;
/// When a histogram holds this many events, every bucket is halved: recent
/// habits outweigh old ones and the counts stay bounded.
const HISTOGRAM_CAP: u64 = 1 << 20;

/// What the detectors learned, per person, to persist between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profiles {
    /// By handle.
    #[serde(default)]
    pub people: BTreeMap<String, PersonProfile>,
}

/// What was learned about one person.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonProfile {
    /// Events per hour of the week in their zone, Monday 00:00 first
    /// ([`HOURS_OF_WEEK`] buckets, or none yet).
    #[serde(default)]
    pub hours: Vec<u32>,
    /// When their history began (RFC 3339): hours are judged rare only
    /// once it spans a week.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_since: Option<String>,
    /// Per resource of a high or critical environment (`env/resource`): the
    /// source addresses seen there.
    #[serde(default)]
    pub addresses: BTreeMap<String, KnownAddresses>,
    /// Distinct repositories cloned or downloaded on each of their last
    /// active days, oldest first (at most [`BASELINE_DAYS`]).
    #[serde(default)]
    pub daily_repositories: Vec<u32>,
    /// The day in progress, in their zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub today: Option<Today>,
}

/// Source addresses a person was seen at on one resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KnownAddresses {
    /// The addresses, oldest first (at most [`ADDRESSES_PER_RESOURCE`]).
    pub addresses: Vec<IpAddr>,
    /// Successful accesses counted there.
    pub events: u32,
    /// The first of them (RFC 3339); absent in profiles kept before it was
    /// recorded, whose history is taken as old enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// The repositories of the day in progress.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Today {
    /// The day, `YYYY-MM-DD`, in the person's zone.
    pub day: String,
    /// Repositories cloned or downloaded so far (lower-cased).
    pub repositories: Vec<String>,
    /// Whether the baseline already alerted that day.
    #[serde(default)]
    pub alerted: bool,
}

impl Profiles {
    /// How many values the profiles hold (buckets, addresses, days,
    /// repositories): bounded by people and resources, not events.
    pub fn values(&self) -> usize {
        self.people
            .values()
            .map(|p| {
                p.hours.len()
                    + usize::from(p.history_since.is_some())
                    + p.addresses
                        .values()
                        .map(|a| 1 + a.addresses.len())
                        .sum::<usize>()
                    + p.daily_repositories.len()
                    + p.today.as_ref().map_or(0, |t| 1 + t.repositories.len())
            })
            .sum()
    }
}

/// The addresses known on one resource, at run time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    pub(crate) addresses: VecDeque<IpAddr>,
    pub(crate) events: u32,
    /// The first access counted (UTC seconds).
    pub(crate) since: Option<i64>,
}

impl Known {
    pub(crate) fn learn(&mut self, address: IpAddr, t: i64) {
        self.since = Some(self.since.map_or(t, |s| s.min(t)));
        if let Some(i) = self.addresses.iter().position(|a| *a == address) {
            // Most recently seen last, so the oldest is dropped first.
            if i + 1 != self.addresses.len() {
                self.addresses.remove(i);
                self.addresses.push_back(address);
            }
        } else {
            if self.addresses.len() == ADDRESSES_PER_RESOURCE {
                self.addresses.pop_front();
            }
            self.addresses.push_back(address);
        }
        self.events = self.events.saturating_add(1);
    }
}

/// One person's learned state at run time.
#[derive(Debug, Clone)]
pub(crate) struct Learned {
    pub(crate) hours: [u32; HOURS_OF_WEEK],
    pub(crate) total: u64,
    /// The first event counted (UTC seconds).
    pub(crate) since: Option<i64>,
    pub(crate) addresses: Vec<(ResourceId, Known)>,
    pub(crate) days: VecDeque<u32>,
    /// The local day number in progress and its repositories.
    pub(crate) today: Option<i64>,
    pub(crate) today_repos: Vec<u32>,
    pub(crate) today_alerted: bool,
}

impl Default for Learned {
    fn default() -> Self {
        Learned {
            hours: [0; HOURS_OF_WEEK],
            total: 0,
            since: None,
            addresses: Vec::new(),
            days: VecDeque::new(),
            today: None,
            today_repos: Vec::new(),
            today_alerted: false,
        }
    }
}

impl Learned {
    /// Counts one event in hour-of-week `hour`.
    pub(crate) fn count_hour(&mut self, hour: usize, t: i64) {
        self.since = Some(self.since.map_or(t, |s| s.min(t)));
        self.hours[hour] = self.hours[hour].saturating_add(1);
        self.total += 1;
        if self.total >= HISTOGRAM_CAP {
            self.total = 0;
            for h in &mut self.hours {
                *h /= 2;
                self.total += u64::from(*h);
            }
        }
    }

    /// The addresses known on `resource`, made when absent.
    pub(crate) fn known(&mut self, resource: ResourceId) -> &mut Known {
        let i = match self.addresses.iter().position(|(r, _)| *r == resource) {
            Some(i) => i,
            None => {
                self.addresses.push((resource, Known::default()));
                self.addresses.len() - 1
            }
        };
        &mut self.addresses[i].1
    }

    /// Moves to local day `day`, closing the day in progress.
    pub(crate) fn roll_day(&mut self, day: i64) {
        match self.today {
            Some(d) if d >= day => return,
            Some(_) if !self.today_repos.is_empty() => {
                if self.days.len() == BASELINE_DAYS {
                    self.days.pop_front();
                }
                self.days.push_back(self.today_repos.len() as u32);
            }
            _ => {}
        }
        self.today = Some(day);
        self.today_repos.clear();
        self.today_alerted = false;
    }

    /// The median of the active days kept (`None` when there are none).
    pub(crate) fn median_day(&self) -> Option<u32> {
        let mut days = [0u32; BASELINE_DAYS];
        let n = self.days.len().min(BASELINE_DAYS);
        for (slot, d) in days.iter_mut().zip(&self.days) {
            *slot = *d;
        }
        let days = &mut days[..n];
        days.sort_unstable();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(days[n / 2]),
            _ => Some((days[n / 2 - 1] + days[n / 2]).div_ceil(2)),
        }
    }

    pub(crate) fn load(profile: &PersonProfile, index: &Index<'_>, repos: &mut Repos) -> Learned {
        let mut learned = Learned::default();
        if profile.hours.len() == HOURS_OF_WEEK {
            learned.hours.copy_from_slice(&profile.hours);
            learned.total = profile.hours.iter().map(|&h| u64::from(h)).sum();
        }
        learned.since = seconds_of(profile.history_since.as_deref());
        for (key, known) in &profile.addresses {
            let Some(resource) = resource_by_key(index, key) else {
                continue;
            };
            let mut addresses: VecDeque<IpAddr> = known.addresses.iter().copied().collect();
            while addresses.len() > ADDRESSES_PER_RESOURCE {
                addresses.pop_front();
            }
            learned.addresses.push((
                resource,
                Known {
                    addresses,
                    events: known.events,
                    since: Some(seconds_of(known.since.as_deref()).unwrap_or(i64::MIN)),
                },
            ));
        }
        let skip = profile
            .daily_repositories
            .len()
            .saturating_sub(BASELINE_DAYS);
        learned.days = profile.daily_repositories[skip..].iter().copied().collect();
        if let Some(today) = &profile.today
            && let Ok(date) = today.day.parse::<Date>()
        {
            learned.today = Some(day_number(date));
            learned.today_repos = today.repositories.iter().map(|r| repos.intern(r)).collect();
            learned.today_repos.sort_unstable();
            learned.today_repos.dedup();
            learned.today_alerted = today.alerted;
        }
        learned
    }

    pub(crate) fn save(&self, index: &Index<'_>, repos: &Repos) -> PersonProfile {
        PersonProfile {
            hours: if self.total == 0 && self.hours.iter().all(|&h| h == 0) {
                Vec::new()
            } else {
                self.hours.to_vec()
            },
            history_since: self.since.and_then(rfc3339_of),
            addresses: self
                .addresses
                .iter()
                .map(|(r, k)| {
                    (
                        resource_key(index, *r),
                        KnownAddresses {
                            addresses: k.addresses.iter().copied().collect(),
                            events: k.events,
                            since: k.since.filter(|&s| s != i64::MIN).and_then(rfc3339_of),
                        },
                    )
                })
                .collect(),
            daily_repositories: self.days.iter().copied().collect(),
            today: self.today.map(|d| Today {
                day: date_of(d).to_string(),
                repositories: self
                    .today_repos
                    .iter()
                    .map(|&r| repos.name(r).to_owned())
                    .collect(),
                alerted: self.today_alerted,
            }),
        }
    }
}

/// `env/resource`, the key a resource is stored under.
pub(crate) fn resource_key(index: &Index<'_>, resource: ResourceId) -> String {
    format!(
        "{}/{}",
        index.environment(resource.env).id,
        index.resource(resource).id
    )
}

fn resource_by_key(index: &Index<'_>, key: &str) -> Option<ResourceId> {
    let (env, resource) = key.split_once('/')?;
    index.resource_by_id(index.environment_by_id(env)?, resource)
}

fn day_number(date: Date) -> i64 {
    let epoch = Date::constant(1970, 1, 1);
    i64::from(epoch.until(date).map(|s| s.get_days()).unwrap_or_default())
}

/// The civil date of a local day number.
pub(crate) fn date_of(day: i64) -> Date {
    let epoch = Date::constant(1970, 1, 1);
    jiff::Span::new()
        .try_days(day)
        .ok()
        .and_then(|span| epoch.checked_add(span).ok())
        .unwrap_or(epoch)
}

/// UTC seconds of an RFC 3339 time kept in a profile.
fn seconds_of(text: Option<&str>) -> Option<i64> {
    text.and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_second())
}

/// UTC seconds as a profile keeps them (RFC 3339).
fn rfc3339_of(seconds: i64) -> Option<String> {
    jiff::Timestamp::from_second(seconds)
        .ok()
        .map(|t| t.to_string())
}
