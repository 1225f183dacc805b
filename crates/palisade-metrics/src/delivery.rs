//! Delivery health: throughput, review latency, pull request size, escaped defects.
//!
//! Pull requests and reviews come from GitHub's JSON ([`crate::github`]),
//! commits from the history walk ([`crate::history`]), escaped defects from
//! the incidents linked to production deployments ([`crate::dora::Shipments`]).
//! A pull request belongs to the team (and vendor) of its author; to a
//! service when a production deployment of that service first shipped its
//! merge commit.

use std::collections::HashMap;

use jiff::Timestamp;
use palisade_model::index::{IdentityKind, Index, PersonId};
use serde::Serialize;

use crate::dora::{DurationStats, Shipments, percentile};
use crate::history::Histories;
use crate::input::{DataIssues, PullRequest, Review};
use crate::measure::{Measured, Scope};
use crate::period::Period;

/// Pull request sizes, in lines changed (additions plus deletions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeStats {
    /// How many pull requests carried their size.
    pub samples: u64,
    /// The median lines changed.
    pub median_lines: f64,
    /// The 75th percentile of lines changed.
    pub p75_lines: f64,
    /// The largest.
    pub max_lines: u64,
    /// The median number of files changed.
    pub median_files: f64,
}

/// Delivery health for one scope and period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// Whom it is about.
    pub scope: Scope,
    /// The period's label (`2026-10`).
    pub period: String,
    /// The period's first instant.
    pub start: Timestamp,
    /// The first instant after the period.
    pub end: Timestamp,
    /// Pull requests merged in the period.
    pub merged_pulls: Measured<u64>,
    /// Commits authored in the period (for a service: first deployed to production in it).
    pub commits: Measured<u64>,
    /// From a pull request's opening to its first review by someone other
    /// than its author, for pull requests first reviewed in the period.
    pub review_latency: Measured<DurationStats>,
    /// Pull requests merged in the period without any review by someone other than the author.
    pub merged_unreviewed: Measured<u64>,
    /// Size of the pull requests merged in the period.
    pub pull_size: Measured<SizeStats>,
    /// Incidents linked to a production deployment that finished in the
    /// period: defects that escaped into production.
    pub escaped_defects: Measured<u64>,
    /// What in the input could not be used, for the records in this scope.
    pub issues: DataIssues,
}

/// What delivery health is computed from.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryInput<'a> {
    /// The pull requests, when GitHub's JSON was given.
    pub pulls: Option<&'a [PullRequest]>,
    /// Their reviews, when given.
    pub reviews: Option<&'a [Review]>,
    /// The histories read.
    pub histories: &'a Histories,
    /// What the deployments shipped.
    pub shipments: &'a Shipments,
}

/// Where a person belongs.
struct Member {
    person: Option<String>,
    team: Option<String>,
    vendor: Option<String>,
}

impl Member {
    fn of(index: &Index<'_>, person: Option<PersonId>) -> Member {
        let Some(p) = person else {
            return Member {
                person: None,
                team: None,
                vendor: None,
            };
        };
        Member {
            person: Some(index.person(p).handle.clone()),
            team: index.team_of(p).map(|t| index.team(t).id.clone()),
            vendor: index.vendor_of(p).map(|v| index.vendor(v).id.clone()),
        }
    }

    fn is_in(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Org => true,
            Scope::Team(t) => self.team.as_ref() == Some(t),
            Scope::Vendor(v) => self.vendor.as_ref() == Some(v),
            Scope::Service(_) => false,
        }
    }
}

const UNKNOWN_AUTHOR: (&str, &str) = (
    "unknown_author",
    "the author is no one in the model: counted for the organisation only",
);

