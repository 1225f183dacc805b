//! The month's figures of each module as tables of text: how the review
//! shows them. No figure is computed here, only worded.

use crate::cost::{CostToDeliver, Quality, QualityFlag};
use crate::delivery::Delivery;
use crate::dora::{Cluster, Dora, DurationStats, Rate};
use crate::knowledge::{Runbook, RunbookState};
use crate::measure::Measured;
use crate::platform::{NamedCount, PlatformHealth};
use crate::render::hours;

use super::FigureTable;

fn text(s: impl Into<String>) -> Measured<String> {
    Measured::Value(s.into())
}

fn shown<T>(m: &Measured<T>, f: impl FnOnce(&T) -> String) -> Measured<String> {
    match m {
        Measured::Value(v) => Measured::Value(f(v)),
        Measured::NoData(why) => Measured::NoData(why.clone()),
    }
}

fn duration(d: &DurationStats) -> String {
    hours(d.median_seconds / 3600.0)
}

fn spread(d: &DurationStats) -> String {
    format!(
        "{} sample{}; middle half {} to {}; 90% within {}",
        d.samples,
        if d.samples == 1 { "" } else { "s" },
        hours(d.p25_seconds / 3600.0),
        hours(d.p75_seconds / 3600.0),
        hours(d.p90_seconds / 3600.0)
    )
}

fn rate(r: &Rate) -> String {
    format!("{:.1}% ({} of {})", r.ratio * 100.0, r.count, r.of)
}

fn cluster(c: Option<Cluster>, measured: bool) -> Measured<String> {
    match c {
        Some(c) => text(c.key()),
        None if measured => text("none published"),
        None => Measured::NoData("not measured".into()),
    }
}

