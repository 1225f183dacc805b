//! Random passwords, and the SCRAM-SHA-256 verifier PostgreSQL stores for
//! them (RFC 5802, RFC 7677; the `SCRAM-SHA-256$…` form of `pg_authid`).
//!
//! The issuer sends only the verifier in `CREATE ROLE … PASSWORD`, so the
//! password itself never reaches the server's statement log,
//! `pg_stat_activity` or `pg_stat_statements`.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// The iteration count PostgreSQL itself uses by default.
const ITERATIONS: u32 = 4096;
/// SHA-256's block size, for HMAC.
const BLOCK: usize = 64;

/// A fresh random password: 24 random bytes (192 bits), URL-safe base64 (32
/// characters of `A-Za-z0-9-_`, safe in URLs, shells and SASLprep).
pub(crate) fn random_password() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The verifier for `password` with a fresh random salt.
pub(crate) fn random_verifier(password: &str) -> Result<String, getrandom::Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)?;
    Ok(verifier(password, &salt, ITERATIONS))
}

/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
///
/// The password is used as it is: SASLprep leaves the ASCII passwords
/// [`random_password`] makes unchanged.
pub(crate) fn verifier(password: &str, salt: &[u8], iterations: u32) -> String {
    let salted = pbkdf2_first_block(password.as_bytes(), salt, iterations);
    let client_key = Hmac::new(&salted).sign(&[b"Client Key"]);
    let stored_key: [u8; 32] = Sha256::digest(client_key).into();
    let server_key = Hmac::new(&salted).sign(&[b"Server Key"]);
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        STANDARD.encode(salt),
        STANDARD.encode(stored_key),
        STANDARD.encode(server_key)
    )
}

/// PBKDF2-HMAC-SHA256's first 32-byte block, SCRAM's `Hi()`.
fn pbkdf2_first_block(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mac = Hmac::new(password);
    let mut u = mac.sign(&[salt, &1u32.to_be_bytes()]);
    let mut out = u;
    for _ in 1..iterations {
        u = mac.sign(&[&u]);
        for (o, b) in out.iter_mut().zip(u) {
            *o ^= b;
        }
    }
    out
}

/// HMAC-SHA256 (RFC 2104) with the padded key absorbed once, for PBKDF2's
/// many rounds under one key.
struct Hmac {
    inner: Sha256,
    outer: Sha256,
}

impl Hmac {
    fn new(key: &[u8]) -> Self {
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let mut inner = Sha256::new();
        inner.update(block.map(|b| b ^ 0x36));
        let mut outer = Sha256::new();
        outer.update(block.map(|b| b ^ 0x5c));
        Hmac { inner, outer }
    }

    fn sign(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut inner = self.inner.clone();
        for part in parts {
            inner.update(part);
        }
        let mut outer = self.outer.clone();
        outer.update(inner.finalize());
        outer.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1 and 6 (a key longer than the block).
        let mac = Hmac::new(&[0x0b; 20]).sign(&[b"Hi There"]);
        assert_eq!(
            hex::encode(mac),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        let mac = Hmac::new(&[0xaa; 131])
            .sign(&[b"Test Using Larger Than Block-Size Key - Hash Key First"]);
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn pbkdf2_matches_published_vectors() {
        // RFC 7914 section 11, first 32 bytes.
        assert_eq!(
            hex::encode(pbkdf2_first_block(b"passwd", b"salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
        assert_eq!(
            hex::encode(pbkdf2_first_block(b"Password", b"NaCl", 80000)),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
        );
    }

    #[test]
    fn verifier_has_postgres_shape() {
        let v = verifier("pencil", b"0123456789abcdef", 4096);
        let (head, keys) = v.split_once("$4096:").expect("iterations");
        assert_eq!(head, "SCRAM-SHA-256");
        let (salt, keys) = keys.split_once('$').expect("salt");
        assert_eq!(STANDARD.decode(salt).expect("base64"), b"0123456789abcdef");
        let (stored, server) = keys.split_once(':').expect("keys");
        assert_eq!(STANDARD.decode(stored).expect("base64").len(), 32);
        assert_eq!(STANDARD.decode(server).expect("base64").len(), 32);
    }

    #[test]
    fn passwords_are_long_and_url_safe() {
        let a = random_password().expect("randomness");
        let b = random_password().expect("randomness");
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
