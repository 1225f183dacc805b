//! `palisade apply` and `palisade db`: the model in the store.

use std::process::ExitCode;

use palisade_store::{NewModelVersion, Store};
use serde_json::json;

use crate::cli::{ApplyArgs, DbCommand};
use crate::output::Output;

pub fn apply(args: &ApplyArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let today = super::today(args.today.as_deref())?;
    let source = super::check::load(&args.file)?;
    let checked = palisade_model::check(&source, today);
    if !out.json() {
        // Warnings do not block a model, but they must not go unseen.
        out.diagnostics(&source, &checked.diagnostics)?;
    }
    let Some(model) = checked.model.as_ref().filter(|_| checked.errors() == 0) else {
        if out.json() {
            super::check::report(&source, &checked, out)?;
        } else {
            out.line(format!(
                "{}: not applied: fix the errors above first",
                source.name
            ))?;
        }
        return Ok(ExitCode::from(1));
    };
    let rt = super::runtime()?;
    let version = rt.block_on(async {
        let store = Store::open(db).await?;
        let v = store
            .record_model(&NewModelVersion {
                sha256: palisade_model::digest(&source.text),
                source: source.name.clone(),
                org: model.org.name.clone(),
                content: source.text.clone(),
                recorded_at: jiff::Timestamp::now(),
            })
            .await?;
        store.close().await;
        anyhow::Ok(v)
    })?;
    if out.json() {
        out.print_json(&json!({
            "version": version.id,
            "sha256": version.sha256,
            "created": version.created,
            "warnings": checked.warnings(),
        }))?;
    } else {
        let short = &version.sha256[..12.min(version.sha256.len())];
        if version.created {
            out.line(format!(
                "recorded {} as model version {} (sha256 {short}…, {})",
                source.name,
                version.id,
                super::check::count(checked.warnings(), "warning")
            ))?;
        } else {
            out.line(format!(
                "unchanged: {} is already model version {} (sha256 {short}…)",
                source.name, version.id
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(cmd: &DbCommand, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let rt = super::runtime()?;
    rt.block_on(async {
        // Opening runs pending migrations, which is all `migrate` asks for.
        let store = Store::open(db).await?;
        match cmd {
            DbCommand::Migrate => {
                if out.json() {
                    out.print_json(&json!({"schema_version": store.schema_version().await?}))?;
                } else {
                    out.line(format!(
                        "{store}: schema at version {}",
                        store.schema_version().await?
                    ))?;
                }
            }
            DbCommand::Status => {
                let migrations = store.migration_status().await?;
                let latest = store.latest_model().await?;
                let store_id = store.store_id().to_owned();
                if out.json() {
                    out.print_json(&json!({
                        "store": format!("{store}"),
                        "backend": format!("{:?}", store.backend()).to_lowercase(),
                        "store_id": store_id,
                        "schema_version": store.schema_version().await?,
                        "migrations": migrations.iter().map(|m| json!({
                            "version": m.version,
                            "name": m.name,
                            "checksum": m.checksum,
                            "applied_at": m.applied_at.to_string(),
                        })).collect::<Vec<_>>(),
                        "model": latest.as_ref().map(|(v, _)| json!({
                            "version": v.id, "sha256": v.sha256, "source": v.source, "org": v.org,
                            "recorded_at": v.recorded_at.to_string(),
                        })),
                    }))?;
                } else {
                    out.line(format!("store:     {store}"))?;
                    out.line(format!("store id:  {store_id}"))?;
                    out.line(format!(
                        "schema:    version {}",
                        store.schema_version().await?
                    ))?;
                    for m in &migrations {
                        out.line(format!(
                            "  {:04} {:<24} applied {}",
                            m.version, m.name, m.applied_at
                        ))?;
                    }
                    match &latest {
                        Some((v, _)) => out.line(format!(
                            "model:     version {} of {} ({}), recorded {}",
                            v.id, v.org, v.source, v.recorded_at
                        ))?,
                        None => out.line("model:     none recorded yet; run `palisade apply`")?,
                    }
                }
            }
        }
        store.close().await;
        anyhow::Ok(ExitCode::SUCCESS)
    })
}
