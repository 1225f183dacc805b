//! What every `palisade access` (and `palisade offboard`) run sets up from
//! its environment: the secrets key, and the webhook that announces grants.

use std::path::Path;

use anyhow::Context as _;
use palisade_access::secrets::Key;
use palisade_ledger::ledger::Ledger;

use crate::output::Output;

/// Reads the secrets key: from `file`, else from `PALISADE_SECRETS_KEY`.
pub fn secrets_key(file: Option<&Path>) -> anyhow::Result<Option<Key>> {
    let (text, from) = match file {
        Some(f) => (
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the secrets key file {}", f.display()))?,
            format!("the secrets key file {}", f.display()),
        ),
        None => match std::env::var("PALISADE_SECRETS_KEY") {
            Ok(v) => (v, "PALISADE_SECRETS_KEY".to_owned()),
            Err(_) => return Ok(None),
        },
    };
    let text = text.trim();
    let key = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Key::from_hex(text)
    } else {
        Key::from_base64(text)
    };
    key.map(Some)
        .with_context(|| format!("{from} does not hold a secrets key"))
}

/// The webhook sender the model asks for, if its secret is at hand.
pub fn webhook_sender(
    model: &palisade_model::Model,
    out: &Output,
) -> anyhow::Result<Option<palisade_access::webhook::Sender>> {
    let Some(hook) = &model.access.webhook else {
        return Ok(None);
    };
    let Ok(text) = std::env::var(&hook.secret_env) else {
        out.warning(format!(
            "[access] webhook is set but {} is not: grants and revocations are not announced",
            hook.secret_env
        ));
        return Ok(None);
    };
    let secret = palisade_access::webhook::WebhookSecret::parse(&text)
        .with_context(|| format!("{} does not hold a webhook secret", hook.secret_env))?;
    let sender = palisade_access::webhook::Sender::new(
        &hook.url,
        secret,
        palisade_access::webhook::SenderOptions::default(),
    )
    .context("invalid [access] webhook url")?;
    Ok(Some(sender))
}

pub async fn announce(
    sender: Option<&palisade_access::webhook::Sender>,
    ledger: &Ledger,
    changed: &[palisade_access::grants::RequestView],
    now: jiff::Timestamp,
    out: &Output,
) -> anyhow::Result<()> {
    let Some(sender) = sender else {
        return Ok(());
    };
    for a in palisade_access::notify::announce(sender, ledger, "palisade", changed, now).await? {
        if let Some(e) = a.error {
            out.warning(format!(
                "{} of {} was not delivered: {e}",
                a.event, a.request
            ));
        }
    }
    Ok(())
}
