//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys.
//!
//! A note is UTF-8 text with no control character other than newline,
//! ending in a newline, then a blank line, then one or more signature lines:
//!
//! ```text
//! example.com/log
//! 42
//! <base64 root>
//!
//! — example.com/log <base64(key id || Ed25519 signature)>
//! ```
//!
//! Each signature line is an em dash (U+2014), a space, the key name, a
//! space, and base64 of the 4-byte key id (big-endian) followed by the
//! signature. The note text (everything before the blank line, including
//! its final newline) is what an Ed25519 key signs.
//!
//! Keys: the key id is the first 4 bytes of
//! `SHA-256(name || "\n" || algorithm || public key)`, algorithm byte 0x01
//! for Ed25519 note signatures and 0x04 for `cosignature/v1` witness keys
//! ([`crate::cosignature`]). A verifier key is written
//! `<name>+<key id, 8 hex>+<base64(algorithm || public key)>`, a signer key
//! `PRIVATE+KEY+<name>+<key id>+<base64(algorithm || 32-byte seed)>`. Key
//! names are non-empty and hold no whitespace, no control character and no
//! `+`. Key texts are parsed by [`palisade_model::note_key`], the one parser
//! that the model's `check` uses too, so both accept and refuse the same keys
//! for the same reasons.
//!
//! Verification ([`Note::verify`]) follows the specification's rules:
//!
//! - a key is identified by its name *and* key id: a signature whose name or
//!   id (but not both) matches a known key is by an unknown key, and ignored
//!   (so a log that rotates its key may sign with the old and the new one);
//! - a signature by a known key must verify, or the note is refused;
//! - at least one signature by a known key must verify.
//!
//! Parsing accepts what Go's `golang.org/x/mod/sumdb/note` accepts: base64
//! whose unused trailing bits are not zero, as Go's decoder allows. A
//! signature line whose base64 cannot be read at all, or is too short to
//! hold a key id, cannot name a key id; it is kept aside and ignored unless
//! its name is a known key's, when it is refused with its line. A note may
//! carry at most [`MAX_SIGNATURES`] signature lines, as Go allows.
//! Control characters are those below U+0020, as Go checks.

use std::fmt;

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use palisade_model::note_key::{self, name_problem, parse_key_id, parse_key_material};
pub use palisade_model::note_key::{Algorithm, KeyError, key_id};

use crate::b64;

/// The most signatures a note may carry.
pub const MAX_SIGNATURES: usize = 100;

