//! `palisade owners`: CODEOWNERS written from and checked against the model,
//! who answers for a path, and repository access drift.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use palisade_gate::codeowners::{self, CheckReport, Codeowners, LOCATIONS};
use palisade_gate::{drift, owners};
use palisade_model::{Index, Model};
use serde_json::json;

use super::check::count;
use crate::cli::{OwnersArgs, OwnersCommand};
use crate::output::Output;

pub fn run(args: &OwnersArgs, out: &Output) -> anyhow::Result<ExitCode> {
    let (source, model) = super::check::load_model(&args.model)?;
    let repo = args.repo.as_deref();
    match &args.command {
        OwnersCommand::Codeowners { output } => {
            // A file written from a model `palisade check` rejects would be
            // wrong in ways the model's errors already name (overlapping
            // services give one path two lines, and the file then fails its
            // own `owners check`), so refuse rather than write it.
            let errors = model_errors(&model)?;
            if !errors.is_empty() {
                const SHOWN: usize = 3;
                let mut first: Vec<String> = errors
                    .iter()
                    .take(SHOWN)
                    .map(|d| format!("  {}: {}", d.code, d.message))
                    .collect();
                if errors.len() > SHOWN {
                    first.push(format!("  … and {} more", errors.len() - SHOWN));
                }
                anyhow::bail!(
                    "{} has {}, so no CODEOWNERS is written from it:\n{}\nfix {} (`palisade check {}` shows where) and run this again",
                    source.name,
                    count(errors.len(), "error"),
                    first.join("\n"),
                    if errors.len() == 1 { "it" } else { "them" },
                    source.name
                );
            }
            write_codeowners(&model, &args.model, repo, output.as_deref(), out)
        }
        OwnersCommand::Check {
            codeowners,
            tree,
            show,
        } => check(
            &model,
            repo,
            codeowners.as_deref(),
            tree.as_deref(),
            *show,
            out,
        ),
        OwnersCommand::Who { paths, now } => {
            let now = match now {
                Some(text) => text.parse::<jiff::Timestamp>().with_context(|| {
                    format!(
                        "invalid --now `{text}`; write it as RFC 3339, e.g. 2026-12-06T09:30:00Z"
                    )
                })?,
                None => jiff::Timestamp::now(),
            };
            // A lookup still answers from a model with errors, as `palisade
            // who` does, but says the answer may be off.
            let errors = model_errors(&model)?.len();
            if errors > 0 {
                out.warning(format!(
                    "{} has {}, so some answers may be wrong; run `palisade check {}`",
                    source.name,
                    count(errors, "error"),
                    source.name
                ));
            }
            who(&model, repo, paths, now, out)
        }
        OwnersCommand::Drift {
            collaborators,
            teams,
            home,
        } => drift_run(
            &model,
            &args.model,
            repo,
            home.as_deref(),
            collaborators,
            teams.as_deref(),
            out,
        ),
    }
}

/// The errors `palisade check` reports for the model, in its order.
fn model_errors(model: &Model) -> anyhow::Result<Vec<palisade_model::Diagnostic>> {
    let index = Index::new(model);
    Ok(
        palisade_model::validate_indexed(&index, super::today(None)?)
            .into_iter()
            .filter(|d| d.level == palisade_model::Level::Error)
            .collect(),
    )
}

