//! The gate's core: the change read from real git repositories, and the
//! verdict judged from the model and the evidence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod diff;
mod verdict;

use palisade_model::{Model, parse};

/// The example model every verdict test judges against.
pub fn acme() -> Model {
    let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
    parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}
