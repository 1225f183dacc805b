//! How `palisade access` prints requests, who has access, and the policies
//! behind a request.

use std::process::ExitCode;

use palisade_access::grants::RequestView;
use palisade_access::policy::{AccessQuestion, Authorizer, Decision, RequestFacts};
use serde_json::json;

use crate::output::Output;

pub(super) fn print(requests: &[RequestView], out: &Output) -> anyhow::Result<()> {
    if out.json() {
        return out.print_json(&serde_json::to_value(requests)?);
    }
    if requests.is_empty() {
        return out.line("no requests");
    }
    for r in requests {
        let window = match (r.from, r.until) {
            (Some(f), Some(u)) => format!("{f} → {u}"),
            _ => format!("{}m asked", r.minutes),
        };
        out.line(format!(
            "{}  {:<9}  {} as {}{}  {}  ({})",
            r.id,
            r.state.key(),
            r.requester,
            r.role,
            r.environment
                .as_deref()
                .map(|e| format!(" in {e}"))
                .unwrap_or_default(),
            window,
            r.reason
        ))?;
        if !r.approved_by.is_empty() {
            out.line(format!("    approved by {}", r.approved_by.join(", ")))?;
        }
    }
    Ok(())
}

pub(super) fn who_has(
    holders: &[palisade_access::grants::Holder],
    out: &Output,
) -> anyhow::Result<ExitCode> {
    if out.json() {
        out.print_json(&serde_json::to_value(holders)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if holders.is_empty() {
        out.line("nobody")?;
    }
    for h in holders {
        let until = h.until.map(|u| format!(" until {u}")).unwrap_or_default();
        out.line(format!(
            "{:<12} {:<7} {:<16} via {} ({}){until}",
            h.person,
            h.access.key(),
            h.resource.as_deref().unwrap_or("-"),
            h.role,
            h.via
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The policies behind a request's standing now: may it be asked, and which
/// of its approvals count.
pub(super) fn explain(a: &Authorizer, r: &RequestView, out: &Output) -> anyhow::Result<ExitCode> {
    let facts = RequestFacts {
        requester: &r.requester,
        role: &r.role,
        environment: r.environment.as_deref(),
        minutes: r.minutes,
    };
    let asked = a.decide(&AccessQuestion::Request(facts));
    let approvers: Vec<&str> = r.approved_by.iter().map(String::as_str).collect();
    let activation = a.decide(&AccessQuestion::Activate {
        request: facts,
        approvers: &approvers,
    });
    let policies = |d: &Decision| -> Vec<serde_json::Value> {
        d.policies
            .iter()
            .map(|p| json!({"id": p.id, "effect": format!("{:?}", p.effect).to_lowercase(), "reason": p.reason}))
            .collect()
    };
    if out.json() {
        out.print_json(&json!({
            "request": r,
            "may_be_asked": {"allowed": asked.allowed, "policies": policies(&asked), "problems": asked.problems},
            "activation": {
                "allowed": activation.allowed,
                "policies": policies(&activation),
                "problems": activation.problems,
                "approvals": activation.approvals.iter().map(|c| json!({"approver": c.approver, "counts": c.decision.allowed, "policies": policies(&c.decision)})).collect::<Vec<_>>(),
            },
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    out.line(format!(
        "{}: {} asks for {} ({}m), now {}",
        r.id,
        r.requester,
        r.role,
        r.minutes,
        r.state.key()
    ))?;
    for (title, d) in [
        ("may be asked", &asked),
        ("may start with its approvals", &activation),
    ] {
        out.line(format!(
            "  {title}: {}",
            if d.allowed { "yes" } else { "no" }
        ))?;
        for p in &d.policies {
            out.line(format!("    {:?} {}: {}", p.effect, p.id, p.reason))?;
        }
        for problem in &d.problems {
            out.line(format!("    {problem}"))?;
        }
        if d.policies.is_empty() && d.problems.is_empty() && !d.allowed {
            out.line("    no policy permits it")?;
        }
    }
    for c in &activation.approvals {
        out.line(format!(
            "  approval by {}: {}",
            c.approver,
            if c.decision.allowed {
                "counts"
            } else {
                "does not count"
            }
        ))?;
        for p in &c.decision.policies {
            out.line(format!("    {:?} {}: {}", p.effect, p.id, p.reason))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
