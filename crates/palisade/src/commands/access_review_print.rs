//! How `palisade access review` prints campaigns, items and reports.

use palisade_access::review::{Campaign, Closed, Item, Outcome, Report};

use super::access_review::Written;
use crate::output::Output;

pub(super) fn header(c: &Campaign, out: &Output) -> anyhow::Result<()> {
    let state = match (&c.closed, &c.closed_by) {
        (Some(at), Some(by)) => format!("closed {at} by {by}"),
        _ => format!("open until {}", c.deadline),
    };
    out.line(format!(
        "access review {}: started {} by {}, {state}",
        c.id, c.started, c.started_by
    ))
}

pub(super) fn last_use(i: &Item) -> String {
    i.last_use
        .map_or_else(|| "no data".to_owned(), |t| t.to_string())
}

pub(super) fn status(i: &Item) -> String {
    let by = || {
        format!(
            "by {} at {}: {}",
            i.reviewer.as_deref().unwrap_or("?"),
            i.decided.map(|t| t.to_string()).unwrap_or_default(),
            i.reason.as_deref().unwrap_or_default()
        )
    };
    match i.outcome {
        None => "not reviewed".to_owned(),
        Some(Outcome::Kept) => format!("kept {}", by()),
        Some(Outcome::Revoked) => format!("revoked {}", by()),
        Some(Outcome::RevokedAtDeadline) => "revoked at the deadline, unreviewed".to_owned(),
        Some(Outcome::LeftAtDeadline) => "left at the deadline, unreviewed".to_owned(),
    }
}

pub(super) fn print_closed(closed: &Closed, written: &Written, out: &Output) -> anyhow::Result<()> {
    let t = &closed.totals;
    out.line(format!(
        "closed access review {}: {} item(s); {} kept, {} revoked by reviewers, {} revoked at the deadline, {} left at the deadline",
        closed.campaign.id, t.items, t.kept, t.revoked, t.revoked_at_deadline, t.left_at_deadline
    ))?;
    for g in &closed.revoked_grants {
        out.line(format!(
            "  grant {} revoked ({} as {})",
            g.id, g.requester, g.role
        ))?;
    }
    written.print(out)
}

pub(super) fn print_report(r: &Report, out: &Output) -> anyhow::Result<()> {
    header(&r.campaign, out)?;
    out.line(format!(
        "{:>4}  {:<10} {:<18} {:<16} {}",
        "ITEM", "PERSON", "ROLE", "VIA", "OUTCOME"
    ))?;
    for i in &r.items {
        out.line(format!(
            "{:>4}  {:<10} {:<18} {:<16} {}",
            i.item,
            i.person,
            i.role,
            i.via,
            status(i)
        ))?;
    }
    let t = &r.totals;
    out.line(format!(
        "totals: {} item(s), {} reviewed: {} kept, {} revoked; {} revoked at the deadline, {} left at the deadline, {} not reviewed yet",
        t.items, t.reviewed, t.kept, t.revoked, t.revoked_at_deadline, t.left_at_deadline, t.pending
    ))?;
    for tally in &r.reviewers {
        out.line(format!(
            "reviewer {}: {} kept, {} revoked",
            tally.reviewer, tally.kept, tally.revoked
        ))?;
    }
    Ok(())
}
