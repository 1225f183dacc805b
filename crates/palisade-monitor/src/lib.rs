//! Palisade's activity monitor: the logs a company already has (GitHub and
//! GitLab audit logs, sshd's auth log, the journal, any NDJSON) read into one
//! normalised [`event::Event`], each actor resolved to a person of the model
//! through the identities index, so detectors can judge activity against who
//! is supposed to work when, on what, with which grant.
//!
//! - [`event`]: the normalised event and its parts.
//! - [`parse`]: one parser per source, each turning a line into an event or a
//!   counted [`parse::Problem`]; never a panic, never a stop of the whole read.
//! - [`resolve`]: actors to people.
//! - [`finding`]: what detectors report, and the grants they judge against.
//! - [`persist`]: events kept in the store, in batches.
//! - [`follow`]: a growing log read line by line by its name, across rotation
//!   and truncation, with the position to resume from kept in the store.
//! - [`alerts`]: findings deduplicated into alerts, their states, each change
//!   ledgered, and deliveries queued in the same transaction.
//! - [`deliver`]: the queued deliveries posted to Slack-compatible and signed
//!   webhooks, retried with backoff across restarts.
//! - [`order`]: events in time order, whatever order a log was written in
//!   (newest first, interleaved hosts, a clock set back), with what it took
//!   counted.
//! - [`detect`]: the detectors, judging events against the model and what
//!   they learned of each person.
//!
//! Nothing here prints, exits or reads the clock: the caller passes the time.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

pub mod alerts;
pub mod deliver;
pub mod detect;
pub mod event;
pub mod finding;
pub mod follow;
pub mod learned;
pub mod order;
pub mod parse;
pub mod persist;
pub mod read;
pub mod resolve;
