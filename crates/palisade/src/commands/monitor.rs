//! `palisade monitor ingest | follow`: opens the sources the user names,
//! hands their events to palisade-monitor (resolution, detectors, the
//! store), and prints what came of it.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use palisade_ledger::ledger::Ledger;
use palisade_model::Index;
use palisade_monitor::detect::Detectors;
use palisade_monitor::event::Event;
use palisade_monitor::finding::{Finding, GrantWindow};
use palisade_monitor::order::{Merged, OrderStats, Ordered};
use palisade_monitor::parse::Stats;
use palisade_monitor::read::{SourceKind, Stream};
use palisade_store::Store;
use serde_json::json;

use crate::cli::{IngestArgs, MonitorArgs, MonitorCommand};
use crate::output::Output;

/// Events are written to the store in batches of this many.
const BATCH: usize = 10_000;

pub fn run(args: &MonitorArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let now = super::parse_now(args.now.as_deref())?;
    let (_, model) = super::check::load_model(&args.model)?;
    let index = Index::new(&model);
    match &args.command {
        MonitorCommand::Ingest(ingest) => {
            let rt = super::runtime()?;
            rt.block_on(ingest_run(ingest, &index, db, now, out))
        }
        MonitorCommand::Follow(follow) => super::monitor_follow::run(follow, &index, db, out),
    }
}

/// The grant windows the store knows, and those of `extra` (a JSON file).
pub async fn grant_windows(
    store: &Store,
    extra: Option<&Path>,
) -> anyhow::Result<Vec<GrantWindow>> {
    let rows = store
        .access_requests(&palisade_store::AccessFilter::default())
        .await?;
    let mut windows: Vec<GrantWindow> = rows
        .iter()
        .filter_map(palisade_monitor::learned::grant_window)
        .collect();
    if let Some(path) = extra {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the grants file {}", path.display()))?;
        let more: Vec<GrantWindow> = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a JSON list of grant windows ({{request, person, role, environment, from, until, break_glass}})",
                path.display()
            )
        })?;
        windows.extend(more);
    }
    Ok(windows)
}

/// Reads `path` (`-`: standard input).
pub fn open(path: &str) -> anyhow::Result<Box<dyn BufRead>> {
    if path == "-" {
        return Ok(Box::new(std::io::BufReader::with_capacity(
            1 << 20,
            std::io::stdin(),
        )));
    }
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {path}"))?;
    Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, file)))
}

