//! GitHub's pull-request JSON, GitLab's merge-request JSON, and the rollback
//! section of their descriptions.

use palisade_gate::evidence::pull_request::rollback;
use palisade_gate::evidence::{EvidenceKind, Facts, PullRequestFacts};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{assert_names_place, read};

const HEAD: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
const BASE: &str = "9fceb02d0ae598e95dc970b74767f19372d61af8";

/// A pull request as `GET /repos/{owner}/{repo}/pulls/{number}` returns it, in part.
fn pull_request(body: Value) -> Value {
    json!({
        "url": "https://api.github.com/repos/acme/api/pulls/1347",
        "id": 1,
        "number": 1347,
        "state": "open",
        "locked": false,
        "title": "Retry payment webhooks",
        "user": {"login": "vendor-dev", "id": 1, "type": "User"},
        "body": body,
        "labels": [],
        "draft": false,
        "head": {"label": "vendor:retry", "ref": "retry", "sha": HEAD, "repo": {"full_name": "vendor/api"}},
        "base": {"label": "acme:main", "ref": "main", "sha": BASE, "repo": {"full_name": "acme/api"}},
        "merged": false,
        "author_association": "CONTRIBUTOR",
    })
}

fn facts(pr: &Value) -> (PullRequestFacts, Option<String>) {
    let evidence = read(
        Some(EvidenceKind::PullRequest),
        &serde_json::to_vec(pr).unwrap(),
    )
    .unwrap();
    match evidence.facts {
        Facts::PullRequest(f) => (f, evidence.commit),
        other => panic!("not a pull request: {other:?}"),
    }
}

#[test]
fn a_pull_request_gives_its_author_commits_and_rollback_plan() {
    let body = "## Summary\r\nRetries failed webhooks.\r\n\r\n## Rollback plan\r\n\
                <!-- How do we undo this? -->\r\nRevert the commit; no migration.\r\n\r\n\
                ### Checks\r\nThe flag stays off.\r\n\r\n## Testing\r\nUnit tests.\r\n";
    let (f, commit) = facts(&pull_request(json!(body)));
    assert_eq!(f.number, 1347);
    assert_eq!(f.author, "vendor-dev");
    assert_eq!(f.head, HEAD);
    assert_eq!(f.base.as_deref(), Some(BASE));
    assert_eq!(commit.as_deref(), Some(HEAD));
    assert_eq!(
        f.rollback.as_deref(),
        Some("Revert the commit; no migration.\n\n### Checks\nThe flag stays off.")
    );
}

#[test]
fn a_body_without_a_plan_has_no_rollback() {
    let (f, _) = facts(&pull_request(Value::Null));
    assert_eq!(f.rollback, None);
    for body in [
        "## Summary\nNothing to undo.\n",
        "## Rollback\n<!-- Describe how to roll back. -->\n\n## Testing\nyes\n",
        "# Rollback\n\nN/A\n",
        "### ROLLBACK PLAN:\n_TBD_\n## Next\nsomething\n",
        "## Rollback\n<!-- an unclosed comment\nRevert it\n",
        "## Rollback\n## Notes\nrevert by hand\n",
        "```\n## Rollback\nin a code block\n```\n",
        "#Rollback\nno space: not a heading\n",
        "    ## Rollback\nindented code\n",
        "## Rollbacks of old\nnot this section\n",
    ] {
        assert_eq!(rollback(body), None, "{body:?}");
    }
}

#[test]
fn rollback_sections_end_at_a_heading_of_their_level_or_higher() {
    let cases = [
        ("# Rollback\nA\n## Sub\nB\n# Next\nC", "A\n## Sub\nB"),
        ("### rollback ###\nA\n## Up\nB", "A"),
        (
            "## Rollback:\n- revert\n- redeploy\n",
            "- revert\n- redeploy",
        ),
        (
            "## Rollback\n```sh\n# not a heading\ngit revert HEAD\n```\n## Next\n",
            "```sh\n# not a heading\ngit revert HEAD\n```",
        ),
        (
            "###### Rollback Plan\nNone needed beyond a revert\n",
            "None needed beyond a revert",
        ),
        ("## **Rollback**\nrevert\n", "revert"),
    ];
    for (body, expected) in cases {
        assert_eq!(rollback(body).as_deref(), Some(expected), "{body:?}");
    }
}

