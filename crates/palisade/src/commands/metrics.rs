//! `palisade metrics`: the DORA keys and delivery health of a scope over a
//! month, from the store's deployments and incidents, the deployed
//! repositories' histories and GitHub's pulls and reviews JSON.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use jiff::ToSpan as _;
use jiff::tz::TimeZone;
use palisade_metrics::delivery::{DeliveryInput, delivery};
use palisade_metrics::dora::Shipments;
use palisade_metrics::github;
use palisade_metrics::history::{Histories, History};
use palisade_metrics::input::{DataIssues, Deployment, PullRequest, Review};
use palisade_metrics::load::load_range;
use palisade_metrics::measure::Scope;
use palisade_metrics::period::Period;
use palisade_model::{Index, Model};
use palisade_store::{MetricsDeploymentFilter, Store};

use crate::cli::MetricsArgs;
use crate::output::Output;

pub fn run(args: &MetricsArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let now = super::parse_now(args.now.as_deref())?;
    let (_, model) = super::check::load_model(&args.model)?;
    let index = Index::new(&model);
    let zone = TimeZone::get(&model.org.timezone).with_context(|| {
        format!(
            "the model's org.timezone `{}` is not an IANA time zone",
            model.org.timezone
        )
    })?;
    let scope = scope(args, &model, &index)?;
    let month = match &args.month {
        Some(m) => Period::month(m, &zone)?,
        None => {
            let first = now.to_zoned(zone.clone()).date().first_of_month();
            let last = first.checked_sub(1.month())?;
            Period::month(&format!("{:04}-{:02}", last.year(), last.month()), &zone)?
        }
    };
    let repos = repo_dirs(&args.repo_dirs)?;
    let (pulls, reviews, mut issues) = github_input(args)?;

    // Every deployment up to the month's end: what a deployment shipped is told
    // from the previous one of its service, however long ago that was.
    let loaded = super::runtime()?.block_on(async {
        let store = Store::open(db).await?;
        let loaded = load_range(
            &store,
            &index,
            0,
            month.end.as_microsecond(),
            &MetricsDeploymentFilter::default(),
        )
        .await?;
        anyhow::Ok(loaded)
    })?;
    issues.merge(loaded.issues.clone());

    let mut histories = Histories::default();
    for (repo, path) in &repos {
        let history = read_history(&index, repo, path, &loaded.deployments, out)?;
        histories.insert(history);
    }
    let shipments = Shipments::compute(&index, &loaded.deployments, &loaded.incidents, &histories);
    let dora = shipments.dora(&scope, &month, &zone);
    let input = DeliveryInput {
        pulls: pulls.as_deref(),
        reviews: reviews.as_deref(),
        histories: &histories,
        shipments: &shipments,
    };
    let health = delivery(&index, &scope, &month, input);
    super::metrics_print::print(&dora, &health, &issues, &zone, out)?;
    Ok(ExitCode::SUCCESS)
}

/// The scope the flags name, checked against the model.
fn scope(args: &MetricsArgs, model: &Model, index: &Index<'_>) -> anyhow::Result<Scope> {
    let known = |ids: Vec<&str>| {
        if ids.is_empty() {
            "(none)".to_owned()
        } else {
            ids.join(", ")
        }
    };
    if let Some(v) = &args.vendor {
        if index.vendor_by_id(v).is_none() {
            bail!(
                "unknown vendor `{v}`; the model's vendors are: {}",
                known(model.vendors.iter().map(|v| v.id.as_str()).collect())
            );
        }
        return Ok(Scope::Vendor(v.clone()));
    }
    if let Some(t) = &args.team {
        if index.team_by_id(t).is_none() {
            bail!(
                "unknown team `{t}`; the model's teams are: {}",
                known(model.teams.iter().map(|t| t.id.as_str()).collect())
            );
        }
        return Ok(Scope::Team(t.clone()));
    }
    if let Some(s) = &args.service {
        if index.service_by_id(s).is_none() {
            bail!(
                "unknown service `{s}`; the model's services are: {}",
                known(model.services.iter().map(|s| s.id.as_str()).collect())
            );
        }
        return Ok(Scope::Service(s.clone()));
    }
    Ok(Scope::Org)
}

/// `--repo-dir OWNER/NAME=PATH`, paths relative to the working directory.
fn repo_dirs(given: &[String]) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    for g in given {
        let Some((repo, path)) = g.split_once('=') else {
            bail!(
                "--repo-dir `{g}` is not OWNER/NAME=PATH, e.g. --repo-dir acme/payments=../payments"
            );
        };
        if !repo.contains('/') {
            bail!("--repo-dir `{g}`: name the repository as OWNER/NAME, e.g. acme/payments");
        }
        out.insert(repo.to_owned(), PathBuf::from(path));
    }
    Ok(out)
}

/// Reads one repository's history, with a progress line on stderr when it is a terminal.
fn read_history(
    index: &Index<'_>,
    repo: &str,
    path: &Path,
    deployments: &[Deployment],
    out: &Output,
) -> anyhow::Result<History> {
    let heads: Vec<&str> = deployments
        .iter()
        .flat_map(|d| &d.commits)
        .filter(|c| c.repo.eq_ignore_ascii_case(repo))
        .map(|c| c.sha.as_str())
        .collect();
    let bar = (!out.json() && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_message(format!("reading the history of {repo}"));
        bar
    });
    let mut progress = |read: u64| {
        if let Some(bar) = &bar {
            bar.set_message(format!("reading the history of {repo}: {read} commits"));
            bar.tick();
        }
    };
    let result = History::open(path, repo, index, &heads, &mut progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let (history, _) =
        result.with_context(|| format!("reading the history of {repo} at {}", path.display()))?;
    Ok(history)
}

/// The pull requests and reviews of `--pulls` and `--reviews`, `None` when none were given.
type GithubInput = (Option<Vec<PullRequest>>, Option<Vec<Review>>, DataIssues);

fn github_input(args: &MetricsArgs) -> anyhow::Result<GithubInput> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let mut issues = DataIssues::default();
    let pulls = if args.pulls.is_empty() {
        None
    } else {
        let mut all = Vec::new();
        for given in &args.pulls {
            let (repo, path) = match given.split_once('=') {
                Some((repo, file)) if repo.contains('/') => (Some(repo), PathBuf::from(file)),
                _ => (None, PathBuf::from(given)),
            };
            let name = path.display().to_string();
            all.extend(github::parse_pulls(&name, &read(&path)?, repo)?);
        }
        Some(all)
    };
    let reviews = if args.reviews.is_empty() {
        None
    } else {
        let mut all = Vec::new();
        for given in &args.reviews {
            let (pull, path) = match given.split_once('=') {
                Some((pull, file)) if pull.contains('#') => {
                    let (repo, number) = pull.split_once('#').unwrap_or((pull, ""));
                    let number: u64 = number.parse().with_context(|| {
                        format!(
                            "--reviews `{given}`: write the pull request as OWNER/NAME#NUMBER=FILE"
                        )
                    })?;
                    (Some((repo, number)), PathBuf::from(file))
                }
                _ => (None, PathBuf::from(given)),
            };
            let name = path.display().to_string();
            let (list, more) = github::parse_reviews(&name, &read(&path)?, pull)?;
            all.extend(list);
            issues.merge(more);
        }
        Some(all)
    };
    Ok((pulls, reviews, issues))
}
