//! Deployments and incidents recorded in the store, each with its ledger entry in one transaction.
//!
//! Every input is checked against the model before anything is written: the
//! service and environment exist (and the service deploys there, when it says
//! where it deploys), a severity is on the model's scale, a commit is a full
//! hex id, times are in order and not in the future. A deployment is recorded
//! with a `deploy.recorded` entry, an incident with `incident.opened` and its
//! resolution with `incident.resolved`, each in the transaction that changes
//! the store, so neither exists without the other.
//!
//! Recording is idempotent where a retry is likely: the same deployment (same
//! id, same content) recorded again, from a re-run CI step or a re-imported
//! file, is reported as already recorded and not ledgered twice; the same id
//! with other content is refused. An incident resolved before it was opened
//! is refused: the fix is the right time, never a negative recovery time in
//! the medians. So is an incident linked to a deployment that finished after
//! it opened, and a deployment of commits outside the service's repositories.

use jiff::{SignedDuration, Timestamp};
use palisade_ledger::ledger::{Event, Ledger, LedgerError};
use palisade_model::Index;
use palisade_store::{LedgerTx, MetricsDeploymentRow, MetricsIncidentRow, StoreError};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::input::{DataIssues, DeployStatus, DeployedCommit, Deployment, Incident};

/// The ledger kinds of recorded inputs.
pub mod kind {
    /// A deployment was recorded.
    pub const DEPLOY_RECORDED: &str = "deploy.recorded";
    /// An incident was opened.
    pub const INCIDENT_OPENED: &str = "incident.opened";
    /// An incident was resolved.
    pub const INCIDENT_RESOLVED: &str = "incident.resolved";
}

/// How far ahead of the caller's clock a time may be (two machines' clocks
/// never agree exactly); anything later is refused as clock skew.
pub const FUTURE_TOLERANCE: SignedDuration = SignedDuration::from_mins(5);

/// How many deployments [`Recorder::import_deployments`] writes per transaction.
pub const IMPORT_BATCH: usize = 500;

/// Where a deployment came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `palisade deploy record`, from CI.
    Command,
    /// An import of DevLake-shaped NDJSON.
    Devlake,
}

impl Source {
    /// Its stored name.
    pub fn key(self) -> &'static str {
        match self {
            Source::Command => "command",
            Source::Devlake => "devlake",
        }
    }
}

/// Whether a record was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Written now, with its ledger entry.
    Recorded,
    /// The same record was already there; nothing was written.
    AlreadyRecorded,
}

/// An incident to open.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    /// Its id; `None` makes one from the service, time and title.
    pub id: Option<String>,
    /// The service it hit.
    pub service: String,
    /// Its severity, one of the model's `[metrics] incident_severities`.
    pub severity: String,
    /// One line on what happened.
    pub title: String,
    /// When it started.
    pub opened: Timestamp,
    /// The commit that caused it, when known.
    pub cause: Option<String>,
    /// The deployment that caused it, when known.
    pub deployment: Option<String>,
}

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    /// Deployments written.
    pub recorded: u64,
    /// Deployments already there, unchanged.
    pub already_recorded: u64,
    /// Deployments refused, counted by kind (the kinds of [`RecordError::kind`]).
    pub refused: DataIssues,
}

