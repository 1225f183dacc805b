//! The certificate authority's key and the user certificates it issues.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use ssh_key::certificate::{Builder, CertType};
use ssh_key::private::{Ed25519Keypair, Ed25519PrivateKey};
use ssh_key::{HashAlg, PrivateKey, PublicKey};
use zeroize::Zeroizing;

use super::pubkey::UserPublicKey;
use super::source::SourceAddresses;
use crate::secrets::{self, Key, LABEL_SSH_CA_KEY, OpenError, SealError};

/// The comment on the CA's public key line.
pub const CA_COMMENT: &str = "palisade-ssh-ca";

/// The most principals one certificate may name (OpenSSH's own limit).
pub const MAX_PRINCIPALS: usize = 256;

/// The longest key id accepted, in bytes.
pub const MAX_KEY_ID_LEN: usize = 256;

/// The extensions every certificate carries. Only a terminal: no agent,
/// port or X11 forwarding (each would carry access past the host the grant
/// names, or expose the user's own agent to it), and no `~/.ssh/rc` (a
/// script run at every login that outlives the grant).
pub const EXTENSIONS: &[&str] = &["permit-pty"];

const NONCE_LEN: usize = 32;

/// Palisade's SSH certificate authority: an Ed25519 key that signs user
/// certificates. Its secret half is zeroed on drop, never shown by `Debug`,
/// and stored only sealed ([`CaKey::seal`]).
#[derive(Clone)]
pub struct CaKey {
    private: PrivateKey,
}

/// The CA's public key: what sshd's `TrustedUserCAKeys` names, and what a
/// KRL's certificate section names.
#[derive(Clone, PartialEq, Eq)]
pub struct CaPublicKey {
    key: PublicKey,
}

/// Why a CA key could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaKeyError {
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {reason}")]
    Random {
        /// What the operating system said.
        reason: String,
    },
}

/// What to put in a user certificate. Every field is the caller's: the
/// window comes from the grant, never from a clock read here.
#[derive(Clone, Debug)]
pub struct CertificateRequest<'a> {
    /// The user's public key the certificate is for.
    pub public_key: &'a UserPublicKey,
    /// The key id: the grant id. sshd logs it at every login.
    pub key_id: &'a str,
    /// The serial number, unique per CA and not 0 (a KRL revokes by it).
    pub serial: u64,
    /// The principals (login names) the certificate is valid for: the
    /// person's `ssh_principals` allowed on the resource.
    pub principals: &'a [String],
    /// The start of the grant window.
    pub valid_after: Timestamp,
    /// The end of the grant window.
    pub valid_before: Timestamp,
    /// The longest window the caller allows (the role's maximum duration).
    pub max_validity: SignedDuration,
    /// The networks the certificate may be used from, if limited.
    pub source_address: Option<&'a SourceAddresses>,
}

/// Why a certificate was not issued.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum IssueError {
    /// No principals: the certificate would be valid for any user.
    #[error(
        "no principals: a certificate without principals would log in as anyone, so it is never issued"
    )]
    NoPrincipals,
    /// More principals than OpenSSH accepts.
    #[error("{found} principals; OpenSSH accepts at most {MAX_PRINCIPALS}")]
    TooManyPrincipals {
        /// The number given.
        found: usize,
    },
    /// A principal that is empty or has a comma, whitespace or a control
    /// character.
    #[error(
        "the principal {principal:?} is not a valid login name (empty, or with a comma, whitespace or control character)"
    )]
    Principal {
        /// The principal.
        principal: String,
    },
    /// An empty key id.
    #[error("the key id is empty; it must be the grant id")]
    EmptyKeyId,
    /// A key id with control characters or longer than the limit.
    #[error(
        "the key id {key_id:?} is not valid: at most {MAX_KEY_ID_LEN} bytes without control characters"
    )]
    KeyId {
        /// The key id.
        key_id: String,
    },
    /// Serial 0, which a KRL cannot revoke.
    #[error("serial 0 is reserved (a KRL cannot revoke it); serials start at 1")]
    ZeroSerial,
    /// A window that ends before (or when) it starts.
    #[error("the window ends at {valid_before}, which is not after its start at {valid_after}")]
    WindowEndsBeforeStart {
        /// The start given.
        valid_after: Timestamp,
        /// The end given.
        valid_before: Timestamp,
    },
    /// A window longer than the caller's maximum.
    #[error("the window lasts {length:#}, longer than the maximum of {max:#}")]
    WindowTooLong {
        /// The window's length.
        length: SignedDuration,
        /// The maximum given.
        max: SignedDuration,
    },
    /// A window that starts before 1970, which certificates cannot express.
    #[error(
        "the window starts at {valid_after}, before 1970-01-01, which a certificate cannot express"
    )]
    BeforeEpoch {
        /// The start given.
        valid_after: Timestamp,
    },
    /// The operating system's random source failed (for the nonce).
    #[error("the operating system's random source failed: {reason}")]
    Random {
        /// What the operating system said.
        reason: String,
    },
    /// The certificate library refused the certificate.
    #[error("the certificate could not be built: {reason}")]
    Build {
        /// What the library said.
        reason: String,
    },
}

