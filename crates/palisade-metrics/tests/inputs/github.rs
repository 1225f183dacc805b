//! The GitHub reader against GitHub's own examples of its REST responses: the
//! pulls and reviews examples of the REST API's OpenAPI description, as
//! Octokit publishes it (`scripts/ensure-tools` fetches it). What our reader
//! returns is compared with the fields read straight from the JSON.

use jiff::Timestamp;
use palisade_metrics::github::{parse_pulls, parse_reviews};
use serde_json::{Map, Value};

/// The description's `components.examples`, or `None` (skipped, with a note)
/// without the description; a failure under `CI=true`.
fn examples() -> Option<Map<String, Value>> {
    let path = palisade_test_support::tool("PALISADE_TEST_GITHUB_OPENAPI")?;
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    match spec["components"]["examples"].take() {
        Value::Object(examples) => Some(examples),
        other => panic!("no components.examples in GitHub's description: {other}"),
    }
}

/// An example's records: its value as a list, whether it is one or many.
fn records(examples: &Map<String, Value>, name: &str) -> Vec<Value> {
    match &examples
        .get(name)
        .unwrap_or_else(|| panic!("GitHub's description has no example `{name}`"))["value"]
    {
        Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    }
}

fn time(v: &Value) -> Option<Timestamp> {
    v.as_str().map(|s| s.parse().unwrap())
}

#[test]
fn githubs_own_pull_request_examples_read_field_for_field() {
    let Some(examples) = examples() else { return };
    // The list endpoint's shape (no line counts) and one pull request's (with them).
    for name in ["pull-request-simple-items", "pull-request"] {
        let records = records(&examples, name);
        let text = serde_json::to_string(&records).unwrap();
        let pulls = parse_pulls(name, &text, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(pulls.len(), records.len(), "{name}");
        for (pull, r) in pulls.iter().zip(&records) {
            assert_eq!(pull.repo, r["base"]["repo"]["full_name"].as_str().unwrap());
            assert_eq!(pull.number, r["number"].as_u64().unwrap());
            assert_eq!(pull.author, r["user"]["login"].as_str().unwrap());
            assert_eq!(pull.opened, time(&r["created_at"]).unwrap());
            assert_eq!(pull.merged, time(&r["merged_at"]));
            assert_eq!(pull.closed, time(&r["closed_at"]));
            assert_eq!(pull.additions, r["additions"].as_u64(), "{name}");
            assert_eq!(pull.deletions, r["deletions"].as_u64(), "{name}");
            assert_eq!(pull.changed_files, r["changed_files"].as_u64(), "{name}");
            let labels: Vec<&str> = r["labels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["name"].as_str().unwrap())
                .collect();
            assert_eq!(pull.labels, labels);
            // Merged in the example, so the merge commit is the one it names.
            assert_eq!(
                pull.merge_sha.as_deref(),
                r["merge_commit_sha"].as_str(),
                "{name}"
            );
        }
    }
    // The full example carries line counts; the reader must not lose them.
    let full = &parse_pulls(
        "pull-request",
        &examples["pull-request"]["value"].to_string(),
        None,
    )
    .unwrap()[0];
    assert!(full.additions.is_some() && full.deletions.is_some() && full.changed_files.is_some());
}

#[test]
fn githubs_own_review_examples_read_field_for_field() {
    let Some(examples) = examples() else { return };
    let names = [
        "pull-request-review-items",
        "pull-request-review",
        "pull-request-review-3",
        "pull-request-review-4",
        "pull-request-review-5",
    ];
    let mut states = Vec::new();
    for name in names {
        let records = records(&examples, name);
        let text = serde_json::to_string(&records).unwrap();
        let (reviews, issues) =
            parse_reviews(name, &text, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(reviews.len(), records.len(), "{name}: {issues:?}");
        for (review, r) in reviews.iter().zip(&records) {
            // `.../repos/OWNER/NAME/pulls/NUMBER`, split by hand here.
            let url = r["pull_request_url"].as_str().unwrap();
            let parts: Vec<&str> = url.rsplitn(5, '/').collect();
            assert_eq!(review.repo, format!("{}/{}", parts[3], parts[2]), "{url}");
            assert_eq!(review.number, parts[0].parse::<u64>().unwrap(), "{url}");
            assert_eq!(review.reviewer, r["user"]["login"].as_str().unwrap());
            assert_eq!(review.state, r["state"].as_str().unwrap());
            assert_eq!(review.submitted, time(&r["submitted_at"]).unwrap());
            states.push(review.state.clone());
        }
    }
    // The examples cover the states that decide review latency.
    for state in ["APPROVED", "CHANGES_REQUESTED", "DISMISSED"] {
        assert!(
            states.iter().any(|s| s == state),
            "no {state} in {states:?}"
        );
    }
}
