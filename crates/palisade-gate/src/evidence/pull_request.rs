//! Evidence reader: GitHub's pull-request JSON (`GET /repos/{owner}/{repo}/pulls/{number}`)
//! and GitLab's merge-request JSON (`GET /projects/:id/merge_requests/:merge_request_iid`).
//!
//! The two are told apart by their keys: GitLab's has an `iid` and no `number`.
//! GitHub's gives the number, `user.login`, `head.sha`, `base.sha` and `body`;
//! GitLab's the `iid`, `author.username`, `sha` (the head), `diff_refs.base_sha`
//! and `description`. GitLab leaves `diff_refs` null for a moment after a merge
//! request is opened; the base is then unknown, not an error.
//!
//! Besides the number, author and commits, the gate wants to know whether the
//! author wrote how to roll the change back: the body's Markdown section headed
//! "Rollback" or "Rollback plan" (any ATX level, `#` to `######`, any case, a
//! trailing colon allowed), up to the next heading of the same or a higher level.
//! Headings inside fenced code blocks do not count. A section that holds only
//! HTML comments (a template's instructions) or a placeholder such as "N/A",
//! "TBD" or "none" is no plan.

use serde::Deserialize;

use super::{Evidence, EvidenceError, EvidenceKind, Facts, PullRequestFacts, digest, full_commit};

/// Reads a GitHub pull request or a GitLab merge request.
///
/// # Errors
///
/// [`EvidenceError`] when the bytes are neither (with the line and column of
/// what is missing or wrong), or a commit (`head.sha`/`base.sha`, GitLab's
/// `sha`/`diff_refs.base_sha`) is not a full commit id.
pub fn read(source: &str, bytes: &[u8]) -> Result<Evidence, EvidenceError> {
    let facts = if is_gitlab(bytes) {
        gitlab(source, bytes)?
    } else {
        github(source, bytes)?
    };
    Ok(Evidence {
        source: source.to_owned(),
        kind: EvidenceKind::PullRequest,
        digest: digest(bytes),
        commit: Some(facts.head.clone()),
        facts: Facts::PullRequest(facts),
    })
}

/// Whether `bytes` are a JSON object with an `iid` and no `number`: a GitLab
/// merge request. Anything else is read as GitHub's, whose errors then say
/// what is missing.
fn is_gitlab(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Keys {
        iid: Option<serde::de::IgnoredAny>,
        number: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Keys>(bytes).is_ok_and(|k| k.iid.is_some() && k.number.is_none())
}

/// `value` at `at` as a full commit id.
fn commit_at(source: &str, at: &str, value: &str) -> Result<String, EvidenceError> {
    full_commit(value).ok_or_else(|| {
        EvidenceError::new(source, format!("$.{at}: {value:?} is not a full commit id"))
    })
}

fn github(source: &str, bytes: &[u8]) -> Result<PullRequestFacts, EvidenceError> {
    let pr: PullRequest = serde_json::from_slice(bytes).map_err(|e| {
        // Broken JSON could have been either; JSON of the wrong shape is taken
        // for GitHub's, as it has no `iid`.
        let what = if e.is_data() {
            "not a GitHub pull request"
        } else {
            "not a pull request's JSON"
        };
        EvidenceError::new(source, format!("{what}: {e}"))
    })?;
    let head = commit_at(source, "head.sha", &pr.head.sha)?;
    let base = match &pr.base {
        Some(b) => Some(commit_at(source, "base.sha", &b.sha)?),
        None => None,
    };
    Ok(PullRequestFacts {
        number: pr.number,
        author: pr.user.map(|u| u.login).unwrap_or_default(),
        head,
        base,
        rollback: pr.body.as_deref().and_then(rollback),
    })
}

fn gitlab(source: &str, bytes: &[u8]) -> Result<PullRequestFacts, EvidenceError> {
    let mr: MergeRequest = serde_json::from_slice(bytes)
        .map_err(|e| EvidenceError::new(source, format!("not a GitLab merge request: {e}")))?;
    let Some(sha) = &mr.sha else {
        return Err(
            EvidenceError::new(source, "$.sha: the merge request names no head commit")
                .help("fetch the merge request again once GitLab has its diff"),
        );
    };
    let head = commit_at(source, "sha", sha)?;
    let base = match mr.diff_refs.as_ref().and_then(|d| d.base_sha.as_deref()) {
        Some(b) => Some(commit_at(source, "diff_refs.base_sha", b)?),
        None => None,
    };
    Ok(PullRequestFacts {
        number: mr.iid,
        author: mr.author.map(|u| u.username).unwrap_or_default(),
        head,
        base,
        rollback: mr.description.as_deref().and_then(rollback),
    })
}

/// The content of `body`'s rollback section, without HTML comments and trimmed;
/// `None` when there is no such section or it holds no plan.
pub fn rollback(body: &str) -> Option<String> {
    let mut fence: Option<(u8, usize)> = None;
    let mut section: Option<(usize, Vec<&str>)> = None;
    for line in body.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some((ch, len)) = fence {
            if closes_fence(line, ch, len) {
                fence = None;
            }
        } else if let Some(open) = opens_fence(line) {
            fence = Some(open);
        } else if let Some((level, title)) = heading(line) {
            match &section {
                Some((at, _)) if level <= *at => break,
                Some(_) => {}
                None => {
                    if is_rollback_title(title) {
                        section = Some((level, Vec::new()));
                    }
                    continue;
                }
            }
        }
        if let Some((_, lines)) = &mut section {
            lines.push(line);
        }
    }
    let (_, lines) = section?;
    let text = strip_comments(&lines.join("\n"));
    let text = text.trim();
    let placeholder = text
        .trim_matches(|c: char| c.is_whitespace() || "*_`-.>".contains(c))
        .to_ascii_lowercase();
    let empty = matches!(
        placeholder.as_str(),
        "" | "n/a" | "na" | "tbd" | "tba" | "todo" | "none" | "no" | "-"
    );
    (!empty).then(|| text.to_owned())
}

