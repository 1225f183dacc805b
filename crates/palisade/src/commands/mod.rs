//! One module per subcommand; each returns the exit code it earned.

mod access;
mod access_credential;
mod access_review;
mod access_review_print;
mod access_setup;
mod access_show;
mod alerts;
mod check;
mod db;
mod deploy;
mod gate;
mod incident;
mod init;
mod ledger;
mod metrics;
mod metrics_inputs;
mod metrics_print;
mod model_file;
mod monitor;
mod monitor_follow;
mod offboard;
mod offboard_print;
mod owners;
mod readiness;
mod readiness_evidence;
mod readiness_print;
mod report;
mod scan;
mod who;

use std::process::ExitCode;

use anyhow::Context as _;
use palisade_model::Day;

use crate::cli::{Cli, Command};
use crate::output::Output;
use clap::ValueEnum as _;

pub fn run(cli: Cli, out: &Output) -> anyhow::Result<ExitCode> {
    if cli.global.format.scan_only() && !matches!(cli.command, Command::Scan(_)) {
        anyhow::bail!(
            "--format {} is a report format of `palisade scan` only; this command writes `human` or `json`",
            cli.global
                .format
                .to_possible_value()
                .map_or_else(String::new, |v| v.get_name().to_owned())
        );
    }
    match cli.command {
        Command::Check(args) => check::run(&args, &cli.global.db, out),
        Command::Init(args) => init::run(&args, out),
        Command::Who(args) => who::run(&args, out),
        Command::Schema => {
            out.print_json(&palisade_model::json_schema())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply(args) => db::apply(&args, &cli.global.db, out),
        Command::Db(cmd) => db::run(&cmd, &cli.global.db, out),
        Command::Ledger(args) => ledger::run(&args, &cli.global.db, out),
        Command::Owners(args) => owners::run(&args, out),
        Command::Scan(args) => scan::run(&args, &cli.global.db, out),
        Command::Gate(args) => gate::run(&args, &cli.global.db, out),
        Command::Access(args) => access::run(&args, &cli.global.db, out),
        Command::Offboard(args) => offboard::run(&args, &cli.global.db, out),
        Command::Monitor(args) => monitor::run(&args, &cli.global.db, out),
        Command::Alerts(args) => alerts::run(&args, &cli.global.db, out),
        Command::Deploy(args) => deploy::run(&args, &cli.global.db, out),
        Command::Incident(args) => incident::run(&args, &cli.global.db, out),
        Command::Metrics(args) => metrics::run(&args, &cli.global.db, out),
        Command::Report(args) => report::run(&args, &cli.global.db, out),
        Command::Readiness(args) => readiness::run(&args, &cli.global.db, out),
    }
}

/// The handle of the person `--as` names (a handle, login or e-mail of the
/// model). The CLI trusts its operator; the server authenticates.
pub fn acting(index: &palisade_model::Index<'_>, given: Option<&str>) -> anyhow::Result<String> {
    let given = given.context("say who is acting with --as HANDLE (or PALISADE_ACTOR)")?;
    let (p, _) = index.find_person(given).with_context(|| {
        format!("`{given}` is no one in the model; --as takes a handle, login or e-mail")
    })?;
    Ok(index.person(p).handle.clone())
}

/// The credential issuers the stored secrets allow, opened with `key`
/// (none without it).
pub async fn issuers(
    ledger: &palisade_ledger::ledger::Ledger,
    index: &palisade_model::Index<'_>,
    key: Option<&palisade_access::secrets::Key>,
    model_dir: &std::path::Path,
) -> anyhow::Result<palisade_access::credentials::Issuers> {
    Ok(match key {
        Some(k) => {
            palisade_access::keyring::Keyring::new(ledger, k)
                .issuers(index, model_dir)
                .await?
        }
        None => palisade_access::credentials::Issuers::new(),
    })
}

/// The moment to act as of: `--now` (RFC 3339), or now.
pub fn parse_now(arg: Option<&str>) -> anyhow::Result<jiff::Timestamp> {
    match arg {
        Some(t) => t.parse::<jiff::Timestamp>().with_context(|| {
            format!("invalid --now `{t}`; write it as RFC 3339, e.g. 2026-12-07T09:30:00Z")
        }),
        None => Ok(jiff::Timestamp::now()),
    }
}

/// The day to judge dates against: `--today`, or today in the local zone.
pub fn today(arg: Option<&str>) -> anyhow::Result<Day> {
    match arg {
        Some(text) => text
            .parse::<Day>()
            .map_err(anyhow::Error::msg)
            .context("invalid --today"),
        None => Ok(Day(jiff::Zoned::now().date())),
    }
}

/// A tokio runtime for commands that talk to the store.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
