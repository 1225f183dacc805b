//! `palisade deploy record | import | list`: the deployments the metrics
//! count, each recorded with its ledger entry by palisade-metrics.

use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use palisade_ledger::ledger::Ledger;
use palisade_metrics::devlake::{self, GitServices, ParseOptions};
use palisade_metrics::input::{DeployStatus, DeployedCommit, Deployment};
use palisade_metrics::record::{self, Outcome, Recorder, Source};
use palisade_model::Index;
use palisade_store::{MetricsDeploymentFilter, MetricsDeploymentRow, Store};
use serde_json::{Value, json};

use crate::cli::{DeployArgs, DeployCommand, StatusArg};
use crate::output::Output;

/// A time given to `flag`, in RFC 3339.
pub fn parse_time(flag: &str, text: &str) -> anyhow::Result<jiff::Timestamp> {
    text.parse().with_context(|| {
        format!("invalid {flag} `{text}`; write it as RFC 3339, e.g. 2026-10-05T10:04:00Z")
    })
}

fn deployment_json(d: &Deployment) -> Value {
    json!({
        "id": d.id,
        "service": d.service,
        "environment": d.environment,
        "started": d.started.to_string(),
        "finished": d.finished.to_string(),
        "status": d.status.key(),
        "commits": d.commits,
    })
}

