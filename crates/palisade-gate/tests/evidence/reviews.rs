//! GitHub's pull-request reviews and GitLab's merge-request approvals, in the
//! shapes their REST APIs document.

use palisade_gate::evidence::{Approval, EvidenceKind, Facts};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{assert_names_place, read};

const C1: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
const C2: &str = "e5bd3914e2e596debea16f433f57875b5b90bcd6";

/// One review as `GET /repos/{owner}/{repo}/pulls/{number}/reviews` lists it.
fn review(id: u64, login: &str, state: &str, commit: &str, at: &str) -> Value {
    json!({
        "id": id,
        "node_id": format!("PRR_{id}"),
        "user": {"login": login, "id": id * 10, "type": "User", "site_admin": false},
        "body": "",
        "state": state,
        "html_url": format!("https://github.com/acme/api/pull/12#pullrequestreview-{id}"),
        "pull_request_url": "https://api.github.com/repos/acme/api/pulls/12",
        "author_association": "MEMBER",
        "_links": {"html": {"href": "https://github.com/acme/api/pull/12"}},
        "submitted_at": at,
        "commit_id": commit,
    })
}

fn approvals(reviews: &Value) -> Vec<Approval> {
    let bytes = serde_json::to_vec(reviews).unwrap();
    match read(Some(EvidenceKind::Reviews), &bytes).unwrap().facts {
        Facts::Approvals(a) => a,
        other => panic!("not approvals: {other:?}"),
    }
}

fn by(approvals: &[Approval]) -> Vec<&str> {
    approvals.iter().map(|a| a.by.as_str()).collect()
}

#[test]
fn each_reviewers_latest_state_that_is_not_a_comment_counts() {
    let reviews = json!([
        review(1, "ana", "APPROVED", C1, "2026-03-01T10:00:00Z"),
        review(2, "ana", "COMMENTED", C2, "2026-03-01T11:00:00Z"),
        review(3, "bo", "APPROVED", C1, "2026-03-01T10:05:00Z"),
        review(4, "bo", "CHANGES_REQUESTED", C2, "2026-03-01T12:00:00Z"),
        review(5, "cy", "CHANGES_REQUESTED", C1, "2026-03-01T09:00:00Z"),
        review(6, "cy", "APPROVED", C2, "2026-03-01T13:00:00Z"),
        review(7, "di", "APPROVED", C1, "2026-03-01T10:00:00Z"),
        review(8, "di", "DISMISSED", C1, "2026-03-01T10:30:00Z"),
        review(9, "ed", "COMMENTED", C2, "2026-03-01T10:00:00Z"),
    ]);
    let a = approvals(&reviews);
    // ana's comment leaves her approval; bo's later request for changes and di's
    // dismissal cancel theirs; cy approved after asking for changes; ed only commented.
    assert_eq!(by(&a), ["ana", "cy"]);
    assert_eq!(a[0].commit.as_deref(), Some(C1));
    assert_eq!(a[0].at.as_deref(), Some("2026-03-01T10:00:00Z"));
    assert_eq!(a[1].commit.as_deref(), Some(C2));
}

#[test]
fn reviews_are_ordered_by_submission_not_by_the_array() {
    let reviews = json!([
        review(2, "bo", "CHANGES_REQUESTED", C1, "2026-03-01T09:00:00Z"),
        review(1, "bo", "APPROVED", C2, "2026-03-01T10:00:00+01:00"),
    ]);
    // 10:00+01:00 is 09:00Z: the same instant, so the array's order decides.
    assert_eq!(by(&approvals(&reviews)), ["bo"]);
    let reviews = json!([
        review(1, "bo", "APPROVED", C2, "2026-03-01T10:00:00Z"),
        review(2, "bo", "CHANGES_REQUESTED", C1, "2026-03-01T09:00:00Z"),
    ]);
    assert_eq!(
        by(&approvals(&reviews)),
        ["bo"],
        "the approval is the later one"
    );
}

#[test]
fn pending_reviews_and_deleted_accounts_give_nothing() {
    let mut ghost = review(2, "x", "APPROVED", C1, "2026-03-01T10:00:00Z");
    ghost["user"] = Value::Null;
    let mut pending = review(1, "ana", "PENDING", C1, "2026-03-01T10:00:00Z");
    pending.as_object_mut().unwrap().remove("submitted_at");
    assert!(approvals(&json!([pending, ghost])).is_empty());
    assert!(approvals(&json!([])).is_empty());
}

#[test]
fn malformed_reviews_are_errors_at_their_index() {
    let cases = [
        (
            json!([
                review(1, "a", "APPROVED", C1, "2026-03-01T10:00:00Z"),
                review(2, "b", "LGTM", C1, "2026-03-01T10:00:00Z")
            ]),
            "$[1].state: \"LGTM\" is not a review state",
        ),
        (
            json!([review(1, "a", "APPROVED", "abc", "2026-03-01T10:00:00Z")]),
            "$[0].commit_id: \"abc\" is not a full commit id",
        ),
        (
            json!([review(1, "a", "APPROVED", C1, "yesterday")]),
            "$[0].submitted_at: \"yesterday\"",
        ),
        (
            json!({"state": "APPROVED"}),
            "not a GitHub reviews array nor GitLab merge request approvals: missing field `approved_by`",
        ),
    ];
    for (reviews, expected) in cases {
        let error = read(
            Some(EvidenceKind::Reviews),
            &serde_json::to_vec(&reviews).unwrap(),
        )
        .unwrap_err();
        assert!(error.message.starts_with(expected), "{error}");
        assert_names_place(&error);
    }
}

