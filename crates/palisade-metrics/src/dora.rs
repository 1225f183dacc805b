//! The DORA keys, each classified against the 2024 clusters.
//!
//! The figures are computed from deployments, incidents and the git history
//! of the deployed repositories. [`Shipments`] is computed once over every
//! deployment (which commits each one shipped, and when each commit first
//! reached production); [`Shipments::dora`] then answers for any scope and
//! period cheaply. Definitions, and where they differ from Four Keys and
//! DevLake, are in `docs/metrics.md`.

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, civil};
use serde::Serialize;

use std::collections::{HashMap, HashSet};

use crate::history::CommitId;
use crate::input::DataIssues;
use crate::measure::{Measured, Scope};
use crate::period::Period;

mod ship;

pub use ship::Shipments;

/// A performance cluster of the DORA 2024 report ("Accelerate State of
/// DevOps"), worst first so that `a < b` means `a` performs worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cluster {
    /// Low performers.
    Low,
    /// Medium performers.
    Medium,
    /// High performers.
    High,
    /// Elite performers.
    Elite,
}

impl Cluster {
    /// Its name as shown: `elite`, `high`, `medium`, `low`.
    pub fn key(self) -> &'static str {
        match self {
            Cluster::Low => "low",
            Cluster::Medium => "medium",
            Cluster::High => "high",
            Cluster::Elite => "elite",
        }
    }
}

impl std::fmt::Display for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// Four Keys' deployment frequency bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FrequencyBucket {
    /// Slower than monthly.
    Yearly,
    /// Most months have a deployment.
    Monthly,
    /// Most weeks have a deployment.
    Weekly,
    /// In the median week, three days or more have a deployment.
    Daily,
}

impl FrequencyBucket {
    /// Its name as shown: `daily`, `weekly`, `monthly`, `yearly`.
    pub fn key(self) -> &'static str {
        match self {
            FrequencyBucket::Yearly => "yearly",
            FrequencyBucket::Monthly => "monthly",
            FrequencyBucket::Weekly => "weekly",
            FrequencyBucket::Daily => "daily",
        }
    }
}

impl std::fmt::Display for FrequencyBucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// How often a scope deployed to production.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frequency {
    /// Successful production deployments finished inside the period.
    pub deployments: u64,
    /// `deployments` per 7 days of the period.
    pub per_week: f64,
    /// Four Keys' bucket, judged over [`Frequency::window_weeks`] weeks
    /// ending with the period (see `docs/metrics.md`).
    pub bucket: FrequencyBucket,
    /// How many calendar weeks (Monday to Sunday, in the organisation's time
    /// zone) the bucket was judged over; fewer than 13 when the data starts later.
    pub window_weeks: u32,
    /// Successful production deployments inside that window.
    pub window_deployments: u64,
}

/// A distribution of durations, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DurationStats {
    /// How many samples.
    pub samples: u64,
    /// The median (the mean of the two middle samples when their number is even).
    pub median_seconds: f64,
    /// The 25th percentile (linear interpolation, as SQL's `PERCENTILE_CONT`).
    pub p25_seconds: f64,
    /// The 75th percentile.
    pub p75_seconds: f64,
    /// The 90th percentile.
    pub p90_seconds: f64,
    /// The shortest.
    pub min_seconds: i64,
    /// The longest.
    pub max_seconds: i64,
}

/// A share: `count` of `of`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    /// How many counted.
    pub count: u64,
    /// Out of how many (never zero: no denominator is no data).
    pub of: u64,
    /// `count / of`, from 0 to 1.
    pub ratio: f64,
}

/// The 2024 cluster each key falls in, when it was measured. Deployment
/// rework rate has no cluster: the 2024 report publishes none for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Classes {
    /// From the frequency bucket (see `docs/metrics.md`).
    pub deployment_frequency: Option<Cluster>,
    /// From the median lead time.
    pub lead_time: Option<Cluster>,
    /// From the change failure rate.
    pub change_failure_rate: Option<Cluster>,
    /// From the median recovery time.
    pub recovery_time: Option<Cluster>,
}

/// One production deployment's lead times, for a distribution chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadTimeSample {
    /// The deployment's id.
    pub deployment: String,
    /// The service deployed.
    pub service: String,
    /// When it finished.
    pub finished: Timestamp,
    /// How many commits it shipped to production for the first time, with a usable lead time.
    pub commits: u64,
    /// The median lead time of those commits, in seconds.
    pub median_seconds: f64,
    /// The longest, in seconds.
    pub max_seconds: i64,
}

