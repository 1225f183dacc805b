//! The evidence `palisade readiness` is given on the command line: clones
//! of the model's repositories, the gate's CODEOWNERS check of a file and its
//! access drift of a collaborators export, as the scorecard's inputs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use palisade_gate::codeowners::{self, Codeowners};
use palisade_gate::drift;
use palisade_metrics::readiness::{OwnershipEvidence, OwnershipProblem};
use palisade_model::Index;

/// The gate's CODEOWNERS check of `file` over the tracked paths of the
/// repository holding it.
pub(super) fn codeowners_evidence(
    index: &Index<'_>,
    file: &Path,
    repos: &HashMap<String, PathBuf>,
) -> anyhow::Result<OwnershipEvidence> {
    if !file.is_file() {
        anyhow::bail!(
            "--codeowners {}: {}; give the path of a CODEOWNERS file inside a clone, e.g. --codeowners ../payments/.github/CODEOWNERS",
            file.display(),
            if file.exists() {
                "is not a file"
            } else {
                "no such file"
            }
        );
    }
    let start = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (root, paths) = codeowners::tracked_paths(start)?;
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
    let repo = repos
        .iter()
        .find(|(_, p)| canonical(p) == canonical(&root))
        .map(|(r, _)| r.clone());
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read --codeowners {}", file.display()))?;
    let (co, errors) = Codeowners::parse(&text);
    let report = codeowners::check(&co, &errors, index, repo.as_deref(), &paths);
    let name = file.display().to_string();
    let mut problems = Vec::new();
    for e in &report.invalid_lines {
        problems.push(OwnershipProblem {
            message: format!("{name}:{}: invalid line: {}", e.line, e.message),
            ..OwnershipProblem::default()
        });
    }
    for d in &report.disagreements {
        let says = |o: Option<&Vec<String>>| match o {
            Some(v) if !v.is_empty() => v.join(" "),
            _ => "nobody".to_owned(),
        };
        problems.push(OwnershipProblem {
            message: format!(
                "{}: CODEOWNERS says {}, the model says {}",
                d.path,
                says(d.codeowners.as_ref().map(|r| &r.owners)),
                says(d.model.as_ref().map(|m| &m.owners))
            ),
            services: d
                .model
                .as_ref()
                .map(|m| m.services.clone())
                .unwrap_or_default(),
            ..OwnershipProblem::default()
        });
    }
    for u in &report.unexpected_owners {
        problems.push(OwnershipProblem {
            message: format!(
                "{name}:{}: `{}` names {}, who owns nothing there in the model",
                u.line, u.pattern, u.owner
            ),
            person: Some(u.owner.trim_start_matches('@').to_owned()),
            ..OwnershipProblem::default()
        });
    }
    for p in &report.unowned {
        problems.push(OwnershipProblem {
            message: format!("{p}: owned by nobody, in CODEOWNERS or the model"),
            ..OwnershipProblem::default()
        });
    }
    Ok(OwnershipEvidence {
        source: format!("{name} over {} tracked paths", report.paths),
        problems,
    })
}

/// The gate's access drift of a collaborators export.
pub(super) fn permissions_evidence(
    index: &Index<'_>,
    file: &Path,
    repo: Option<&str>,
    model_path: &Path,
) -> anyhow::Result<OwnershipEvidence> {
    let dir = model_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let origin = palisade_gate::diff::origin_repository(dir);
    // The gate names its own command's flag; readiness takes the repository
    // as --permissions-repo.
    let repo = drift::export_repository(index.model(), repo, origin.as_deref()).map_err(|e| {
        anyhow::Error::msg(e.replace("--repo OWNER/NAME", "--permissions-repo OWNER/NAME"))
    })?;
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read --permissions {}", file.display()))?;
    let name = file.display().to_string();
    let people = drift::parse_collaborators(&name, &text)?;
    let findings = drift::drift(index, &repo, origin.as_deref(), &people, &[]);
    let problems = findings
        .into_iter()
        .map(|f| OwnershipProblem {
            person: (f.subject == "user").then(|| f.model_id.clone().unwrap_or(f.name.clone())),
            team: (f.subject == "team").then(|| f.model_id.clone()).flatten(),
            message: format!("{}: {}", f.kind.key(), f.message),
            services: Vec::new(),
        })
        .collect();
    Ok(OwnershipEvidence {
        source: format!("{name} ({repo}, {} collaborators)", people.len()),
        problems,
    })
}
