//! People's time (zones and working hours, each distinct text parsed once)
//! and their vetting and training status on a given day.

use super::Map;

use super::{Index, PersonId};
use crate::types::Policy;
use crate::values::{Day, HoursError, WorkingHours};

/// Each distinct time-zone name, looked up once.
#[derive(Debug, Default)]
pub(crate) struct Zones {
    names: Map<String, u32>,
    zones: Vec<Option<jiff::tz::TimeZone>>,
    pub(crate) org: u32,
    pub(crate) people: Vec<Option<u32>>,
}

impl Zones {
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.names.get(name) {
            return i;
        }
        let i = u32::try_from(self.zones.len()).unwrap_or(u32::MAX);
        self.zones.push(jiff::tz::TimeZone::get(name).ok());
        self.names.insert(name.to_owned(), i);
        i
    }

    pub(crate) fn get(&self, i: u32) -> Option<&jiff::tz::TimeZone> {
        self.zones.get(i as usize).and_then(Option::as_ref)
    }

    pub(crate) fn known(&self, name: &str) -> bool {
        self.names.get(name).is_some_and(|&i| self.get(i).is_some())
    }
}

/// Each distinct working-hours text, parsed once.
#[derive(Debug, Default)]
pub(crate) struct Hours {
    texts: Map<String, u32>,
    parsed: Vec<Result<WorkingHours, HoursError>>,
    pub(crate) people: Vec<Option<u32>>,
}

impl Hours {
    pub(crate) fn intern(&mut self, text: &str) -> u32 {
        if let Some(&i) = self.texts.get(text) {
            return i;
        }
        let i = u32::try_from(self.parsed.len()).unwrap_or(u32::MAX);
        self.parsed.push(WorkingHours::parse(text));
        self.texts.insert(text.to_owned(), i);
        i
    }

    pub(crate) fn get(&self, i: u32) -> Result<&WorkingHours, &HoursError> {
        self.parsed[i as usize].as_ref()
    }
}

/// One vetting or training record that policy asks of people with
/// production access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VettingRecord {
    /// A background check.
    BackgroundCheck,
    /// A signed NDA (it does not go stale).
    NdaSigned,
    /// Secure-coding training.
    SecureCodingTraining,
    /// Security-awareness training.
    SecurityAwarenessTraining,
    /// An incident-response drill.
    IncidentDrill,
}

impl VettingRecord {
    /// Every record, in the order `[people.vetting]` lists them.
    pub const ALL: [VettingRecord; 5] = [
        VettingRecord::BackgroundCheck,
        VettingRecord::NdaSigned,
        VettingRecord::SecureCodingTraining,
        VettingRecord::SecurityAwarenessTraining,
        VettingRecord::IncidentDrill,
    ];

    /// Its key under `[people.vetting]`.
    pub fn key(self) -> &'static str {
        match self {
            VettingRecord::BackgroundCheck => "background_check",
            VettingRecord::NdaSigned => "nda_signed",
            VettingRecord::SecureCodingTraining => "secure_coding_training",
            VettingRecord::SecurityAwarenessTraining => "security_awareness_training",
            VettingRecord::IncidentDrill => "incident_drill",
        }
    }

    /// How old it may be, by `org.policy` (`None`: it never goes stale).
    pub fn max_age_days(self, policy: &Policy) -> Option<u32> {
        match self {
            VettingRecord::BackgroundCheck => Some(policy.background_check_max_age_days),
            VettingRecord::NdaSigned => None,
            VettingRecord::SecureCodingTraining | VettingRecord::SecurityAwarenessTraining => {
                Some(policy.training_max_age_days)
            }
            VettingRecord::IncidentDrill => Some(policy.incident_drill_max_age_days),
        }
    }
}

/// Where one record stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VettingState {
    /// No record.
    Missing,
    /// Done, and still counts; `until` is the last day it does (`None`: for good).
    Current {
        /// The last day it counts.
        until: Option<Day>,
    },
    /// Done, but longer ago than policy allows.
    Stale {
        /// Its age in days.
        age_days: i64,
        /// What policy allows.
        max_age_days: u32,
    },
    /// Dated after the day asked about.
    Future,
}

/// One record of a person's vetting status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VettingItem {
    /// Which record.
    pub record: VettingRecord,
    /// The day it was done, if recorded.
    pub done: Option<Day>,
    /// Where it stands.
    pub state: VettingState,
}

/// A person's vetting and training status on one day, against `org.policy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VettingStatus {
    /// The day judged.
    pub day: Day,
    /// Each record, in [`VettingRecord::ALL`] order.
    pub items: Vec<VettingItem>,
}

impl VettingStatus {
    /// Whether every record is present and current.
    pub fn is_complete(&self) -> bool {
        self.items
            .iter()
            .all(|i| matches!(i.state, VettingState::Current { .. }))
    }

    /// The records that are missing.
    pub fn missing(&self) -> impl Iterator<Item = VettingRecord> + '_ {
        self.items
            .iter()
            .filter(|i| i.state == VettingState::Missing)
            .map(|i| i.record)
    }

    /// The last day on which every current record still counts: the day
    /// the soonest-expiring one counts for the last time, if any expires.
    pub fn next_expiry(&self) -> Option<Day> {
        self.items
            .iter()
            .filter_map(|i| match i.state {
                VettingState::Current { until } => until,
                _ => None,
            })
            .min()
    }
}

impl Index<'_> {
    /// A person's vetting and training status on `day`, judged against
    /// `org.policy`, for anyone (whatever roles they hold).
    pub fn vetting(&self, person: PersonId, day: Day) -> VettingStatus {
        let v = &self.person(person).vetting;
        let policy = &self.model.org.policy;
        let items = VettingRecord::ALL
            .into_iter()
            .map(|record| {
                let done = match record {
                    VettingRecord::BackgroundCheck => v.background_check,
                    VettingRecord::NdaSigned => v.nda_signed,
                    VettingRecord::SecureCodingTraining => v.secure_coding_training,
                    VettingRecord::SecurityAwarenessTraining => v.security_awareness_training,
                    VettingRecord::IncidentDrill => v.incident_drill,
                };
                let state = match done {
                    None => VettingState::Missing,
                    Some(d) => {
                        let age = d.days_until(day);
                        match record.max_age_days(policy) {
                            _ if age < 0 => VettingState::Future,
                            Some(max) if age > i64::from(max) => VettingState::Stale {
                                age_days: age,
                                max_age_days: max,
                            },
                            Some(max) => VettingState::Current {
                                until: d.plus_days(i64::from(max)),
                            },
                            None => VettingState::Current { until: None },
                        }
                    }
                };
                VettingItem {
                    record,
                    done,
                    state,
                }
            })
            .collect();
        VettingStatus { day, items }
    }
}