/// Deployments in one calendar week, for a deployments-over-time chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekCount {
    /// The week's Monday, in the organisation's time zone.
    pub week: civil::Date,
    /// Successful production deployments that week.
    pub succeeded: u64,
    /// Failed production deployments that week.
    pub failed: u64,
    /// Successful production deployments that week linked to an incident.
    pub caused_incident: u64,
}

/// The DORA keys for one scope and period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dora {
    /// Whom it is about.
    pub scope: Scope,
    /// The period's label (`2026-10`).
    pub period: String,
    /// The period's first instant.
    pub start: Timestamp,
    /// The first instant after the period.
    pub end: Timestamp,
    /// Deployment frequency, with Four Keys' bucket.
    pub deployment_frequency: Measured<Frequency>,
    /// Lead time for changes: from each commit's author time to the production
    /// deployment that first contained it, over the commits first deployed in the period.
    pub lead_time: Measured<DurationStats>,
    /// Change failure rate: successful production deployments in the period
    /// linked to at least one incident, over all successful production deployments in it.
    pub change_failure_rate: Measured<Rate>,
    /// Failed-deployment recovery time: incident opened to resolved, for the
    /// resolved incidents linked to a production deployment and resolved in the period.
    pub recovery_time: Measured<DurationStats>,
    /// Deployment rework rate: successful production deployments in the period
    /// that shipped a fix for an open production incident, over all of them.
    pub rework_rate: Measured<Rate>,
    /// The 2024 cluster of each key.
    pub classes: Classes,
    /// Failed production deployments in the period (they count in no key; see `docs/metrics.md`).
    pub failed_deployments: u64,
    /// Linked incidents still open at the end of the period (not in the recovery time).
    pub open_incidents: u64,
    /// Incidents of the scope opened or resolved in the period whose cause
    /// commit is in no history read (no clone given, or a shallow one): they
    /// could not be linked to a deployment, so the change failure rate and the
    /// recovery time, when measured, are partial (they may be short of the truth).
    pub unlinked_incidents: u64,
    /// Whether a repository's history is a shallow clone: lead times may be
    /// short of the truth, because older commits are missing.
    pub lead_time_truncated: bool,
    /// Per production deployment in the period, its lead times.
    pub lead_time_samples: Vec<LeadTimeSample>,
    /// Per calendar week of the frequency window, the deployments.
    pub weekly: Vec<WeekCount>,
    /// What in the input could not be used, for the records in this scope.
    pub issues: DataIssues,
}

impl DurationStats {
    /// The distribution of `seconds`, or `None` when there are none.
    pub fn of(mut seconds: Vec<i64>) -> Option<DurationStats> {
        if seconds.is_empty() {
            return None;
        }
        seconds.sort_unstable();
        let f: Vec<f64> = seconds.iter().map(|&s| s as f64).collect();
        Some(DurationStats {
            samples: seconds.len() as u64,
            median_seconds: percentile(&f, 0.5),
            p25_seconds: percentile(&f, 0.25),
            p75_seconds: percentile(&f, 0.75),
            p90_seconds: percentile(&f, 0.9),
            min_seconds: seconds[0],
            max_seconds: seconds[seconds.len() - 1],
        })
    }
}

