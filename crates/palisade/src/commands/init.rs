//! `palisade init`: a starter model for the current git repository.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use palisade_model::{RepoFacts, Source, starter_model};
use serde_json::json;

use crate::cli::InitArgs;
use crate::output::Output;

/// The innermost directory at or above `start` that holds a `.git`.
fn repo_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

const CODEOWNERS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

pub fn run(args: &InitArgs, out: &Output) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let root = repo_root(&cwd).with_context(|| {
        format!("{} is not inside a git repository; run `palisade init` from your repository (or `git init` first)", cwd.display())
    })?;
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| root.join("palisade.toml"));
    if target.exists() && !args.force {
        anyhow::bail!(
            "{} already exists; pass --force to overwrite it, or --output to write elsewhere",
            target.display()
        );
    }

    let mut top_dirs = Vec::new();
    for entry in
        std::fs::read_dir(&root).with_context(|| format!("cannot list {}", root.display()))?
    {
        let entry = entry?;
        if entry.file_type()?.is_dir()
            && let Some(name) = entry.file_name().to_str()
        {
            top_dirs.push(name.to_owned());
        }
    }
    top_dirs.sort();
    let codeowners_path = CODEOWNERS
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.is_file());
    let codeowners = match &codeowners_path {
        Some(p) => Some(
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        ),
        None => None,
    };
    let timezone = jiff::tz::TimeZone::system()
        .iana_name()
        .unwrap_or("UTC")
        .to_owned();
    let name = root
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("my-org")
        .to_owned();
    let facts = RepoFacts {
        name,
        top_dirs,
        codeowners,
        timezone,
    };
    let text = starter_model(&facts);

    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&target, &text).with_context(|| format!("cannot write {}", target.display()))?;

    let source = Source::new(target.display().to_string(), text);
    let checked = palisade_model::check(&source, super::today(None)?);
    let model = checked.model.as_ref();
    let services = model.map_or(0, |m| m.services.len());
    if out.json() {
        out.print_json(&json!({
            "written": target.display().to_string(),
            "services": services,
            "codeowners": codeowners_path.map(|p| p.display().to_string()),
            "errors": checked.errors(),
            "warnings": checked.warnings(),
        }))?;
    } else {
        if checked.errors() > 0 {
            out.diagnostics(&source, &checked.diagnostics)?;
        }
        out.line(format!(
            "wrote {} with {services} service{} guessed from {}",
            target.display(),
            if services == 1 { "" } else { "s" },
            match &codeowners_path {
                Some(p) => format!(
                    "the top-level directories and {}",
                    p.strip_prefix(&root).unwrap_or(p).display()
                ),
                None => "the top-level directories (no CODEOWNERS found)".to_owned(),
            }
        ))?;
        out.line("next: fill in real people, hours and risk tiers, then run `palisade check`")?;
    }
    if checked.errors() > 0 {
        anyhow::bail!(
            "the starter model has {} error(s), shown above; fix them by hand (an unusual directory name?) and run `palisade check`",
            checked.errors()
        );
    }
    Ok(ExitCode::SUCCESS)
}
