//! Delivering alerts: the outbox [`crate::alerts`] fills, emptied into
//! Slack-compatible webhooks and signed Standard Webhooks.
//!
//! Each call of [`Deliverer::deliver_pending`] claims the deliveries that are
//! due, makes one attempt at each, and writes what came of it: delivered, or
//! due again after an exponential backoff (capped), or failed once the
//! attempts run out or the receiver refuses for good (a 4xx other than 408
//! and 429). Between calls a delivery lives only in the store, so a receiver
//! that is down, or a process that stops, loses nothing: the next call, in
//! this process or another one after a restart, picks it up.
//!
//! A signed delivery carries the Standard Webhooks headers of
//! [`palisade_access::webhook`] (`webhook-id` is the delivery's id, the same
//! on every attempt, so receivers drop a repeat), signed with
//! [`palisade_access::webhook::sign`]; its body has the shape of that
//! module's messages, `{"type": "monitor.alert", "timestamp", "data"}`.
//!
//! A hook's URL and secret come from the caller ([`ResolvedHook`]), never
//! from the store, and never reach an error, a stored delivery or the ledger:
//! a Slack URL is itself a secret.

use std::io::Read as _;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use palisade_access::webhook::{
    HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, WebhookSecret, sign,
};
use palisade_model::AlertHook;
use palisade_store::{MonitorDeliveryRow, Store, StoreError};
use serde::Serialize;
use serde_json::json;

use crate::alerts::{Alert, Hook, HookKind};

/// The webhook `type` of an alert.
pub const ALERT_EVENT_TYPE: &str = "monitor.alert";

/// The most of an error or a response kept with a delivery, in bytes.
const ERROR_LEN: usize = 300;

/// A hook with its URL and secret, as the binary reads them from the
/// environment variables the model names.
pub struct ResolvedHook {
    hook: Hook,
    url: String,
    secret: Option<WebhookSecret>,
}

impl std::fmt::Debug for ResolvedHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedHook")
            .field("id", &self.hook.id)
            .field("kind", &self.hook.kind)
            .field("url", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl ResolvedHook {
    /// The model's `hook` reached at `url`, signing with `secret` (required
    /// for a `webhook`, ignored for `slack`). Errors name the hook by its URL
    /// variable, never the URL.
    pub fn new(
        hook: &AlertHook,
        url: String,
        secret: Option<WebhookSecret>,
    ) -> Result<ResolvedHook, DeliverError> {
        let hook = Hook::from_model(hook).map_err(|e| DeliverError::Hook {
            hook: hook.url_env.clone(),
            reason: e.to_string(),
        })?;
        check_url(&url).map_err(|reason| DeliverError::Hook {
            hook: hook.id.clone(),
            reason: reason.to_owned(),
        })?;
        let secret = match hook.kind {
            HookKind::Slack => None,
            HookKind::Webhook => Some(secret.ok_or_else(|| DeliverError::Hook {
                hook: hook.id.clone(),
                reason: "a signed webhook needs its secret".to_owned(),
            })?),
        };
        Ok(ResolvedHook { hook, url, secret })
    }

    /// The id its deliveries are queued under.
    pub fn id(&self) -> &str {
        &self.hook.id
    }

    /// How it is reached.
    pub fn kind(&self) -> HookKind {
        self.hook.kind
    }
}

/// Whether `url` is an http(s) URL with a host; the reason says what is
/// wrong without repeating it.
fn check_url(url: &str) -> Result<(), &'static str> {
    let uri: ureq::http::Uri = url.parse().map_err(|_| "its URL does not parse as a URL")?;
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {}
        _ => return Err("its URL must start with https:// (or http://)"),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("its URL names no host");
    }
    Ok(())
}

/// How deliveries are timed and repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOptions {
    /// The limit on one attempt, from connecting to the response's last byte.
    pub timeout: Duration,
    /// The wait after the first failed attempt; it doubles after each next one.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts, a `Retry-After` included.
    pub max_backoff: Duration,
    /// After this many failed attempts a delivery is marked failed.
    pub max_attempts: u32,
    /// How long a claimed delivery is kept from other deliverers: longer
    /// than an attempt, so one is never sent twice at once, and short, so a
    /// process that stopped mid-attempt leaves it due again soon.
    pub lease: Duration,
    /// The most deliveries one call attempts.
    pub batch: u32,
}

