//! Verifying: the receiver's side, and our own tests'.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::Mac;
use jiff::Timestamp;

use super::WebhookSecret;
use super::sign::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, VERSION_V1, check_id, mac};

/// How far a message's timestamp may be from the receiver's clock, either
/// way, unless the receiver says otherwise: the Standard Webhooks default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// How many message ids a [`ReplayGuard`] remembers at most unless told
/// otherwise; past that, new messages are refused until old ids expire.
pub const DEFAULT_MAX_REMEMBERED_IDS: usize = 100_000;

/// Where a receiver's request headers are read from. Names are looked up in
/// lower case; implementations compare them without regard to case.
pub trait WebhookHeaders {
    /// The first value of the header `name`, if any.
    fn header(&self, name: &str) -> Option<&[u8]>;
}

impl<T: WebhookHeaders + ?Sized> WebhookHeaders for &T {
    fn header(&self, name: &str) -> Option<&[u8]> {
        (**self).header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> WebhookHeaders for [(K, V)] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> WebhookHeaders for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> WebhookHeaders for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

impl<V: AsRef<[u8]>, S> WebhookHeaders for HashMap<String, V, S> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl WebhookHeaders for ureq::http::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(|v| v.as_bytes())
    }
}

/// Why a webhook was refused. Each variant is one check, in the order they
/// are made: headers, signature, time, then replay. The time is judged only
/// on an authentic message, so a forgery is never reported as clock skew.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// A required header is absent or empty.
    #[error("the webhook has no {name} header; is the sender using Standard Webhooks?")]
    MissingHeader {
        /// The header's name.
        name: &'static str,
    },
    /// A header is present but not in the form the specification gives.
    #[error("the webhook's {name} header is malformed: {reason}")]
    MalformedHeader {
        /// The header's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No signature in the header matches the body under any secret.
    #[error(
        "no webhook signature matches the message under any of the {secrets} secret(s): \
         a forgery, a body changed on the way, or a secret the receiver does not hold"
    )]
    BadSignature {
        /// How many secrets were tried.
        secrets: usize,
    },
    /// The message was signed longer ago than the tolerance.
    #[error(
        "the webhook's timestamp is {behind_secs}s in the past, beyond the {tolerance_secs}s tolerance: \
         a replay, a delivery held up, or the sender's clock is behind"
    )]
    TooOld {
        /// How far in the past, in seconds.
        behind_secs: u64,
        /// The tolerance, in seconds.
        tolerance_secs: u64,
    },
    /// The message's timestamp is further ahead than the tolerance.
    #[error(
        "the webhook's timestamp is {ahead_secs}s in the future, beyond the {tolerance_secs}s tolerance: \
         the sender's clock is ahead of the receiver's (check NTP on both)"
    )]
    TooNew {
        /// How far in the future, in seconds.
        ahead_secs: u64,
        /// The tolerance, in seconds.
        tolerance_secs: u64,
    },
    /// A message with this id was already accepted within the window.
    #[error("the webhook {id:?} was already received: a replay or a repeated delivery")]
    Replayed {
        /// The repeated id.
        id: String,
    },
    /// The replay guard holds as many ids as it may, all still in the window.
    #[error(
        "the webhook receiver remembers {max} message ids within the window, its limit; \
         the message is refused until older ids expire"
    )]
    TooManyMessages {
        /// The limit.
        max: usize,
    },
}

/// Why a verifier could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifierError {
    /// No secret was given.
    #[error("a webhook verifier needs at least one secret")]
    NoSecrets,
}

/// A message that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedMessage<'b> {
    /// The `webhook-id`.
    pub id: String,
    /// The `webhook-timestamp`.
    pub timestamp: Timestamp,
    /// Which of the verifier's secrets (by position) signed it: during a
    /// rotation, when the old one is no longer seen, it can be dropped.
    pub secret_index: usize,
    /// The body as received.
    pub body: &'b [u8],
}

/// The JSON body of a Palisade access webhook.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Event {
    /// `access.granted`, `access.revoked`, ...
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened, RFC 3339.
    pub timestamp: String,
    /// The event's details.
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl VerifiedMessage<'_> {
    /// The body read as a Palisade [`Event`].
    pub fn event(&self) -> Result<Event, serde_json::Error> {
        serde_json::from_slice(self.body)
    }
}