/// Delivery health of `scope` over `period`.
pub fn delivery(
    index: &Index<'_>,
    scope: &Scope,
    period: &Period,
    input: DeliveryInput<'_>,
) -> Delivery {
    let label = &period.label;
    let mut issues = DataIssues::default();
    let in_period = |t: Timestamp| period.contains(t);

    // Pull requests in scope: by their author's team, or by the service that first shipped them.
    let pulls: Option<Vec<&PullRequest>> = input.pulls.map(|pulls| {
        let mut members: HashMap<&str, Member> = HashMap::new();
        pulls
            .iter()
            .filter(|p| {
                if let Scope::Service(s) = scope {
                    return p.merge_sha.as_deref().is_some_and(|sha| {
                        input
                            .shipments
                            .first_production(input.histories, &p.repo, sha)
                            .is_some_and(|(_, service, _)| service == s)
                    });
                }
                let m = members.entry(p.author.as_str()).or_insert_with(|| {
                    Member::of(index, index.person_by(IdentityKind::Github, &p.author))
                });
                if m.person.is_none() && p.merged.is_some_and(in_period) {
                    issues.note(
                        UNKNOWN_AUTHOR.0,
                        UNKNOWN_AUTHOR.1,
                        format!("{}#{} ({})", p.repo, p.number, p.author),
                    );
                }
                m.is_in(scope)
            })
            .collect()
    });
    let no_pulls = || "no pull requests were given (--pulls)".to_owned();
    let merged: Option<Vec<&PullRequest>> = pulls.as_ref().map(|pulls| {
        pulls
            .iter()
            .copied()
            .filter(|p| p.merged.is_some_and(in_period))
            .collect()
    });
    let merged_pulls = Measured::from_option(merged.as_ref().map(|m| m.len() as u64), no_pulls);

    // The first review of each pull request by someone other than its author.
    let mut first_review: HashMap<(&str, u64), (Timestamp, &str)> = HashMap::new();
    let same = |a: &str, b: &str| {
        a.eq_ignore_ascii_case(b)
            || matches!(
                (index.person_by(IdentityKind::Github, a), index.person_by(IdentityKind::Github, b)),
                (Some(x), Some(y)) if x == y
            )
    };
    let authors: HashMap<(&str, u64), &str> = input
        .pulls
        .unwrap_or_default()
        .iter()
        .map(|p| ((p.repo.as_str(), p.number), p.author.as_str()))
        .collect();
    for r in input.reviews.unwrap_or_default() {
        let key = (r.repo.as_str(), r.number);
        let Some(author) = authors.get(&key) else {
            continue;
        };
        if same(author, &r.reviewer) {
            continue;
        }
        let e = first_review
            .entry(key)
            .or_insert((r.submitted, r.reviewer.as_str()));
        if r.submitted < e.0 {
            *e = (r.submitted, r.reviewer.as_str());
        }
    }
    let review_latency = match (&pulls, input.reviews) {
        (None, _) => Measured::NoData(no_pulls()),
        (_, None) => Measured::NoData("no reviews were given (--reviews)".to_owned()),
        (Some(pulls), Some(_)) => {
            let mut seconds = Vec::new();
            for p in pulls {
                let Some(&(at, _)) = first_review.get(&(p.repo.as_str(), p.number)) else {
                    continue;
                };
                if !in_period(at) {
                    continue;
                }
                let s = at.as_second() - p.opened.as_second();
                if s < 0 {
                    issues.note(
                        "clock_skew",
                        "a review is dated before its pull request was opened: left out of the review latency",
                        format!("{}#{}", p.repo, p.number),
                    );
                } else {
                    seconds.push(s);
                }
            }
            Measured::from_option(DurationStats::of(seconds), || {
                format!(
                    "no pull request of {scope} had its first review by someone else in {label}"
                )
            })
        }
    };
    let merged_unreviewed = match (&merged, input.reviews) {
        (None, _) => Measured::NoData(no_pulls()),
        (_, None) => Measured::NoData("no reviews were given (--reviews)".to_owned()),
        (Some(merged), Some(_)) => Measured::Value(
            merged
                .iter()
                .filter(|p| {
                    first_review
                        .get(&(p.repo.as_str(), p.number))
                        .is_none_or(|&(at, _)| p.merged.is_some_and(|m| at > m))
                })
                .count() as u64,
        ),
    };
    let pull_size = match &merged {
        None => Measured::NoData(no_pulls()),
        Some(merged) => {
            let sized: Vec<&&PullRequest> = merged
                .iter()
                .filter(|p| p.additions.is_some() && p.deletions.is_some())
                .collect();
            let mut lines: Vec<f64> = sized
                .iter()
                .map(|p| (p.additions.unwrap_or(0) + p.deletions.unwrap_or(0)) as f64)
                .collect();
            let mut files: Vec<f64> = sized
                .iter()
                .filter_map(|p| p.changed_files)
                .map(|f| f as f64)
                .collect();
            lines.sort_by(f64::total_cmp);
            files.sort_by(f64::total_cmp);
            if lines.is_empty() {
                Measured::NoData(format!(
                    "none of the pull requests of {scope} merged in {label} carries its size: give the single-pull JSON (GET /repos/OWNER/NAME/pulls/NUMBER)"
                ))
            } else {
                Measured::Value(SizeStats {
                    samples: lines.len() as u64,
                    median_lines: percentile(&lines, 0.5),
                    p75_lines: percentile(&lines, 0.75),
                    max_lines: lines.last().map_or(0, |&l| l as u64),
                    median_files: if files.is_empty() {
                        0.0
                    } else {
                        percentile(&files, 0.5)
                    },
                })
            }
        }
    };

    // Commits.
    let commits = if let Scope::Service(_) = scope {
        if input.shipments.has_deployments(scope) {
            Measured::Value(
                input
                    .shipments
                    .commits_shipped(scope, period.start, period.end),
            )
        } else {
            Measured::NoData(format!("no production deployments recorded for {scope}"))
        }
    } else if input.histories.is_empty() {
        Measured::NoData("no repository history was read (--repo-dir)".to_owned())
    } else {
        let (start, end) = (period.start.as_second(), period.end.as_second());
        let mut members: HashMap<Option<&str>, bool> = HashMap::new();
        let mut count = 0;
        for h in input.histories.iter() {
            for c in h.commits() {
                let t = h.authored(c);
                if t < start || t >= end {
                    continue;
                }
                let person = h.person(c);
                if person.is_none() {
                    issues.note(UNKNOWN_AUTHOR.0, UNKNOWN_AUTHOR.1, h.author_email(c));
                }
                let member = *members.entry(person).or_insert_with(|| {
                    Member::of(index, person.and_then(|p| index.person_by_handle(p))).is_in(scope)
                });
                if member {
                    count += 1;
                }
            }
        }
        Measured::Value(count)
    };

    let escaped_defects = if input.shipments.has_deployments(scope) {
        Measured::Value(
            input
                .shipments
                .escaped_defects(scope, period.start, period.end),
        )
    } else {
        Measured::NoData(format!("no production deployments recorded for {scope}"))
    };

    Delivery {
        scope: scope.clone(),
        period: label.clone(),
        start: period.start,
        end: period.end,
        merged_pulls,
        commits,
        review_latency,
        merged_unreviewed,
        pull_size,
        escaped_defects,
        issues,
    }
}
