//! The pattern cases of the shared conformance data (hmarr/codeowners'
//! `testdata/patterns.json`): `{name, pattern, paths: {path: bool}}`.

use palisade_gate::codeowners::Codeowners;

/// A case whose expectation departs from GitHub's documented rules, and
/// the rule that explains it.
fn documented_departure(
    pattern: &str,
    path: &str,
    expected: bool,
    ours: bool,
) -> Option<&'static str> {
    if pattern.contains(['[', ']']) && !ours {
        // The data reads `[param]` literally; GitHub rejects the line.
        return Some(
            "`[ ]` character ranges do not work in CODEOWNERS: the line is invalid and skipped",
        );
    }
    if pattern.ends_with('/') && expected && !ours && !path.ends_with('/') {
        // `foo/**/` against `foo/bar`: the data's path is a directory.
        let (co, _) = Codeowners::parse(&format!("{pattern} @o"));
        if co.owners_of(&format!("{path}/")).is_some() {
            return Some(
                "a pattern ending in `/` matches directories only (the case's path names a directory)",
            );
        }
    }
    None
}

#[test]
fn shared_pattern_cases() {
    let Some(dir) = palisade_test_support::testdata("codeowners") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("patterns.json")).unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert!(cases.len() >= 25, "the data has its cases");
    let (mut checked, mut departures) = (0, Vec::new());
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let pattern = case["pattern"].as_str().unwrap();
        let (co, errors) = Codeowners::parse(&format!("{pattern} @owner\n"));
        for (path, want) in case["paths"].as_object().unwrap() {
            let want = want.as_bool().unwrap();
            let ours = co.owners_of(path).is_some();
            checked += 1;
            if ours == want {
                continue;
            }
            match documented_departure(pattern, path, want, ours) {
                Some(rule) => departures.push(format!("{name}: `{pattern}` on `{path}`: {rule}")),
                None => panic!(
                    "{name}: pattern `{pattern}` on `{path}`: expected {want}, got {ours} (line errors: {errors:?})"
                ),
            }
        }
    }
    eprintln!(
        "{checked} pattern/path pairs; documented departures:\n  {}",
        departures.join("\n  ")
    );
    assert!(checked > 150);
    // Each departure is one the rules above name, and there are few.
    assert!(departures.len() <= 6, "{departures:#?}");
}
