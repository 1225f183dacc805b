//! `owners drift`: repository access exported from GitHub against the model.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use palisade_gate::drift;
use palisade_model::{Index, Model};
use serde_json::json;

use crate::commands::check::count;
use crate::output::Output;

#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    model: &Model,
    model_path: &Path,
    repo: Option<&str>,
    home: Option<&str>,
    collaborators: &Path,
    teams: Option<&Path>,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let origin = super::origin_repo(model_path);
    let repo =
        drift::export_repository(model, repo, origin.as_deref()).map_err(anyhow::Error::msg)?;
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
