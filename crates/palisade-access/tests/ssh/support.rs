//! Shared helpers: the OpenSSH tools, keys made by `ssh-keygen`, a CA.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jiff::{SignedDuration, Timestamp};
use palisade_access::ssh::{CaKey, Certificate, CertificateRequest, UserPublicKey};

/// The OpenSSH tool that `var` names (`PALISADE_TEST_SSHD`,
/// `PALISADE_TEST_SSH`, `PALISADE_TEST_SSH_KEYGEN`), or `None` after saying
/// why the test skips. Under `CI=true` a missing tool fails the test.
pub fn tool(var: &str) -> Option<PathBuf> {
    palisade_test_support::tool_installed_by(var, "scripts/ensure-sshd")
}

/// Runs a command with the time zone fixed to UTC (so `ssh-keygen -L`
/// prints times we can compare), returning its output.
pub fn run(cmd: &mut Command) -> Output {
    cmd.env("TZ", "UTC")
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

/// A fresh Ed25519 key pair made by `ssh-keygen` in `dir`: the private key's
/// path and the parsed public key.
pub fn keygen_user_key(keygen: &Path, dir: &Path, name: &str) -> (PathBuf, UserPublicKey) {
    let key = dir.join(name);
    let out = run(Command::new(keygen)
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "tester@palisade",
            "-f",
        ])
        .arg(&key));
    assert!(out.status.success(), "ssh-keygen -t ed25519: {out:?}");
    let line = std::fs::read_to_string(key.with_file_name(format!("{name}.pub"))).unwrap();
    (key, UserPublicKey::parse(&line).unwrap())
}

/// A fixed CA, so failures are reproducible.
pub fn ca() -> CaKey {
    CaKey::from_seed(&[0x5a; 32])
}

/// A user key made without any tool (another fixed Ed25519 key).
pub fn user_key() -> UserPublicKey {
    UserPublicKey::parse(&CaKey::from_seed(&[0x17; 32]).public_key().to_openssh()).unwrap()
}

/// Issues a certificate with the usual fields and the given window and
/// serial.
pub fn issue(
    ca: &CaKey,
    key: &UserPublicKey,
    principals: &[String],
    serial: u64,
    window: (Timestamp, Timestamp),
) -> Certificate {
    ca.issue(&CertificateRequest {
        public_key: key,
        key_id: &format!("grant-{serial}"),
        serial,
        principals,
        valid_after: window.0,
        valid_before: window.1,
        max_validity: SignedDuration::from_hours(8),
        source_address: None,
    })
    .unwrap()
}

/// Writes `cert` as an OpenSSH certificate file.
pub fn write_cert(path: &Path, cert: &Certificate) {
    std::fs::write(path, cert.to_openssh() + "\n").unwrap();
}

/// The principals list for one name.
pub fn principals(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}
