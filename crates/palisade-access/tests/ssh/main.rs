//! The SSH certificate authority and sealed secrets, checked against the
//! real OpenSSH tools: `ssh-keygen` reads our certificates and KRLs, and a
//! real `sshd` on loopback accepts or refuses logins with them.
//!
//! The OpenSSH tools come from `scripts/ensure-sshd`; without them the tests
//! that need them skip with a note, except under `CI=true`, where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod certs;
mod krl;
mod props;
mod pubkey;
mod secrets;
mod sshd;
mod support;
