//! The review's trends, shaped from the figures of each month: deployments
//! per week, the month's lead times, stability per month, alerts per month.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

use crate::dora::Dora;
use crate::measure::Measured;
use crate::platform::PlatformHealth;

use super::{MonthAlerts, MonthPoint, Trend, WeekCount, lead_time_buckets};

/// The trend over `months` (oldest first, the review's month last), each
/// month's DORA keys and platform health given in the same order; weeks that
/// start after `now` are not shown (they have not happened).
pub fn trend(
    months: &[Dora],
    platform: &[PlatformHealth],
    zone: &TimeZone,
    now: jiff::Timestamp,
) -> Trend {
    let labels: Vec<String> = months.iter().map(|d| d.period.clone()).collect();
    let span = match (labels.first(), labels.last()) {
        (Some(a), Some(b)) if a != b => format!("from {a} to {b}"),
        (Some(a), _) => format!("in {a}"),
        _ => String::new(),
    };

    // Each month's frequency window lists calendar weeks; a week cut by a
    // window's end is whole in the next month's window, so later windows win.
    let mut weeks: BTreeMap<jiff::civil::Date, WeekCount> = BTreeMap::new();
    let first_day = months.first().map(|d| d.start);
    let last_end = months.last().map(|d| d.end);
    for d in months {
        for w in &d.weekly {
            weeks.insert(
                w.week,
                WeekCount {
                    week: w.week.to_string(),
                    deployments: w.succeeded,
                    failed: w.failed,
                },
            );
        }
    }
    // Keep the weeks that overlap the span: a Monday at most six days before its start.
    if let (Some(first), Some(last)) = (first_day, last_end) {
        let from = first
            .to_zoned(zone.clone())
            .date()
            .checked_sub(jiff::Span::new().days(6))
            .ok();
        let until = last.min(now);
        weeks.retain(|monday, _| {
            let begins = monday.to_zoned(zone.clone()).map(|z| z.timestamp());
            from.is_some_and(|f| *monday >= f) && begins.is_ok_and(|b| b < until)
        });
    }
    let weekly = if weeks.values().any(|w| w.deployments > 0) {
        Measured::Value(weeks.into_values().collect())
    } else {
        Measured::NoData(format!("no successful production deployments {span}"))
    };

    let lead_time = match months.last() {
        Some(d) => {
            let hours: Vec<f64> = d
                .lead_time_samples
                .iter()
                .map(|s| s.median_seconds / 3600.0)
                .collect();
            lead_time_buckets(&hours, || match &d.lead_time {
                Measured::NoData(why) => why.clone(),
                Measured::Value(_) => format!(
                    "no production deployment in {} shipped a change with a lead time",
                    d.period
                ),
            })
        }
        None => Measured::NoData("no month to show".into()),
    };

    let monthly = months
        .iter()
        .map(|d| MonthPoint {
            month: d.period.clone(),
            deployments: d.deployment_frequency.clone().map(|f| f.deployments),
            change_failure_rate: d.change_failure_rate.clone().map(|r| r.ratio),
            recovery_hours: d.recovery_time.clone().map(|s| s.median_seconds / 3600.0),
        })
        .collect();

    let alert_months: Vec<MonthAlerts> = platform
        .iter()
        .map(|p| MonthAlerts {
            month: p.period.clone(),
            by_severity: p.alerts.clone().map(|a| {
                a.by_severity
                    .into_iter()
                    .map(|c| (c.name, c.count))
                    .collect()
            }),
        })
        .collect();
    let alerts = if alert_months.iter().any(|m| m.by_severity.value().is_some()) {
        Measured::Value(alert_months)
    } else {
        Measured::NoData(match platform.last().map(|p| &p.alerts) {
            Some(Measured::NoData(why)) => why.clone(),
            _ => format!("no alerts recorded {span}"),
        })
    };

    Trend {
        months: labels,
        weekly,
        lead_time,
        monthly,
        alerts,
    }
}
