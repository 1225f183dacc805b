//! `palisade access break-glass | break-glass-review | cert | db-login |
//! credentials | secrets`: reads what the user hands in (keys, files,
//! standard input), calls palisade-access, and prints or writes the result.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use palisade_access::credentials::Credentials;
use palisade_access::grants::{BreakGlassUse, Grants, NewRequest};
use palisade_access::keyring::Keyring;
use palisade_access::secrets::{Key, Secret};
use palisade_access::ssh::{SourceAddresses, UserPublicKey};
use palisade_ledger::ledger::Ledger;
use palisade_model::{GrantDuration, Index};
use serde_json::json;

use crate::cli::{AccessCommand, SecretsCommand};
use crate::output::Output;

/// What every one of these commands works with.
pub struct Ctx<'a, 'm> {
    pub index: &'a Index<'m>,
    pub ledger: &'a Ledger,
    pub grants: &'a Grants<'a, 'm>,
    pub credentials: &'a Credentials<'a, 'm>,
    pub key: Option<&'a Key>,
    pub sender: Option<&'a palisade_access::webhook::Sender>,
    pub now: jiff::Timestamp,
    pub out: &'a Output,
}

fn need_key<'a>(ctx: &Ctx<'a, '_>) -> anyhow::Result<&'a Key> {
    ctx.key.context(
        "this needs the secrets key: give --secrets-key-file FILE or PALISADE_SECRETS_KEY \
         (make one with `openssl rand -hex 32`, and keep it out of the store's reach)",
    )
}

