//! `palisade monitor follow`: follows a growing log with
//! `palisade_monitor::follow::Tail` (resuming where the last run stopped),
//! hands each complete line to the detectors, and stores what came of it in
//! batches, each followed by the position to resume from; SIGINT and SIGTERM
//! stop it after a last checkpoint.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use palisade_ledger::ledger::Ledger;
use palisade_model::Index;
use palisade_monitor::detect::Detectors;
use palisade_monitor::event::{Event, RawRef};
use palisade_monitor::finding::Finding;
use palisade_monitor::follow::{Next, Opened, Position, Start, Tail};
use palisade_monitor::learned::KnownGrants;
use palisade_monitor::parse::{Problem, Stats};
use palisade_monitor::read::{MAX_LINE, SourceKind};
use palisade_store::Store;
use tokio::sync::watch;

use crate::cli::FollowArgs;
use crate::output::Output;

/// Events or findings held between two checkpoints at most: a busy log is
/// stored at least this often, whatever `--checkpoint-secs` says.
const BATCH: usize = 10_000;

/// Lines read in a row before the runtime gets a turn (to see a signal).
const YIELD_EVERY: u32 = 1_024;

pub fn run(
    args: &FollowArgs,
    index: &Index<'_>,
    db: &str,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let rt = super::runtime()?;
    rt.block_on(follow(args, index, db, out))
}

/// The name of the first of SIGINT or SIGTERM received, as it comes, and
/// again for each one after.
fn stop_signals() -> anyhow::Result<watch::Receiver<Option<&'static str>>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let (tx, rx) = watch::channel(None);
    tokio::spawn(async move {
        loop {
            let name = tokio::select! {
                Some(()) = term.recv() => "SIGTERM",
                Some(()) = int.recv() => "SIGINT",
                else => return,
            };
            if tx.send(Some(name)).is_err() {
                return;
            }
        }
    });
    Ok(rx)
}

/// What was read and not yet stored, and how to store it.
struct Pending<'l, 'a, 'm> {
    ledger: &'l Ledger,
    index: &'a Index<'m>,
    out: &'l Output,
    /// The followed log's name in the store.
    key: String,
    detectors: Detectors<'a, 'm>,
    events: Vec<Event>,
    findings: Vec<Finding>,
    /// The position moved since the last checkpoint.
    moved: bool,
}

impl Pending<'_, '_, '_> {
    fn full(&self) -> bool {
        self.events.len() >= BATCH || self.findings.len() >= BATCH
    }

    /// Stores what was read up to `position`, then `position`: alerts, the
    /// events in one batch, what the detectors learned, and last the
    /// position, so a crash at any step reads those lines again rather than
    /// skipping them.
    async fn checkpoint(&mut self, position: &Position) -> anyhow::Result<()> {
        let now = jiff::Timestamp::now();
        let store = self.ledger.store();
        if !self.findings.is_empty() {
            let alerts = super::alerts::record_and_deliver(
                self.ledger,
                self.index,
                &self.findings,
                true,
                now,
                self.out,
            )
            .await?;
            self.findings.clear();
            for a in alerts {
                self.out.line(super::alerts::alert_line(&a))?;
            }
        }
        if !self.events.is_empty() {
            palisade_monitor::persist::persist_events(store, &self.events).await?;
            self.events.clear();
        }
        let learned = self.detectors.take_changed_profiles();
        if !learned.people.is_empty() {
            palisade_monitor::learned::save_profiles(store, &learned, now).await?;
        }
        let dropped =
            palisade_monitor::learned::save_taken_last_uses(store, &mut self.detectors).await?;
        if dropped > 0 {
            self.out.warning(format!(
                "{dropped} uses of resources were not kept for the access reviews' last use: more than {} people, resources and covers between two checkpoints",
                palisade_monitor::detect::MAX_LAST_USES
            ));
        }
        palisade_monitor::follow::save_checkpoint(store, &self.key, position, now).await?;
        self.moved = false;
        Ok(())
    }
}