impl Default for DeliveryOptions {
    /// 10 s per attempt; waits of 30 s, 1, 2, 4 … minutes up to an hour; 12
    /// attempts (about 5 hours); a 2-minute lease; 100 per call.
    fn default() -> DeliveryOptions {
        DeliveryOptions {
            timeout: Duration::from_secs(10),
            initial_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            max_attempts: 12,
            lease: Duration::from_secs(120),
            batch: 100,
        }
    }
}

impl DeliveryOptions {
    /// The wait after failed attempt `attempt` (from 1), or the receiver's
    /// `Retry-After` when longer, capped by `max_backoff`.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let wait = self.initial_backoff.saturating_mul(1 << doublings);
        wait.max(retry_after.unwrap_or_default())
            .min(self.max_backoff)
    }
}

/// Why deliveries could not be attempted. A receiver's failure is not one:
/// it is in the [`Report`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeliverError {
    /// A hook cannot be used.
    #[error("alert hook {hook}: {reason}")]
    Hook {
        /// The hook's id (kind and URL variable).
        hook: String,
        /// What is wrong.
        reason: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A blocking attempt's thread stopped.
    #[error("an alert delivery's thread stopped: {0}")]
    Thread(String),
}

/// What came of one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum Attempted {
    /// The receiver answered 2xx.
    Delivered {
        /// The status.
        status: u16,
    },
    /// It failed and will be tried again.
    Retrying {
        /// What went wrong.
        error: String,
        /// When the next attempt is due.
        #[serde(serialize_with = "rfc3339")]
        next_attempt: Timestamp,
    },
    /// It failed for good: refused, or out of attempts.
    Failed {
        /// What went wrong last.
        error: String,
    },
}

/// One attempt at one delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryResult {
    /// The delivery (the webhook message id).
    pub delivery: String,
    /// The alert.
    pub alert: String,
    /// The hook's id.
    pub hook: String,
    /// The attempt's number, from 1.
    pub attempt: u32,
    /// What came of it.
    #[serde(flatten)]
    pub outcome: Attempted,
}

/// What one call of [`Deliverer::deliver_pending`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// One per attempt, in the order made.
    pub results: Vec<DeliveryResult>,
}

impl Report {
    /// The deliveries delivered.
    pub fn delivered(&self) -> impl Iterator<Item = &DeliveryResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Attempted::Delivered { .. }))
    }

    /// The deliveries that will be tried again.
    pub fn retrying(&self) -> impl Iterator<Item = &DeliveryResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Attempted::Retrying { .. }))
    }

    /// The deliveries that failed for good.
    pub fn failed(&self) -> impl Iterator<Item = &DeliveryResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Attempted::Failed { .. }))
    }
}

/// Empties the outbox of one store.
#[derive(Debug, Clone)]
pub struct Deliverer {
    store: Store,
    options: DeliveryOptions,
    agent: ureq::Agent,
}