/// The `p` percentile of sorted, non-empty `v`, interpolated linearly
/// between the closest ranks (SQL's `PERCENTILE_CONT`).
pub(crate) fn percentile(v: &[f64], p: f64) -> f64 {
    let rank = p * (v.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let (a, b) = (v[lo], v[hi]);
    a + (b - a) * (rank - lo as f64)
}

impl Rate {
    /// `count` of `of`, or `None` when `of` is zero.
    pub fn of(count: u64, of: u64) -> Option<Rate> {
        (of > 0).then(|| Rate {
            count,
            of,
            ratio: count as f64 / of as f64,
        })
    }
}

/// Weeks over which the frequency bucket is judged, as Four Keys' three months.
pub const WINDOW_WEEKS: i64 = 13;

const HOUR: f64 = 3600.0;
const DAY: f64 = 24.0 * HOUR;

/// The 2024 cluster of a deployment frequency: Four Keys' `daily` is elite
/// when the window averages more than one deployment a day ("on demand,
/// multiple deploys per day"), high otherwise; `weekly` is high (between once
/// a day and once a week), `monthly` medium, `yearly` low.
pub fn frequency_class(f: &Frequency) -> Cluster {
    match f.bucket {
        FrequencyBucket::Daily
            if f.window_weeks > 0
                && f.window_deployments as f64 > f64::from(f.window_weeks) * 7.0 =>
        {
            Cluster::Elite
        }
        FrequencyBucket::Daily | FrequencyBucket::Weekly => Cluster::High,
        FrequencyBucket::Monthly => Cluster::Medium,
        FrequencyBucket::Yearly => Cluster::Low,
    }
}

/// The 2024 cluster of a median lead time: under a day elite, under a week
/// high, under a month (730 hours, as Four Keys) medium, else low.
pub fn lead_time_class(median_seconds: f64) -> Cluster {
    if median_seconds < DAY {
        Cluster::Elite
    } else if median_seconds < 7.0 * DAY {
        Cluster::High
    } else if median_seconds < 730.0 * HOUR {
        Cluster::Medium
    } else {
        Cluster::Low
    }
}

/// The 2024 cluster of a change failure rate: the best cluster whose typical
/// rate it does not exceed (elite 5%, high 20%, low 40%; above 40% low too).
/// The 2024 medium cluster had a lower rate (10%) than the high one, so a
/// failure rate alone never places a scope there.
pub fn failure_rate_class(ratio: f64) -> Cluster {
    if ratio <= 0.05 {
        Cluster::Elite
    } else if ratio <= 0.20 {
        Cluster::High
    } else {
        Cluster::Low
    }
}

/// The 2024 cluster of a median recovery time: under an hour elite, under a
/// day high (medium is under a day too), else low.
pub fn recovery_class(median_seconds: f64) -> Cluster {
    if median_seconds < HOUR {
        Cluster::Elite
    } else if median_seconds < DAY {
        Cluster::High
    } else {
        Cluster::Low
    }
}

/// The Monday of the week holding `t` in `zone`.
fn monday(t: Timestamp, zone: &TimeZone) -> civil::Date {
    let date = t.to_zoned(zone.clone()).date();
    let back = i64::from(date.weekday().to_monday_zero_offset());
    date.checked_sub(Span::new().days(back)).unwrap_or(date)
}

fn add_days(d: civil::Date, days: i64) -> civil::Date {
    d.checked_add(Span::new().days(days)).unwrap_or(d)
}

/// The median of `v` (not empty).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    percentile(&v, 0.5)
}

