//! `palisade check`: parse and validate the model, report diagnostics.

use std::process::ExitCode;

use palisade_model::{Checked, Source};
use serde_json::json;

use crate::cli::CheckArgs;
use crate::output::{Output, diagnostics_json};

pub fn run(args: &CheckArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let today = super::today(args.today.as_deref())?;
    let source = load(&args.file)?;
    let mut checked = palisade_model::check(&source, today);
    // The scanner checks its own settings (`[scan]`); they are reported with the rest.
    if let Some(model) = &checked.model {
        let mut scan = palisade_scan::setup::diagnostics(model, Some(&args.file));
        if !scan.is_empty() {
            palisade_model::resolve_spans(&source.text, &mut scan);
            checked.diagnostics.extend(scan);
            checked.diagnostics.sort_by_key(|d| {
                let start = d.primary.span.as_ref().map_or(0, |s| s.start);
                (start, std::cmp::Reverse(d.level))
            });
        }
    }
    report(&source, &checked, out)?;
    // Break-glass uses past their review time are a finding of the model's practice.
    let overdue = match &checked.model {
        Some(model) => unreviewed_break_glass(model, db, today, out)?,
        None => 0,
    };
    let failed =
        checked.errors() > 0 || (args.deny_warnings && (checked.warnings() > 0 || overdue > 0));
    // The process is about to exit: freeing a large model piece by piece
    // would only cost time (a tenth of a big check's run time).
    std::mem::forget(checked);
    std::mem::forget(source);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Warns of every break-glass use whose review is overdue, when the store
/// exists (checking never creates one); returns how many.
fn unreviewed_break_glass(
    model: &palisade_model::Model,
    db: &str,
    today: palisade_model::Day,
    out: &Output,
) -> anyhow::Result<usize> {
    let is_url = db.starts_with("postgres://") || db.starts_with("postgresql://");
    if !is_url && !std::path::Path::new(db).exists() {
        return Ok(0);
    }
    let now = jiff::Timestamp::now();
    let index = palisade_model::Index::new(model);
    let settings = palisade_access::policy::AccessSettings::from_model(model);
    let authorizer = palisade_access::policy::Authorizer::new(&index, today, &settings)?;
    let overdue = super::runtime()?.block_on(async {
        let store = palisade_store::Store::open(db).await?;
        let ledger = palisade_ledger::ledger::Ledger::new(store, model.org.log_name.clone());
        let grants = palisade_access::grants::Grants::new(&ledger, &index, &authorizer);
        anyhow::Ok(grants.break_glass_uses(true, now).await?)
    })?;
    let overdue: Vec<_> = overdue.into_iter().filter(|u| u.overdue).collect();
    for u in &overdue {
        out.warning(format!(
            "break-glass use {} by {} as {} was due for review by {} and nobody has reviewed it: \
             palisade access break-glass-review {} --as HANDLE --reason \"…\"",
            u.request.id, u.request.requester, u.request.role, u.review_due, u.request.id
        ));
    }
    Ok(overdue.len())
}

/// Reads a model file, with a hint when the default file is missing.
pub fn load(path: &std::path::Path) -> anyhow::Result<Source> {
    match Source::load(path) {
        Ok(s) => Ok(s),
        Err(palisade_model::LoadError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            anyhow::bail!(
                "no model at {}; pass the path of your palisade.toml, or create one with `palisade init`",
                path.display()
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// Loads and parses the model at `path` for a command that needs it whole; a model that
/// does not parse is an error that sends the user to `palisade check`.
pub fn load_model(path: &std::path::Path) -> anyhow::Result<(Source, palisade_model::Model)> {
    let source = load(path)?;
    let model = palisade_model::parse(&source.text).map_err(|d| {
        anyhow::anyhow!(
            "{} does not parse ({}); run `palisade check {}` to see where",
            path.display(),
            d.message,
            path.display()
        )
    })?;
    Ok((source, model))
}

/// Prints the diagnostics and a summary line.
pub fn report(source: &Source, checked: &Checked, out: &Output) -> anyhow::Result<()> {
    let (errors, warnings) = (checked.errors(), checked.warnings());
    if out.json() {
        let model = checked.model.as_ref();
        return out.print_json(&json!({
            "file": source.name,
            "ok": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "counts": model.map(|m| json!({
                "vendors": m.vendors.len(),
                "teams": m.teams.len(),
                "people": m.people.len(),
                "services": m.services.len(),
                "environments": m.environments.len(),
                "roles": m.roles.len(),
                "contracts": m.contracts.len(),
            })),
            "diagnostics": diagnostics_json(source, &checked.diagnostics),
        }));
    }
    out.diagnostics(source, &checked.diagnostics)?;
    let summary = match &checked.model {
        Some(m) => format!(
            "{}: {}, {} ({}, {}, {}, {}, {}, {}, {})",
            source.name,
            count(errors, "error"),
            count(warnings, "warning"),
            count(m.vendors.len(), "vendor"),
            count(m.teams.len(), "team"),
            count(m.people.len(), "person"),
            count(m.services.len(), "service"),
            count(m.environments.len(), "environment"),
            count(m.roles.len(), "role"),
            count(m.contracts.len(), "contract"),
        ),
        None => format!(
            "{}: could not be parsed; fix the error above and run `palisade check` again",
            source.name
        ),
    };
    out.line(summary)
}

/// `1 error`, `2 errors`, `3 people`.
pub fn count(n: usize, noun: &str) -> String {
    match (n, noun) {
        (1, _) => format!("1 {noun}"),
        (_, "person") => format!("{n} people"),
        _ => format!("{n} {noun}s"),
    }
}
