//! The last use of each resource by each person, with what covered it, as
//! `least_privilege` decides it: the access reviews' "last use" of a standing
//! role or a grant. Kept in memory by small ids while events are judged (no
//! allocation once a key is known) and handed out as names by
//! [`super::Detectors::take_last_uses`].

use jiff::Timestamp;
use palisade_model::{Index, ResourceId, RoleId};

use super::facts::{FxMap, PersonFacts, Repos};
use super::profile::resource_key;
use crate::finding::GrantWindow;

/// Distinct (person, resource, cover) keys kept between two
/// [`super::Detectors::take_last_uses`]. People × resources × covers stays
/// far below it; past it, uses of new keys are counted in
/// [`LastUses::dropped`] and nothing else grows.
pub const MAX_LAST_USES: usize = 1 << 20;

/// What was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    /// An interned repository name.
    Repo(u32),
    /// A resource of the model.
    Resource(ResourceId),
}

/// What covered a use, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Via {
    /// The person's team's services name the repository.
    Team,
    /// One of the person's standing roles, as the model lists them.
    Role(RoleId),
    /// A grant, by its position in the grant windows.
    Grant(u32),
}

/// What covered a use, by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cover {
    /// A standing role of the person (its id); roles it includes are
    /// covered through it.
    Role(String),
    /// A grant in force (its request id).
    Grant(String),
    /// The person's team (its id), whose services name the repository.
    Team(String),
}

impl Cover {
    /// The store's name for this kind of cover.
    pub fn kind(&self) -> &'static str {
        match self {
            Cover::Role(_) => palisade_store::VIA_ROLE,
            Cover::Grant(_) => palisade_store::VIA_GRANT,
            Cover::Team(_) => palisade_store::VIA_TEAM,
        }
    }

    /// The role, request or team id.
    pub fn id(&self) -> &str {
        match self {
            Cover::Role(s) | Cover::Grant(s) | Cover::Team(s) => s,
        }
    }
}

/// The latest use of one resource by one person under one cover.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LastUse {
    /// The person's handle.
    pub person: String,
    /// `repository:<name>` (lower case) or `resource:<environment>/<resource>`.
    pub resource: String,
    /// What covered it.
    pub via: Cover,
    /// The latest use seen.
    pub last: Timestamp,
    /// How many events were uses of it.
    pub uses: u64,
}

/// The last uses recorded since the last take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastUses {
    /// By person, resource and cover.
    pub uses: Vec<LastUse>,
    /// Uses not kept because [`MAX_LAST_USES`] keys were already held.
    pub dropped: u64,
}

/// The uses recorded so far, by ids.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    /// (person, target, cover) → (latest time in microseconds, count).
    seen: FxMap<(u32, Target, Via), (i64, u64)>,
    dropped: u64,
}

impl Usage {
    /// Counts a use by person `p` of `target` under `via` at `at_us`.
    pub(crate) fn record(&mut self, p: usize, target: Target, via: Via, at_us: i64) {
        let key = (u32::try_from(p).unwrap_or(u32::MAX), target, via);
        let held = self.seen.len();
        match self.seen.get_mut(&key) {
            Some(entry) => {
                entry.0 = entry.0.max(at_us);
                entry.1 = entry.1.saturating_add(1);
            }
            None if held < MAX_LAST_USES => {
                self.seen.insert(key, (at_us, 1));
            }
            None => self.dropped = self.dropped.saturating_add(1),
        }
    }

    /// Everything recorded, by name, sorted; leaves this empty.
    pub(crate) fn take<'g>(
        &mut self,
        index: &Index<'_>,
        people: &[PersonFacts<'_>],
        repos: &Repos,
        grant: impl Fn(u32) -> Option<&'g GrantWindow>,
    ) -> LastUses {
        let seen = std::mem::take(&mut self.seen);
        let dropped = std::mem::take(&mut self.dropped);
        let mut uses: Vec<LastUse> = seen
            .into_iter()
            .filter_map(|((p, target, via), (last_us, uses))| {
                let facts = people.get(p as usize)?;
                let resource = match target {
                    Target::Repo(r) => format!("repository:{}", repos.name(r)),
                    Target::Resource(r) => format!("resource:{}", resource_key(index, r)),
                };
                let via = match via {
                    Via::Team => Cover::Team(index.team(index.team_of(facts.id)?).id.clone()),
                    Via::Role(r) => Cover::Role(index.role(r).id.clone()),
                    Via::Grant(g) => Cover::Grant(grant(g)?.request.clone()),
                };
                Some(LastUse {
                    person: facts.handle.to_owned(),
                    resource,
                    via,
                    last: Timestamp::from_microsecond(last_us).ok()?,
                    uses,
                })
            })
            .collect();
        uses.sort_unstable();
        LastUses { uses, dropped }
    }
}
