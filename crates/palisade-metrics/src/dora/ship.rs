//! What each deployment shipped, and what each incident is linked to.

use std::collections::HashMap;

use jiff::Timestamp;
use palisade_model::index::Index;

use crate::history::{CommitId, Histories};
use crate::input::{DataIssues, DeployStatus, Deployment, Incident};
use crate::measure::Scope;

/// Keys and effects of the data issues counted here.
pub(crate) mod issue {
    pub const UNKNOWN_SERVICE: (&str, &str) = (
        "unknown_service",
        "the record names a service the model does not have: it counts for the organisation only",
    );
    pub const UNKNOWN_ENVIRONMENT: (&str, &str) = (
        "unknown_environment",
        "the deployment names an environment the model does not have: it counts in no DORA key",
    );
    pub const HISTORY_NOT_READ: (&str, &str) = (
        "history_not_read",
        "the deployed repository's history was not read (--repo-dir): no lead time for it",
    );
    pub const UNKNOWN_COMMIT: (&str, &str) = (
        "unknown_commit",
        "the commit is not in the repository's history: no lead time, no link by cause",
    );
    pub const UNKNOWN_BASE: (&str, &str) = (
        "unknown_base",
        "the previous deployment's commit is unknown, so what this one shipped cannot be told: no lead time",
    );
    pub const FIRST_DEPLOYMENT: (&str, &str) = (
        "first_deployment",
        "the first recorded deployment of a service to an environment is a baseline: its commits have no lead time",
    );
    pub const CLOCK_SKEW: (&str, &str) = (
        "clock_skew",
        "a commit's author time is after the deployment that shipped it (or an incident resolved before it opened): left out of the durations",
    );
    pub const REWRITTEN_HISTORY: (&str, &str) = (
        "rewritten_history",
        "a deployed commit is no longer reachable from any reference (force push); its objects were still read",
    );
    pub const SHALLOW_CLONE: (&str, &str) = (
        "shallow_clone",
        "the repository is a shallow clone: lead times of its oldest commits may be cut short",
    );
    pub const INCIDENT_WITHOUT_SERVICE: (&str, &str) = (
        "incident_without_service",
        "the incident names no service: it counts for the organisation only",
    );
    pub const UNKNOWN_DEPLOYMENT: (&str, &str) = (
        "unknown_deployment",
        "the incident names a deployment that was not recorded: it is linked to none",
    );
    pub const NOT_PRODUCTION: (&str, &str) = (
        "incident_linked_outside_production",
        "the incident names a deployment outside production: it is linked to none",
    );
    pub const CAUSE_NOT_SHIPPED: (&str, &str) = (
        "cause_not_shipped",
        "the incident's cause commit was not shipped by any recorded production deployment: it is linked to none",
    );
    pub const UNLINKED_INCIDENT: (&str, &str) = (
        "unlinked_incident",
        "the incident names neither a deployment nor a cause commit: it counts in no DORA key",
    );
    pub const CAUSE_NOT_FOUND: (&str, &str) = (
        "cause_not_found",
        "the incident's cause commit is in no history read (no --repo-dir for its repository, or a shallow clone): it is linked to no deployment, so the change failure rate and recovery time are partial",
    );
    pub const DEPLOYED_AFTER_INCIDENT: (&str, &str) = (
        "deployed_after_incident",
        "the incident is linked to a deployment that finished after the incident opened, so it cannot have caused it: left out of the change failure rate and recovery time",
    );
}

fn note(issues: &mut DataIssues, (kind, effect): (&str, &str), example: impl Into<String>) {
    issues.note(kind, effect, example);
}

/// Who owns a service: its team and the team's vendor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Owner {
    pub service: String,
    pub known: bool,
    pub team: Option<String>,
    pub vendor: Option<String>,
}

impl Owner {
    pub(crate) fn of(index: &Index<'_>, service: &str) -> Owner {
        let Some(sid) = index.service_by_id(service) else {
            return Owner {
                service: service.to_owned(),
                ..Owner::default()
            };
        };
        let team_id = &index.service(sid).team;
        let team = index.team_by_id(team_id);
        Owner {
            service: service.to_owned(),
            known: true,
            team: Some(team_id.clone()),
            vendor: team
                .and_then(|t| index.vendor_of_team(t))
                .map(|v| index.vendor(v).id.clone()),
        }
    }

