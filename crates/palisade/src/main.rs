//! The `palisade` command: a thin layer of argument parsing, wiring and
//! output formatting over the `palisade-*` library crates.
//!
//! Exit codes are a contract: 0 clean, 1 findings (errors in the model, a
//! failed gate, a denied request), 2 the command could not run.

mod cli;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

// Parsing a large model is allocation-heavy; mimalloc makes it markedly faster.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let out = output::Output::new(cli.global.format, cli.global.color);
    match commands::run(cli, &out) {
        Ok(code) => code,
        Err(err) => {
            out.error(&err);
            ExitCode::from(2)
        }
    }
}
