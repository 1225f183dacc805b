//! The monitor's pipeline over a real GitHub NDJSON file, without the
//! store (target: 500,000 events/s or more on one core): read and parse
//! with `read::Stream`, resolve each actor with `resolve::resolve`, and run
//! every detector with `Detectors::observe`, as `palisade monitor ingest`
//! does before it records anything. Findings are counted and dropped.
//!
//! Two passes over the file: parsing alone, then the whole pipeline; each
//! prints events/s by the wall clock and per CPU-second (on a shared machine
//! the two differ). `bench/monitor.sh` runs it on one core against a file
//! from `bench/monitor-generate.py --scale`.
//!
//! `PIPELINE_FILE=github.ndjson [PIPELINE_GRANTS=grants.json] cargo bench -p palisade-monitor --bench pipeline`
//! (`PIPELINE_MODEL` names another model than examples/acme.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::io::BufReader;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use palisade_model::Index;
use palisade_monitor::detect::{Detectors, Profiles};
use palisade_monitor::finding::GrantWindow;
use palisade_monitor::read::{SourceKind, Stream};

/// This process's CPU time (user and system), from `/proc/self/stat`; `None`
/// elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn report(what: &str, events: u64, wall: Duration, cpu: Option<f64>) {
    let wall = wall.as_secs_f64();
    print!(
        "pipeline: {what}: {events} events in {wall:.3} s, {:.0} events/s",
        events as f64 / wall
    );
    match cpu {
        Some(cpu) if cpu > 0.0 => println!(
            "; {cpu:.2} CPU-s, {:.0} events per CPU-second",
            events as f64 / cpu
        ),
        _ => println!(),
    }
}

fn main() {
    let Some(file) = std::env::var_os("PIPELINE_FILE").map(PathBuf::from) else {
        eprintln!(
            "pipeline: set PIPELINE_FILE to a GitHub NDJSON file (bench/monitor-generate.py writes one); nothing measured"
        );
        return;
    };
    let model_path = std::env::var_os("PIPELINE_MODEL").map_or_else(
        || palisade_test_support::repo_root().join("examples/acme/palisade.toml"),
        PathBuf::from,
    );
    let model = palisade_model::parse(&std::fs::read_to_string(&model_path).unwrap()).unwrap();
    let index = Index::new(&model);
    let windows: Vec<GrantWindow> = std::env::var_os("PIPELINE_GRANTS")
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .unwrap_or_default();
    let holders: HashMap<&str, &str> = windows
        .iter()
        .map(|w| (w.request.as_str(), w.person.as_str()))
        .collect();
    let holder = |grant: &str| holders.get(grant).map(|p| (*p).to_owned());
    let name = file.display().to_string();
    let open = || {
        let reader = BufReader::with_capacity(1 << 20, std::fs::File::open(&file).unwrap());
        Stream::open(
            &SourceKind::Github,
            reader,
            &name,
            &model,
            2026,
            jiff::tz::TimeZone::UTC,
        )
        .unwrap()
    };

    // Parsing alone (this pass also brings the file into the page cache).
    let cpu0 = cpu_seconds();
    let began = Instant::now();
    let mut events = 0u64;
    for (_, outcome) in open() {
        if let Ok(event) = outcome {
            events += 1;
            black_box(event);
        }
    }
    let wall = began.elapsed();
    report(
        "read + parse",
        events,
        wall,
        cpu_seconds().zip(cpu0).map(|(a, b)| a - b),
    );

    // The whole pipeline, as the ingest runs it before the store.
    let mut detectors = Detectors::new(&index, &windows, Profiles::default());
    let mut findings: BTreeMap<&'static str, u64> = BTreeMap::new();
    let cpu0 = cpu_seconds();
    let began = Instant::now();
    let mut events = 0u64;
    let mut stream = open();
    for (_, outcome) in stream.by_ref() {
        let Ok(mut event) = outcome else { continue };
        events += 1;
        palisade_monitor::resolve::resolve(&mut event, &index, &holder);
        for f in detectors.observe(&event) {
            *findings.entry(f.detector).or_default() += 1;
        }
    }
    let wall = began.elapsed();
    report(
        "read + parse + resolve + every detector",
        events,
        wall,
        cpu_seconds().zip(cpu0).map(|(a, b)| a - b),
    );
    let total: u64 = findings.values().sum();
    println!(
        "pipeline: {total} findings {findings:?}; {} problems",
        stream.stats().problems.values().sum::<u64>()
    );
}
