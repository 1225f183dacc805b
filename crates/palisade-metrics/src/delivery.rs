//! Delivery health: throughput, review latency, pull request size, escaped defects.
//!
//! Pull requests and reviews come from GitHub's JSON ([`crate::github`]),
//! commits from the history walk ([`crate::history`]), escaped defects from
//! the incidents linked to production deployments ([`crate::dora::Shipments`]).
//! A pull request belongs to the team (and vendor) of its author; to a
//! service when a production deployment of that service first shipped its
//! merge commit.

use std::collections::{HashMap, HashSet};

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
    /// The median number of files changed, when the pull requests carry it.
    pub median_files: Measured<f64>,
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
    /// Pull requests merged in the period without any review by someone
    /// other than the author, of those whose reviews were given.
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

/// Delivery health of `scope` over `period`. A merged pull request counts
/// as merged without review only when its reviews were given: some review
/// record names it. One no review record names is unknown (`reviews_not_given`).
pub fn delivery(
    index: &Index<'_>,
    scope: &Scope,
    period: &Period,
    input: DeliveryInput<'_>,
) -> Delivery {
    delivery_given(index, scope, period, input, &[])
}

/// As [`delivery`], where `reviews_given` also names pull requests
/// (`owner/name`, number) whose reviews were given though none is recorded,
/// e.g. an empty reviews file for one pull request: those have no review.
pub fn delivery_given(
    index: &Index<'_>,
    scope: &Scope,
    period: &Period,
    input: DeliveryInput<'_>,
    reviews_given: &[(String, u64)],
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
    // Only a pull request whose reviews were given can be told unreviewed;
    // one with no review record at all is unknown.
    let reviewed_given: HashSet<(&str, u64)> = input
        .reviews
        .unwrap_or_default()
        .iter()
        .map(|r| (r.repo.as_str(), r.number))
        .chain(reviews_given.iter().map(|(r, n)| (r.as_str(), *n)))
        .collect();
    let merged_unreviewed = match (&merged, input.reviews) {
        (None, _) => Measured::NoData(no_pulls()),
        (_, None) => Measured::NoData("no reviews were given (--reviews)".to_owned()),
        (Some(merged), Some(_)) => {
            let mut known = 0;
            let mut unreviewed = 0;
            for p in merged {
                if !reviewed_given.contains(&(p.repo.as_str(), p.number)) {
                    issues.note(
                        "reviews_not_given",
                        "a merged pull request whose reviews were not given (--reviews): left out of merged without review",
                        format!("{}#{}", p.repo, p.number),
                    );
                    continue;
                }
                known += 1;
                if first_review
                    .get(&(p.repo.as_str(), p.number))
                    .is_none_or(|&(at, _)| p.merged.is_some_and(|m| at > m))
                {
                    unreviewed += 1;
                }
            }
            if known == 0 && !merged.is_empty() {
                Measured::NoData(format!(
                    "the reviews of none of the pull requests of {scope} merged in {label} were given (--reviews)"
                ))
            } else {
                Measured::Value(unreviewed)
            }
        }
    };
    let pull_size = match &merged {
        None => Measured::NoData(no_pulls()),
        Some(merged) => {
            let mut lines: Vec<u64> = Vec::new();
            let mut files: Vec<f64> = Vec::new();
            for p in merged {
                let (Some(a), Some(d)) = (p.additions, p.deletions) else {
                    continue;
                };
                let Some(changed) = a.checked_add(d) else {
                    issues.note(
                        "implausible_size",
                        "a pull request whose additions and deletions add up to more than can be counted: left out of the pull request size",
                        format!("{}#{}", p.repo, p.number),
                    );
                    continue;
                };
                lines.push(changed);
                if let Some(f) = p.changed_files {
                    files.push(f as f64);
                }
            }
            lines.sort_unstable();
            files.sort_by(f64::total_cmp);
            let max_lines = lines.last().copied();
            let lines: Vec<f64> = lines.into_iter().map(|l| l as f64).collect();
            match max_lines {
                None => Measured::NoData(format!(
                    "none of the pull requests of {scope} merged in {label} carries its size: give the single-pull JSON (GET /repos/OWNER/NAME/pulls/NUMBER)"
                )),
                Some(max_lines) => Measured::Value(SizeStats {
                    samples: lines.len() as u64,
                    median_lines: percentile(&lines, 0.5),
                    p75_lines: percentile(&lines, 0.75),
                    max_lines,
                    median_files: if files.is_empty() {
                        Measured::NoData(format!(
                            "none of the sized pull requests of {scope} merged in {label} carries changed_files: give the single-pull JSON (GET /repos/OWNER/NAME/pulls/NUMBER)"
                        ))
                    } else {
                        Measured::Value(percentile(&files, 0.5))
                    },
                }),
            }
        }
    };

    // Commits, when the histories behind them were read.
    let (scope_repos, unread) = scope_repositories(index, scope, input.histories);
    let unread_reason = || {
        format!(
            "the history of {} was not read: give --repo-dir {}=PATH",
            unread.join(", "),
            unread.first().map_or("OWNER/NAME", String::as_str)
        )
    };
    let all_unread = !scope_repos.is_empty() && unread.len() == scope_repos.len();
    let commits = if let Scope::Service(_) = scope {
        if !input.shipments.has_deployments(scope) {
            Measured::NoData(format!("no production deployments recorded for {scope}"))
        } else if input.histories.is_empty() {
            Measured::NoData("no repository history was read (--repo-dir)".to_owned())
        } else if all_unread {
            Measured::NoData(unread_reason())
        } else {
            note_unread(&mut issues, &unread);
            Measured::Value(
                input
                    .shipments
                    .commits_shipped(scope, period.start, period.end),
            )
        }
    } else if input.histories.is_empty() {
        Measured::NoData("no repository history was read (--repo-dir)".to_owned())
    } else if all_unread {
        Measured::NoData(unread_reason())
    } else {
        if !matches!(scope, Scope::Org) {
            note_unread(&mut issues, &unread);
        }
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

/// The repositories the services of `scope` name (lower-case, sorted), and
/// those of them whose history was not read.
pub(crate) fn scope_repositories(
    index: &Index<'_>,
    scope: &Scope,
    histories: &Histories,
) -> (Vec<String>, Vec<String>) {
    let vendor_of = |team: &str| {
        index
            .team_by_id(team)
            .and_then(|t| index.vendor_of_team(t))
            .map(|v| index.vendor(v).id.as_str())
    };
    let mut repos: Vec<String> = index
        .model()
        .services
        .iter()
        .filter(|s| match scope {
            Scope::Org => true,
            Scope::Service(id) => &s.id == id,
            Scope::Team(t) => &s.team == t,
            Scope::Vendor(v) => vendor_of(&s.team) == Some(v.as_str()),
        })
        .flat_map(|s| s.repos.iter().map(|r| r.to_ascii_lowercase()))
        .collect();
    repos.sort();
    repos.dedup();
    let unread = repos
        .iter()
        .filter(|r| histories.get(r).is_none())
        .cloned()
        .collect();
    (repos, unread)
}

/// Counts each repository of the scope that was not read: its commits are missing from the count.
fn note_unread(issues: &mut DataIssues, unread: &[String]) {
    for r in unread {
        issues.note(
            "repository_not_read",
            "a repository of the scope's services whose history was not read (--repo-dir): its commits are not counted",
            r.clone(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    fn pull(number: u64, additions: u64, deletions: u64) -> PullRequest {
        PullRequest {
            repo: "acme/payments".into(),
            number,
            author: "someone".into(),
            opened: t("2026-10-05T09:00:00Z"),
            merged: Some(t("2026-10-06T09:00:00Z")),
            closed: Some(t("2026-10-06T09:00:00Z")),
            additions: Some(additions),
            deletions: Some(deletions),
            changed_files: None,
            merge_sha: None,
            labels: Vec::new(),
        }
    }

    fn review(number: u64) -> Review {
        Review {
            repo: "acme/payments".into(),
            number,
            reviewer: "somebody-else".into(),
            state: "APPROVED".into(),
            submitted: t("2026-10-05T12:00:00Z"),
        }
    }

    fn model() -> palisade_model::Model {
        palisade_model::parse(include_str!("../../../examples/acme/palisade.toml"))
            .expect("the example model")
    }

    fn run(
        model: &palisade_model::Model,
        scope: &Scope,
        pulls: Option<&[PullRequest]>,
        reviews: Option<&[Review]>,
        histories: &Histories,
    ) -> Delivery {
        let index = Index::new(model);
        let shipments = Shipments::compute(&index, &[], &[], histories);
        let period = Period::month("2026-10", &jiff::tz::TimeZone::UTC).expect("month");
        let input = DeliveryInput {
            pulls,
            reviews,
            histories,
            shipments: &shipments,
        };
        delivery(&index, scope, &period, input)
    }

    #[test]
    fn a_pull_request_whose_reviews_were_not_given_is_unknown_not_unreviewed() {
        let model = model();
        let pulls = [pull(1, 1, 1), pull(2, 1, 1), pull(3, 1, 1)];
        let reviews = [review(1)];
        let d = run(
            &model,
            &Scope::Org,
            Some(&pulls),
            Some(&reviews),
            &Histories::default(),
        );
        assert_eq!(d.merged_unreviewed, Measured::Value(0));
        assert_eq!(d.issues.count("reviews_not_given"), 2);
        // None of them covered: nothing to say.
        let d = run(
            &model,
            &Scope::Org,
            Some(&pulls),
            Some(&[]),
            &Histories::default(),
        );
        assert!(
            matches!(d.merged_unreviewed, Measured::NoData(ref why) if why.contains("--reviews")),
            "{:?}",
            d.merged_unreviewed
        );
    }

    #[test]
    fn a_pull_request_named_with_an_empty_reviews_file_is_unreviewed() {
        let model = model();
        let index = Index::new(&model);
        let histories = Histories::default();
        let shipments = Shipments::compute(&index, &[], &[], &histories);
        let period = Period::month("2026-10", &jiff::tz::TimeZone::UTC).expect("month");
        let pulls = [pull(1, 1, 1), pull(2, 1, 1)];
        let input = DeliveryInput {
            pulls: Some(&pulls),
            reviews: Some(&[]),
            histories: &histories,
            shipments: &shipments,
        };
        let d = delivery_given(
            &index,
            &Scope::Org,
            &period,
            input,
            &[("acme/payments".into(), 2)],
        );
        assert_eq!(d.merged_unreviewed, Measured::Value(1));
        assert_eq!(d.issues.count("reviews_not_given"), 1);
    }

    #[test]
    fn files_changed_is_no_data_when_no_pull_request_carries_it() {
        let model = model();
        let pulls = [pull(1, 10, 2)];
        let d = run(
            &model,
            &Scope::Org,
            Some(&pulls),
            None,
            &Histories::default(),
        );
        let size = d.pull_size.value().expect("sized");
        assert_eq!(size.max_lines, 12);
        assert!(
            matches!(size.median_files, Measured::NoData(ref why) if why.contains("changed_files")),
            "{:?}",
            size.median_files
        );
    }

    #[test]
    fn commits_are_no_data_when_the_scopes_repository_was_not_read() {
        let model = model();
        let mut histories = Histories::default();
        histories.insert(crate::history::History::from_commits(
            "acme/payments",
            &[],
            false,
        ));
        // nimbus-mobile's only repository is acme/mobile.
        let d = run(
            &model,
            &Scope::Team("nimbus-mobile".into()),
            None,
            None,
            &histories,
        );
        assert!(
            matches!(d.commits, Measured::NoData(ref why) if why.contains("acme/mobile") && why.contains("--repo-dir")),
            "{:?}",
            d.commits
        );
        // nimbus works in acme/payments (read) and acme/platform (not read).
        let d = run(
            &model,
            &Scope::Vendor("nimbus".into()),
            None,
            None,
            &histories,
        );
        assert_eq!(d.commits, Measured::Value(0));
        assert!(d.issues.count("repository_not_read") >= 1, "{:?}", d.issues);
    }

    #[test]
    fn a_deployed_services_commits_are_no_data_when_its_repository_was_not_read() {
        use crate::input::{DeployStatus, DeployedCommit, Deployment};
        let model = model();
        let index = Index::new(&model);
        let deployed = [Deployment {
            id: "d1".into(),
            service: "checkout-web".into(),
            environment: "prod".into(),
            started: t("2026-10-07T10:00:00Z"),
            finished: t("2026-10-07T10:05:00Z"),
            status: DeployStatus::Success,
            commits: vec![DeployedCommit {
                repo: "acme/payments".into(),
                sha: "a".repeat(40),
            }],
        }];
        let period = Period::month("2026-10", &jiff::tz::TimeZone::UTC).expect("month");
        let scope = Scope::Service("checkout-web".into());
        let mut platform = Histories::default();
        platform.insert(crate::history::History::from_commits(
            "acme/platform",
            &[],
            false,
        ));
        for histories in [Histories::default(), platform] {
            let shipments = Shipments::compute(&index, &deployed, &[], &histories);
            assert!(shipments.has_deployments(&scope));
            let input = DeliveryInput {
                pulls: None,
                reviews: None,
                histories: &histories,
                shipments: &shipments,
            };
            let d = delivery(&index, &scope, &period, input);
            assert!(
                matches!(d.commits, Measured::NoData(ref why) if why.contains("--repo-dir")),
                "{:?}",
                d.commits
            );
        }
    }

    proptest! {
        #[test]
        fn any_pull_request_size_is_measured_or_counted_never_a_panic(
            sizes in proptest::collection::vec((any::<u64>(), any::<u64>()), 1..6),
        ) {
            let model = model();
            let pulls: Vec<PullRequest> = sizes
                .iter()
                .enumerate()
                .map(|(i, &(a, d))| pull(i as u64 + 1, a, d))
                .collect();
            let d = run(&model, &Scope::Org, Some(&pulls), None, &Histories::default());
            let overflowing = sizes.iter().filter(|(a, d)| a.checked_add(*d).is_none()).count();
            prop_assert_eq!(d.issues.count("implausible_size"), overflowing as u64);
            match &d.pull_size {
                Measured::Value(s) => {
                    prop_assert_eq!(s.samples as usize, sizes.len() - overflowing);
                    let max = sizes.iter().filter_map(|(a, d)| a.checked_add(*d)).max();
                    prop_assert_eq!(Some(s.max_lines), max);
                }
                Measured::NoData(_) => prop_assert_eq!(overflowing, sizes.len()),
            }
        }
    }
}