async fn follow(
    args: &FollowArgs,
    index: &Index<'_>,
    db: &str,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let model = index.model();
    let kind: SourceKind = args.source.parse()?;
    let zone = jiff::tz::TimeZone::get(&args.zone)
        .with_context(|| format!("unknown --zone `{}`", args.zone))?;
    let year = args
        .year
        .unwrap_or_else(|| jiff::Timestamp::now().to_zoned(zone.clone()).year());
    let (parser, source) = palisade_monitor::read::parser(&kind, model, year, zone)?;
    let key = palisade_monitor::follow::checkpoint_key(&args.file)?;
    let store = Store::open(db).await?;
    let ledger = Ledger::new(store, model.org.log_name.clone());
    let windows = super::monitor::grant_windows(ledger.store(), None).await?;
    let mut grants = KnownGrants::new(&windows);
    let profiles = palisade_monitor::learned::load_profiles(ledger.store()).await?;
    let saved = if args.from_end {
        None
    } else {
        palisade_monitor::follow::load_checkpoint(ledger.store(), &key).await?
    };
    let start = if args.from_start {
        Start::Beginning
    } else {
        Start::End
    };
    // Listening before the first line is read: a stop is never lost.
    let mut stop = stop_signals()?;
    let (mut tail, opened) = Tail::open(&args.file, saved.as_ref(), start)?;
    let file_name = args.file.display().to_string();
    out.warning(opened_message(&file_name, &opened, args.from_end));
    out.warning(format!(
        "following {file_name} ({}); Ctrl-C or SIGTERM stops it after storing what was read",
        args.source
    ));
    let mut pending = Pending {
        ledger: &ledger,
        index,
        out,
        key,
        detectors: Detectors::new(index, &windows, profiles),
        events: Vec::new(),
        findings: Vec::new(),
        moved: false,
    };
    let mut reader = Reader {
        tail: &mut tail,
        parser,
        source,
        file_name: &file_name,
        stats: Stats::default(),
    };
    let ended = read(
        args,
        &mut reader,
        &mut pending,
        index,
        &mut grants,
        &mut stop,
    )
    .await;
    let stats = reader.stats;
    if let Ok(Some(signal)) = &ended {
        out.warning(format!("{signal}: storing what was read, then stopping"));
    }
    // Whatever ended the reading, what was read is stored; a second signal
    // gives that up.
    let last = async {
        let now = jiff::Timestamp::now();
        let findings = pending.detectors.finish(now);
        pending.findings.extend(findings);
        pending.checkpoint(&tail.position()).await
    };
    let stored = tokio::select! {
        stored = last => stored,
        _ = stop.changed() => {
            out.warning(
                "stopped again before what was read was stored: the next run reads the lines \
                 since the last checkpoint again",
            );
            return Ok(ExitCode::from(2));
        }
    };
    if let Err(e) = ended {
        if let Err(also) = stored {
            out.warning(format!(
                "what was read could not be stored either: {also:#}"
            ));
        }
        return Err(e);
    }
    stored?;
    let position = tail.position();
    out.warning(format!(
        "stopped after {} lines: {} events{}; the next run resumes after line {} of {file_name}",
        stats.records,
        stats.events,
        if stats.problems.is_empty() {
            String::new()
        } else {
            format!(
                ", problems {}",
                stats
                    .problems
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        position.line,
    ));
    Ok(ExitCode::SUCCESS)
}

/// What the user is told of where reading begins.
fn opened_message(file: &str, opened: &Opened, from_end: bool) -> String {
    match opened {
        Opened::AtEnd { lines } if from_end => format!(
            "--from-end: starting after the {lines} lines already in {file}, whatever the last run read"
        ),
        Opened::AtEnd { lines } => format!(
            "no saved position for {file}: starting after the {lines} lines already in it (--from-start reads them)"
        ),
        Opened::AtStart => format!("no saved position for {file}: reading it from its start"),
        Opened::Resumed(p) => format!(
            "resuming {file} after line {} (byte {}), where the last run stopped",
            p.line, p.offset
        ),
        Opened::Rotated { rotated: Some(old) } => format!(
            "{file} was rotated while stopped: reading the rest of {} from where the last run \
             stopped, then the new {file} from its start",
            old.display()
        ),
        Opened::Rotated { rotated: None } => format!(
            "{file} was rotated while stopped and the old file is not beside it: reading the new \
             file from its start; lines added to the old one after the last run stopped may have \
             been missed"
        ),
        Opened::Truncated { size, offset } => format!(
            "{file} was truncated, rewritten or replaced while stopped (it no longer holds what \
             the last run read up to byte {offset}; it has {size} bytes): reading it from its start"
        ),
        _ => format!("following {file}"),
    }
}

/// The log and what reads its lines into events.
struct Reader<'t> {
    tail: &'t mut Tail,
    parser: Box<dyn palisade_monitor::parse::Parser>,
    source: palisade_monitor::event::Source,
    file_name: &'t str,
    stats: Stats,
}

/// Reads until a signal (its name), `--idle-exit` (`None`) or an error,
/// storing a checkpoint every `--checkpoint-secs`, whenever the log goes
/// quiet after new lines, and whenever a batch is full.
async fn read(
    args: &FollowArgs,
    reader: &mut Reader<'_>,
    pending: &mut Pending<'_, '_, '_>,
    index: &Index<'_>,
    grants: &mut KnownGrants,
    stop: &mut watch::Receiver<Option<&'static str>>,
) -> anyhow::Result<Option<&'static str>> {
    let every = Duration::from_secs(args.checkpoint_secs);
    let (mut last_line, mut last_checkpoint) = (Instant::now(), Instant::now());
    let mut in_a_row = 0u32;
    loop {
        if let Some(signal) = *stop.borrow_and_update() {
            return Ok(Some(signal));
        }
        match reader.tail.next_line()? {
            Next::Line {
                file,
                number,
                record,
            } => {
                // The file the line is in: the rest of a rotated one is
                // under its new name.
                let at = RawRef {
                    source: reader.source,
                    file: file.display().to_string(),
                    line: number,
                    id: None,
                };
                let outcome = reader.parser.parse(record, at);
                reader.stats.count(number, &outcome);
                if let Ok(mut event) = outcome {
                    // A grant made since the follow started: learn its window, so
                    // its certificates are not taken for ones Palisade never issued.
                    if let Some(grant) = event.grant.as_deref()
                        && let Some(window) = grants.look_up(pending.ledger.store(), grant).await?
                    {
                        pending.detectors.add_grant(window);
                    }
                    palisade_monitor::resolve::resolve(&mut event, index, &|grant: &str| {
                        grants.holder(grant)
                    });
                    let findings = pending.detectors.observe(&event);
                    pending.findings.extend(findings);
                    pending.events.push(event);
                }
            }
            Next::TooLong { number } => {
                let problem =
                    Problem::Malformed(format!("a line longer than {MAX_LINE} bytes, skipped"));
                reader.stats.count(number, &Err(problem));
            }
            Next::Rotated { unfinished } => {
                let lost = if unfinished > 0 {
                    format!(" (its last {unfinished} bytes, no complete line, are not read)")
                } else {
                    String::new()
                };
                pending.out.warning(format!(
                    "{} was rotated; reading the new file from its start{lost}",
                    reader.file_name
                ));
            }
            Next::Truncated => {
                pending.out.warning(format!(
                    "{} was truncated; reading it again from its start",
                    reader.file_name
                ));
            }
            Next::Idle => {
                if pending.moved {
                    pending.checkpoint(&reader.tail.position()).await?;
                    last_checkpoint = Instant::now();
                }
                if args
                    .idle_exit
                    .is_some_and(|secs| last_line.elapsed() >= Duration::from_secs(secs))
                {
                    return Ok(None);
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(args.poll_ms)) => {}
                    changed = stop.changed() => {
                        if changed.is_err() {
                            tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
                        }
                    }
                }
                continue;
            }
            _ => {}
        }
        pending.moved = true;
        last_line = Instant::now();
        if pending.full() || last_checkpoint.elapsed() >= every {
            pending.checkpoint(&reader.tail.position()).await?;
            last_checkpoint = Instant::now();
        }
        in_a_row += 1;
        if in_a_row >= YIELD_EVERY {
            in_a_row = 0;
            tokio::task::yield_now().await;
        }
    }
}