impl Shipments {
    /// The DORA keys of `scope` over `period`, weeks and days taken in `zone`
    /// (the organisation's time zone).
    pub fn dora(&self, scope: &Scope, period: &Period, zone: &TimeZone) -> Dora {
        let label = &period.label;
        let in_period = |t: Timestamp| period.contains(t);
        let rows: Vec<_> = self
            .rows
            .iter()
            .filter(|r| r.production && r.owner.is_in(scope))
            .collect();
        let shipped: Vec<_> = rows
            .iter()
            .filter(|r| r.success && in_period(r.finished))
            .collect();
        let mut issues = DataIssues::default();
        for r in self
            .rows
            .iter()
            .filter(|r| r.owner.is_in(scope) && in_period(r.finished))
        {
            issues.merge(r.issues.clone());
        }
        for i in self
            .incidents
            .iter()
            .filter(|i| {
                i.owner.is_in(scope)
                    || i.deployment
                        .is_some_and(|d| self.rows[d].owner.is_in(scope))
            })
            .filter(|i| in_period(i.opened) || i.resolved.is_some_and(in_period))
        {
            issues.merge(i.issues.clone());
        }
        let none_recorded = || format!("no production deployments recorded for {scope}");
        let none_in_period =
            || format!("no successful production deployments of {scope} in {label}");

        // Deployment frequency and the weekly chart.
        let last_week = monday(
            Timestamp::from_second(period.end.as_second() - 1).unwrap_or(period.end),
            zone,
        );
        let mut first_week = add_days(last_week, -7 * (WINDOW_WEEKS - 1));
        // The window starts no earlier than the scope's own first production
        // deployment: other scopes' data says nothing about when this one began.
        if let Some(first) = rows.iter().map(|r| r.finished).min() {
            first_week = first_week.max(monday(first, zone));
        }
        let weeks = if first_week > last_week {
            0
        } else {
            (first_week
                .until(last_week)
                .map(|s| s.get_days())
                .unwrap_or(0)
                / 7
                + 1) as usize
        };
        let mut weekly: Vec<WeekCount> = (0..weeks)
            .map(|w| WeekCount {
                week: add_days(first_week, 7 * w as i64),
                succeeded: 0,
                failed: 0,
                caused_incident: 0,
            })
            .collect();
        let mut days: Vec<Vec<civil::Date>> = vec![Vec::new(); weeks];
        let mut window_deployments = 0;
        for r in rows.iter().filter(|r| r.finished < period.end) {
            let date = r.finished.to_zoned(zone.clone()).date();
            let Ok(span) = first_week.until(date) else {
                continue;
            };
            let offset = span.get_days();
            if offset < 0 || offset as usize / 7 >= weeks {
                continue;
            }
            let w = offset as usize / 7;
            if r.success {
                weekly[w].succeeded += 1;
                window_deployments += 1;
                if !r.incidents.is_empty() {
                    weekly[w].caused_incident += 1;
                }
                if !days[w].contains(&date) {
                    days[w].push(date);
                }
            } else {
                weekly[w].failed += 1;
            }
        }
        let deployment_frequency = if rows.is_empty() {
            Measured::NoData(none_recorded())
        } else if weeks == 0 {
            Measured::NoData(format!(
                "no production deployments recorded up to the end of {label}"
            ))
        } else {
            let days_deployed: Vec<f64> = days.iter().map(|d| d.len() as f64).collect();
            let deployed: Vec<f64> = days
                .iter()
                .map(|d| if d.is_empty() { 0.0 } else { 1.0 })
                .collect();
            let monthly: Vec<f64> = weekly
                .iter()
                .map(|w| {
                    weekly
                        .iter()
                        .zip(&deployed)
                        .filter(|(o, _)| {
                            (o.week.year(), o.week.month()) == (w.week.year(), w.week.month())
                        })
                        .map(|(_, d)| d)
                        .sum()
                })
                .collect();
            let bucket = if median(days_deployed) >= 3.0 {
                FrequencyBucket::Daily
            } else if median(deployed) >= 1.0 {
                FrequencyBucket::Weekly
            } else if median(monthly) >= 1.0 {
                FrequencyBucket::Monthly
            } else {
                FrequencyBucket::Yearly
            };
            let deployments = shipped.len() as u64;
            Measured::Value(Frequency {
                deployments,
                per_week: deployments as f64 / (period.days() / 7.0),
                bucket,
                window_weeks: weeks as u32,
                window_deployments,
            })
        };

        // Lead time for changes: each (repository, commit) once, at the first
        // production deployment of the scope that shipped it. A service's rows
        // already ship each commit once; an organisation, vendor or team may
        // ship the same commit with several services.
        let mut seen: HashSet<(usize, CommitId)> = HashSet::new();
        let mut firsts: HashMap<&str, Vec<i64>> = HashMap::new();
        for r in rows.iter().filter(|r| r.success && r.finished < period.end) {
            for &(repo, commit, lead) in &r.firsts {
                if seen.insert((repo, commit)) && in_period(r.finished) {
                    let leads = firsts.entry(r.id.as_str()).or_default();
                    leads.extend(lead);
                }
            }
        }
        let lead: Vec<i64> = shipped
            .iter()
            .flat_map(|r| firsts.get(r.id.as_str()).into_iter().flatten().copied())
            .collect();
        let lead_time = match DurationStats::of(lead) {
            Some(stats) => Measured::Value(stats),
            None if rows.is_empty() => Measured::NoData(none_recorded()),
            None if shipped.is_empty() => Measured::NoData(none_in_period()),
            None => Measured::NoData(format!(
                "no production deployment of {scope} in {label} shipped a commit with a known lead time (see the data issues)"
            )),
        };
        let lead_time_samples = shipped
            .iter()
            .filter_map(|r| {
                let stats = DurationStats::of(firsts.get(r.id.as_str())?.clone())?;
                Some(LeadTimeSample {
                    deployment: r.id.clone(),
                    service: r.owner.service.clone(),
                    finished: r.finished,
                    commits: stats.samples,
                    median_seconds: stats.median_seconds,
                    max_seconds: stats.max_seconds,
                })
            })
            .collect();

        // Change failure rate and rework rate.
        let n = shipped.len() as u64;
        let failed_changes = shipped.iter().filter(|r| !r.incidents.is_empty()).count() as u64;
        let reworked = shipped.iter().filter(|r| r.rework).count() as u64;
        let no_rate = || {
            if rows.is_empty() {
                none_recorded()
            } else {
                none_in_period()
            }
        };
        // Incidents whose cause commit could not be found may have been caused
        // by any deployment: the rates say so, or give no data when nothing
        // else is linked.
        let unlinked = |when: &dyn Fn(&ship::IncidentRow) -> bool| {
            self.incidents
                .iter()
                .filter(|i| i.cause_not_found && i.owner.is_in(scope) && when(i))
                .count() as u64
        };
        let unlinked_opened = unlinked(&|i| in_period(i.opened));
        let unlinked_resolved = unlinked(&|i| i.resolved.is_some_and(in_period));
        let unlinked_incidents =
            unlinked(&|i| in_period(i.opened) || i.resolved.is_some_and(in_period));
        let not_found = |n: u64, when: &str| {
            format!(
                "{n} incident(s) of {scope} {when} in {label} could not be linked to a deployment: their cause commits are in no history read (give full clones with --repo-dir OWNER/NAME=PATH; see the data issues)"
            )
        };
        let change_failure_rate = if failed_changes == 0 && unlinked_opened > 0 && n > 0 {
            Measured::NoData(not_found(unlinked_opened, "opened"))
        } else {
            Measured::from_option(Rate::of(failed_changes, n), no_rate)
        };
        let rework_rate = Measured::from_option(Rate::of(reworked, n), no_rate);

        // Failed-deployment recovery time.
        let linked = || {
            self.incidents.iter().filter(|i| {
                i.deployment
                    .is_some_and(|d| self.rows[d].owner.is_in(scope))
            })
        };
        let recoveries: Vec<i64> = linked()
            .filter_map(|i| Some((i, i.resolved?)))
            .filter(|(_, resolved)| in_period(*resolved))
            .map(|(i, resolved)| resolved.as_second() - i.opened.as_second())
            .filter(|&s| s >= 0)
            .collect();
        let open_incidents = linked()
            .filter(|i| i.opened < period.end && i.resolved.is_none_or(|t| t >= period.end))
            .count() as u64;
        let recovery_time = Measured::from_option(DurationStats::of(recoveries), || {
            if unlinked_resolved > 0 {
                not_found(unlinked_resolved, "resolved")
            } else {
                format!(
                    "no incident linked to a production deployment of {scope} was resolved in {label}"
                )
            }
        });

        let classes = Classes {
            deployment_frequency: deployment_frequency.value().map(frequency_class),
            lead_time: lead_time.value().map(|s| lead_time_class(s.median_seconds)),
            change_failure_rate: change_failure_rate
                .value()
                .map(|r| failure_rate_class(r.ratio)),
            recovery_time: recovery_time
                .value()
                .map(|s| recovery_class(s.median_seconds)),
        };
        Dora {
            scope: scope.clone(),
            period: label.clone(),
            start: period.start,
            end: period.end,
            deployment_frequency,
            lead_time,
            change_failure_rate,
            recovery_time,
            rework_rate,
            classes,
            failed_deployments: rows
                .iter()
                .filter(|r| !r.success && in_period(r.finished))
                .count() as u64,
            open_incidents,
            unlinked_incidents,
            lead_time_truncated: shipped.iter().any(|r| r.shallow),
            lead_time_samples,
            weekly,
            issues,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Histories, History};
    use crate::input::{Commit, DeployStatus, DeployedCommit, Deployment, Incident};

    #[test]
    fn each_key_is_placed_in_a_2024_cluster() {
        let hour = HOUR;
        assert_eq!(lead_time_class(23.9 * hour), Cluster::Elite);
        assert_eq!(lead_time_class(24.0 * hour), Cluster::High);
        assert_eq!(lead_time_class(7.0 * 24.0 * hour), Cluster::Medium);
        assert_eq!(lead_time_class(730.0 * hour), Cluster::Low);
        assert_eq!(failure_rate_class(0.05), Cluster::Elite);
        assert_eq!(failure_rate_class(0.12), Cluster::High);
        assert_eq!(failure_rate_class(0.21), Cluster::Low);
        assert_eq!(recovery_class(59.0 * 60.0), Cluster::Elite);
        assert_eq!(recovery_class(23.0 * hour), Cluster::High);
        assert_eq!(recovery_class(24.0 * hour), Cluster::Low);
        let f = |bucket, window_deployments| Frequency {
            deployments: 0,
            per_week: 0.0,
            bucket,
            window_weeks: 13,
            window_deployments,
        };
        assert_eq!(
            frequency_class(&f(FrequencyBucket::Daily, 92)),
            Cluster::Elite
        );
        assert_eq!(
            frequency_class(&f(FrequencyBucket::Daily, 91)),
            Cluster::High
        );
        assert_eq!(
            frequency_class(&f(FrequencyBucket::Weekly, 13)),
            Cluster::High
        );
        assert_eq!(
            frequency_class(&f(FrequencyBucket::Monthly, 3)),
            Cluster::Medium
        );
        assert_eq!(
            frequency_class(&f(FrequencyBucket::Yearly, 0)),
            Cluster::Low
        );
        assert!(Cluster::Low < Cluster::Elite);
    }

    #[test]
    fn percentiles_interpolate_as_percentile_cont() {
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(percentile(&[3.0, 10.0, 40.0, 100.0], 0.75), 55.0);
        assert_eq!(percentile(&[7.0], 0.9), 7.0);
        assert!(DurationStats::of(Vec::new()).is_none());
        assert!(Rate::of(0, 0).is_none());
        let s = DurationStats::of(vec![30, 10, 20]).expect("samples");
        assert_eq!(
            (s.median_seconds, s.min_seconds, s.max_seconds),
            (20.0, 10, 30)
        );
    }

    const MODEL: &str = r#"
[org]
name = "T"
timezone = "UTC"
log_name = "t.example/palisade"

[[teams]]
id = "core"
name = "Core"
kind = "internal"

[[people]]
handle = "ana"
name = "Ana"
email = "ana@t.example"
team = "core"
timezone = "UTC"

[[services]]
id = "api"
repos = ["o/api"]
team = "core"
owner = "ana"
risk = "low"

[[services]]
id = "worker"
repos = ["o/api"]
team = "core"
owner = "ana"
risk = "low"

[[environments]]
id = "eu"
production = true

[[environments]]
id = "us"
production = true
"#;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    fn sha(n: u32) -> String {
        format!("{n:040x}")
    }

