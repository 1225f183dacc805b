//! Properties: the public-key parser and the source-address parser never
//! panic, keys round-trip, and arbitrary revocation sets read back through
//! `ssh-keygen -Q` exactly.

use std::collections::BTreeSet;
use std::path::Path;

use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use palisade_access::secrets::{self, Key};
use palisade_access::ssh::{CaKey, Krl, SourceAddresses, UserPublicKey};
use proptest::prelude::*;

use super::krl::keygen_revoked;
use super::support::{self, principals, tool};

proptest! {
    #[test]
    fn the_public_key_parser_never_panics_on_text(text in "\\PC{0,200}") {
        let _ = UserPublicKey::parse(&text);
    }

    #[test]
    fn the_public_key_parser_never_panics_on_key_data(
        key_type in prop::sample::select(palisade_access::ssh::SUPPORTED_KEY_TYPES),
        blob in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let line = format!("{key_type} {}", base64::engine::general_purpose::STANDARD.encode(&blob));
        let _ = UserPublicKey::parse(&line);
    }

    #[test]
    fn a_mangled_key_line_is_refused_or_parsed_never_a_panic(
        seed in any::<[u8; 32]>(),
        cut in 0usize..120,
        flip in 0usize..120,
        byte in any::<u8>(),
    ) {
        let line = CaKey::from_seed(&seed).public_key().to_openssh();
        let parsed = UserPublicKey::parse(&line).unwrap();
        prop_assert_eq!(parsed.to_openssh(), line.clone());
        let mut bytes = line.into_bytes();
        let at = flip % bytes.len();
        bytes[at] = byte;
        bytes.truncate(bytes.len() - cut.min(bytes.len()));
        let _ = UserPublicKey::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn the_source_address_parser_never_panics(text in "[0-9a-f.:/, ]{0,60}") {
        if let Ok(list) = SourceAddresses::parse(&text) {
            // What it writes it reads back the same.
            let again = SourceAddresses::parse(&list.to_string()).unwrap();
            prop_assert_eq!(again, list);
        }
    }

    #[test]
    fn the_krl_encoder_never_panics_and_keeps_what_it_is_given(
        serials in prop::collection::vec(any::<u64>(), 0..50),
        key_ids in prop::collection::vec("\\PC{0,40}", 0..10),
    ) {
        let mut krl = Krl::new();
        for serial in &serials {
            prop_assert_eq!(krl.revoke_serial(*serial).is_err(), *serial == 0);
        }
        for key_id in &key_ids {
            let _ = krl.revoke_key_id(key_id);
        }
        let bytes = krl.encode(&support::ca().public_key(), 1, Timestamp::UNIX_EPOCH);
        prop_assert!(bytes.starts_with(b"SSHKRL\n\0"));
        let expected: BTreeSet<u64> = serials.into_iter().filter(|s| *s != 0).collect();
        prop_assert_eq!(krl.serials().collect::<BTreeSet<_>>(), expected);
    }

    #[test]
    fn opening_arbitrary_text_never_panics(text in "(palisade-sealed-v1:x:[0-9a-f]{16}:)?\\PC{0,80}") {
        let _ = secrets::open(&Key::from_bytes([1; 32]), "x", &text);
    }
}

fn serial_sets() -> impl Strategy<Value = BTreeSet<u64>> {
    // Runs and scattered serials, near 1 and near the top of the range.
    let run =
        (1u64..200, 1u64..8).prop_map(|(start, len)| (start..start + len).collect::<Vec<_>>());
    let scattered = prop::collection::vec(
        prop_oneof![
            1u64..300,
            (u64::MAX - 5)..=u64::MAX,
            any::<u64>().prop_map(|s| s.max(1))
        ],
        0..12,
    );
    (prop::collection::vec(run, 0..4), scattered)
        .prop_map(|(runs, scattered)| runs.into_iter().flatten().chain(scattered).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_serial_sets_read_back_through_ssh_keygen(revoked in serial_sets(), probes in prop::collection::vec(1u64..300, 0..6)) {
        let Some(keygen) = tool("PALISADE_TEST_SSH_KEYGEN") else {
            return Ok(());
        };
        let dir = tempfile::tempdir().unwrap();
        let ca = support::ca();
        let key = support::user_key();
        let names = principals(&["alice"]);
        let start: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let window = (start, start + SignedDuration::from_hours(1));

        let mut krl = Krl::new();
        for serial in &revoked {
            krl.revoke_serial(*serial).unwrap();
        }
        let krl_path = dir.path().join("krl");
        std::fs::write(&krl_path, krl.encode(&ca.public_key(), 1, start)).unwrap();

        // Every revoked serial, each neighbour, and a few probes.
        let mut check: BTreeSet<u64> = probes.into_iter().collect();
        for serial in &revoked {
            check.insert(*serial);
            check.insert(serial.saturating_add(1));
            if *serial > 1 {
                check.insert(serial - 1);
            }
        }
        let mut paths = Vec::new();
        for serial in &check {
            let cert = support::issue(&ca, &key, &names, *serial, window);
            let path = dir.path().join(format!("{serial}-cert.pub"));
            support::write_cert(&path, &cert);
            paths.push(path);
        }
        if paths.is_empty() {
            return Ok(());
        }
        let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
        let answers = keygen_revoked(&keygen, &krl_path, &refs);
        for (serial, answer) in check.iter().zip(answers) {
            prop_assert_eq!(answer, revoked.contains(serial), "serial {}", serial);
        }
    }
}
