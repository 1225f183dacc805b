//! `palisade readiness`: the control checklist per vendor, from the model,
//! the store's deployments, incidents and ledger, the repositories' runbooks,
//! and the CODEOWNERS check and access drift of the gate.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use jiff::tz::TimeZone;
use palisade_metrics::dora::Shipments;
use palisade_metrics::facts;
use palisade_metrics::facts::LedgerFacts;
use palisade_metrics::history::{Histories, History};
use palisade_metrics::input::DataIssues;
use palisade_metrics::knowledge;
use palisade_metrics::load::load_range;
use palisade_metrics::measure::{Measured, Scope};
use palisade_metrics::period::Period;
use palisade_metrics::readiness::{
    self, OwnershipEvidence, ReadinessInputs, Scorecard, TrendPoint, scorecard,
};
use palisade_model::{Day, Index};
use palisade_store::MetricsDeploymentFilter;

use super::metrics_inputs::repo_dirs;
use super::readiness_evidence::{codeowners_evidence, permissions_evidence};
use crate::cli::ReadinessArgs;
use crate::output::Output;

pub fn run(args: &ReadinessArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let now = super::parse_now(args.now.as_deref())?;
    let (_, model) = super::check::load_model(&args.model)?;
    let index = Index::new(&model);
    let zone = super::metrics_inputs::org_zone(&model)?;
    if let Some(v) = &args.vendor
        && index.vendor_by_id(v).is_none()
    {
        let known: Vec<&str> = model.vendors.iter().map(|v| v.id.as_str()).collect();
        bail!(
            "unknown vendor `{v}`; the model's vendors are: {}",
            if known.is_empty() {
                "(none)".to_owned()
            } else {
                known.join(", ")
            }
        );
    }
    let repos = repo_dirs(&index, &args.repo_dirs)?;
    let codeowners = args
        .codeowners
        .as_deref()
        .map(|f| codeowners_evidence(&index, f, &repos))
        .transpose()?;
    let permissions = args
        .permissions
        .as_deref()
        .map(|f| permissions_evidence(&index, f, args.permissions_repo.as_deref(), &args.model))
        .transpose()?;
    let mut scopes = Vec::new();
    match &args.vendor {
        Some(v) => scopes.push(Scope::Vendor(v.clone())),
        None => {
            scopes.push(Scope::Org);
            scopes.extend(model.vendors.iter().map(|v| Scope::Vendor(v.id.clone())));
        }
    }
    let given = Given {
        repos: &repos,
        codeowners: codeowners.as_ref(),
        permissions: permissions.as_ref(),
    };
    let e = evaluate(db, &index, &zone, now, &scopes, &given)?;
    super::readiness_print::print(&e.cards, &e.window, &e.facts, &e.issues, now, out)?;
    Ok(if e.cards.iter().all(|c| c.ready) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The evidence given on the command line.
pub(crate) struct Given<'a> {
    /// Clones of the model's repositories.
    pub repos: &'a HashMap<String, PathBuf>,
    /// The CODEOWNERS check, if a file was given.
    pub codeowners: Option<&'a OwnershipEvidence>,
    /// The access drift, if an export was given.
    pub permissions: Option<&'a OwnershipEvidence>,
}

/// The scorecards of `scopes` and what they were judged on.
pub(crate) struct Evaluated {
    /// One per scope, in order.
    pub cards: Vec<Scorecard>,
    /// The window the ledger and deployments were read over.
    pub window: Period,
    /// What the ledger held in it.
    pub facts: LedgerFacts,
    /// Recorded inputs set aside.
    pub issues: DataIssues,
}

/// Reads the store's deployments, incidents and ledger over the evidence
/// window, the clones' runbooks and the trend of each scope, and judges every
/// control. Starts its own runtime: call it outside one.
pub(crate) fn evaluate(
    db: &str,
    index: &Index<'_>,
    zone: &TimeZone,
    now: jiff::Timestamp,
    scopes: &[Scope],
    given: &Given<'_>,
) -> anyhow::Result<Evaluated> {
    let today = Day(now.to_zoned(zone.clone()).date());

    let window = readiness::evidence_window(index, now)?;
    // The trend is judged over the policy's months, as the monthly review judges it.
    let months = readiness::trend_months(index, now, zone)?;

    let (facts, loaded, histories) = super::runtime()?.block_on(async {
        let store = super::metrics_inputs::open_existing_store(db).await?;
        let facts = facts::read(&store, index, &window, now).await?;
        // Every deployment from the start, as `palisade metrics` reads them: what
        // a deployment shipped is told from the previous one of its service.
        let loaded = load_range(
            &store,
            index,
            0,
            now.as_microsecond(),
            &MetricsDeploymentFilter::default(),
        )
        .await?;
        anyhow::Ok((facts, loaded, Histories::default()))
    })?;
    let histories = read_histories(index, given.repos, &loaded.deployments, histories)?;
    let runbooks = if given.repos.is_empty() {
        Measured::NoData("no repository was given (--repo-dir OWNER/NAME=PATH)".to_owned())
    } else {
        Measured::Value(knowledge::runbooks(index, given.repos, None, now)?)
    };

    let shipments = Shipments::compute(index, &loaded.deployments, &loaded.incidents, &histories);
    let trends: BTreeMap<Scope, Vec<TrendPoint>> = scopes
        .iter()
        .map(|scope| {
            let points =
                readiness::trend_points(index, &shipments, &loaded.incidents, scope, &months, zone);
            (scope.clone(), points)
        })
        .collect();
    let deployments: Vec<_> = loaded
        .deployments
        .iter()
        .filter(|d| window.contains(d.finished))
        .cloned()
        .collect();
    let inputs = ReadinessInputs {
        index,
        today,
        now,
        codeowners: given.codeowners,
        permissions: given.permissions,
        deployments: &deployments,
        facts: &facts,
        runbooks: &runbooks,
        trends: &trends,
    };
    let cards = scopes.iter().map(|s| scorecard(&inputs, s)).collect();
    Ok(Evaluated {
        cards,
        window,
        facts,
        issues: loaded.issues,
    })
}

/// The histories of the given repositories, for linking incidents to the
/// deployments that shipped their cause.
fn read_histories(
    index: &Index<'_>,
    repos: &HashMap<String, PathBuf>,
    deployments: &[palisade_metrics::input::Deployment],
    mut histories: Histories,
) -> anyhow::Result<Histories> {
    for (repo, path) in repos {
        let heads: Vec<&str> = deployments
            .iter()
            .flat_map(|d| &d.commits)
            .filter(|c| c.repo.eq_ignore_ascii_case(repo))
            .map(|c| c.sha.as_str())
            .collect();
        let (history, _) = History::open(path, repo, index, &heads, &mut |_| {})
            .with_context(|| format!("reading the history of {repo} at {}", path.display()))?;
        histories.insert(history);
    }
    Ok(histories)
}
