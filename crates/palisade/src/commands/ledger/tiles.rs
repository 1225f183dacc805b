//! `palisade ledger export-tiles` and `verify-tiles`: the log as C2SP tlog-tiles.
//! The tiles' logic is palisade-ledger's (`palisade_ledger::tiles`); this parses,
//! wires and prints.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use jiff::Timestamp;
use palisade_ledger::VerifierKey;
use palisade_ledger::tiles::{self, CHECKPOINT, Dir, TileReader as _, VerifyTilesError};
use serde_json::json;

use super::{Log, b64};
use crate::output::Output;

/// `export-tiles`: writes what changed since the directory's checkpoint, the checkpoint last.
pub(super) async fn export_tiles(log: &Log, dir: &Path, out: &Output) -> anyhow::Result<ExitCode> {
    let exported = tiles::export_tiles(&log.ledger, &Dir::new(dir), Timestamp::now())
        .await
        .with_context(|| format!("cannot export the tiles to {}", dir.display()))?;
    let cp = &exported.checkpoint.checkpoint;
    if out.json() {
        out.print_json(&json!({
            "dir": dir.display().to_string(),
            "origin": cp.origin,
            "size": cp.size,
            "previous_size": exported.previous,
            "written": exported.written,
            "kept": exported.kept,
        }))?;
    } else {
        out.line(format!(
            "wrote {} tiles and entry bundles to {} ({} already there were kept): {} at size {} (was {}); check it with `palisade ledger verify-tiles {} --verifier KEY`",
            exported.written,
            dir.display(),
            exported.kept,
            cp.origin,
            cp.size,
            exported.previous,
            dir.display()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `verify-tiles`: offline, with the tiles and keys the caller pins (never a key in DIR).
pub(super) fn verify_tiles(
    dir: &Path,
    verifiers: &[String],
    checkpoint: Option<&Path>,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let keys = pinned_keys(verifiers)?;
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let log = Dir::new(dir);
    let (name, bytes) = match checkpoint {
        Some(path) => (
            path.display().to_string(),
            Some(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?),
        ),
        None => (
            CHECKPOINT.to_owned(),
            log.read(CHECKPOINT)
                .with_context(|| format!("cannot read {}", log.path(CHECKPOINT).display()))?,
        ),
    };
    let Some(bytes) = bytes else {
        return failed(
            out,
            dir,
            CHECKPOINT,
            None,
            "missing: a tiled log starts with its checkpoint",
        );
    };
    match tiles::verify_tiles(&log, &name, &bytes, &keys) {
        Ok(ok) => {
            let cp = &ok.checkpoint;
            if out.json() {
                out.print_json(&json!({
                    "ok": true,
                    "origin": cp.origin,
                    "size": cp.size,
                    "root": b64(&cp.root),
                    "key": ok.key.name(),
                    "key_id": format!("{:08x}", ok.key.key_id()),
                    "tiles": ok.tiles,
                    "bundles": ok.bundles,
                }))?;
            } else {
                out.line(format!(
                    "ok: {} at size {} (root {}), signed by {} ({:08x}); {} tiles and {} entry bundles recomputed",
                    cp.origin,
                    cp.size,
                    b64(&cp.root),
                    ok.key.name(),
                    ok.key.key_id(),
                    ok.tiles,
                    ok.bundles
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(VerifyTilesError::Damaged(e)) => {
            // A checkpoint given with --checkpoint is named as given, not under DIR.
            let file = if checkpoint.is_some() && e.file == name {
                e.file.clone()
            } else {
                dir.join(&e.file).display().to_string()
            };
            failed(out, Path::new(""), &file, e.offset, &e.message)
        }
        Err(e) => Err(e.into()),
    }
}

fn failed(
    out: &Output,
    dir: &Path,
    file: &str,
    offset: Option<u64>,
    message: &str,
) -> anyhow::Result<ExitCode> {
    let file = dir.join(file).display().to_string();
    if out.json() {
        out.print_json(&json!({"ok": false, "file": file, "offset": offset, "error": message}))?;
    } else {
        out.line(format!("FAILED: {file}: {message}"))?;
    }
    Ok(ExitCode::from(1))
}

/// The keys given: each a verifier key, or a file of them, one a line.
fn pinned_keys(verifiers: &[String]) -> anyhow::Result<Vec<VerifierKey>> {
    let mut keys = Vec::new();
    for given in verifiers {
        let path = Path::new(given);
        if path.is_file() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            for (n, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                keys.push(VerifierKey::parse(line.trim()).with_context(|| {
                    format!("{}:{}: not a verifier key", path.display(), n + 1)
                })?);
            }
        } else {
            keys.push(VerifierKey::parse(given.trim()).with_context(|| {
                format!("--verifier {given:?} is not a verifier key, nor a file")
            })?);
        }
    }
    if keys.is_empty() {
        bail!("no verifier key given; pass --verifier with the log's key or a file holding it");
    }
    Ok(keys)
}