/// Checks webhooks against one or more secrets (more than one while a
/// secret is rotated), a time tolerance, and, unless turned off, a
/// [`ReplayGuard`]. Shareable between threads.
#[derive(Debug)]
pub struct Verifier {
    secrets: Vec<WebhookSecret>,
    tolerance: Duration,
    replay: Option<Mutex<ReplayGuard>>,
}

impl Verifier {
    /// A verifier accepting a signature by any of `secrets`, with the
    /// [`DEFAULT_TOLERANCE`] and a replay guard remembering up to
    /// [`DEFAULT_MAX_REMEMBERED_IDS`] ids.
    pub fn new(
        secrets: impl IntoIterator<Item = WebhookSecret>,
    ) -> Result<Verifier, VerifierError> {
        let secrets: Vec<WebhookSecret> = secrets.into_iter().collect();
        if secrets.is_empty() {
            return Err(VerifierError::NoSecrets);
        }
        Ok(Verifier {
            secrets,
            tolerance: DEFAULT_TOLERANCE,
            replay: Some(Mutex::new(ReplayGuard::new(
                DEFAULT_TOLERANCE,
                DEFAULT_MAX_REMEMBERED_IDS,
            ))),
        })
    }

    /// The same verifier with another tolerance, either way from `now`; the
    /// replay guard's window follows it.
    pub fn with_tolerance(mut self, tolerance: Duration) -> Verifier {
        self.tolerance = tolerance;
        if let Some(guard) = &mut self.replay {
            let max = lock(guard).max_ids;
            *guard = Mutex::new(ReplayGuard::new(tolerance, max));
        }
        self
    }

    /// The same verifier remembering at most `max_ids` ids.
    pub fn with_max_remembered_ids(mut self, max_ids: usize) -> Verifier {
        self.replay = Some(Mutex::new(ReplayGuard::new(self.tolerance, max_ids)));
        self
    }

    /// The same verifier without a replay guard, for receivers that drop
    /// repeated ids themselves (say, in a database shared by replicas).
    pub fn without_replay_guard(mut self) -> Verifier {
        self.replay = None;
        self
    }

    /// The tolerance in force.
    pub fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// Checks a received webhook at `now`: the headers, a signature by one
    /// of the secrets over exactly `body`, the timestamp within the
    /// tolerance, and an id not seen before (which is then remembered).
    pub fn verify<'b, H: WebhookHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &'b [u8],
        now: Timestamp,
    ) -> Result<VerifiedMessage<'b>, VerifyError> {
        let id = required(headers, HEADER_ID)?;
        let stamp = required(headers, HEADER_TIMESTAMP)?;
        let signatures = required(headers, HEADER_SIGNATURE)?;

        check_id(id).map_err(|reason| malformed(HEADER_ID, reason))?;
        let seconds = parse_seconds(stamp)?;
        let timestamp = Timestamp::from_second(seconds)
            .map_err(|_| malformed(HEADER_TIMESTAMP, "the time is out of range"))?;
        let candidates = parse_signatures(signatures)?;

        let secret_index = self
            .secrets
            .iter()
            .position(|secret| {
                let expected = mac(secret, id, seconds, body);
                // verify_slice compares in constant time.
                candidates
                    .iter()
                    .any(|tag| expected.clone().verify_slice(tag).is_ok())
            })
            .ok_or(VerifyError::BadSignature {
                secrets: self.secrets.len(),
            })?;

        check_window(seconds, now.as_second(), self.tolerance)?;

        if let Some(guard) = &self.replay {
            lock(guard).remember(id, timestamp, now)?;
        }
        Ok(VerifiedMessage {
            id: id.to_string(),
            timestamp,
            secret_index,
            body,
        })
    }

    /// Forgets an accepted id, so the sender's retry is accepted: for a
    /// receiver that verified a message but failed to act on it and answers
    /// with an error the sender retries.
    pub fn forget(&self, id: &str) {
        if let Some(guard) = &self.replay {
            lock(guard).forget(id);
        }
    }
}

fn lock(guard: &Mutex<ReplayGuard>) -> std::sync::MutexGuard<'_, ReplayGuard> {
    // Every change to the guard leaves it whole, so a panic elsewhere while
    // it was held does not make it wrong.
    guard
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn malformed(name: &'static str, reason: impl Into<String>) -> VerifyError {
    VerifyError::MalformedHeader {
        name,
        reason: reason.into(),
    }
}