/// Why an input was not recorded. Every message says what is wrong, where, and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The service is not in the model.
    #[error(
        "unknown service `{service}`: the model's services are {known}; fix the name or add it to [[services]]"
    )]
    UnknownService {
        /// As given.
        service: String,
        /// The model's service ids.
        known: String,
    },
    /// The environment is not in the model.
    #[error(
        "unknown environment `{environment}`: the model's environments are {known}; fix the name or add it to [[environments]]"
    )]
    UnknownEnvironment {
        /// As given.
        environment: String,
        /// The model's environment ids.
        known: String,
    },
    /// The service says where it deploys, and this is not one of them.
    #[error(
        "service `{service}` does not deploy to `{environment}` (its `environments` are {deploys_to}); fix the environment or add it to the service"
    )]
    NotDeployedTo {
        /// The service.
        service: String,
        /// The environment given.
        environment: String,
        /// Where it deploys.
        deploys_to: String,
    },
    /// The severity is not on the model's scale.
    #[error(
        "unknown severity `{severity}`: the model's scale ([metrics] incident_severities) is {scale}"
    )]
    UnknownSeverity {
        /// As given.
        severity: String,
        /// The scale, most severe first.
        scale: String,
    },
    /// Not a full commit id.
    #[error(
        "`{sha}` is not a full commit id: give all 40 (SHA-1) or 64 (SHA-256) hex digits, e.g. from `git rev-parse HEAD`"
    )]
    BadSha {
        /// As given.
        sha: String,
    },
    /// The service lives in other repositories.
    #[error(
        "service `{service}` lives in {repos}, not in `{repo}`: name the repository the commit is in, or add `{repo}` to the service's `repos` in the model"
    )]
    NotServiceRepo {
        /// The service.
        service: String,
        /// The repository given.
        repo: String,
        /// The service's repositories.
        repos: String,
    },
    /// An incident linked to a deployment that finished after it opened.
    #[error(
        "incident `{id}` opened at {opened}, before deployment `{deployment}` finished at {finished}, so that deployment cannot have caused it: name the deployment that was in production when it opened (`palisade deploy list`), correct the opening time, or leave --deployment out"
    )]
    DeployedAfterOpened {
        /// The incident.
        id: String,
        /// When it opened.
        opened: Timestamp,
        /// The deployment named.
        deployment: String,
        /// When that deployment finished.
        finished: Timestamp,
    },
    /// Not `owner/name`.
    #[error(
        "`{repo}` is not a repository name: write it as owner/name (group/subgroup/name on GitLab)"
    )]
    BadRepo {
        /// As given.
        repo: String,
    },
    /// A deployment that names no commit.
    #[error("deployment `{id}` names no commit: every deployment ships at least one")]
    NoCommits {
        /// The deployment.
        id: String,
    },
    /// Started after it finished.
    #[error(
        "deployment `{id}` starts at {started}, after it finishes at {finished}: check the two times (clock skew between machines?)"
    )]
    StartedAfterFinished {
        /// The deployment.
        id: String,
        /// Its start.
        started: Timestamp,
        /// Its end.
        finished: Timestamp,
    },
    /// A time later than now (beyond [`FUTURE_TOLERANCE`]).
    #[error(
        "{what} {at} is in the future (now is {now}): check the clock of the machine that reported it, or the time given"
    )]
    InFuture {
        /// Which time.
        what: &'static str,
        /// The time.
        at: Timestamp,
        /// Now.
        now: Timestamp,
    },
    /// Resolved before it was opened.
    #[error(
        "incident `{id}` was opened at {opened}; it cannot be resolved at {resolved}, before that: give the time it was resolved with --time"
    )]
    ResolvedBeforeOpened {
        /// The incident.
        id: String,
        /// When it was opened.
        opened: Timestamp,
        /// The resolution time given.
        resolved: Timestamp,
    },
    /// Already resolved.
    #[error(
        "incident `{id}` was already resolved at {at} by {by}; an incident is resolved once (open a new one if it came back)"
    )]
    AlreadyResolved {
        /// The incident.
        id: String,
        /// When.
        at: Timestamp,
        /// By whom.
        by: String,
    },
    /// No such incident.
    #[error("no incident `{0}`; `palisade incident list` shows them")]
    NoSuchIncident(String),
    /// An incident names a deployment that is not recorded.
    #[error(
        "no deployment `{0}` is recorded; `palisade deploy list` shows them (record or import it first, or leave --deployment out)"
    )]
    NoSuchDeployment(String),
    /// The id is taken by a different deployment.
    #[error(
        "deployment `{id}` is already recorded with another {differs}; a deployment is recorded once: give this one another id"
    )]
    ConflictingDeployment {
        /// The deployment.
        id: String,
        /// What differs.
        differs: String,
    },
    /// The id is taken by a different incident.
    #[error("incident `{id}` is already recorded with another {differs}; give this one another id")]
    ConflictingIncident {
        /// The incident.
        id: String,
        /// What differs.
        differs: String,
    },
    /// A required text is empty.
    #[error("{0} is empty")]
    Empty(&'static str),
    /// A time outside what the store holds.
    #[error("{0} is out of range")]
    OutOfRange(&'static str),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RecordError {
    /// A stable key for counting this kind of refusal in [`DataIssues`].
    pub fn kind(&self) -> &'static str {
        match self {
            RecordError::UnknownService { .. } => "unknown_service",
            RecordError::UnknownEnvironment { .. } => "unknown_environment",
            RecordError::NotDeployedTo { .. } => "not_deployed_to",
            RecordError::UnknownSeverity { .. } => "unknown_severity",
            RecordError::BadSha { .. } => "bad_sha",
            RecordError::BadRepo { .. } => "bad_repo",
            RecordError::NotServiceRepo { .. } => "not_service_repo",
            RecordError::DeployedAfterOpened { .. } => "deployed_after_incident",
            RecordError::NoCommits { .. } => "no_commits",
            RecordError::StartedAfterFinished { .. } | RecordError::InFuture { .. } => "clock_skew",
            RecordError::ResolvedBeforeOpened { .. } => "clock_skew",
            RecordError::AlreadyResolved { .. } => "already_resolved",
            RecordError::NoSuchIncident(_) => "unknown_incident",
            RecordError::NoSuchDeployment(_) => "unknown_deployment",
            RecordError::ConflictingDeployment { .. } | RecordError::ConflictingIncident { .. } => {
                "conflicting_duplicate"
            }
            RecordError::Empty(_) | RecordError::OutOfRange(_) => "invalid",
            RecordError::Ledger(_) | RecordError::Store(_) => "storage",
        }
    }

    /// Whether this is about the input (and so can be counted and skipped)
    /// rather than the store or ledger failing.
    pub fn is_input(&self) -> bool {
        !matches!(self, RecordError::Ledger(_) | RecordError::Store(_))
    }
}

