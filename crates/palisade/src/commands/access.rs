//! `palisade access`: parses the step, opens the store and the ledger, builds the
//! Cedar authoriser from the model, and hands the step to palisade-access.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use palisade_access::credentials::Credentials;
use palisade_access::grants::{Grants, NewRequest, RequestView};
use palisade_access::policy::{AccessSettings, Authorizer};
use palisade_access::webhook::Sender;
use palisade_ledger::ledger::Ledger;
use palisade_model::{Day, GrantDuration, Index};
use palisade_store::{AccessFilter, Store};

use crate::cli::{AccessArgs, AccessCommand};
use crate::output::Output;

pub fn run(args: &AccessArgs, db: &str, out: &Output) -> anyhow::Result<ExitCode> {
    let now = match &args.now {
        Some(t) => t.parse::<jiff::Timestamp>().with_context(|| {
            format!("invalid --now `{t}`; write it as RFC 3339, e.g. 2026-12-07T09:30:00Z")
        })?,
        None => jiff::Timestamp::now(),
    };
    let (_, model) = super::check::load_model(&args.model)?;
    let index = Index::new(&model);
    let day = Day(now.to_zoned(jiff::tz::TimeZone::UTC).date());
    let settings = AccessSettings::from_model(&model);
    let mut authorizer = Authorizer::new(&index, day, &settings)?;
    if let Some(file) = &model.access.policies {
        let path = args
            .model
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(file);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read the organisation's Cedar policies {} ([access] policies)",
                path.display()
            )
        })?;
        authorizer = authorizer.with_org_policies(&path.display().to_string(), &text)?;
    }
    let actor = || super::acting(&index, args.actor.as_deref());
    let key = super::access_setup::secrets_key(args.secrets_key_file.as_deref())?;
    let sender = super::access_setup::webhook_sender(&model, out)?;
    let model_dir = args
        .model
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf();
    let rt = super::runtime()?;
    rt.block_on(async {
        let store = Store::open(db).await?;
        let ledger = Ledger::new(store, model.org.log_name.clone());
        let grants = Grants::new(&ledger, &index, &authorizer);
        let issuers = super::issuers(&ledger, &index, key.as_ref(), &model_dir).await?;
        let credentials = Credentials::new(&ledger, &index, &issuers);
        // Every command first applies what time has made true.
        let swept = grants.tick("palisade", now).await?;
        super::access_setup::announce(sender.as_ref(), &ledger, &swept, now, out).await?;
        let result = dispatch(
            args,
            &DispatchCtx {
                index: &index,
                authorizer: &authorizer,
                ledger: &ledger,
                grants: &grants,
                credentials: &credentials,
                key: key.as_ref(),
                sender: sender.as_ref(),
                actor: &actor,
                swept,
                now,
                out,
            },
        )
        .await;
        // Then outside systems are brought in line with the store, whatever the command did.
        settle(&credentials, !issuers.is_empty(), now, out).await?;
        result
    })
}

struct DispatchCtx<'a, 'm> {
    index: &'a Index<'m>,
    authorizer: &'a Authorizer,
    ledger: &'a Ledger,
    grants: &'a Grants<'a, 'm>,
    credentials: &'a Credentials<'a, 'm>,
    key: Option<&'a palisade_access::secrets::Key>,
    sender: Option<&'a Sender>,
    actor: &'a dyn Fn() -> anyhow::Result<String>,
    swept: Vec<RequestView>,
    now: jiff::Timestamp,
    out: &'a Output,
}

/// Reconciles credentials, saying what needs an issuer this process lacks.
async fn settle(
    credentials: &Credentials<'_, '_>,
    have_issuers: bool,
    now: jiff::Timestamp,
    out: &Output,
) -> anyhow::Result<()> {
    let report = credentials.reconcile("palisade", now).await?;
    for c in &report.revoked {
        out.warning(format!(
            "revoked {} {} of {} ({}/{})",
            c.kind, c.name, c.request, c.environment, c.resource
        ));
    }
    for c in &report.abandoned {
        out.warning(format!(
            "undid {} {} of {}, left half-issued",
            c.kind, c.name, c.request
        ));
    }
    for role in &report.orphan_roles {
        out.warning(format!(
            "dropped database role {role}, which no credential accounts for"
        ));
    }
    if !report.waiting.is_empty() {
        let hint = if have_issuers {
            ""
        } else {
            "; give the secrets key so Palisade can revoke them"
        };
        out.warning(format!(
            "{} credential(s) of ended grants stay live in outside systems until their own expiry{hint}",
            report.waiting.len()
        ));
    }
    Ok(())
}

