//! Test support shared by every Palisade crate's tests, in one place:
//!
//! - [`testdata`]: the shared conformance data (`$PALISADE_TESTDATA`, else
//!   `shared/testdata` beside the repository), skipped with a note when
//!   missing, and a failure under `CI=true`;
//! - [`git`]: git repositories built at test time, with git's global and
//!   system configuration shut out and fixed authors and dates;
//! - `db` (feature `db`): a fresh database per test on SQLite and on
//!   PostgreSQL.
//!
//! It is a dev-dependency only (`publish = false`); nothing in it ships.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[cfg(feature = "db")]
pub mod db;
pub mod git;

use std::path::{Path, PathBuf};

/// The shared conformance data directory `sub` (`""` for its root), or
/// `None` after saying on stderr why the test skips. Under `CI=true` a
/// missing directory fails the test: CI always checks conformance.
pub fn testdata(sub: &str) -> Option<PathBuf> {
    let root = match std::env::var_os("PALISADE_TESTDATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"),
    };
    let dir = if sub.is_empty() { root } else { root.join(sub) };
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "conformance data {} is missing, and CI must check conformance: \
         set PALISADE_TESTDATA or put shared/testdata beside the repository",
        dir.display()
    );
    eprintln!(
        "skipping: conformance data {} not found (set PALISADE_TESTDATA or put \
         shared/testdata beside the repository)",
        dir.display()
    );
    None
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// The outside tool `var` names (`PALISADE_TEST_PYTHON`: the virtual
/// environment's python with the PyPI test tools; `PALISADE_TEST_NODE_MODULES`:
/// the npm test tools' `node_modules`), or `None` after saying on stderr why
/// the test skips. Under `CI=true` a missing tool fails the test: the test
/// command installs them with `scripts/ensure-tools`.
pub fn tool(var: &str) -> Option<PathBuf> {
    tool_installed_by(var, "scripts/ensure-tools")
}

/// The outside tool `var` names, which `script` installs and exports; `None`
/// after saying on stderr why the test skips, and a failure under `CI=true`.
pub fn tool_installed_by(var: &str, script: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() && Path::new(&v).exists() => Some(PathBuf::from(v)),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{var} is not set but CI=true: run `eval \"$({script})\"` first"
            );
            eprintln!(
                "skipping: {var} is not set; run `eval \"$({script})\"` to include the tests against outside tools"
            );
            None
        }
    }
}

/// The text of a large generated model for benchmarks (`bench/gen-model.py
/// PEOPLE SERVICES`): valid, with realistic teams, vendors, people and services.
pub fn generated_model(people: usize, services: usize) -> String {
    let script = repo_root().join("bench/gen-model.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args([people.to_string(), services.to_string()])
        .output()
        .expect("python3 runs bench/gen-model.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the generated model is UTF-8")
}
