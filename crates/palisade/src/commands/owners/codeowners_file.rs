//! `owners codeowners` and `owners check`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use palisade_gate::codeowners::{self, CheckReport, Codeowners, LOCATIONS};
use palisade_model::{Index, Model};
use serde_json::json;

use crate::commands::check::count;
use crate::output::Output;

pub(super) fn write(
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

pub(super) fn check(
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
        None => codeowners::find_file(&root).with_context(|| {
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
