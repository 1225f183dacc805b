//! `palisade ledger …`: the evidence ledger from the command line. `run` dispatches each
//! subcommand to one function (in `log` the commands on the store, in `verify` and
//! `tiles` the offline checks, with `trust` pinning their keys) that parses its input,
//! calls palisade-ledger and prints the answer; the ledger's logic (events, receipts,
//! proofs, verification, trust) is the library's.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use jiff::Timestamp;
use palisade_ledger::ledger::{Event, Ledger, Query};
use palisade_ledger::merkle::Hash;
use palisade_ledger::{SignerKey, VerifierKey};
use palisade_store::Store;
use serde_json::{Value, json};

use crate::cli::{LedgerArgs, LedgerCommand};
use crate::output::Output;

mod append;
mod keygen;
mod log;
mod tiles;
mod trust;
mod verify;

use append::{append_lines, append_one};
use log::{checkpoint, consistency, cosign, export, prove, reindex, show, tail, verify};

/// Where the log's signing key is when neither `--key` nor PALISADE_LEDGER_KEY says.
pub(crate) const DEFAULT_KEY: &str = ".palisade/ledger.key";

pub fn run(args: &LedgerArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    match &args.command {
        LedgerCommand::Keygen {
            name,
            output,
            force,
        } => keygen::keygen(args, name.as_deref(), output.as_deref(), *force, out),
        LedgerCommand::VerifyBundle { dir, trust } => {
            verify::verify_bundle_dir(args, dir, trust, out)
        }
        LedgerCommand::VerifyReceipt {
            receipt,
            entry,
            raw,
            trust,
        } => verify::verify_receipt(args, receipt, entry.as_deref(), *raw, trust, out),
        LedgerCommand::VerifyNote { file, trust } => verify::verify_note(args, file, trust, out),
        LedgerCommand::VerifyConsistency {
            old,
            new,
            proof,
            trust,
        } => verify::verify_consistency(args, db, (old, new), proof.as_deref(), trust, out),
        LedgerCommand::Append {
            kind,
            subject,
            actor,
            data,
            from,
            batch,
        } => with_log(args, db, async |log| match from {
            Some(path) => append_lines(&log.ledger, path, actor, *batch).await,
            None => {
                append_one(
                    &log.ledger,
                    out,
                    kind.as_deref(),
                    subject.as_deref(),
                    actor,
                    data.as_deref(),
                )
                .await
            }
        }),
        LedgerCommand::Show { index } => {
            with_log(args, db, async |log| show(log, *index, out).await)
        }
        LedgerCommand::Tail {
            n,
            kind,
            subject,
            since,
            until,
        } => {
            let query = Query {
                kind: kind.clone(),
                subject: subject.clone(),
                since: since
                    .as_deref()
                    .map(|s| parse_day(s, "--since"))
                    .transpose()?,
                until: until
                    .as_deref()
                    .map(|s| parse_day(s, "--until"))
                    .transpose()?,
                limit: u32::try_from(*n).unwrap_or(u32::MAX),
                offset: 0,
            };
            with_log(args, db, async |log| tail(log, *n, &query, out).await)
        }
        LedgerCommand::Checkpoint => with_log(args, db, async |log| checkpoint(log, out).await),
        LedgerCommand::Prove { index, output } => with_log(args, db, async |log| {
            prove(log, *index, output.as_deref(), out).await
        }),
        LedgerCommand::Consistency { from, to } => with_log(args, db, async |log| {
            consistency(log, *from, *to, out).await
        }),
        LedgerCommand::Verify { checkpoints, trust } => {
            let policy = trust::pinned(args, trust, true)?;
            let external = match trust::trusted_external(checkpoints, &policy)? {
                Ok(external) => external,
                Err(message) => return trust::failed(out, message),
            };
            with_log(args, db, async |log| {
                verify(log, external, &policy, out).await
            })
        }
        LedgerCommand::Reindex => with_log(args, db, async |log| reindex(log, out).await),
        LedgerCommand::Cosign { file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            with_log(args, db, async |log| cosign(log, &text, out).await)
        }
        LedgerCommand::Export {
            tiles: Some(dir), ..
        } => with_log(args, db, async |log| {
            tiles::export_tiles(log, dir, out).await
        }),
        LedgerCommand::Export {
            since,
            until,
            output,
            tiles: None,
        } => {
            // clap requires all three without --tiles.
            let (Some(since), Some(until), Some(output)) = (since, until, output) else {
                anyhow::bail!(
                    "`ledger export` needs --since, --until and --output, or --tiles DIR"
                );
            };
            let since = parse_day(since, "--since")?;
            let until = parse_day(until, "--until")?;
            with_log(args, db, async |log| {
                export(log, since, until, output, out).await
            })
        }
        LedgerCommand::ExportTiles { dir } => with_log(args, db, async |log| {
            tiles::export_tiles(log, dir, out).await
        }),
        LedgerCommand::VerifyTiles {
            dir,
            verifiers,
            checkpoint,
        } => tiles::verify_tiles(dir, verifiers, checkpoint.as_deref(), out),
    }
}

/// The log as the commands that work on the store see it: the ledger (with the signing
/// key when there is one), and what the model says about it.
struct Log {
    ledger: Ledger,
    org: Org,
}

/// Opens the store and the log, runs `command` on it, and closes the store.
fn with_log(
    args: &LedgerArgs,
    db: &str,
    command: impl AsyncFnOnce(&Log) -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    let org = load_org(&args.model)?;
    let key_path = args
        .key
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_KEY));
    let signer = if key_path.exists() {
        Some(read_signer(&key_path)?)
    } else {
        None
    };
    super::runtime()?.block_on(async {
        let store = Store::open(db).await?;
        let mut ledger = Ledger::new(store.clone(), org.origin.clone());
        if let Some(key) = signer {
            ledger = ledger.with_signer(key);
        }
        let log = Log { ledger, org };
        let code = command(&log).await;
        store.close().await;
        code
    })
}

/// What every ledger command needs from the model: the log name and the
/// witnesses' keys.
struct Org {
    origin: String,
    witnesses: Vec<VerifierKey>,
}

fn load_org(model: &Path) -> anyhow::Result<Org> {
    let (_, parsed) = super::check::load_model(model)?;
    let mut witnesses = Vec::new();
    for w in &parsed.org.witnesses {
        witnesses.push(VerifierKey::parse(&w.key).with_context(|| {
            format!(
                "witness `{}` in {} has an invalid key",
                w.name,
                model.display()
            )
        })?);
    }
    Ok(Org {
        origin: parsed.org.log_name,
        witnesses,
    })
}

pub(crate) fn read_signer(path: &Path) -> anyhow::Result<SignerKey> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the signing key {}; create one with `palisade ledger keygen`",
            path.display()
        )
    })?;
    SignerKey::parse(text.trim())
        .with_context(|| format!("{} is not a signing key", path.display()))
}

fn parse_day(text: &str, flag: &str) -> anyhow::Result<Timestamp> {
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    let date: jiff::civil::Date = text.parse().with_context(|| {
        format!(
            "invalid {flag} `{text}`: write a date (2026-11-01) or a time (2026-11-01T09:00:00Z)"
        )
    })?;
    Ok(date.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp())
}

fn b64(hash: &Hash) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(hash)
}
