//! Ownership drift: repository access exported from GitHub against the model.
//!
//! Input is what GitHub's REST API returns for one repository:
//! `GET /repos/{owner}/{repo}/collaborators` (users with `login`,
//! `permissions` {`admin`, `maintain`, `push`, `triage`, `pull`} and
//! `role_name`) and `GET /repos/{owner}/{repo}/teams` (teams with `slug`,
//! `permission`, and `permissions` where GitHub includes it), each a JSON
//! array (pages concatenated, or an array of pages). A login or team slug
//! listed more than once counts once, with the highest right listed.
//!
//! Findings, for people: a vendor member with admin or maintain rights;
//! write access (push or more) to a repository their team owns nothing in;
//! an offboarded person with any access; a login the model does not know.
//! For teams: a vendor team with admin or maintain rights; write access to
//! a repository it owns nothing in; a team the model does not know.
//!
//! A team owns something in a repository when one of its services lists
//! that repository in `repos`, or lists none and the repository is the one
//! that holds the model.

use palisade_model::{IdentityKind, Index, Status, TeamId, TeamKind};
use serde::{Deserialize, Serialize};

/// The five permission flags GitHub reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Permissions {
    /// Administer the repository.
    #[serde(default)]
    pub admin: bool,
    /// Manage it without destructive rights.
    #[serde(default)]
    pub maintain: bool,
    /// Write (push).
    #[serde(default)]
    pub push: bool,
    /// Manage issues and pull requests.
    #[serde(default)]
    pub triage: bool,
    /// Read (pull).
    #[serde(default)]
    pub pull: bool,
}

impl Permissions {
    /// From a team's `permission` word (`pull`, `triage`, `push`,
    /// `maintain`, `admin`); an unknown word (a custom role) is `None`.
    pub fn from_word(word: &str) -> Option<Permissions> {
        let level = match word {
            "pull" | "read" => 1,
            "triage" => 2,
            "push" | "write" => 3,
            "maintain" => 4,
            "admin" => 5,
            _ => return None,
        };
        Some(Permissions {
            pull: level >= 1,
            triage: level >= 2,
            push: level >= 3,
            maintain: level >= 4,
            admin: level >= 5,
        })
    }

    /// The highest right held, as GitHub names it.
    pub fn highest(&self) -> &'static str {
        if self.admin {
            "admin"
        } else if self.maintain {
            "maintain"
        } else if self.push {
            "write"
        } else if self.triage {
            "triage"
        } else if self.pull {
            "read"
        } else {
            "none"
        }
    }

    /// Whether it holds any right.
    pub fn any(&self) -> bool {
        self.admin || self.maintain || self.push || self.triage || self.pull
    }

    /// The highest right as a rank, 0 (none) to 5 (admin), for comparing.
    fn rank(&self) -> u8 {
        [self.pull, self.triage, self.push, self.maintain, self.admin]
            .iter()
            .rposition(|&held| held)
            .map_or(0, |i| i as u8 + 1)
    }
}

/// One item of `GET /repos/{owner}/{repo}/collaborators`.
#[derive(Debug, Clone, Deserialize)]
pub struct Collaborator {
    /// The GitHub login.
    pub login: String,
    /// The rights held.
    #[serde(default)]
    pub permissions: Option<Permissions>,
    /// The repository role (`admin`, `maintain`, `write`, `triage`, `read`
    /// or a custom role).
    #[serde(default)]
    pub role_name: Option<String>,
}

impl Collaborator {
    /// The rights held: `permissions`, else what `role_name` implies.
    pub fn rights(&self) -> Permissions {
        self.permissions
            .or_else(|| self.role_name.as_deref().and_then(Permissions::from_word))
            .unwrap_or_default()
    }
}

/// One item of `GET /repos/{owner}/{repo}/teams`.
#[derive(Debug, Clone, Deserialize)]
pub struct RepoTeam {
    /// The team's slug in its organisation.
    pub slug: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// The team's repository permission word.
    #[serde(default)]
    pub permission: Option<String>,
    /// The rights, when GitHub includes them.
    #[serde(default)]
    pub permissions: Option<Permissions>,
}

impl RepoTeam {
    /// The rights held: `permissions`, else what `permission` says.
    pub fn rights(&self) -> Permissions {
        self.permissions
            .or_else(|| self.permission.as_deref().and_then(Permissions::from_word))
            .unwrap_or_default()
    }
}

/// Why an export could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Not the JSON GitHub returns.
    #[error(
        "{what}: not a GitHub REST export ({message}); save the output of `gh api --paginate {endpoint}`"
    )]
    Shape {
        /// Which export.
        what: String,
        /// The endpoint it should come from.
        endpoint: &'static str,
        /// What the JSON reader said.
        message: String,
    },
}

