//! Sealed secrets: each way of failing to open one is its own error, and
//! the CA key survives a seal and open.

use base64::Engine as _;
use palisade_access::secrets::{self, Key, KeyError, OpenError, PREFIX_V1, SealError, Secret};
use palisade_access::ssh::CaKey;

fn key(byte: u8) -> Key {
    Key::from_bytes([byte; 32])
}

#[test]
fn seal_and_open_round_trip_with_fresh_nonces() {
    let k = key(1);
    let a = secrets::seal(&k, "db-admin-password", b"hunter2").unwrap();
    let b = secrets::seal(&k, "db-admin-password", b"hunter2").unwrap();
    assert_ne!(a, b, "each seal has its own nonce");
    assert!(
        a.starts_with(&format!("{PREFIX_V1}db-admin-password:{}:", k.id())),
        "{a}"
    );
    assert_eq!(
        &secrets::open(&k, "db-admin-password", &a).unwrap()[..],
        b"hunter2"
    );
    // A key file's trailing newline does not matter.
    assert_eq!(
        &secrets::open(&k, "db-admin-password", &format!("{b}\n")).unwrap()[..],
        b"hunter2"
    );
    let empty = secrets::seal(&k, "x", b"").unwrap();
    assert!(secrets::open(&k, "x", &empty).unwrap().is_empty());
}

#[test]
fn the_ca_key_is_stored_only_sealed_and_opens_to_the_same_ca() {
    let k = Key::generate().unwrap();
    let ca = CaKey::generate().unwrap();
    let sealed = ca.seal(&k).unwrap();
    assert!(
        sealed.starts_with("palisade-sealed-v1:ssh-ca-key:"),
        "{sealed}"
    );
    let opened = CaKey::open(&sealed, &k).unwrap();
    assert_eq!(opened.public_key(), ca.public_key());
    let err = CaKey::open(&sealed, &key(2)).unwrap_err();
    assert!(matches!(err, OpenError::WrongKey { .. }));
    assert!(
        err.to_string()
            .starts_with("the key does not open this secret: wrong key file?"),
        "{err}"
    );
    // A secret of another kind is not taken for the CA key.
    let other = secrets::seal(&k, "db-admin-password", &[0; 32]).unwrap();
    assert_eq!(
        CaKey::open(&other, &k).unwrap_err(),
        OpenError::WrongLabel {
            expected: "ssh-ca-key".into(),
            found: "db-admin-password".into()
        }
    );
    let short = secrets::seal(&k, "ssh-ca-key", &[0; 31]).unwrap();
    assert!(matches!(
        CaKey::open(&short, &k).unwrap_err(),
        OpenError::Contents { .. }
    ));
}

#[test]
fn a_wrong_key_is_told_apart_and_names_both_keys() {
    let sealed = secrets::seal(&key(1), "ssh-ca-key", b"secret").unwrap();
    assert_eq!(
        secrets::open(&key(2), "ssh-ca-key", &sealed).unwrap_err(),
        OpenError::WrongKey {
            sealed_with: key(1).id(),
            given: key(2).id()
        }
    );
}

#[test]
fn tampered_ciphertext_is_refused() {
    let k = key(1);
    let sealed = secrets::seal(&k, "ssh-ca-key", b"the secret").unwrap();
    let (head, payload) = sealed.rsplit_once(':').unwrap();
    let mut bytes = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .unwrap();
    for i in [0, 12, bytes.len() - 1] {
        let mut altered = bytes.clone();
        altered[i] ^= 1;
        let text = format!(
            "{head}:{}",
            base64::engine::general_purpose::STANDARD.encode(&altered)
        );
        assert_eq!(
            secrets::open(&k, "ssh-ca-key", &text).unwrap_err(),
            OpenError::Tampered,
            "byte {i}"
        );
    }
    bytes.push(0);
    let longer = format!(
        "{head}:{}",
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    );
    assert_eq!(
        secrets::open(&k, "ssh-ca-key", &longer).unwrap_err(),
        OpenError::Tampered
    );
}

#[test]
fn the_label_is_bound_to_the_ciphertext() {
    let k = key(1);
    let sealed = secrets::seal(&k, "db-admin-password", b"pw").unwrap();
    assert_eq!(
        secrets::open(&k, "ssh-ca-key", &sealed).unwrap_err(),
        OpenError::WrongLabel {
            expected: "ssh-ca-key".into(),
            found: "db-admin-password".into()
        }
    );
    // Relabelled in the text: the associated data no longer matches.
    let relabelled = sealed.replace(":db-admin-password:", ":ssh-ca-key:");
    assert_eq!(
        secrets::open(&k, "ssh-ca-key", &relabelled).unwrap_err(),
        OpenError::Tampered
    );
}