/// An issued OpenSSH user certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    cert: ssh_key::Certificate,
}

impl CaKey {
    /// A new CA key from the operating system's random source.
    pub fn generate() -> Result<CaKey, CaKeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|e| CaKeyError::Random {
            reason: e.to_string(),
        })?;
        Ok(CaKey::from_seed(&seed))
    }

    /// The CA key whose Ed25519 secret is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> CaKey {
        let keypair = Ed25519Keypair::from(Ed25519PrivateKey::from_bytes(seed));
        let private = PrivateKey::new(keypair.into(), CA_COMMENT)
            .expect("an Ed25519 keypair with a comment makes a private key");
        CaKey { private }
    }

    /// The CA's public key.
    pub fn public_key(&self) -> CaPublicKey {
        CaPublicKey {
            key: self.private.public_key().clone(),
        }
    }

    /// Issues a user certificate for `request`, signed by this CA.
    ///
    /// The window is rounded inward to whole seconds (the start up, the end
    /// down), so the certificate never outlasts the grant; sshd accepts it
    /// from `valid_after` up to, not including, `valid_before`.
    pub fn issue(&self, request: &CertificateRequest<'_>) -> Result<Certificate, IssueError> {
        let principals = check_principals(request.principals)?;
        check_key_id(request.key_id)?;
        if request.serial == 0 {
            return Err(IssueError::ZeroSerial);
        }
        let (valid_after, valid_before) = check_window(request)?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| IssueError::Random {
            reason: e.to_string(),
        })?;
        let build = |e: ssh_key::Error| IssueError::Build {
            reason: e.to_string(),
        };
        let mut builder = Builder::new(
            nonce.to_vec(),
            request.public_key.key_data().clone(),
            valid_after,
            valid_before,
        )
        .map_err(build)?;
        builder
            .serial(request.serial)
            .and_then(|b| b.cert_type(CertType::User))
            .and_then(|b| b.key_id(request.key_id))
            .and_then(|b| b.comment(request.key_id))
            .map_err(build)?;
        for principal in principals {
            builder.valid_principal(principal).map_err(build)?;
        }
        if let Some(source) = request.source_address {
            builder
                .critical_option("source-address", source.to_option_value())
                .map_err(build)?;
        }
        for extension in EXTENSIONS {
            builder.extension(*extension, "").map_err(build)?;
        }
        let cert = builder.sign(&self.private).map_err(build)?;
        Ok(Certificate { cert })
    }

    /// The CA key sealed under `key` (label [`LABEL_SSH_CA_KEY`]): the only
    /// form in which it is stored.
    pub fn seal(&self, key: &Key) -> Result<String, SealError> {
        let seed = Zeroizing::new(self.seed());
        secrets::seal(key, LABEL_SSH_CA_KEY, seed.as_ref())
    }

    /// Opens a CA key sealed by [`CaKey::seal`].
    pub fn open(sealed: &str, key: &Key) -> Result<CaKey, OpenError> {
        let plaintext = secrets::open(key, LABEL_SSH_CA_KEY, sealed)?;
        let seed: &[u8; 32] = plaintext
            .as_slice()
            .try_into()
            .map_err(|_| OpenError::Contents {
                label: LABEL_SSH_CA_KEY,
                reason: "an Ed25519 CA key has 32 bytes",
            })?;
        Ok(CaKey::from_seed(seed))
    }

    fn seed(&self) -> [u8; 32] {
        let keypair = self
            .private
            .key_data()
            .ed25519()
            .expect("a CaKey is always Ed25519");
        keypair.private.to_bytes()
    }
}

impl fmt::Debug for CaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CaKey({}, private key redacted)",
            self.public_key().fingerprint()
        )
    }
}