/// An ATX heading's level and title: up to three spaces, 1–6 `#`, then a space or
/// the end of the line; a closing run of `#` is not part of the title.
fn heading(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    if !(1..=6).contains(&level) {
        return None;
    }
    let title = &rest[level..];
    if !title.is_empty() && !title.starts_with([' ', '\t']) {
        return None;
    }
    let title = title.trim();
    let closed = title.trim_end_matches('#');
    let title = if closed.is_empty() || closed.ends_with([' ', '\t']) {
        closed.trim_end()
    } else {
        title
    };
    Some((level, title))
}

fn is_rollback_title(title: &str) -> bool {
    let title = title
        .trim_matches(|c: char| c.is_whitespace() || "*_:".contains(c))
        .to_ascii_lowercase();
    let words: Vec<&str> = title.split_whitespace().collect();
    matches!(words[..], ["rollback"] | ["rollback", "plan"])
}

/// A code fence's character and length, when `line` opens one.
fn opens_fence(line: &str) -> Option<(u8, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let ch = *trimmed.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = trimmed.len() - trimmed.trim_start_matches(ch as char).len();
    // A backtick fence's info string holds no backtick.
    (len >= 3 && !(ch == b'`' && trimmed[len..].contains('`'))).then_some((ch, len))
}

fn closes_fence(line: &str, ch: u8, len: usize) -> bool {
    let trimmed = line.trim();
    let run = trimmed.len() - trimmed.trim_start_matches(ch as char).len();
    run >= len && run == trimmed.len()
}

/// `text` without its HTML comments (an unclosed one runs to the end).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start + 4..].find("-->") {
            Some(end) => rest = &rest[start + 4 + end + 3..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

#[derive(Deserialize)]
struct PullRequest {
    number: u64,
    user: Option<User>,
    head: Commit,
    base: Option<Commit>,
    body: Option<String>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

#[derive(Deserialize)]
struct Commit {
    sha: String,
}

#[derive(Deserialize)]
struct MergeRequest {
    iid: u64,
    author: Option<GitLabUser>,
    sha: Option<String>,
    diff_refs: Option<DiffRefs>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct GitLabUser {
    username: String,
}

#[derive(Deserialize)]
struct DiffRefs {
    base_sha: Option<String>,
}
