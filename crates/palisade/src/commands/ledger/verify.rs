//! The offline `verify*` ledger commands an auditor runs: `verify-note`,
//! `verify-consistency`, `verify-receipt` and `verify-bundle`, and the pinned trust
//! they (and `verify`) share.
//!
//! Trust is pinned: the log's keys come from `--verifier` or the model's
//! `org.log_key`, never from the data being checked. Exit codes: 0 verified,
//! 1 the data does not verify (a bad signature or proof, altered content, a
//! malformed note), 2 the command could not run (a missing file, no key to trust).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use palisade_ledger::checkpoint::SignedCheckpoint;
use palisade_ledger::ledger::{
    CHECKPOINT_FILE, ENTRIES_FILE, KEY_FILE, PROOFS_FILE, verify_bundle,
};
use palisade_ledger::trust::{self, TrustPolicy, Trusted};
use palisade_ledger::{Note, Receipt, VerifierKey};
use serde_json::{Value, json};

use super::b64;
use crate::cli::{LedgerArgs, TrustArgs};
use crate::output::Output;

/// A key as the `ok` lines name it: `<name>+<key id>`.
fn key_label(key: &VerifierKey) -> String {
    format!("{}+{:08x}", key.name(), key.key_id())
}

/// Reads keys given as key texts or files of them (one a line; blank lines and
/// `#` comments skipped).
fn read_keys(values: &[String], flag: &str) -> anyhow::Result<Vec<VerifierKey>> {
    let mut keys = Vec::new();
    for value in values {
        let path = Path::new(value);
        if path.is_file() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {flag} file {}", path.display()))?;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                keys.push(VerifierKey::parse(line).with_context(|| {
                    format!("{}:{}: not a verifier key", path.display(), n + 1)
                })?);
            }
        } else {
            keys.push(VerifierKey::parse(value.trim()).with_context(|| {
                format!("{flag} `{value}` is neither a verifier key nor a file")
            })?);
        }
    }
    Ok(keys)
}

/// What the model says about the log's published key.
fn model_log_key(model: &Path) -> anyhow::Result<(String, Option<String>)> {
    let source = crate::commands::check::load(model)?;
    let parsed = palisade_model::parse(&source.text).map_err(|d| {
        anyhow::anyhow!(
            "{} does not parse ({}); run `palisade check {}`",
            model.display(),
            d.message,
            model.display()
        )
    })?;
    Ok((parsed.org.log_name, parsed.org.log_key))
}

/// How to pin a key, for the messages that refuse to run without one.
const HOW_TO_PIN: &str = "pin the log's verifier key with --verifier KEY|FILE, or publish it in the model as org.log_key";

/// The trust policy of a `verify*` command: the pinned log keys (`--verifier`,
/// else the model's `org.log_key`), the origin (with `expect_origin`: `--origin`,
/// else the model's log name or the `--verifier` keys' one name), and the witnesses.
pub(super) fn pinned(
    args: &LedgerArgs,
    trust: &TrustArgs,
    expect_origin: bool,
) -> anyhow::Result<TrustPolicy> {
    let (log_keys, default_origin) = if trust.verifiers.is_empty() {
        let (log_name, log_key) = model_log_key(&args.model).with_context(|| {
            format!("no --verifier given and the model cannot be read; {HOW_TO_PIN}")
        })?;
        let Some(text) = log_key else {
            bail!(
                "no key to trust: {HOW_TO_PIN} ({} has none). A key that ships with the data is never trusted",
                args.model.display()
            );
        };
        let key = VerifierKey::parse(&text).with_context(|| {
            format!(
                "org.log_key in {} is invalid; run `palisade check`",
                args.model.display()
            )
        })?;
        (vec![key], Some(log_name))
    } else {
        let keys = read_keys(&trust.verifiers, "--verifier")?;
        let first = keys.first().map(|k| k.name().to_owned());
        let one_name = keys.iter().all(|k| Some(k.name()) == first.as_deref());
        if expect_origin && !one_name && trust.origin.is_none() {
            bail!(
                "the --verifier keys have different names; say which log to expect with --origin"
            );
        }
        (keys, first.filter(|_| one_name))
    };
    if log_keys.is_empty() {
        bail!("the --verifier files hold no key; {HOW_TO_PIN}");
    }
    let witnesses = read_keys(&trust.witnesses, "--witness")?;
    let origin = if expect_origin {
        trust.origin.clone().or(default_origin)
    } else {
        trust.origin.clone()
    };
    TrustPolicy::new(log_keys, origin, witnesses, trust.min_witnesses)
        .map_err(|e| anyhow::anyhow!("{e} (--verifier, --witness, --min-witnesses)"))
}