pub async fn run(
    command: &AccessCommand,
    actor: &dyn Fn() -> anyhow::Result<String>,
    ctx: &Ctx<'_, '_>,
) -> anyhow::Result<ExitCode> {
    let out = ctx.out;
    match command {
        AccessCommand::BreakGlass {
            role,
            env,
            duration,
            reason,
            ticket,
        } => {
            let duration: GrantDuration = duration
                .parse()
                .map_err(|e| anyhow::anyhow!("invalid --for `{duration}`: {e}"))?;
            let new = NewRequest {
                role: role.clone(),
                environment: env.clone(),
                duration,
                reason: reason.clone(),
                ticket: ticket.clone(),
                start: None,
            };
            let used = ctx.grants.break_glass(&actor()?, &new, ctx.now).await?;
            if let Some(sender) = ctx.sender {
                for a in palisade_access::notify::announce(
                    sender,
                    ctx.ledger,
                    "palisade",
                    std::slice::from_ref(&used),
                    ctx.now,
                )
                .await?
                {
                    if let Some(e) = a.error {
                        out.warning(format!(
                            "{} of {} was not delivered: {e}",
                            a.event, a.request
                        ));
                    }
                }
            }
            let review_within = ctx.index.model().access.break_glass_review_within;
            if out.json() {
                out.print_json(&serde_json::to_value(&used)?)?;
            } else {
                out.line(format!(
                    "BREAK-GLASS {}: {} has {} until {}",
                    used.id,
                    used.requester,
                    used.role,
                    used.until.map(|u| u.to_string()).unwrap_or_default()
                ))?;
                out.line(format!(
                    "recorded in the ledger; someone who may approve {} must review it within {review_within}:\n  palisade access break-glass-review {} --as HANDLE --reason \"…\"",
                    used.role, used.id
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        AccessCommand::BreakGlassReview { id, reason, all } => {
            let uses = match id {
                Some(id) => {
                    let reason = reason.as_deref().filter(|r| !r.trim().is_empty()).context(
                        "say what the review found with --reason \"…\"; it is kept in the ledger",
                    )?;
                    vec![
                        ctx.grants
                            .review_break_glass(&actor()?, id, reason, ctx.now)
                            .await?,
                    ]
                }
                None => ctx.grants.break_glass_uses(!*all, ctx.now).await?,
            };
            print_uses(&uses, out)?;
            Ok(ExitCode::SUCCESS)
        }
        AccessCommand::Cert {
            id,
            key,
            resource,
            source_address,
            output,
        } => {
            let text = std::fs::read_to_string(key)
                .with_context(|| format!("cannot read the public key {}", key.display()))?;
            let public = UserPublicKey::parse(&text)
                .with_context(|| format!("{} is not an OpenSSH public key", key.display()))?;
            let source = source_address
                .as_deref()
                .map(SourceAddresses::parse)
                .transpose()
                .context("invalid --source-address")?;
            let issued = ctx
                .credentials
                .ssh_certificate(
                    &actor()?,
                    id,
                    resource.as_deref(),
                    &public,
                    source.as_ref(),
                    ctx.now,
                )
                .await?;
            let cert = &issued.certificate;
            match output {
                Some(path) => {
                    std::fs::write(path, format!("{}\n", cert.to_openssh()))
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                None if !out.json() => out.line(cert.to_openssh())?,
                None => {}
            }
            if out.json() {
                out.print_json(&json!({
                    "credential": issued.credential,
                    "certificate": cert.to_openssh(),
                }))?;
            } else {
                out.warning(format!(
                    "certificate serial {} for {} valid {} → {} on {}/{}{}",
                    cert.serial(),
                    cert.principals().join(","),
                    cert.valid_after(),
                    cert.valid_before(),
                    issued.credential.environment,
                    issued.credential.resource,
                    output
                        .as_ref()
                        .map(|p| format!(", written to {}", p.display()))
                        .unwrap_or_default()
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        AccessCommand::DbLogin {
            id,
            resource,
            output,
        } => {
            let issued = ctx
                .credentials
                .database_role(&actor()?, id, resource.as_deref(), ctx.now)
                .await?;
            write_pgpass(output, &issued.role)?;
            if out.json() {
                out.print_json(&json!({
                    "credential": issued.credential,
                    "connection": issued.role.connection_string,
                    "password_file": output,
                }))?;
            } else {
                out.line(format!(
                    "PGPASSFILE={} psql \"{}\"",
                    output.display(),
                    issued.role.connection_string
                ))?;
                out.warning(format!(
                    "role {} (member of {}) works until {}; the password is in {} (mode 0600) and nowhere else",
                    issued.role.role,
                    issued.role.db_role,
                    issued.role.valid_until,
                    output.display()
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        AccessCommand::Credentials { id } => {
            let list = ctx.credentials.list(id).await?;
            if out.json() {
                return out
                    .print_json(&serde_json::to_value(&list)?)
                    .map(|()| ExitCode::SUCCESS);
            }
            if list.is_empty() {
                out.line(format!("no credentials issued for {id}"))?;
            }
            for c in list {
                out.line(format!(
                    "{}  {:<15} {:<8} {}/{}  {}  until {}",
                    c.id, c.kind, c.state, c.environment, c.resource, c.name, c.valid_until
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        AccessCommand::Secrets(secrets) => {
            let keyring = Keyring::new(ctx.ledger, need_key(ctx)?);
            match secrets {
                SecretsCommand::CaInit { replace } => {
                    let public = keyring.init_ca(&actor()?, *replace, ctx.now).await?;
                    out.line(public.to_openssh())?;
                    out.warning(format!(
                        "SSH CA {} created and stored sealed; put this line in sshd's TrustedUserCAKeys",
                        public.fingerprint()
                    ));
                }
                SecretsCommand::CaPublicKey => {
                    let ca = keyring.ca().await?.context(
                        "no SSH CA yet: create it with `palisade access secrets ca-init`",
                    )?;
                    out.line(ca.public_key().to_openssh())?;
                }
                SecretsCommand::DbAdmin { env, resource } => {
                    let mut text = String::new();
                    std::io::stdin()
                        .read_to_string(&mut text)
                        .context("cannot read the admin login from standard input")?;
                    if text.trim().is_empty() {
                        bail!(
                            "no admin login on standard input: pipe in a URL like postgres://USER:PASSWORD@HOST:PORT/postgres"
                        );
                    }
                    let url = Secret::new(text.trim().as_bytes().to_vec());
                    keyring
                        .set_db_admin(ctx.index, env, resource, &url, &actor()?, ctx.now)
                        .await?;
                    out.line(format!(
                        "stored the admin login of {env}/{resource}, sealed; it is never shown again"
                    ))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => bail!("not a credential command"),
    }
}

fn print_uses(uses: &[BreakGlassUse], out: &Output) -> anyhow::Result<()> {
    if out.json() {
        return out.print_json(&serde_json::to_value(uses)?);
    }
    if uses.is_empty() {
        return out.line("no break-glass uses waiting for review");
    }
    for u in uses {
        let r = &u.request;
        let status = match &u.reviewed_by {
            Some(by) => format!(
                "reviewed by {by}: {}",
                u.review_reason.as_deref().unwrap_or("")
            ),
            None if u.overdue => format!("REVIEW OVERDUE since {}", u.review_due),
            None => format!("review due by {}", u.review_due),
        };
        out.line(format!(
            "{}  {} as {}  {} → {}  ({})  {status}",
            r.id,
            r.requester,
            r.role,
            r.from.map(|t| t.to_string()).unwrap_or_default(),
            r.until.map(|t| t.to_string()).unwrap_or_default(),
            r.reason
        ))?;
    }
    Ok(())
}

/// Writes libpq's password file for the role, readable by its owner only.
fn write_pgpass(
    path: &PathBuf,
    role: &palisade_access::postgres::PgCredential,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let line = role.pgpass_line();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write the password file {}", path.display()))?;
    // An existing file keeps its mode on open: narrow it before the password goes in.
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .with_context(|| format!("cannot make {} private", path.display()))?;
    file.write_all(line.as_bytes())
        .with_context(|| format!("cannot write the password file {}", path.display()))?;
    Ok(())
}
