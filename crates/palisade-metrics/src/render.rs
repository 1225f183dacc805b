//! The monthly review rendered as self-contained HTML with inline SVG charts, Markdown or JSON.
//!
//! The HTML needs nothing outside itself: the style sheet is inline, the
//! charts are hand-written SVG, and there is no script. Each chart has a title,
//! axis labels, an accessible name and description, and the table of its
//! numbers beside it; a chart with nothing behind it is drawn as the sentence
//! "no data: <reason>", never as an empty or all-zero chart. Every string that
//! comes from input is escaped. Markdown carries the same tables without the
//! charts; JSON is the review itself.

mod html;
mod markdown;
mod svg;

use std::borrow::Cow;
use std::path::Path;

use serde::Serialize;

use crate::measure::Measured;
use crate::review::MonthlyReview;

/// A format the review is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// One self-contained HTML file with inline SVG charts.
    Html,
    /// Markdown tables, no charts.
    Markdown,
    /// The review as JSON.
    Json,
}

impl Format {
    /// The format named `key`: `html`, `markdown` (or `md`) or `json`.
    pub fn from_key(key: &str) -> Option<Format> {
        match key.to_ascii_lowercase().as_str() {
            "html" | "htm" => Some(Format::Html),
            "markdown" | "md" => Some(Format::Markdown),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The format a file's extension names (`.html`, `.md`, `.json`).
    pub fn from_path(path: &Path) -> Option<Format> {
        Format::from_key(path.extension()?.to_str()?)
    }
}

/// A review that could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The review did not serialise as JSON.
    #[error("the review does not serialise as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The review written in `format`.
pub fn render(review: &MonthlyReview, format: Format) -> Result<String, RenderError> {
    Ok(match format {
        Format::Html => html::document(review),
        Format::Markdown => markdown::document(review),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(review)?;
            text.push('\n');
            text
        }
    })
}

/// `text` safe inside HTML or SVG text and attribute values.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The reason every series has no data at category `i`, when they all share one:
/// the table says it once across the row instead of in every cell.
pub(crate) fn row_no_data(data: &ChartData, i: usize) -> Option<&str> {
    let mut reason = None;
    for s in &data.series {
        match s.values.get(i) {
            Some(Measured::NoData(why)) if reason.is_none_or(|r| r == why.as_str()) => {
                reason = Some(why.as_str());
            }
            _ => return None,
        }
    }
    reason.filter(|_| data.series.len() > 1)
}

/// How many evidence lines of a control the review shows; the JSON has them all.
pub const EVIDENCE_SHOWN: usize = 12;

/// The review's month as titles show it: with "to date" when it was measured
/// before the month was over (it ends at the instant it was produced).
pub fn month_shown(review: &MonthlyReview) -> String {
    let to_date = jiff::tz::TimeZone::get(&review.zone)
        .ok()
        .and_then(|z| crate::period::Period::month(&review.month, &z).ok())
        .is_some_and(|whole| whole.end > review.end);
    if to_date {
        format!("{} to date", review.month)
    } else {
        review.month.clone()
    }
}

/// `t` as a local time of the zone named `zone` (`2026-10-01 00:00`), or as UTC
/// when the zone is unknown.
pub fn local(t: jiff::Timestamp, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string()
}

/// How a chart's values read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A count of things.
    Count,
    /// A fraction between 0 and 1, shown as a percentage.
    Ratio,
    /// A duration in hours.
    Hours,
}

impl Unit {
    /// `v` as it is shown in a table or a tooltip.
    pub fn show(self, v: f64) -> String {
        match self {
            Unit::Count => {
                if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.1}")
                }
            }
            Unit::Ratio => format!("{:.1}%", v * 100.0),
            Unit::Hours => hours(v),
        }
    }
}

/// A duration in hours, shown in the largest unit that keeps it readable.
pub fn hours(h: f64) -> String {
    if h < 1.0 {
        format!("{:.0} min", h * 60.0)
    } else if h < 48.0 {
        format!("{h:.1} h")
    } else {
        format!("{:.1} d", h / 24.0)
    }
}

/// How the series of a chart are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One bar per category (the first series only); a histogram is this with buckets as categories.
    Bars,
    /// One bar per category, the series stacked in it.
    Stacked,
    /// One line per series across the categories; a missing value is a gap.
    Lines,
}

/// One named row of values across a chart's categories.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Its name in the legend and the table.
    pub name: String,
    /// One value per category, or why there is none (a gap in a line, a row saying so in the table).
    pub values: Vec<Measured<f64>>,
}

/// What a chart draws: the categories along x and the series over them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartData {
    /// The categories along x (weeks, months, buckets), in order.
    pub categories: Vec<String>,
    /// The series, each with one value per category.
    pub series: Vec<Series>,
}

/// A chart: its title, axes, and its data or the reason there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// A short id, unique in the document (used for anchors and accessible names).
    pub id: String,
    /// What it shows, as its heading.
    pub title: String,
    /// One sentence on how to read it (the SVG's description).
    pub description: String,
    /// The label of the x axis.
    pub x_label: String,
    /// The label of the y axis.
    pub y_label: String,
    /// How values read.
    pub unit: Unit,
    /// How the series are drawn.
    pub kind: Kind,
    /// The data, or why there is none.
    pub data: Measured<ChartData>,
}

