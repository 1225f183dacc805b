//! `palisade offboard`: plans the offboarding with palisade-access, carries
//! it out over the store and the ledger, revokes the leavers' credentials,
//! edits palisade.toml with palisade-model's editor, and prints what is left
//! for people to do.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use palisade_access::credentials::Credentials;
use palisade_access::grants::{Grants, RequestView};
use palisade_access::offboard::{self, OffboardPlan, OffboardTarget};
use palisade_access::policy::{AccessSettings, Authorizer};
use palisade_access::request::State;
use palisade_ledger::ledger::Ledger;
use palisade_model::{Day, Index, edit};
use palisade_store::Store;

use crate::cli::OffboardArgs;
use crate::output::Output;

/// What happened to palisade.toml.
pub(super) struct ModelChange {
    pub(super) before: String,
    pub(super) after: String,
    pub(super) diff: String,
    /// `None` when written; else why it could not be.
    pub(super) not_written: Option<String>,
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
        super::offboard_print::print(&plan, &[], &change, None, args.dry_run, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let actor = actor.expect("an actor is required unless this is a dry run");

    let settings = AccessSettings::from_model(&model);
    let authorizer = Authorizer::new(&index, day, &settings)?;
    let key = super::access_setup::secrets_key(args.secrets_key_file.as_deref())?;
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
        let sender = super::access_setup::webhook_sender(&model, out)?;
        let ended: Vec<_> = outcome.withdrawn.iter().flat_map(|(_, c)| c.iter().cloned()).collect();
        super::access_setup::announce(sender.as_ref(), &ledger, &ended, now, out).await?;
        if !report.waiting.is_empty() {
            out.warning(format!(
                "{} credential(s) of the revoked grants stay live in outside systems until their own expiry; give the secrets key so Palisade can revoke them",
                report.waiting.len()
            ));
        }

        // Then the model: written atomically, or the change printed.
        let not_written = super::model_file::write_atomically(&args.model, &after).err();
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
        super::offboard_print::print(
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
