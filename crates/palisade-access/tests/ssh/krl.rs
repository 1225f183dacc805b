//! The KRL encoder, checked by `ssh-keygen -Q`.

use std::path::Path;
use std::process::Command;

use jiff::{SignedDuration, Timestamp};
use palisade_access::ssh::{CaKey, Krl, KrlError};

use super::support::{self, principals, run, tool};

/// What `ssh-keygen -Q -f krl` says of each certificate file: true when
/// revoked.
pub fn keygen_revoked(keygen: &Path, krl: &Path, certs: &[&Path]) -> Vec<bool> {
    let out = run(Command::new(keygen)
        .arg("-Q")
        .arg("-f")
        .arg(krl)
        .args(certs));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        certs.len(),
        "ssh-keygen -Q answered one line per certificate: {out:?}"
    );
    let revoked: Vec<bool> = lines
        .iter()
        .map(|l| {
            if l.ends_with(": REVOKED") {
                true
            } else if l.ends_with(": ok") {
                false
            } else {
                panic!("unexpected ssh-keygen -Q line {l:?}: {out:?}")
            }
        })
        .collect();
    // Its exit status is the OR of the answers.
    assert_eq!(out.status.success(), !revoked.iter().any(|r| *r), "{out:?}");
    revoked
}

fn window() -> (Timestamp, Timestamp) {
    let start: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
    (start, start + SignedDuration::from_hours(1))
}

#[test]
fn ssh_keygen_sees_revoked_serials_and_key_ids_and_nothing_else() {
    let Some(keygen) = tool("PALISADE_TEST_SSH_KEYGEN") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = support::ca();
    let key = support::user_key();
    let names = principals(&["alice"]);
    let serials = [1u64, 2, 3, 4, 7, 9, 10, 500, u64::MAX];
    let mut paths = Vec::new();
    for serial in serials {
        let cert = support::issue(&ca, &key, &names, serial, window());
        let path = dir.path().join(format!("{serial}-cert.pub"));
        support::write_cert(&path, &cert);
        paths.push(path);
    }
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let krl_path = dir.path().join("revoked.krl");
    let generated: Timestamp = "2030-01-01T00:30:00Z".parse().unwrap();

    // Nothing revoked: a header without sections.
    let mut krl = Krl::new();
    std::fs::write(&krl_path, krl.encode(&ca.public_key(), 1, generated)).unwrap();
    assert_eq!(keygen_revoked(&keygen, &krl_path, &refs), [false; 9]);

    // A range (2..=4), list entries (7, 10, u64::MAX) and a key id (grant-500).
    for serial in [2, 3, 4, 7, 10, u64::MAX] {
        assert!(krl.revoke_serial(serial).unwrap());
    }
    assert!(!krl.revoke_serial(3).unwrap(), "already revoked");
    assert!(krl.revoke_key_id("grant-500").unwrap());
    std::fs::write(&krl_path, krl.encode(&ca.public_key(), 2, generated)).unwrap();
    assert_eq!(
        keygen_revoked(&keygen, &krl_path, &refs),
        [false, true, true, true, true, false, true, true, true]
    );
    assert!(krl.is_revoked(99, "grant-500") && krl.is_revoked(7, "grant-x"));
    assert!(!krl.is_revoked(1, "grant-1"));

    // The same serials under another CA revoke nothing of ours.
    let other = CaKey::from_seed(&[0x33; 32]);
    std::fs::write(&krl_path, krl.encode(&other.public_key(), 3, generated)).unwrap();
    assert_eq!(keygen_revoked(&keygen, &krl_path, &refs), [false; 9]);
}

#[test]
fn revoking_a_certificate_revokes_its_serial_and_key_id() {
    let ca = support::ca();
    let cert = support::issue(&ca, &support::user_key(), &principals(&["a"]), 77, window());
    let mut krl = Krl::new();
    krl.revoke_certificate(&cert).unwrap();
    assert_eq!(krl.serials().collect::<Vec<_>>(), [77]);
    assert_eq!(krl.key_ids().collect::<Vec<_>>(), ["grant-77"]);
}

#[test]
fn refuses_serial_zero_and_bad_key_ids() {
    let mut krl = Krl::new();
    assert_eq!(krl.revoke_serial(0).unwrap_err(), KrlError::ZeroSerial);
    assert!(matches!(
        krl.revoke_key_id("").unwrap_err(),
        KrlError::KeyId { .. }
    ));
    assert!(matches!(
        krl.revoke_key_id("a\0b").unwrap_err(),
        KrlError::KeyId { .. }
    ));
    assert!(krl.is_empty());
}

#[test]
fn the_header_follows_protocol_krl() {
    let ca = support::ca();
    let generated: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
    let bytes = Krl::new().encode(&ca.public_key(), 7, generated);
    assert_eq!(&bytes[..8], b"SSHKRL\n\0");
    assert_eq!(&bytes[8..12], &1u32.to_be_bytes());
    assert_eq!(&bytes[12..20], &7u64.to_be_bytes());
    assert_eq!(
        &bytes[20..28],
        &(generated.as_second() as u64).to_be_bytes()
    );
    assert_eq!(&bytes[28..36], &0u64.to_be_bytes());
}
