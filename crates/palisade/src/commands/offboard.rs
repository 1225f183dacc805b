//! `palisade offboard`: plans the offboarding with palisade-access, carries
//! it out over the store and the ledger, revokes the leavers' credentials,
//! edits palisade.toml with palisade-model's editor, and prints what is left
//! for people to do.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use palisade_access::credentials::Credentials;
use palisade_access::grants::{Grants, RequestView};
use palisade_access::offboard::{
    self, ChecklistItem, Coverage, OffboardPlan, OffboardTarget, OwnerRole,
};
use palisade_access::policy::{AccessSettings, Authorizer};
use palisade_access::request::State;
use palisade_ledger::ledger::Ledger;
use palisade_model::{Day, Index, edit};
use palisade_store::Store;
use serde_json::json;

use crate::cli::OffboardArgs;
use crate::output::Output;

/// What happened to palisade.toml.
struct ModelChange {
    before: String,
    after: String,
    diff: String,
    /// `None` when written; else why it could not be.
    not_written: Option<String>,
}

pub fn run(args: &OffboardArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let now = match &args.now {
        Some(t) => t.parse::<jiff::Timestamp>().with_context(|| {
            format!("invalid --now `{t}`; write it as RFC 3339, e.g. 2026-12-07T09:30:00Z")
        })?,
        None => jiff::Timestamp::now(),
    };
    let day = Day(now.to_zoned(jiff::tz::TimeZone::UTC).date());
    let (source, model) = super::check::load_model(&args.model)?;
    let index = Index::new(&model);
    let target = match (&args.person, &args.team, &args.vendor) {
        (Some(p), _, _) => OffboardTarget::Person(p.clone()),
        (_, Some(t), _) => OffboardTarget::Team(t.clone()),
        (_, _, Some(v)) => OffboardTarget::Vendor(v.clone()),
        _ => anyhow::bail!("name who leaves: a PERSON, --team ID or --vendor ID"),
    };
    let plan = offboard::plan(&index, target, day)?;
    let actor = match &args.actor {
        Some(given) => {
            let handle = super::acting(&index, Some(given))?;
            offboard::check_actor(&index, &handle)?;
            Some(handle)
        }
        None if args.dry_run => None,
        None => anyhow::bail!("say who is offboarding them with --as HANDLE (or PALISADE_ACTOR)"),
    };

    let after = new_model_text(&source.text, &plan)?;
    let name = args.model.display().to_string();
    let diff = edit::unified_diff(&name, &source.text, &after);

    if args.dry_run || plan.people.is_empty() {
        let change = ModelChange {
            before: source.text.clone(),
            after,
            diff,
            not_written: Some(if args.dry_run {
                "dry run".to_owned()
            } else {
                "nobody to offboard".to_owned()
            }),
        };
        print(&plan, &[], &change, None, args.dry_run, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let actor = actor.expect("an actor is required unless this is a dry run");

    let settings = AccessSettings::from_model(&model);
    let authorizer = Authorizer::new(&index, day, &settings)?;
    let key = super::access_credential::secrets_key(args.secrets_key_file.as_deref())?;
    let model_dir = args.model.parent().unwrap_or(Path::new(".")).to_path_buf();
    let rt = super::runtime()?;
    rt.block_on(async {
        let store = Store::open(db).await?;
        let ledger = Ledger::new(store, model.org.log_name.clone());
        let grants = Grants::new(&ledger, &index, &authorizer);
        let issuers = super::issuers(&ledger, &index, key.as_ref(), &model_dir).await?;
        let credentials = Credentials::new(&ledger, &index, &issuers);

        // Access first: it is what a leaver can still use.
        let outcome = offboard::execute(&plan, &grants, &ledger, &index, &actor, now).await?;
        let mut revoked_credentials = Vec::new();
        for (_, changed) in &outcome.withdrawn {
            for r in changed.iter().filter(|r| r.state == State::Revoked) {
                let report = credentials.revoke_grant(&actor, &r.id, now).await?;
                revoked_credentials.extend(
                    report
                        .revoked
                        .iter()
                        .map(|c| format!("{} {} of {}", c.kind, c.name, c.request)),
                );
            }
        }
        let report = credentials.reconcile(&actor, now).await?;
        // Other systems hear of every grant the departure ended.
        let sender = super::access_credential::webhook_sender(&model, out)?;
        let ended: Vec<_> = outcome.withdrawn.iter().flat_map(|(_, c)| c.iter().cloned()).collect();
        super::access_credential::announce(sender.as_ref(), &ledger, &ended, now, out).await?;
        if !report.waiting.is_empty() {
            out.warning(format!(
                "{} credential(s) of the revoked grants stay live in outside systems until their own expiry; give the secrets key so Palisade can revoke them",
                report.waiting.len()
            ));
        }

        // Then the model: written atomically, or the change printed.
        let not_written = write_atomically(&args.model, &after).err();
        offboard::record_model_edit(
            &ledger,
            &plan,
            &actor,
            now,
            &source.text,
            &after,
            not_written.is_none(),
        )
        .await?;
        let change = ModelChange {
            before: source.text.clone(),
            after,
            diff,
            not_written: not_written.map(|e| format!("{e:#}")),
        };
        let all: Vec<RequestView> = outcome
            .withdrawn
            .iter()
            .flat_map(|(_, v)| v.iter().cloned())
            .collect();
        print(
            &plan,
            &all,
            &change,
            Some(&revoked_credentials),
            false,
            out,
        )?;
        anyhow::Ok(if change.not_written.is_some() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    })
}

/// The model with the leavers marked offboarded and their standing roles
/// gone (an offboarded person holds nothing).
fn new_model_text(text: &str, plan: &OffboardPlan) -> anyhow::Result<String> {
    if plan.people.is_empty() {
        return Ok(text.to_owned());
    }
    let marked = edit::mark_offboarded(text, &plan.handles(), plan.day)?;
    let removals: Vec<(&str, &str)> = plan
        .people
        .iter()
        .flat_map(|p| {
            p.standing_roles
                .iter()
                .map(move |r| (p.handle.as_str(), r.as_str()))
        })
        .collect();
    Ok(edit::remove_standing_roles(&marked, &removals)?)
}

/// Replaces `path` with `text` through a temporary file in the same
/// directory and a rename, so that a reader never sees half a model. A file
/// marked read-only is left alone even where the rename would succeed.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}'s permissions", path.display()))?;
    if meta.permissions().readonly() {
        anyhow::bail!("{} is read-only", path.display());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "palisade.toml".to_owned());
    let tmp = dir.join(format!(".{file_name}.offboard-{}.tmp", std::process::id()));
    let result = (|| -> anyhow::Result<()> {
        let mut f = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot create {} beside it", tmp.display()))?;
        f.write_all(text.as_bytes())?;
        f.set_permissions(meta.permissions())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn print(
    plan: &OffboardPlan,
    withdrawn: &[RequestView],
    change: &ModelChange,
    revoked_credentials: Option<&[String]>,
    dry_run: bool,
    out: &Output,
) -> anyhow::Result<()> {
    if out.json() {
        return out.print_json(&json!({
            "dry_run": dry_run,
            "plan": plan,
            "withdrawn": withdrawn,
            "credentials_revoked": revoked_credentials.unwrap_or_default(),
            "model": {
                "written": change.not_written.is_none(),
                "not_written_because": change.not_written,
                "digest_before": palisade_model::digest(&change.before),
                "digest_after": palisade_model::digest(&change.after),
                "diff": change.diff,
            },
        }));
    }
    let names: Vec<String> = plan
        .people
        .iter()
        .map(|p| format!("{} ({}, team {})", p.handle, p.name, p.team))
        .collect();
    out.line(format!(
        "{}offboarding {} on {}: {}",
        if dry_run { "dry run: " } else { "" },
        plan.target,
        plan.day,
        if names.is_empty() {
            "nobody to offboard".to_owned()
        } else {
            names.join(", ")
        }
    ))?;
    for a in &plan.already_offboarded {
        out.line(format!(
            "  skipped {}: already offboarded{}",
            a.handle,
            a.offboarded_on
                .map(|d| format!(" on {d}"))
                .unwrap_or_default()
        ))?;
    }
    if plan.people.is_empty() {
        return Ok(());
    }

    if !dry_run {
        out.line("")?;
        out.line(format!("access withdrawn ({}):", withdrawn.len()))?;
        if withdrawn.is_empty() {
            out.line("  nothing was open")?;
        }
        for r in withdrawn {
            out.line(format!(
                "  {}  {} as {}  now {}",
                r.id,
                r.requester,
                r.role,
                r.state.key()
            ))?;
        }
        for c in revoked_credentials.unwrap_or_default() {
            out.line(format!("  revoked {c}"))?;
        }
    }

    out.line("")?;
    match (&change.not_written, dry_run) {
        (None, _) => out.line(format!(
            "marked offboarded in the model, standing roles removed:\n{}",
            indent(&change.diff)
        ))?,
        (Some(_), true) => out.line(format!(
            "the model would change so:\n{}",
            indent(&change.diff)
        ))?,
        (Some(why), false) => out.line(format!(
            "the model could not be written ({why}); apply this change by hand:\n{}",
            change.diff
        ))?,
    }

    out.line("")?;
    if plan.services.is_empty() {
        out.line("services: none owned by them")?;
    } else {
        out.line("services whose ownership must move:")?;
        for s in &plan.services {
            let was: Vec<String> = s
                .leaving
                .iter()
                .map(|(h, r)| {
                    let role = match r {
                        OwnerRole::Owner => "owner",
                        OwnerRole::BackupOwner => "backup owner",
                        OwnerRole::Escalation => "on escalation",
                    };
                    format!("{h} {role}")
                })
                .collect();
            let mut line = format!("  {} ({}, team {})", s.service, s.risk, s.team);
            if !was.is_empty() {
                line.push_str(&format!(": {}", was.join(", ")));
            }
            if s.team_leaves {
                line.push_str("; its team leaves");
            }
            if !s.needs.is_empty() {
                line.push_str(&format!(
                    "; name a new {}",
                    s.needs.join(", ").replace('_', " ")
                ));
            }
            line.push_str(&match s.remaining.as_slice() {
                [] => "; nobody of its owners stays".to_owned(),
                r => format!("; stay: {}", r.join(", ")),
            });
            out.line(line)?;
        }
    }

    out.line("")?;
    if plan.credentials.is_empty() {
        out.line("shared credentials: none they know")?;
    } else {
        out.line("shared credentials to rotate:")?;
        for c in &plan.credentials {
            let who: Vec<String> = c
                .known_by
                .iter()
                .map(|(h, via)| match via {
                    Some(t) => format!("{h} (through {t})"),
                    None => h.clone(),
                })
                .collect();
            out.line(format!(
                "  {}{}: known by {}",
                c.id,
                c.environment
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default(),
                who.join(", ")
            ))?;
            if let Some(how) = &c.rotate {
                out.line(format!("      rotate: {how}"))?;
            }
            if !c.remaining.is_empty() {
                out.line(format!("      then tell: {}", c.remaining.join(", ")))?;
            }
        }
    }

    out.line("")?;
    out.line(match &plan.contract {
        Some(c) => format!("exit checklist (contract {c}):"),
        None => "exit checklist (no vendor contract: internal staff):".to_owned(),
    })?;
    for item in &plan.checklist {
        out.line(format!("  [ ] {} — {}", item.title, coverage(item)))?;
        for d in &item.details {
            out.line(format!("        {d}"))?;
        }
    }
    if !dry_run {
        out.line("")?;
        out.line("every step is in the ledger: `palisade ledger tail --kind offboard.plan`")?;
        if !plan.services.is_empty() {
            out.line(
                "next: give the services above new owners in the model, then run `palisade check`",
            )?;
        }
    }
    Ok(())
}

fn coverage(item: &ChecklistItem) -> String {
    match &item.coverage {
        Coverage::Covered { contract, clause } => format!("covered by {contract} ({clause})"),
        Coverage::NotCovered { contract, clause } => {
            format!("NOT in {contract} (no {clause}): the company must see to it alone")
        }
        Coverage::CompanyStep => "the company's own step".to_owned(),
        Coverage::NoContract => "no contract: the company's own step".to_owned(),
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
