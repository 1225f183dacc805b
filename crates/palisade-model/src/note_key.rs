//! Signed-note keys (C2SP signed-note): the one parser of the key texts that `check`
//! validates in the model (`org.witnesses[].key`) and the ledger verifies signatures
//! with, so that a key `check` accepts is a key the ledger accepts, and a key either
//! refuses is refused with the same reason.
//!
//! A verifier key is written `<name>+<key id, 8 hex>+<base64(algorithm || public key)>`.
//! The key id is the first 4 bytes, big-endian, of
//! `SHA-256(name || "\n" || algorithm || public key)`; the algorithm byte is 0x01 for
//! Ed25519 note signatures and 0x04 for `cosignature/v1` witness keys. Key names are
//! non-empty and hold no whitespace, no control character and no `+`. Base64 is strict
//! standard base64 (padded, no stray bits), and the public key must be a point of the
//! Ed25519 curve, as the ledger's Ed25519 implementation decodes it.
//!
//! Pure: no I/O, no clock. The ledger builds its signing and verifying keys on top of
//! this module; the model cannot depend on the ledger, so the parser lives here.

use std::fmt;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A key's signature algorithm: the byte that prefixes its key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// Ed25519 signatures over the note text (0x01).
    Ed25519,
    /// Ed25519 `cosignature/v1` witness signatures (0x04).
    CosignatureV1,
}

impl Algorithm {
    /// The algorithm's identifier byte.
    pub const fn byte(self) -> u8 {
        match self {
            Algorithm::Ed25519 => 0x01,
            Algorithm::CosignatureV1 => 0x04,
        }
    }

    /// The algorithm with this identifier byte.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(Algorithm::Ed25519),
            0x04 => Some(Algorithm::CosignatureV1),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::Ed25519 => "Ed25519 note",
            Algorithm::CosignatureV1 => "cosignature/v1",
        })
    }
}

/// What is wrong with a key text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key name is empty or holds a character names may not.
    #[error("key name {name:?} {reason}")]
    Name {
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The text is not shaped like a key.
    #[error("malformed key: {reason}")]
    Format {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The algorithm byte is not one of the known ones.
    #[error("unsupported key algorithm 0x{byte:02x}")]
    Algorithm {
        /// The algorithm byte.
        byte: u8,
    },
    /// The key id is not the one the name and key give.
    #[error("the key id `{found:08x}` does not match the key (expected {expected:08x})")]
    IdMismatch {
        /// The key name.
        name: String,
        /// The key id the text gives.
        found: u32,
        /// The key id computed from the name and key.
        expected: u32,
    },
}

/// A verifier key, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerifierKeyText {
    /// The key name.
    pub name: String,
    /// The signature algorithm.
    pub algorithm: Algorithm,
    /// The key id, which matches the name, algorithm and key.
    pub key_id: u32,
    /// The Ed25519 public key, a point of the curve.
    pub public_key: [u8; 32],
}

/// Parses `<name>+<key id>+<base64(algorithm || public key)>` and checks every part:
/// the name, the key id's spelling, the base64, the algorithm, the key's length and
/// curve point, and that the key id is the one the name and key give.
pub fn parse_verifier_key(text: &str) -> Result<VerifierKeyText, KeyError> {
    let mut fields = text.splitn(3, '+');
    let (Some(name), Some(id), Some(material)) = (fields.next(), fields.next(), fields.next())
    else {
        return Err(KeyError::Format {
            reason: "a verifier key must be <name>+<key id>+<key>",
        });
    };
    check_key_name(name)?;
    let found = parse_key_id(id)?;
    let (algorithm, public_key) = parse_key_material(material)?;
    if !is_ed25519_point(&public_key) {
        return Err(KeyError::Format {
            reason: "not a valid Ed25519 public key",
        });
    }
    let expected = key_id(name, algorithm, &public_key);
    if found != expected {
        return Err(KeyError::IdMismatch {
            name: name.to_owned(),
            found,
            expected,
        });
    }
    Ok(VerifierKeyText {
        name: name.to_owned(),
        algorithm,
        key_id: found,
        public_key,
    })
}