impl Chart {
    /// The largest value the chart must show on its y axis (stacks summed).
    fn max(&self, data: &ChartData) -> f64 {
        let mut max: f64 = 0.0;
        match self.kind {
            Kind::Stacked => {
                for i in 0..data.categories.len() {
                    let sum: f64 = data
                        .series
                        .iter()
                        .filter_map(|s| s.values.get(i).and_then(Measured::value))
                        .sum();
                    max = max.max(sum);
                }
            }
            Kind::Bars | Kind::Lines => {
                for s in &data.series {
                    for v in s.values.iter().filter_map(Measured::value) {
                        max = max.max(*v);
                    }
                }
            }
        }
        max
    }
}

/// The review's charts, in the order the document shows them: deployments
/// per week, lead-time distribution, change failure rate and recovery time
/// per month, alerts by severity per month.
pub fn charts(review: &MonthlyReview) -> Vec<Chart> {
    let t = &review.trend;
    let span = match (t.months.first(), t.months.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
        (Some(a), _) => a.clone(),
        _ => review.month.clone(),
    };
    let weekly = Chart {
        id: "deployments-per-week".into(),
        title: format!("Production deployments per week, {span}"),
        description: "One bar per week (starting Monday): successful production deployments that finished in it.".into(),
        x_label: "week starting".into(),
        y_label: "deployments".into(),
        unit: Unit::Count,
        kind: Kind::Bars,
        data: t.weekly.clone().map(|weeks| ChartData {
            categories: weeks.iter().map(|w| w.week.clone()).collect(),
            series: vec![Series {
                name: "deployments".into(),
                values: weeks.iter().map(|w| Measured::Value(w.deployments as f64)).collect(),
            }],
        }),
    };
    let lead = Chart {
        id: "lead-time".into(),
        title: format!("Lead time for changes, {}", review.month),
        description: "The month's production deployments by the median lead time (commit to production) of the changes each shipped: within an hour, a day, a week, a month, or later.".into(),
        x_label: "median lead time of the changes shipped".into(),
        y_label: "deployments".into(),
        unit: Unit::Count,
        kind: Kind::Bars,
        data: t.lead_time.clone().map(|buckets| ChartData {
            categories: buckets.iter().map(|b| b.label.clone()).collect(),
            series: vec![Series {
                name: "deployments".into(),
                values: buckets.iter().map(|b| Measured::Value(b.count as f64)).collect(),
            }],
        }),
    };
    let per_month = |values: Vec<Measured<f64>>, name: &str, what: &str| {
        let months: Vec<String> = t.monthly.iter().map(|m| m.month.clone()).collect();
        match values.iter().find_map(|v| v.value()) {
            Some(_) => Measured::Value(ChartData {
                categories: months,
                series: vec![Series {
                    name: name.to_owned(),
                    values,
                }],
            }),
            None => Measured::NoData(match values.last() {
                Some(Measured::NoData(why)) if values.len() == 1 => why.clone(),
                _ => format!("no {what} in any month from {span}"),
            }),
        }
    };
    let cfr = Chart {
        id: "change-failure-rate".into(),
        title: format!("Change failure rate per month, {span}"),
        description: "For each month, the share of production deployments with at least one incident linked to them.".into(),
        x_label: "month".into(),
        y_label: "deployments that failed".into(),
        unit: Unit::Ratio,
        kind: Kind::Lines,
        data: per_month(
            t.monthly.iter().map(|m| m.change_failure_rate.clone()).collect(),
            "change failure rate",
            "production deployments",
        ),
    };
    let recovery = Chart {
        id: "recovery-time".into(),
        title: format!("Failed-deployment recovery time per month, {span}"),
        description:
            "For each month, the median time from a failed change's incident to its resolution."
                .into(),
        x_label: "month".into(),
        y_label: "median recovery time".into(),
        unit: Unit::Hours,
        kind: Kind::Lines,
        data: per_month(
            t.monthly.iter().map(|m| m.recovery_hours.clone()).collect(),
            "median recovery time",
            "resolved failures",
        ),
    };
    let alerts = Chart {
        id: "alerts".into(),
        title: format!("Alerts by severity per month, {span}"),
        description: "For each month, the monitor's alerts raised for the scope, stacked by severity, most severe at the bottom.".into(),
        x_label: "month".into(),
        y_label: "alerts".into(),
        unit: Unit::Count,
        kind: Kind::Stacked,
        data: t.alerts.clone().map(|months| {
            let mut severities: Vec<String> = Vec::new();
            for m in &months {
                for (sev, _) in m.by_severity.value().into_iter().flatten() {
                    if !severities.contains(sev) {
                        severities.push(sev.clone());
                    }
                }
            }
            ChartData {
                categories: months.iter().map(|m| m.month.clone()).collect(),
                series: severities
                    .iter()
                    .map(|sev| Series {
                        name: sev.clone(),
                        values: months
                            .iter()
                            .map(|m| match &m.by_severity {
                                Measured::Value(counts) => Measured::Value(
                                    counts.iter().find(|(s, _)| s == sev).map_or(0, |(_, n)| *n) as f64,
                                ),
                                Measured::NoData(why) => Measured::NoData(why.clone()),
                            })
                            .collect(),
                    })
                    .collect(),
            }
        }),
    };
    vec![weekly, lead, cfr, recovery, alerts]
}

#[cfg(test)]
mod tests;