#[test]
fn truncated_malformed_and_unknown_inputs_are_named() {
    let k = key(1);
    let sealed = secrets::seal(&k, "x", b"secret").unwrap();
    let (head, payload) = sealed.rsplit_once(':').unwrap();
    let cut = format!("{head}:{}", &payload[..20]);
    assert_eq!(
        secrets::open(&k, "x", &cut).unwrap_err(),
        OpenError::Truncated { found: 15 }
    );
    assert!(matches!(
        secrets::open(&k, "x", &format!("{head}:")).unwrap_err(),
        OpenError::Truncated { found: 0 }
    ));
    assert!(matches!(
        secrets::open(&k, "x", &format!("{head}:@@@@")).unwrap_err(),
        OpenError::Malformed { .. }
    ));
    assert!(matches!(
        secrets::open(&k, "x", "palisade-sealed-v1:x").unwrap_err(),
        OpenError::Malformed { .. }
    ));
    assert!(matches!(
        secrets::open(&k, "x", "palisade-sealed-v1:x:nothex:AAAA").unwrap_err(),
        OpenError::Malformed { .. }
    ));
    assert_eq!(
        secrets::open(&k, "x", "palisade-sealed-v2:x:0011223344556677:AAAA").unwrap_err(),
        OpenError::UnknownVersion {
            found: "palisade-sealed-v2".into()
        }
    );
    assert_eq!(
        secrets::open(&k, "x", "-----BEGIN OPENSSH PRIVATE KEY-----").unwrap_err(),
        OpenError::NotSealed
    );
    assert_eq!(
        secrets::open(&k, "x", "").unwrap_err(),
        OpenError::NotSealed
    );
}

#[test]
fn labels_are_checked_when_sealing() {
    for bad in ["", "SSH", "a b", "a:b", &"x".repeat(65)] {
        assert_eq!(
            secrets::seal(&key(1), bad, b"s").unwrap_err(),
            SealError::Label { label: bad.into() }
        );
    }
}

#[test]
fn keys_parse_from_hex_and_base64_with_clear_errors() {
    let hex = "00".repeat(31) + "ff";
    let from_hex = Key::from_hex(&format!("{hex}\n")).unwrap();
    assert_eq!(*from_hex.to_hex(), hex);
    assert_eq!(
        Key::from_hex(&hex.to_uppercase()).unwrap().id(),
        from_hex.id()
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    assert_eq!(Key::from_base64(&b64).unwrap().id(), key(7).id());
    assert_eq!(
        Key::from_base64(b64.trim_end_matches('=')).unwrap().id(),
        key(7).id()
    );

    assert_eq!(Key::from_hex(" \n").unwrap_err(), KeyError::Empty);
    assert_eq!(
        Key::from_hex("abc").unwrap_err(),
        KeyError::HexLength { found: 3 }
    );
    assert_eq!(
        Key::from_hex(&format!("{}zz", "0".repeat(62))).unwrap_err(),
        KeyError::NotHex {
            found: 'z',
            position: 62
        }
    );
    assert_eq!(Key::from_base64("").unwrap_err(), KeyError::Empty);
    assert_eq!(
        Key::from_base64(&base64::engine::general_purpose::STANDARD.encode([1u8; 16])).unwrap_err(),
        KeyError::Base64Length { found: 16 }
    );
    assert!(matches!(
        Key::from_base64("not base64!").unwrap_err(),
        KeyError::NotBase64 { .. }
    ));
}

#[test]
fn debug_never_shows_secret_material() {
    let k = Key::from_hex(&"ab".repeat(32)).unwrap();
    let shown = format!("{k:?}");
    assert!(!shown.contains("abab"), "{shown}");
    assert!(shown.contains(&k.id()), "{shown}");
    let s = Secret::new(b"hunter2".to_vec());
    assert_eq!(format!("{s:?}"), "Secret(7 bytes, redacted)");
    let sealed = s.seal(&k, "db-admin-password").unwrap();
    assert_eq!(
        Secret::open(&sealed, &k, "db-admin-password")
            .unwrap()
            .expose(),
        b"hunter2"
    );
}
