//! The ledger commands that work on the store: `show`, `tail`, `checkpoint`, `prove`,
//! `consistency`, `verify`, `reindex`, `cosign` and `export`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use jiff::Timestamp;
use palisade_ledger::Entry;
use palisade_ledger::checkpoint::SignedCheckpoint;
use palisade_ledger::ledger::{Progress, Query, Stored, VerifyOptions};
use palisade_ledger::trust::TrustPolicy;
use serde_json::{Value, json};

use super::{Log, b64};
use crate::output::Output;

fn entry_json(entry: &Entry) -> Value {
    json!({
        "index": entry.index,
        "time": entry.time.to_string(),
        "actor": entry.actor,
        "kind": entry.kind,
        "subject": entry.subject,
        "data": entry.data,
    })
}

fn print_entry(out: &Output, entry: &Entry) -> anyhow::Result<()> {
    out.line(format!(
        "{:>8}  {}  {:<20} {:<24} {:<16} {}",
        entry.index,
        entry.time.strftime("%Y-%m-%d %H:%M:%S"),
        entry.kind,
        entry.subject,
        entry.actor,
        entry.data
    ))
}

pub(super) async fn show(log: &Log, index: u64, out: &Output) -> anyhow::Result<ExitCode> {
    let Some(stored) = log.ledger.entry(index).await? else {
        bail!(
            "no entry {index}: the log has {} entries",
            log.ledger.size().await?
        );
    };
    if out.json() {
        out.print_json(&entry_json(&stored.entry))?;
    } else {
        out.line(String::from_utf8_lossy(&stored.bytes))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The latest `n` entries, or the latest `n` that match the filters; oldest first.
pub(super) async fn tail(
    log: &Log,
    n: u64,
    query: &Query,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let unfiltered = query.kind.is_none()
        && query.subject.is_none()
        && query.since.is_none()
        && query.until.is_none();
    let entries: Vec<Stored> = if unfiltered {
        log.ledger.tail(n).await?
    } else {
        log.ledger.query(query).await?
    };
    if out.json() {
        out.print_json(&Value::Array(
            entries.iter().map(|s| entry_json(&s.entry)).collect(),
        ))?;
    } else {
        for s in &entries {
            print_entry(out, &s.entry)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn checkpoint(log: &Log, out: &Output) -> anyhow::Result<ExitCode> {
    let signed = log.ledger.checkpoint(Timestamp::now()).await?;
    if out.json() {
        out.print_json(&json!({
            "size": signed.checkpoint.size,
            "root": b64(&signed.checkpoint.root),
            "note": signed.to_string(),
        }))?;
    } else {
        print!("{signed}");
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn prove(
    log: &Log,
    index: u64,
    output: Option<&Path>,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let receipt = log.ledger.prove(index, Timestamp::now()).await?;
    write_or_print(output, &receipt.to_string(), out)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn consistency(
    log: &Log,
    from: u64,
    to: Option<u64>,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let ledger = &log.ledger;
    let to = match to {
        Some(to) => to,
        None => ledger.size().await?,
    };
    let proof = ledger.consistency_proof(from, to).await?;
    let roots = (ledger.root_at(from).await?, ledger.root_at(to).await?);
    if out.json() {
        out.print_json(&json!({
            "size1": from,
            "size2": to,
            "root1": b64(&roots.0),
            "root2": b64(&roots.1),
            "proof": proof.iter().map(b64).collect::<Vec<_>>(),
        }))?;
    } else {
        for h in &proof {
            out.line(b64(h))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn verify(
    log: &Log,
    external: Vec<SignedCheckpoint>,
    policy: &TrustPolicy,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    // A bar on stderr when it is a terminal and the log is long enough to take a while
    // (millions of entries take seconds).
    let bar: std::sync::Arc<std::sync::OnceLock<indicatif::ProgressBar>> =
        std::sync::Arc::default();
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let bar = bar.clone();
        Progress(std::sync::Arc::new(move |done, total| {
            if total >= 200_000 {
                let bar = bar.get_or_init(|| verify_bar(total));
                bar.set_position(done);
            }
        }))
    });
    // The pinned keys, never the one derived from the signing key at hand: a log
    // re-signed with a key of someone else's does not verify.
    let mut witnesses = log.org.witnesses.clone();
    witnesses.extend(policy.witnesses.iter().cloned());
    let options = VerifyOptions {
        log_keys: policy.log_keys.clone(),
        witnesses,
        external,
        progress,
    };
    let report = log.ledger.verify(&options).await;
    if let Some(bar) = bar.get() {
        bar.finish_and_clear();
    }
    let report = report?;
    let ok = report.divergence.is_none();
    if out.json() {
        out.print_json(&json!({
            "ok": ok,
            "entries": report.entries,
            "nodes": report.nodes,
            "root": b64(&report.root),
            "checkpoints": report.checkpoints,
            "cosignatures": report.cosignatures,
            "external_checkpoints": report.external,
            "divergence": report.divergence.as_ref().map(ToString::to_string),
        }))?;
    } else {
        match &report.divergence {
            None => out.line(format!(
                "ok: {} entries re-hashed, {} tree nodes, {} checkpoints, {} cosignatures, \
                 {} external checkpoints in {:.2?}; root {}; trusting {}",
                report.entries,
                report.nodes,
                report.checkpoints,
                report.cosignatures,
                report.external,
                started.elapsed(),
                b64(&report.root),
                policy
                    .log_keys
                    .iter()
                    .map(|k| format!("{}+{:08x}", k.name(), k.key_id()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))?,
            Some(d) => out.line(format!("TAMPERED: {d}"))?,
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The bar `verify` draws on stderr while it re-hashes `total` entries.
fn verify_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template("re-hashing {pos}/{len} entries {wide_bar} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

pub(super) async fn reindex(log: &Log, out: &Output) -> anyhow::Result<ExitCode> {
    let rows = log.ledger.reindex().await?;
    if out.json() {
        out.print_json(&json!({"indexed_entries": rows}))?;
    } else {
        out.line(format!("rebuilt the subject index: {rows} entries"))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn cosign(log: &Log, note: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let (size, added) = log
        .ledger
        .cosign(note, &log.org.witnesses, Timestamp::now())
        .await?;
    if out.json() {
        out.print_json(&json!({"size": size, "added": added}))?;
    } else if added.is_empty() {
        out.line(format!("checkpoint {size}: cosignatures already recorded"))?;
    } else {
        out.line(format!(
            "checkpoint {size}: recorded cosignature(s) of {}",
            added.join(", ")
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn export(
    log: &Log,
    since: Timestamp,
    until: Timestamp,
    output: &Path,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let bundle = log.ledger.export(since, until, Timestamp::now()).await?;
    if bundle.key.is_empty() {
        bail!("exporting needs the log's signing key (for its verifier key); pass --key");
    }
    std::fs::create_dir_all(output)
        .with_context(|| format!("cannot create {}", output.display()))?;
    for (name, text) in bundle.files(&log.org.origin) {
        std::fs::write(output.join(name), text).with_context(|| format!("cannot write {name}"))?;
    }
    if out.json() {
        out.print_json(&json!({"dir": output.display().to_string(), "entries": bundle.count}))?;
    } else {
        out.line(format!(
            "wrote {} entries with proofs to {}; check it with `palisade ledger verify-bundle {}`",
            bundle.count,
            output.display(),
            output.display()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_or_print(output: Option<&Path>, text: &str, out: &Output) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            out.line(format!("wrote {}", path.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