#[test]
fn malformed_pull_requests_are_errors_that_say_where() {
    let mut short = pull_request(json!(""));
    short["head"]["sha"] = json!("6dcb09b");
    let error = read(
        Some(EvidenceKind::PullRequest),
        &serde_json::to_vec(&short).unwrap(),
    )
    .unwrap_err();
    assert_eq!(
        error.message,
        "$.head.sha: \"6dcb09b\" is not a full commit id"
    );
    let mut no_head = pull_request(json!(""));
    no_head.as_object_mut().unwrap().remove("head");
    let error = read(
        Some(EvidenceKind::PullRequest),
        &serde_json::to_vec(&no_head).unwrap(),
    )
    .unwrap_err();
    assert!(error.message.contains("missing field `head`"), "{error}");
    assert_names_place(&error);
}

/// A merge request as GitLab's `GET /projects/:id/merge_requests/:iid` returns it.
const GITLAB_MERGE_REQUEST: &str = include_str!("gitlab/merge_request.json");

fn gitlab_merge_request() -> Value {
    serde_json::from_str(GITLAB_MERGE_REQUEST).unwrap()
}

#[test]
fn a_gitlab_merge_request_gives_its_author_commits_and_rollback_plan() {
    let evidence = read(None, GITLAB_MERGE_REQUEST.as_bytes()).unwrap();
    assert_eq!(evidence.kind, EvidenceKind::PullRequest);
    assert_eq!(evidence.commit.as_deref(), Some(HEAD));
    let Facts::PullRequest(f) = evidence.facts else {
        panic!("not a pull request: {:?}", evidence.facts);
    };
    assert_eq!(
        f,
        PullRequestFacts {
            number: 133,
            author: "vendor-dev".to_owned(),
            head: HEAD.to_owned(),
            base: Some(BASE.to_owned()),
            rollback: Some(
                "Revert the merge commit; the retry table is left in place and ignored.".to_owned()
            ),
        }
    );
}

#[test]
fn a_gitlab_merge_request_before_its_diff_has_no_base() {
    // GitLab leaves `diff_refs` null for a moment after a merge request opens.
    let mut mr = gitlab_merge_request();
    mr["diff_refs"] = Value::Null;
    mr["description"] = Value::Null;
    let (f, commit) = facts(&mr);
    assert_eq!((f.base, f.rollback), (None, None));
    assert_eq!(commit.as_deref(), Some(HEAD));
    // Without a head there is nothing to vouch for.
    mr["sha"] = Value::Null;
    let error = read(
        Some(EvidenceKind::PullRequest),
        &serde_json::to_vec(&mr).unwrap(),
    )
    .unwrap_err();
    assert!(error.message.starts_with("$.sha: "), "{error}");
}

#[test]
fn malformed_gitlab_merge_requests_are_errors_that_say_where() {
    let cases: [(&str, Value, &str); 3] = [
        (
            "sha",
            json!("6dcb09b"),
            "$.sha: \"6dcb09b\" is not a full commit id",
        ),
        (
            "diff_refs",
            json!({"base_sha": "main", "head_sha": HEAD, "start_sha": BASE}),
            "$.diff_refs.base_sha: \"main\" is not a full commit id",
        ),
        (
            "iid",
            json!("133"),
            "not a GitLab merge request: invalid type",
        ),
    ];
    for (field, value, expected) in cases {
        let mut mr = gitlab_merge_request();
        mr[field] = value;
        let error = read(
            Some(EvidenceKind::PullRequest),
            &serde_json::to_vec(&mr).unwrap(),
        )
        .unwrap_err();
        assert!(error.message.starts_with(expected), "{field}: {error}");
        assert_names_place(&error);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bodies_never_panic(body in "(#{0,7}[ \\t]?(Rollback|rollback plan|x)?:?\\*?\\r?\\n|```|~~~|<!--|-->|N/A|text| |\\n){0,40}") {
        let _ = rollback(&body);
        let (f, _) = facts(&pull_request(json!(body)));
        prop_assert_eq!(f.rollback, rollback(&body));
    }

    #[test]
    fn arbitrary_and_truncated_pull_requests_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
        cut in 0usize..2000,
    ) {
        if let Err(e) = read(Some(EvidenceKind::PullRequest), &bytes) {
            assert_names_place(&e);
        }
        let full = serde_json::to_vec(&pull_request(json!("## Rollback\nrevert"))).unwrap();
        let cut = cut.min(full.len() - 1);
        let error = read(Some(EvidenceKind::PullRequest), &full[..cut]).unwrap_err();
        assert_names_place(&error);
        let full = GITLAB_MERGE_REQUEST.trim_end().as_bytes();
        let cut = cut.min(full.len() - 1);
        let error = read(Some(EvidenceKind::PullRequest), &full[..cut]).unwrap_err();
        assert_names_place(&error);
    }
}
