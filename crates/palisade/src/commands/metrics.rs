//! `palisade metrics`: the DORA keys and delivery health of a scope over a
//! month, from the store's deployments and incidents, the deployed
//! repositories' histories and GitHub's pulls and reviews JSON.

use std::process::ExitCode;

use palisade_metrics::delivery::{DeliveryInput, delivery_given};
use palisade_metrics::dora::Shipments;
use palisade_metrics::history::Histories;
use palisade_metrics::load::load_range;
use palisade_metrics::measure::Scope;
use palisade_metrics::period::Period;
use palisade_model::Index;
use palisade_store::MetricsDeploymentFilter;

use super::metrics_inputs;
use crate::cli::MetricsArgs;
use crate::output::Output;

pub fn run(args: &MetricsArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let now = super::parse_now(args.now.as_deref())?;
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
    let repos = metrics_inputs::repo_dirs(&index, &args.repo_dirs)?;
    let (pulls, reviews, mut issues) = metrics_inputs::github(&args.pulls, &args.reviews)?;

    // Every deployment up to the month's end: what a deployment shipped is told
    // from the previous one of its service, however long ago that was.
    let loaded = super::runtime()?.block_on(async {
        let store = super::metrics_inputs::open_existing_store(db).await?;
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
        let (history, _) =
            metrics_inputs::read_history(&index, repo, path, &loaded.deployments, out)?;
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
    let reviews_given = metrics_inputs::reviews_named(&args.reviews);
    let health = delivery_given(&index, &scope, &month, input, &reviews_given);
    let to_date = month.is_to_date(&zone).then_some(now);
    super::metrics_print::print(&dora, &health, &issues, &zone, to_date, out)?;
    Ok(ExitCode::SUCCESS)
}