fn required<'h, H: WebhookHeaders + ?Sized>(
    headers: &'h H,
    name: &'static str,
) -> Result<&'h str, VerifyError> {
    let value = headers
        .header(name)
        .ok_or(VerifyError::MissingHeader { name })?;
    let value = std::str::from_utf8(value).map_err(|_| malformed(name, "it is not UTF-8"))?;
    let value = value.trim();
    if value.is_empty() {
        return Err(VerifyError::MissingHeader { name });
    }
    Ok(value)
}

fn parse_seconds(text: &str) -> Result<i64, VerifyError> {
    if !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 18 {
        return Err(malformed(
            HEADER_TIMESTAMP,
            format!("{text:?} is not a whole number of unix seconds"),
        ));
    }
    text.parse()
        .map_err(|_| malformed(HEADER_TIMESTAMP, "not a whole number of unix seconds"))
}

/// The decoded `v1` signatures; entries of other versions are skipped, as
/// the specification asks, but there must be at least one `v1`.
fn parse_signatures(value: &str) -> Result<Vec<Vec<u8>>, VerifyError> {
    let mut tags = Vec::new();
    for (n, entry) in value.split_ascii_whitespace().enumerate() {
        let Some((version, encoded)) = entry.split_once(',') else {
            return Err(malformed(
                HEADER_SIGNATURE,
                format!("entry {} is not <version>,<signature>", n + 1),
            ));
        };
        if version != VERSION_V1 {
            continue;
        }
        let tag = BASE64.decode(encoded).map_err(|_| {
            malformed(
                HEADER_SIGNATURE,
                format!("the v1 signature in entry {} is not base64", n + 1),
            )
        })?;
        tags.push(tag);
    }
    if tags.is_empty() {
        return Err(malformed(HEADER_SIGNATURE, "it has no v1 signature"));
    }
    Ok(tags)
}

fn check_window(sent: i64, now: i64, tolerance: Duration) -> Result<(), VerifyError> {
    let tolerance_secs = tolerance.as_secs();
    let skew = now.abs_diff(sent);
    if skew <= tolerance_secs {
        Ok(())
    } else if sent < now {
        Err(VerifyError::TooOld {
            behind_secs: skew,
            tolerance_secs,
        })
    } else {
        Err(VerifyError::TooNew {
            ahead_secs: skew,
            tolerance_secs,
        })
    }
}

/// The ids of accepted messages, each kept until its timestamp falls out of
/// the window (when the time check refuses it anyway), so memory is bounded
/// by the messages of one window, and at most `max_ids`.
#[derive(Debug)]
pub struct ReplayGuard {
    window_secs: i64,
    max_ids: usize,
    /// Id to the unix second after which it is forgotten.
    expiry: HashMap<String, i64>,
    /// The same entries ordered by expiry, to forget the old ones cheaply.
    by_expiry: BTreeSet<(i64, String)>,
}

impl ReplayGuard {
    /// A guard for messages accepted up to `window` from their timestamp,
    /// remembering at most `max_ids` ids.
    pub fn new(window: Duration, max_ids: usize) -> ReplayGuard {
        ReplayGuard {
            window_secs: i64::try_from(window.as_secs()).unwrap_or(i64::MAX),
            max_ids,
            expiry: HashMap::new(),
            by_expiry: BTreeSet::new(),
        }
    }

    /// Remembers `id`, sent at `sent`, unless it was seen before; first
    /// forgets the ids whose window ended before `now`.
    pub fn remember(
        &mut self,
        id: &str,
        sent: Timestamp,
        now: Timestamp,
    ) -> Result<(), VerifyError> {
        self.forget_expired(now);
        if self.expiry.contains_key(id) {
            return Err(VerifyError::Replayed { id: id.to_string() });
        }
        if self.expiry.len() >= self.max_ids {
            return Err(VerifyError::TooManyMessages { max: self.max_ids });
        }
        let until = sent.as_second().saturating_add(self.window_secs);
        self.expiry.insert(id.to_string(), until);
        self.by_expiry.insert((until, id.to_string()));
        Ok(())
    }

    /// Forgets `id`, if remembered.
    pub fn forget(&mut self, id: &str) {
        if let Some(until) = self.expiry.remove(id) {
            self.by_expiry.remove(&(until, id.to_string()));
        }
    }

    /// Forgets every id whose window ended before `now`.
    pub fn forget_expired(&mut self, now: Timestamp) {
        let now = now.as_second();
        while let Some((until, _)) = self.by_expiry.first() {
            if *until >= now {
                break;
            }
            if let Some((_, id)) = self.by_expiry.pop_first() {
                self.expiry.remove(&id);
            }
        }
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.expiry.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.expiry.is_empty()
    }
}