fn row_json(r: &MetricsDeploymentRow) -> Value {
    let at = |us: i64| {
        jiff::Timestamp::from_microsecond(us).map_or_else(|_| us.to_string(), |t| t.to_string())
    };
    json!({
        "id": r.id,
        "service": r.service,
        "environment": r.environment,
        "started": at(r.started_us),
        "finished": at(r.finished_us),
        "status": r.status,
        "source": r.source,
        "recorded": at(r.recorded_us),
        "recorded_by": r.recorded_by,
        "commits": r.commits.iter().map(|(repo, sha)| json!({"repo": repo, "sha": sha})).collect::<Vec<_>>(),
    })
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

pub fn run(args: &DeployArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let now = super::parse_now(args.now.as_deref())?;
    let (_, model) = super::check::load_model(&args.model)?;
    let index = Index::new(&model);
    let actor = || super::acting(&index, args.actor.as_deref());
    super::runtime()?.block_on(async {
        let store = Store::open(db).await?;
        let ledger = Ledger::new(store, model.org.log_name.clone());
        let recorder = Recorder::new(&ledger, &index);
        match &args.command {
            DeployCommand::Record {
                service,
                env,
                sha,
                repo,
                status,
                time,
                started,
                id,
            } => {
                let actor = actor()?;
                let finished = match time {
                    Some(t) => parse_time("--time", t)?,
                    None => now,
                };
                let started = match started {
                    Some(t) => parse_time("--started", t)?,
                    None => finished,
                };
                let repo = match repo {
                    Some(r) => r.clone(),
                    None => service_repo(&index, service)?,
                };
                let commits = vec![DeployedCommit {
                    repo,
                    sha: record::normalize_sha(sha)?,
                }];
                let deployment = Deployment {
                    id: id.clone().unwrap_or_else(|| {
                        record::deployment_id(service, env, finished, &commits)
                    }),
                    service: service.clone(),
                    environment: env.clone(),
                    started,
                    finished,
                    status: match status {
                        StatusArg::Success => DeployStatus::Success,
                        StatusArg::Failure => DeployStatus::Failure,
                    },
                    commits,
                };
                let (d, outcome) = recorder
                    .record_deployment(&deployment, Source::Command, &actor, now)
                    .await?;
                if out.json() {
                    let mut v = deployment_json(&d);
                    v["outcome"] = serde_json::to_value(outcome)?;
                    out.print_json(&v)?;
                } else {
                    let what = match outcome {
                        Outcome::Recorded => "recorded",
                        Outcome::AlreadyRecorded => "already recorded",
                    };
                    out.line(format!(
                        "{what}: deployment {} of {} to {} at {} ({}, {}@{})",
                        d.id,
                        d.service,
                        d.environment,
                        d.finished,
                        d.status.key(),
                        d.commits[0].repo,
                        short(&d.commits[0].sha)
                    ))?;
                }
                Ok(ExitCode::SUCCESS)
            }
            DeployCommand::Import {
                file,
                repo_dirs,
                model_repo,
                env,
            } => {
                let actor = actor()?;
                let mut services = GitServices::new(&index);
                if let Some(m) = model_repo {
                    services = services.model_repo(m);
                }
                for spec in repo_dirs {
                    let (repo, path) = spec.split_once('=').with_context(|| {
                        format!("--repo-dir `{spec}` is not OWNER/NAME=PATH, e.g. acme/payments=../payments")
                    })?;
                    services.add_clone(repo.trim(), Path::new(path.trim()))?;
                }
                let reader: Box<dyn BufRead> = if file == "-" {
                    Box::new(std::io::stdin().lock())
                } else {
                    Box::new(std::io::BufReader::new(
                        std::fs::File::open(file).with_context(|| format!("cannot read {file}"))?,
                    ))
                };
                let options = ParseOptions {
                    environment: env.clone(),
                };
                let parsed = devlake::parse(reader, &index, &mut services, &options)
                    .with_context(|| format!("cannot read {file}"))?;
                let summary = recorder
                    .import_deployments(&parsed.deployments, Source::Devlake, &actor, now)
                    .await?;
                let refused: u64 = summary.refused.kinds.iter().map(|k| k.count).sum();
                if out.json() {
                    out.print_json(&json!({
                        "lines": parsed.lines,
                        "blank": parsed.blank,
                        "accepted_lines": parsed.accepted,
                        "deployments": parsed.deployments.len(),
                        "recorded": summary.recorded,
                        "already_recorded": summary.already_recorded,
                        "problems": parsed.problems,
                        "refused": summary.refused,
                    }))?;
                } else {
                    for p in &parsed.problems {
                        out.line(format!("{file}:{}: {}: {}", p.line, p.kind, p.message))?;
                    }
                    for k in &summary.refused.kinds {
                        out.line(format!("refused ({}, {}):", k.kind, k.count))?;
                        for e in &k.examples {
                            out.line(format!("  {e}"))?;
                        }
                    }
                    out.line(format!(
                        "{} line(s): {} deployment(s) recorded, {} already recorded, {} refused, {} line(s) with problems",
                        parsed.lines - parsed.blank,
                        summary.recorded,
                        summary.already_recorded,
                        refused,
                        parsed.problems.len()
                    ))?;
                }
                Ok(if parsed.problems.is_empty() && refused == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            }
            DeployCommand::List {
                service,
                env,
                since,
                until,
            } => {
                if let Some(s) = service
                    && index.service_by_id(s).is_none()
                {
                    let known: Vec<&str> =
                        model.services.iter().map(|s| s.id.as_str()).collect();
                    bail!(
                        "unknown service `{s}`: the model's services are {}; fix the name, or leave --service out to list every deployment",
                        if known.is_empty() {
                            "(none)".to_owned()
                        } else {
                            known.join(", ")
                        }
                    );
                }
                let since = since
                    .as_deref()
                    .map(|t| parse_time("--since", t))
                    .transpose()?
                    .map_or(i64::MIN, |t| t.as_microsecond());
                let until = until
                    .as_deref()
                    .map(|t| parse_time("--until", t))
                    .transpose()?
                    .map_or(i64::MAX, |t| t.as_microsecond());
                let rows = ledger
                    .store()
                    .metrics_deployments_finished(
                        since,
                        until,
                        &MetricsDeploymentFilter {
                            service: service.clone(),
                            environment: env.clone(),
                        },
                    )
                    .await?;
                if out.json() {
                    out.print_json(&Value::Array(rows.iter().map(row_json).collect()))?;
                } else if rows.is_empty() {
                    out.line("no deployments")?;
                } else {
                    for r in &rows {
                        let v = row_json(r);
                        let commits: Vec<String> = r
                            .commits
                            .iter()
                            .map(|(repo, sha)| format!("{repo}@{}", short(sha)))
                            .collect();
                        out.line(format!(
                            "{}  {}  {:<16} {:<10} {:<8} {}",
                            r.id,
                            v["finished"].as_str().unwrap_or(""),
                            r.service,
                            r.environment,
                            r.status,
                            commits.join(" ")
                        ))?;
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// The repository of a service's commits when the command names none: its only one.
fn service_repo(index: &Index<'_>, service: &str) -> anyhow::Result<String> {
    let Some(id) = index.service_by_id(service) else {
        // The recorder says which services there are.
        return Ok(String::new());
    };
    match index.service(id).repos.as_slice() {
        [only] => Ok(only.clone()),
        [] => bail!(
            "service `{service}` lists no `repos` (it lives in the model's repository): name the commit's repository with --repo owner/name"
        ),
        several => bail!(
            "service `{service}` lives in {} repositories ({}): say which one the commit is in with --repo",
            several.len(),
            several.join(", ")
        ),
    }
}
