//! The review as Markdown: the same sections and numbers as the HTML, in
//! tables, without the charts.

use std::fmt::Write as _;

use super::{Chart, charts};
use crate::measure::Measured;
use crate::readiness::Status;
use crate::review::{FigureTable, MonthlyReview};

/// `text` safe in a Markdown table cell: no pipes or line breaks, and no
/// HTML (Markdown passes HTML through).
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn measured(m: &Measured<String>) -> String {
    match m {
        Measured::Value(v) => cell(v),
        Measured::NoData(why) => format!("*no data: {}*", cell(why)),
    }
}

fn row(out: &mut String, cells: impl IntoIterator<Item = String>) {
    out.push('|');
    for c in cells {
        let _ = write!(out, " {c} |");
    }
    out.push('\n');
}

fn header(out: &mut String, columns: &[String]) {
    row(out, columns.iter().map(|c| cell(c)));
    row(out, columns.iter().map(|_| "---".to_owned()));
}

/// The whole document.
pub(super) fn document(review: &MonthlyReview) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "# Monthly review: {}, {}\n\n{} · from {} to {} ({}) · produced {}\n\n",
        cell(&review.scope_name),
        cell(&super::month_shown(review)),
        cell(&review.scope.to_string()),
        super::local(review.start, &review.zone),
        super::local(review.end, &review.zone),
        cell(&review.zone),
        super::local(review.generated, &review.zone)
    );
    let _ = write!(
        out,
        "**Readiness:** {}\n\n",
        cell(&review.readiness.verdict)
    );
    if let Some(first) = review.tables.first() {
        table(&mut out, first);
    }
    let charts = charts(review);
    for (heading, ids) in [
        ("Delivery", &["deployments-per-week", "lead-time"][..]),
        ("Stability", &["change-failure-rate", "recovery-time"][..]),
        ("Risk", &["alerts"][..]),
    ] {
        let _ = write!(out, "## {heading}\n\n");
        for c in charts.iter().filter(|c| ids.contains(&c.id.as_str())) {
            numbers(&mut out, c);
        }
    }

    out.push_str("## Readiness scorecard\n\n");
    let r = &review.readiness;
    let _ = write!(
        out,
        "Of the {}, as of {}. **Verdict:** {}\n\n",
        cell(&r.scope.to_string()),
        super::local(review.generated, &review.zone),
        cell(&r.verdict)
    );
    for (n, id) in r.fix_first.iter().enumerate() {
        let _ = writeln!(out, "{}. {}", n + 1, cell(id.title()));
    }
    if !r.fix_first.is_empty() {
        out.push('\n');
    }
    header(
        &mut out,
        &["control".into(), "status".into(), "evidence".into()],
    );
    for c in &r.controls {
        let mark = match c.status {
            Status::Pass => "✓ pass",
            Status::Warn => "! warn",
            Status::Fail => "✗ fail",
        };
        let evidence = if c.evidence.is_empty() {
            "*no evidence recorded*".to_owned()
        } else {
            let mut shown: Vec<String> = c
                .evidence
                .iter()
                .take(super::EVIDENCE_SHOWN)
                .map(|e| cell(e))
                .collect();
            if c.evidence.len() > super::EVIDENCE_SHOWN {
                shown.push(format!(
                    "… and {} more (all in the JSON review and in `palisade readiness`)",
                    c.evidence.len() - super::EVIDENCE_SHOWN
                ));
            }
            shown.join("; ")
        };
        row(&mut out, [cell(c.title), mark.to_owned(), evidence]);
    }
    out.push('\n');

    if review.tables.len() > 1 {
        out.push_str("## All figures of the month\n\n");
        for t in &review.tables[1..] {
            table(&mut out, t);
        }
    }

    out.push_str("## What the figures stand on\n\n");
    if review.issues.is_empty() {
        out.push_str("No input had to be set aside.\n");
    } else {
        header(
            &mut out,
            &[
                "problem".into(),
                "count".into(),
                "effect on the figures".into(),
                "examples".into(),
            ],
        );
        for k in &review.issues.kinds {
            row(
                &mut out,
                [
                    cell(&k.kind),
                    k.count.to_string(),
                    cell(&k.effect),
                    cell(&k.examples.join(", ")),
                ],
            );
        }
    }
    out
}

fn table(out: &mut String, t: &FigureTable) {
    let _ = write!(out, "### {}\n\n", cell(&t.title));
    if let Some(note) = &t.note {
        let _ = write!(out, "{}\n\n", cell(note));
    }
    header(out, &t.columns);
    for r in &t.rows {
        row(out, r.iter().map(measured));
    }
    out.push('\n');
}

/// A chart's numbers as a table, or the sentence saying why there are none.
fn numbers(out: &mut String, c: &Chart) {
    let _ = write!(out, "### {}\n\n", cell(&c.title));
    match &c.data {
        Measured::NoData(why) => {
            let _ = write!(out, "*no data: {}*\n\n", cell(why));
        }
        Measured::Value(data) => {
            let mut columns = vec![c.x_label.clone()];
            columns.extend(data.series.iter().map(|s| s.name.clone()));
            header(out, &columns);
            for (i, cat) in data.categories.iter().enumerate() {
                let mut cells = vec![cell(cat)];
                if let Some(why) = super::row_no_data(data, i) {
                    cells.push(format!("*no data: {}*", cell(why)));
                    cells.extend(data.series.iter().skip(1).map(|_| String::new()));
                    row(out, cells);
                    continue;
                }
                for s in &data.series {
                    cells.push(match s.values.get(i) {
                        Some(Measured::Value(v)) => c.unit.show(*v),
                        Some(Measured::NoData(why)) => format!("*no data: {}*", cell(why)),
                        None => "*no data*".to_owned(),
                    });
                }
                row(out, cells);
            }
            out.push('\n');
        }
    }
}
