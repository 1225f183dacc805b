//! `palisade scan`: secrets, personal data and plaintext transport in a working tree,
//! standard input, the staged change or git history.
//!
//! The scanning itself is `palisade_scan`'s; this module reads the arguments, the model
//! and standard input, shows progress, and prints, records or writes what comes back.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use palisade_ledger::ledger::Ledger;
use palisade_model::{Model, Source};
use palisade_scan::output::{self, Style};
use palisade_scan::rules::Severity;
use palisade_scan::scan::Report;
use palisade_scan::setup::{self, SetupError, SetupOptions};
use palisade_scan::summary::{self, Mode};
use palisade_scan::{HistoryScan, Progress, ScanError, StagedScan, TreeScan};
use palisade_store::Store;

use crate::cli::{Format, ScanArgs};
use crate::output::Output;

pub fn run(args: &ScanArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let model = load_model(args)?;
    let options = SetupOptions {
        model: model.as_ref().map(|m| (&m.model, m.path.as_path())),
        baseline: args.baseline.clone(),
        pii: !args.no_pii,
    };
    let report = scan(args, &options, min_severity(args)?)
        .map_err(|e| explain_setup(e, model.as_ref(), out))?;
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(path) = &args.write_baseline {
        write_baseline(&report, path)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.record {
        record(&report, db, model.as_ref(), args)?;
    }
    print_report(&report, out, elapsed)?;
    Ok(if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The model a scan reads, and where it came from.
struct ScanModel {
    source: Source,
    model: Model,
    path: PathBuf,
}

/// `--model`, or `palisade.toml` when it exists; parsed, not validated (`palisade check`
/// does that).
fn load_model(args: &ScanArgs) -> anyhow::Result<Option<ScanModel>> {
    let path = match &args.model {
        Some(path) => path.clone(),
        None => {
            let default = PathBuf::from("palisade.toml");
            if !default.exists() {
                return Ok(None);
            }
            default
        }
    };
    let (source, model) = super::check::load_model(&path)?;
    Ok(Some(ScanModel {
        source,
        model,
        path,
    }))
}

/// When the model's scan settings have mistakes: each, rendered on stderr as
/// `palisade check` renders it, and one line to end with. Other errors pass unchanged.
fn explain_setup(error: anyhow::Error, model: Option<&ScanModel>, out: &Output) -> anyhow::Error {
    let diagnostics = match (error.downcast_ref(), error.downcast_ref()) {
        (Some(ScanError::Setup(SetupError::Model { diagnostics, .. })), _)
        | (_, Some(SetupError::Model { diagnostics, .. })) => diagnostics,
        _ => return error,
    };
    let Some(model) = model else {
        return error;
    };
    let mut diagnostics = diagnostics.clone();
    palisade_model::resolve_spans(&model.source.text, &mut diagnostics);
    diagnostics.sort_by_key(|d| d.primary.span.as_ref().map_or(0, |s| s.start));
    let color = out.color_enabled() && std::io::stderr().is_terminal();
    let choice = if color {
        ColorChoice::Always
    } else {
        ColorChoice::Never
    };
    let mut stderr = StandardStream::stderr(choice);
    if let Err(e) = crate::output::render_human(&model.source, &diagnostics, color, &mut stderr) {
        return e;
    }
    let path = model.path.display();
    anyhow::anyhow!(
        "{path} has {} in its scan settings; fix them and scan again (`palisade check {path}` lists them too)",
        super::check::count(diagnostics.len(), "error")
    )
}

/// The least severity to report: `--min-severity`, else the model's (`None`). Writing a
/// baseline keeps every finding, whatever the threshold, so that lowering it later
/// brings none of today's back as new.
fn min_severity(args: &ScanArgs) -> anyhow::Result<Option<Severity>> {
    if args.write_baseline.is_some() {
        return Ok(Some(Severity::Low));
    }
    args.min_severity
        .as_deref()
        .map(|text| {
            text.parse()
                .map_err(|e: String| anyhow::anyhow!("--min-severity: {e}"))
        })
        .transpose()
}

/// The repository a git scan looks at: the first path, or `.`.
fn repo_root(args: &ScanArgs) -> PathBuf {
    args.paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Which source the arguments name.
fn mode(args: &ScanArgs) -> Mode {
    if args.stdin {
        Mode::Stdin
    } else if args.staged {
        Mode::Staged
    } else if args.history {
        Mode::History
    } else if args.range.is_some() {
        Mode::Range
    } else {
        Mode::Tree
    }
}

/// Runs the scan the arguments ask for.
fn scan(
    args: &ScanArgs,
    options: &SetupOptions<'_>,
    min_severity: Option<Severity>,
) -> anyhow::Result<Report> {
    match mode(args) {
        Mode::Stdin => {
            let config = setup::build(options)?;
            let data = stdin()?;
            Ok(palisade_scan::scan_bytes(
                &config,
                &args.stdin_name,
                &data,
                min_severity,
            ))
        }
        // The library sets the scan up itself, while it reads the index.
        Mode::Staged => Ok(palisade_scan::scan_staged(
            &StagedScan {
                setup: options,
                repo: &repo_root(args),
                min_severity,
            },
            &(),
        )?),
        Mode::History | Mode::Range => scan_git(args, options, min_severity),
        Mode::Tree => scan_tree(args, options, min_severity),
    }
}

fn scan_git(
    args: &ScanArgs,
    options: &SetupOptions<'_>,
    min_severity: Option<Severity>,
) -> anyhow::Result<Report> {
    let config = setup::build(options)?;
    let repo = repo_root(args);
    let scan = HistoryScan {
        config: &config,
        repo: &repo,
        threads: threads(args),
        min_severity,
    };
    let progress = Counter::default();
    let report = with_progress(&progress, !args.quiet, || match &args.range {
        Some(range) => palisade_scan::scan_range(&scan, range, &progress),
        None => palisade_scan::scan_history(&scan, &progress),
    })?;
    Ok(report)
}

fn scan_tree(
    args: &ScanArgs,
    options: &SetupOptions<'_>,
    min_severity: Option<Severity>,
) -> anyhow::Result<Report> {
    let config = setup::build(options)?;
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let cwd = std::env::current_dir().ok();
    let scan = TreeScan {
        config: &config,
        roots: &roots,
        threads: threads(args),
        cwd: cwd.as_deref(),
        min_severity,
    };
    let progress = Counter::default();
    let report = with_progress(&progress, !args.quiet, || {
        palisade_scan::scan_tree(&scan, &progress)
    })?;
    Ok(report)
}

/// `--threads`, else one per core.
fn threads(args: &ScanArgs) -> usize {
    args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    })
}

fn stdin() -> anyhow::Result<Vec<u8>> {
    let mut data = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut data)
        .context("cannot read standard input")?;
    Ok(data)
}

/// Files and bytes read so far, counted by the scan's threads and shown by
/// [`with_progress`].
#[derive(Default)]
struct Counter {
    files: AtomicU64,
    bytes: AtomicU64,
}

impl Progress for Counter {
    fn advance(&self, files: u64, bytes: u64) {
        self.files.fetch_add(files, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// Runs `work`, drawing a progress line on stderr (when it is a terminal) after the
/// first half second.
fn with_progress<T>(progress: &Counter, enabled: bool, work: impl FnOnce() -> T) -> T {
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

fn write_baseline(report: &Report, path: &Path) -> anyhow::Result<()> {
    std::fs::write(path, setup::baseline_of(report))
        .with_context(|| format!("cannot write the baseline {}", path.display()))?;
    eprintln!(
        "wrote {} fingerprints to {}; later scans with --baseline {} (or scan.baseline in the model) report only new findings",
        report.findings.len(),
        path.display(),
        path.display()
    );
    Ok(())
}

/// Appends the scan's summary to the ledger.
fn record(
    report: &Report,
    db: &str,
    model: Option<&ScanModel>,
    args: &ScanArgs,
) -> anyhow::Result<()> {
    let origin = model
        .map(|m| m.model.org.log_name.clone())
        .context("--record needs the model (palisade.toml or --model) for the ledger's log name")?;
    let event = summary::event(
        report,
        summary::Context {
            mode: mode(args),
            subject: args
                .subject
                .clone()
                .unwrap_or_else(|| repo_root(args).display().to_string()),
            actor: args.actor.clone(),
            time: jiff::Timestamp::now(),
        },
    );
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

fn print_report(report: &Report, out: &Output, elapsed: f64) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match out.format {
        Format::Human => {
            let style = Style {
                color: out.color_enabled(),
            };
            stdout.write_all(output::human(report, style, elapsed).as_bytes())?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, report)?;
            writeln!(stdout)?;
        }
        Format::Jsonl => stdout.write_all(output::jsonl(report).as_bytes())?,
        Format::Sarif => {
            serde_json::to_writer_pretty(
                &mut stdout,
                &output::sarif(report, env!("CARGO_PKG_VERSION")),
            )?;
            writeln!(stdout)?;
        }
        Format::Github => stdout.write_all(output::github(report, elapsed).as_bytes())?,
    }
    Ok(())
}