fn write_codeowners(
    model: &Model,
    model_path: &Path,
    repo: Option<&str>,
    output: Option<&Path>,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let index = Index::new(model);
    let mut command = String::from("palisade owners codeowners");
    if model_path != Path::new("palisade.toml") {
        command.push_str(&format!(" --model {}", model_path.display()));
    }
    if let Some(r) = repo {
        command.push_str(&format!(" --repo {r}"));
    }
    if let Some(o) = output {
        command.push_str(&format!(" -o {}", o.display()));
    }
    let generated = codeowners::generate(&index, repo, &command)?;
    for w in &generated.warnings {
        out.warning(w);
    }
    match output {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(path, &generated.text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            if out.json() {
                out.print_json(&json!({
                    "file": path.display().to_string(),
                    "rules": generated.rules,
                    "warnings": generated.warnings,
                }))?;
            } else {
                out.line(format!(
                    "wrote {} to {}",
                    count(generated.rules, "rule"),
                    path.display()
                ))?;
            }
        }
        None if out.json() => out.print_json(&json!({
            "rules": generated.rules,
            "warnings": generated.warnings,
            "text": generated.text,
        }))?,
        None => {
            use std::io::Write as _;
            std::io::stdout()
                .lock()
                .write_all(generated.text.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(
    model: &Model,
    repo: Option<&str>,
    file: Option<&Path>,
    tree: Option<&Path>,
    show: usize,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let start: PathBuf = match (tree, file) {
        (Some(t), _) => t.to_owned(),
        (None, Some(f)) => f
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        (None, None) => PathBuf::from("."),
    };
    let (root, paths) = codeowners::tracked_paths(&start)?;
    let file = match file {
        Some(f) => f.to_owned(),
        None => LOCATIONS
            .iter()
            .map(|l| root.join(l))
            .find(|p| p.is_file())
            .with_context(|| {
                format!(
                    "no CODEOWNERS in {} (looked for {}); write one with `palisade owners codeowners -o .github/CODEOWNERS`, or pass --codeowners",
                    root.display(),
                    LOCATIONS.join(", ")
                )
            })?,
    };
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let (co, errors) = Codeowners::parse(&text);
    let index = Index::new(model);
    let report = codeowners::check(&co, &errors, &index, repo, &paths);
    let name = file.display().to_string();
    if out.json() {
        let mut v = serde_json::to_value(&report)?;
        v["file"] = json!(name);
        v["ok"] = json!(report.is_clean());
        out.print_json(&v)?;
    } else {
        human_check(&name, &report, show, out)?;
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn human_check(name: &str, report: &CheckReport, show: usize, out: &Output) -> anyhow::Result<()> {
    for e in &report.invalid_lines {
        out.line(format!(
            "{name}:{}: invalid line, skipped as GitHub skips it: {}",
            e.line, e.message
        ))?;
    }
    for u in &report.unexpected_owners {
        out.line(format!(
            "{name}:{}: `{}` (line `{}`) is no team, owner or backup owner of a service in this repository; remove it, or make them one in the model and regenerate",
            u.line, u.owner, u.pattern
        ))?;
    }
    let list = |paths: &[&str]| -> Vec<String> {
        let limit = if show == 0 { paths.len() } else { show };
        let mut lines: Vec<String> = paths
            .iter()
            .take(limit)
            .map(|p| format!("    {p}"))
            .collect();
        if paths.len() > limit {
            lines.push(format!("    … and {} more", paths.len() - limit));
        }
        lines
    };
    // One group per (CODEOWNERS line, model services) pair.
    let mut groups: BTreeMap<(Option<usize>, Vec<String>), Vec<&codeowners::Disagreement>> =
        BTreeMap::new();
    for d in &report.disagreements {
        groups
            .entry((
                d.codeowners.as_ref().map(|r| r.line),
                d.model
                    .as_ref()
                    .map(|m| m.services.clone())
                    .unwrap_or_default(),
            ))
            .or_default()
            .push(d);
    }
    for group in groups.values() {
        let d = group[0];
        let theirs = match &d.codeowners {
            Some(r) if r.owners.is_empty() => {
                format!("{name}:{} (`{}`) takes ownership away", r.line, r.pattern)
            }
            Some(r) => format!(
                "{name}:{} (`{}`) says {}",
                r.line,
                r.pattern,
                r.owners.join(" ")
            ),
            None => format!("{name} has no line for them"),
        };
        let ours = match &d.model {
            Some(m) if m.owners.is_empty() => format!(
                "the model's service {} has no owner GitHub can name",
                m.services.join(", ")
            ),
            Some(m) => format!(
                "the model (service {}) says {}",
                m.services.join(", "),
                m.owners.join(" ")
            ),
            None => "no service of the model owns them".to_owned(),
        };
        out.line(format!(
            "disagree: {}: {theirs}, {ours}",
            count(group.len(), "path")
        ))?;
        let paths: Vec<&str> = group.iter().map(|d| d.path.as_str()).collect();
        for l in list(&paths) {
            out.line(l)?;
        }
    }
    if !report.unowned.is_empty() {
        out.line(format!(
            "unowned: {} without an owner in CODEOWNERS or the model; give them a service in the model and regenerate",
            count(report.unowned.len(), "path")
        ))?;
        let paths: Vec<&str> = report.unowned.iter().map(String::as_str).collect();
        for l in list(&paths) {
            out.line(l)?;
        }
    }
    out.line(format!(
        "{}: {} checked, {} disagree, {} unowned, {}, {}{}",
        name,
        count(report.paths, "path"),
        report.disagreements.len(),
        report.unowned.len(),
        count(report.unexpected_owners.len(), "unexpected owner"),
        count(report.invalid_lines.len(), "invalid line"),
        if report.is_clean() {
            "; CODEOWNERS agrees with the model"
        } else {
            ""
        }
    ))?;
    Ok(())
}

fn who(
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

#[allow(clippy::too_many_arguments)]
fn drift_run(
    model: &Model,
    model_path: &Path,
    repo: Option<&str>,
    home: Option<&str>,
    collaborators: &Path,
    teams: Option<&Path>,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let origin = origin_repo(model_path);
    let repo: String = match repo {
        Some(r) => r.to_owned(),
        None => {
            let named: std::collections::BTreeSet<String> = model
                .services
                .iter()
                .flat_map(|s| s.repos.iter().map(|r| r.to_ascii_lowercase()))
                .collect();
            match (named.len(), &origin) {
                (1, _) => named.into_iter().next().unwrap_or_default(),
                (0, Some(o)) => o.clone(),
                (0, None) => anyhow::bail!(
                    "which repository is the export for? pass --repo OWNER/NAME (no service names one, and the model's git remote is not on GitHub)"
                ),
                _ => anyhow::bail!(
                    "the model's services name {} repositories; pass --repo OWNER/NAME to say which one the export is for",
                    named.len()
                ),
            }
        }
    };
    let home: Option<String> = home.map(str::to_owned).or(origin);
    let read = |p: &Path| {
        std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
    };
    let people =
        drift::parse_collaborators(&collaborators.display().to_string(), &read(collaborators)?)?;
    let team_items = match teams {
        Some(t) => drift::parse_teams(&t.display().to_string(), &read(t)?)?,
        None => Vec::new(),
    };
    let index = Index::new(model);
    let findings = drift::drift(&index, &repo, home.as_deref(), &people, &team_items);
    if out.json() {
        out.print_json(&json!({
            "repo": repo,
            "home": home,
            "collaborators": people.len(),
            "teams": team_items.len(),
            "findings": findings,
        }))?;
    } else {
        for f in &findings {
            out.line(format!("{:<24} {}", f.kind.key(), f.message))?;
        }
        out.line(format!(
            "{repo}: {} and {} compared with the model, {}",
            count(people.len(), "collaborator"),
            count(team_items.len(), "team"),
            if findings.is_empty() {
                "no drift".to_owned()
            } else {
                count(findings.len(), "finding")
            }
        ))?;
    }
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `owner/name` of the repository the model's git `origin` remote points at, if it does.
fn origin_repo(model_path: &Path) -> Option<String> {
    let dir = model_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    palisade_gate::diff::origin_repository(dir)
}