/// Reads a collaborators export: a JSON array of items, or an array of such
/// arrays (`gh api --paginate` concatenates pages; `--slurp` nests them).
/// Each login is listed once (see [`unique_collaborators`]).
pub fn parse_collaborators(what: &str, text: &str) -> Result<Vec<Collaborator>, ExportError> {
    parse_pages(what, text, "repos/{owner}/{repo}/collaborators").map(unique_collaborators)
}

/// Reads a teams export (see [`parse_collaborators`] for the shapes). Each
/// slug is listed once (see [`unique_teams`]).
pub fn parse_teams(what: &str, text: &str) -> Result<Vec<RepoTeam>, ExportError> {
    parse_pages(what, text, "repos/{owner}/{repo}/teams").map(unique_teams)
}

/// Each login once, ignoring ASCII case, where it first appears: a page
/// saved twice (or a retried `--paginate`) would otherwise count a person
/// twice and report them twice. Of entries that differ, the one with the
/// highest right is kept, so nobody's access is understated.
pub fn unique_collaborators(items: Vec<Collaborator>) -> Vec<Collaborator> {
    unique_by(
        items,
        |c| c.login.to_ascii_lowercase(),
        |c| c.rights().rank(),
    )
}

/// Each team slug once, as [`unique_collaborators`] keeps each login.
pub fn unique_teams(items: Vec<RepoTeam>) -> Vec<RepoTeam> {
    unique_by(
        items,
        |t| t.slug.to_ascii_lowercase(),
        |t| t.rights().rank(),
    )
}

fn unique_by<T>(items: Vec<T>, key: impl Fn(&T) -> String, rank: impl Fn(&T) -> u8) -> Vec<T> {
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        match at.entry(key(&item)) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let kept = &mut out[*e.get()];
                if rank(&item) > rank(kept) {
                    *kept = item;
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(out.len());
                out.push(item);
            }
        }
    }
    out
}

fn parse_pages<T: for<'de> Deserialize<'de>>(
    what: &str,
    text: &str,
    endpoint: &'static str,
) -> Result<Vec<T>, ExportError> {
    let shape = |message: String| ExportError::Shape {
        what: what.to_owned(),
        endpoint,
        message,
    };
    // `gh api --paginate` writes one array per page back to back.
    let mut out = Vec::new();
    for page in serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>() {
        let page = page.map_err(|e| shape(e.to_string()))?;
        let items = match page {
            serde_json::Value::Array(items) => items,
            other => {
                return Err(shape(format!(
                    "expected a JSON array of items, found {}",
                    kind(&other)
                )));
            }
        };
        for (i, item) in items.into_iter().enumerate() {
            match item {
                serde_json::Value::Array(inner) => {
                    for (j, item) in inner.into_iter().enumerate() {
                        out.push(
                            serde_json::from_value(item)
                                .map_err(|e| shape(format!("item {i}.{j}: {e}")))?,
                        );
                    }
                }
                item => out.push(
                    serde_json::from_value(item).map_err(|e| shape(format!("item {i}: {e}")))?,
                ),
            }
        }
    }
    Ok(out)
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// What kind of drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    /// A vendor person or team administers or maintains the repository.
    VendorAdmin,
    /// Write access to a repository the team owns nothing in.
    WriteWithoutOwnership,
    /// An offboarded person still has access.
    OffboardedAccess,
    /// A login the model does not know.
    UnknownLogin,
    /// A GitHub team the model does not know.
    UnknownTeam,
}

