//! OpenSSH key revocation lists (KRLs) for sshd's `RevokedKeys`.
//!
//! The binary format is OpenSSH's `PROTOCOL.krl`: a header, then sections.
//! Palisade writes one certificate section for its CA, holding the revoked
//! serials (runs of three or more as ranges, the rest as lists) and the
//! revoked key ids (grant ids). It writes no signature section: OpenSSH
//! refuses signed KRLs, and the file's integrity is the host's business.
//!
//! sshd reads `RevokedKeys` at every authentication, so writing a new file
//! (to a temporary name, then renaming it over the old one) takes effect at
//! the next login.

use std::collections::BTreeSet;

use jiff::Timestamp;

use super::ca::{CaPublicKey, Certificate, MAX_KEY_ID_LEN};

const MAGIC: &[u8; 8] = b"SSHKRL\n\0";
const FORMAT_VERSION: u32 = 1;
const SECTION_CERTIFICATES: u8 = 1;
const CERT_SERIAL_LIST: u8 = 0x20;
const CERT_SERIAL_RANGE: u8 = 0x21;
const CERT_KEY_ID: u8 = 0x23;

/// The comment written in every KRL's header.
pub const KRL_COMMENT: &str = "palisade: revoked SSH certificates";

/// The shortest run of consecutive serials written as a range: a range
/// section costs 21 bytes, a list entry 8.
const MIN_RANGE: u64 = 3;

/// The certificates of one CA that are revoked, by serial and by key id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Krl {
    serials: BTreeSet<u64>,
    key_ids: BTreeSet<String>,
}

/// Why a revocation was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KrlError {
    /// Serial 0, which OpenSSH does not revoke by serial.
    #[error(
        "serial 0 cannot be revoked by serial (OpenSSH reserves it); revoke the key id instead"
    )]
    ZeroSerial,
    /// An empty key id, or one with control characters or too long.
    #[error(
        "the key id {key_id:?} cannot be revoked: it must be 1 to {MAX_KEY_ID_LEN} bytes without control characters"
    )]
    KeyId {
        /// The key id.
        key_id: String,
    },
}

impl Krl {
    /// An empty list.
    pub fn new() -> Krl {
        Krl::default()
    }

    /// Revokes the certificate with `serial`; false when it already was.
    pub fn revoke_serial(&mut self, serial: u64) -> Result<bool, KrlError> {
        if serial == 0 {
            return Err(KrlError::ZeroSerial);
        }
        Ok(self.serials.insert(serial))
    }

    /// Revokes every certificate of the CA with `key_id` (a grant id: all
    /// certificates issued for the grant); false when it already was.
    pub fn revoke_key_id(&mut self, key_id: &str) -> Result<bool, KrlError> {
        if key_id.is_empty()
            || key_id.len() > MAX_KEY_ID_LEN
            || key_id.chars().any(char::is_control)
        {
            return Err(KrlError::KeyId {
                key_id: key_id.chars().take(80).collect(),
            });
        }
        Ok(self.key_ids.insert(key_id.to_owned()))
    }

    /// Revokes `certificate` by its serial and by its key id.
    pub fn revoke_certificate(&mut self, certificate: &Certificate) -> Result<(), KrlError> {
        self.revoke_serial(certificate.serial())?;
        self.revoke_key_id(certificate.key_id())?;
        Ok(())
    }

    /// Whether a certificate of this CA with `serial` and `key_id` is
    /// revoked.
    pub fn is_revoked(&self, serial: u64, key_id: &str) -> bool {
        self.serials.contains(&serial) || self.key_ids.contains(key_id)
    }

    /// The revoked serials, in ascending order.
    pub fn serials(&self) -> impl Iterator<Item = u64> + '_ {
        self.serials.iter().copied()
    }

    /// The revoked key ids, in ascending order.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.key_ids.iter().map(String::as_str)
    }

    /// Whether nothing is revoked.
    pub fn is_empty(&self) -> bool {
        self.serials.is_empty() && self.key_ids.is_empty()
    }

    /// The KRL in OpenSSH's binary format, for certificates issued by `ca`.
    /// `version` must grow with each KRL written (e.g. the ledger's
    /// sequence number); `generated_at` is recorded in its header.
    pub fn encode(&self, ca: &CaPublicKey, version: u64, generated_at: Timestamp) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + 8 * self.serials.len());
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, FORMAT_VERSION);
        put_u64(&mut out, version);
        put_u64(
            &mut out,
            u64::try_from(generated_at.as_second()).unwrap_or(0),
        );
        put_u64(&mut out, 0); // flags: none are defined
        put_string(&mut out, b""); // reserved
        put_string(&mut out, KRL_COMMENT.as_bytes());
        if self.is_empty() {
            return out;
        }
        let mut section = Vec::new();
        put_string(&mut section, &ca.to_wire());
        put_string(&mut section, b""); // reserved
        self.encode_serials(&mut section);
        if !self.key_ids.is_empty() {
            let mut ids = Vec::new();
            for key_id in &self.key_ids {
                put_string(&mut ids, key_id.as_bytes());
            }
            section.push(CERT_KEY_ID);
            put_string(&mut section, &ids);
        }
        out.push(SECTION_CERTIFICATES);
        put_string(&mut out, &section);
        out
    }

    fn encode_serials(&self, section: &mut Vec<u8>) {
        let mut list = Vec::new();
        let mut serials = self.serials.iter().copied().peekable();
        while let Some(first) = serials.next() {
            let mut last = first;
            while serials.peek() == Some(&(last.wrapping_add(1))) && last != u64::MAX {
                last += 1;
                serials.next();
            }
            if last - first + 1 >= MIN_RANGE {
                let mut range = Vec::with_capacity(16);
                put_u64(&mut range, first);
                put_u64(&mut range, last);
                section.push(CERT_SERIAL_RANGE);
                put_string(section, &range);
            } else {
                for serial in first..=last {
                    put_u64(&mut list, serial);
                }
            }
        }
        if !list.is_empty() {
            section.push(CERT_SERIAL_LIST);
            put_string(section, &list);
        }
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("a KRL section is smaller than 4 GiB");
    put_u32(out, len);
    out.extend_from_slice(bytes);
}
