//! `palisade owners`: CODEOWNERS written from and checked against the model
//! (`codeowners_file`), who answers for a path (`who`), and repository access
//! drift (`drift`); the logic of each is palisade-gate's.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use palisade_model::{Index, Model};

use super::check::count;
use crate::cli::{OwnersArgs, OwnersCommand};
use crate::output::Output;

mod codeowners_file;
mod drift;
mod who;

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
            codeowners_file::write(&model, &args.model, repo, output.as_deref(), out)
        }
        OwnersCommand::Check {
            codeowners,
            tree,
            show,
        } => codeowners_file::check(
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
            who::who(&model, repo, paths, now, out)
        }
        OwnersCommand::Drift {
            collaborators,
            teams,
            home,
        } => drift::run(
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
pub(super) fn model_errors(model: &Model) -> anyhow::Result<Vec<palisade_model::Diagnostic>> {
    let index = Index::new(model);
    Ok(
        palisade_model::validate_indexed(&index, super::today(None)?)
            .into_iter()
            .filter(|d| d.level == palisade_model::Level::Error)
            .collect(),
    )
}

/// `owner/name` of the repository the model's git `origin` remote points at, if it does.
pub(super) fn origin_repo(model_path: &Path) -> Option<String> {
    let dir = model_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    palisade_gate::diff::origin_repository(dir)
}