/// A merge request's approvals as GitLab's
/// `GET /projects/:id/merge_requests/:iid/approvals` returns them.
const GITLAB_APPROVALS: &str = include_str!("gitlab/approvals.json");

fn gitlab_approvals() -> Value {
    serde_json::from_str(GITLAB_APPROVALS).unwrap()
}

#[test]
fn gitlab_approvals_name_each_approver_and_no_commit() {
    let evidence = read(None, GITLAB_APPROVALS.as_bytes()).unwrap();
    assert_eq!(evidence.kind, EvidenceKind::Reviews);
    assert_eq!(evidence.commit, None);
    let Facts::Approvals(a) = evidence.facts else {
        panic!("not approvals: {:?}", evidence.facts);
    };
    assert_eq!(
        a,
        [
            Approval {
                by: "ana".to_owned(),
                commit: None,
                at: Some("2026-03-02T10:02:44.561Z".to_owned()),
            },
            Approval {
                by: "bo".to_owned(),
                commit: None,
                at: Some("2026-03-02T11:41:05.007Z".to_owned()),
            },
        ]
    );
}

#[test]
fn gitlab_approvals_of_older_versions_and_deleted_users_still_read() {
    // Before `approved_at`, GitLab gave only the user; a deleted user is nobody.
    let value = json!({
        "id": 5, "iid": 5, "project_id": 1, "title": "Approvals API", "state": "opened",
        "approvals_required": 2, "approvals_left": 1,
        "approved_by": [
            {"user": {"name": "Administrator", "username": "root", "id": 1, "state": "active"}},
            {"user": null},
        ],
    });
    let a = approvals(&value);
    assert_eq!(by(&a), ["root"]);
    assert_eq!((a[0].commit.as_deref(), a[0].at.as_deref()), (None, None));
    assert!(approvals(&json!({"approved_by": []})).is_empty());
}

#[test]
fn gitlab_approvals_with_the_head_sha_name_that_commit() {
    let mut value = gitlab_approvals();
    value["sha"] = json!(C1.to_uppercase());
    let a = approvals(&value);
    assert_eq!(by(&a), ["ana", "bo"]);
    assert!(a.iter().all(|a| a.commit.as_deref() == Some(C1)), "{a:?}");
}

#[test]
fn malformed_gitlab_approvals_are_errors_that_say_where() {
    let mut short = gitlab_approvals();
    short["sha"] = json!("6dcb09b");
    let mut time = gitlab_approvals();
    time["approved_by"][1]["approved_at"] = json!("yesterday");
    let mut missing = gitlab_approvals();
    missing.as_object_mut().unwrap().remove("approved_by");
    let cases = [
        (short, "$.sha: \"6dcb09b\" is not a full commit id"),
        (time, "$.approved_by[1].approved_at: \"yesterday\""),
        (
            missing,
            "not a GitHub reviews array nor GitLab merge request approvals: missing field `approved_by`",
        ),
    ];
    for (value, expected) in cases {
        let error = read(
            Some(EvidenceKind::Reviews),
            &serde_json::to_vec(&value).unwrap(),
        )
        .unwrap_err();
        assert!(error.message.starts_with(expected), "{error}");
        assert_names_place(&error);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_and_truncated_reviews_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
        cut in 0usize..2000,
    ) {
        if let Err(e) = read(Some(EvidenceKind::Reviews), &bytes) {
            assert_names_place(&e);
        }
        let full = serde_json::to_vec(&json!([review(1, "ana", "APPROVED", C1, "2026-03-01T10:00:00Z")])).unwrap();
        let cut = cut.min(full.len() - 1);
        let error = read(Some(EvidenceKind::Reviews), &full[..cut]).unwrap_err();
        assert_names_place(&error);
        let full = GITLAB_APPROVALS.trim_end().as_bytes();
        let cut = cut.min(full.len() - 1);
        let error = read(Some(EvidenceKind::Reviews), &full[..cut]).unwrap_err();
        assert_names_place(&error);
    }

    /// Whatever the order of the others' reviews, one reviewer's approval stands
    /// exactly when their last decisive review approved.
    #[test]
    fn the_latest_decisive_review_decides(states in proptest::collection::vec(0u8..4, 1..12)) {
        let names = ["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"];
        let reviews: Vec<Value> = states
            .iter()
            .enumerate()
            .map(|(i, &s)| review(i as u64, "ana", names[usize::from(s)], C1, &format!("2026-03-01T10:{:02}:00Z", i)))
            .collect();
        let last = states.iter().rev().find(|&&s| s != 2);
        let approved = !approvals(&Value::Array(reviews)).is_empty();
        prop_assert_eq!(approved, last == Some(&0));
    }
}