    /// Whether a record of this service belongs to `scope`.
    pub(crate) fn is_in(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Org => true,
            Scope::Service(s) => self.known && &self.service == s,
            Scope::Team(t) => self.team.as_ref() == Some(t),
            Scope::Vendor(v) => self.vendor.as_ref() == Some(v),
        }
    }
}

/// One deployment, as the keys see it.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub id: String,
    pub owner: Owner,
    pub production: bool,
    pub success: bool,
    pub finished: Timestamp,
    /// The commits it was the first production deployment of for its
    /// service: (repository index into [`Shipments::repos`], commit, lead
    /// time in seconds unless clock skew left it out).
    pub firsts: Vec<(usize, CommitId, Option<i64>)>,
    /// How many commits it was the first production deployment of (with or without a lead time).
    pub shipped: u64,
    /// The incidents linked to it (indexes into [`Shipments::incidents`]).
    pub incidents: Vec<usize>,
    /// It shipped while an incident caused by an earlier deployment of its service was open.
    pub rework: bool,
    /// Its repository history is a shallow clone.
    pub shallow: bool,
    pub issues: DataIssues,
}

/// One incident, as the keys see it.
#[derive(Debug, Clone)]
pub(crate) struct IncidentRow {
    pub owner: Owner,
    pub opened: Timestamp,
    pub resolved: Option<Timestamp>,
    /// The deployment it is linked to (an index into [`Shipments::rows`]).
    pub deployment: Option<usize>,
    /// Its cause commit is in no history read: it may have been caused by a
    /// deployment, but which one cannot be told.
    pub cause_not_found: bool,
    pub issues: DataIssues,
}

/// Every deployment with the commits it shipped, and every incident with
/// the deployment it is linked to; computed once, asked per scope and period.
#[derive(Debug, Clone, Default)]
pub struct Shipments {
    pub(crate) rows: Vec<Row>,
    pub(crate) incidents: Vec<IncidentRow>,
    /// Per repository (lower-case) and commit, the first production deployment that shipped it.
    first: HashMap<String, HashMap<CommitId, usize>>,
    /// The deployed repositories (as their histories name them), indexed by [`Row::firsts`].
    pub(crate) repos: Vec<String>,
}

