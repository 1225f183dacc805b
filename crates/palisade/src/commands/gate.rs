//! `palisade gate`: reads the change and the evidence, asks palisade-gate for
//! the verdict, writes it in every requested form, and appends it to the ledger.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use palisade_gate::evaluate::{self, Request};
use palisade_gate::verdict::{Outcome, Verdict};
use palisade_gate::{diff, record, report};
use palisade_ledger::SignerKey;
use palisade_ledger::ledger::Ledger;
use palisade_model::{Day, Index};
use palisade_store::Store;

use crate::cli::GateArgs;
use crate::output::Output;

pub fn run(args: &GateArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let now = match &args.now {
        Some(text) => text.parse::<jiff::Timestamp>().with_context(|| {
            format!("invalid --now `{text}`; write it as RFC 3339, e.g. 2026-12-07T09:30:00Z")
        })?,
        None => jiff::Timestamp::now(),
    };
    let today = Day(now.to_zoned(jiff::tz::TimeZone::UTC).date());
    if args.plan && args.vsa.is_some() {
        bail!("--plan judges no evidence, so there is no verdict to sign; drop --vsa or --plan");
    }
    let (source, model) = super::check::load_model(&args.model)?;
    let index = Index::new(&model);
    let change = diff::diff(&args.repository, &args.base, &args.head)?;
    let repo = args
        .repo
        .clone()
        .or_else(|| std::env::var("GITHUB_REPOSITORY").ok())
        .or_else(|| std::env::var("CI_PROJECT_PATH").ok())
        .filter(|r| !r.is_empty())
        .or_else(|| diff::origin_repository(&args.repository));
    let mut given = Vec::new();
    if !args.plan {
        for spec in &args.evidence {
            given.push(evaluate::read_given(spec, &model.gates.signers)?);
        }
    } else if !args.evidence.is_empty() {
        out.warning("--plan judges no evidence; the --evidence files are ignored");
    }
    let request = Request {
        change: &change,
        repo: repo.as_deref(),
        environment: args.env.as_deref(),
        today,
        plan: args.plan,
    };
    let verdict = evaluate::evaluate(&index, &request, &given)?;

    write_outputs(args, &verdict, out)?;
    let repo_for_vsa = repo.clone();
    if !args.plan && !args.no_record {
        let subject = repo.unwrap_or_else(|| args.repository.display().to_string());
        let context = record::Context {
            subject,
            actor: args.actor.clone(),
            time: now,
            model_digest: palisade_gate::evidence::digest(source.text.as_bytes()),
        };
        let event = record::event(&verdict, context);
        let key = signer(args.key.as_deref())?;
        let rt = super::runtime()?;
        let appended = rt.block_on(async {
            let store = Store::open(db).await?;
            let mut ledger = Ledger::new(store, model.org.log_name.clone());
            if let Some(key) = key.clone() {
                ledger = ledger.with_signer(key);
            }
            anyhow::Ok(ledger.append(event).await?)
        })?;
        match &appended.receipt {
            Some(receipt) => {
                eprintln!(
                    "recorded the verdict as ledger entry {}; its receipt:",
                    appended.index
                );
                eprint!("{receipt}");
            }
            None => eprintln!(
                "recorded the verdict as ledger entry {}; no signing key, so no receipt yet (`palisade ledger prove {}` once the log is signed)",
                appended.index, appended.index
            ),
        }
    }
    if let Some(path) = &args.vsa {
        let Some(key) = signer(args.key.as_deref())? else {
            bail!(
                "--vsa signs with the ledger key, and none was found: give --key or PALISADE_LEDGER_KEY, or create one with `palisade ledger keygen`"
            );
        };
        let resource_uri = match &repo_for_vsa {
            Some(r) => {
                let server = std::env::var("GITHUB_SERVER_URL")
                    .or_else(|_| std::env::var("CI_SERVER_URL"))
                    .unwrap_or_else(|_| "https://github.com".to_owned());
                format!("git+{}/{r}", server.trim_end_matches('/'))
            }
            None => format!(
                "git+file://{}",
                std::fs::canonicalize(&args.repository)?.display()
            ),
        };
        let origin = palisade_gate::vsa::Origin {
            verifier_id: format!("https://{}/gate", model.org.log_name.trim_end_matches('/')),
            resource_uri,
            policy_uri: args.model.display().to_string(),
            policy_digest: palisade_gate::evidence::digest(source.text.as_bytes()),
            time: now,
        };
        let summary = palisade_gate::vsa::summary_of(&verdict, origin);
        let envelope = palisade_gate::vsa::sign(&summary, key.name(), &key)?.to_json();
        std::fs::write(path, envelope)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(match verdict.verdict {
        Outcome::Pass => ExitCode::SUCCESS,
        Outcome::Warn => {
            out.warning(format!(
                "the gate passed with warnings: {}",
                warn_summary(&verdict)
            ));
            ExitCode::SUCCESS
        }
        Outcome::Fail => ExitCode::from(1),
    })
}

/// One file rendering of a verdict.
type Render = fn(&Verdict) -> String;

fn write_outputs(args: &GateArgs, verdict: &Verdict, out: &Output) -> anyhow::Result<()> {
    if out.json() {
        out.print_json(&report::json(verdict))?;
    } else {
        out.line(report::human(verdict, out.color_enabled()).trim_end())?;
    }
    if args.github_annotations {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(report::github_annotations(verdict).as_bytes())?;
    }
    let files: [(&Option<std::path::PathBuf>, Render); 3] = [
        (&args.json, |v| format!("{:#}\n", report::json(v))),
        (&args.markdown, report::markdown),
        (&args.junit, report::junit),
    ];
    for (path, render) in files {
        if let Some(path) = path {
            write_file(path, &render(verdict))?;
        }
    }
    Ok(())
}

/// Writes `text` to `path`; the step summary file is appended to, as GitHub expects.
fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    let append = std::env::var_os("GITHUB_STEP_SUMMARY").is_some_and(|s| Path::new(&s) == path);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// The ledger's signing key: `--key` (or PALISADE_LEDGER_KEY), else the default
/// key file when it exists.
fn signer(path: Option<&Path>) -> anyhow::Result<Option<SignerKey>> {
    match path {
        Some(p) => super::ledger::read_signer(p).map(Some),
        None => {
            let default = Path::new(super::ledger::DEFAULT_KEY);
            if default.exists() {
                super::ledger::read_signer(default).map(Some)
            } else {
                Ok(None)
            }
        }
    }
}

fn warn_summary(v: &Verdict) -> String {
    let mut parts = Vec::new();
    if !v.waivers_used.is_empty() {
        parts.push(format!("waivers used: {}", v.waivers_used.join(", ")));
    }
    parts.extend(v.warnings.iter().cloned());
    parts.join("; ")
}
