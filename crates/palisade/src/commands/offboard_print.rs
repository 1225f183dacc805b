//! How `palisade offboard` prints its plan, what it did, and what is left
//! for people to do.

use palisade_access::grants::RequestView;
use palisade_access::offboard::{ChecklistItem, Coverage, OffboardPlan, OwnerRole};
use serde_json::json;

use super::offboard::ModelChange;
use crate::output::Output;

pub(super) fn print(
    plan: &OffboardPlan,
    withdrawn: &[RequestView],
    change: &ModelChange,
    revoked_credentials: Option<&[String]>,
    dry_run: bool,
    out: &Output,
) -> anyhow::Result<()> {
    if out.json() {
        return out.print_json(&json!({
            "dry_run": dry_run,
            "plan": plan,
            "withdrawn": withdrawn,
            "credentials_revoked": revoked_credentials.unwrap_or_default(),
            "model": {
                "written": change.not_written.is_none(),
                "not_written_because": change.not_written,
                "digest_before": palisade_model::digest(&change.before),
                "digest_after": palisade_model::digest(&change.after),
                "diff": change.diff,
            },
        }));
    }
    let names: Vec<String> = plan
        .people
        .iter()
        .map(|p| format!("{} ({}, team {})", p.handle, p.name, p.team))
        .collect();
    out.line(format!(
        "{}offboarding {} on {}: {}",
        if dry_run { "dry run: " } else { "" },
        plan.target,
        plan.day,
        if names.is_empty() {
            "nobody to offboard".to_owned()
        } else {
            names.join(", ")
        }
    ))?;
    for a in &plan.already_offboarded {
        out.line(format!(
            "  skipped {}: already offboarded{}",
            a.handle,
            a.offboarded_on
                .map(|d| format!(" on {d}"))
                .unwrap_or_default()
        ))?;
    }
    if plan.people.is_empty() {
        return Ok(());
    }

    if !dry_run {
        out.line("")?;
        out.line(format!("access withdrawn ({}):", withdrawn.len()))?;
        if withdrawn.is_empty() {
            out.line("  nothing was open")?;
        }
        for r in withdrawn {
            out.line(format!(
                "  {}  {} as {}  now {}",
                r.id,
                r.requester,
                r.role,
                r.state.key()
            ))?;
        }
        for c in revoked_credentials.unwrap_or_default() {
            out.line(format!("  revoked {c}"))?;
        }
    }

    out.line("")?;
    match (&change.not_written, dry_run) {
        (None, _) => out.line(format!(
            "marked offboarded in the model, standing roles removed:\n{}",
            indent(&change.diff)
        ))?,
        (Some(_), true) => out.line(format!(
            "the model would change so:\n{}",
            indent(&change.diff)
        ))?,
        (Some(why), false) => out.line(format!(
            "the model could not be written ({why}); apply this change by hand:\n{}",
            change.diff
        ))?,
    }

    out.line("")?;
    if plan.services.is_empty() {
        out.line("services: none owned by them")?;
    } else {
        out.line("services whose ownership must move:")?;
        for s in &plan.services {
            let was: Vec<String> = s
                .leaving
                .iter()
                .map(|(h, r)| {
                    let role = match r {
                        OwnerRole::Owner => "owner",
                        OwnerRole::BackupOwner => "backup owner",
                        OwnerRole::Escalation => "on escalation",
                    };
                    format!("{h} {role}")
                })
                .collect();
            let mut line = format!("  {} ({}, team {})", s.service, s.risk, s.team);
            if !was.is_empty() {
                line.push_str(&format!(": {}", was.join(", ")));
            }
            if s.team_leaves {
                line.push_str("; its team leaves");
            }
            if !s.needs.is_empty() {
                line.push_str(&format!(
                    "; name a new {}",
                    s.needs.join(", ").replace('_', " ")
                ));
            }
            line.push_str(&match s.remaining.as_slice() {
                [] => "; nobody of its owners stays".to_owned(),
                r => format!("; stay: {}", r.join(", ")),
            });
            out.line(line)?;
        }
    }

    out.line("")?;
    if plan.credentials.is_empty() {
        out.line("shared credentials: none they know")?;
    } else {
        out.line("shared credentials to rotate:")?;
        for c in &plan.credentials {
            let who: Vec<String> = c
                .known_by
                .iter()
                .map(|(h, via)| match via {
                    Some(t) => format!("{h} (through {t})"),
                    None => h.clone(),
                })
                .collect();
            out.line(format!(
                "  {}{}: known by {}",
                c.id,
                c.environment
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default(),
                who.join(", ")
            ))?;
            if let Some(how) = &c.rotate {
                out.line(format!("      rotate: {how}"))?;
            }
            if !c.remaining.is_empty() {
                out.line(format!("      then tell: {}", c.remaining.join(", ")))?;
            }
        }
    }

    out.line("")?;
    out.line(match &plan.contract {
        Some(c) => format!("exit checklist (contract {c}):"),
        None => "exit checklist (no vendor contract: internal staff):".to_owned(),
    })?;
    for item in &plan.checklist {
        out.line(format!("  [ ] {} — {}", item.title, coverage(item)))?;
        for d in &item.details {
            out.line(format!("        {d}"))?;
        }
    }
    if !dry_run {
        out.line("")?;
        out.line("every step is in the ledger: `palisade ledger tail --kind offboard.plan`")?;
        if !plan.services.is_empty() {
            out.line(
                "next: give the services above new owners in the model, then run `palisade check`",
            )?;
        }
    }
    Ok(())
}

pub(super) fn coverage(item: &ChecklistItem) -> String {
    match &item.coverage {
        Coverage::Covered { contract, clause } => format!("covered by {contract} ({clause})"),
        Coverage::NotCovered { contract, clause } => {
            format!("NOT in {contract} (no {clause}): the company must see to it alone")
        }
        Coverage::CompanyStep => "the company's own step".to_owned(),
        Coverage::NoContract => "no contract: the company's own step".to_owned(),
    }
}

pub(super) fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
