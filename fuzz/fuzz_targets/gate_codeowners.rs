//! CODEOWNERS: any text parses without a panic (invalid lines become errors with
//! their line numbers), and the rule that owns a path is one of the file's rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_gate::codeowners::Codeowners;

const PATHS: &[&str] = &[
    "",
    "/",
    "README.md",
    "src/main.rs",
    "docs/",
    "a/b/c/d.txt",
    "apps/web/src/index.ts",
    ".github/workflows/ci.yml",
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (owners, errors) = Codeowners::parse(&text);
    let lines = text.lines().count();
    for error in &errors {
        assert!(error.line >= 1 && error.line <= lines.max(1));
    }
    // The input's own words are paths too: patterns are matched against their kin.
    let words = text.split_whitespace().take(8);
    for path in PATHS.iter().copied().chain(words) {
        if let Some(rule) = owners.owners_of(path) {
            assert!(owners.rules().iter().any(|r| r.line == rule.line));
        }
    }
});
