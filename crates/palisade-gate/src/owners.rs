//! Who answers for a path: the owning service, its primary and backup
//! owner, its team and its escalation path, all from the model.
//!
//! Repositories: a service whose `repos` is empty lives in the repository
//! that holds the model. Asked about repository `R`, the services of `R` are
//! those that list it and those that list none (the caller names the
//! repository that holds the model); asked about no repository, only the
//! latter.

use palisade_model::{Index, Person, PersonId, Service, ServiceId, Status, Team};
use serde::Serialize;

use crate::codeowners::Owner;

/// Whether `service` has code in `repo` (`None`: the repository holding
/// the model). Repository names compare without regard to ASCII case.
pub fn in_repo(service: &Service, repo: Option<&str>) -> bool {
    service.repos.is_empty()
        || repo.is_some_and(|r| service.repos.iter().any(|s| s.eq_ignore_ascii_case(r)))
}

/// The services that own `path` in `repo`, model order (see the module doc).
pub fn services_for(index: &Index<'_>, repo: Option<&str>, path: &str) -> Vec<ServiceId> {
    let path = normalize(path);
    let mut out = index.services_for_path(None, path);
    if let Some(r) = repo {
        out.extend(index.services_for_path(Some(r), path));
        out.sort_unstable();
        out.dedup();
    }
    out
}

/// `path` relative to the repository root: without `./` or a leading `/`.
pub fn normalize(path: &str) -> &str {
    let mut p = path;
    loop {
        if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        } else if let Some(rest) = p.strip_prefix('/') {
            p = rest;
        } else {
            return p;
        }
    }
}

/// The code owners the model gives a service, in the order CODEOWNERS
/// lists them: the team (`@org/team`), then the primary owner, then the
/// backup (`@login`). Who cannot be named on GitHub is left out here;
/// [`missing_logins`] says who.
pub fn code_owners(index: &Index<'_>, service: &Service) -> Vec<Owner> {
    let mut out = Vec::with_capacity(3);
    if let Some(t) = index.team_by_id(&service.team)
        && let Some(g) = &index.team(t).github_team
    {
        out.push(Owner::Team(g.trim_start_matches('@').to_owned()));
    }
    for handle in std::iter::once(&service.owner).chain(service.backup_owner.as_ref()) {
        if let Some(p) = index.person_by_handle(handle)
            && let Some(login) = &index.person(p).github
        {
            let owner = Owner::User(login.trim_start_matches('@').to_owned());
            if !out.iter().any(|o| o.folded() == owner.folded()) {
                out.push(owner);
            }
        }
    }
    out
}

/// The service's owners the model names but GitHub cannot: (role, handle)
/// for a primary or backup owner who is unknown or has no `github` login.
pub fn missing_logins<'s>(index: &Index<'_>, service: &'s Service) -> Vec<(&'static str, &'s str)> {
    let mut out = Vec::new();
    let roles = [
        ("owner", Some(&service.owner)),
        ("backup_owner", service.backup_owner.as_ref()),
    ];
    for (role, handle) in roles {
        if let Some(h) = handle {
            let named = index
                .person_by_handle(h)
                .is_some_and(|p| index.person(p).github.is_some());
            if !named {
                out.push((role, h.as_str()));
            }
        }
    }
    out
}

/// A person as `owners who` shows them.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    /// Handle in the model.
    pub handle: String,
    /// Full name (empty when the model does not know the handle).
    pub name: String,
    /// GitHub login, as `@login`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github: Option<String>,
    /// Their team's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// IANA time zone (their own or the organisation's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Their local time at the moment asked, RFC 3339 with offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_time: Option<String>,
    /// Whether that moment is inside their declared working hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working: Option<bool>,
    /// `active`, `offboarded`, or `unknown` (a handle the model lacks).
    pub status: &'static str,
}

/// The service that owns a path, and whom to call.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceOwners {
    /// Service id.
    pub service: String,
    /// Its one-line description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Owning team id.
    pub team: String,
    /// The team's GitHub team, `@org/slug`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_team: Option<String>,
    /// Risk tier.
    pub risk: &'static str,
    /// Primary owner.
    pub primary: Contact,
    /// Backup owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<Contact>,
    /// Whom to call, in order.
    pub escalation: Vec<Contact>,
    /// The runbook, relative to the repository root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
}