    /// A straight line 1 ← 2 ← … ← 6, commit n authored on 2026-10-0n 08:00.
    fn line() -> Histories {
        let commits: Vec<Commit> = (1..=6)
            .map(|n| Commit {
                sha: sha(n),
                authored: t(&format!("2026-10-0{n}T08:00:00Z")),
                committed: t(&format!("2026-10-0{n}T08:00:00Z")),
                author_email: "ana@t.example".into(),
                person: Some("ana".into()),
                parents: if n == 1 { vec![] } else { vec![sha(n - 1)] },
            })
            .collect();
        let mut h = Histories::default();
        h.insert(History::from_commits("o/api", &commits, false));
        h
    }

    fn deploy(id: &str, env: &str, at: &str, head: u32) -> Deployment {
        Deployment {
            id: id.into(),
            service: "api".into(),
            environment: env.into(),
            started: t(at),
            finished: t(at),
            status: DeployStatus::Success,
            commits: vec![DeployedCommit {
                repo: "O/API".into(),
                sha: sha(head),
            }],
        }
    }

    #[test]
    fn a_commit_is_shipped_once_across_environments_and_rollbacks() {
        let model = palisade_model::parse(MODEL).expect("model");
        let index = palisade_model::Index::new(&model);
        let deployments = [
            deploy("e1", "eu", "2026-10-01T12:00:00Z", 1),
            deploy("u1", "us", "2026-10-01T13:00:00Z", 1),
            // eu ships 2 and 3; us then takes 3 as well: nothing new for the service.
            deploy("e2", "eu", "2026-10-03T12:00:00Z", 3),
            deploy("u2", "us", "2026-10-03T18:00:00Z", 3),
            // A rollback to 2 ships nothing; going forward to 5 ships 4 and 5 only.
            deploy("e3", "eu", "2026-10-04T12:00:00Z", 2),
            deploy("e4", "eu", "2026-10-05T12:00:00Z", 5),
        ];
        let incident = Incident {
            id: "i1".into(),
            service: "api".into(),
            severity: "sev1".into(),
            title: "x".into(),
            opened: t("2026-10-03T20:00:00Z"),
            resolved: Some(t("2026-10-04T13:00:00Z")),
            cause: Some(sha(3)),
            deployment: None,
        };
        let histories = line();
        let s = Shipments::compute(&index, &deployments, &[incident], &histories);
        let oct = Period::month("2026-10", &TimeZone::UTC).expect("month");
        let d = s.dora(&Scope::Service("api".into()), &oct, &TimeZone::UTC);
        let samples: Vec<(&str, u64)> = d
            .lead_time_samples
            .iter()
            .map(|s| (s.deployment.as_str(), s.commits))
            .collect();
        assert_eq!(samples, [("e2", 2), ("e4", 2)]);
        // 2: 10-02 08:00 → 10-03 12:00 = 28 h; 3: 4 h; 4: 28 h; 5: 4 h.
        let lead = d.lead_time.value().expect("lead");
        assert_eq!((lead.samples, lead.median_seconds), (4, 16.0 * HOUR));
        // The cause commit 3 was first shipped by e2, in eu.
        assert_eq!(
            s.first_production(&histories, "o/api", &sha(3)),
            Some(("e2", "api", t("2026-10-03T12:00:00Z")))
        );
        let cfr = d.change_failure_rate.value().expect("rate");
        assert_eq!((cfr.count, cfr.of), (1, 6));
        // e3, the rollback during the incident, is rework.
        assert_eq!(d.rework_rate.value().map(|r| r.count), Some(1));
        assert_eq!(d.issues.count("first_deployment"), 2);
    }

