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
use palisade_access::review::{Reviews, StandingRemoval, Verdict};
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
            super::access_review_print::print_closed(&closed, &written, out)?;
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
                super::access_review_print::header(&c, out)?;
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
                        super::access_review_print::last_use(i),
                        super::access_review_print::status(i)
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
                    super::access_review_print::status(i)
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
                super::access_review_print::print_closed(&closed, &written, out)?;
            }
        }
        ReviewCommand::Report { campaign } => {
            let id = pick(&reviews, campaign.as_deref()).await?;
            let report = reviews.report(&id).await?;
            if out.json() {
                out.print_json(&serde_json::to_value(&report)?)?;
            } else {
                super::access_review_print::print_report(&report, out)?;
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

/// What became of the model changes a review asked for.
#[derive(Debug, Default)]
pub(super) struct Written {
    /// The file, when it was rewritten.
    pub(super) file: Option<String>,
    /// The roles removed (or to remove).
    pub(super) removals: Vec<StandingRemoval>,
    /// Why the file was not written, and the change to make by hand.
    pub(super) not_written: Option<(String, String)>,
}

impl Written {
    fn json(&self) -> serde_json::Value {
        json!({
            "file": self.file,
            "removed_standing_roles": self.removals,
            "not_written": self.not_written.as_ref().map(|(why, change)| json!({"why": why, "change": change})),
        })
    }

    pub(super) fn print(&self, out: &Output) -> anyhow::Result<()> {
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
    match super::model_file::write_atomically(path, &new) {
        Ok(()) => written.file = Some(name),
        Err(e) => {
            let diff = palisade_model::edit::unified_diff(&name, &text, &new);
            written.not_written = Some((format!("{e:#}"), diff));
        }
    }
    Ok(written)
}