impl CaPublicKey {
    /// Parses the CA's public key line (e.g. from sshd's
    /// `TrustedUserCAKeys` file).
    pub fn parse(line: &str) -> Result<CaPublicKey, super::PublicKeyError> {
        let user = UserPublicKey::parse(line)?;
        Ok(CaPublicKey {
            key: PublicKey::new(user.key_data().clone(), user.comment()),
        })
    }

    /// The key as one OpenSSH line, for sshd's `TrustedUserCAKeys`.
    pub fn to_openssh(&self) -> String {
        self.key
            .to_openssh()
            .expect("an Ed25519 public key encodes")
    }

    /// The key's SHA-256 fingerprint as OpenSSH shows it: `SHA256:…`.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// The key in SSH wire encoding (the blob inside the OpenSSH line).
    pub fn to_wire(&self) -> Vec<u8> {
        self.key.to_bytes().expect("an Ed25519 public key encodes")
    }
}

impl fmt::Debug for CaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaPublicKey({})", self.fingerprint())
    }
}

impl Certificate {
    /// The certificate as one OpenSSH line, for the user's
    /// `…-cert.pub` file.
    pub fn to_openssh(&self) -> String {
        self.cert
            .to_openssh()
            .expect("a certificate just signed encodes")
    }

    /// The serial number.
    pub fn serial(&self) -> u64 {
        self.cert.serial()
    }

    /// The key id (the grant id).
    pub fn key_id(&self) -> &str {
        self.cert.key_id()
    }

    /// The principals it is valid for.
    pub fn principals(&self) -> &[String] {
        self.cert.valid_principals()
    }

    /// The first second it is valid.
    pub fn valid_after(&self) -> Timestamp {
        unix_seconds(self.cert.valid_after())
    }

    /// The first second it is no longer valid.
    pub fn valid_before(&self) -> Timestamp {
        unix_seconds(self.cert.valid_before())
    }

    /// The fingerprint of the user's key it certifies.
    pub fn subject_fingerprint(&self) -> String {
        self.cert
            .public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string()
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("serial", &self.serial())
            .field("key_id", &self.key_id())
            .field("principals", &self.principals())
            .field("valid_after", &self.valid_after())
            .field("valid_before", &self.valid_before())
            .finish()
    }
}

fn unix_seconds(secs: u64) -> Timestamp {
    i64::try_from(secs)
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
        .unwrap_or(Timestamp::MAX)
}

fn check_principals(principals: &[String]) -> Result<Vec<&str>, IssueError> {
    if principals.is_empty() {
        return Err(IssueError::NoPrincipals);
    }
    if principals.len() > MAX_PRINCIPALS {
        return Err(IssueError::TooManyPrincipals {
            found: principals.len(),
        });
    }
    let mut out: Vec<&str> = Vec::with_capacity(principals.len());
    for principal in principals {
        let bad = principal.is_empty()
            || principal.len() > MAX_KEY_ID_LEN
            || principal
                .chars()
                .any(|c| c == ',' || c.is_whitespace() || c.is_control());
        if bad {
            return Err(IssueError::Principal {
                principal: principal.chars().take(80).collect(),
            });
        }
        if !out.contains(&principal.as_str()) {
            out.push(principal);
        }
    }
    Ok(out)
}

fn check_key_id(key_id: &str) -> Result<(), IssueError> {
    if key_id.is_empty() {
        return Err(IssueError::EmptyKeyId);
    }
    if key_id.len() > MAX_KEY_ID_LEN || key_id.chars().any(char::is_control) {
        return Err(IssueError::KeyId {
            key_id: key_id.chars().take(80).collect(),
        });
    }
    Ok(())
}

fn check_window(request: &CertificateRequest<'_>) -> Result<(u64, u64), IssueError> {
    let (start, end) = (request.valid_after, request.valid_before);
    if end <= start {
        return Err(IssueError::WindowEndsBeforeStart {
            valid_after: start,
            valid_before: end,
        });
    }
    let length = end.duration_since(start);
    if length > request.max_validity {
        return Err(IssueError::WindowTooLong {
            length,
            max: request.max_validity,
        });
    }
    let after = start.as_second() + i64::from(start.subsec_nanosecond() > 0);
    let before = end.as_second();
    let after = u64::try_from(after).map_err(|_| IssueError::BeforeEpoch { valid_after: start })?;
    let before =
        u64::try_from(before).map_err(|_| IssueError::BeforeEpoch { valid_after: start })?;
    if before <= after {
        // A window inside one second: nothing is left once rounded inward.
        return Err(IssueError::WindowEndsBeforeStart {
            valid_after: start,
            valid_before: end,
        });
    }
    Ok((after, before))
}