impl Deliverer {
    /// A deliverer of `store`'s queued deliveries.
    pub fn new(store: Store, options: DeliveryOptions) -> Deliverer {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(options.timeout))
            // Statuses are ours to judge, attempt by attempt.
            .http_status_as_error(false)
            // A redirect would carry the alert somewhere not configured.
            .max_redirects(0)
            .max_redirects_will_error(false)
            // No proxy from the environment behind the caller's back.
            .proxy(None)
            .user_agent(format!("palisade-monitor/{}", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Deliverer {
            store,
            options,
            agent,
        }
    }

    /// Makes one attempt at each queued delivery to one of `hooks` that is
    /// due at `now`, and records each outcome. Deliveries to hooks not given
    /// stay queued.
    pub async fn deliver_pending(
        &self,
        hooks: &[ResolvedHook],
        now: Timestamp,
    ) -> Result<Report, DeliverError> {
        let ids: Vec<&str> = hooks.iter().map(ResolvedHook::id).collect();
        let lease = SignedDuration::try_from(self.options.lease).unwrap_or(SignedDuration::MAX);
        let now_us = now.as_microsecond();
        let lease_until = now.saturating_add(lease).unwrap_or(now).as_microsecond();
        let claimed = self
            .store
            .monitor_claim_deliveries(&ids, now_us, lease_until, self.options.batch)
            .await?;
        let mut report = Report::default();
        for row in claimed {
            let Some(hook) = hooks.iter().find(|h| h.id() == row.hook) else {
                continue;
            };
            let posted = self.post(hook, &row, now).await?;
            let attempt = u32::try_from(row.attempts.saturating_add(1)).unwrap_or(u32::MAX);
            let outcome = self.judge(attempt, posted, now);
            let (state, next_attempt_us, last_error) = match &outcome {
                Attempted::Delivered { .. } => ("delivered", row.next_attempt_us, None),
                Attempted::Retrying {
                    error,
                    next_attempt,
                } => ("queued", next_attempt.as_microsecond(), Some(error.clone())),
                Attempted::Failed { error } => ("failed", row.next_attempt_us, Some(error.clone())),
            };
            let finished = MonitorDeliveryRow {
                state: state.to_owned(),
                attempts: i64::from(attempt),
                next_attempt_us,
                last_error: last_error.or(row.last_error.clone()),
                updated_us: now_us,
                ..row.clone()
            };
            // Someone else finished it meanwhile (its lease ran out during a
            // slow attempt): theirs stands.
            if self
                .store
                .monitor_finish_delivery(&finished, row.attempts)
                .await?
            {
                report.results.push(DeliveryResult {
                    delivery: row.id,
                    alert: row.alert_id,
                    hook: row.hook,
                    attempt,
                    outcome,
                });
            }
        }
        Ok(report)
    }

    /// One HTTP attempt, on a blocking thread.
    async fn post(
        &self,
        hook: &ResolvedHook,
        row: &MonitorDeliveryRow,
        now: Timestamp,
    ) -> Result<Posted, DeliverError> {
        let mut headers = vec![("content-type", "application/json".to_owned())];
        if let Some(secret) = &hook.secret {
            headers.push((HEADER_ID, row.id.clone()));
            headers.push((HEADER_TIMESTAMP, now.as_second().to_string()));
            headers.push((
                HEADER_SIGNATURE,
                sign(secret, &row.id, now, row.body.as_bytes()),
            ));
        }
        let agent = self.agent.clone();
        let url = hook.url.clone();
        let body = row.body.clone();
        tokio::task::spawn_blocking(move || post(&agent, &url, &headers, body.as_bytes()))
            .await
            .map_err(|e| DeliverError::Thread(e.to_string()))
    }

    fn judge(&self, attempt: u32, posted: Posted, now: Timestamp) -> Attempted {
        let (error, retry_after) = match posted {
            Posted::Status { code, .. } if (200..300).contains(&code) => {
                return Attempted::Delivered { status: code };
            }
            Posted::Status {
                code,
                retry_after,
                excerpt,
            } => {
                let error = if excerpt.is_empty() {
                    format!("HTTP {code}")
                } else {
                    format!("HTTP {code}: {excerpt}")
                };
                if !retryable(code) {
                    return Attempted::Failed {
                        error: format!("{error}; the receiver refused it, so it is not retried"),
                    };
                }
                (error, retry_after)
            }
            Posted::Failed { error } => (error, None),
        };
        if attempt >= self.options.max_attempts.max(1) {
            return Attempted::Failed {
                error: format!("gave up after {attempt} attempt(s); the last: {error}"),
            };
        }
        let wait = self.options.backoff(attempt, retry_after);
        let wait = SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX);
        Attempted::Retrying {
            error,
            next_attempt: now.saturating_add(wait).unwrap_or(now),
        }
    }
}

/// What one HTTP attempt got back.
enum Posted {
    /// The receiver answered.
    Status {
        code: u16,
        retry_after: Option<Duration>,
        excerpt: String,
    },
    /// No answer.
    Failed { error: String },
}

fn post(agent: &ureq::Agent, url: &str, headers: &[(&str, String)], body: &[u8]) -> Posted {
    let mut request = agent.post(url);
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    match request.send(body) {
        Ok(mut response) => {
            let code = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let mut excerpt = Vec::new();
            // Only a hint for the operator: a body that fails to read leaves it short.
            let _ = response
                .body_mut()
                .as_reader()
                .take(ERROR_LEN as u64)
                .read_to_end(&mut excerpt);
            Posted::Status {
                code,
                retry_after,
                excerpt: clip(&scrub(String::from_utf8_lossy(&excerpt).trim(), url)),
            }
        }
        Err(error) => Posted::Failed {
            error: clip(&scrub(&format!("no answer: {error}"), url)),
        },
    }
}

