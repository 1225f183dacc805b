//! Sending: one message posted to one URL, retried with backoff.

use std::io::Read as _;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use ureq::http::Uri;

use super::WebhookSecret;
use super::sign::Message;

/// How much of a response body an [`Attempt`] keeps, in bytes.
pub const RESPONSE_EXCERPT_LEN: usize = 256;

/// How a [`Sender`] times, repeats and spaces its attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderOptions {
    /// The limit on one attempt, from connecting to the last byte of the
    /// response.
    pub timeout: Duration,
    /// How many attempts at most, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles before each next one.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts, a `Retry-After` included.
    pub max_backoff: Duration,
    /// The `user-agent` header.
    pub user_agent: String,
}

impl Default for SenderOptions {
    /// 10 s per attempt, 5 attempts, waits of 1, 2, 4 and 8 s, at most 60 s.
    fn default() -> SenderOptions {
        SenderOptions {
            timeout: Duration::from_secs(10),
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            user_agent: format!("palisade-webhook/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Why a sender could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SenderError {
    /// The URL does not parse.
    #[error("the webhook URL {url:?} is not a valid URL: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What the parser said.
        reason: String,
    },
    /// The URL's scheme is not http or https.
    #[error("the webhook URL {url:?} must start with https:// (or http://), not {scheme:?}")]
    UnsupportedScheme {
        /// The URL given.
        url: String,
        /// Its scheme, empty when there is none.
        scheme: String,
    },
    /// The URL names no host.
    #[error("the webhook URL {url:?} names no host")]
    NoHost {
        /// The URL given.
        url: String,
    },
}

/// What one attempt got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered with this status.
    Status {
        /// The HTTP status code.
        code: u16,
        /// The receiver's `Retry-After`, when it gave one that reads.
        retry_after: Option<Duration>,
        /// The start of the response body, lossily as UTF-8.
        excerpt: String,
    },
    /// No answer: the connection failed or timed out.
    Failed {
        /// What went wrong.
        error: String,
    },
}

/// One attempt at delivering a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The attempt's number, from 1.
    pub number: u32,
    /// The `webhook-timestamp` it was signed with.
    pub timestamp: Timestamp,
    /// What came of it.
    pub outcome: Outcome,
    /// How long it took.
    pub took: Duration,
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.outcome {
            Outcome::Status { code, .. } => write!(f, "attempt {}: HTTP {code}", self.number),
            Outcome::Failed { error } => write!(f, "attempt {}: {error}", self.number),
        }
    }
}

/// A delivered message: the receiver answered 2xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The message's id.
    pub message_id: String,
    /// The 2xx status of the last attempt.
    pub status: u16,
    /// Every attempt, the last one the success.
    pub attempts: Vec<Attempt>,
}

/// Why a message was not delivered. Both variants keep every attempt.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryError {
    /// The receiver answered with a status that retrying will not change
    /// (a 4xx other than 408 and 429, or a redirect, which is not followed).
    #[error(
        "the webhook receiver at {url} refused message {message_id} with HTTP {status}{}; it is not retried",
        excerpt_suffix(attempts)
    )]
    Refused {
        /// The URL posted to.
        url: String,
        /// The message's id.
        message_id: String,
        /// The final status.
        status: u16,
        /// Every attempt.
        attempts: Vec<Attempt>,
    },
    /// Every attempt failed with an error worth retrying.
    #[error(
        "gave up on webhook message {message_id} to {url} after {} attempt(s); the last: {}",
        attempts.len(),
        last_attempt(attempts)
    )]
    GaveUp {
        /// The URL posted to.
        url: String,
        /// The message's id.
        message_id: String,
        /// Every attempt.
        attempts: Vec<Attempt>,
    },
}

impl DeliveryError {
    /// Every attempt made.
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            DeliveryError::Refused { attempts, .. } | DeliveryError::GaveUp { attempts, .. } => {
                attempts
            }
        }
    }
}

fn last_attempt(attempts: &[Attempt]) -> String {
    attempts
        .last()
        .map_or_else(|| "none was made".to_string(), |a| a.to_string())
}

fn excerpt_suffix(attempts: &[Attempt]) -> String {
    match attempts.last().map(|a| &a.outcome) {
        Some(Outcome::Status { excerpt, .. }) if !excerpt.is_empty() => {
            format!(" ({excerpt:?})")
        }
        _ => String::new(),
    }
}

/// Posts signed messages to one receiver. Blocking: from async code, call
/// it on a blocking thread.
#[derive(Debug)]
pub struct Sender {
    url: String,
    secret: WebhookSecret,
    options: SenderOptions,
    agent: ureq::Agent,
}

