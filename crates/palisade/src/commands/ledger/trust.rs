//! The pinned trust of the offline checks: the log's keys from `--verifier` or the
//! model's `org.log_key`, never from the data being checked, and how the commands report
//! whom they trusted and what failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use palisade_ledger::VerifierKey;
use palisade_ledger::checkpoint::SignedCheckpoint;
use palisade_ledger::trust::{self, TrustPolicy, Trusted};
use serde_json::{Value, json};

use crate::cli::{LedgerArgs, TrustArgs};
use crate::output::Output;

/// A key as the `ok` lines name it: `<name>+<key id>`.
pub(super) fn key_label(key: &VerifierKey) -> String {
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
            keys.extend(trust::parse_key_lines(&text).map_err(|e| {
                anyhow::anyhow!("{}:{}: not a verifier key", path.display(), e.line)
            })?);
        } else {
            keys.push(VerifierKey::parse(value.trim()).with_context(|| {
                format!("{flag} `{value}` is neither a verifier key nor a file")
            })?);
        }
    }
    Ok(keys)
}

/// What the model says about the log's published key: its name and key.
pub(super) fn model_log_key(model: &Path) -> anyhow::Result<(String, Option<String>)> {
    let (_, parsed) = crate::commands::check::load_model(model)?;
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

pub(super) fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The `ok` line's account of whom it trusted.
pub(super) fn trusted_text(trusted: &Trusted) -> String {
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

pub(super) fn trusted_json(trusted: &Trusted) -> Value {
    json!({
        "signed_by": trusted.signers.iter().map(key_label).collect::<Vec<_>>(),
        "cosigned_by": trusted.witnesses.iter().map(|(k, t)| json!({"key": key_label(k), "time": t})).collect::<Vec<_>>(),
    })
}

/// Reads and checks one checkpoint: `Err` is the message of one that does not verify.
pub(super) fn trusted_checkpoint(
    path: &Path,
    policy: &TrustPolicy,
) -> anyhow::Result<Result<(SignedCheckpoint, Trusted), String>> {
    let bytes = read(path)?;
    Ok(policy
        .check_bytes(&bytes)
        .map_err(|e| format!("{}: {e}", path.display())))
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