/// The start of every signature line: an em dash and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// What is wrong with a note, a key or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The bytes are not UTF-8.
    #[error("line {line}: the note is not valid UTF-8")]
    InvalidUtf8 {
        /// The line, from 1.
        line: usize,
    },
    /// A control character other than newline.
    #[error("line {line}: control character U+{code:04X} is not allowed in a note")]
    ControlCharacter {
        /// The line, from 1.
        line: usize,
        /// The character's code point.
        code: u32,
    },
    /// The note text is empty.
    #[error("the note text is empty")]
    EmptyText,
    /// The note text does not end with a newline.
    #[error("the note text must end with a newline")]
    TextNotTerminated,
    /// No blank line separates the text from signatures.
    #[error("no signatures: a blank line and signature lines must follow the text")]
    NoSignatureBlock,
    /// The blank line is not followed by any signature line.
    #[error("line {line}: expected a signature line after the blank line")]
    NoSignatures {
        /// The line, from 1.
        line: usize,
    },
    /// The note does not end with a newline.
    #[error("line {line}: the last signature line must end with a newline")]
    SignatureNotTerminated {
        /// The line, from 1.
        line: usize,
    },
    /// A signature line does not start with "— ".
    #[error("line {line}: a signature line must start with an em dash (U+2014) and a space")]
    SignaturePrefix {
        /// The line, from 1.
        line: usize,
    },
    /// A signature line's key name is invalid.
    #[error("line {line}: signature key name {name:?} {reason}")]
    SignatureName {
        /// The line, from 1.
        line: usize,
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A signature line has no space between name and signature.
    #[error("line {line}: a signature line must be \"— <name> <base64 signature>\"")]
    SignatureFields {
        /// The line, from 1.
        line: usize,
    },
    /// A signature is not canonical base64.
    #[error("line {line}: the signature is not valid base64")]
    SignatureBase64 {
        /// The line, from 1.
        line: usize,
    },
    /// A signature is shorter than a key id and one byte.
    #[error(
        "line {line}: the signature has {len} bytes; at least 5 (key id and signature) are needed"
    )]
    SignatureTooShort {
        /// The line, from 1.
        line: usize,
        /// Its length.
        len: usize,
    },
    /// Too many signature lines.
    #[error("line {line}: the note has more than {max} signatures")]
    TooManySignatures {
        /// The line of the first signature over the limit, from 1.
        line: usize,
        /// The limit.
        max: usize,
    },
    /// A key text is not a valid key: its name, its form, its algorithm, or a key id
    /// that is not the one its name and key give.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A key of the wrong algorithm was used.
    #[error("key {name:?} is a {found} key; this needs a {expected} key")]
    WrongAlgorithm {
        /// The key name.
        name: String,
        /// The key's algorithm.
        found: Algorithm,
        /// The algorithm needed.
        expected: Algorithm,
    },
    /// A signature by a known key does not verify.
    #[error("line {line}: signature by key {name:?} ({key_id:08x}) is not valid")]
    InvalidSignature {
        /// The line, from 1.
        line: usize,
        /// The key name.
        name: String,
        /// The key id.
        key_id: u32,
    },
    /// No signature is by a known key.
    #[error("no signature by a known key (signed by: {})", .signers.join(", "))]
    NoKnownSignature {
        /// The names of the keys that did sign.
        signers: Vec<String>,
    },
}

/// Checks a key name.
pub fn check_key_name(name: &str) -> Result<(), NoteError> {
    Ok(note_key::check_key_name(name)?)
}

fn encode_key_material(algorithm: Algorithm, key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(33);
    bytes.push(algorithm.byte());
    bytes.extend_from_slice(key);
    b64::encode(&bytes)
}

/// A private signing key. Its `Debug` never shows the seed.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    algorithm: Algorithm,
    key_id: u32,
    key: SigningKey,
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .field("seed", &format_args!("<redacted>"))
            .finish()
    }
}

