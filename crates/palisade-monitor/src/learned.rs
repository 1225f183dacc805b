//! What the detectors learned, kept in the store between runs (profiles,
//! and the last use of each resource under each cover, which access reviews
//! read), and the grant windows they judge against, read from the store's
//! access requests.

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

/// The window of a request that was ever granted (active, expired or
/// revoked with a start and an end), `None` for one never granted. A
/// revoked grant's window ends when it was revoked: revoking sets its end
/// to that moment (palisade-access never lets a revocation lengthen it).
pub fn grant_window(row: &AccessRequestRow) -> Option<GrantWindow> {
    if !["active", "expired", "revoked"].contains(&row.state.as_str()) {
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
        revoked: row.state == "revoked",
    })
}
