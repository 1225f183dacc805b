//! The inputs `palisade metrics`, `report` and `readiness` take on the
//! command line alike: clones of the model's repositories (`--repo-dir`),
//! their histories read with a progress line, and GitHub's pulls and reviews
//! JSON (`--pulls`, `--reviews`).

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use palisade_metrics::github;
use palisade_metrics::history::{HeadReport, History};
use palisade_metrics::input::{DataIssues, Deployment, PullRequest, Review};
use palisade_model::Index;
use palisade_store::Store;

use crate::output::Output;

/// `--repo-dir OWNER/NAME=PATH`, paths relative to the working directory.
/// Each names a repository the model's services name, once: a mistyped or
/// repeated one is refused rather than read as a repository with no history.
pub(super) fn repo_dirs(
    index: &Index<'_>,
    given: &[String],
) -> anyhow::Result<HashMap<String, PathBuf>> {
    let mut known: Vec<&str> = index
        .model()
        .services
        .iter()
        .flat_map(|s| s.repos.iter().map(String::as_str))
        .collect();
    known.sort_by_key(|r| r.to_ascii_lowercase());
    known.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let mut out: HashMap<String, PathBuf> = HashMap::new();
    for g in given {
        let Some((repo, path)) = g.split_once('=') else {
            bail!(
                "--repo-dir `{g}` is not OWNER/NAME=PATH, e.g. --repo-dir acme/payments=../payments"
            );
        };
        if !repo.contains('/') {
            bail!("--repo-dir `{g}`: name the repository as OWNER/NAME, e.g. acme/payments");
        }
        let Some(&name) = known.iter().find(|k| k.eq_ignore_ascii_case(repo)) else {
            bail!(
                "--repo-dir `{g}`: the model has no repository {repo}; its services name {}",
                if known.is_empty() {
                    "none (add `repos = [\"OWNER/NAME\"]` to the services in the model)".to_owned()
                } else {
                    known.join(", ")
                }
            );
        };
        if let Some(before) = out.get(name) {
            bail!(
                "--repo-dir names {name} twice ({} and {path}): give each repository once",
                before.display()
            );
        }
        out.insert(name.to_owned(), PathBuf::from(path));
    }
    Ok(out)
}

/// The pull requests `--reviews OWNER/NAME#NUMBER=FILE` names: their reviews
/// were given, even when the file holds none.
pub(super) fn reviews_named(reviews: &[String]) -> Vec<(String, u64)> {
    reviews
        .iter()
        .filter_map(|given| {
            let (pull, _) = given.split_once('=')?;
            let (repo, number) = pull.split_once('#')?;
            Some((repo.to_owned(), number.parse().ok()?))
        })
        .collect()
}

/// The organisation's time zone, in which months are read.
pub(super) fn org_zone(model: &palisade_model::Model) -> anyhow::Result<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(&model.org.timezone).with_context(|| {
        format!(
            "the model's org.timezone `{}` is not an IANA time zone",
            model.org.timezone
        )
    })
}

/// Opens the store a reading command measures. It never creates one: a
/// mistyped `--db` must not be measured as an organisation with nothing
/// recorded.
pub(super) async fn open_existing_store(db: &str) -> anyhow::Result<Store> {
    let is_postgres = db.starts_with("postgres://") || db.starts_with("postgresql://");
    if !is_postgres {
        let path = db
            .strip_prefix("sqlite://")
            .or_else(|| db.strip_prefix("sqlite:"))
            .unwrap_or(db);
        if !Path::new(path).exists() {
            bail!(
                "no store at {db}: record deployments and incidents first (palisade deploy record, \
                 palisade incident open), or point --db (or PALISADE_DB) at the store that holds them"
            );
        }
    }
    Ok(Store::open(db).await?)
}

/// Reads one repository's history from the commits the deployments name,
/// with a progress line on stderr when it is a terminal and `out` is for people.
pub(super) fn read_history(
    index: &Index<'_>,
    repo: &str,
    path: &Path,
    deployments: &[Deployment],
    out: &Output,
) -> anyhow::Result<(History, HeadReport)> {
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
    result.with_context(|| format!("reading the history of {repo} at {}", path.display()))
}

/// The pull requests and reviews of `--pulls` and `--reviews`, `None` when none were given.
pub(super) type GithubInput = (Option<Vec<PullRequest>>, Option<Vec<Review>>, DataIssues);

/// Reads `--pulls [OWNER/NAME=]FILE` and `--reviews [OWNER/NAME#NUMBER=]FILE`.
pub(super) fn github(pulls: &[String], reviews: &[String]) -> anyhow::Result<GithubInput> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let mut issues = DataIssues::default();
    let pulls = if pulls.is_empty() {
        None
    } else {
        let mut all = Vec::new();
        for given in pulls {
            let (repo, path) = match given.split_once('=') {
                Some((repo, file)) if repo.contains('/') => (Some(repo), PathBuf::from(file)),
                _ => (None, PathBuf::from(given)),
            };
            let name = path.display().to_string();
            all.extend(github::parse_pulls(&name, &read(&path)?, repo)?);
        }
        Some(all)
    };
    let reviews = if reviews.is_empty() {
        None
    } else {
        let mut all = Vec::new();
        for given in reviews {
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