impl SignerKey {
    /// An Ed25519 note-signing key from a 32-byte seed the caller drew from a
    /// cryptographic random source.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        Self::with_algorithm(name, Algorithm::Ed25519, seed)
    }

    /// A key of the given algorithm from a 32-byte seed.
    pub fn with_algorithm(
        name: &str,
        algorithm: Algorithm,
        seed: [u8; 32],
    ) -> Result<Self, NoteError> {
        check_key_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let key_id = key_id(name, algorithm, key.verifying_key().as_bytes());
        Ok(SignerKey {
            name: name.to_owned(),
            algorithm,
            key_id,
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<key id>+<base64(algorithm || seed)>`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let rest = text.strip_prefix("PRIVATE+KEY+").ok_or(KeyError::Format {
            reason: "a signer key must start with \"PRIVATE+KEY+\"",
        })?;
        let mut fields = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(material)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(KeyError::Format {
                reason: "a signer key must be PRIVATE+KEY+<name>+<key id>+<key>",
            }
            .into());
        };
        check_key_name(name)?;
        let found = parse_key_id(id)?;
        let (algorithm, seed) = parse_key_material(material)?;
        let key = Self::with_algorithm(name, algorithm, seed)?;
        if key.key_id != found {
            return Err(KeyError::IdMismatch {
                name: name.to_owned(),
                found,
                expected: key.key_id,
            }
            .into());
        }
        Ok(key)
    }

    /// The key's text, `PRIVATE+KEY+…`, which holds the secret seed.
    pub fn private_key_text(&self) -> String {
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_key_material(self.algorithm, self.key.as_bytes())
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The matching public key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            algorithm: self.algorithm,
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// The Ed25519 signature of `message`, for formats other than notes that
    /// the ledger key signs (DSSE envelopes, [`crate::dsse`]); the matching
    /// raw public key is `self.verifier().public_key()`.
    ///
    /// Only an Ed25519 note key signs this way: a witness key
    /// (`cosignature/v1`) is refused, so it never vouches for anything but
    /// checkpoints. The message must say what it is, as DSSE's
    /// pre-authentication encoding does with its `DSSEv1` prefix: a
    /// signature made here is also a note signature over the same bytes, so
    /// they must never read as a note a verifier acts on (a checkpoint's
    /// first line is its log's origin, never `DSSEv1 …`).
    pub fn sign_raw(&self, message: &[u8]) -> Result<[u8; 64], NoteError> {
        self.require(Algorithm::Ed25519)?;
        Ok(self.sign_bytes(message))
    }

    /// Signs raw bytes (the caller builds the algorithm's message).
    pub(crate) fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.key.sign(message).to_bytes()
    }

    /// Fails unless the key is of `expected` algorithm.
    pub(crate) fn require(&self, expected: Algorithm) -> Result<(), NoteError> {
        if self.algorithm != expected {
            return Err(NoteError::WrongAlgorithm {
                name: self.name.clone(),
                found: self.algorithm,
                expected,
            });
        }
        Ok(())
    }
}

/// A public key that verifies signatures; its `Display` is its key text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    algorithm: Algorithm,
    key_id: u32,
    key: VerifyingKey,
}

impl VerifierKey {
    /// Parses `<name>+<key id>+<base64(algorithm || public key)>` with
    /// [`note_key::parse_verifier_key`]: the parser `check` uses on the model's
    /// witness keys.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let parsed = note_key::parse_verifier_key(text)?;
        // The parser has checked the point is on the curve, as this decodes it.
        let key = VerifyingKey::from_bytes(&parsed.public_key).map_err(|_| KeyError::Format {
            reason: "not a valid Ed25519 public key",
        })?;
        Ok(VerifierKey {
            name: parsed.name,
            algorithm: parsed.algorithm,
            key_id: parsed.key_id,
            key,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    pub(crate) fn verify_bytes(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(message, &signature).is_ok()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_key_material(self.algorithm, self.key.as_bytes())
        )
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signing key's name.
    pub name: String,
    /// The signing key's id.
    pub key_id: u32,
    /// The signature bytes after the key id (64 for Ed25519 notes).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The signature line, `— <name> <base64(key id || signature)>\n`.
    pub fn line(&self) -> String {
        let mut bytes = Vec::with_capacity(4 + self.signature.len());
        bytes.extend_from_slice(&self.key_id.to_be_bytes());
        bytes.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}\n", self.name, b64::encode(&bytes))
    }

    /// Parses one signature line (without its newline); `line` numbers errors.
    pub fn parse_line(text: &str, line: usize) -> Result<Self, NoteError> {
        let rest = text
            .strip_prefix(SIG_PREFIX)
            .ok_or(NoteError::SignaturePrefix { line })?;
        let (name, sig) = rest
            .split_once(' ')
            .ok_or(NoteError::SignatureFields { line })?;
        if let Some(reason) = name_problem(name) {
            return Err(NoteError::SignatureName {
                line,
                name: name.to_owned(),
                reason,
            });
        }
        let bytes = decode_signature(sig).ok_or(NoteError::SignatureBase64 { line })?;
        if bytes.len() < 5 {
            return Err(NoteError::SignatureTooShort {
                line,
                len: bytes.len(),
            });
        }
        Ok(NoteSignature {
            name: name.to_owned(),
            key_id: u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            signature: bytes[4..].to_vec(),
        })
    }
}

/// Decodes a signature's base64 as Go's `base64.StdEncoding` does: padding
/// is required, unused trailing bits need not be zero.
fn decode_signature(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    LENIENT.decode(text).ok()
}

/// A signature line whose signature cannot be read, so whose key id is unknown:
/// ignored unless its name is a known key's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableSignature {
    /// The line, from 1.
    pub line: usize,
    /// The key name it gives.
    pub name: String,
    /// The line as read, without its newline.
    pub text: String,
    /// What is wrong with it.
    pub problem: NoteError,
}

/// A note: text and the signature lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
    /// The position of each of `signatures` among all signature lines.
    positions: Vec<usize>,
    /// Each of `signatures`' line as read, when it is not the canonical spelling
    /// (base64 with non-zero unused bits), so the note prints back to its bytes.
    spellings: Vec<Option<String>>,
    /// Signature lines that cannot be read, with their positions.
    unreadable: Vec<(usize, UnreadableSignature)>,
}

/// Checks note text: non-empty, newline-terminated, no control characters
/// but newline. `first_line` numbers errors.
fn check_text(text: &str, first_line: usize) -> Result<(), NoteError> {
    if text.is_empty() {
        return Err(NoteError::EmptyText);
    }
    check_characters(text, first_line)?;
    if !text.ends_with('\n') {
        return Err(NoteError::TextNotTerminated);
    }
    Ok(())
}

fn check_characters(text: &str, first_line: usize) -> Result<(), NoteError> {
    let mut line = first_line;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        } else if c < '\u{20}' {
            return Err(NoteError::ControlCharacter {
                line,
                code: u32::from(c),
            });
        }
    }
    Ok(())
}

impl Note {
    /// An unsigned note with `text`, which must be non-empty, end with a
    /// newline and hold no control character other than newline.
    pub fn new(text: impl Into<String>) -> Result<Self, NoteError> {
        let text = text.into();
        check_text(&text, 1)?;
        Ok(Note {
            text,
            signatures: Vec::new(),
            positions: Vec::new(),
            spellings: Vec::new(),
            unreadable: Vec::new(),
        })
    }

    /// Parses a signed note. Signatures are not checked: see [`Note::verify`].
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        let text = std::str::from_utf8(bytes).map_err(|e| NoteError::InvalidUtf8 {
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
        })?;
        check_characters(text, 1)?;
        let split = text.rfind("\n\n").ok_or(NoteError::NoSignatureBlock)?;
        let (body, block) = (&text[..split + 1], &text[split + 2..]);
        // The body's lines, then the blank line.
        let line = body.matches('\n').count() + 2;
        if block.is_empty() {
            return Err(NoteError::NoSignatures { line });
        }
        let Some(block) = block.strip_suffix('\n') else {
            return Err(NoteError::SignatureNotTerminated {
                line: line + block.matches('\n').count(),
            });
        };
        let mut note = Note {
            text: body.to_owned(),
            signatures: Vec::new(),
            positions: Vec::new(),
            spellings: Vec::new(),
            unreadable: Vec::new(),
        };
        for (position, (line, sig_line)) in (line..).zip(block.split('\n')).enumerate() {
            if position == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures {
                    line,
                    max: MAX_SIGNATURES,
                });
            }
            match NoteSignature::parse_line(sig_line, line) {
                Ok(sig) => {
                    let canonical = sig.line();
                    let spelling = (canonical.strip_suffix('\n') != Some(sig_line))
                        .then(|| sig_line.to_owned());
                    note.signatures.push(sig);
                    note.positions.push(position);
                    note.spellings.push(spelling);
                }
                // The name and the space are there, so the line names a key;
                // without a key id it is by an unknown key unless the name is known.
                Err(
                    problem @ (NoteError::SignatureBase64 { .. }
                    | NoteError::SignatureTooShort { .. }),
                ) => {
                    let name = sig_line
                        .strip_prefix(SIG_PREFIX)
                        .and_then(|rest| rest.split_once(' '))
                        .map(|(name, _)| name.to_owned())
                        .unwrap_or_default();
                    note.unreadable.push((
                        position,
                        UnreadableSignature {
                            line,
                            name,
                            text: sig_line.to_owned(),
                            problem,
                        },
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(note)
    }

    /// The signature lines that cannot be read (malformed base64, or too short
    /// to hold a key id), which [`Note::verify`] ignores unless they name a known key.
    pub fn unreadable_signatures(&self) -> impl Iterator<Item = &UnreadableSignature> {
        self.unreadable.iter().map(|(_, u)| u)
    }

    /// How many signature lines the note has, readable or not.
    fn signature_count(&self) -> usize {
        self.signatures.len() + self.unreadable.len()
    }

    /// The note text, ending in a newline: the signed message.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signatures, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Signs the note text with an Ed25519 note key and appends the signature.
    pub fn sign(&mut self, key: &SignerKey) -> Result<(), NoteError> {
        key.require(Algorithm::Ed25519)?;
        let signature = key.sign_bytes(self.text.as_bytes());
        self.add_signature(NoteSignature {
            name: key.name.clone(),
            key_id: key.key_id,
            signature: signature.to_vec(),
        })
    }

    /// Appends a signature made elsewhere (a witness's cosignature, say).
    pub fn add_signature(&mut self, signature: NoteSignature) -> Result<(), NoteError> {
        check_key_name(&signature.name)?;
        let position = self.signature_count();
        if signature.signature.is_empty() {
            return Err(NoteError::SignatureTooShort {
                line: self.line_of(position),
                len: 4,
            });
        }
        if position == MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                line: self.line_of(position),
                max: MAX_SIGNATURES,
            });
        }
        self.signatures.push(signature);
        self.positions.push(position);
        self.spellings.push(None);
        Ok(())
    }

    /// The line number of the signature line at `position` among all of them.
    fn line_of(&self, position: usize) -> usize {
        self.text.matches('\n').count() + 2 + position
    }

    /// Verifies the note against a set of keys and returns the keys whose
    /// valid signatures it carries, each once, in the order they signed.
    ///
    /// A signature is by a key in `keys` when both its name and its key id
    /// match; any other is ignored, even if it shares a name or an id with a
    /// known key. Signatures matching a key of another algorithm (witness
    /// cosignatures, checked by [`crate::cosignature`]) are ignored too. A
    /// signature by a known Ed25519 key that does not verify is an error,
    /// as is an unreadable signature line that names one, and at least one
    /// valid signature by a key in `keys` is required.
    pub fn verify<'k>(&self, keys: &'k [VerifierKey]) -> Result<Vec<&'k VerifierKey>, NoteError> {
        let mut verified: Vec<&'k VerifierKey> = Vec::new();
        for (sig, &position) in self.signatures.iter().zip(&self.positions) {
            let known = keys.iter().find(|k| {
                k.algorithm == Algorithm::Ed25519 && k.name == sig.name && k.key_id == sig.key_id
            });
            let Some(key) = known else { continue };
            if !key.verify_bytes(self.text.as_bytes(), &sig.signature) {
                return Err(NoteError::InvalidSignature {
                    line: self.line_of(position),
                    name: sig.name.clone(),
                    key_id: sig.key_id,
                });
            }
            if !verified.iter().any(|k| std::ptr::eq(*k, key)) {
                verified.push(key);
            }
        }
        for (_, unreadable) in &self.unreadable {
            let names_known_key = keys
                .iter()
                .any(|k| k.algorithm == Algorithm::Ed25519 && k.name == unreadable.name);
            if names_known_key {
                return Err(unreadable.problem.clone());
            }
        }
        if verified.is_empty() {
            let mut signers: Vec<String> = Vec::new();
            let names = self
                .signatures
                .iter()
                .map(|s| &s.name)
                .chain(self.unreadable.iter().map(|(_, u)| &u.name));
            for name in names {
                if !signers.contains(name) {
                    signers.push(name.clone());
                }
            }
            return Err(NoteError::NoKnownSignature { signers });
        }
        Ok(verified)
    }

    /// The note as text: its text, a blank line and its signature lines.
    pub fn to_text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        let mut readable = self
            .signatures
            .iter()
            .zip(&self.positions)
            .zip(&self.spellings)
            .peekable();
        let mut unreadable = self.unreadable.iter().peekable();
        for position in 0..self.signature_count() {
            if let Some(((sig, _), spelling)) = readable.next_if(|((_, p), _)| **p == position) {
                match spelling {
                    Some(text) => writeln!(f, "{text}")?,
                    None => f.write_str(&sig.line())?,
                }
            } else if let Some((_, u)) = unreadable.next_if(|(p, _)| *p == position) {
                writeln!(f, "{}", u.text)?;
            }
        }
        Ok(())
    }
}
