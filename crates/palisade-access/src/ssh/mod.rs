//! Palisade's SSH certificate authority: OpenSSH user certificates valid
//! exactly for a grant's window, and the key revocation list (KRL) sshd
//! reads.
//!
//! - [`CaKey`]: the CA's Ed25519 key, generated and held by Palisade and
//!   stored only sealed ([`CaKey::seal`], [`CaKey::open`]); its
//!   [`CaPublicKey`] goes in sshd's `TrustedUserCAKeys`.
//! - [`CaKey::issue`]: a user certificate for a [`UserPublicKey`], for the
//!   caller's principals and window, with the grant id as key id, the
//!   caller's serial, an optional `source-address` ([`SourceAddresses`]) and
//!   the extensions in [`EXTENSIONS`].
//! - [`Krl`]: the revoked serials and key ids, encoded for sshd's
//!   `RevokedKeys`.
//!
//! What it is not: it does not write files, assign serials or read the
//! clock. The caller gives the window and the serial and writes the KRL.

mod ca;
mod krl;
mod pubkey;
mod source;

pub use ca::{
    CA_COMMENT, CaKey, CaKeyError, CaPublicKey, Certificate, CertificateRequest, EXTENSIONS,
    IssueError, MAX_KEY_ID_LEN, MAX_PRINCIPALS,
};
pub use krl::{KRL_COMMENT, Krl, KrlError};
pub use pubkey::{MIN_RSA_BITS, PublicKeyError, SUPPORTED_KEY_TYPES, UserPublicKey};
pub use source::{MAX_SOURCE_NETWORKS, SourceAddressError, SourceAddresses};