/// The answer for one path.
#[derive(Debug, Clone, Serialize)]
pub struct PathAnswer {
    /// The path as asked, relative to the repository root.
    pub path: String,
    /// The services that own it: none (unowned), one, or more than one (the
    /// model's services overlap, which `palisade check` reports).
    pub services: Vec<ServiceOwners>,
    /// When none does: the services of other repositories that claim the
    /// same path, so the caller can say which repository to ask about.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub elsewhere: Vec<Claim>,
}

/// A service of another repository that claims a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    /// The repository, `owner/name`, as the model spells it.
    pub repo: String,
    /// The service's id.
    pub service: String,
}

/// Who answers for `path` in `repo`, at moment `now` (for local times).
pub fn who(index: &Index<'_>, repo: Option<&str>, path: &str, now: jiff::Timestamp) -> PathAnswer {
    let services: Vec<ServiceOwners> = services_for(index, repo, path)
        .into_iter()
        .map(|s| service_owners(index, index.service(s), now))
        .collect();
    let elsewhere = if services.is_empty() {
        claims_elsewhere(index, repo, path)
    } else {
        Vec::new()
    };
    PathAnswer {
        path: normalize(path).to_owned(),
        services,
        elsewhere,
    }
}

/// The services of repositories other than `repo` that claim `path`, by
/// repository (sorted, case ignored) and then in model order.
pub fn claims_elsewhere(index: &Index<'_>, repo: Option<&str>, path: &str) -> Vec<Claim> {
    let path = normalize(path);
    let mut repos: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    for s in &index.model().services {
        for r in &s.repos {
            if !repo.is_some_and(|asked| asked.eq_ignore_ascii_case(r)) {
                repos.entry(r.to_ascii_lowercase()).or_insert(r);
            }
        }
    }
    let mut out = Vec::new();
    for r in repos.into_values() {
        for s in index.services_for_path(Some(r), path) {
            out.push(Claim {
                repo: r.to_owned(),
                service: index.service(s).id.clone(),
            });
        }
    }
    out
}

/// The owners of one service.
pub fn service_owners(index: &Index<'_>, s: &Service, now: jiff::Timestamp) -> ServiceOwners {
    let team: Option<&Team> = index.team_by_id(&s.team).map(|t| index.team(t));
    ServiceOwners {
        service: s.id.clone(),
        description: s.description.clone(),
        team: s.team.clone(),
        github_team: team
            .and_then(|t| t.github_team.as_ref())
            .map(|g| format!("@{}", g.trim_start_matches('@'))),
        risk: s.risk.key(),
        primary: contact(index, &s.owner, now),
        backup: s.backup_owner.as_ref().map(|h| contact(index, h, now)),
        escalation: s
            .escalation
            .iter()
            .map(|h| contact(index, h, now))
            .collect(),
        runbook: s.runbook.clone(),
    }
}

fn contact(index: &Index<'_>, handle: &str, now: jiff::Timestamp) -> Contact {
    let Some(id) = index.person_by_handle(handle) else {
        return Contact {
            handle: handle.to_owned(),
            name: String::new(),
            github: None,
            team: None,
            timezone: None,
            local_time: None,
            working: None,
            status: "unknown",
        };
    };
    let p: &Person = index.person(id);
    Contact {
        handle: p.handle.clone(),
        name: p.name.clone(),
        github: p
            .github
            .as_ref()
            .map(|g| format!("@{}", g.trim_start_matches('@'))),
        team: team_id(index, id),
        timezone: Some(index.timezone_name(id).to_owned()),
        local_time: index
            .local_time(id, now)
            .map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()),
        working: index.is_working(id, now),
        status: match p.status {
            Status::Active => "active",
            Status::Offboarded => "offboarded",
        },
    }
}

fn team_id(index: &Index<'_>, id: PersonId) -> Option<String> {
    index.team_of(id).map(|t| index.team(t).id.clone())
}
