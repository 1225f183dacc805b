//! Parsing a user's public key line: every kind of bad input gets its own
//! error.

use std::process::Command;

use palisade_access::ssh::{PublicKeyError as E, UserPublicKey};

use super::support::{self, run, tool};

const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBb4zBkzfPfYtx0Yp4xsbUbTmJ+Fm9g0X4FqsRzpVH0y alice@laptop";

#[test]
fn parses_keys_made_by_ssh_keygen_of_every_supported_type() {
    let Some(keygen) = tool("PALISADE_TEST_SSH_KEYGEN") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (kind, bits, expected) in [
        ("ed25519", "256", "ssh-ed25519"),
        ("ecdsa", "256", "ecdsa-sha2-nistp256"),
        ("ecdsa", "384", "ecdsa-sha2-nistp384"),
        ("ecdsa", "521", "ecdsa-sha2-nistp521"),
        ("rsa", "3072", "ssh-rsa"),
    ] {
        let path = dir.path().join(format!("{kind}{bits}"));
        let out = run(Command::new(&keygen)
            .args([
                "-q", "-t", kind, "-b", bits, "-N", "", "-C", "bob@host", "-f",
            ])
            .arg(&path));
        assert!(out.status.success(), "{out:?}");
        let line = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        let key = UserPublicKey::parse(&line).unwrap();
        assert_eq!(key.key_type(), expected);
        assert_eq!(key.comment(), "bob@host");
        let fp = run(Command::new(&keygen)
            .arg("-l")
            .arg("-f")
            .arg(path.with_extension("pub")));
        let fp = String::from_utf8(fp.stdout).unwrap();
        assert!(
            fp.contains(&key.fingerprint()),
            "{fp} vs {}",
            key.fingerprint()
        );
    }
    let short = dir.path().join("rsa1024");
    let out = run(Command::new(&keygen)
        .args(["-q", "-t", "rsa", "-b", "1024", "-N", "", "-f"])
        .arg(&short));
    assert!(out.status.success(), "{out:?}");
    let line = std::fs::read_to_string(short.with_extension("pub")).unwrap();
    assert_eq!(
        UserPublicKey::parse(&line).unwrap_err(),
        E::RsaTooShort { bits: 1024 }
    );
    // A certificate ssh-keygen made is not a public key.
    let cert = support::issue(
        &support::ca(),
        &support::user_key(),
        &support::principals(&["a"]),
        1,
        (
            "2030-01-01T00:00:00Z".parse().unwrap(),
            "2030-01-01T01:00:00Z".parse().unwrap(),
        ),
    );
    assert_eq!(
        UserPublicKey::parse(&cert.to_openssh()).unwrap_err(),
        E::Certificate {
            found: "ssh-ed25519-cert-v01@openssh.com".into()
        }
    );
}

#[test]
fn a_key_line_round_trips_with_its_comment() {
    let key = UserPublicKey::parse(&format!("\n  {ED25519}  \n\n")).unwrap();
    assert_eq!(key.key_type(), "ssh-ed25519");
    assert_eq!(key.comment(), "alice@laptop");
    assert_eq!(key.to_openssh(), ED25519);
    assert_eq!(ED25519.parse::<UserPublicKey>().unwrap(), key);
    let no_comment = ED25519.rsplit_once(' ').unwrap().0;
    assert_eq!(UserPublicKey::parse(no_comment).unwrap().comment(), "");
    assert!(format!("{key:?}").contains("SHA256:"));
}

#[test]
fn each_malformed_line_gets_a_precise_error() {
    let data = ED25519.split(' ').nth(1).unwrap();
    let cases: Vec<(String, E)> = vec![
        ("".into(), E::Empty),
        ("  \n \n".into(), E::Empty),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----".into(),
            E::PrivateKey,
        ),
        (format!("{ED25519}\n{ED25519}"), E::MultipleLines { lines: 2 }),
        (
            "---- BEGIN SSH2 PUBLIC KEY ----\nAAAAC3NzaC1lZDI1NTE5\n---- END SSH2 PUBLIC KEY ----".into(),
            E::Rfc4716,
        ),
        (
            format!("from=\"10.0.0.0/8\",no-pty {ED25519}"),
            E::Options {
                options: "from=\"10.0.0.0/8\",no-pty".into(),
            },
        ),
        (
            format!("ssh-dss {data}"),
            E::Deprecated {
                found: "ssh-dss".into(),
            },
        ),
        (
            format!("ssh-foo {data}"),
            E::UnknownType {
                found: "ssh-foo".into(),
            },
        ),
        (
            "ssh-ed25519".into(),
            E::MissingKeyData {
                key_type: "ssh-ed25519".into(),
            },
        ),
        (
            format!("ecdsa-sha2-nistp256 {data} x"),
            E::TypeMismatch {
                line: "ecdsa-sha2-nistp256".into(),
                data: "ssh-ed25519".into(),
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            UserPublicKey::parse(&input).unwrap_err(),
            expected,
            "{input:?}"
        );
    }
    assert!(matches!(
        UserPublicKey::parse("ssh-ed25519 not*base64").unwrap_err(),
        E::Base64 { .. }
    ));
    // Cut short: valid base64 of too few bytes.
    assert!(matches!(
        UserPublicKey::parse(&format!("ssh-ed25519 {}", &data[..40])).unwrap_err(),
        E::KeyData { .. }
    ));
    let err = UserPublicKey::parse("ssh-foo AAAA")
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected one of: ssh-ed25519"), "{err}");
}
