//! The benchmark's measured half (`bench/metrics-history.sh` times it
//! against `git log --all`): reads a repository's whole history the way
//! `palisade metrics` does, then measures the DORA keys of deployments made
//! along its first-parent line, and prints what it found.
//!
//! Usage: `history_walk PATH [DEPLOYMENTS]` (default 2000 deployments; 0
//! walks the history only).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::time::Instant;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use palisade_metrics::dora::Shipments;
use palisade_metrics::history::{Histories, History};
use palisade_metrics::input::{DeployStatus, DeployedCommit, Deployment};
use palisade_metrics::measure::Scope;
use palisade_metrics::period::Period;

const MODEL: &str = r#"
[org]
name = "Bench"
timezone = "UTC"
log_name = "bench.example/palisade"

[[teams]]
id = "core"
name = "Core"
kind = "internal"

[[people]]
handle = "dev"
name = "Dev"
email = "gitster@pobox.com"
team = "core"
timezone = "UTC"

[[services]]
id = "git"
repos = ["bench/repo"]
team = "core"
owner = "dev"
risk = "low"

[[environments]]
id = "prod"
production = true
"#;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: history_walk PATH [DEPLOYMENTS]");
        return std::process::ExitCode::from(2);
    };
    let wanted: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let model = match palisade_model::parse(MODEL) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: the benchmark's model: {}", e.message);
            return std::process::ExitCode::from(2);
        }
    };
    let index = palisade_model::Index::new(&model);
    let started = Instant::now();
    let (history, _) = match History::open(Path::new(&path), "bench/repo", &index, &[], &mut |_| {})
    {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let walked = started.elapsed().as_secs_f64();
    println!(
        "{} commits read in {walked:.3} s (shallow: {})",
        history.len(),
        history.is_shallow()
    );
    if wanted == 0 {
        return std::process::ExitCode::SUCCESS;
    }

    // The first-parent line from the newest commit, oldest first.
    let Some(newest) = history
        .commits()
        .max_by_key(|&c| (history.committed(c), history.sha(c)))
    else {
        return std::process::ExitCode::SUCCESS;
    };
    let mut line = vec![newest];
    while let Some(parent) = history
        .commit(line[line.len() - 1])
        .parents
        .first()
        .and_then(|p| history.find(p))
    {
        line.push(parent);
    }
    line.reverse();
    let step = (line.len() / wanted).max(1);
    let deployments: Vec<Deployment> = line
        .iter()
        .step_by(step)
        .enumerate()
        .map(|(n, &c)| {
            let at = Timestamp::from_second(history.committed(c) + 3600)
                .unwrap_or(Timestamp::UNIX_EPOCH);
            Deployment {
                id: format!("d{n}"),
                service: "git".into(),
                environment: "prod".into(),
                started: at,
                finished: at,
                status: DeployStatus::Success,
                commits: vec![DeployedCommit {
                    repo: "bench/repo".into(),
                    sha: history.sha(c),
                }],
            }
        })
        .collect();
    let last = deployments
        .last()
        .map_or(Timestamp::UNIX_EPOCH, |d| d.finished);
    let month = last.to_zoned(TimeZone::UTC).date();
    let mut histories = Histories::default();
    histories.insert(history);
    let shipments = Shipments::compute(&index, &deployments, &[], &histories);
    let period = match Period::month(
        &format!("{:04}-{:02}", month.year(), month.month()),
        &TimeZone::UTC,
    ) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let dora = shipments.dora(&Scope::Org, &period, &TimeZone::UTC);
    let shipped: u64 =
        shipments.commits_shipped(&Scope::Org, Timestamp::UNIX_EPOCH, Timestamp::MAX);
    println!(
        "{} deployments, {shipped} commits shipped, keys of {} measured in {:.3} s in all",
        deployments.len(),
        period.label,
        started.elapsed().as_secs_f64()
    );
    println!(
        "lead time median: {}",
        dora.lead_time
            .value()
            .map_or("no data".to_owned(), |s| format!(
                "{:.0} s",
                s.median_seconds
            ))
    );
    std::process::ExitCode::SUCCESS
}
