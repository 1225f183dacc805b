//! A user's OpenSSH public key, as pasted from a `.pub` file.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ssh_key::public::KeyData;
use ssh_key::{HashAlg, PublicKey};

/// The key types a certificate may be issued for. DSA is absent: OpenSSH
/// no longer accepts it.
pub const SUPPORTED_KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-rsa",
];

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// A user's public key, parsed and checked: a key type Palisade issues
/// certificates for, whose encoded key matches the type the line names.
#[derive(Clone, PartialEq, Eq)]
pub struct UserPublicKey {
    key: PublicKey,
}

/// Why a public key line was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKeyError {
    /// Nothing but whitespace.
    #[error(
        "the public key is empty: paste one line of a .pub file, e.g. `ssh-ed25519 AAAA… you@host`"
    )]
    Empty,
    /// A private key was given.
    #[error(
        "this is a private key, not a public key: give the .pub file instead, and keep the private key to yourself"
    )]
    PrivateKey,
    /// A key in the RFC 4716 (SSH2, PuTTY export) format.
    #[error(
        "this is an RFC 4716 (SSH2) public key; convert it with `ssh-keygen -i -f FILE` and give the one-line result"
    )]
    Rfc4716,
    /// More than one non-empty line.
    #[error("the public key has {lines} lines; give exactly one key")]
    MultipleLines {
        /// The number of non-empty lines.
        lines: usize,
    },
    /// An `authorized_keys` line with options before the key type.
    #[error(
        "this looks like an authorized_keys line with options ({options:?} before the key type); give just the public key"
    )]
    Options {
        /// The text before the key type.
        options: String,
    },
    /// A certificate was given instead of a plain key.
    #[error(
        "{found:?} is a certificate, not a public key: give the key it was issued for (the .pub file)"
    )]
    Certificate {
        /// The certificate type named.
        found: String,
    },
    /// A key type OpenSSH no longer accepts.
    #[error(
        "{found:?} keys are no longer accepted by OpenSSH; make a new key with `ssh-keygen -t ed25519`"
    )]
    Deprecated {
        /// The key type named.
        found: String,
    },
    /// A key type this parser does not know.
    #[error("unknown key type {found:?}; expected one of: {}", SUPPORTED_KEY_TYPES.join(", "))]
    UnknownType {
        /// The first word of the line.
        found: String,
    },
    /// The key type without the key.
    #[error("the line names the key type {key_type:?} but has no key data after it")]
    MissingKeyData {
        /// The key type named.
        key_type: String,
    },
    /// The key data is not base64.
    #[error("the key data is not valid base64: {reason}")]
    Base64 {
        /// What the decoder said.
        reason: String,
    },
    /// The decoded key data is not a valid key of any known type.
    #[error("the key data does not hold a valid {key_type} key: {reason}")]
    KeyData {
        /// The key type named on the line.
        key_type: String,
        /// What the decoder said.
        reason: String,
    },
    /// The line names one key type and the key data holds another.
    #[error(
        "the line names a {line} key but its key data holds a {data} key; was the line edited?"
    )]
    TypeMismatch {
        /// The type named on the line.
        line: String,
        /// The type inside the key data.
        data: String,
    },
    /// An RSA key with too short a modulus.
    #[error(
        "the RSA key has {bits} bits; at least {MIN_RSA_BITS} are required (or use `ssh-keygen -t ed25519`)"
    )]
    RsaTooShort {
        /// The modulus length in bits.
        bits: usize,
    },
}

impl UserPublicKey {
    /// Parses one OpenSSH public key line: `TYPE BASE64 [COMMENT]`.
    /// Surrounding whitespace and blank lines are ignored.
    pub fn parse(text: &str) -> Result<UserPublicKey, PublicKeyError> {
        if text.contains("PRIVATE KEY-----") {
            return Err(PublicKeyError::PrivateKey);
        }
        if text.contains("---- BEGIN SSH2 PUBLIC KEY ----") {
            return Err(PublicKeyError::Rfc4716);
        }
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let line = match lines.as_slice() {
            [] => return Err(PublicKeyError::Empty),
            [line] => *line,
            many => return Err(PublicKeyError::MultipleLines { lines: many.len() }),
        };
        let mut words = line.split_ascii_whitespace();
        let key_type = words.next().ok_or(PublicKeyError::Empty)?;
        check_key_type(line, key_type)?;
        let data = words.next().ok_or_else(|| PublicKeyError::MissingKeyData {
            key_type: key_type.to_owned(),
        })?;
        let comment = words.collect::<Vec<_>>().join(" ");
        let blob = BASE64.decode(data).map_err(|e| PublicKeyError::Base64 {
            reason: e.to_string(),
        })?;
        let key = PublicKey::from_bytes(&blob).map_err(|e| PublicKeyError::KeyData {
            key_type: key_type.to_owned(),
            reason: e.to_string(),
        })?;
        let data_type = key.algorithm().as_str().to_owned();
        if data_type != key_type {
            return Err(PublicKeyError::TypeMismatch {
                line: key_type.to_owned(),
                data: data_type,
            });
        }
        if let KeyData::Rsa(rsa) = key.key_data() {
            let bits = modulus_bits(rsa.n.as_positive_bytes().unwrap_or_default());
            if bits < MIN_RSA_BITS {
                return Err(PublicKeyError::RsaTooShort { bits });
            }
        }
        Ok(UserPublicKey {
            key: PublicKey::new(key.key_data().clone(), comment),
        })
    }

    /// The key type, e.g. `ssh-ed25519`.
    pub fn key_type(&self) -> String {
        self.key.algorithm().as_str().to_owned()
    }

    /// The comment after the key on its line (often `user@host`), or `""`.
    pub fn comment(&self) -> &str {
        self.key.comment()
    }

    /// The key's SHA-256 fingerprint as OpenSSH shows it: `SHA256:…`.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// The key as one OpenSSH line, with its comment.
    pub fn to_openssh(&self) -> String {
        self.key
            .to_openssh()
            .expect("a parsed public key encodes again")
    }

    pub(crate) fn key_data(&self) -> &KeyData {
        self.key.key_data()
    }
}

impl FromStr for UserPublicKey {
    type Err = PublicKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UserPublicKey::parse(s)
    }
}

impl fmt::Debug for UserPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "UserPublicKey({} {})",
            self.key_type(),
            self.fingerprint()
        )
    }
}

fn check_key_type(line: &str, key_type: &str) -> Result<(), PublicKeyError> {
    if SUPPORTED_KEY_TYPES.contains(&key_type) {
        return Ok(());
    }
    if key_type.contains("-cert-v01@openssh.com") {
        return Err(PublicKeyError::Certificate {
            found: key_type.to_owned(),
        });
    }
    if key_type == "ssh-dss" {
        return Err(PublicKeyError::Deprecated {
            found: key_type.to_owned(),
        });
    }
    // `from="10.0.0.0/8",no-pty ssh-ed25519 AAAA…`: a key type further on.
    for known in SUPPORTED_KEY_TYPES {
        let needle = format!(" {known} ");
        if let Some(at) = line.find(&needle) {
            return Err(PublicKeyError::Options {
                options: line[..at].trim().chars().take(80).collect(),
            });
        }
    }
    Err(PublicKeyError::UnknownType {
        found: key_type.chars().take(80).collect(),
    })
}

fn modulus_bits(bytes: &[u8]) -> usize {
    let bytes = match bytes.iter().position(|b| *b != 0) {
        Some(first) => &bytes[first..],
        None => return 0,
    };
    (bytes.len() - 1) * 8 + (8 - bytes[0].leading_zeros() as usize)
}