fn counts(list: &[NamedCount]) -> String {
    list.iter()
        .map(|c| format!("{} {}", c.name, c.count))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a figure linked to incidents lacks when some incidents could not be linked.
fn partial(d: &Dora) -> String {
    if d.unlinked_incidents == 0 {
        String::new()
    } else {
        format!(
            "; partial: {} incident(s) could not be linked to a deployment (cause commits in no history read)",
            d.unlinked_incidents
        )
    }
}

/// The DORA keys of the month with their 2024 cluster.
pub fn dora(d: &Dora) -> FigureTable {
    let c = &d.classes;
    let rows = vec![
        vec![
            text("deployment frequency"),
            shown(&d.deployment_frequency, |f| {
                format!("{} deployments ({:.1} a week)", f.deployments, f.per_week)
            }),
            cluster(
                c.deployment_frequency,
                d.deployment_frequency.value().is_some(),
            ),
            shown(&d.deployment_frequency, |f| {
                format!(
                    "{} by Four Keys' rule over {} weeks ({} deployments)",
                    f.bucket, f.window_weeks, f.window_deployments
                )
            }),
        ],
        vec![
            text("lead time for changes (median)"),
            shown(&d.lead_time, duration),
            cluster(c.lead_time, d.lead_time.value().is_some()),
            shown(&d.lead_time, |s| {
                let mut t = spread(s);
                if d.lead_time_truncated {
                    t.push_str("; shallow history: may be short of the truth");
                }
                t
            }),
        ],
        vec![
            text("change failure rate"),
            shown(&d.change_failure_rate, rate),
            cluster(
                c.change_failure_rate,
                d.change_failure_rate.value().is_some(),
            ),
            text(format!(
                "{} failed deployments not counted{}",
                d.failed_deployments,
                partial(d)
            )),
        ],
        vec![
            text("failed-deployment recovery time (median)"),
            shown(&d.recovery_time, duration),
            cluster(c.recovery_time, d.recovery_time.value().is_some()),
            shown(&d.recovery_time, |s| {
                format!(
                    "{}; {} linked incidents still open{}",
                    spread(s),
                    d.open_incidents,
                    partial(d)
                )
            }),
        ],
        vec![
            text("deployment rework rate"),
            shown(&d.rework_rate, rate),
            cluster(None, d.rework_rate.value().is_some()),
            text("production deployments that shipped a fix for an open incident"),
        ],
    ];
    FigureTable {
        id: "dora".into(),
        title: "DORA keys".into(),
        note: Some("Production deployments only; clusters from the DORA 2024 report.".into()),
        columns: vec![
            "key".into(),
            "value".into(),
            "2024 cluster".into(),
            "detail".into(),
        ],
        rows,
    }
}

/// Delivery health of the month.
pub fn delivery(d: &Delivery) -> FigureTable {
    let rows = vec![
        vec![
            text("pull requests merged"),
            shown(&d.merged_pulls, u64::to_string),
        ],
        vec![text("commits"), shown(&d.commits, u64::to_string)],
        vec![
            text("review latency (median, opened to first review by someone else)"),
            shown(&d.review_latency, |s| {
                format!("{} ({} reviewed)", duration(s), s.samples)
            }),
        ],
        vec![
            text("merged without a review by someone else"),
            shown(&d.merged_unreviewed, u64::to_string),
        ],
        vec![
            text("pull request size (median lines changed)"),
            shown(&d.pull_size, |s| {
                let files = match &s.median_files {
                    Measured::Value(f) => format!("{f:.0} files"),
                    Measured::NoData(why) => format!("files no data ({why})"),
                };
                format!(
                    "{:.0} lines, {files} (largest {} lines; {} sized)",
                    s.median_lines, s.max_lines, s.samples
                )
            }),
        ],
        vec![
            text("escaped defects"),
            shown(&d.escaped_defects, u64::to_string),
        ],
    ];
    FigureTable {
        id: "delivery".into(),
        title: "Delivery health".into(),
        note: None,
        columns: vec!["figure".into(), "value".into()],
        rows,
    }
}

/// Platform health and risk of the month.
pub fn platform(p: &PlatformHealth) -> FigureTable {
    let rows = vec![
        vec![
            text("incidents opened"),
            shown(&p.incidents, |i| {
                format!("{} ({})", i.opened, counts(&i.by_severity))
            }),
        ],
        vec![
            text("incident recovery (median)"),
            match &p.incidents {
                Measured::Value(i) => shown(&i.median_recovery_hours, |h| {
                    format!(
                        "{} ({} resolved, {} open at the end)",
                        hours(*h),
                        i.resolved,
                        i.open_at_end
                    )
                }),
                Measured::NoData(why) => Measured::NoData(why.clone()),
            },
        ],
        vec![
            text("gate verdicts failed"),
            shown(&p.gate, |g| {
                format!(
                    "{} of {} ({:.1}%), {} warned",
                    g.failed,
                    g.verdicts,
                    g.failure_rate * 100.0,
                    g.warned
                )
            }),
        ],
        vec![
            text("waivers used"),
            shown(&p.gate, |g| {
                format!("{} (in {} verdicts)", g.waivers_used, g.waived_verdicts)
            }),
        ],
        vec![
            text("secrets found"),
            shown(&p.secrets, |s| {
                format!(
                    "{} secrets in {} findings over {} scans; {} still open",
                    s.secrets, s.findings, s.scans, s.open_findings
                )
            }),
        ],
        vec![
            text("alerts raised"),
            shown(&p.alerts, |a| {
                format!("{} ({})", a.raised, counts(&a.by_severity))
            }),
        ],
        vec![
            text("break-glass uses"),
            shown(&p.access, |a| {
                format!(
                    "{} ({} not reviewed, {} overdue)",
                    a.break_glass, a.break_glass_unreviewed, a.break_glass_overdue
                )
            }),
        ],
        vec![
            text("access exceptions"),
            shown(&p.access, |a| {
                format!(
                    "{} ({} revoked by access reviews; {} requests, {} denied)",
                    a.exceptions, a.review_revocations, a.requests, a.denied
                )
            }),
        ],
    ];
    FigureTable {
        id: "platform".into(),
        title: "Platform health and risk".into(),
        note: None,
        columns: vec!["figure".into(), "value".into()],
        rows,
    }
}

/// The cost to deliver of the month, and whether output rose with quality.
pub fn cost(c: &Measured<CostToDeliver>, flag: &QualityFlag) -> FigureTable {
    let money = |v: &f64| match c.value().and_then(|c| c.currency.as_deref()) {
        Some(cur) => format!("{v:.2} {cur}"),
        None => format!("{v:.2}"),
    };
    let field = |f: fn(&CostToDeliver) -> &Measured<f64>, money_unit: bool| match c {
        Measured::Value(c) => match f(c) {
            Measured::Value(v) if money_unit => text(money(v)),
            Measured::Value(v) => text(format!("{v:.3}")),
            Measured::NoData(why) => Measured::NoData(why.clone()),
        },
        Measured::NoData(why) => Measured::NoData(why.clone()),
    };
    let rows = vec![
        vec![text("cost of the month"), field(|c| &c.cost, true)],
        vec![
            text("delivered"),
            shown(c, |c| {
                let changes = match &c.changes {
                    Measured::Value(n) => format!("{n} changes"),
                    Measured::NoData(why) => format!("changes no data ({why})"),
                };
                format!(
                    "{} deployments, {changes}, {} incidents",
                    c.deployments, c.incidents
                )
            }),
        ],
        vec![
            text("cost per deployment"),
            field(|c| &c.cost_per_deployment, true),
        ],
        vec![text("cost per change"), field(|c| &c.cost_per_change, true)],
        vec![
            text("incidents per deployment"),
            field(|c| &c.incidents_per_deployment, false),
        ],
        vec![
            text("against the month before"),
            match &flag.quality {
                Measured::Value(q) => text(format!(
                    "{}: {}",
                    match q {
                        Quality::ProductivityGain => "more output, same quality",
                        Quality::QualityProblem => "quality problem",
                        Quality::Steady => "steady",
                    },
                    flag.because
                )),
                Measured::NoData(why) => Measured::NoData(why.clone()),
            },
        ],
    ];
    FigureTable {
        id: "cost".into(),
        title: "Cost to deliver".into(),
        note: None,
        columns: vec!["figure".into(), "value".into()],
        rows,
    }
}

/// The runbooks of the scope's services: present, how old, and how much code changed since.
pub fn knowledge(runbooks: &Measured<Vec<Runbook>>, max_age_days: u32) -> FigureTable {
    let rows = match runbooks {
        Measured::NoData(why) => vec![vec![
            Measured::NoData(why.clone()),
            Measured::NoData(why.clone()),
            Measured::NoData(why.clone()),
            Measured::NoData(why.clone()),
        ]],
        Measured::Value(list) => list
            .iter()
            .map(|r| {
                let state = match r.state {
                    RunbookState::Present => match r.stale(max_age_days) {
                        Some(true) => "present, stale",
                        Some(false) => "present, fresh",
                        None => "present",
                    },
                    RunbookState::Missing => "declared but missing",
                    RunbookState::NotDeclared => "none declared",
                    RunbookState::NoRepository => "repository not read",
                };
                vec![
                    text(r.service.clone()),
                    text(state),
                    shown(&r.age_days, |d| format!("{d:.0} days")),
                    shown(&r.churn, |c| {
                        format!("{} commits, {} lines", c.commits, c.lines())
                    }),
                ]
            })
            .collect(),
    };
    FigureTable {
        id: "knowledge".into(),
        title: "Knowledge transfer: runbooks".into(),
        note: Some(format!(
            "A runbook is stale when it is older than {max_age_days} days and its service's code changed since."
        )),
        columns: vec![
            "service".into(),
            "runbook".into(),
            "age".into(),
            "code changed since".into(),
        ],
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Scope;

    #[test]
    fn changes_without_history_read_are_no_data_in_the_cost_table() {
        let why = "no repository history was read (--repo-dir)".to_owned();
        let c = CostToDeliver {
            scope: Scope::Vendor("nimbus".into()),
            period: "2026-10".into(),
            contracts: vec!["msa".into()],
            uncosted_contracts: Vec::new(),
            currency: Some("USD".into()),
            cost: Measured::Value(1000.0),
            deployments: 3,
            changes: Measured::NoData(why.clone()),
            incidents: 1,
            cost_per_deployment: Measured::Value(1000.0 / 3.0),
            cost_per_change: Measured::NoData(why.clone()),
            incidents_per_deployment: Measured::Value(1.0 / 3.0),
            teams: Vec::new(),
        };
        let flag = QualityFlag {
            quality: Measured::NoData("nothing to compare".into()),
            because: "nothing to compare with".into(),
        };
        let table = cost(&Measured::Value(c), &flag);
        let row = |name: &str| {
            table
                .rows
                .iter()
                .find(|r| r[0] == Measured::Value(name.to_owned()))
                .map(|r| r[1].clone())
                .expect(name)
        };
        let delivered = row("delivered");
        let delivered = delivered.value().expect("delivered");
        assert!(!delivered.contains("0 changes"), "{delivered}");
        assert!(delivered.contains("changes no data"), "{delivered}");
        assert_eq!(row("cost per change"), Measured::NoData(why));
    }
}