impl DriftKind {
    /// The kebab-case name JSON uses.
    pub fn key(self) -> &'static str {
        match self {
            DriftKind::VendorAdmin => "vendor-admin",
            DriftKind::WriteWithoutOwnership => "write-without-ownership",
            DriftKind::OffboardedAccess => "offboarded-access",
            DriftKind::UnknownLogin => "unknown-login",
            DriftKind::UnknownTeam => "unknown-team",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind.
    pub kind: DriftKind,
    /// `user` or `team`.
    pub subject: &'static str,
    /// The login, or the team as `org/slug`.
    pub name: String,
    /// The person's handle or the team's id in the model, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// The highest right GitHub reports.
    pub access: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

/// The repository an access export is for: `given` when the caller names
/// one, else the only repository the model's services name, else the model
/// repository's `origin`. The error says what to pass instead.
pub fn export_repository(
    model: &palisade_model::Model,
    given: Option<&str>,
    origin: Option<&str>,
) -> Result<String, String> {
    if let Some(r) = given {
        return Ok(r.to_owned());
    }
    let named: std::collections::BTreeSet<String> = model
        .services
        .iter()
        .flat_map(|s| s.repos.iter().map(|r| r.to_ascii_lowercase()))
        .collect();
    match (named.len(), origin) {
        (1, _) => Ok(named.into_iter().next().unwrap_or_default()),
        (0, Some(o)) => Ok(o.to_owned()),
        (0, None) => Err("which repository is the export for? pass --repo OWNER/NAME (no service names one, and the model's git remote is not on GitHub)".to_owned()),
        (n, _) => Err(format!(
            "the model's services name {n} repositories; pass --repo OWNER/NAME to say which one the export is for"
        )),
    }
}

/// Compares the exports of repository `repo` (`owner/name`) with the model.
/// `home` is the repository holding the model, where services with no
/// `repos` live (`None`: `repo` is that repository).
pub fn drift(
    index: &Index<'_>,
    repo: &str,
    home: Option<&str>,
    collaborators: &[Collaborator],
    teams: &[RepoTeam],
) -> Vec<Finding> {
    // Whoever built the lists, each login and team is judged once.
    let collaborators = unique_collaborators(collaborators.to_vec());
    let teams = unique_teams(teams.to_vec());
    let is_home = home.is_none_or(|h| h.eq_ignore_ascii_case(repo));
    let owns = |team: TeamId| {
        let id = &index.team(team).id;
        index.model().services.iter().any(|s| {
            &s.team == id
                && if s.repos.is_empty() {
                    is_home
                } else {
                    s.repos.iter().any(|r| r.eq_ignore_ascii_case(repo))
                }
        })
    };
    let mut out = Vec::new();
    for c in &collaborators {
        let rights = c.rights();
        let access = rights.highest();
        let mut finding = |kind, model_id: Option<String>, message: String| {
            out.push(Finding {
                kind,
                subject: "user",
                name: c.login.clone(),
                model_id,
                access,
                message,
            });
        };
        let Some(p) = index.person_by(IdentityKind::Github, &c.login) else {
            finding(
                DriftKind::UnknownLogin,
                None,
                format!(
                    "`{}` has {access} access to {repo} but is no person of the model; add them to [[people]] with `github = \"{}\"`, or remove their access",
                    c.login, c.login
                ),
            );
            continue;
        };
        let person = index.person(p);
        let handle = Some(person.handle.clone());
        if person.status == Status::Offboarded && rights.any() {
            finding(
                DriftKind::OffboardedAccess,
                handle.clone(),
                format!(
                    "`{}` is offboarded{} but still has {access} access to {repo}; remove it",
                    person.handle,
                    person
                        .offboarded_on
                        .map(|d| format!(" (since {d})"))
                        .unwrap_or_default()
                ),
            );
            continue;
        }
        if index.is_vendor(p) && (rights.admin || rights.maintain) {
            finding(
                DriftKind::VendorAdmin,
                handle.clone(),
                format!(
                    "`{}` of vendor team `{}` has {access} rights on {repo}; vendor members get write at most",
                    person.handle, person.team
                ),
            );
        }
        if rights.push && !index.team_of(p).is_some_and(owns) {
            finding(
                DriftKind::WriteWithoutOwnership,
                handle,
                format!(
                    "`{}` has {access} access to {repo}, where team `{}` owns no service; lower it to read, or give the team a service there",
                    person.handle, person.team
                ),
            );
        }
    }
    let org = repo.split_once('/').map_or(repo, |(o, _)| o);
    for t in &teams {
        let rights = t.rights();
        let access = rights.highest();
        let name = format!("{org}/{}", t.slug);
        let mut finding = |kind, model_id: Option<String>, message: String| {
            out.push(Finding {
                kind,
                subject: "team",
                name: name.clone(),
                model_id,
                access,
                message,
            });
        };
        let Some(id) = index.team_by_github(&name) else {
            finding(
                DriftKind::UnknownTeam,
                None,
                format!(
                    "GitHub team `{name}` has {access} access to {repo} but no team of the model has `github_team = \"{name}\"`; add it, or remove its access"
                ),
            );
            continue;
        };
        let team = index.team(id);
        if team.kind == TeamKind::Vendor && (rights.admin || rights.maintain) {
            finding(
                DriftKind::VendorAdmin,
                Some(team.id.clone()),
                format!(
                    "vendor team `{}` has {access} rights on {repo}; vendor teams get write at most",
                    team.id
                ),
            );
        }
        if rights.push && !owns(id) {
            finding(
                DriftKind::WriteWithoutOwnership,
                Some(team.id.clone()),
                format!(
                    "team `{}` has {access} access to {repo} but owns no service there; lower it to read, or give it a service there",
                    team.id
                ),
            );
        }
    }
    out
}
