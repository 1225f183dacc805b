//! Signed webhooks for access events, as the Standard Webhooks
//! specification gives them, so "every other system" hears of each grant
//! and revocation and can trust what it hears.
//!
//! Every message carries three headers:
//!
//! ```text
//! webhook-id:        msg_<random>          the same on every attempt
//! webhook-timestamp: <unix seconds>        the attempt's time
//! webhook-signature: v1,<base64>           HMAC-SHA256 of "{id}.{timestamp}.{body}"
//! ```
//!
//! - [`WebhookSecret`]: the shared key, written `whsec_<base64>`, 24 to 64
//!   bytes; zeroed on drop, never in `Debug` or errors.
//! - [`sign`] and [`Message`]: the signature, and an event with a fresh id
//!   and its JSON body `{"type", "timestamp", "data"}`.
//! - [`Verifier`]: the receiver's checks, each refusal its own
//!   [`VerifyError`]: headers, signature (constant time, any of several
//!   secrets during a rotation), the timestamp within a tolerance, and an id
//!   not seen before ([`ReplayGuard`]).
//! - [`Sender`]: posts a message over HTTP(S), retrying what may succeed
//!   later with exponential backoff, and reports each [`Attempt`].
//!
//! What it is not: it does not decide when to send, store messages or read
//! the clock; the caller passes the time.

mod secret;
mod send;
mod sign;
mod verify;

pub use secret::{
    GENERATED_SECRET_LEN, MAX_SECRET_LEN, MIN_SECRET_LEN, SECRET_PREFIX, SecretError, WebhookSecret,
};
pub use send::{
    Attempt, Delivery, DeliveryError, Outcome, RESPONSE_EXCERPT_LEN, Sender, SenderError,
    SenderOptions,
};
pub use sign::{
    EventType, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_ID_LEN, MESSAGE_ID_PREFIX,
    Message, MessageError, SignedHeaders, sign, sign_all,
};
pub use verify::{
    DEFAULT_MAX_REMEMBERED_IDS, DEFAULT_TOLERANCE, Event, ReplayGuard, VerifiedMessage, Verifier,
    VerifierError, VerifyError, WebhookHeaders,
};
