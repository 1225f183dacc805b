//! `palisade ledger …`: the evidence ledger from the command line. Each subcommand is
//! one function here that parses its input, calls palisade-ledger and prints the
//! answer; the ledger's logic (events, receipts, proofs, verification) is the library's.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use jiff::Timestamp;
use palisade_ledger::checkpoint::SignedCheckpoint;
use palisade_ledger::ledger::{Event, Ledger, Progress, Query, Stored, VerifyOptions};
use palisade_ledger::merkle::Hash;
use palisade_ledger::trust::TrustPolicy;
use palisade_ledger::{Entry, SignerKey, VerifierKey};
use palisade_store::Store;
use serde_json::{Value, json};

use crate::cli::{LedgerArgs, LedgerCommand};
use crate::output::Output;

mod append;
mod keygen;
mod verify;

use append::{append_lines, append_one};

mod tiles;

/// Where the log's signing key is when neither `--key` nor PALISADE_LEDGER_KEY says.
const DEFAULT_KEY: &str = ".palisade/ledger.key";

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
            let policy = verify::pinned(args, trust, true)?;
            let external = match verify::trusted_external(checkpoints, &policy)? {
                Ok(external) => external,
                Err(message) => return verify::failed(out, message),
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
    let source = super::check::load(model)?;
    let parsed = palisade_model::parse(&source.text).map_err(|d| {
        anyhow::anyhow!(
            "{} does not parse ({}); run `palisade check {}`",
            model.display(),
            d.message,
            model.display()
        )
    })?;
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

fn read_signer(path: &Path) -> anyhow::Result<SignerKey> {
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

async fn show(log: &Log, index: u64, out: &Output) -> anyhow::Result<ExitCode> {
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
async fn tail(log: &Log, n: u64, query: &Query, out: &Output) -> anyhow::Result<ExitCode> {
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

async fn checkpoint(log: &Log, out: &Output) -> anyhow::Result<ExitCode> {
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

async fn prove(
    log: &Log,
    index: u64,
    output: Option<&Path>,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let receipt = log.ledger.prove(index, Timestamp::now()).await?;
    write_or_print(output, &receipt.to_string(), out)?;
    Ok(ExitCode::SUCCESS)
}

async fn consistency(
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

async fn verify(
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

async fn reindex(log: &Log, out: &Output) -> anyhow::Result<ExitCode> {
    let rows = log.ledger.reindex().await?;
    if out.json() {
        out.print_json(&json!({"indexed_entries": rows}))?;
    } else {
        out.line(format!("rebuilt the subject index: {rows} entries"))?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn cosign(log: &Log, note: &str, out: &Output) -> anyhow::Result<ExitCode> {
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

async fn export(
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