/// Whether `sha` is a full commit id: 40 or 64 hex digits (either case).
pub fn is_full_sha(sha: &str) -> bool {
    matches!(sha.len(), 40 | 64) && sha.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `sha` as stored (lower case), or why not.
pub fn normalize_sha(sha: &str) -> Result<String, RecordError> {
    let sha = sha.trim();
    if is_full_sha(sha) {
        Ok(sha.to_ascii_lowercase())
    } else {
        Err(RecordError::BadSha {
            sha: sha.to_owned(),
        })
    }
}

/// An id for a deployment that came without one: the same service,
/// environment, finish time and commits always make the same id, so a CI
/// step that records twice records once.
pub fn deployment_id(
    service: &str,
    environment: &str,
    finished: Timestamp,
    commits: &[DeployedCommit],
) -> String {
    let mut sorted: Vec<_> = commits.iter().map(|c| (&c.repo, &c.sha)).collect();
    sorted.sort();
    let mut h = Sha256::new();
    for part in [service, environment, &finished.as_microsecond().to_string()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for (repo, sha) in sorted {
        h.update(repo.as_bytes());
        h.update([b'@']);
        h.update(sha.as_bytes());
        h.update([0]);
    }
    format!("dep-{}", &hex::encode(h.finalize())[..16])
}

/// An id for an incident that came without one, from its service, opening time and title.
pub fn incident_id(service: &str, opened: Timestamp, title: &str) -> String {
    let mut h = Sha256::new();
    for part in [service, &opened.as_microsecond().to_string(), title] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("inc-{}", &hex::encode(h.finalize())[..12])
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn list(items: impl Iterator<Item = impl AsRef<str>>) -> String {
    let items: Vec<String> = items.map(|s| format!("`{}`", s.as_ref())).collect();
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// The row a deployment is stored as.
pub(crate) fn deployment_row(
    d: &Deployment,
    source: Source,
    actor: &str,
    now: Timestamp,
) -> MetricsDeploymentRow {
    let mut commits: Vec<(String, String)> = d
        .commits
        .iter()
        .map(|c| (c.repo.clone(), c.sha.clone()))
        .collect();
    commits.sort();
    commits.dedup();
    MetricsDeploymentRow {
        id: d.id.clone(),
        service: d.service.clone(),
        environment: d.environment.clone(),
        started_us: micros(d.started),
        finished_us: micros(d.finished),
        status: d.status.key().to_owned(),
        source: source.key().to_owned(),
        recorded_us: micros(now),
        recorded_by: actor.to_owned(),
        commits,
    }
}

/// The row an incident is stored as.
pub(crate) fn incident_row(
    i: &Incident,
    opened_by: &str,
    resolved_by: Option<&str>,
) -> MetricsIncidentRow {
    MetricsIncidentRow {
        id: i.id.clone(),
        service: i.service.clone(),
        severity: i.severity.clone(),
        title: i.title.clone(),
        opened_us: micros(i.opened),
        resolved_us: i.resolved.map(micros),
        cause_sha: i.cause.clone(),
        deployment_id: i.deployment.clone(),
        opened_by: opened_by.to_owned(),
        resolved_by: resolved_by.map(str::to_owned),
    }
}

/// A stored time back as a timestamp.
pub(crate) fn from_micros(us: i64) -> Option<Timestamp> {
    Timestamp::from_microsecond(us).ok()
}

/// Records deployments and incidents against one model, in one ledger.
#[derive(Debug, Clone, Copy)]
pub struct Recorder<'a, 'm> {
    ledger: &'a Ledger,
    index: &'a Index<'m>,
}

impl<'a, 'm> Recorder<'a, 'm> {
    /// A recorder writing to `ledger` (and its store), checking against `index`.
    pub fn new(ledger: &'a Ledger, index: &'a Index<'m>) -> Recorder<'a, 'm> {
        Recorder { ledger, index }
    }

    fn check_service(&self, service: &str) -> Result<palisade_model::ServiceId, RecordError> {
        self.index
            .service_by_id(service)
            .ok_or_else(|| RecordError::UnknownService {
                service: service.to_owned(),
                known: list(self.index.model().services.iter().map(|s| &s.id)),
            })
    }

    fn check_not_future(
        what: &'static str,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<(), RecordError> {
        let limit = now
            .checked_add(FUTURE_TOLERANCE)
            .map_err(|_| RecordError::OutOfRange("now"))?;
        if at > limit {
            return Err(RecordError::InFuture { what, at, now });
        }
        Ok(())
    }

    /// `d` checked against the model and normalised (lower-case commit ids,
    /// commits sorted, each once).
    pub fn check_deployment(
        &self,
        d: &Deployment,
        now: Timestamp,
    ) -> Result<Deployment, RecordError> {
        if d.id.trim().is_empty() {
            return Err(RecordError::Empty("the deployment id"));
        }
        let service = self.check_service(&d.service)?;
        let env = self
            .index
            .environment_by_id(&d.environment)
            .ok_or_else(|| RecordError::UnknownEnvironment {
                environment: d.environment.clone(),
                known: list(self.index.model().environments.iter().map(|e| &e.id)),
            })?;
        let deploys_to = self.index.service_environments(service);
        if !deploys_to.is_empty() && !deploys_to.contains(&env) {
            return Err(RecordError::NotDeployedTo {
                service: d.service.clone(),
                environment: d.environment.clone(),
                deploys_to: list(deploys_to.iter().map(|&e| &self.index.environment(e).id)),
            });
        }
        if d.commits.is_empty() {
            return Err(RecordError::NoCommits { id: d.id.clone() });
        }
        let mut commits = Vec::with_capacity(d.commits.len());
        for c in &d.commits {
            let repo = c.repo.trim();
            if repo.is_empty()
                || !repo.contains('/')
                || repo.starts_with('/')
                || repo.ends_with('/')
                || repo.contains(char::is_whitespace)
            {
                return Err(RecordError::BadRepo {
                    repo: c.repo.clone(),
                });
            }
            commits.push(DeployedCommit {
                repo: repo.to_owned(),
                sha: normalize_sha(&c.sha)?,
            });
        }
        // A service that names its repositories ships commits of those only
        // (one that names none lives in the model's repository).
        let repos = &self.index.service(service).repos;
        if let Some(c) = commits
            .iter()
            .find(|c| !repos.is_empty() && !repos.iter().any(|r| r.eq_ignore_ascii_case(&c.repo)))
        {
            return Err(RecordError::NotServiceRepo {
                service: d.service.clone(),
                repo: c.repo.clone(),
                repos: list(repos.iter()),
            });
        }
        commits.sort_by(|a, b| (&a.repo, &a.sha).cmp(&(&b.repo, &b.sha)));
        commits.dedup();
        if d.started > d.finished {
            return Err(RecordError::StartedAfterFinished {
                id: d.id.clone(),
                started: d.started,
                finished: d.finished,
            });
        }
        Self::check_not_future("the deployment's finish", d.finished, now)?;
        Ok(Deployment {
            commits,
            ..d.clone()
        })
    }

    /// Writes one checked deployment in `tx` with its ledger entry, unless
    /// the same one is already there.
    async fn write_deployment(
        &self,
        tx: &mut LedgerTx<'_>,
        d: &Deployment,
        source: Source,
        actor: &str,
        now: Timestamp,
    ) -> Result<Outcome, RecordError> {
        let row = deployment_row(d, source, actor, now);
        if let Some(stored) = tx.metrics_deployment(&d.id).await? {
            let differs = [
                ("service", stored.service != row.service),
                ("environment", stored.environment != row.environment),
                ("start time", stored.started_us != row.started_us),
                ("finish time", stored.finished_us != row.finished_us),
                ("status", stored.status != row.status),
                ("commit list", stored.commits != row.commits),
            ]
            .into_iter()
            .filter(|(_, differs)| *differs)
            .map(|(what, _)| what)
            .collect::<Vec<_>>();
            if differs.is_empty() {
                return Ok(Outcome::AlreadyRecorded);
            }
            return Err(RecordError::ConflictingDeployment {
                id: d.id.clone(),
                differs: differs.join(", "),
            });
        }
        tx.metrics_insert_deployment(&row).await?;
        self.ledger
            .append_in(
                tx,
                &[Event {
                    time: now,
                    actor: actor.to_owned(),
                    kind: kind::DEPLOY_RECORDED.to_owned(),
                    subject: d.id.clone(),
                    data: json!({
                        "service": d.service,
                        "environment": d.environment,
                        "started": d.started,
                        "finished": d.finished,
                        "status": d.status,
                        "source": source,
                        "commits": d.commits,
                    }),
                }],
            )
            .await?;
        Ok(Outcome::Recorded)
    }

    /// Records one deployment and its `deploy.recorded` entry, in one transaction.
    pub async fn record_deployment(
        &self,
        d: &Deployment,
        source: Source,
        actor: &str,
        now: Timestamp,
    ) -> Result<(Deployment, Outcome), RecordError> {
        let d = self.check_deployment(d, now)?;
        let mut tx = self.ledger.begin().await?;
        let outcome = self
            .write_deployment(&mut tx, &d, source, actor, now)
            .await?;
        tx.commit().await?;
        Ok((d, outcome))
    }

    /// Records many deployments, [`IMPORT_BATCH`] per transaction. A
    /// deployment the model refuses, or whose id is taken by another, is
    /// counted in [`ImportSummary::refused`] (with its id) and the rest go on;
    /// the store or ledger failing stops the import (batches already
    /// committed stay).
    pub async fn import_deployments(
        &self,
        deployments: &[Deployment],
        source: Source,
        actor: &str,
        now: Timestamp,
    ) -> Result<ImportSummary, RecordError> {
        let mut summary = ImportSummary::default();
        for batch in deployments.chunks(IMPORT_BATCH) {
            let mut tx = self.ledger.begin().await?;
            for d in batch {
                let result = match self.check_deployment(d, now) {
                    Ok(d) => self.write_deployment(&mut tx, &d, source, actor, now).await,
                    Err(e) => Err(e),
                };
                match result {
                    Ok(Outcome::Recorded) => summary.recorded += 1,
                    Ok(Outcome::AlreadyRecorded) => summary.already_recorded += 1,
                    Err(e) if e.is_input() => {
                        summary
                            .refused
                            .note(e.kind(), "not recorded", format!("{}: {e}", d.id));
                    }
                    Err(e) => return Err(e),
                }
            }
            tx.commit().await?;
        }
        Ok(summary)
    }

    /// Opens an incident with its `incident.opened` entry, in one transaction.
    /// Opening the same incident again (same id and content) is
    /// [`Outcome::AlreadyRecorded`].
    pub async fn open_incident(
        &self,
        new: &NewIncident,
        actor: &str,
        now: Timestamp,
    ) -> Result<(Incident, Outcome), RecordError> {
        self.check_service(&new.service)?;
        let scale = &self.index.model().metrics.incident_severities;
        if !scale.iter().any(|s| s == &new.severity) {
            return Err(RecordError::UnknownSeverity {
                severity: new.severity.clone(),
                scale: list(scale.iter()),
            });
        }
        let title = new.title.trim();
        if title.is_empty() {
            return Err(RecordError::Empty("the incident's title"));
        }
        Self::check_not_future("the incident's opening", new.opened, now)?;
        let cause = new.cause.as_deref().map(normalize_sha).transpose()?;
        let id = match &new.id {
            Some(id) if id.trim().is_empty() => return Err(RecordError::Empty("the incident id")),
            Some(id) => id.trim().to_owned(),
            None => incident_id(&new.service, new.opened, title),
        };
        let incident = Incident {
            id: id.clone(),
            service: new.service.clone(),
            severity: new.severity.clone(),
            title: title.to_owned(),
            opened: new.opened,
            resolved: None,
            cause,
            deployment: new.deployment.clone(),
        };
        let mut tx = self.ledger.begin().await?;
        if let Some(dep) = &incident.deployment {
            let Some(stored) = tx.metrics_deployment(dep).await? else {
                return Err(RecordError::NoSuchDeployment(dep.clone()));
            };
            // A deployment that finished after the incident opened did not cause it.
            if stored.finished_us > micros(incident.opened) {
                return Err(RecordError::DeployedAfterOpened {
                    id: id.clone(),
                    opened: incident.opened,
                    deployment: dep.clone(),
                    finished: from_micros(stored.finished_us)
                        .ok_or(RecordError::OutOfRange("the stored deployment's finish"))?,
                });
            }
        }
        let row = incident_row(&incident, actor, None);
        if let Some(stored) = tx.metrics_incident(&id).await? {
            let differs = [
                ("service", stored.service != row.service),
                ("severity", stored.severity != row.severity),
                ("title", stored.title != row.title),
                ("opening time", stored.opened_us != row.opened_us),
                ("cause", stored.cause_sha != row.cause_sha),
                ("deployment", stored.deployment_id != row.deployment_id),
            ]
            .into_iter()
            .filter(|(_, d)| *d)
            .map(|(what, _)| what)
            .collect::<Vec<_>>();
            if differs.is_empty() {
                return Ok((to_incident(&stored)?, Outcome::AlreadyRecorded));
            }
            return Err(RecordError::ConflictingIncident {
                id,
                differs: differs.join(", "),
            });
        }
        tx.metrics_insert_incident(&row).await?;
        self.ledger
            .append_in(
                &mut tx,
                &[Event {
                    time: now,
                    actor: actor.to_owned(),
                    kind: kind::INCIDENT_OPENED.to_owned(),
                    subject: id.clone(),
                    data: json!({
                        "service": incident.service,
                        "severity": incident.severity,
                        "title": incident.title,
                        "opened": incident.opened,
                        "cause": incident.cause,
                        "deployment": incident.deployment,
                    }),
                }],
            )
            .await?;
        tx.commit().await?;
        Ok((incident, Outcome::Recorded))
    }

    /// Resolves incident `id` at `at` with its `incident.resolved` entry, in
    /// one transaction. Refused: an unknown incident, one already resolved,
    /// a time before it was opened or in the future.
    pub async fn resolve_incident(
        &self,
        id: &str,
        at: Timestamp,
        actor: &str,
        now: Timestamp,
    ) -> Result<Incident, RecordError> {
        Self::check_not_future("the resolution", at, now)?;
        let mut tx = self.ledger.begin().await?;
        let stored = tx
            .metrics_incident(id)
            .await?
            .ok_or_else(|| RecordError::NoSuchIncident(id.to_owned()))?;
        let incident = to_incident(&stored)?;
        if let Some(resolved) = incident.resolved {
            return Err(RecordError::AlreadyResolved {
                id: id.to_owned(),
                at: resolved,
                by: stored.resolved_by.unwrap_or_default(),
            });
        }
        if at < incident.opened {
            return Err(RecordError::ResolvedBeforeOpened {
                id: id.to_owned(),
                opened: incident.opened,
                resolved: at,
            });
        }
        if !tx.metrics_resolve_incident(id, micros(at), actor).await? {
            // Checked above in this transaction, which holds the write lock.
            return Err(RecordError::NoSuchIncident(id.to_owned()));
        }
        let minutes = incident.opened.duration_until(at).as_secs_f64() / 60.0;
        self.ledger
            .append_in(
                &mut tx,
                &[Event {
                    time: now,
                    actor: actor.to_owned(),
                    kind: kind::INCIDENT_RESOLVED.to_owned(),
                    subject: id.to_owned(),
                    data: json!({
                        "service": incident.service,
                        "severity": incident.severity,
                        "opened": incident.opened,
                        "resolved": at,
                        "minutes_open": minutes,
                    }),
                }],
            )
            .await?;
        tx.commit().await?;
        Ok(Incident {
            resolved: Some(at),
            ..incident
        })
    }
}

/// A stored incident as the shared type.
pub(crate) fn to_incident(r: &MetricsIncidentRow) -> Result<Incident, RecordError> {
    let at = |us: i64| from_micros(us).ok_or(RecordError::OutOfRange("a stored incident time"));
    Ok(Incident {
        id: r.id.clone(),
        service: r.service.clone(),
        severity: r.severity.clone(),
        title: r.title.clone(),
        opened: at(r.opened_us)?,
        resolved: r.resolved_us.map(at).transpose()?,
        cause: r.cause_sha.clone(),
        deployment: r.deployment_id.clone(),
    })
}

/// A stored deployment as the shared type, or `None` for a status or time
/// this version cannot read.
pub(crate) fn to_deployment(r: &MetricsDeploymentRow) -> Option<Deployment> {
    Some(Deployment {
        id: r.id.clone(),
        service: r.service.clone(),
        environment: r.environment.clone(),
        started: from_micros(r.started_us)?,
        finished: from_micros(r.finished_us)?,
        status: DeployStatus::from_key(&r.status)?,
        commits: r
            .commits
            .iter()
            .map(|(repo, sha)| DeployedCommit {
                repo: repo.clone(),
                sha: sha.clone(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_sha_is_40_or_64_hex_digits() {
        assert!(is_full_sha(&"a".repeat(40)));
        assert!(is_full_sha(&"F".repeat(64)));
        for bad in [
            "",
            "abc1234",
            &"a".repeat(39),
            &"a".repeat(41),
            &"g".repeat(40),
        ] {
            assert!(!is_full_sha(bad), "{bad}");
        }
        assert_eq!(
            normalize_sha(&"AB".repeat(20)).expect("valid"),
            "ab".repeat(20)
        );
    }

    #[test]
    fn ids_depend_on_content_only() {
        let t: Timestamp = "2026-10-01T10:00:00Z".parse().expect("valid");
        let c = |sha: &str| DeployedCommit {
            repo: "acme/api".into(),
            sha: sha.into(),
        };
        let one = deployment_id("api", "prod", t, &[c("a"), c("b")]);
        assert_eq!(one, deployment_id("api", "prod", t, &[c("b"), c("a")]));
        assert_ne!(one, deployment_id("api", "staging", t, &[c("a"), c("b")]));
        assert!(one.starts_with("dep-") && one.len() == 20, "{one}");
        assert_ne!(incident_id("api", t, "down"), incident_id("api", t, "slow"));
    }
}