/// Reports data that does not verify: `FAILED: …` (or `{"ok": false}`), exit 1.
pub(super) fn failed(out: &Output, message: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    if out.json() {
        out.print_json(&json!({"ok": false, "error": message.to_string()}))?;
    } else {
        out.line(format!("FAILED: {message}"))?;
    }
    Ok(ExitCode::from(1))
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The `ok` line's account of whom it trusted.
fn trusted_text(trusted: &Trusted) -> String {
    let mut text = format!(
        "signed by {}",
        trusted
            .signers
            .iter()
            .map(key_label)
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !trusted.witnesses.is_empty() {
        text.push_str(&format!(
            ", cosigned by {}",
            trusted
                .witnesses
                .iter()
                .map(|(k, _)| key_label(k))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    text
}

fn trusted_json(trusted: &Trusted) -> Value {
    json!({
        "signed_by": trusted.signers.iter().map(key_label).collect::<Vec<_>>(),
        "cosigned_by": trusted.witnesses.iter().map(|(k, t)| json!({"key": key_label(k), "time": t})).collect::<Vec<_>>(),
    })
}

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
    let verified = match note.verify(&policy.log_keys) {
        Ok(keys) => keys,
        Err(e) => return failed(out, format!("{}: {e}", file.display())),
    };
    // A checkpoint also answers to the origin and witness policy.
    let mut witnesses = Vec::new();
    if policy.origin.is_some() || !policy.witnesses.is_empty() {
        let signed = match SignedCheckpoint::from_note(note.clone()) {
            Ok(signed) => signed,
            Err(e) => return failed(out, format!("{}: {e}", file.display())),
        };
        match policy.check(&signed) {
            Ok(trusted) => witnesses = trusted.witnesses,
            Err(e) => return failed(out, format!("{}: {e}", file.display())),
        }
    }
    let trusted = Trusted {
        signers: verified.into_iter().cloned().collect(),
        witnesses,
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

/// Reads and checks one checkpoint of `verify-consistency`: `Err` is the message of
/// a checkpoint that does not verify.
fn trusted_checkpoint(
    path: &Path,
    policy: &TrustPolicy,
) -> anyhow::Result<Result<(SignedCheckpoint, Trusted), String>> {
    let bytes = read(path)?;
    let signed = match SignedCheckpoint::parse(&bytes) {
        Ok(signed) => signed,
        Err(e) => return Ok(Err(format!("{}: {e}", path.display()))),
    };
    Ok(match policy.check(&signed) {
        Ok(trusted) => Ok((signed, trusted)),
        Err(e) => Err(format!("{}: {e}", path.display())),
    })
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

/// Checkpoints held elsewhere, for `verify --checkpoint`, each checked against the
/// pinned trust first: `Err` is the message of one that is not trusted.
pub(super) fn trusted_external(
    paths: &[PathBuf],
    policy: &TrustPolicy,
) -> anyhow::Result<Result<Vec<SignedCheckpoint>, String>> {
    let mut checkpoints = Vec::new();
    for path in paths {
        match trusted_checkpoint(path, policy)? {
            Ok((signed, _)) => checkpoints.push(signed),
            Err(message) => return Ok(Err(message)),
        }
    }
    Ok(Ok(checkpoints))
}