    fn incident(id: &str, opened: &str, cause: Option<u32>, deployment: Option<&str>) -> Incident {
        Incident {
            id: id.into(),
            service: "api".into(),
            severity: "sev1".into(),
            title: "x".into(),
            opened: t(opened),
            resolved: Some(t("2026-10-28T00:00:00Z")),
            cause: cause.map(sha),
            deployment: deployment.map(str::to_owned),
        }
    }

    #[test]
    fn a_commit_two_services_ship_is_one_lead_time_for_their_team() {
        let model = palisade_model::parse(MODEL).expect("model");
        let index = palisade_model::Index::new(&model);
        let worker = |d: Deployment| Deployment {
            service: "worker".into(),
            ..d
        };
        let deployments = [
            deploy("a1", "eu", "2026-10-01T12:00:00Z", 1),
            worker(deploy("w1", "eu", "2026-10-01T13:00:00Z", 1)),
            // Both ship 2 and 3; api first.
            deploy("a2", "eu", "2026-10-03T12:00:00Z", 3),
            worker(deploy("w2", "eu", "2026-10-04T12:00:00Z", 3)),
        ];
        let s = Shipments::compute(&index, &deployments, &[], &line());
        let oct = Period::month("2026-10", &TimeZone::UTC).expect("month");
        let lead = |scope: Scope| {
            let d = s.dora(&scope, &oct, &TimeZone::UTC);
            let l = d.lead_time.value().expect("lead").clone();
            (l.samples, l.median_seconds / HOUR)
        };
        // 2: 28 h, 3: 4 h at a2; w2 ships them again a day later for worker.
        assert_eq!(lead(Scope::Service("api".into())), (2, 16.0));
        assert_eq!(lead(Scope::Service("worker".into())), (2, 40.0));
        assert_eq!(lead(Scope::Team("core".into())), (2, 16.0));
        assert_eq!(lead(Scope::Org), (2, 16.0));
        let d = s.dora(&Scope::Org, &oct, &TimeZone::UTC);
        let samples: Vec<&str> = d
            .lead_time_samples
            .iter()
            .map(|s| s.deployment.as_str())
            .collect();
        assert_eq!(samples, ["a2"]);
    }