/// The key id of a key: the first 4 bytes, big-endian, of
/// `SHA-256(name || "\n" || algorithm || public key)`.
pub fn key_id(name: &str, algorithm: Algorithm, public_key: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([algorithm.byte()]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Why `name` cannot be a key name, if it cannot.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.contains('+') {
        Some("contains '+'")
    } else if name.chars().any(char::is_whitespace) {
        Some("contains whitespace")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    }
}

/// Checks a key name.
pub fn check_key_name(name: &str) -> Result<(), KeyError> {
    match name_problem(name) {
        Some(reason) => Err(KeyError::Name {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Parses 8 hexadecimal digits as a key id.
pub fn parse_key_id(hex: &str) -> Result<u32, KeyError> {
    let malformed = KeyError::Format {
        reason: "the key id must be 8 hexadecimal digits",
    };
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed);
    }
    u32::from_str_radix(hex, 16).map_err(|_| malformed)
}

/// Decodes `base64(algorithm || 32 bytes)`: the key material of a verifier key (a public
/// key) or of a signer key (a seed).
pub fn parse_key_material(text: &str) -> Result<(Algorithm, [u8; 32]), KeyError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| KeyError::Format {
            reason: "the key is not valid base64",
        })?;
    let (&alg, key) = bytes.split_first().ok_or(KeyError::Format {
        reason: "the key is empty",
    })?;
    let algorithm = Algorithm::from_byte(alg).ok_or(KeyError::Algorithm { byte: alg })?;
    let key = <[u8; 32]>::try_from(key).map_err(|_| KeyError::Format {
        reason: "an Ed25519 key must be 32 bytes",
    })?;
    Ok((algorithm, key))
}

/// Whether 32 bytes decode to a point of the Ed25519 curve, exactly as the ledger's
/// Ed25519 implementation (`ed25519-dalek`) decodes a public key: the low 255 bits are
/// `y` (taken modulo p = 2^255 - 19), and there is an `x` with
/// `x² = (y² - 1) / (d·y² + 1)`. The sign bit is not checked, as there. The denominator
/// is never zero (d is not a square), so the point exists exactly when `(y² - 1)·(d·y² + 1)`
/// is zero or a square, which Euler's criterion decides.
pub fn is_ed25519_point(bytes: &[u8; 32]) -> bool {
    let mut y = field::from_bytes(bytes);
    y[3] &= (1 << 63) - 1;
    let yy = field::mul(&y, &y);
    let u = field::sub(&yy, &field::ONE);
    let v = field::add(&field::mul(&field::D, &yy), &field::ONE);
    let w = field::canonical(&field::mul(&u, &v));
    w == field::ZERO || field::canonical(&field::pow(&w, &field::HALF_P_MINUS_ONE)) == field::ONE
}

/// Arithmetic modulo p = 2^255 - 19 on four 64-bit limbs, least significant first. Only
/// what [`is_ed25519_point`] needs, none of it secret: not constant-time.
mod field {
    /// An element: any value below 2^256 (reduced to below p only by [`canonical`]).
    pub(super) type Fe = [u64; 4];

    pub(super) const ZERO: Fe = [0, 0, 0, 0];
    pub(super) const ONE: Fe = [1, 0, 0, 0];
    /// p = 2^255 - 19.
    const P: Fe = [
        0xffff_ffff_ffff_ffed,
        0xffff_ffff_ffff_ffff,
        0xffff_ffff_ffff_ffff,
        0x7fff_ffff_ffff_ffff,
    ];
    /// Edwards d = -121665/121666 mod p.
    pub(super) const D: Fe = [
        0x75eb_4dca_1359_78a3,
        0x0070_0a4d_4141_d8ab,
        0x8cc7_4079_7779_e898,
        0x5203_6cee_2b6f_fe73,
    ];
    /// (p - 1) / 2 = 2^254 - 10, the exponent of Euler's criterion.
    pub(super) const HALF_P_MINUS_ONE: Fe = [
        0xffff_ffff_ffff_fff6,
        0xffff_ffff_ffff_ffff,
        0xffff_ffff_ffff_ffff,
        0x3fff_ffff_ffff_ffff,
    ];

    pub(super) fn from_bytes(bytes: &[u8; 32]) -> Fe {
        let mut limbs = ZERO;
        for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            *limb = u64::from_le_bytes(word);
        }
        limbs
    }

    /// `a + b` where the sum is below 2^256 plus a carry, folded (2^256 = 38 mod p).
    pub(super) fn add(a: &Fe, b: &Fe) -> Fe {
        let mut out = ZERO;
        let mut carry = 0u128;
        for i in 0..4 {
            let sum = u128::from(a[i]) + u128::from(b[i]) + carry;
            out[i] = sum as u64;
            carry = sum >> 64;
        }
        fold(out, carry)
    }

    /// `a - b`, as `a + (2p - canonical(b))`.
    pub(super) fn sub(a: &Fe, b: &Fe) -> Fe {
        let b = canonical(b);
        // 2p - b, which is positive and below 2^256.
        let mut two_p = ZERO;
        let mut carry = 0u64;
        for i in 0..4 {
            two_p[i] = (P[i] << 1) | carry;
            carry = P[i] >> 63;
        }
        let mut negated = ZERO;
        let mut borrow = 0u64;
        for i in 0..4 {
            let (d1, b1) = two_p[i].overflowing_sub(b[i]);
            let (d2, b2) = d1.overflowing_sub(borrow);
            negated[i] = d2;
            borrow = u64::from(b1 || b2);
        }
        add(a, &negated)
    }

    pub(super) fn mul(a: &Fe, b: &Fe) -> Fe {
        let mut wide = [0u64; 8];
        for i in 0..4 {
            let mut carry = 0u128;
            for j in 0..4 {
                let v = u128::from(wide[i + j]) + u128::from(a[i]) * u128::from(b[j]) + carry;
                wide[i + j] = v as u64;
                carry = v >> 64;
            }
            wide[i + 4] = carry as u64;
        }
        // low + 38 * high, since 2^256 = 38 (mod p).
        let mut out = ZERO;
        let mut carry = 0u128;
        for i in 0..4 {
            let v = u128::from(wide[i]) + 38 * u128::from(wide[i + 4]) + carry;
            out[i] = v as u64;
            carry = v >> 64;
        }
        fold(out, carry)
    }

    /// Adds `carry * 2^256` back in as `carry * 38`, until nothing is left over.
    fn fold(mut out: Fe, mut carry: u128) -> Fe {
        while carry != 0 {
            let mut extra = carry * 38;
            for limb in &mut out {
                let v = u128::from(*limb) + extra;
                *limb = v as u64;
                extra = v >> 64;
                if extra == 0 {
                    break;
                }
            }
            carry = extra;
        }
        out
    }

    /// The value reduced below p.
    pub(super) fn canonical(a: &Fe) -> Fe {
        let mut out = *a;
        // Below 2^256 = 2p + 38: at most two subtractions.
        for _ in 0..2 {
            if !less_than_p(&out) {
                let mut borrow = 0u64;
                for i in 0..4 {
                    let (d1, b1) = out[i].overflowing_sub(P[i]);
                    let (d2, b2) = d1.overflowing_sub(borrow);
                    out[i] = d2;
                    borrow = u64::from(b1 || b2);
                }
            }
        }
        out
    }

    fn less_than_p(a: &Fe) -> bool {
        for i in (0..4).rev() {
            if a[i] != P[i] {
                return a[i] < P[i];
            }
        }
        false
    }

    /// `base` to the power `exponent`, most significant bit first.
    pub(super) fn pow(base: &Fe, exponent: &Fe) -> Fe {
        let mut out = ONE;
        for i in (0..4).rev() {
            for bit in (0..64).rev() {
                out = mul(&out, &out);
                if (exponent[i] >> bit) & 1 == 1 {
                    out = mul(&out, base);
                }
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// A verifier key text with a correct key id for whatever bytes it carries.
    fn key_text(name: &str, material: &[u8]) -> String {
        let mut hasher = Sha256::new();
        hasher.update(name.as_bytes());
        hasher.update(b"\n");
        hasher.update(material);
        let digest = hasher.finalize();
        format!("{name}+{}+{}", hex::encode(&digest[..4]), b64(material))
    }

    /// y = 4/5: the Ed25519 base point.
    const BASE_Y: [u8; 32] = {
        let mut y = [0x66u8; 32];
        y[0] = 0x58;
        y
    };

    fn material(algorithm: u8, key: &[u8]) -> Vec<u8> {
        let mut m = vec![algorithm];
        m.extend_from_slice(key);
        m
    }

    #[test]
    fn a_good_key_parses() {
        let key = parse_verifier_key(&key_text("w.example", &material(4, &BASE_Y))).unwrap();
        assert_eq!(key.name, "w.example");
        assert_eq!(key.algorithm, Algorithm::CosignatureV1);
        assert_eq!(key.public_key, BASE_Y);
        assert_eq!(
            key.key_id,
            key_id("w.example", Algorithm::CosignatureV1, &BASE_Y)
        );
    }

    #[test]
    fn every_part_is_checked() {
        let good = b64(&material(1, &BASE_Y));
        for (text, reason) in [
            ("nothing".to_owned(), "must be <name>+<key id>+<key>"),
            (
                key_text("w\u{7}x", &material(1, &BASE_Y)),
                "contains a control character",
            ),
            (
                key_text("w\u{a0}x", &material(1, &BASE_Y)),
                "contains whitespace",
            ),
            (
                key_text("w", &material(2, &BASE_Y)),
                "unsupported key algorithm 0x02",
            ),
            (
                key_text("w", &material(1, &BASE_Y[..31])),
                "must be 32 bytes",
            ),
            (format!("w+0000000+{good}"), "8 hexadecimal digits"),
            (format!("w+00000000+{good}="), "not valid base64"),
            (format!("w+00000000+{good}"), "does not match the key"),
        ] {
            let err = parse_verifier_key(&text).unwrap_err();
            assert!(err.to_string().contains(reason), "{text:?}: {err}");
        }
    }

    #[test]
    fn curve_points_are_told_from_other_bytes() {
        assert!(is_ed25519_point(&BASE_Y));
        // y = 0 (x² = -1, a square modulo p) and y = 1 (x = 0) are points.
        let mut y = [0u8; 32];
        assert!(is_ed25519_point(&y));
        y[0] = 1;
        assert!(is_ed25519_point(&y));
        // The sign bit is ignored, and y is taken modulo p: p + 1 is 1.
        y[31] = 0x80;
        assert!(is_ed25519_point(&y));
        let mut p_plus_1 = [0xffu8; 32];
        p_plus_1[0] = 0xee;
        p_plus_1[31] = 0x7f;
        assert!(is_ed25519_point(&p_plus_1));
    }
}
