//! Issuing certificates: what `ssh-keygen -L` reads in them, and what is
//! refused.

use std::process::Command;

use jiff::{SignedDuration, Timestamp};
use palisade_access::ssh::{
    CaKey, CertificateRequest, EXTENSIONS, IssueError, SourceAddressError, SourceAddresses,
};

use super::support::{self, principals, run, tool};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn request<'a>(
    key: &'a palisade_access::ssh::UserPublicKey,
    principals: &'a [String],
) -> CertificateRequest<'a> {
    CertificateRequest {
        public_key: key,
        key_id: "grant-01HZX",
        serial: 42,
        principals,
        valid_after: at("2030-01-02T03:04:05Z"),
        valid_before: at("2030-01-02T05:04:05Z"),
        max_validity: SignedDuration::from_hours(8),
        source_address: None,
    }
}

#[test]
fn ssh_keygen_reads_principals_window_key_id_serial_and_options() {
    let Some(keygen) = tool("PALISADE_TEST_SSH_KEYGEN") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = support::ca();
    let key = support::user_key();
    let names = principals(&["alice", "deploy"]);
    let source = SourceAddresses::parse("127.0.0.1, 10.20.0.0/16 ,2001:db8::/32").unwrap();
    let cert = ca
        .issue(&CertificateRequest {
            source_address: Some(&source),
            ..request(&key, &names)
        })
        .unwrap();
    let path = dir.path().join("id-cert.pub");
    support::write_cert(&path, &cert);

    let out = run(Command::new(&keygen).arg("-L").arg("-f").arg(&path));
    assert!(out.status.success(), "ssh-keygen -L: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let fields: Vec<&str> = text.lines().map(str::trim).collect();
    let has = |line: &str| fields.contains(&line);
    assert!(
        has("Type: ssh-ed25519-cert-v01@openssh.com user certificate"),
        "{text}"
    );
    assert!(has("Key ID: \"grant-01HZX\""), "{text}");
    assert!(has("Serial: 42"), "{text}");
    assert!(
        has("Valid: from 2030-01-02T03:04:05 to 2030-01-02T05:04:05"),
        "{text}"
    );
    assert!(
        has(&format!(
            "Signing CA: ED25519 {} (using ssh-ed25519)",
            ca.public_key().fingerprint()
        )),
        "{text}"
    );
    let section = |name: &str| -> Vec<&str> {
        let start = fields
            .iter()
            .position(|l| *l == name)
            .unwrap_or_else(|| panic!("{name} in {text}"));
        fields[start + 1..]
            .iter()
            .take_while(|l| !l.ends_with(':'))
            .copied()
            .collect()
    };
    assert_eq!(section("Principals:"), ["alice", "deploy"]);
    assert_eq!(
        section("Critical Options:"),
        ["source-address 127.0.0.1/32,10.20.0.0/16,2001:db8::/32"]
    );
    assert_eq!(section("Extensions:"), EXTENSIONS);
}

#[test]
fn a_window_is_rounded_inward_to_whole_seconds() {
    let key = support::user_key();
    let names = principals(&["alice"]);
    let cert = support::ca()
        .issue(&CertificateRequest {
            valid_after: at("2030-01-02T03:04:05.2Z"),
            valid_before: at("2030-01-02T04:04:05.9Z"),
            ..request(&key, &names)
        })
        .unwrap();
    assert_eq!(cert.valid_after(), at("2030-01-02T03:04:06Z"));
    assert_eq!(cert.valid_before(), at("2030-01-02T04:04:05Z"));
    assert_eq!(cert.principals(), ["alice"]);
    assert_eq!(cert.key_id(), "grant-01HZX");
    assert_eq!(cert.serial(), 42);
    assert_eq!(cert.subject_fingerprint(), key.fingerprint());
}

#[test]
fn each_certificate_has_its_own_nonce() {
    let key = support::user_key();
    let names = principals(&["alice"]);
    let ca = support::ca();
    let a = ca.issue(&request(&key, &names)).unwrap();
    let b = ca.issue(&request(&key, &names)).unwrap();
    assert_ne!(a.to_openssh(), b.to_openssh());
}

#[test]
fn refuses_empty_principals_bad_windows_and_bad_fields() {
    let key = support::user_key();
    let ca = support::ca();
    let names = principals(&["alice"]);
    let none: Vec<String> = Vec::new();
    assert_eq!(
        ca.issue(&request(&key, &none)).unwrap_err(),
        IssueError::NoPrincipals
    );
    let backwards = CertificateRequest {
        valid_after: at("2030-01-02T05:00:00Z"),
        valid_before: at("2030-01-02T04:00:00Z"),
        ..request(&key, &names)
    };
    assert!(matches!(
        ca.issue(&backwards).unwrap_err(),
        IssueError::WindowEndsBeforeStart { .. }
    ));
    let empty = CertificateRequest {
        valid_after: at("2030-01-02T05:00:00Z"),
        valid_before: at("2030-01-02T05:00:00Z"),
        ..request(&key, &names)
    };
    assert!(matches!(
        ca.issue(&empty).unwrap_err(),
        IssueError::WindowEndsBeforeStart { .. }
    ));
    let within_a_second = CertificateRequest {
        valid_after: at("2030-01-02T05:00:00.1Z"),
        valid_before: at("2030-01-02T05:00:00.9Z"),
        ..request(&key, &names)
    };
    assert!(matches!(
        ca.issue(&within_a_second).unwrap_err(),
        IssueError::WindowEndsBeforeStart { .. }
    ));
    let too_long = CertificateRequest {
        max_validity: SignedDuration::from_hours(1),
        ..request(&key, &names)
    };
    let err = ca.issue(&too_long).unwrap_err();
    assert_eq!(
        err,
        IssueError::WindowTooLong {
            length: SignedDuration::from_hours(2),
            max: SignedDuration::from_hours(1)
        }
    );
    assert_eq!(
        err.to_string(),
        "the window lasts 2h, longer than the maximum of 1h"
    );
    let before_1970 = CertificateRequest {
        valid_after: at("1969-12-31T23:00:00Z"),
        valid_before: at("1970-01-01T01:00:00Z"),
        ..request(&key, &names)
    };
    assert!(matches!(
        ca.issue(&before_1970).unwrap_err(),
        IssueError::BeforeEpoch { .. }
    ));
    assert_eq!(
        ca.issue(&CertificateRequest {
            serial: 0,
            ..request(&key, &names)
        })
        .unwrap_err(),
        IssueError::ZeroSerial
    );
    assert_eq!(
        ca.issue(&CertificateRequest {
            key_id: "",
            ..request(&key, &names)
        })
        .unwrap_err(),
        IssueError::EmptyKeyId
    );
    assert!(matches!(
        ca.issue(&CertificateRequest {
            key_id: "grant\n1",
            ..request(&key, &names)
        })
        .unwrap_err(),
        IssueError::KeyId { .. }
    ));
    for bad in ["", "al ice", "alice,root", "tab\there"] {
        let names = principals(&["bob", bad]);
        assert_eq!(
            ca.issue(&request(&key, &names)).unwrap_err(),
            IssueError::Principal {
                principal: bad.to_owned()
            },
            "{bad:?}"
        );
    }
    let many: Vec<String> = (0..257).map(|i| format!("u{i}")).collect();
    assert_eq!(
        ca.issue(&request(&key, &many)).unwrap_err(),
        IssueError::TooManyPrincipals { found: 257 }
    );
}

#[test]
fn duplicate_principals_are_written_once() {
    let key = support::user_key();
    let names = principals(&["alice", "deploy", "alice"]);
    let cert = support::ca().issue(&request(&key, &names)).unwrap();
    assert_eq!(cert.principals(), ["alice", "deploy"]);
}

#[test]
fn source_addresses_are_checked() {
    use SourceAddressError as E;
    let ok = SourceAddresses::parse("192.168.0.0/24,::1,10.0.0.1/32,192.168.0.0/24").unwrap();
    assert_eq!(ok.to_string(), "192.168.0.0/24,::1/128,10.0.0.1/32");
    assert_eq!(SourceAddresses::parse("  ").unwrap_err(), E::Empty);
    assert_eq!(
        SourceAddresses::parse("10.0.0.0/8,,::1").unwrap_err(),
        E::EmptyEntry { position: 2 }
    );
    assert_eq!(
        SourceAddresses::parse("example.com").unwrap_err(),
        E::Address {
            entry: "example.com".into()
        }
    );
    assert_eq!(
        SourceAddresses::parse("10.0.0.0/33").unwrap_err(),
        E::Prefix {
            entry: "10.0.0.0/33".into(),
            max: 32
        }
    );
    assert_eq!(
        SourceAddresses::parse("::/+3").unwrap_err(),
        E::Prefix {
            entry: "::/+3".into(),
            max: 128
        }
    );
    let err = SourceAddresses::parse("10.1.2.3/8").unwrap_err();
    assert_eq!(
        err,
        E::HostBits {
            entry: "10.1.2.3/8".into(),
            network: "10.0.0.0/8".into()
        }
    );
    assert!(
        err.to_string().contains("did you mean 10.0.0.0/8?"),
        "{err}"
    );
    let many = vec!["10.0.0.1"; 65].join(",");
    assert_eq!(
        SourceAddresses::parse(&many).unwrap_err(),
        E::TooMany { found: 65 }
    );
}

#[test]
fn the_ca_public_key_is_an_openssh_line_and_debug_hides_the_secret() {
    let ca = CaKey::from_seed(&[9; 32]);
    let line = ca.public_key().to_openssh();
    assert!(
        line.starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"),
        "{line}"
    );
    assert!(line.ends_with(" palisade-ssh-ca"), "{line}");
    let debug = format!("{ca:?}");
    assert!(
        debug.contains("redacted") && debug.contains("SHA256:"),
        "{debug}"
    );
    assert!(!debug.contains("0909"), "{debug}");
    assert_eq!(
        palisade_access::ssh::CaPublicKey::parse(&line).unwrap(),
        ca.public_key()
    );
    let other = CaKey::generate().unwrap();
    assert_ne!(other.public_key(), ca.public_key());
}
