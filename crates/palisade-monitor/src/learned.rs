//! What the detectors learned, kept in the store between runs (profiles,
//! and the last use of each resource under each cover, which access reviews
//! read), and the grant windows they judge against, read from the store's
//! access requests.

use palisade_access::request::State;
use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use palisade_store::{AccessRequestRow, MonitorLastUseRow, Store, StoreError};

use crate::detect::{LastUses, PersonProfile, Profiles};
use crate::finding::GrantWindow;

/// Why learned profiles could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum LearnedError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored profile is not one this version reads.
    #[error(
        "the stored monitor profile of {person} cannot be read ({reason}); \
         it will be learned again if you delete it"
    )]
    Profile {
        /// Whose.
        person: String,
        /// Why.
        reason: String,
    },
}

/// The profiles stored by earlier runs.
pub async fn load_profiles(store: &Store) -> Result<Profiles, LearnedError> {
    let mut profiles = Profiles::default();
    for (person, json) in store.monitor_profiles().await? {
        let profile: PersonProfile =
            serde_json::from_str(&json).map_err(|e| LearnedError::Profile {
                person: person.clone(),
                reason: e.to_string(),
            })?;
        profiles.people.insert(person, profile);
    }
    Ok(profiles)
}

/// Stores `profiles` for the next run.
pub async fn save_profiles(
    store: &Store,
    profiles: &Profiles,
    now: Timestamp,
) -> Result<(), LearnedError> {
    let rows: Vec<(String, String)> = profiles
        .people
        .iter()
        .map(|(person, p)| {
            let json = serde_json::to_string(p).map_err(|e| LearnedError::Profile {
                person: person.clone(),
                reason: e.to_string(),
            })?;
            Ok((person.clone(), json))
        })
        .collect::<Result<_, LearnedError>>()?;
    store
        .monitor_save_profiles(&rows, now.as_microsecond())
        .await?;
    Ok(())
}

/// Adds `last` to the store's last uses (each key keeps its latest time
/// and adds the counts), in one transaction.
pub async fn save_last_uses(store: &Store, last: &LastUses) -> Result<(), LearnedError> {
    let rows: Vec<MonitorLastUseRow> = last
        .uses
        .iter()
        .map(|u| MonitorLastUseRow {
            person: u.person.clone(),
            resource: u.resource.clone(),
            via_kind: u.via.kind().to_owned(),
            via: u.via.id().to_owned(),
            last_us: u.last.as_microsecond(),
            uses: i64::try_from(u.uses).unwrap_or(i64::MAX),
        })
        .collect();
    store.monitor_record_last_uses(&rows).await?;
    Ok(())
}

/// Takes the last uses `detectors` recorded since they were last asked and
/// adds them to the store; returns how many uses were not kept (past
/// [`crate::detect::MAX_LAST_USES`]), for the caller to say.
pub async fn save_taken_last_uses(
    store: &Store,
    detectors: &mut crate::detect::Detectors<'_, '_>,
) -> Result<u64, LearnedError> {
    let used = detectors.take_last_uses();
    save_last_uses(store, &used).await?;
    Ok(used.dropped)
}

/// How many grant-shaped ids that name no grant [`KnownGrants`] remembers
/// at most: past that it forgets them all and starts again, so a flood of
/// forged ids costs one store lookup per id in bounded memory.
pub const UNKNOWN_GRANTS_HELD: usize = 10_000;

/// The grants certificates are resolved against while a log is followed:
/// those in the store when it started, and those made since, learned from
/// the store the first time a certificate names one. A grant-shaped id the
/// store has no grant for is remembered too (at most
/// [`UNKNOWN_GRANTS_HELD`]), so it is looked up once, not on every line
/// naming it.
#[derive(Debug, Clone, Default)]
pub struct KnownGrants {
    /// The holder of each grant, by its request id.
    holders: HashMap<String, String>,
    /// Ids looked up that name no grant and never will.
    unknown: HashSet<String>,
}

impl KnownGrants {
    /// Knowing the grants of `windows`.
    pub fn new(windows: &[GrantWindow]) -> KnownGrants {
        KnownGrants {
            holders: windows
                .iter()
                .map(|w| (w.request.clone(), w.person.clone()))
                .collect(),
            unknown: HashSet::new(),
        }
    }

    /// Who holds the grant `request`, when it is known.
    pub fn holder(&self, request: &str) -> Option<String> {
        self.holders.get(request).cloned()
    }

    /// Whether `key_id` is a grant-shaped id the store should be asked
    /// about: neither known nor known to name no grant.
    pub fn needs_lookup(&self, key_id: &str) -> bool {
        crate::resolve::looks_like_grant(key_id)
            && !self.holders.contains_key(key_id)
            && !self.unknown.contains(key_id)
    }

