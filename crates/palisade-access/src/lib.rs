//! Just-in-time access: requests for a role for a bounded time, decided by
//! Cedar policies generated from the model, and credentials that expire by
//! themselves.
//!
//! - [`request`]: a request's states and the transitions between them;
//!   [`grants`]: each step over the store and the ledger, atomic with the
//!   entry that records it.
//! - [`policy`]: the Cedar schema, policies and entities generated from the
//!   model, and the decision (with the policies that made it) on a request.
//! - [`review`]: access review campaigns: every standing role and grant
//!   kept or revoked by an eligible reviewer with a reason, settled at the
//!   deadline.
//! - [`offboard`]: a person, team or vendor leaving at once: every grant
//!   withdrawn, the services to move, the shared credentials to rotate and
//!   the contract's exit checklist, each step ledgered.
//! - [`ssh`]: Palisade's SSH certificate authority: OpenSSH user certificates
//!   valid exactly for a grant's window, and the key revocation list (KRL)
//!   sshd reads.
//! - [`postgres`]: temporary PostgreSQL login roles that expire with their
//!   grant, members of the database roles the model maps each access kind to.
//! - [`secrets`]: secrets at rest (the CA key, database admin credentials),
//!   sealed with AES-256-GCM under a key the caller hands in.
//! - [`webhook`]: signed webhooks (Standard Webhooks) that tell other
//!   systems of grants and revocations, with their verification.
//!
//! Nothing here prints, exits or reads the clock: the caller passes the time.

pub mod credentials;
pub mod grants;
pub mod keyring;
pub mod notify;
pub mod offboard;
pub mod policy;
pub mod postgres;
pub mod request;
pub mod review;
pub mod secrets;
pub mod ssh;
pub mod webhook;