impl Shipments {
    /// Works out, for every deployment, the commits it shipped (those
    /// reachable from its head and not from the previous successful
    /// deployment of the same service and environment), and links every
    /// incident to a deployment: the one it names, or else the production
    /// deployment that first shipped its cause commit.
    pub fn compute(
        index: &Index<'_>,
        deployments: &[Deployment],
        incidents: &[Incident],
        histories: &Histories,
    ) -> Shipments {
        let mut order: Vec<usize> = (0..deployments.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&deployments[a], &deployments[b]);
            (a.finished, &a.id).cmp(&(b.finished, &b.id))
        });
        let mut s = Shipments::default();
        let mut repo_index: HashMap<String, usize> = HashMap::new();
        let mut owners: HashMap<&str, Owner> = HashMap::new();
        // The last successful production head per (service, environment, repository):
        // `None` when it was not a known commit.
        let mut last: HashMap<(&str, &str, &str), Option<CommitId>> = HashMap::new();
        // Commits already in production per (service, repository), whatever the
        // environment: everything the service's deployments reached so far.
        let mut live: HashMap<(&str, &str), Vec<u64>> = HashMap::new();
        // Per (service, repository), each commit's first production deployment of that service.
        let mut first_by_service: HashMap<(&str, &str), HashMap<CommitId, usize>> = HashMap::new();
        for &i in &order {
            let d = &deployments[i];
            let owner = owners
                .entry(d.service.as_str())
                .or_insert_with(|| Owner::of(index, &d.service))
                .clone();
            let mut issues = DataIssues::default();
            if !owner.known {
                note(&mut issues, issue::UNKNOWN_SERVICE, &d.id);
            }
            let production = match index.environment_by_id(&d.environment) {
                Some(e) => index.environment(e).production,
                None => {
                    note(&mut issues, issue::UNKNOWN_ENVIRONMENT, &d.id);
                    false
                }
            };
            let success = d.status == DeployStatus::Success;
            let row_index = s.rows.len();
            let mut row = Row {
                id: d.id.clone(),
                owner,
                production,
                success,
                finished: d.finished,
                firsts: Vec::new(),
                shipped: 0,
                incidents: Vec::new(),
                rework: false,
                shallow: false,
                issues: DataIssues::default(),
            };
            if production && success {
                for c in &d.commits {
                    let Some(history) = histories.get(&c.repo) else {
                        note(
                            &mut issues,
                            issue::HISTORY_NOT_READ,
                            format!("{} ({})", d.id, c.repo),
                        );
                        continue;
                    };
                    if history.is_shallow() {
                        row.shallow = true;
                        note(
                            &mut issues,
                            issue::SHALLOW_CLONE,
                            format!("{} ({})", d.id, c.repo),
                        );
                    }
                    let head = history.find(&c.sha);
                    let key = (d.service.as_str(), d.environment.as_str(), history.repo());
                    let previous = last.insert(key, head);
                    let Some(head) = head else {
                        note(
                            &mut issues,
                            issue::UNKNOWN_COMMIT,
                            format!("{} ({})", d.id, c.sha),
                        );
                        continue;
                    };
                    if history.is_rewritten(head) {
                        note(
                            &mut issues,
                            issue::REWRITTEN_HISTORY,
                            format!("{} ({})", d.id, c.sha),
                        );
                    }
                    let seen = live
                        .entry((d.service.as_str(), history.repo()))
                        .or_insert_with(|| history.no_commits());
                    // Everything the head reaches is in production from now on; what
                    // no earlier deployment reached is what this one shipped first.
                    let new = history.reach_new(head, seen);
                    match previous {
                        None => {
                            note(&mut issues, issue::FIRST_DEPLOYMENT, &d.id);
                            continue;
                        }
                        Some(None) => {
                            note(&mut issues, issue::UNKNOWN_BASE, &d.id);
                            continue;
                        }
                        Some(Some(_)) => {}
                    }
                    let firsts = first_by_service
                        .entry((d.service.as_str(), history.repo()))
                        .or_default();
                    let repo_key = history.repo().to_ascii_lowercase();
                    let repo = match repo_index.get(&repo_key) {
                        Some(&r) => r,
                        None => {
                            s.repos.push(history.repo().to_owned());
                            repo_index.insert(repo_key.clone(), s.repos.len() - 1);
                            s.repos.len() - 1
                        }
                    };
                    let any = s.first.entry(repo_key).or_default();
                    for commit in new {
                        firsts.entry(commit).or_insert(row_index);
                        any.entry(commit).or_insert(row_index);
                        row.shipped += 1;
                        let lead = d.finished.as_second() - history.authored(commit);
                        if lead < 0 {
                            note(&mut issues, issue::CLOCK_SKEW, history.sha(commit));
                            row.firsts.push((repo, commit, None));
                        } else {
                            row.firsts.push((repo, commit, Some(lead)));
                        }
                    }
                }
            }
            row.issues = issues;
            s.rows.push(row);
        }
        let by_id: HashMap<String, usize> = s
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        for incident in incidents {
            let owner = owners
                .entry(incident.service.as_str())
                .or_insert_with(|| Owner::of(index, &incident.service))
                .clone();
            let mut issues = DataIssues::default();
            let mut cause_not_found = false;
            if incident.service.trim().is_empty() {
                note(&mut issues, issue::INCIDENT_WITHOUT_SERVICE, &incident.id);
            } else if !owner.known {
                note(&mut issues, issue::UNKNOWN_SERVICE, &incident.id);
            }
            let deployment = if let Some(id) = &incident.deployment {
                match by_id.get(id.as_str()) {
                    None => {
                        note(&mut issues, issue::UNKNOWN_DEPLOYMENT, &incident.id);
                        None
                    }
                    Some(&r) if !s.rows[r].production => {
                        note(&mut issues, issue::NOT_PRODUCTION, &incident.id);
                        None
                    }
                    Some(&r) => Some(r),
                }
            } else if let Some(cause) = &incident.cause {
                let mut known = false;
                let mut found = None;
                for history in histories.iter() {
                    let Some(c) = history.find(cause) else {
                        continue;
                    };
                    known = true;
                    let mine = first_by_service
                        .get(&(incident.service.as_str(), history.repo()))
                        .and_then(|m| m.get(&c));
                    let any = s
                        .first
                        .get(&history.repo().to_ascii_lowercase())
                        .and_then(|m| m.get(&c));
                    if let Some(&r) = mine.or(any) {
                        found = Some(r);
                        if mine.is_some() {
                            break;
                        }
                    }
                }
                if !known {
                    cause_not_found = true;
                    note(
                        &mut issues,
                        issue::CAUSE_NOT_FOUND,
                        format!("{} ({cause})", incident.id),
                    );
                } else if found.is_none() {
                    note(&mut issues, issue::CAUSE_NOT_SHIPPED, &incident.id);
                }
                found
            } else {
                note(&mut issues, issue::UNLINKED_INCIDENT, &incident.id);
                None
            };
            // A deployment that finished after the incident opened did not cause it.
            let deployment = match deployment {
                Some(r) if s.rows[r].finished > incident.opened => {
                    note(
                        &mut issues,
                        issue::DEPLOYED_AFTER_INCIDENT,
                        format!(
                            "{} (opened {}) linked to {} (finished {})",
                            incident.id, incident.opened, s.rows[r].id, s.rows[r].finished
                        ),
                    );
                    None
                }
                other => other,
            };
            if let Some(resolved) = incident.resolved
                && resolved < incident.opened
            {
                note(&mut issues, issue::CLOCK_SKEW, &incident.id);
            }
            let n = s.incidents.len();
            if let Some(r) = deployment {
                s.rows[r].incidents.push(n);
            }
            s.incidents.push(IncidentRow {
                owner,
                opened: incident.opened,
                resolved: incident.resolved,
                deployment,
                cause_not_found,
                issues,
            });
        }
        s.mark_rework();
        s
    }

    /// A successful production deployment is rework when it finished while
    /// an incident linked to an earlier production deployment of the same
    /// service was open: it was made to fix production.
    fn mark_rework(&mut self) {
        let mut rework = vec![false; self.rows.len()];
        for (r, row) in self.rows.iter().enumerate() {
            if !(row.production && row.success) {
                continue;
            }
            rework[r] = self.incidents.iter().any(|i| {
                let Some(cause) = i.deployment else {
                    return false;
                };
                let cause = &self.rows[cause];
                cause.owner.service == row.owner.service
                    && cause.finished < row.finished
                    && i.opened <= row.finished
                    && i.resolved.is_none_or(|t| row.finished <= t)
            });
        }
        for (row, rework) in self.rows.iter_mut().zip(rework) {
            row.rework = rework;
        }
    }

    /// The first production deployment that shipped commit `sha` of `repo`:
    /// its id, service and finish time.
    pub fn first_production(
        &self,
        histories: &Histories,
        repo: &str,
        sha: &str,
    ) -> Option<(&str, &str, Timestamp)> {
        let c = histories.get(repo)?.find(sha)?;
        let &r = self.first.get(&repo.to_ascii_lowercase())?.get(&c)?;
        let row = &self.rows[r];
        Some((row.id.as_str(), row.owner.service.as_str(), row.finished))
    }

    /// How many commits production deployments of `scope` shipped for the
    /// first time between `start` and `end`.
    pub fn commits_shipped(&self, scope: &Scope, start: Timestamp, end: Timestamp) -> u64 {
        self.rows
            .iter()
            .filter(|r| r.production && r.success && r.owner.is_in(scope))
            .filter(|r| start <= r.finished && r.finished < end)
            .map(|r| r.shipped)
            .sum()
    }

    /// The incidents linked to production deployments of `scope` that
    /// finished between `start` and `end`: defects that escaped to production.
    pub fn escaped_defects(&self, scope: &Scope, start: Timestamp, end: Timestamp) -> u64 {
        self.rows
            .iter()
            .filter(|r| r.production && r.owner.is_in(scope))
            .filter(|r| start <= r.finished && r.finished < end)
            .map(|r| r.incidents.len() as u64)
            .sum()
    }

    /// Whether any production deployment of `scope` was recorded at all.
    pub fn has_deployments(&self, scope: &Scope) -> bool {
        self.rows
            .iter()
            .any(|r| r.production && r.owner.is_in(scope))
    }
}
