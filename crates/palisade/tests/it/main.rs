//! End-to-end tests of the `palisade` binary: output snapshots, exit codes,
//! and the store commands on a real SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod access_crash;
mod access_review;
mod check;
mod deploy;
mod gate;
mod init;
mod interop_go;
mod ledger;
mod ledger_tiles;
mod metrics;
mod monitor;
mod monitor_follow;
mod offboard;
mod owners;
mod readiness;
mod report;
mod scan;
mod store;
mod who;

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a run of the binary produced.
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `palisade` with `args` in `dir`, with colour off and a clean environment.
pub fn palisade(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(dir)
        .env_remove("PALISADE_DB")
        .env_remove("PALISADE_FORMAT")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The model crate's broken fixtures.
pub fn broken() -> PathBuf {
    root().join("crates/palisade-model/tests/fixtures/broken")
}

/// The day tests judge dates against.
pub const TODAY: &str = "2026-11-22";
