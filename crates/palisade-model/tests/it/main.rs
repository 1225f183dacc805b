//! Integration tests of the model crate: fixtures, values, globs, schema,
//! starter models and properties of the parsers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod edit;
mod fixtures;
mod glob;
mod index;
mod props;
mod schema;
mod starter;
mod values;

use std::path::{Path, PathBuf};

use palisade_model::Day;

/// The fixed "today" every test judges dates against.
pub fn today() -> Day {
    "2026-11-22".parse().unwrap()
}

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The example organisation's model.
pub fn acme() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/acme/palisade.toml")
}

/// The `.toml` files of `dir`, sorted.
pub fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}
