//! Evidence reader: GitHub's pull-request reviews JSON
//! (`GET /repos/{owner}/{repo}/pulls/{number}/reviews`).
//!
//! **The rule:** a reviewer approves the change when their latest review that is
//! not a comment is `APPROVED`. Reviews are taken in the order they were submitted
//! (`submitted_at`; the array's order, which is GitHub's, when a review lacks it).
//! `COMMENTED` reviews neither give nor take an approval, and a `PENDING` one is
//! not submitted; a later `CHANGES_REQUESTED` or `DISMISSED` cancels an earlier
//! approval, as it does on GitHub. Each approval keeps the commit it was given on
//! (`commit_id`), so the gate can refuse one given on an older commit. Reviews by a
//! deleted account (`"user": null`) are nobody's and are skipped.
//!
//! GitLab's merge-request approvals JSON
//! (`GET /projects/:id/merge_requests/:merge_request_iid/approvals`, a JSON
//! object where GitHub's is an array) is read here too: each
//! `approved_by[].user.username` approved, at `approved_at` when GitLab says
//! (recent GitLab versions). GitLab documents no commit in that response, so
//! its approvals name none and count for whatever the merge request's head is:
//! keeping approvals to the head is then the project's "remove all approvals
//! when commits are added" setting. Should the response carry a `sha`, which
//! GitLab does not write, every approval names that commit: it can only narrow
//! what they count for.

use serde::Deserialize;

use super::{Approval, Evidence, EvidenceError, EvidenceKind, Facts, digest, full_commit};

/// Reads a reviews array.
///
/// # Errors
///
/// [`EvidenceError`] when the bytes are not such an array (with the line and
/// column), or a review has an unknown state, a malformed time or commit (with its
/// index).
pub fn read(source: &str, bytes: &[u8]) -> Result<Evidence, EvidenceError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return gitlab(source, bytes);
    }
    let reviews: Vec<Review> = serde_json::from_slice(bytes)
        .map_err(|e| EvidenceError::new(source, format!("not a GitHub reviews array: {e}")))?;
    let mut submitted = Vec::new();
    for (i, review) in reviews.iter().enumerate() {
        let err = |m: String| EvidenceError::new(source, format!("$[{i}].{m}"));
        let state = match review.state.as_str() {
            "APPROVED" => State::Approved,
            "CHANGES_REQUESTED" | "DISMISSED" => State::Withdrawn,
            "COMMENTED" | "PENDING" => continue,
            other => return Err(err(format!("state: {other:?} is not a review state"))),
        };
        let Some(user) = &review.user else { continue };
        let at = match &review.submitted_at {
            Some(t) => Some(
                t.parse::<jiff::Timestamp>()
                    .map_err(|e| err(format!("submitted_at: {t:?}: {e}")))?,
            ),
            None => None,
        };
        let commit = match &review.commit_id {
            Some(c) => Some(
                full_commit(c)
                    .ok_or_else(|| err(format!("commit_id: {c:?} is not a full commit id")))?,
            ),
            None => None,
        };
        submitted.push((at, i, user.login.as_str(), state, commit, review));
    }
    // A stable sort by time; without every time, GitHub's order stands.
    if submitted.iter().all(|s| s.0.is_some()) {
        submitted.sort_by_key(|s| (s.0, s.1));
    }
    // Each reviewer's latest decisive review: its place in time, who, what, on which
    // commit, when.
    type Latest<'a> = (usize, &'a str, State, Option<String>, Option<String>);
    let mut latest: Vec<Latest<'_>> = Vec::new();
    for (order, (_, _, login, state, commit, review)) in submitted.into_iter().enumerate() {
        let entry = (order, login, state, commit, review.submitted_at.clone());
        match latest.iter_mut().find(|l| l.1.eq_ignore_ascii_case(login)) {
            Some(slot) => *slot = entry,
            None => latest.push(entry),
        }
    }
    // In the order they were given.
    latest.sort_by_key(|l| l.0);
    let approvals = latest
        .into_iter()
        .filter(|l| l.2 == State::Approved)
        .map(|(_, by, _, commit, at)| Approval {
            by: by.to_owned(),
            commit,
            at,
        })
        .collect();
    Ok(Evidence {
        source: source.to_owned(),
        kind: EvidenceKind::Reviews,
        digest: digest(bytes),
        commit: None,
        facts: Facts::Approvals(approvals),
    })
}

/// Reads GitLab's approvals of a merge request.
fn gitlab(source: &str, bytes: &[u8]) -> Result<Evidence, EvidenceError> {
    let state: ApprovalState = serde_json::from_slice(bytes).map_err(|e| {
        EvidenceError::new(
            source,
            format!("not a GitHub reviews array nor GitLab merge request approvals: {e}"),
        )
    })?;
    let commit = match &state.sha {
        Some(c) => Some(full_commit(c).ok_or_else(|| {
            EvidenceError::new(source, format!("$.sha: {c:?} is not a full commit id"))
        })?),
        None => None,
    };
    let mut approvals: Vec<Approval> = Vec::new();
    for (i, approval) in state.approved_by.into_iter().enumerate() {
        let Some(user) = approval.user else { continue };
        if let Some(t) = &approval.approved_at {
            t.parse::<jiff::Timestamp>().map_err(|e| {
                EvidenceError::new(
                    source,
                    format!("$.approved_by[{i}].approved_at: {t:?}: {e}"),
                )
            })?;
        }
        if approvals
            .iter()
            .any(|a| a.by.eq_ignore_ascii_case(&user.username))
        {
            continue;
        }
        approvals.push(Approval {
            by: user.username,
            commit: commit.clone(),
            at: approval.approved_at,
        });
    }
    Ok(Evidence {
        source: source.to_owned(),
        kind: EvidenceKind::Reviews,
        digest: digest(bytes),
        commit: None,
        facts: Facts::Approvals(approvals),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Approved,
    /// Changes requested, or the review dismissed.
    Withdrawn,
}

#[derive(Deserialize)]
struct Review {
    user: Option<User>,
    state: String,
    commit_id: Option<String>,
    submitted_at: Option<String>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

/// GitLab's approval state of a merge request, as far as the gate reads it.
#[derive(Deserialize)]
struct ApprovalState {
    approved_by: Vec<GitLabApproval>,
    sha: Option<String>,
}

#[derive(Deserialize)]
struct GitLabApproval {
    user: Option<GitLabUser>,
    approved_at: Option<String>,
}

#[derive(Deserialize)]
struct GitLabUser {
    username: String,
}