impl Sender {
    /// A sender to `url` (http or https), signing with `secret`.
    pub fn new(
        url: &str,
        secret: WebhookSecret,
        options: SenderOptions,
    ) -> Result<Sender, SenderError> {
        // The scheme first: a URL of another scheme may not parse as an
        // HTTP URL at all (`file:///...`), and its scheme says more.
        if let Some((scheme, _)) = url.split_once(':')
            && is_scheme(scheme)
            && !scheme.eq_ignore_ascii_case("http")
            && !scheme.eq_ignore_ascii_case("https")
        {
            return Err(SenderError::UnsupportedScheme {
                url: url.to_string(),
                scheme: scheme.to_string(),
            });
        }
        let uri: Uri =
            url.parse()
                .map_err(|e: ureq::http::uri::InvalidUri| SenderError::InvalidUrl {
                    url: url.to_string(),
                    reason: e.to_string(),
                })?;
        match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {}
            other => {
                return Err(SenderError::UnsupportedScheme {
                    url: url.to_string(),
                    scheme: other.unwrap_or_default().to_string(),
                });
            }
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(SenderError::NoHost {
                url: url.to_string(),
            });
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(options.timeout))
            // Statuses are ours to judge, attempt by attempt.
            .http_status_as_error(false)
            // A redirect would carry the signed body somewhere not
            // configured; the receiver's URL is to be fixed instead.
            .max_redirects(0)
            .max_redirects_will_error(false)
            // No proxy from the environment behind the caller's back.
            .proxy(None)
            .user_agent(options.user_agent.as_str())
            .build()
            .new_agent();
        Ok(Sender {
            url: url.to_string(),
            secret,
            options,
            agent,
        })
    }

    /// The URL posted to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Posts `message`, retrying connection failures, timeouts, 408, 429
    /// and 5xx with exponential backoff (or the receiver's `Retry-After`),
    /// every wait capped by `max_backoff`, for at most `max_attempts`.
    /// Each attempt is signed afresh with its own time, `now` plus the time
    /// elapsed since the call, under the same message id.
    pub fn send(&self, message: &Message, now: Timestamp) -> Result<Delivery, DeliveryError> {
        let started = Instant::now();
        let max_attempts = self.options.max_attempts.max(1);
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut backoff = self.options.initial_backoff;
        for number in 1..=max_attempts {
            let elapsed =
                SignedDuration::try_from(started.elapsed()).unwrap_or(SignedDuration::MAX);
            let at = now.saturating_add(elapsed).unwrap_or(now);
            let attempt_started = Instant::now();
            let outcome = self.attempt(message, at);
            let attempt = Attempt {
                number,
                timestamp: at,
                outcome,
                took: attempt_started.elapsed(),
            };
            let retry_after = match &attempt.outcome {
                Outcome::Status { code, .. } if (200..300).contains(code) => {
                    let status = *code;
                    attempts.push(attempt);
                    return Ok(Delivery {
                        message_id: message.id().to_string(),
                        status,
                        attempts,
                    });
                }
                Outcome::Status {
                    code, retry_after, ..
                } if retryable(*code) => *retry_after,
                Outcome::Status { code, .. } => {
                    let status = *code;
                    attempts.push(attempt);
                    return Err(DeliveryError::Refused {
                        url: self.url.clone(),
                        message_id: message.id().to_string(),
                        status,
                        attempts,
                    });
                }
                Outcome::Failed { .. } => None,
            };
            attempts.push(attempt);
            if number < max_attempts {
                let wait = retry_after.unwrap_or(backoff).min(self.options.max_backoff);
                std::thread::sleep(wait);
                backoff = backoff.saturating_mul(2);
            }
        }
        Err(DeliveryError::GaveUp {
            url: self.url.clone(),
            message_id: message.id().to_string(),
            attempts,
        })
    }

    fn attempt(&self, message: &Message, at: Timestamp) -> Outcome {
        let headers = message.headers(&self.secret, at);
        let mut request = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json");
        for (name, value) in headers.pairs() {
            request = request.header(name, value);
        }
        match request.send(message.body()) {
            Ok(mut response) => {
                let code = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, at));
                let mut excerpt = Vec::new();
                // The excerpt is only a hint for the operator; a body that
                // fails to read leaves it short.
                let _ = response
                    .body_mut()
                    .as_reader()
                    .take(RESPONSE_EXCERPT_LEN as u64)
                    .read_to_end(&mut excerpt);
                Outcome::Status {
                    code,
                    retry_after,
                    excerpt: String::from_utf8_lossy(&excerpt).trim().to_string(),
                }
            }
            Err(error) => Outcome::Failed {
                error: error.to_string(),
            },
        }
    }
}

/// Whether `text` has the form of a URL scheme (RFC 3986): a letter, then
/// letters, digits, `+`, `-` or `.`.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Whether a status is worth another attempt: a timeout, a rate limit or
/// a server error.
fn retryable(code: u16) -> bool {
    code == 408 || code == 429 || (500..600).contains(&code)
}

/// A `Retry-After` value: whole seconds, or an HTTP date (read against
/// `now`; one in the past means at once).
pub(crate) fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = date.duration_since(now);
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}
