//! `owners who`: the owners, escalation and local time behind a path.

use std::process::ExitCode;

use palisade_gate::owners;
use palisade_model::{Index, Model};

use crate::output::Output;

pub(super) fn who(
    model: &Model,
    repo: Option<&str>,
    paths: &[String],
    now: jiff::Timestamp,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let index = Index::new(model);
    let answers: Vec<owners::PathAnswer> = paths
        .iter()
        .map(|p| owners::who(&index, repo, p, now))
        .collect();
    let all_owned = answers.iter().all(|a| !a.services.is_empty());
    if out.json() {
        out.print_json(&serde_json::to_value(&answers)?)?;
    } else {
        for (i, a) in answers.iter().enumerate() {
            if i > 0 {
                out.line("")?;
            }
            out.line(&a.path)?;
            if a.services.is_empty() {
                let here = match repo {
                    Some(r) => format!(" in {r}"),
                    None => " in the repository holding the model".to_owned(),
                };
                let hint = if a.elsewhere.is_empty() {
                    "add its path to a service's `paths` in the model".to_owned()
                } else {
                    let mut repos: Vec<&str> = Vec::new();
                    let claims: Vec<String> = a
                        .elsewhere
                        .iter()
                        .map(|c| {
                            if !repos.contains(&c.repo.as_str()) {
                                repos.push(&c.repo);
                            }
                            format!("{} of {}", c.service, c.repo)
                        })
                        .collect();
                    let pass: Vec<String> = repos.iter().map(|r| format!("--repo {r}")).collect();
                    format!(
                        "services of other repositories claim it ({}); pass {}",
                        claims.join(", "),
                        pass.join(" or ")
                    )
                };
                out.line(format!("  no service owns it{here}; {hint}"))?;
                continue;
            }
            if a.services.len() > 1 {
                out.line("  owned by more than one service; `palisade check` shows the overlap")?;
            }
            for s in &a.services {
                out.line(format!(
                    "  {:<11} {} (team {}{}), risk {}",
                    "service",
                    s.service,
                    s.team,
                    s.github_team
                        .as_ref()
                        .map(|g| format!(", {g}"))
                        .unwrap_or_default(),
                    s.risk
                ))?;
                out.line(format!("  {:<11} {}", "primary", contact(&s.primary)))?;
                if let Some(b) = &s.backup {
                    out.line(format!("  {:<11} {}", "backup", contact(b)))?;
                }
                if !s.escalation.is_empty() {
                    let chain: Vec<String> = s
                        .escalation
                        .iter()
                        .map(|c| match &c.github {
                            Some(g) => format!("{} ({g})", c.handle),
                            None => c.handle.clone(),
                        })
                        .collect();
                    out.line(format!("  {:<11} {}", "escalation", chain.join(" → ")))?;
                }
                if let Some(r) = &s.runbook {
                    out.line(format!("  {:<11} {r}", "runbook"))?;
                }
            }
        }
    }
    Ok(if all_owned {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn contact(c: &owners::Contact) -> String {
    let mut parts = vec![c.handle.clone()];
    if !c.name.is_empty() {
        parts.push(format!("({})", c.name));
    }
    if let Some(g) = &c.github {
        parts.push(g.clone());
    }
    if let Some(t) = &c.team {
        parts.push(format!("team {t}"));
    }
    if let (Some(tz), Some(time)) = (&c.timezone, &c.local_time) {
        // `2026-03-02T14:00:00+05:30` → `14:00`.
        let hm = time.get(11..16).unwrap_or(time);
        let state = match c.working {
            Some(true) => ", working",
            Some(false) => ", off hours",
            None => "",
        };
        parts.push(format!("{tz} {hm}{state}"));
    }
    match c.status {
        "offboarded" => parts.push("OFFBOARDED".to_owned()),
        "unknown" => parts.push("(not a person of the model)".to_owned()),
        _ => {}
    }
    parts.join("  ")
}
