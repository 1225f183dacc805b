//! `palisade access review`: campaigns over every standing role and active
//! grant, run by palisade-access's [`Reviews`]. Revoked standing roles are
//! taken out of the model file here (the engine only names them), written
//! to a temporary file and renamed over it; when that cannot be done the
//! exact change is printed instead.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use jiff::Timestamp;
use palisade_access::policy::Authorizer;
use palisade_access::review::{
    Campaign, Closed, Item, Outcome, Report, Reviews, StandingRemoval, Verdict,
};
use palisade_ledger::ledger::Ledger;
use palisade_model::Index;
use serde_json::json;

use crate::cli::{ReviewArgs, ReviewCommand};
use crate::output::Output;

/// What `palisade access` has set up for a review command.
pub struct Ctx<'a, 'm> {
    /// The model file, which revoked standing roles are removed from.
    pub model: &'a Path,
    /// The model.
    pub index: &'a Index<'m>,
    /// The policies, which say who may review what.
    pub authorizer: &'a Authorizer,
    /// The ledger over the store.
    pub ledger: &'a Ledger,
    /// Who is acting (`--as`), resolved when a command needs it.
    pub actor: &'a dyn Fn() -> anyhow::Result<String>,
    /// The time to act at.
    pub now: Timestamp,
    /// Where to print.
    pub out: &'a Output,
}

