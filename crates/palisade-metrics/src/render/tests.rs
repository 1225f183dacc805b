use jiff::Timestamp;

use super::svg::tick_label as svg_tick;
use super::*;
use crate::cost::QualityFlag;
use crate::input::DataIssues;
use crate::measure::Scope;
use crate::readiness::{Control, ControlId, Scorecard, Status};
use crate::review::{FigureTable, Figures, MonthAlerts, MonthPoint, Trend, WeekCount};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("valid timestamp")
}

/// A review with every part measured, and input strings that need escaping.
fn sample() -> MonthlyReview {
    let mut issues = DataIssues::default();
    issues.note("unknown_commit", "left out of lead time", "deadbeef");
    MonthlyReview {
        scope: Scope::Vendor("nimbus".into()),
        scope_name: "Nimbus <script>alert(1)</script> & Co".into(),
        month: "2026-10".into(),
        start: ts("2026-10-01T00:00:00Z"),
        end: ts("2026-11-01T00:00:00Z"),
        zone: "UTC".into(),
        generated: ts("2026-11-02T08:00:00Z"),
        tables: vec![FigureTable {
            id: "dora".into(),
            title: "DORA keys".into(),
            note: None,
            columns: vec!["metric".into(), "value".into()],
            rows: vec![
                vec![
                    Measured::Value("deployment frequency".into()),
                    Measured::Value("daily".into()),
                ],
                vec![
                    Measured::Value("rework <rate>".into()),
                    Measured::NoData("no deployments of payments|api".into()),
                ],
            ],
        }],
        trend: Trend {
            months: vec!["2026-09".into(), "2026-10".into()],
            weekly: Measured::Value(vec![
                WeekCount {
                    week: "2026-09-28".into(),
                    deployments: 7,
                    failed: 1,
                },
                WeekCount {
                    week: "2026-10-05".into(),
                    deployments: 0,
                    failed: 0,
                },
                WeekCount {
                    week: "2026-10-12".into(),
                    deployments: 13,
                    failed: 0,
                },
            ]),
            lead_time: crate::review::lead_time_buckets(
                &[0.5, 3.0, 30.0, 30.0, 2000.0],
                || unreachable!(),
            ),
            monthly: vec![
                MonthPoint {
                    month: "2026-09".into(),
                    deployments: Measured::NoData("no production deployments in 2026-09".into()),
                    change_failure_rate: Measured::NoData(
                        "no production deployments in 2026-09".into(),
                    ),
                    recovery_hours: Measured::NoData("no failed deployments in 2026-09".into()),
                },
                MonthPoint {
                    month: "2026-10".into(),
                    deployments: Measured::Value(20),
                    change_failure_rate: Measured::Value(0.15),
                    recovery_hours: Measured::Value(3.5),
                },
            ],
            alerts: Measured::Value(vec![
                MonthAlerts {
                    month: "2026-09".into(),
                    by_severity: Measured::Value(vec![("high".into(), 2), ("low".into(), 5)]),
                },
                MonthAlerts {
                    month: "2026-10".into(),
                    by_severity: Measured::Value(vec![("high".into(), 1), ("low".into(), 0)]),
                },
            ]),
        },
        readiness: Scorecard {
            scope: Scope::Vendor("nimbus".into()),
            ready: false,
            verdict: "1 control to fix first".into(),
            controls: vec![
                Control {
                    id: ControlId::Owners,
                    title: ControlId::Owners.title(),
                    status: Status::Fail,
                    evidence: vec!["service <b>ledger</b> has none".into()],
                },
                Control {
                    id: ControlId::Runbooks,
                    title: ControlId::Runbooks.title(),
                    status: Status::Pass,
                    evidence: vec![],
                },
            ],
            fix_first: vec![ControlId::Owners],
        },
        issues,
        figures: Figures {
            dora: None,
            delivery: None,
            platform: None,
            runbooks: Measured::NoData("no repository was given".into()),
            cost: Measured::NoData("no contract".into()),
            cost_quality: QualityFlag {
                quality: Measured::NoData("no contract".into()),
                because: "nothing to compare".into(),
            },
        },
    }
}

#[test]
#[ignore = "writes the sample review to $PALISADE_SAMPLE_REVIEW for a look"]
fn write_the_sample() {
    let path = std::env::var("PALISADE_SAMPLE_REVIEW").expect("set PALISADE_SAMPLE_REVIEW");
    std::fs::write(path, render(&sample(), Format::Html).expect("renders")).expect("writes");
}

