//! Everything the model says about one person, gathered from the index in
//! one serialisable value: what `palisade who` prints, and what a server
//! would answer.

use serde::Serialize;

use super::{IdentityKind, Index, PersonId, VettingState};
use crate::types::Status;
use crate::values::Day;

/// One person, as the model sees them at a moment.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// The handle (the person's id).
    pub handle: String,
    /// Full name.
    pub name: String,
    /// `active` or `offboarded`.
    pub status: &'static str,
    /// The day they left or will leave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offboarded_on: Option<String>,
    /// Which identity the query matched, if the profile answers a query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<&'static str>,
    /// Every identity, by kind.
    pub identities: Identities,
    /// Their team.
    pub team: Option<TeamInfo>,
    /// Standing roles.
    pub roles: Vec<String>,
    /// What those roles allow, after includes.
    pub grants: Vec<GrantInfo>,
    /// What they reach in production.
    pub production: Reach,
    /// Vetting and training on the day judged.
    pub vetting: Vetting,
    /// Their time zone, hours and local time.
    pub time: Time,
}

/// A person's identities.
#[derive(Debug, Clone, Serialize)]
pub struct Identities {
    /// E-mail addresses, the primary first.
    pub emails: Vec<String>,
    /// GitHub login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github: Option<String>,
    /// GitLab username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gitlab: Option<String>,
    /// SSH principals.
    pub ssh_principals: Vec<String>,
}

/// A person's team, with its vendor and phase.
#[derive(Debug, Clone, Serialize)]
pub struct TeamInfo {
    /// Team id.
    pub id: String,
    /// Team name.
    pub name: String,
    /// `internal` or `vendor`.
    pub kind: &'static str,
    /// The vendor company's id, for vendor teams.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// The vendor company's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_name: Option<String>,
    /// The onboarding phase, for vendor teams.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<&'static str>,
    /// Since when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase_since: Option<String>,
}

/// One effective grant, by name.
#[derive(Debug, Clone, Serialize)]
pub struct GrantInfo {
    /// Environment id.
    pub environment: String,
    /// Resource id (absent for an environment without resources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// `read`, `deploy` or `admin`.
    pub access: &'static str,
    /// Whether the environment is production.
    pub production: bool,
}

/// Production reach.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Reach {
    /// Any access to production.
    pub any: bool,
    /// Admin on production.
    pub admin: bool,
}

/// Vetting on one day.
#[derive(Debug, Clone, Serialize)]
pub struct Vetting {
    /// The day judged.
    pub day: String,
    /// Every record present and current.
    pub complete: bool,
    /// Records, one each.
    pub records: Vec<VettingLine>,
}

/// One vetting record.
#[derive(Debug, Clone, Serialize)]
pub struct VettingLine {
    /// Its key under `[people.vetting]`.
    pub record: &'static str,
    /// `current`, `missing`, `stale` or `future`.
    pub state: &'static str,
    /// When it was done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done: Option<String>,
    /// The last day it counts, if current and policy limits its age.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// A person's time.
#[derive(Debug, Clone, Serialize)]
pub struct Time {
    /// IANA time zone (theirs or the org's).
    pub timezone: String,
    /// Declared working hours, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    /// Their local time at the moment asked about (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_time: Option<String>,
    /// Whether that moment is inside their working hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working: Option<bool>,
}

impl Index<'_> {
    /// Everything the model says about `person` at `now` (vetting judged on
    /// `now`'s day in the org's time zone).
    pub fn profile(
        &self,
        person: PersonId,
        matched: Option<IdentityKind>,
        now: jiff::Timestamp,
    ) -> Profile {
        let p = self.person(person);
        let team = self.team_of(person).map(|t| {
            let team = self.team(t);
            let vendor = self.vendor_of_team(t).map(|v| self.vendor(v));
            TeamInfo {
                id: team.id.clone(),
                name: team.name.clone(),
                kind: match team.kind {
                    crate::types::TeamKind::Internal => "internal",
                    crate::types::TeamKind::Vendor => "vendor",
                },
                vendor: vendor.map(|v| v.id.clone()),
                vendor_name: vendor.map(|v| v.name.clone()),
                phase: self.phase_of_team(t).map(|ph| ph.key()),
                phase_since: self
                    .phase_of_team(t)
                    .and(team.phase_since)
                    .map(|d| d.to_string()),
            }
        });
        let grants = self
            .standing_grants(person)
            .into_iter()
            .map(|g| GrantInfo {
                environment: self.environment(g.env).id.clone(),
                resource: g.resource.map(|r| self.resource(r).id.clone()),
                access: g.access.key(),
                production: self.environment(g.env).production,
            })
            .collect();
        let reach = self.production_reach(person);
        let org_zone = jiff::tz::TimeZone::get(&self.model.org.timezone).ok();
        let day = org_zone
            .map(|z| Day(now.to_zoned(z).date()))
            .unwrap_or_else(|| Day(now.to_zoned(jiff::tz::TimeZone::UTC).date()));
        let status = self.vetting(person, day);
        let records = status
            .items
            .iter()
            .map(|i| {
                let (state, until) = match i.state {
                    VettingState::Missing => ("missing", None),
                    VettingState::Current { until } => ("current", until),
                    VettingState::Stale { .. } => ("stale", None),
                    VettingState::Future => ("future", None),
                };
                VettingLine {
                    record: i.record.key(),
                    state,
                    done: i.done.map(|d| d.to_string()),
                    until: until.map(|d| d.to_string()),
                }
            })
            .collect();
        let local = self.local_time(person, now);
        Profile {
            handle: p.handle.clone(),
            name: p.name.clone(),
            status: match p.status {
                Status::Active => "active",
                Status::Offboarded => "offboarded",
            },
            offboarded_on: p.offboarded_on.map(|d| d.to_string()),
            matched: matched.map(|k| k.describe()),
            identities: Identities {
                emails: std::iter::once(p.email.clone())
                    .chain(p.emails.iter().cloned())
                    .collect(),
                github: p.github.clone(),
                gitlab: p.gitlab.clone(),
                ssh_principals: p.ssh_principals.clone(),
            },
            team,
            roles: p.roles.clone(),
            grants,
            production: Reach {
                any: reach.any,
                admin: reach.admin,
            },
            vetting: Vetting {
                day: day.to_string(),
                complete: status.is_complete(),
                records,
            },
            time: Time {
                timezone: self.timezone_name(person).to_owned(),
                hours: p.hours.clone(),
                local_time: local.map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()),
                working: self.is_working(person, now),
            },
        }
    }
}
