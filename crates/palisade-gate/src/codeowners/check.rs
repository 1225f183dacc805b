//! A CODEOWNERS file against the model, path by tracked path.
//!
//! For each path, the owners CODEOWNERS gives it (its last matching line)
//! are compared with the owners the model gives it (the owning service's
//! team, primary and backup owner), as sets: order does not matter, and an
//! owner named by e-mail address counts as the person the model gives that
//! address. A path that CODEOWNERS leaves without owners is unowned, and a
//! path whose owners differ is a disagreement, listed with both sides.
//!
//! Every valid line is also read on its own: an owner it names who is no
//! service's team, primary or backup owner in the repository is reported
//! with the line, whether or not the line matches a tracked path (a line
//! for a directory that does not exist yet still grants review rights).

use std::collections::BTreeSet;

use palisade_model::{IdentityKind, Index};
use serde::Serialize;

use super::{Codeowners, LineError, Owner};
use crate::owners::{code_owners, in_repo, services_for};

/// What CODEOWNERS says about a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSays {
    /// The deciding line.
    pub line: usize,
    /// Its pattern.
    pub pattern: String,
    /// Its owners (empty: the line takes ownership away).
    pub owners: Vec<String>,
}

/// What the model says about a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelSays {
    /// The owning services (more than one when the model's services
    /// overlap, which `palisade check` reports).
    pub services: Vec<String>,
    /// Their owners as CODEOWNERS would name them.
    pub owners: Vec<String>,
}

/// A path on which the two disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// The path, relative to the repository root.
    pub path: String,
    /// CODEOWNERS' answer; `None` when no line matches.
    pub codeowners: Option<RuleSays>,
    /// The model's answer; `None` when no service owns the path.
    pub model: Option<ModelSays>,
}

/// An owner a line names whom the model does not expect in the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnexpectedOwner {
    /// 1-based line number.
    pub line: usize,
    /// The line's pattern.
    pub pattern: String,
    /// The owner as the line names it.
    pub owner: String,
}

/// The result of a check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// How many paths were checked.
    pub paths: usize,
    /// Lines GitHub rejects (and skips).
    pub invalid_lines: Vec<LineError>,
    /// Paths whose owners differ.
    pub disagreements: Vec<Disagreement>,
    /// Paths nobody owns, in CODEOWNERS or in the model.
    pub unowned: Vec<String>,
    /// Owners named by a line who are no service's team, primary or backup
    /// owner in the repository, in file order.
    pub unexpected_owners: Vec<UnexpectedOwner>,
}

impl CheckReport {
    /// Whether anything was found.
    pub fn is_clean(&self) -> bool {
        self.invalid_lines.is_empty()
            && self.disagreements.is_empty()
            && self.unowned.is_empty()
            && self.unexpected_owners.is_empty()
    }
}

/// Compares `codeowners` (parsed, with its `invalid_lines`) with the model
/// over `paths` of repository `repo` (`None`: the one holding the model).
pub fn check(
    codeowners: &Codeowners,
    invalid_lines: &[LineError],
    index: &Index<'_>,
    repo: Option<&str>,
    paths: &[String],
) -> CheckReport {
    let mut report = CheckReport {
        paths: paths.len(),
        invalid_lines: invalid_lines.to_vec(),
        ..CheckReport::default()
    };
    let mut scratch = Vec::new();
    for path in paths {
        let rule = codeowners.owners_of_with(path, &mut scratch);
        let services = services_for(index, repo, path);
        let mut model_owners: Vec<Owner> = Vec::new();
        for &s in &services {
            for o in code_owners(index, index.service(s)) {
                if !model_owners.contains(&o) {
                    model_owners.push(o);
                }
            }
        }
        let theirs: BTreeSet<String> = rule
            .map(|r| r.owners.iter().map(|o| identity(index, o)).collect())
            .unwrap_or_default();
        let ours: BTreeSet<String> = model_owners.iter().map(|o| identity(index, o)).collect();
        if theirs.is_empty() && ours.is_empty() {
            report.unowned.push(path.clone());
        } else if theirs != ours {
            report.disagreements.push(Disagreement {
                path: path.clone(),
                codeowners: rule.map(|r| RuleSays {
                    line: r.line,
                    pattern: r.pattern.clone(),
                    owners: r.owners.iter().map(ToString::to_string).collect(),
                }),
                model: (!services.is_empty()).then(|| ModelSays {
                    services: services
                        .iter()
                        .map(|&s| index.service(s).id.clone())
                        .collect(),
                    owners: model_owners.iter().map(ToString::to_string).collect(),
                }),
            });
        }
    }
    report.unexpected_owners = unexpected_owners(codeowners, index, repo);
    report
}

/// Each owner a rule names who is not among the owners the model gives any
/// service of `repo`: its team's GitHub team, primary or backup owner.
fn unexpected_owners(
    codeowners: &Codeowners,
    index: &Index<'_>,
    repo: Option<&str>,
) -> Vec<UnexpectedOwner> {
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for s in index.model().services.iter().filter(|s| in_repo(s, repo)) {
        if let Some(t) = index.team_by_id(&s.team) {
            let team = index.team(t);
            if team.github_team.is_some() {
                expected.insert(format!("team:{}", team.id));
            }
        }
        for handle in std::iter::once(&s.owner).chain(s.backup_owner.as_ref()) {
            if let Some(p) = index.person_by_handle(handle) {
                expected.insert(format!("person:{}", index.person(p).handle));
            }
        }
    }
    let mut out = Vec::new();
    for rule in codeowners.rules() {
        let mut seen = BTreeSet::new();
        for owner in &rule.owners {
            let who = identity(index, owner);
            if !expected.contains(&who) && seen.insert(who) {
                out.push(UnexpectedOwner {
                    line: rule.line,
                    pattern: rule.pattern.clone(),
                    owner: owner.to_string(),
                });
            }
        }
    }
    out
}

/// Who an owner is, as one comparable key: a person or team of the model
/// when it knows them (by login, team or e-mail address), else the name.
fn identity(index: &Index<'_>, owner: &Owner) -> String {
    match owner {
        Owner::User(login) => match index.person_by(IdentityKind::Github, login) {
            Some(p) => format!("person:{}", index.person(p).handle),
            None => format!("user:{}", login.to_ascii_lowercase()),
        },
        Owner::Email(e) => match index.person_by(IdentityKind::Email, e) {
            Some(p) => format!("person:{}", index.person(p).handle),
            None => format!("email:{}", e.to_ascii_lowercase()),
        },
        Owner::Team(t) => match index.team_by_github(t) {
            Some(id) => format!("team:{}", index.team(id).id),
            None => format!("github-team:{}", t.to_ascii_lowercase()),
        },
    }
}