    #[test]
    fn the_frequency_window_starts_at_the_scopes_own_first_deployment() {
        let model = palisade_model::parse(MODEL).expect("model");
        let index = palisade_model::Index::new(&model);
        let deployments = [
            deploy("a1", "eu", "2026-08-03T12:00:00Z", 1),
            Deployment {
                service: "worker".into(),
                ..deploy("w1", "eu", "2026-10-05T12:00:00Z", 1)
            },
        ];
        let s = Shipments::compute(&index, &deployments, &[], &line());
        let oct = Period::month("2026-10", &TimeZone::UTC).expect("month");
        let weeks = |scope: Scope| {
            let d = s.dora(&scope, &oct, &TimeZone::UTC);
            d.deployment_frequency
                .value()
                .expect("frequency")
                .window_weeks
        };
        assert_eq!(weeks(Scope::Org), 13);
        assert_eq!(weeks(Scope::Service("api".into())), 13);
        // Monday 5 October to Monday 26 October.
        assert_eq!(weeks(Scope::Service("worker".into())), 4);
    }

    #[test]
    fn an_incident_linked_to_a_later_deployment_counts_in_no_rate() {
        let model = palisade_model::parse(MODEL).expect("model");
        let index = palisade_model::Index::new(&model);
        let deployments = [
            deploy("e1", "eu", "2026-10-01T12:00:00Z", 1),
            deploy("e2", "eu", "2026-10-03T12:00:00Z", 3),
        ];
        let incidents = [
            // Named, and by cause (3, first shipped by e2): both opened before e2 finished.
            incident("i1", "2026-10-03T11:00:00Z", None, Some("e2")),
            incident("i2", "2026-10-03T11:30:00Z", Some(3), None),
        ];
        let s = Shipments::compute(&index, &deployments, &incidents, &line());
        let oct = Period::month("2026-10", &TimeZone::UTC).expect("month");
        let d = s.dora(&Scope::Service("api".into()), &oct, &TimeZone::UTC);
        assert_eq!(d.issues.count("deployed_after_incident"), 2);
        assert_eq!(d.change_failure_rate.value().map(|r| r.count), Some(0));
        assert!(matches!(d.recovery_time, Measured::NoData(_)));
    }