/// Whether a status is worth another attempt: a timeout, a rate limit or a
/// server error.
fn retryable(code: u16) -> bool {
    code == 408 || code == 429 || (500..600).contains(&code)
}

/// `text` with the URL, and its path (where a Slack URL keeps its secret),
/// replaced, should an error or a receiver repeat them.
fn scrub(text: &str, url: &str) -> String {
    let mut text = text.replace(url, "<hook URL>");
    if let Some((_, rest)) = url.split_once("://") {
        text = text.replace(rest, "<hook URL>");
        if let Some(path) = rest.find('/').map(|at| &rest[at..])
            && path.len() > 1
        {
            text = text.replace(path, "/<hook path>");
        }
    }
    text
}

/// At most [`ERROR_LEN`] bytes, cut at a character boundary.
fn clip(text: &str) -> String {
    if text.len() <= ERROR_LEN {
        return text.to_owned();
    }
    let mut end = ERROR_LEN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A new delivery id, also its webhook message id: `msg_` and 128 random bits.
pub(crate) fn new_message_id() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(format!("msg_{}", hex::encode(bytes)))
}

/// The alert as a webhook's `data`.
fn alert_data(alert: &Alert) -> serde_json::Value {
    json!({
        "id": alert.id,
        "detector": alert.detector,
        "severity": alert.severity,
        "person": alert.person,
        "actor": alert.actor,
        "resource": alert.resource,
        "sentence": alert.sentence,
        "first_seen": alert.first_seen.to_string(),
        "evidence": alert.evidence,
    })
}

/// The signed webhook's body: `{"type": "monitor.alert", "timestamp", "data"}`.
pub fn webhook_body(alert: &Alert, now: Timestamp) -> String {
    json!({
        "type": ALERT_EVENT_TYPE,
        "timestamp": now.to_string(),
        "data": alert_data(alert),
    })
    .to_string()
}

/// Slack's three characters with a meaning in message text.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Slack-compatible body: a plain `text` (notifications, and receivers
/// that ignore blocks) and `blocks` laying out the same.
pub fn slack_body(alert: &Alert) -> String {
    let severity = alert.severity.key().to_uppercase();
    let sentence = slack_escape(&alert.sentence);
    let text = format!("[{severity}] {}: {sentence}", alert.detector);
    let mut context = vec![format!("alert `{}`", alert.id)];
    if let Some(person) = &alert.person {
        context.push(format!("person *{}*", slack_escape(person)));
    }
    context.push(format!("actor `{}`", slack_escape(&alert.actor)));
    if let Some(resource) = &alert.resource {
        context.push(format!("on `{}`", slack_escape(resource)));
    }
    context.push(format!("first seen {}", alert.first_seen));
    json!({
        "text": text,
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": format!("*{severity}* · *{}*\n{sentence}", alert.detector),
                },
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": context.join(" · ")}],
            },
        ],
    })
    .to_string()
}

fn rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        let options = DeliveryOptions {
            initial_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(300),
            ..DeliveryOptions::default()
        };
        let waits: Vec<u64> = (1..=6)
            .map(|n| options.backoff(n, None).as_secs())
            .collect();
        assert_eq!(waits, [30, 60, 120, 240, 300, 300]);
        assert_eq!(
            options.backoff(1, Some(Duration::from_secs(90))).as_secs(),
            90
        );
        assert_eq!(
            options
                .backoff(1, Some(Duration::from_secs(9000)))
                .as_secs(),
            300
        );
        assert_eq!(options.backoff(u32::MAX, None).as_secs(), 300);
    }

    #[test]
    fn scrub_hides_the_url_and_its_path() {
        let url = "https://hooks.slack.com/services/T0/B0/s3cr3t";
        let said = format!("io error posting to {url}: refused; path /services/T0/B0/s3cr3t");
        let scrubbed = scrub(&said, url);
        assert!(!scrubbed.contains("s3cr3t"), "{scrubbed}");
    }

    #[test]
    fn clip_keeps_characters_whole() {
        let long = "é".repeat(400);
        let clipped = clip(&long);
        assert!(clipped.len() <= ERROR_LEN + "…".len());
    }
}
