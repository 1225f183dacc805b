//! The offline `verify*` ledger commands an auditor runs: `verify-note`,
//! `verify-consistency`, `verify-receipt` and `verify-bundle`, on the pinned trust of
//! `trust`.
//!
//! Trust is pinned: the log's keys come from `--verifier` or the model's
//! `org.log_key`, never from the data being checked. Exit codes: 0 verified,
//! 1 the data does not verify (a bad signature or proof, altered content, a
//! malformed note), 2 the command could not run (a missing file, no key to trust).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use palisade_ledger::ledger::{
    CHECKPOINT_FILE, ENTRIES_FILE, KEY_FILE, PROOFS_FILE, verify_bundle,
};
use palisade_ledger::trust;
use palisade_ledger::{Note, Receipt};
use serde_json::{Value, json};

use super::b64;
use super::trust::{
    failed, model_log_key, pinned, read, trusted_checkpoint, trusted_json, trusted_text,
};
use crate::cli::{LedgerArgs, TrustArgs};
use crate::output::Output;

/// `verify-note FILE`: any signed note, checkpoint or not.
pub(super) fn verify_note(
    args: &LedgerArgs,
    file: &Path,
    trust: &TrustArgs,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let policy = pinned(args, trust, false)?;
    let bytes = read(file)?;
    let note = match Note::parse(&bytes) {
        Ok(note) => note,
        Err(e) => return failed(out, format!("{}: {e}", file.display())),
    };
    let first_line = note.text().lines().next().unwrap_or_default().to_owned();
    let trusted = match policy.check_note(&note) {
        Ok(trusted) => trusted,
        Err(e) => return failed(out, format!("{}: {e}", file.display())),
    };
    if out.json() {
        let mut v = json!({"ok": true, "first_line": first_line});
        if let (Value::Object(v), Value::Object(t)) = (&mut v, trusted_json(&trusted)) {
            v.extend(t);
        }
        out.print_json(&v)?;
    } else {
        out.line(format!("ok: {first_line} — {}", trusted_text(&trusted)))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `verify-consistency OLD NEW [--proof FILE]`: two checkpoints of any log.
pub(super) fn verify_consistency(
    args: &LedgerArgs,
    db: &str,
    paths: (&Path, &Path),
    proof: Option<&Path>,
    trust: &TrustArgs,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let policy = pinned(args, trust, false)?;
    let (old, old_trust) = match trusted_checkpoint(paths.0, &policy)? {
        Ok(c) => c,
        Err(message) => return failed(out, message),
    };
    let (new, _) = match trusted_checkpoint(paths.1, &policy)? {
        Ok(c) => c,
        Err(message) => return failed(out, message),
    };
    let hashes = match proof {
        Some(path) => {
            let text = String::from_utf8(read(path)?)
                .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()));
            let text = match text {
                Ok(text) => text,
                Err(e) => return failed(out, e),
            };
            match trust::parse_proof_lines(&text) {
                Ok(hashes) => hashes,
                Err(e) => return failed(out, format!("{}:{e}", path.display())),
            }
        }
        None => {
            let (log_name, _) = model_log_key(&args.model).with_context(|| {
                "no --proof given: pass --proof FILE, or run where the model of this log is, to read the proof from its store"
            })?;
            if old.checkpoint.origin != log_name {
                bail!(
                    "no --proof given and the checkpoints are of {:?}, not of this log ({log_name:?}); pass --proof FILE",
                    old.checkpoint.origin
                );
            }
            let (size1, size2) = (old.checkpoint.size, new.checkpoint.size);
            let mut hashes = Vec::new();
            super::with_log(args, db, async |log| {
                hashes = log.ledger.consistency_proof(size1, size2).await?;
                Ok(ExitCode::SUCCESS)
            })?;
            hashes
        }
    };
    if let Err(e) = trust::verify_consistency(&old, &new, &hashes) {
        return failed(out, e);
    }
    let (c1, c2) = (&old.checkpoint, &new.checkpoint);
    if out.json() {
        let mut v = json!({
            "ok": true,
            "origin": c1.origin,
            "size1": c1.size,
            "size2": c2.size,
            "root1": b64(&c1.root),
            "root2": b64(&c2.root),
        });
        if let (Value::Object(v), Value::Object(t)) = (&mut v, trusted_json(&old_trust)) {
            v.extend(t);
        }
        out.print_json(&v)?;
    } else {
        out.line(format!(
            "ok: {} at size {} extends size {}; {}",
            c1.origin,
            c2.size,
            c1.size,
            trusted_text(&old_trust)
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `verify-receipt`: offline, with the receipt, the entry's bytes and the pinned key.
pub(super) fn verify_receipt(
    args: &LedgerArgs,
    receipt_path: &Path,
    entry: Option<&Path>,
    raw: bool,
    trust: &TrustArgs,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let Some(entry_path) = entry else {
        bail!(
            "pass --entry FILE with the entry's exact bytes (from `palisade ledger show INDEX` or an evidence bundle)"
        );
    };
    let policy = pinned(args, trust, true)?;
    let text = read(receipt_path)?;
    let mut bytes = read(entry_path)?;
    let receipt = match Receipt::parse(&text) {
        Ok(r) => r,
        Err(e) => return failed(out, format!("{}: {e}", receipt_path.display())),
    };
    let trusted = match policy.check(&receipt.checkpoint) {
        Ok(trusted) => trusted,
        Err(e) => {
            return failed(
                out,
                format!("{}: the receipt's checkpoint: {e}", receipt_path.display()),
            );
        }
    };
    let keys = &trusted.signers;
    let proven = if raw {
        receipt.verify_entry(&bytes, keys).map(|_| ())
    } else {
        // A file saved from `palisade ledger show` ends in one newline that is not
        // part of the entry; only that one is dropped.
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
        }
        receipt.verify_ledger_entry(&bytes, keys).map(|_| ())
    };
    if let Err(e) = proven {
        return failed(out, format!("the receipt does not prove this entry: {e}"));
    }
    let checkpoint = &receipt.checkpoint.checkpoint;
    if out.json() {
        let mut v = json!({
            "ok": true,
            "index": receipt.index,
            "size": checkpoint.size,
            "origin": checkpoint.origin,
        });
        if let (Value::Object(v), Value::Object(t)) = (&mut v, trusted_json(&trusted)) {
            v.extend(t);
        }
        out.print_json(&v)?;
    } else {
        out.line(format!(
            "ok: entry {} is in {} at size {}, {}",
            receipt.index,
            checkpoint.origin,
            checkpoint.size,
            trusted_text(&trusted)
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `verify-bundle`: offline, with the bundle's files and the pinned key.
pub(super) fn verify_bundle_dir(
    args: &LedgerArgs,
    dir: &Path,
    trust: &TrustArgs,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let policy = pinned(args, trust, true)?;
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .with_context(|| format!("the bundle lacks {name} (in {})", dir.display()))
    };
    let (entries, proofs, checkpoint) = (
        read(ENTRIES_FILE)?,
        read(PROOFS_FILE)?,
        read(CHECKPOINT_FILE)?,
    );
    let bundled_key: Option<String> = std::fs::read_to_string(dir.join(KEY_FILE)).ok();
    match verify_bundle(
        &entries,
        &proofs,
        &checkpoint,
        bundled_key.as_deref(),
        &policy,
    ) {
        Ok(report) => {
            let cp = &report.checkpoint;
            if let Some(other) = &report.other_bundled_key {
                out.warning(format!(
                    "the bundle's log.vkey `{other}` is not the pinned key; it was not used"
                ));
            }
            if out.json() {
                let mut v = json!({"ok": true, "entries": report.count, "origin": cp.origin, "size": cp.size, "root": b64(&cp.root), "bundled_key_differs": report.other_bundled_key.is_some()});
                if let (Value::Object(v), Value::Object(t)) =
                    (&mut v, trusted_json(&report.trusted))
                {
                    v.extend(t);
                }
                out.print_json(&v)?;
            } else {
                out.line(format!(
                    "ok: {} entries proven in {} at size {} (root {}), {}",
                    report.count,
                    cp.origin,
                    cp.size,
                    b64(&cp.root),
                    trusted_text(&report.trusted)
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if out.json() {
                out.print_json(
                    &json!({"ok": false, "file": e.file, "line": e.line, "error": e.message}),
                )?;
            } else {
                out.line(format!("FAILED: {}/{e}", dir.display()))?;
            }
            Ok(ExitCode::from(1))
        }
    }
}