    #[test]
    fn incidents_whose_cause_is_in_no_history_make_the_rates_partial_or_no_data() {
        let model = palisade_model::parse(MODEL).expect("model");
        let index = palisade_model::Index::new(&model);
        let deployments = [
            deploy("e1", "eu", "2026-10-01T12:00:00Z", 1),
            deploy("e2", "eu", "2026-10-03T12:00:00Z", 3),
        ];
        let oct = Period::month("2026-10", &TimeZone::UTC).expect("month");
        let api = Scope::Service("api".into());
        // No history read: the cause cannot be found, nothing else is linked.
        let by_cause = [incident("i1", "2026-10-04T00:00:00Z", Some(3), None)];
        let s = Shipments::compute(&index, &deployments, &by_cause, &Histories::default());
        let d = s.dora(&api, &oct, &TimeZone::UTC);
        assert_eq!(d.unlinked_incidents, 1);
        assert_eq!(d.issues.count("cause_not_found"), 1);
        let Measured::NoData(why) = &d.change_failure_rate else {
            panic!(
                "a rate of 0% without the links: {:?}",
                d.change_failure_rate
            );
        };
        assert!(why.contains("could not be linked"), "{why}");
        assert!(
            matches!(&d.recovery_time, Measured::NoData(w) if w.contains("could not be linked"))
        );
        // One linked by name, one not found: measured, and marked partial.
        let both = [
            incident("i1", "2026-10-04T00:00:00Z", Some(3), None),
            incident("i2", "2026-10-04T00:00:00Z", None, Some("e2")),
        ];
        let s = Shipments::compute(&index, &deployments, &both, &Histories::default());
        let d = s.dora(&api, &oct, &TimeZone::UTC);
        assert_eq!(
            d.change_failure_rate.value().map(|r| (r.count, r.of)),
            Some((1, 2))
        );
        assert_eq!(d.unlinked_incidents, 1);
        // With the history, both are linked and nothing is partial.
        let s = Shipments::compute(&index, &deployments, &both, &line());
        let d = s.dora(&api, &oct, &TimeZone::UTC);
        assert_eq!(d.unlinked_incidents, 0);
        assert_eq!(d.issues.count("cause_not_found"), 0);
    }
}