#[test]
fn every_string_from_input_is_escaped_in_html() {
    let html = render(&sample(), Format::Html).expect("renders");
    assert!(!html.contains("<script"), "a script tag came through");
    assert!(!html.contains("<b>ledger"));
    assert!(html.contains("Nimbus &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
    assert!(html.contains("rework &lt;rate&gt;"));
    assert!(html.contains("service &lt;b&gt;ledger&lt;/b&gt; has none"));
}

#[test]
fn the_html_needs_nothing_outside_itself() {
    let html = render(&sample(), Format::Html).expect("renders");
    for outside in ["src=", "href=", "@import", "url(", "<script", "<link"] {
        assert!(!html.contains(outside), "{outside} in the document");
    }
    assert!(html.contains("@media print"));
    assert!(html.contains("break-before: page"));
}

#[test]
fn each_chart_is_an_svg_with_a_title_and_its_numbers_beside_it() {
    let html = render(&sample(), Format::Html).expect("renders");
    assert_eq!(html.matches("<svg ").count(), 5, "five charts");
    for title in [
        "Production deployments per week, 2026-09 to 2026-10",
        "Lead time for changes, 2026-10",
        "Change failure rate per month, 2026-09 to 2026-10",
        "Failed-deployment recovery time per month, 2026-09 to 2026-10",
        "Alerts by severity per month, 2026-09 to 2026-10",
    ] {
        assert!(html.contains(&format!("-t\">{title}</title>")), "{title}");
        assert!(html.contains(&format!("aria-label=\"{title}\"")), "{title}");
        assert!(
            html.contains(&format!("<caption>{title}: the numbers</caption>")),
            "{title}"
        );
    }
    // The fallback tables carry the numbers, and a month without data says so.
    assert!(html.contains("<td>2026-10-12</td><td class=\"num\">13</td>"));
    assert!(html.contains("<td>&lt; 1 day</td><td class=\"num\">1</td>"));
    assert!(html.contains("<td>&lt; 1 week</td><td class=\"num\">2</td>"));
    assert!(html.contains("<td class=\"num\">15.0%</td>"));
    assert!(html.contains("no data: no production deployments in 2026-09"));
    // ... and the line chart marks that month instead of drawing a zero.
    assert!(html.contains("font-style=\"italic\">no data</text>"));
    // The readiness marks.
    assert!(html.contains("✗ fail"));
    assert!(html.contains("✓ pass"));
}

#[test]
fn a_chart_with_nothing_behind_it_says_so_instead_of_drawing_zeros() {
    let mut review = sample();
    review.trend.weekly =
        Measured::NoData("no production deployments from 2026-09 to 2026-10".into());
    review.trend.alerts = Measured::NoData("no alerts recorded in the ledger".into());
    for m in &mut review.trend.monthly {
        m.change_failure_rate =
            Measured::NoData(format!("no production deployments in {}", m.month));
    }
    let html = render(&review, Format::Html).expect("renders");
    assert_eq!(
        html.matches("<svg ").count(),
        2,
        "only lead time and recovery are drawn"
    );
    assert!(html.contains(
        "<p class=\"nodata\" role=\"note\"><strong>no data:</strong> no production deployments from 2026-09 to 2026-10</p>"
    ));
    assert!(html.contains("<strong>no data:</strong> no alerts recorded in the ledger"));
    assert!(html.contains(
        "<strong>no data:</strong> no production deployments in any month from 2026-09 to 2026-10"
    ));
    let md = render(&review, Format::Markdown).expect("renders");
    assert!(md.contains("*no data: no alerts recorded in the ledger*"));
}

#[test]
fn markdown_has_the_tables_escaped_and_no_charts() {
    let md = render(&sample(), Format::Markdown).expect("renders");
    assert!(!md.contains("<svg"));
    assert!(md.starts_with(
        "# Monthly review: Nimbus &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co, 2026-10"
    ));
    assert!(md.contains("| 2026-10-12 | 13 |"));
    assert!(md.contains("*no data: no deployments of payments\\|api*"));
    assert!(md.contains(
        "| every service has a primary and a backup owner | ✗ fail | service &lt;b&gt;ledger&lt;/b&gt; has none |"
    ));
    assert!(md.contains("1. every service has a primary and a backup owner\n"));
    assert!(md.contains("| unknown_commit | 1 | left out of lead time | deadbeef |"));
}

#[test]
fn json_keeps_no_data_as_its_reason() {
    let json = render(&sample(), Format::Json).expect("renders");
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(v["month"], "2026-10");
    assert_eq!(v["scope"]["kind"], "vendor");
    assert_eq!(
        v["trend"]["monthly"][0]["change_failure_rate"]["no_data"],
        "no production deployments in 2026-09"
    );
    assert_eq!(v["trend"]["monthly"][1]["change_failure_rate"], 0.15);
    assert_eq!(v["trend"]["lead_time"][4]["count"], 1);
}

#[test]
fn formats_follow_the_file_extension() {
    assert_eq!(
        Format::from_path(Path::new("review.html")),
        Some(Format::Html)
    );
    assert_eq!(
        Format::from_path(Path::new("out/review.MD")),
        Some(Format::Markdown)
    );
    assert_eq!(
        Format::from_path(Path::new("review.json")),
        Some(Format::Json)
    );
    assert_eq!(Format::from_path(Path::new("review.pdf")), None);
    assert_eq!(Format::from_path(Path::new("review")), None);
}

#[test]
fn ticks_are_round_numbers_covering_the_largest_value() {
    let data = ChartData {
        categories: vec!["a".into(), "b".into()],
        series: vec![Series {
            name: "n".into(),
            values: vec![Measured::Value(13.0), Measured::Value(0.0)],
        }],
    };
    let chart = Chart {
        id: "c".into(),
        title: "t".into(),
        description: "d".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        unit: Unit::Count,
        kind: Kind::Bars,
        data: Measured::Value(data.clone()),
    };
    let mut out = String::new();
    svg::chart(&mut out, &chart, &data);
    // 13 over about four ticks: steps of 5 up to 15.
    for tick in [">0</text>", ">5</text>", ">10</text>", ">15</text>"] {
        assert!(out.contains(tick), "{tick} in {out}");
    }
    assert!(!out.contains(">20</text>"));
    assert!(out.contains("<title>a: 13</title>"));
}

#[test]
fn tick_labels_keep_the_decimals_their_step_needs() {
    assert_eq!(svg_tick(Unit::Ratio, 0.075, 0.025, 0.1), "7.5%");
    assert_eq!(svg_tick(Unit::Ratio, 0.5, 0.25, 1.0), "50%");
    assert_eq!(svg_tick(Unit::Hours, 0.0, 2.0, 8.0), "0 h");
    assert_eq!(svg_tick(Unit::Hours, 0.25, 0.25, 1.0), "15 min");
    assert_eq!(svg_tick(Unit::Hours, 120.0, 60.0, 240.0), "5.0 d");
    assert_eq!(svg_tick(Unit::Count, 2.5, 2.5, 10.0), "2.5");
}

#[test]
fn a_row_without_data_says_so_once_and_long_evidence_is_cut_with_a_count() {
    let mut review = sample();
    if let Measured::Value(months) = &mut review.trend.alerts {
        months[0].by_severity =
            Measured::NoData("the monitor recorded nothing before 2026-10".into());
    }
    review.readiness.controls[1].evidence = (0..20)
        .map(|n| format!("svc-{n:03}: no runbook declared"))
        .collect();
    let html = render(&review, Format::Html).expect("renders");
    assert!(html.contains(
        "<tr><td>2026-09</td><td class=\"nd\" colspan=\"2\">no data: the monitor recorded nothing before 2026-10</td></tr>"
    ));
    assert_eq!(
        html.matches("the monitor recorded nothing before 2026-10")
            .count(),
        1
    );
    assert!(html.contains("<li>svc-011: no runbook declared</li><li>… and 8 more"));
    assert!(!html.contains("svc-012"));
    let md = render(&review, Format::Markdown).expect("renders");
    assert!(md.contains("| 2026-09 | *no data: the monitor recorded nothing before 2026-10* |  |"));
    assert!(md.contains("svc-011: no runbook declared; … and 8 more"));
}

#[test]
fn a_month_measured_before_its_end_is_titled_to_date() {
    let mut review = sample();
    assert_eq!(month_shown(&review), "2026-10");
    review.end = ts("2026-10-17T09:30:00Z");
    review.generated = review.end;
    assert_eq!(month_shown(&review), "2026-10 to date");
    let md = render(&review, Format::Markdown).expect("renders");
    assert!(
        md.lines()
            .next()
            .is_some_and(|l| l.ends_with(", 2026-10 to date")),
        "{md}"
    );
    let html = render(&review, Format::Html).expect("renders");
    assert!(html.contains("<h1>Monthly review: "), "{html}");
    assert!(html.contains(", 2026-10 to date</h1>"));
}
