//! One module per subcommand; each returns the exit code it earned.

mod access;
mod access_credential;
mod access_review;
mod alerts;
mod check;
mod db;
mod gate;
mod init;
mod ledger;
mod monitor;
mod monitor_follow;
mod offboard;
mod owners;
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
    }
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