    /// Takes in what the store holds for `key_id` (`row`): the grant's
    /// window when it was granted, learned; else `None`, and the id is
    /// remembered as naming no grant, unless its request may still be
    /// granted (pending or approved).
    pub fn learn(&mut self, key_id: &str, row: Option<&AccessRequestRow>) -> Option<GrantWindow> {
        if let Some(window) = row.and_then(grant_window) {
            self.holders
                .insert(window.request.clone(), window.person.clone());
            return Some(window);
        }
        if row.is_some_and(|r| {
            matches!(
                State::from_key(&r.state),
                Some(State::Pending | State::Approved)
            )
        }) {
            return None;
        }
        if self.unknown.len() >= UNKNOWN_GRANTS_HELD {
            self.unknown.clear();
        }
        self.unknown.insert(key_id.to_owned());
        None
    }

    /// The window of the grant `key_id` names when the store has one not
    /// known yet (made since the grants were read), learned. Asks the store
    /// only when [`KnownGrants::needs_lookup`] says so.
    pub async fn look_up(
        &mut self,
        store: &Store,
        key_id: &str,
    ) -> Result<Option<GrantWindow>, StoreError> {
        if !self.needs_lookup(key_id) {
            return Ok(None);
        }
        let row = store.access_request(key_id).await?;
        Ok(self.learn(key_id, row.as_ref()))
    }
}

/// The window of a request that was ever granted (active, expired or
/// revoked with a start and an end), `None` for one never granted. A
/// revoked grant's window ends when it was revoked: revoking sets its end
/// to that moment (palisade-access never lets a revocation lengthen it).
pub fn grant_window(row: &AccessRequestRow) -> Option<GrantWindow> {
    let state = State::from_key(&row.state)?;
    if !matches!(state, State::Active | State::Expired | State::Revoked) {
        return None;
    }
    let from = Timestamp::from_microsecond(row.active_from_us?).ok()?;
    let until = Timestamp::from_microsecond(row.active_until_us?).ok()?;
    Some(GrantWindow {
        request: row.id.clone(),
        person: row.requester.clone(),
        role: row.role.clone(),
        environment: row.environment.clone(),
        from,
        until,
        break_glass: row.break_glass,
        revoked: state == State::Revoked,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn request(id: &str, state: &str) -> AccessRequestRow {
        let granted = ["active", "expired", "revoked"].contains(&state);
        AccessRequestRow {
            id: id.to_owned(),
            requester: "kavya".to_owned(),
            role: "staging-deployer".to_owned(),
            environment: None,
            duration_s: 3_600,
            reason: "deploy".to_owned(),
            ticket: None,
            start_us: None,
            created_us: 1_000_000,
            state: state.to_owned(),
            state_us: 2_000_000,
            active_from_us: granted.then_some(2_000_000),
            active_until_us: granted.then_some(3_602_000_000),
            version: 1,
            break_glass: false,
        }
    }

    #[test]
    fn an_id_naming_no_grant_is_looked_up_once() {
        let mut grants = KnownGrants::new(&[]);
        assert!(!grants.needs_lookup("deploy-bot"), "not grant-shaped");
        assert!(grants.needs_lookup("req-forged1"));
        assert_eq!(grants.learn("req-forged1", None), None);
        assert!(!grants.needs_lookup("req-forged1"));
        assert_eq!(grants.holder("req-forged1"), None);
        // Refused or withdrawn: never granted, never will be.
        for state in ["denied", "cancelled"] {
            let id = format!("req-{state}");
            assert_eq!(grants.learn(&id, Some(&request(&id, state))), None);
            assert!(!grants.needs_lookup(&id), "{state}");
        }
    }

    #[test]
    fn a_request_that_may_still_be_granted_is_looked_up_again_until_it_is() {
        let mut grants = KnownGrants::new(&[]);
        for state in ["pending", "approved"] {
            assert_eq!(
                grants.learn("req-abc", Some(&request("req-abc", state))),
                None
            );
            assert!(grants.needs_lookup("req-abc"), "{state}");
        }
        let window = grants
            .learn("req-abc", Some(&request("req-abc", "active")))
            .unwrap();
        assert_eq!(window.person, "kavya");
        assert_eq!(grants.holder("req-abc").as_deref(), Some("kavya"));
        assert!(!grants.needs_lookup("req-abc"));
    }

    #[test]
    fn the_ids_naming_no_grant_are_held_in_bounded_memory() {
        let mut grants = KnownGrants::new(&[]);
        for n in 0..UNKNOWN_GRANTS_HELD + 10 {
            let id = format!("req-forged{n}");
            assert!(grants.needs_lookup(&id));
            grants.learn(&id, None);
            assert!(!grants.needs_lookup(&id));
            assert!(grants.unknown.len() <= UNKNOWN_GRANTS_HELD);
        }
    }
}