pub async fn run(args: &ReviewArgs, ctx: &Ctx<'_, '_>) -> anyhow::Result<ExitCode> {
    let reviews = Reviews::new(ctx.ledger, ctx.index, ctx.authorizer);
    let out = ctx.out;
    // Like the access sweep: a campaign whose deadline has come closes first
    // (`close` closes it itself, in its actor's name).
    let due = if matches!(args.command, ReviewCommand::Close) {
        None
    } else {
        reviews.sweep("palisade", ctx.now).await?
    };
    if let Some(closed) = due {
        let written = apply_model_changes(ctx.model, &closed.model_changes)?;
        if out.json() {
            out.warning(format!(
                "access review {} reached its deadline and closed; `palisade access review report {}` shows it",
                closed.campaign.id, closed.campaign.id
            ));
        } else {
            print_closed(&closed, &written, out)?;
        }
    }
    match &args.command {
        ReviewCommand::Start => {
            let c = reviews.start(&(ctx.actor)()?, ctx.now).await?;
            let (_, items) = reviews.get(&c.id).await?;
            if out.json() {
                out.print_json(&json!({"campaign": c, "items": items.len()}))?;
            } else {
                let standing = items.iter().filter(|i| i.is_standing()).count();
                out.line(format!(
                    "started access review {}: {} item(s), {} standing role(s) and {} grant(s); reviewers have until {}",
                    c.id,
                    items.len(),
                    standing,
                    items.len() - standing,
                    c.deadline
                ))?;
                out.line("  palisade access review show      lists the items")?;
                out.line(
                    "  palisade access review decide ITEM --keep|--revoke --reason \"…\"   records a decision",
                )?;
            }
        }
        ReviewCommand::List => {
            let campaigns = reviews.list().await?;
            if out.json() {
                out.print_json(&serde_json::to_value(&campaigns)?)?;
            } else if campaigns.is_empty() {
                out.line("no access reviews; `palisade access review start` opens one")?;
            } else {
                for c in &campaigns {
                    let (_, items) = reviews.get(&c.id).await?;
                    let t = palisade_access::review::Totals::of(&items);
                    out.line(format!(
                        "{}  {:<6}  started {} by {}  deadline {}  {}/{} reviewed",
                        c.id, c.state, c.started, c.started_by, c.deadline, t.reviewed, t.items
                    ))?;
                }
            }
        }
        ReviewCommand::Show { campaign, pending } => {
            let id = pick(&reviews, campaign.as_deref()).await?;
            let (c, mut items) = reviews.get(&id).await?;
            if *pending {
                items.retain(|i| i.outcome.is_none());
            }
            if out.json() {
                out.print_json(&json!({"campaign": c, "items": items}))?;
            } else {
                header(&c, out)?;
                if items.is_empty() {
                    out.line("  no items")?;
                } else {
                    out.line(format!(
                        "{:>4}  {:<10} {:<18} {:<16} {:<7} {:<20}  {}",
                        "ITEM", "PERSON", "ROLE", "VIA", "ENV", "LAST USE", "REVIEW"
                    ))?;
                }
                for i in &items {
                    out.line(format!(
                        "{:>4}  {:<10} {:<18} {:<16} {:<7} {:<20}  {}",
                        i.item,
                        i.person,
                        i.role,
                        i.via,
                        i.environment.as_deref().unwrap_or("-"),
                        last_use(i),
                        status(i)
                    ))?;
                }
            }
        }
        ReviewCommand::Decide {
            item,
            keep,
            revoke: _,
            reason,
            campaign,
        } => {
            let id = match campaign {
                Some(id) => id.clone(),
                None => reviews
                    .open()
                    .await?
                    .map(|c| c.id)
                    .context("no access review is open; name the campaign with --campaign, or `palisade access review start` opens one")?,
            };
            let verdict = if *keep {
                Verdict::Keep
            } else {
                Verdict::Revoke
            };
            let decided = reviews
                .decide(&(ctx.actor)()?, &id, *item, verdict, reason, ctx.now)
                .await?;
            let changes: Vec<StandingRemoval> = decided.model_change.iter().cloned().collect();
            let written = apply_model_changes(ctx.model, &changes)?;
            if out.json() {
                out.print_json(&json!({"decided": decided, "model": written.json()}))?;
            } else {
                let i = &decided.item;
                out.line(format!(
                    "item {} ({} as {}, {}): {}",
                    i.item,
                    i.person,
                    i.role,
                    i.via,
                    status(i)
                ))?;
                if let Some(g) = &decided.revoked_grant {
                    out.line(format!("  grant {} revoked", g.id))?;
                } else if verdict == Verdict::Revoke && !i.is_standing() {
                    out.line(format!("  grant {} had already ended", i.via))?;
                }
                written.print(out)?;
            }
        }
        ReviewCommand::Close => {
            let closed = reviews.close(&(ctx.actor)()?, ctx.now).await?;
            let written = apply_model_changes(ctx.model, &closed.model_changes)?;
            if out.json() {
                out.print_json(&json!({"closed": closed, "model": written.json()}))?;
            } else {
                print_closed(&closed, &written, out)?;
            }
        }
        ReviewCommand::Report { campaign } => {
            let id = pick(&reviews, campaign.as_deref()).await?;
            let report = reviews.report(&id).await?;
            if out.json() {
                out.print_json(&serde_json::to_value(&report)?)?;
            } else {
                print_report(&report, out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The campaign named, else the open one, else the latest.
async fn pick(reviews: &Reviews<'_, '_>, named: Option<&str>) -> anyhow::Result<String> {
    if let Some(id) = named {
        return Ok(id.to_owned());
    }
    let all = reviews.list().await?;
    all.iter()
        .find(|c| c.is_open())
        .or(all.first())
        .map(|c| c.id.clone())
        .context("no access reviews yet; `palisade access review start` opens one")
}

fn header(c: &Campaign, out: &Output) -> anyhow::Result<()> {
    let state = match (&c.closed, &c.closed_by) {
        (Some(at), Some(by)) => format!("closed {at} by {by}"),
        _ => format!("open until {}", c.deadline),
    };
    out.line(format!(
        "access review {}: started {} by {}, {state}",
        c.id, c.started, c.started_by
    ))
}

fn last_use(i: &Item) -> String {
    i.last_use
        .map_or_else(|| "no data".to_owned(), |t| t.to_string())
}

fn status(i: &Item) -> String {
    let by = || {
        format!(
            "by {} at {}: {}",
            i.reviewer.as_deref().unwrap_or("?"),
            i.decided.map(|t| t.to_string()).unwrap_or_default(),
            i.reason.as_deref().unwrap_or_default()
        )
    };
    match i.outcome {
        None => "not reviewed".to_owned(),
        Some(Outcome::Kept) => format!("kept {}", by()),
        Some(Outcome::Revoked) => format!("revoked {}", by()),
        Some(Outcome::RevokedAtDeadline) => "revoked at the deadline, unreviewed".to_owned(),
        Some(Outcome::LeftAtDeadline) => "left at the deadline, unreviewed".to_owned(),
    }
}

fn print_closed(closed: &Closed, written: &Written, out: &Output) -> anyhow::Result<()> {
    let t = &closed.totals;
    out.line(format!(
        "closed access review {}: {} item(s); {} kept, {} revoked by reviewers, {} revoked at the deadline, {} left at the deadline",
        closed.campaign.id, t.items, t.kept, t.revoked, t.revoked_at_deadline, t.left_at_deadline
    ))?;
    for g in &closed.revoked_grants {
        out.line(format!(
            "  grant {} revoked ({} as {})",
            g.id, g.requester, g.role
        ))?;
    }
    written.print(out)
}

fn print_report(r: &Report, out: &Output) -> anyhow::Result<()> {
    header(&r.campaign, out)?;
    out.line(format!(
        "{:>4}  {:<10} {:<18} {:<16} {}",
        "ITEM", "PERSON", "ROLE", "VIA", "OUTCOME"
    ))?;
    for i in &r.items {
        out.line(format!(
            "{:>4}  {:<10} {:<18} {:<16} {}",
            i.item,
            i.person,
            i.role,
            i.via,
            status(i)
        ))?;
    }
    let t = &r.totals;
    out.line(format!(
        "totals: {} item(s), {} reviewed: {} kept, {} revoked; {} revoked at the deadline, {} left at the deadline, {} not reviewed yet",
        t.items, t.reviewed, t.kept, t.revoked, t.revoked_at_deadline, t.left_at_deadline, t.pending
    ))?;
    for tally in &r.reviewers {
        out.line(format!(
            "reviewer {}: {} kept, {} revoked",
            tally.reviewer, tally.kept, tally.revoked
        ))?;
    }
    Ok(())
}

/// What became of the model changes a review asked for.
#[derive(Debug, Default)]
struct Written {
    /// The file, when it was rewritten.
    file: Option<String>,
    /// The roles removed (or to remove).
    removals: Vec<StandingRemoval>,
    /// Why the file was not written, and the change to make by hand.
    not_written: Option<(String, String)>,
}

impl Written {
    fn json(&self) -> serde_json::Value {
        json!({
            "file": self.file,
            "removed_standing_roles": self.removals,
            "not_written": self.not_written.as_ref().map(|(why, change)| json!({"why": why, "change": change})),
        })
    }

    fn print(&self, out: &Output) -> anyhow::Result<()> {
        if let Some(file) = &self.file {
            for r in &self.removals {
                out.line(format!(
                    "  removed standing role {} from {} in {file}; commit the change",
                    r.role, r.person
                ))?;
            }
        }
        if let Some((why, change)) = &self.not_written {
            out.warning(format!(
                "the model file was not changed ({why}); make this change to it:"
            ));
            out.line(change.trim_end())?;
        }
        Ok(())
    }
}

/// Takes `removals` out of the model file at `path`: the new text goes to a
/// temporary file beside it, renamed over it. When the file cannot be edited
/// or written, says why and gives the change to make.
fn apply_model_changes(path: &Path, removals: &[StandingRemoval]) -> anyhow::Result<Written> {
    let mut written = Written {
        removals: removals.to_vec(),
        ..Written::default()
    };
    if removals.is_empty() {
        return Ok(written);
    }
    let name = path.display().to_string();
    let by_hand = || {
        removals
            .iter()
            .map(|r| {
                format!(
                    "remove \"{}\" from roles of the [[people]] entry with handle = \"{}\"\n",
                    r.role, r.person
                )
            })
            .collect::<String>()
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            written.not_written = Some((format!("cannot read {name}: {e}"), by_hand()));
            return Ok(written);
        }
    };
    let pairs: Vec<(&str, &str)> = removals
        .iter()
        .map(|r| (r.person.as_str(), r.role.as_str()))
        .collect();
    let new = match palisade_model::edit::remove_standing_roles(&text, &pairs) {
        Ok(new) => new,
        Err(e) => {
            written.not_written = Some((e.to_string(), by_hand()));
            return Ok(written);
        }
    };
    match replace(path, &new) {
        Ok(()) => written.file = Some(name),
        Err(e) => {
            let diff = palisade_model::edit::unified_diff(&name, &text, &new);
            written.not_written = Some((format!("{e:#}"), diff));
        }
    }
    Ok(written)
}

/// Writes `text` to a temporary file beside `path` and renames it over
/// `path`, so a reader never sees half a file.
fn replace(path: &Path, text: &str) -> anyhow::Result<()> {
    let file = path
        .file_name()
        .context("the model path names no file")?
        .to_string_lossy();
    let tmp = path.with_file_name(format!(".{file}.review-{}.tmp", std::process::id()));
    let result = (|| -> anyhow::Result<()> {
        std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())
                .with_context(|| format!("cannot set the permissions of {}", tmp.display()))?;
        }
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
