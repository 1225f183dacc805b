//! Signed access webhooks: signing and verifying (each refusal with its own
//! error), the Standard Webhooks reference library (`standardwebhooks` on
//! PyPI) verifying what we sign and signing what we verify, and delivery to
//! real HTTP receivers on loopback.
//!
//! The Python library comes from `scripts/ensure-tools`; without it the
//! tests that need it skip with a note, except under `CI=true`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod secret;
mod send;
mod standardwebhooks;
mod verify;

use jiff::Timestamp;
use palisade_access::webhook::{EventType, Message, WebhookSecret};

/// A fixed time, so tests read the same every run.
fn t0() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn secret() -> WebhookSecret {
    WebhookSecret::generate().unwrap()
}

fn granted(at: Timestamp) -> Message {
    Message::new(
        EventType::Granted,
        at,
        serde_json::json!({
            "request": "req-42",
            "person": "ada",
            "role": "prod-db-reader",
            "until": "2026-03-01T14:00:00Z",
        }),
    )
    .unwrap()
}
