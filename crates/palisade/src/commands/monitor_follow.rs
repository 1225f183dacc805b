//! `palisade monitor follow`: reads a growing log as it grows, and starts
//! again from the top when it is rotated (a new file under the name) or
//! truncated, handing each complete line to the detectors and recording the
//! alerts as they come.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use palisade_ledger::ledger::Ledger;
use palisade_model::Index;
use palisade_monitor::detect::Detectors;
use palisade_monitor::event::RawRef;
use palisade_monitor::parse::Stats;
use palisade_monitor::read::SourceKind;
use palisade_store::Store;

use crate::cli::FollowArgs;
use crate::output::Output;

pub fn run(
    args: &FollowArgs,
    index: &Index<'_>,
    db: &str,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let rt = super::runtime()?;
    rt.block_on(follow(args, index, db, out))
}

struct Followed {
    reader: BufReader<File>,
    inode: u64,
    offset: u64,
}

fn open_at_end(path: &std::path::Path, from_start: bool) -> anyhow::Result<Followed> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let meta = file.metadata()?;
    let offset = if from_start {
        0
    } else {
        file.seek(SeekFrom::End(0))?
    };
    Ok(Followed {
        reader: BufReader::new(file),
        inode: meta.ino(),
        offset,
    })
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
    let (mut parser, source) = palisade_monitor::read::parser(&kind, model, year, zone)?;
    let store = Store::open(db).await?;
    let ledger = Ledger::new(store, model.org.log_name.clone());
    let windows = super::monitor::grant_windows(ledger.store(), None).await?;
    let holders: HashMap<&str, &str> = windows
        .iter()
        .map(|w| (w.request.as_str(), w.person.as_str()))
        .collect();
    let holder = |grant: &str| holders.get(grant).map(|p| (*p).to_owned());
    let profiles = palisade_monitor::learned::load_profiles(ledger.store()).await?;
    let mut detectors = Detectors::new(index, &windows, profiles);
    let file_name = args.file.display().to_string();
    let mut followed = open_at_end(&args.file, false)?;
    let mut stats = Stats::default();
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    let mut idle_since = Instant::now();
    out.warning(format!(
        "following {file_name} ({}); Ctrl-C to stop",
        args.source
    ));
    loop {
        buf.clear();
        let n = followed.reader.read_until(b'\n', &mut buf)?;
        if n > 0 && buf.ends_with(b"\n") {
            followed.offset += n as u64;
            line_no += 1;
            idle_since = Instant::now();
            let mut record: &[u8] = &buf;
            record = record.strip_suffix(b"\n").unwrap_or(record);
            record = record.strip_suffix(b"\r").unwrap_or(record);
            let at = RawRef {
                source,
                file: file_name.clone(),
                line: line_no,
                id: None,
            };
            let outcome = parser.parse(record, at);
            stats.count(line_no, &outcome);
            if let Ok(mut event) = outcome {
                palisade_monitor::resolve::resolve(&mut event, index, &holder);
                let findings = detectors.observe(&event);
                palisade_monitor::persist::persist_events(
                    ledger.store(),
                    std::slice::from_ref(&event),
                )
                .await?;
                if !findings.is_empty() {
                    let now = jiff::Timestamp::now();
                    let alerts = super::alerts::record_and_deliver(
                        &ledger, index, &findings, true, now, out,
                    )
                    .await?;
                    for a in alerts {
                        out.line(super::alerts::alert_line(&a))?;
                    }
                }
            }
            continue;
        }
        if n > 0 {
            // Half a line: wait for the rest, from where it started.
            followed.reader.seek(SeekFrom::Start(followed.offset))?;
        }
        // At the end: rotated or truncated?
        match std::fs::metadata(&args.file) {
            Ok(meta) if meta.ino() != followed.inode => {
                out.warning(format!(
                    "{file_name} was rotated; reading the new file from its start"
                ));
                followed = open_at_end(&args.file, true)?;
                line_no = 0;
                continue;
            }
            Ok(meta) if meta.len() < followed.offset => {
                out.warning(format!(
                    "{file_name} was truncated; reading it again from its start"
                ));
                followed = open_at_end(&args.file, true)?;
                line_no = 0;
                continue;
            }
            _ => {}
        }
        if args
            .idle_exit
            .is_some_and(|secs| idle_since.elapsed() >= Duration::from_secs(secs))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
    }
    let now = jiff::Timestamp::now();
    let findings = detectors.finish(now);
    if !findings.is_empty() {
        super::alerts::record_and_deliver(&ledger, index, &findings, true, now, out).await?;
    }
    palisade_monitor::learned::save_profiles(ledger.store(), &detectors.into_profiles(), now)
        .await?;
    out.warning(format!(
        "stopped after {} lines: {} events{}",
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
        }
    ));
    Ok(ExitCode::SUCCESS)
}
