//! Printing `palisade metrics`: a table for people, one JSON document for machines.

use jiff::tz::TimeZone;
use palisade_metrics::delivery::Delivery;
use palisade_metrics::dora::{Cluster, Dora, DurationStats, Rate};
use palisade_metrics::input::DataIssues;
use palisade_metrics::measure::Measured;
use serde_json::json;

use crate::output::Output;

pub fn print(
    dora: &Dora,
    health: &Delivery,
    loaded: &DataIssues,
    zone: &TimeZone,
    to_date: Option<jiff::Timestamp>,
    out: &Output,
) -> anyhow::Result<()> {
    let mut issues = loaded.clone();
    issues.merge(dora.issues.clone());
    issues.merge(health.issues.clone());
    if out.json() {
        return out.print_json(&json!({
            "scope": dora.scope,
            "period": dora.period,
            "start": dora.start,
            "end": dora.end,
            "to_date": to_date.is_some(),
            "dora": dora,
            "delivery": health,
            "issues": issues,
        }));
    }
    let zone_name = zone.iana_name().unwrap_or("UTC");
    let period = match to_date {
        Some(now) => format!(
            "{} to date, up to {}",
            dora.period,
            now.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M")
        ),
        None => dora.period.clone(),
    };
    out.line(format!(
        "DORA keys of the {}, {period} ({zone_name})",
        dora.scope
    ))?;
    let class = |c: Option<Cluster>| c.map_or_else(String::new, |c| format!("  [{c}]"));
    let rows: [(&str, String, String); 5] = [
        (
            "deployment frequency",
            shown(&dora.deployment_frequency, |f| {
                format!(
                    "{} deployments ({:.1} a week); {} over the last {} weeks ({} deployments)",
                    f.deployments, f.per_week, f.bucket, f.window_weeks, f.window_deployments
                )
            }),
            class(dora.classes.deployment_frequency),
        ),
        (
            "lead time for changes",
            shown(&dora.lead_time, |s| durations(s, "commit")),
            class(dora.classes.lead_time),
        ),
        (
            "change failure rate",
            shown(&dora.change_failure_rate, |r| {
                rate(r, "had a linked incident")
            }),
            class(dora.classes.change_failure_rate),
        ),
        (
            "recovery time",
            shown(&dora.recovery_time, |s| durations(s, "incident")),
            class(dora.classes.recovery_time),
        ),
        (
            "deployment rework rate",
            shown(&dora.rework_rate, |r| rate(r, "fixed production")),
            String::new(),
        ),
    ];
    for (name, value, class) in rows {
        out.line(format!("  {name:<24}{value}{class}"))?;
    }
    out.line(format!(
        "  {:<24}{} failed deployments, {} linked incidents still open",
        "also", dora.failed_deployments, dora.open_incidents
    ))?;
    if dora.lead_time_truncated {
        out.line("  lead times are cut short: a repository is a shallow clone (fetch it with `git fetch --unshallow`)")?;
    }
    let measured =
        dora.change_failure_rate.value().is_some() || dora.recovery_time.value().is_some();
    if dora.unlinked_incidents > 0 && measured {
        out.line(format!(
            "  change failure rate and recovery time are partial: {} incident(s) could not be linked to a deployment \
             (their cause commits are in no history read; give full clones with --repo-dir OWNER/NAME=PATH)",
            dora.unlinked_incidents
        ))?;
    }
    out.line("")?;
    out.line("Delivery health")?;
    let count = |m: &Measured<u64>| shown(m, u64::to_string);
    let rows: [(&str, String); 6] = [
        ("merged pull requests", count(&health.merged_pulls)),
        ("commits", count(&health.commits)),
        (
            "review latency",
            shown(&health.review_latency, |s| durations(s, "pull request")),
        ),
        ("merged without review", count(&health.merged_unreviewed)),
        (
            "pull request size",
            shown(&health.pull_size, |s| {
                format!(
                    "median {} lines changed (75th percentile {}, largest {}) over {} pull request{}",
                    s.median_lines,
                    s.p75_lines,
                    s.max_lines,
                    s.samples,
                    if s.samples == 1 { "" } else { "s" }
                )
            }),
        ),
        ("escaped defects", count(&health.escaped_defects)),
    ];
    for (name, value) in rows {
        out.line(format!("  {name:<24}{value}"))?;
    }
    if !issues.is_empty() {
        out.line("")?;
        out.line("Data issues (left out of the figures, never counted as zero)")?;
        for k in &issues.kinds {
            out.line(format!("  {} x{}: {}", k.kind, k.count, k.effect))?;
            if !k.examples.is_empty() {
                out.line(format!("      e.g. {}", k.examples.join(", ")))?;
            }
        }
    }
    Ok(())
}

fn shown<T>(m: &Measured<T>, f: impl FnOnce(&T) -> String) -> String {
    match m {
        Measured::Value(v) => f(v),
        Measured::NoData(why) => format!("no data: {why}"),
    }
}

/// `33% (3 of 9 deployments <what>)`.
fn rate(r: &Rate, what: &str) -> String {
    format!(
        "{:.0}% ({} of {} deployments {what})",
        r.ratio * 100.0,
        r.count,
        r.of
    )
}

fn durations(s: &DurationStats, unit: &str) -> String {
    let plural = if s.samples == 1 { "" } else { "s" };
    format!(
        "median {} (25th to 75th percentile {} to {}) over {} {unit}{plural}",
        duration(s.median_seconds),
        duration(s.p25_seconds),
        duration(s.p75_seconds),
        s.samples
    )
}

/// A duration in the unit that reads best: minutes, hours or days.
fn duration(seconds: f64) -> String {
    if seconds < 3600.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 2.0 * 86_400.0 {
        format!("{:.1} h", seconds / 3600.0)
    } else {
        format!("{:.1} d", seconds / 86_400.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_unit_that_suits_them() {
        assert_eq!(duration(1800.0), "30 min");
        assert_eq!(duration(72_000.0), "20.0 h");
        assert_eq!(duration(3.0 * 86_400.0), "3.0 d");
    }
}
