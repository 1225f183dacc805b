//! `palisade scan`: secrets, personal data and plaintext transport in a working tree,
//! standard input, the staged change or git history.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use palisade_ledger::ledger::{Event, Ledger};
use palisade_scan::finding::Introduced;
use palisade_scan::git::{GitError, StagedFile};
use palisade_scan::output::{self, Style};
use palisade_scan::rules::Severity;
use palisade_scan::scan::{Buffer, Progress, Report, ScanConfig};
use palisade_scan::setup::{self, SetupOptions};
use palisade_store::Store;
use serde_json::json;

use crate::cli::{Format, ScanArgs};
use crate::output::Output;

pub fn run(args: &ScanArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let model_text;
    let model = match model_path(args) {
        Some(path) => {
            let source = super::check::load(&path)?;
            model_text = palisade_model::parse(&source.text).map_err(|d| {
                anyhow::anyhow!(
                    "{} does not parse ({}); run `palisade check {}`",
                    path.display(),
                    d.message,
                    path.display()
                )
            })?;
            Some((model_text, path))
        }
        None => None,
    };
    let options = SetupOptions {
        model: model.as_ref().map(|(m, p)| (m, p.as_path())),
        baseline: args.baseline.clone(),
        pii: !args.no_pii,
    };
    let (config, staged) = if args.staged && !args.stdin {
        let (config, files) = setup_reading_staged(&options, &repo_root(args));
        (config?, Some(files?))
    } else {
        (setup::build(&options)?, None)
    };
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });

    let mut report = if args.stdin {
        scan_stdin(&config, &args.stdin_name)?
    } else if let Some(files) = staged {
        scan_staged(&config, &files)
    } else if args.history || args.range.is_some() {
        scan_git(
            &config,
            &repo_root(args),
            args.range.as_deref(),
            threads,
            args.quiet,
        )?
    } else {
        let roots: Vec<PathBuf> = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        for root in &roots {
            if !root.exists() {
                bail!("{} does not exist", root.display());
            }
        }
        let progress = Progress::default();
        with_progress(&progress, !args.quiet, || {
            config.scan_tree(&roots, threads, &progress)
        })
    };
    let elapsed = started.elapsed().as_secs_f64();

    if let Some(path) = &args.write_baseline {
        std::fs::write(path, setup::baseline_of(&report))
            .with_context(|| format!("cannot write the baseline {}", path.display()))?;
        eprintln!(
            "wrote {} fingerprints to {}; later scans with --baseline {} (or scan.baseline in the model) report only new findings",
            report.findings.len(),
            path.display(),
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }

    // After the baseline, which accepts every finding of today whatever the threshold, so
    // that lowering it later does not bring them back as new.
    let min_severity = match &args.min_severity {
        Some(text) => text
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--min-severity: {e}"))?,
        None => config.min_severity.unwrap_or(Severity::Low),
    };
    report.keep_severity_at_least(min_severity);

    if args.record {
        record(
            &report,
            db,
            model.as_ref().map(|(m, _)| m.org.log_name.clone()),
            args,
        )?;
    }

    let format = out.format;
    let mut stdout = std::io::stdout().lock();
    match format {
        Format::Human => {
            let style = Style {
                color: out.color_enabled(),
            };
            stdout.write_all(output::human(&report, style, elapsed).as_bytes())?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, &report)?;
            writeln!(stdout)?;
        }
        Format::Jsonl => stdout.write_all(output::jsonl(&report).as_bytes())?,
        Format::Sarif => {
            serde_json::to_writer_pretty(
                &mut stdout,
                &output::sarif(&report, env!("CARGO_PKG_VERSION")),
            )?;
            writeln!(stdout)?;
        }
        Format::Github => stdout.write_all(output::github(&report, elapsed).as_bytes())?,
    }
    Ok(if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--model`, or `palisade.toml` when it exists.
fn model_path(args: &ScanArgs) -> Option<PathBuf> {
    match &args.model {
        Some(path) => Some(path.clone()),
        None => {
            let default = PathBuf::from("palisade.toml");
            default.exists().then_some(default)
        }
    }
}

/// The repository a git scan looks at: the first path, or `.`.
fn repo_root(args: &ScanArgs) -> PathBuf {
    args.paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
}

fn scan_stdin(config: &ScanConfig, name: &str) -> anyhow::Result<Report> {
    let mut data = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut data)
        .context("cannot read standard input")?;
    let mut report = Report::default();
    config.scan_buffer(Buffer::whole(name, &data), data.len(), &mut report);
    report.stats.files = 1;
    report.stats.bytes = data.len() as u64;
    report.sort();
    Ok(report)
}

/// Builds the scan configuration while another thread reads the staged change: in a large
/// repository, decoding the index takes about as long as loading the rules.
fn setup_reading_staged(
    options: &SetupOptions<'_>,
    repo: &Path,
) -> (
    Result<ScanConfig, setup::SetupError>,
    Result<Vec<StagedFile>, GitError>,
) {
    std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("staged".to_owned())
            .spawn_scoped(scope, || palisade_scan::git::staged(repo));
        let config = setup::build(options);
        let files = match reader {
            Ok(reader) => reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: read it here.
            Err(_) => palisade_scan::git::staged(repo),
        };
        (config, files)
    })
}

fn scan_staged(config: &ScanConfig, files: &[StagedFile]) -> Report {
    let mut report = Report::default();
    for file in files {
        if config.path_allowed(&file.path) {
            continue;
        }
        if memchr_nul(&file.data) {
            report.skipped.push(palisade_scan::scan::Skipped {
                path: file.path.clone(),
                reason: "binary (it holds NUL bytes)".to_owned(),
            });
            continue;
        }
        let buffer = Buffer {
            only: Some(&file.added),
            ..Buffer::whole(&file.path, &file.data)
        };
        config.scan_buffer(buffer, file.data.len(), &mut report);
        report.stats.files += 1;
        report.stats.bytes += file.added.iter().map(|r| r.len() as u64).sum::<u64>();
    }
    report.sort();
    report
}

fn memchr_nul(data: &[u8]) -> bool {
    data[..data.len().min(8192)].contains(&0)
}

/// Binary blobs a history scan lists one by one in `skipped`; the rest are counted.
const LISTED_BINARY_BLOBS: u64 = 1000;

fn scan_git(
    config: &ScanConfig,
    repo: &Path,
    range: Option<&str>,
    threads: usize,
    quiet: bool,
) -> anyhow::Result<Report> {
    let progress = &Progress::default();
    use palisade_scan::git::{HistoryOptions, Origin};
    use std::sync::Mutex;
    let total = Mutex::new(Report::default());
    let options = HistoryOptions {
        threads,
        ..HistoryOptions::default()
    };
    let scanned = (AtomicU64::new(0), AtomicU64::new(0));
    let binaries = AtomicU64::new(0);
    let visit = |data: &[u8], origin: &Origin| {
        progress.files.fetch_add(1, Ordering::Relaxed);
        progress
            .bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        if config.path_allowed(&origin.path) {
            return;
        }
        if memchr_nul(data) {
            if binaries.fetch_add(1, Ordering::Relaxed) < LISTED_BINARY_BLOBS {
                let reason = match origin.commit.get(..12) {
                    Some(commit) => {
                        format!("binary (it holds NUL bytes); first committed in {commit}")
                    }
                    None => "binary (it holds NUL bytes)".to_owned(),
                };
                let skipped = palisade_scan::scan::Skipped {
                    path: origin.path.clone(),
                    reason,
                };
                if let Ok(mut t) = total.lock() {
                    t.skipped.push(skipped);
                }
            }
            return;
        }
        scanned.0.fetch_add(1, Ordering::Relaxed);
        scanned.1.fetch_add(data.len() as u64, Ordering::Relaxed);
        let mut local = Report::default();
        config.scan_buffer(Buffer::whole(&origin.path, data), data.len(), &mut local);
        if local.findings.is_empty() && local.stats == Default::default() {
            // Most blobs: nothing found, nothing suppressed, no lock taken.
            return;
        }
        // Who introduced the blob is looked up only for the few that have findings.
        let introduced = Introduced {
            commit: origin.commit.clone(),
            author: origin.author.clone(),
            date: jiff::Timestamp::from_second(origin.time)
                .map(|t| t.to_string())
                .unwrap_or_default(),
        };
        for finding in &mut local.findings {
            finding.introduced = Some(introduced.clone());
        }
        if let Ok(mut t) = total.lock() {
            t.merge(local);
        }
    };
    let stats = with_progress(progress, !quiet, || match range {
        Some(spec) => palisade_scan::git::range(repo, spec, &options, visit),
        None => palisade_scan::git::history(repo, &options, visit),
    })?;
    let mut report = total.into_inner().unwrap_or_else(|e| e.into_inner());
    report.stats.files = scanned.0.into_inner();
    report.stats.bytes = scanned.1.into_inner();
    let binaries = binaries.into_inner();
    if binaries > LISTED_BINARY_BLOBS {
        report.skipped.push(palisade_scan::scan::Skipped {
            path: repo.display().to_string(),
            reason: format!(
                "{} more binary blobs (they hold NUL bytes); the first {LISTED_BINARY_BLOBS} are listed",
                binaries - LISTED_BINARY_BLOBS
            ),
        });
    }
    if stats.skipped_large > 0 {
        report.skipped.push(palisade_scan::scan::Skipped {
            path: repo.display().to_string(),
            reason: format!(
                "{} blobs larger than {} MiB were not read",
                stats.skipped_large,
                options.max_blob_bytes >> 20
            ),
        });
    }
    for error in stats.errors {
        report.skipped.push(palisade_scan::scan::Skipped {
            path: repo.display().to_string(),
            reason: error,
        });
    }
    report.sort();
    Ok(report)
}

/// Runs `work`, drawing a progress line on stderr (when it is a terminal) after the
/// first half second.
fn with_progress<T>(progress: &Progress, enabled: bool, work: impl FnOnce() -> T) -> T {
    if !enabled || !std::io::stderr().is_terminal() {
        return work();
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let started = Instant::now();
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            let mut shown = false;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let secs = started.elapsed().as_secs_f64();
                if secs < 0.5 {
                    continue;
                }
                shown = true;
                let files = progress.files.load(Ordering::Relaxed);
                let mb = progress.bytes.load(Ordering::Relaxed) as f64 / 1e6;
                bar.set_message(format!(
                    "scanning: {files} files, {mb:.0} MB, {:.0} MB/s",
                    mb / secs
                ));
                bar.tick();
            }
            if shown {
                bar.finish_and_clear();
            }
        });
        let result = work();
        done.store(true, Ordering::Relaxed);
        result
    })
}

/// Appends the scan's summary to the ledger: counts, and per finding its rule, path,
/// fingerprint and digest (never the secret).
fn record(
    report: &Report,
    db: &str,
    origin: Option<String>,
    args: &ScanArgs,
) -> anyhow::Result<()> {
    let origin = origin
        .context("--record needs the model (palisade.toml or --model) for the ledger's log name")?;
    let findings: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule": f.rule,
                "kind": f.kind.as_str(),
                "severity": f.severity.as_str(),
                "path": f.path,
                "fingerprint": f.fingerprint,
                "sha256_prefix": f.digest,
            })
        })
        .collect();
    let mode = if args.stdin {
        "stdin"
    } else if args.staged {
        "staged"
    } else if args.history {
        "history"
    } else if args.range.is_some() {
        "range"
    } else {
        "tree"
    };
    let subject = args
        .subject
        .clone()
        .unwrap_or_else(|| repo_root(args).display().to_string());
    let event = Event {
        time: jiff::Timestamp::now(),
        actor: args.actor.clone(),
        kind: "scan.summary".to_owned(),
        subject,
        data: json!({
            "mode": mode,
            "files": report.stats.files,
            "bytes": report.stats.bytes,
            "findings": report.findings.len(),
            "suppressed": {
                "inline": report.stats.suppressed_inline,
                "allowlist": report.stats.suppressed_allowlist,
                "baseline": report.stats.suppressed_baseline,
            },
            "below_min_severity": report.stats.below_min_severity,
            "skipped": report.skipped.len(),
            "results": findings,
        }),
    };
    let rt = super::runtime()?;
    let index = rt.block_on(async {
        let store = Store::open(db).await?;
        let ledger = Ledger::new(store, origin);
        let appended = ledger.append(event).await?;
        anyhow::Ok(appended.index)
    })?;
    eprintln!("recorded the scan summary as ledger entry {index}");
    Ok(())
}