async fn ingest_run(
    args: &IngestArgs,
    index: &Index<'_>,
    db: &str,
    now: jiff::Timestamp,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let model = index.model();
    let zone = jiff::tz::TimeZone::get(&args.zone).with_context(|| {
        format!(
            "unknown --zone `{}`; give an IANA name like Europe/Paris",
            args.zone
        )
    })?;
    let year = args
        .year
        .unwrap_or_else(|| now.to_zoned(zone.clone()).year());
    let mut sources = Vec::new();
    for pair in args.sources.chunks(2) {
        let kind: SourceKind = pair[0].parse()?;
        sources.push((kind, pair[1].clone()));
    }
    let store = Store::open(db).await?;
    let ledger = Ledger::new(store, model.org.log_name.clone());
    let windows = grant_windows(ledger.store(), args.grants.as_deref()).await?;
    let grants = palisade_monitor::learned::KnownGrants::new(&windows);
    let holder = |grant: &str| grants.holder(grant);
    let profiles = palisade_monitor::learned::load_profiles(ledger.store()).await?;
    let mut detectors = Detectors::new(index, &windows, profiles);
    let mut findings: Vec<Finding> = Vec::new();
    let mut alerts = Touched::default();
    let mut all_stats = Vec::new();
    let mut stored = 0u64;
    // The store's own ledger first (it is read page by page from the store),
    // then the files, interleaved by time.
    for (kind, path) in sources.iter().filter(|(k, _)| *k == SourceKind::Ledger) {
        if path != "-" {
            anyhow::bail!(palisade_monitor::read::SourceError::NotAFile);
        }
        let stats = ingest_ledger(
            &ledger,
            index,
            &holder,
            &mut detectors,
            &mut findings,
            !args.no_events,
        )
        .await?;
        stored += stats.events;
        all_stats.push(SourceSummary {
            kind: kind.clone(),
            path: "ledger".to_owned(),
            stats,
            order: None,
        });
    }
    let files: Vec<&(SourceKind, String)> = sources
        .iter()
        .filter(|(k, _)| *k != SourceKind::Ledger)
        .collect();
    let window = jiff::SignedDuration::from_mins(i64::from(args.reorder_window.minutes()));
    let mut ordered = Vec::new();
    for (kind, path) in &files {
        let reader = open(path)?;
        let stream = Stream::open(kind, reader, path, model, year, zone.clone())?;
        ordered.push(Ordered::new(stream, args.order, window));
    }
    let mut merged = Merged::new(ordered);
    let mut batch: Vec<Event> = Vec::with_capacity(BATCH);
    for next in merged.by_ref() {
        let (_, mut event) = next?;
        palisade_monitor::resolve::resolve(&mut event, index, &holder);
        findings.extend(detectors.observe(&event));
        // Recorded as they come, so memory does not grow with the input.
        if findings.len() >= BATCH {
            let touched =
                super::alerts::record_and_deliver(&ledger, index, &findings, false, now, out)
                    .await?;
            alerts.merge(touched);
            findings.clear();
        }
        if !args.no_events {
            batch.push(*event);
            if batch.len() == BATCH {
                palisade_monitor::persist::persist_events(ledger.store(), &batch).await?;
                stored += batch.len() as u64;
                batch.clear();
            }
        }
    }
    if !batch.is_empty() {
        palisade_monitor::persist::persist_events(ledger.store(), &batch).await?;
        stored += batch.len() as u64;
    }
    for ((kind, path), source) in files.iter().zip(merged.sources()) {
        all_stats.push(SourceSummary {
            kind: kind.clone(),
            path: path.clone(),
            stats: source.inner().stats().clone(),
            order: Some(source.stats().clone()),
        });
    }
    findings.extend(detectors.finish(now));
    let dropped =
        palisade_monitor::learned::save_taken_last_uses(ledger.store(), &mut detectors).await?;
    if dropped > 0 {
        out.warning(format!(
            "{dropped} uses of resources were not kept for the access reviews' last use: more than {} people, resources and covers in one run; ingest the logs in smaller parts",
            palisade_monitor::detect::MAX_LAST_USES
        ));
    }
    palisade_monitor::learned::save_profiles(ledger.store(), &detectors.into_profiles(), now)
        .await?;
    let touched =
        super::alerts::record_and_deliver(&ledger, index, &findings, !args.no_deliver, now, out)
            .await?;
    alerts.merge(touched);
    print(
        &all_stats,
        &args.reorder_window.to_string(),
        stored,
        &alerts.shown,
        out,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The store's own ledger as a source, page by page.
async fn ingest_ledger(
    ledger: &Ledger,
    index: &Index<'_>,
    holder: &dyn Fn(&str) -> Option<String>,
    detectors: &mut Detectors<'_, '_>,
    findings: &mut Vec<Finding>,
    store_events: bool,
) -> anyhow::Result<Stats> {
    const PAGE: u64 = 10_000;
    let mut stats = Stats::default();
    let size = ledger.size().await?;
    let mut from = 0u64;
    // Oldest first, a page at a time: detectors see time go forward.
    while from < size {
        let to = (from + PAGE).min(size);
        let rows = ledger.store().ledger_entries(from, to).await?;
        let mut batch = Vec::new();
        for row in &rows {
            // An entry that does not decode is counted, and the rest read:
            // `palisade ledger verify` is where a damaged ledger is judged.
            let entry = match palisade_ledger::Entry::from_canonical(&row.entry) {
                Ok(entry) => entry,
                Err(e) => {
                    let line = row.idx.saturating_add(1);
                    stats.count(
                        line,
                        &Err(palisade_monitor::parse::Problem::Malformed(format!(
                            "ledger entry {} does not decode ({e}); run `palisade ledger verify`",
                            row.idx
                        ))),
                    );
                    continue;
                }
            };
            let outcome = palisade_monitor::parse::ledger::event(&entry);
            stats.count(entry.index + 1, &outcome);
            let Ok(mut event) = outcome else { continue };
            palisade_monitor::resolve::resolve(&mut event, index, holder);
            findings.extend(detectors.observe(&event));
            batch.push(event);
        }
        if store_events && !batch.is_empty() {
            palisade_monitor::persist::persist_events(ledger.store(), &batch).await?;
        }
        from = to;
    }
    Ok(stats)
}

/// The alerts an ingest touched, each once, as last seen.
#[derive(Default)]
struct Touched {
    shown: Vec<serde_json::Value>,
    at: HashMap<String, usize>,
}

impl Touched {
    fn merge(&mut self, alerts: Vec<serde_json::Value>) {
        for a in alerts {
            let id = a["id"].as_str().unwrap_or_default().to_owned();
            match self.at.get(&id) {
                Some(&i) => self.shown[i] = a,
                None => {
                    self.at.insert(id, self.shown.len());
                    self.shown.push(a);
                }
            }
        }
    }
}

fn kind_name(kind: &SourceKind) -> String {
    match kind {
        SourceKind::Github => "github".to_owned(),
        SourceKind::Gitlab => "gitlab".to_owned(),
        SourceKind::Sshd => "sshd".to_owned(),
        SourceKind::Journald => "journald".to_owned(),
        SourceKind::Ndjson(n) => format!("ndjson:{n}"),
        SourceKind::Ledger => "ledger".to_owned(),
    }
}

/// What one source came to.
struct SourceSummary {
    kind: SourceKind,
    path: String,
    stats: Stats,
    /// How it was put in time order (files only).
    order: Option<OrderStats>,
}

/// What the order of a source came to, in words; empty when in order.
fn order_words(o: &OrderStats, window: &str) -> (Vec<String>, Option<String>) {
    let mut words = Vec::new();
    if o.newest_first {
        words.push("newest first, read backwards".to_owned());
    }
    if o.reordered > 0 {
        words.push(format!("{} put back in time order", o.reordered));
    }
    if o.late > 0 {
        words.push(format!("{} late", o.late));
    }
    if o.backward_jumps > 0 {
        words.push(format!("{} clock jumps back", o.backward_jumps));
    }
    let warning = (o.late > 0).then(|| {
        format!(
            "{} events came more than the reorder window ({window}) after later ones (the largest step back: {}s{}); the detectors judged them late, so rates and bursts around them may be missed: check the hosts' clocks, or give a larger --reorder-window",
            o.late,
            o.largest_step_back_secs,
            o.first_late_line
                .map(|l| format!(", first at line {l}"))
                .unwrap_or_default()
        )
    });
    (words, warning)
}

fn print(
    stats: &[SourceSummary],
    window: &str,
    stored: u64,
    alerts: &[serde_json::Value],
    out: &Output,
) -> anyhow::Result<()> {
    if out.json() {
        return out.print_json(&json!({
            "sources": stats.iter().map(|s| json!({"source": kind_name(&s.kind), "file": s.path, "stats": s.stats, "order": s.order})).collect::<Vec<_>>(),
            "events_stored": stored,
            "alerts": alerts,
        }));
    }
    for SourceSummary {
        kind,
        path,
        stats: s,
        order,
    } in stats
    {
        let mut problems: Vec<String> =
            s.problems.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let (order_words, order_warning) = order
            .as_ref()
            .map(|o| order_words(o, window))
            .unwrap_or_default();
        problems.extend(order_words);
        // Events whose action no mapping names are kept but not understood: say so.
        if s.other > 0 {
            problems.push(format!("{} with an action not understood", s.other));
        }
        // Read, but with bytes that were not UTF-8 replaced: say so.
        if s.lossy > 0 {
            problems.push(format!("{} with bytes not UTF-8 replaced", s.lossy));
        }
        out.line(format!(
            "{} {path}: {} records, {} events{}",
            kind_name(kind),
            s.records,
            s.events,
            if problems.is_empty() {
                String::new()
            } else {
                format!(" ({})", problems.join(", "))
            }
        ))?;
        for (line, why) in s.examples.iter().take(5) {
            out.warning(format!("{path}:{line}: {why}"));
        }
        if let Some(w) = order_warning {
            out.warning(format!("{path}: {w}"));
        }
    }
    out.line(format!("{} alerts", alerts.len()))?;
    for a in alerts {
        out.line(super::alerts::alert_line(a))?;
    }
    Ok(())
}
