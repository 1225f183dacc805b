//! Output of `palisade readiness`: the scorecards as text or JSON.

use jiff::Timestamp;
use palisade_metrics::facts::LedgerFacts;
use palisade_metrics::input::DataIssues;
use palisade_metrics::period::Period;
use palisade_metrics::readiness::{Scorecard, Status};
use serde_json::json;

use crate::output::Output;

pub(super) fn print(
    cards: &[Scorecard],
    window: &Period,
    facts: &LedgerFacts,
    issues: &DataIssues,
    now: Timestamp,
    out: &Output,
) -> anyhow::Result<()> {
    let mut all_issues = issues.clone();
    all_issues.merge(facts.issues.clone());
    if out.json() {
        return out.print_json(&json!({
            "now": now.to_string(),
            "window": { "start": window.start.to_string(), "end": window.end.to_string() },
            "ready": cards.iter().all(|c| c.ready),
            "scorecards": cards,
            "ledger_entries_read": facts.entries_read,
            "issues": all_issues,
        }));
    }
    for card in cards {
        out.line(format!("{}: {}", card.scope, card.verdict))?;
        for c in &card.controls {
            let mark = match c.status {
                Status::Pass => "pass",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
            };
            out.line(format!("  {mark}  {}", c.title))?;
            for e in &c.evidence {
                out.line(format!("        {e}"))?;
            }
        }
        if !card.fix_first.is_empty() {
            out.line("  fix first (failing before warning, in checklist order):")?;
            for (n, id) in card.fix_first.iter().enumerate() {
                out.line(format!("    {}. {}", n + 1, id.title()))?;
            }
        }
        out.line("")?;
    }
    for i in &all_issues.kinds {
        out.line(format!(
            "note: {} × {}: {} (e.g. {})",
            i.count,
            i.kind,
            i.effect,
            i.examples.join(", ")
        ))?;
    }
    out.line(format!(
        "judged at {now} over {} ({} ledger entries read)",
        window.label, facts.entries_read
    ))?;
    Ok(())
}
