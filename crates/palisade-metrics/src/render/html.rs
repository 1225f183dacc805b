//! The review as one self-contained HTML document: inline style sheet,
//! inline SVG, no script, nothing fetched.

use std::fmt::Write as _;

use super::{Chart, charts, escape, svg};
use crate::measure::Measured;
use crate::readiness::Status;
use crate::review::{FigureTable, MonthlyReview};

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #0f172a; background: #fff; margin: 0 auto; max-width: 1120px; padding: 24px; line-height: 1.45; }
header { border-bottom: 3px solid #1d4ed8; margin-bottom: 16px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 28px 0 8px; border-bottom: 1px solid #cbd5e1; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
.meta { color: #475569; margin: 0 0 12px; font-size: 14px; }
figure { margin: 16px 0; break-inside: avoid; page-break-inside: avoid; }
.pair { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.pair svg { flex: 0 0 auto; max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #cbd5e1; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f1f5f9; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.numbers { font-size: 12px; }
table.numbers caption, table.figures caption { text-align: left; font-size: 12px; color: #475569; padding-bottom: 2px; }
.nodata { border: 1px dashed #94a3b8; color: #334155; padding: 16px; margin: 0; max-width: 640px; }
.nd { color: #64748b; font-style: italic; }
.mark { font-weight: 700; white-space: nowrap; }
.pass { color: #15803d; } .warn { color: #b45309; } .fail { color: #b91c1c; }
.verdict { font-size: 16px; padding: 8px 12px; border-left: 4px solid #b91c1c; background: #fef2f2; }
.verdict.ready { border-color: #15803d; background: #f0fdf4; }
ul.evidence { margin: 0; padding-left: 18px; }
footer { margin-top: 32px; color: #64748b; font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  section { break-before: page; page-break-before: always; }
  section.first { break-before: auto; page-break-before: auto; }
  th { background: #fff; }
  .verdict, .verdict.ready { background: #fff; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 14mm; }
"#;

/// The whole document.
pub(super) fn document(review: &MonthlyReview) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let title = format!(
        "Monthly review: {}, {}",
        review.scope_name,
        super::month_shown(review)
    );
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        escape(&title)
    );
    let _ = writeln!(
        out,
        "<header>\n<h1>{}</h1>\n<p class=\"meta\">{} · from {} to {} ({}) · produced {}</p>\n</header>",
        escape(&title),
        escape(&review.scope.to_string()),
        escape(&super::local(review.start, &review.zone)),
        escape(&super::local(review.end, &review.zone)),
        escape(&review.zone),
        escape(&super::local(review.generated, &review.zone)),
    );

    let charts = charts(review);
    let chart = |out: &mut String, id: &str| {
        if let Some(c) = charts.iter().find(|c| c.id == id) {
            figure(out, c);
        }
    };

    // The month at a glance: the first table (DORA) and the readiness verdict.
    out.push_str("<section class=\"first\" id=\"summary\">\n<h2>The month at a glance</h2>\n");
    let r = &review.readiness;
    let _ = writeln!(
        out,
        "<p class=\"verdict{}\"><strong>Readiness:</strong> {}</p>",
        if r.ready { " ready" } else { "" },
        escape(&r.verdict)
    );
    if let Some(first) = review.tables.first() {
        table(&mut out, first);
    }
    out.push_str("</section>\n");

    out.push_str("<section id=\"delivery\">\n<h2>Delivery</h2>\n");
    chart(&mut out, "deployments-per-week");
    chart(&mut out, "lead-time");
    out.push_str("</section>\n");

    out.push_str("<section id=\"stability\">\n<h2>Stability</h2>\n");
    chart(&mut out, "change-failure-rate");
    chart(&mut out, "recovery-time");
    out.push_str("</section>\n");

    out.push_str("<section id=\"risk\">\n<h2>Risk</h2>\n");
    chart(&mut out, "alerts");
    out.push_str("</section>\n");

    let _ = writeln!(
        out,
        "<section id=\"readiness\">\n<h2>Readiness scorecard</h2>\n<p class=\"meta\">Of the {}, as of {}; thresholds from [org.policy.readiness].</p>",
        escape(&review.readiness.scope.to_string()),
        escape(&super::local(review.generated, &review.zone))
    );
    readiness(&mut out, review);
    out.push_str("</section>\n");

    if review.tables.len() > 1 {
        out.push_str("<section id=\"figures\">\n<h2>All figures of the month</h2>\n");
        for t in &review.tables[1..] {
            table(&mut out, t);
        }
        out.push_str("</section>\n");
    }

    out.push_str("<section id=\"data\">\n<h2>What the figures stand on</h2>\n");
    if review.issues.is_empty() {
        out.push_str("<p>No input had to be set aside.</p>\n");
    } else {
        out.push_str("<table class=\"figures\"><caption>Input that could not be used as it is</caption>\n<thead><tr><th>problem</th><th>count</th><th>effect on the figures</th><th>examples</th></tr></thead>\n<tbody>\n");
        for k in &review.issues.kinds {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                escape(&k.kind),
                k.count,
                escape(&k.effect),
                escape(&k.examples.join(", "))
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");

    let _ = writeln!(
        out,
        "<footer>Palisade monthly review · {} · {} · figures without data say so and are never shown as zero</footer>\n</body>\n</html>",
        escape(&review.scope.to_string()),
        escape(&review.month)
    );
    out
}

/// A chart with its heading, its SVG and its numbers beside it, or the
/// sentence saying why there is nothing to draw.
fn figure(out: &mut String, c: &Chart) {
    let _ = writeln!(
        out,
        "<figure id=\"{}\">\n<figcaption><h3>{}</h3></figcaption>",
        escape(&c.id),
        escape(&c.title)
    );
    match &c.data {
        Measured::NoData(why) => {
            let _ = writeln!(
                out,
                "<p class=\"nodata\" role=\"note\"><strong>no data:</strong> {}</p>",
                escape(why)
            );
        }
        Measured::Value(data) => {
            out.push_str("<div class=\"pair\">\n");
            svg::chart(out, c, data);
            let _ = write!(
                out,
                "\n<table class=\"numbers\"><caption>{}: the numbers</caption>\n<thead><tr><th>{}</th>",
                escape(&c.title),
                escape(&c.x_label)
            );
            for s in &data.series {
                let _ = write!(out, "<th>{}</th>", escape(&s.name));
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            for (i, cat) in data.categories.iter().enumerate() {
                let _ = write!(out, "<tr><td>{}</td>", escape(cat));
                if let Some(why) = super::row_no_data(data, i) {
                    let _ = writeln!(
                        out,
                        "<td class=\"nd\" colspan=\"{}\">no data: {}</td></tr>",
                        data.series.len(),
                        escape(why)
                    );
                    continue;
                }
                for s in &data.series {
                    match s.values.get(i) {
                        Some(Measured::Value(v)) => {
                            let _ =
                                write!(out, "<td class=\"num\">{}</td>", escape(&c.unit.show(*v)));
                        }
                        Some(Measured::NoData(why)) => {
                            let _ = write!(out, "<td class=\"nd\">no data: {}</td>", escape(why));
                        }
                        None => out.push_str("<td class=\"nd\">no data</td>"),
                    }
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>\n</div>\n");
        }
    }
    out.push_str("</figure>\n");
}

/// A table of figures.
fn table(out: &mut String, t: &FigureTable) {
    let _ = writeln!(
        out,
        "<figure id=\"{}\">\n<h3>{}</h3>",
        escape(&t.id),
        escape(&t.title)
    );
    if let Some(note) = &t.note {
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", escape(note));
    }
    out.push_str("<table class=\"figures\">\n<thead><tr>");
    for c in &t.columns {
        let _ = write!(out, "<th>{}</th>", escape(c));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for cell in row {
            match cell {
                Measured::Value(v) => {
                    let _ = write!(out, "<td>{}</td>", escape(v));
                }
                Measured::NoData(why) => {
                    let _ = write!(out, "<td class=\"nd\">no data: {}</td>", escape(why));
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n</figure>\n");
}

/// The scorecard: one row per control, its mark and its evidence.
fn readiness(out: &mut String, review: &MonthlyReview) {
    let r = &review.readiness;
    let _ = writeln!(
        out,
        "<p class=\"verdict{}\"><strong>Verdict:</strong> {}</p>",
        if r.ready { " ready" } else { "" },
        escape(&r.verdict)
    );
    if !r.fix_first.is_empty() {
        out.push_str("<p><strong>Fix first:</strong></p>\n<ol>");
        for id in &r.fix_first {
            let _ = write!(out, "<li>{}</li>", escape(id.title()));
        }
        out.push_str("</ol>\n");
    }
    out.push_str("<table class=\"figures\" aria-label=\"readiness scorecard\">\n<thead><tr><th>control</th><th>status</th><th>evidence</th></tr></thead>\n<tbody>\n");
    for c in &r.controls {
        let (mark, class) = match c.status {
            Status::Pass => ("✓ pass", "pass"),
            Status::Warn => ("! warn", "warn"),
            Status::Fail => ("✗ fail", "fail"),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"mark {class}\">{mark}</td><td>",
            escape(c.title)
        );
        if c.evidence.is_empty() {
            out.push_str("<span class=\"nd\">no evidence recorded</span>");
        } else {
            out.push_str("<ul class=\"evidence\">");
            for e in c.evidence.iter().take(super::EVIDENCE_SHOWN) {
                let _ = write!(out, "<li>{}</li>", escape(e));
            }
            if c.evidence.len() > super::EVIDENCE_SHOWN {
                let _ = write!(
                    out,
                    "<li>… and {} more (all in the JSON review and in <code>palisade readiness</code>)</li>",
                    c.evidence.len() - super::EVIDENCE_SHOWN
                );
            }
            out.push_str("</ul>");
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody></table>\n");
}
