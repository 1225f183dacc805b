//! `palisade report`: the monthly review of a scope, written as HTML, Markdown or JSON.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use palisade_metrics::facts;
use palisade_metrics::history::Histories;
use palisade_metrics::input::{Commit, DataIssues};
use palisade_metrics::knowledge;
use palisade_metrics::load::load_range;
use palisade_metrics::measure::{Measured, Scope};
use palisade_metrics::period::Period;
use palisade_metrics::render::{self, Format};
use palisade_metrics::review::{self, ReviewInputs};
use palisade_model::Index;
use palisade_store::MetricsDeploymentFilter;

use super::metrics_inputs;
use crate::cli::{ReportArgs, ReportFormat};
use crate::output::Output;

pub fn run(args: &ReportArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let now = super::parse_now(args.now.as_deref())?;
    let format = format(args, out)?;
    let (_, model) = super::check::load_model(&args.model)?;
    let index = Index::new(&model);
    let zone = metrics_inputs::org_zone(&model)?;
    let scope = Scope::resolve(
        &index,
        args.vendor.as_deref(),
        args.team.as_deref(),
        args.service.as_deref(),
    )?;
    let month = Period::month_or_last_full(args.month.as_deref(), &zone, now)?;
    let months = month.months_back(args.months as usize, &zone)?;
    let repos = metrics_inputs::repo_dirs(&index, &args.repo_dirs)?;
    let (pulls, reviews, github_issues) = metrics_inputs::github(&args.pulls, &args.reviews)?;

    let review = super::runtime()?.block_on(async {
        let store = super::metrics_inputs::open_existing_store(db).await?;
        // The readiness scorecard judges now, over an access review cycle and
        // its trend months, as `palisade readiness` does.
        let window = palisade_metrics::readiness::evidence_window(&index, now)?;
        // Every deployment from the start, as `palisade metrics` reads them:
        // what a deployment shipped is told from the previous one of its
        // service, however long ago that was, and a service's first
        // deployment is its real first one.
        let loaded = load_range(
            &store,
            &index,
            0,
            month.end.max(now).as_microsecond(),
            &MetricsDeploymentFilter::default(),
        )
        .await?;
        // Records the model no longer places (a removed service or
        // environment) touch only the organisation, and only the reviewed months.
        let first = months.first().unwrap_or(&month);
        let set_aside = if scope == Scope::Org {
            load_range(
                &store,
                &index,
                first.start.as_microsecond(),
                month.end.as_microsecond(),
                &MetricsDeploymentFilter::default(),
            )
            .await?
            .issues
        } else {
            DataIssues::default()
        };
        let readiness_facts = facts::read(&store, &index, &window, now).await?;
        let readiness_deployments: Vec<_> = loaded
            .deployments
            .iter()
            .filter(|d| window.contains(d.finished))
            .cloned()
            .collect();
        let mut monthly_facts = Vec::with_capacity(months.len());
        for m in &months {
            monthly_facts.push(facts::read(&store, &index, m, now).await?);
        }

        // The histories of the deployed repositories given with --repo-dir.
        let mut histories = Histories::default();
        let mut commits: Vec<Commit> = Vec::new();
        // The month's figures add the issues of their own scope and month
        // (unknown commits among them).
        let mut issues = set_aside;
        issues.merge(github_issues);
        for (repo, path) in &repos {
            let (history, _) =
                metrics_inputs::read_history(&index, repo, path, &loaded.deployments, out)?;
            commits.extend(history.commits().map(|c| history.commit(c)));
            histories.insert(history);
        }
        let runbooks = if repos.is_empty() {
            Measured::NoData("no repository was given (--repo-dir OWNER/NAME=PATH)".to_owned())
        } else {
            Measured::Value(knowledge::runbooks(&index, &repos, None, now)?)
        };

        let reviews_given = metrics_inputs::reviews_named(&args.reviews);
        let inputs = ReviewInputs {
            index: &index,
            zone: &zone,
            deployments: &loaded.deployments,
            incidents: &loaded.incidents,
            commits: &commits,
            histories: &histories,
            pulls: pulls.as_deref(),
            reviews: reviews.as_deref(),
            reviews_given: &reviews_given,
            facts: &monthly_facts,
            readiness_facts: &readiness_facts,
            readiness_deployments: &readiness_deployments,
            runbooks: &runbooks,
            issues: &issues,
            now,
        };
        anyhow::Ok(review::assemble(&inputs, &scope, &months))
    })?;

    let text = render::render(&review, format)?;
    if args.output == Path::new("-") {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
    } else {
        std::fs::write(&args.output, &text)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        if !out.json() {
            out.line(format!(
                "wrote the {} review of {}, {} to {}",
                match format {
                    Format::Html => "HTML",
                    Format::Markdown => "Markdown",
                    Format::Json => "JSON",
                },
                review.scope,
                review.month,
                args.output.display()
            ))?;
        } else {
            out.print_json(&serde_json::json!({
                "written": args.output.display().to_string(),
                "scope": review.scope,
                "month": review.month,
            }))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The format: `--as`, else the output's extension, else JSON with
/// `--format json`, else Markdown on standard output.
fn format(args: &ReportArgs, out: &Output) -> anyhow::Result<Format> {
    if let Some(f) = args.as_format {
        return Ok(match f {
            ReportFormat::Html => Format::Html,
            ReportFormat::Markdown => Format::Markdown,
            ReportFormat::Json => Format::Json,
        });
    }
    if args.output == Path::new("-") {
        return Ok(if out.json() {
            Format::Json
        } else {
            Format::Markdown
        });
    }
    Format::from_path(&args.output).with_context(|| {
        format!(
            "cannot tell the format of {} from its extension; name it .html, .md or .json, or say --as html|markdown|json",
            args.output.display()
        )
    })
}
