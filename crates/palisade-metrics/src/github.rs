//! Pull requests and reviews from GitHub's REST JSON.
//!
//! Reads what `GET /repos/{owner}/{repo}/pulls?state=all` (a list), `GET
//! /repos/{owner}/{repo}/pulls/{number}` (one pull request, with
//! `additions`, `deletions` and `changed_files`) and `GET
//! /repos/{owner}/{repo}/pulls/{number}/reviews` return: a JSON array, a
//! single object, or several of them one after another (what `gh api
//! --paginate` writes). Fields the metrics need are required and a missing
//! one is an error naming the file, the record and the field; the rest are
//! optional. A deleted account (`"user": null`) is GitHub's `ghost`.

use jiff::Timestamp;
use serde_json::Value;

use crate::input::{DataIssues, PullRequest, Review};

/// GitHub JSON that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GithubError {
    /// Not JSON.
    #[error(
        "{file}: not JSON ({message}); pass the body GitHub's REST API returned, e.g. from `gh api --paginate`"
    )]
    Json {
        /// The file.
        file: String,
        /// What the parser said.
        message: String,
    },
    /// A record without a field the metrics need, or with one of the wrong type.
    #[error("{file}: record {index}: {field} {problem}")]
    Field {
        /// The file.
        file: String,
        /// The record's position in the file, from 0.
        index: usize,
        /// The field, as a JSON path (`user.login`).
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

/// The login GitHub shows for a deleted account.
const GHOST: &str = "ghost";

/// Every record of a file: the objects of its arrays and its top-level objects, in order.
fn records(file: &str, text: &str) -> Result<Vec<Value>, GithubError> {
    let mut out = Vec::new();
    for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        let value = value.map_err(|e| GithubError::Json {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        match value {
            Value::Array(items) => out.extend(items),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Reads fields of one record, with errors that say where.
struct Record<'a> {
    file: &'a str,
    index: usize,
    value: &'a Value,
}

impl<'a> Record<'a> {
    fn error(&self, field: &'static str, problem: impl Into<String>) -> GithubError {
        GithubError::Field {
            file: self.file.to_owned(),
            index: self.index,
            field,
            problem: problem.into(),
        }
    }

    fn at(&self, path: &str) -> Option<&'a Value> {
        let mut v = self.value;
        for key in path.split('.') {
            v = v.get(key)?;
        }
        (!v.is_null()).then_some(v)
    }

    fn object(&self) -> Result<(), GithubError> {
        if self.value.is_object() {
            Ok(())
        } else {
            Err(self.error("(record)", "is not a JSON object"))
        }
    }

    fn u64(&self, field: &'static str) -> Result<u64, GithubError> {
        self.opt_u64(field)?
            .ok_or_else(|| self.error(field, "is missing"))
    }

    fn opt_u64(&self, field: &'static str) -> Result<Option<u64>, GithubError> {
        self.at(field)
            .map(|v| {
                v.as_u64()
                    .ok_or_else(|| self.error(field, "is not a non-negative integer"))
            })
            .transpose()
    }

    fn opt_str(&self, field: &'static str) -> Result<Option<&'a str>, GithubError> {
        self.at(field)
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| self.error(field, "is not a string"))
            })
            .transpose()
    }

    fn str(&self, field: &'static str) -> Result<&'a str, GithubError> {
        self.opt_str(field)?
            .ok_or_else(|| self.error(field, "is missing"))
    }

    fn opt_time(&self, field: &'static str) -> Result<Option<Timestamp>, GithubError> {
        self.opt_str(field)?
            .map(|s| {
                s.parse::<Timestamp>()
                    .map_err(|e| self.error(field, format!("`{s}` is not an RFC 3339 time ({e})")))
            })
            .transpose()
    }

    fn time(&self, field: &'static str) -> Result<Timestamp, GithubError> {
        self.opt_time(field)?
            .ok_or_else(|| self.error(field, "is missing"))
    }

    /// The login of the account at `field` (`user`), `ghost` when it was deleted.
    fn login(&self, field: &'static str, login: &'static str) -> Result<String, GithubError> {
        match self.at(field) {
            None => Ok(GHOST.to_owned()),
            Some(_) => Ok(self.str(login)?.to_owned()),
        }
    }
}

/// The pull requests in `text` (GitHub's pulls JSON), read from `file`.
/// `repo` (`owner/name`) is used when a record does not carry
/// `base.repo.full_name`.
pub fn parse_pulls(
    file: &str,
    text: &str,
    repo: Option<&str>,
) -> Result<Vec<PullRequest>, GithubError> {
    let mut out = Vec::new();
    for (index, value) in records(file, text)?.iter().enumerate() {
        let r = Record { file, index, value };
        r.object()?;
        let repo = match (r.opt_str("base.repo.full_name")?, repo) {
            (Some(name), _) | (None, Some(name)) => name.to_owned(),
            (None, None) => {
                return Err(r.error(
                    "base.repo.full_name",
                    "is missing; name the repository with --pulls owner/name=FILE",
                ));
            }
        };
        let merged = r.opt_time("merged_at")?;
        let labels = match r.at("labels") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect(),
            Some(_) => return Err(r.error("labels", "is not an array")),
        };
        out.push(PullRequest {
            repo,
            number: r.u64("number")?,
            author: r.login("user", "user.login")?,
            opened: r.time("created_at")?,
            merged,
            closed: r.opt_time("closed_at")?,
            additions: r.opt_u64("additions")?,
            deletions: r.opt_u64("deletions")?,
            changed_files: r.opt_u64("changed_files")?,
            // GitHub fills `merge_commit_sha` with a test merge for open pull requests too.
            merge_sha: if merged.is_some() {
                r.opt_str("merge_commit_sha")?.map(str::to_ascii_lowercase)
            } else {
                None
            },
            labels,
        });
    }
    Ok(out)
}

/// The reviews in `text` (GitHub's reviews JSON), read from `file`. The
/// pull request is read from each review's `pull_request_url`, or taken from
/// `pull` (`owner/name` and number) when the record has none. Reviews still
/// pending (never submitted) are counted in the issues, not returned.
pub fn parse_reviews(
    file: &str,
    text: &str,
    pull: Option<(&str, u64)>,
) -> Result<(Vec<Review>, DataIssues), GithubError> {
    let mut out = Vec::new();
    let mut issues = DataIssues::default();
    for (index, value) in records(file, text)?.iter().enumerate() {
        let r = Record { file, index, value };
        r.object()?;
        let (repo, number) = match (r.opt_str("pull_request_url")?, pull) {
            (Some(url), _) => pull_of_url(url).ok_or_else(|| {
                r.error(
                    "pull_request_url",
                    format!("`{url}` does not end in /repos/OWNER/NAME/pulls/NUMBER"),
                )
            })?,
            (None, Some((repo, number))) => (repo.to_owned(), number),
            (None, None) => {
                return Err(r.error(
                    "pull_request_url",
                    "is missing; name the pull request with --reviews owner/name#NUMBER=FILE",
                ));
            }
        };
        let state = r.str("state")?.to_ascii_uppercase();
        let Some(submitted) = r.opt_time("submitted_at")? else {
            if state == "PENDING" {
                issues.note(
                    "pending_review",
                    "a review not submitted yet is not a review",
                    format!("{repo}#{number}"),
                );
                continue;
            }
            return Err(r.error("submitted_at", "is missing"));
        };
        out.push(Review {
            repo,
            number,
            reviewer: r.login("user", "user.login")?,
            state,
            submitted,
        });
    }
    Ok((out, issues))
}

/// `owner/name` and the number of `https://api.github.com/repos/OWNER/NAME/pulls/N`.
fn pull_of_url(url: &str) -> Option<(String, u64)> {
    let rest = &url[url.find("/repos/")? + "/repos/".len()..];
    let mut parts = rest.split('/');
    let (owner, name, pulls, number) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if owner.is_empty() || name.is_empty() || pulls != "pulls" || parts.next().is_some() {
        return None;
    }
    Some((format!("{owner}/{name}"), number.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shaped like the examples of GitHub's REST reference (fields trimmed).
    const PULLS: &str = r#"[
      {"url":"https://api.github.com/repos/octocat/Hello-World/pulls/1347","number":1347,
       "state":"closed","title":"Amazing new feature",
       "user":{"login":"octocat","id":1},
       "labels":[{"id":208045946,"name":"bug","color":"f29513"}],
       "created_at":"2011-01-26T19:01:12Z","updated_at":"2011-01-26T19:01:12Z",
       "closed_at":"2011-01-26T19:01:12Z","merged_at":"2011-01-26T19:01:12Z",
       "merge_commit_sha":"E5BD3914E2E596DEBEA16F433F57875B5B90BCD6",
       "base":{"ref":"main","repo":{"full_name":"octocat/Hello-World"}},
       "additions":100,"deletions":3,"changed_files":5},
      {"number":1348,"state":"open","user":null,
       "created_at":"2011-01-27T10:00:00Z","closed_at":null,"merged_at":null,
       "merge_commit_sha":"a5bd3914e2e596debea16f433f57875b5b90bcd6",
       "base":{"repo":{"full_name":"octocat/Hello-World"}}}
    ]"#;

    #[test]
    fn pulls_are_read_with_their_sizes_when_present() {
        let pulls = parse_pulls("pulls.json", PULLS, None).expect("valid");
        assert_eq!(pulls.len(), 2);
        let p = &pulls[0];
        assert_eq!(
            (p.repo.as_str(), p.number, p.author.as_str()),
            ("octocat/Hello-World", 1347, "octocat")
        );
        assert_eq!(
            p.merged.map(|t| t.to_string()).as_deref(),
            Some("2011-01-26T19:01:12Z")
        );
        assert_eq!(
            (p.additions, p.deletions, p.changed_files),
            (Some(100), Some(3), Some(5))
        );
        assert_eq!(
            p.merge_sha.as_deref(),
            Some("e5bd3914e2e596debea16f433f57875b5b90bcd6")
        );
        assert_eq!(p.labels, ["bug"]);
        let open = &pulls[1];
        assert_eq!(open.author, "ghost");
        assert_eq!(
            (open.merged, open.additions, open.merge_sha.as_deref()),
            (None, None, None)
        );
    }

    #[test]
    fn concatenated_pages_are_read_one_after_another() {
        let one = r#"[{"number":1,"user":{"login":"a"},"created_at":"2026-10-01T00:00:00Z"}]"#;
        let two = r#"[{"number":2,"user":{"login":"b"},"created_at":"2026-10-02T00:00:00Z"}]"#;
        let pulls = parse_pulls("p.json", &format!("{one}\n{two}"), Some("o/r")).expect("valid");
        assert_eq!(pulls.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(pulls[1].repo, "o/r");
    }

    #[test]
    fn a_missing_required_field_names_the_file_the_record_and_the_field() {
        let text = r#"[{"number":1,"user":{"login":"a"},"created_at":"2026-10-01T00:00:00Z"},
                       {"number":2,"user":{"login":"a"}}]"#;
        let err = parse_pulls("pulls.json", text, Some("o/r")).expect_err("no created_at");
        assert_eq!(
            err.to_string(),
            "pulls.json: record 1: created_at is missing"
        );
        let err = parse_pulls("p.json", r#"{"number":"7"}"#, Some("o/r")).expect_err("string");
        assert!(
            err.to_string()
                .contains("number is not a non-negative integer"),
            "{err}"
        );
        let err = parse_pulls(
            "p.json",
            r#"[{"number":1,"user":{"login":"a"},"created_at":"2026-10-01T00:00:00Z"}]"#,
            None,
        )
        .expect_err("no repo");
        assert!(err.to_string().contains("--pulls owner/name=FILE"), "{err}");
        let err = parse_pulls("p.json", "[{", None).expect_err("not json");
        assert!(err.to_string().starts_with("p.json: not JSON"), "{err}");
    }

    #[test]
    fn reviews_take_their_pull_request_from_its_url_and_skip_pending_ones() {
        let text = r#"[
          {"id":80,"user":{"login":"octocat"},"body":"Here is the body for the review.",
           "state":"APPROVED","html_url":"https://github.com/octocat/Hello-World/pull/12#pullrequestreview-80",
           "pull_request_url":"https://api.github.com/repos/octocat/Hello-World/pulls/12",
           "submitted_at":"2019-11-17T17:43:43Z","commit_id":"ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091"},
          {"id":81,"user":{"login":"hubot"},"state":"PENDING",
           "pull_request_url":"https://api.github.com/repos/octocat/Hello-World/pulls/12"}
        ]"#;
        let (reviews, issues) = parse_reviews("r.json", text, None).expect("valid");
        assert_eq!(reviews.len(), 1);
        let r = &reviews[0];
        assert_eq!(
            (
                r.repo.as_str(),
                r.number,
                r.reviewer.as_str(),
                r.state.as_str()
            ),
            ("octocat/Hello-World", 12, "octocat", "APPROVED")
        );
        assert_eq!(issues.count("pending_review"), 1);
        let err = parse_reviews(
            "r.json",
            r#"[{"state":"APPROVED","submitted_at":"2019-11-17T17:43:43Z"}]"#,
            None,
        )
        .expect_err("no pull");
        assert!(
            err.to_string()
                .contains("record 0: pull_request_url is missing"),
            "{err}"
        );
        let (given, _) = parse_reviews(
            "r.json",
            r#"[{"state":"COMMENTED","user":{"login":"x"},"submitted_at":"2019-11-17T17:43:43Z"}]"#,
            Some(("o/r", 3)),
        )
        .expect("pull given");
        assert_eq!((given[0].repo.as_str(), given[0].number), ("o/r", 3));
    }

    #[test]
    fn pull_urls_must_name_a_pull_request() {
        assert_eq!(
            pull_of_url("https://api.github.com/repos/o/r/pulls/12"),
            Some(("o/r".into(), 12))
        );
        for bad in [
            "https://api.github.com/repos/o/r/issues/12",
            "https://x/repos//r/pulls/1",
            "/repos/o/r/pulls/1/x",
            "nope",
        ] {
            assert_eq!(pull_of_url(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = parse_pulls("f", &text, None);
            let _ = parse_reviews("f", &text, None);
        }

        #[test]
        fn arbitrary_json_records_never_panic(
            number in proptest::option::of(proptest::prelude::any::<i64>()),
            login in proptest::option::of("[a-z]{0,5}"),
            time in proptest::option::of("[0-9TZ:-]{0,25}"),
            url in proptest::option::of("[a-z/:.0-9]{0,40}"),
            adds in proptest::option::of(proptest::prelude::any::<f64>()),
        ) {
            let mut v = serde_json::json!({});
            if let Some(n) = number { v["number"] = n.into(); }
            if let Some(l) = login { v["user"] = serde_json::json!({"login": l}); }
            if let Some(t) = time.clone() { v["created_at"] = t.clone().into(); v["submitted_at"] = t.into(); }
            if let Some(u) = url { v["pull_request_url"] = u.into(); }
            if let Some(a) = adds { v["additions"] = a.into(); }
            v["state"] = "APPROVED".into();
            let text = serde_json::to_string(&serde_json::json!([v, 3, "x", null])).expect("json");
            let _ = parse_pulls("f", &text, Some("o/r"));
            let _ = parse_reviews("f", &text, Some(("o/r", 1)));
        }
    }
}