async fn dispatch(args: &AccessArgs, c: &DispatchCtx<'_, '_>) -> anyhow::Result<ExitCode> {
    let (index, authorizer, ledger, grants, now, out, actor) = (
        c.index,
        c.authorizer,
        c.ledger,
        c.grants,
        c.now,
        c.out,
        c.actor,
    );
    let swept = &c.swept;
    let shown = match &args.command {
        AccessCommand::Request {
            role,
            env,
            duration,
            reason,
            ticket,
            start,
        } => {
            let duration: GrantDuration = duration
                .parse()
                .map_err(|e| anyhow::anyhow!("invalid --for `{duration}`: {e}"))?;
            let start = start
                .as_deref()
                .map(|s| {
                    s.parse::<jiff::Timestamp>()
                        .with_context(|| format!("invalid --start `{s}`; write it as RFC 3339"))
                })
                .transpose()?;
            let new = NewRequest {
                role: role.clone(),
                environment: env.clone(),
                duration,
                reason: reason.clone(),
                ticket: ticket.clone(),
                start,
            };
            vec![grants.request(&actor()?, &new, now).await?]
        }
        AccessCommand::Approve { id, reason } => {
            vec![grants.approve(&actor()?, id, reason, now).await?]
        }
        AccessCommand::Deny { id, reason } => vec![grants.deny(&actor()?, id, reason, now).await?],
        AccessCommand::Revoke { id } => {
            let who = actor()?;
            let revoked = grants.revoke(&who, id, now).await?;
            // The moment it is revoked, so are its credentials.
            c.credentials.revoke_grant(&who, id, now).await?;
            vec![revoked]
        }
        AccessCommand::BreakGlass { .. }
        | AccessCommand::BreakGlassReview { .. }
        | AccessCommand::Cert { .. }
        | AccessCommand::DbLogin { .. }
        | AccessCommand::Credentials { .. }
        | AccessCommand::Secrets(_) => {
            let ctx = super::access_credential::Ctx {
                index,
                ledger,
                grants,
                credentials: c.credentials,
                key: c.key,
                sender: c.sender,
                now,
                out,
            };
            return super::access_credential::run(&args.command, actor, &ctx).await;
        }
        AccessCommand::Cancel { id } => vec![grants.cancel(&actor()?, id, now).await?],
        AccessCommand::Extend { id, by } => {
            let by: GrantDuration = by
                .parse()
                .map_err(|e| anyhow::anyhow!("invalid --by `{by}`: {e}"))?;
            let who = actor()?;
            let extended = grants.extend(&who, id, by, now).await?;
            if let Some(until) = extended.until {
                c.credentials.extend_grant(&who, id, until, now).await?;
                let certs = c.credentials.list(id).await?;
                if certs
                    .iter()
                    .any(|k| k.kind == "ssh_certificate" && k.state == "issued")
                {
                    out.warning(format!(
                        "an SSH certificate cannot be lengthened: get one for the new end with `palisade access cert {id} --key …`"
                    ));
                }
            }
            vec![extended]
        }
        AccessCommand::List { state, mine, limit } => {
            for s in state {
                if palisade_access::request::State::from_key(s).is_none() {
                    bail!(
                        "unknown state `{s}`: pending, approved, active, expired, revoked, denied or cancelled"
                    );
                }
            }
            let filter = AccessFilter {
                states: state.clone(),
                requester: if *mine { Some(actor()?) } else { None },
                limit: *limit,
            };
            grants.list(&filter).await?
        }
        AccessCommand::Show { id } => vec![grants.get(id).await?],
        AccessCommand::Sweep => swept.clone(),
        AccessCommand::WhoHas { env, resource } => {
            let holders = grants.who_has(env, resource.as_deref(), now).await?;
            return super::access_show::who_has(&holders, out);
        }
        AccessCommand::Review(review) => {
            let ctx = super::access_review::Ctx {
                model: &args.model,
                index,
                authorizer,
                ledger,
                actor: &actor,
                now,
                out,
            };
            return super::access_review::run(review, &ctx).await;
        }
        AccessCommand::Explain { id } => {
            let r = grants.get(id).await?;
            return super::access_show::explain(authorizer, &r, out);
        }
    };
    if matches!(
        args.command,
        AccessCommand::Approve { .. } | AccessCommand::Revoke { .. }
    ) {
        super::access_setup::announce(c.sender, ledger, &shown, now, out).await?;
    }
    super::access_show::print(&shown, out)?;
    anyhow::Ok(ExitCode::SUCCESS)
}
