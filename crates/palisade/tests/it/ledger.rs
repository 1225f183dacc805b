//! `palisade ledger` end to end: keys, appends, receipts, verification,
//! bundles, and durability when the writer is killed mid-append.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{palisade, root};

pub(crate) struct Log {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) model: String,
}

impl Log {
    /// A log with a fresh key, whose model (a copy of the acme example) publishes
    /// that key as `org.log_key`, so the `verify*` commands have a key to pin.
    fn new() -> Self {
        let log = Self::unpinned();
        let vkey = log.vkey();
        let model = log.dir.path().join("palisade.toml");
        let text = std::fs::read_to_string(&log.model).unwrap().replacen(
            "log_name = \"acme.example/palisade\"\n",
            &format!("log_name = \"acme.example/palisade\"\nlog_key = \"{vkey}\"\n"),
            1,
        );
        std::fs::write(&model, text).unwrap();
        Log {
            model: model.to_str().unwrap().to_owned(),
            ..log
        }
    }

    /// A log whose model (the acme example) publishes no key.
    pub(crate) fn unpinned() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let model = root()
            .join("examples/acme/palisade.toml")
            .to_str()
            .unwrap()
            .to_owned();
        let log = Log { dir, model };
        let run = log.run(&["keygen"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        log
    }

    /// The log's verifier key text.
    fn vkey(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(".palisade/ledger.vkey"))
            .unwrap()
            .trim()
            .to_owned()
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) {
        std::fs::write(self.dir.path().join(name), bytes).unwrap();
    }

    pub(crate) fn run(&self, args: &[&str]) -> crate::Run {
        let mut all = vec!["ledger", "--model", self.model.as_str()];
        all.extend_from_slice(args);
        palisade(self.dir.path(), &all)
    }
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_can_read() {
    let log = Log::new();
    let key = log.dir.path().join(".palisade/ledger.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let vkey = std::fs::read_to_string(log.dir.path().join(".palisade/ledger.vkey")).unwrap();
    assert!(vkey.starts_with("acme.example/palisade+"), "{vkey}");
    let private = std::fs::read_to_string(&key).unwrap();
    // `PRIVATE+KEY+<name>+<key id>+<key>`: the key is standard base64, which
    // may itself hold a `+`, so split off the first four fields only.
    let seed_part = private.trim().splitn(5, '+').nth(4).unwrap();
    assert!(seed_part.len() >= 44, "{seed_part}");
    // The private part is never printed.
    let again = log.run(&["keygen"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert!(!again.stdout.contains(seed_part) && !again.stderr.contains(seed_part));
}

#[test]
fn append_prove_and_verify_a_receipt_offline() {
    let log = Log::new();
    for i in 0..5 {
        let data = format!("{{\"n\":{i}}}");
        let run = log.run(&[
            "append",
            "--kind",
            "gate.verdict",
            "--subject",
            "payments-api",
            "--data",
            &data,
            "--format",
            "json",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let v: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(v["index"], i);
        assert!(
            v["receipt"]
                .as_str()
                .unwrap()
                .starts_with("c2sp.org/tlog-proof@v1\n")
        );
    }
    let prove = log.run(&["prove", "3", "-o", "r3.txt"]);
    assert_eq!(prove.code, 0, "{}", prove.stderr);
    let show = log.run(&["show", "3"]);
    std::fs::write(log.dir.path().join("e3.json"), show.stdout.trim_end()).unwrap();
    let ok = log.run(&["verify-receipt", "r3.txt", "--entry", "e3.json"]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.starts_with("ok: entry 3"), "{}", ok.stdout);
    // Another entry's bytes do not match the receipt.
    let show = log.run(&["show", "2"]);
    std::fs::write(log.dir.path().join("e2.json"), show.stdout.trim_end()).unwrap();
    let bad = log.run(&["verify-receipt", "r3.txt", "--entry", "e2.json"]);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(
        bad.stdout.contains("does not prove this entry"),
        "{}",
        bad.stdout
    );
    let tail = log.run(&["tail", "-n", "2", "--format", "json"]);
    let v: Value = serde_json::from_str(&tail.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[1]["index"], 4);
}

#[test]
fn export_and_verify_a_bundle_then_catch_a_damaged_one() {
    let log = Log::new();
    let events: String = (0..30)
        .map(|i| {
            format!(
                "{{\"kind\":\"access.grant\",\"subject\":\"grant-{i}\",\"data\":{{\"i\":{i}}}}}\n"
            )
        })
        .collect();
    std::fs::write(log.dir.path().join("events.jsonl"), events).unwrap();
    let run = log.run(&["append", "--from", "events.jsonl", "--batch", "10"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 30);
    let run = log.run(&[
        "export",
        "--since",
        "2000-01-01",
        "--until",
        "2100-01-01",
        "-o",
        "bundle",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ok = log.run(&["verify-bundle", "bundle"]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert!(ok.stdout.contains("ok: 30 entries"), "{}", ok.stdout);
    let entries = log.dir.path().join("bundle/entries.jsonl");
    let text = std::fs::read_to_string(&entries)
        .unwrap()
        .replacen("grant-7", "grant-8", 1);
    std::fs::write(&entries, text).unwrap();
    let bad = log.run(&["verify-bundle", "bundle"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stdout.contains("proofs.jsonl:8"), "{}", bad.stdout);
}

/// Kills a writer with SIGKILL at random points, again and again: every
/// append it acknowledged must survive, and the log must always verify.
#[test]
fn a_writer_killed_at_any_point_leaves_a_log_that_verifies() {
    let log = Log::new();
    let events: String = (0..100_000)
        .map(|i| {
            format!(
                "{{\"kind\":\"test.append\",\"subject\":\"s{}\",\"data\":{i}}}\n",
                i % 10
            )
        })
        .collect();
    std::fs::write(log.dir.path().join("events.jsonl"), events).unwrap();
    let mut acknowledged: u64 = 0;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..25 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let batch = if round % 2 == 0 { "1" } else { "50" };
        let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args([
                "ledger",
                "--model",
                &log.model,
                "append",
                "--from",
                "events.jsonl",
                "--batch",
                batch,
            ])
            .current_dir(log.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let kill_after = Duration::from_millis(20 + seed % 250);
        let reader = std::thread::spawn(move || {
            let mut last = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                last = line.trim().parse::<u64>().ok();
            }
            last
        });
        let started = Instant::now();
        while started.elapsed() < kill_after {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        if let Some(last) = reader.join().unwrap() {
            acknowledged = acknowledged.max(last + 1);
        }
        let verify = log.run(&["verify", "--format", "json"]);
        assert_eq!(
            verify.code, 0,
            "round {round}: {}{}",
            verify.stdout, verify.stderr
        );
        let v: Value = serde_json::from_str(&verify.stdout).unwrap();
        assert_eq!(v["ok"], true, "round {round}: {v}");
        let size = v["entries"].as_u64().unwrap();
        assert!(
            size >= acknowledged,
            "round {round}: {acknowledged} appends were acknowledged but only {size} survived"
        );
    }
    assert!(acknowledged > 0, "the writer never got to append anything");
}

/// The `verify-receipt` subcommand's `--verifier` used the field name `key`, the id of
/// the ledger's global `--key`: clap's checks panicked (exit 101) as soon as the
/// subcommand was parsed. Now `--verifier` works next to `--key`.
#[test]
fn regression_verify_receipt_takes_verifier_without_clashing_with_key() {
    let log = Log::new();
    let help = log.run(&["verify-receipt", "--help"]);
    assert_ne!(help.code, 101, "{}", help.stderr);
    assert_eq!(help.code, 0, "{}", help.stderr);
    assert!(help.stdout.contains("--verifier <KEY>"), "{}", help.stdout);
    // The ledger's own options come after the subcommand's.
    let own = help.stdout.find("--entry").unwrap();
    let ledger = help.stdout.find("Ledger options:").unwrap();
    assert!(own < ledger, "{}", help.stdout);
    assert!(
        help.stdout[ledger..].contains("--key <KEY>"),
        "{}",
        help.stdout
    );

    let run = log.run(&["append", "--kind", "k", "--subject", "s"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(log.run(&["prove", "0", "-o", "r0.txt"]).code, 0);
    let show = log.run(&["show", "0"]);
    std::fs::write(log.dir.path().join("e0.json"), &show.stdout).unwrap();
    let vkey = log.dir.path().join(".palisade/ledger.vkey");
    let vkey_text = std::fs::read_to_string(&vkey).unwrap();
    for verifier in [vkey.to_str().unwrap(), vkey_text.trim()] {
        let args = [
            "verify-receipt",
            "r0.txt",
            "--entry",
            "e0.json",
            "--verifier",
            verifier,
            "--key",
            "no-such.key",
        ];
        let ok = log.run(&args);
        assert_ne!(ok.code, 101, "{}", ok.stderr);
        assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
        assert!(ok.stdout.starts_with("ok: entry 0"), "{}", ok.stdout);
    }
    // Without --verifier, the model's org.log_key is pinned.
    let pinned = log.run(&["verify-receipt", "r0.txt", "--entry", "e0.json"]);
    assert_eq!(pinned.code, 0, "{}{}", pinned.stdout, pinned.stderr);
}

/// Appends `n` entries, alternating between two kinds, each with data `{"n":i}`.
fn append_alternating(log: &Log, n: u64) {
    let events: String = (0..n)
        .map(|i| {
            let kind = if i % 2 == 0 {
                "gate.verdict"
            } else {
                "access.grant"
            };
            format!("{{\"kind\":\"{kind}\",\"subject\":\"payments-api\",\"data\":{{\"n\":{i}}}}}\n")
        })
        .collect();
    std::fs::write(log.dir.path().join("events.jsonl"), events).unwrap();
    let run = log.run(&["append", "--from", "events.jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// `tail -n 3 --kind K` printed the oldest three entries of that kind: filtered queries
/// ran in ascending order with a limit. Now the latest three, still oldest first.
#[test]
fn regression_tail_with_a_filter_returns_the_latest_entries_not_the_oldest() {
    let log = Log::new();
    append_alternating(&log, 10);
    let indexes = |args: &[&str]| -> Vec<u64> {
        let mut all = vec!["tail", "--format", "json"];
        all.extend_from_slice(args);
        let run = log.run(&all);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let v: Value = serde_json::from_str(&run.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e["index"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(indexes(&["-n", "3", "--kind", "gate.verdict"]), [4, 6, 8]);
    assert_eq!(indexes(&["-n", "2", "--kind", "access.grant"]), [7, 9]);
    assert_eq!(
        indexes(&["-n", "3", "--subject", "payments-api"]),
        [7, 8, 9]
    );
    assert_eq!(indexes(&["-n", "2", "--since", "2000-01-01"]), [8, 9]);
    assert_eq!(indexes(&["-n", "3"]), [7, 8, 9]);
}

/// `check` accepted witness keys that every `palisade ledger` command then refused
/// (here a name with a control character, which is not whitespace): both now parse keys
/// with one parser and refuse such a key for the same reason.
#[test]
fn regression_check_refuses_the_witness_keys_the_ledger_refuses() {
    use base64::Engine as _;
    use palisade_model::note_key::{Algorithm, key_id};
    let dir = tempfile::tempdir().unwrap();
    let name = "witness\u{7}example";
    let public: [u8; 32] = std::array::from_fn(|i| i as u8);
    let mut material = vec![Algorithm::CosignatureV1.byte()];
    material.extend_from_slice(&public);
    let key = format!(
        "{name}+{:08x}+{}",
        key_id(name, Algorithm::CosignatureV1, &public),
        base64::engine::general_purpose::STANDARD.encode(&material)
    );
    let acme = std::fs::read_to_string(root().join("examples/acme/palisade.toml")).unwrap();
    let witness = "name = \"witness.example.org\"\n\
                   key = \"witness.example.org+eaed67a5+BAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f\"";
    assert!(acme.contains(witness));
    let toml_key = key.replace('\u{7}', "\\u0007");
    let model = acme.replace(
        witness,
        &format!("name = \"witness\\u0007example\"\nkey = \"{toml_key}\""),
    );
    std::fs::write(dir.path().join("palisade.toml"), model).unwrap();

    let reason = r#"key name "witness\u{7}example" contains a control character"#;
    let check = palisade(dir.path(), &["check", "--today", crate::TODAY]);
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    assert!(
        check
            .stdout
            .contains(&format!("has an invalid verifier key: {reason}")),
        "{}",
        check.stdout
    );
    let ledger = palisade(dir.path(), &["ledger", "tail"]);
    assert_eq!(ledger.code, 2, "{}{}", ledger.stdout, ledger.stderr);
    assert!(ledger.stderr.contains(reason), "{}", ledger.stderr);
}

/// Replaces what changes from run to run in the ledger's human output: times
/// (`2026-11-22 09:00:00`, `2026-11-22T09:00:00.123456Z`), how long `verify` took, and
/// the root, which hashes entries holding those times.
fn filter_run_dependent(text: &str) -> String {
    let bytes = text.as_bytes();
    let digits = |at: usize, n: usize| {
        bytes.len() >= at + n && bytes[at..at + n].iter().all(u8::is_ascii_digit)
    };
    let is_time = |at: usize| {
        digits(at, 4)
            && bytes.get(at + 4) == Some(&b'-')
            && digits(at + 5, 2)
            && bytes.get(at + 7) == Some(&b'-')
            && digits(at + 8, 2)
            && matches!(bytes.get(at + 10), Some(b' ' | b'T'))
            && digits(at + 11, 2)
            && bytes.get(at + 13) == Some(&b':')
            && digits(at + 14, 2)
            && bytes.get(at + 16) == Some(&b':')
            && digits(at + 17, 2)
    };
    let mut out = String::new();
    let mut at = 0;
    while at < text.len() {
        if is_time(at) {
            let mut end = at + 19;
            if bytes.get(end) == Some(&b'.') {
                end += 1;
                while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
            }
            if bytes.get(end) == Some(&b'Z') {
                end += 1;
            }
            out.push_str("[TIME]");
            at = end;
        } else {
            let c = text[at..].chars().next().unwrap();
            out.push(c);
            at += c.len_utf8();
        }
    }
    out.lines()
        .map(|line| match (line.rfind(" in "), line.rfind("; root ")) {
            (Some(took), Some(root)) if line.starts_with("ok: ") && took < root => {
                format!("{} in [ELAPSED]; root [ROOT]", &line[..took])
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Changes one byte of entry 3's stored bytes in the SQLite file, as an administrator
/// with access to the file could: `{"n":3}` becomes `{"n":7}`.
fn alter_entry_3(log: &Log) {
    let db = log.dir.path().join(".palisade/palisade.db");
    let wal = db.with_extension("db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the log's last writer left a write-ahead log behind"
    );
    let mut bytes = std::fs::read(&db).unwrap();
    let pattern = br#""data":{"n":3}"#;
    let found: Vec<usize> = bytes
        .windows(pattern.len())
        .enumerate()
        .filter(|(_, w)| *w == pattern)
        .map(|(at, _)| at)
        .collect();
    assert_eq!(found.len(), 1, "entry 3's bytes are stored once");
    bytes[found[0] + pattern.len() - 2] = b'7';
    std::fs::write(&db, bytes).unwrap();
}

/// The ledger's human output, as people read it: `tail`, `show`, and `verify` of an
/// intact log and of one with an altered entry (the first divergence named).
#[test]
fn human_output_of_tail_show_and_verify() {
    let log = Log::new();
    append_alternating(&log, 5);

    let tail = log.run(&["tail"]);
    assert_eq!(tail.code, 0, "{}", tail.stderr);
    insta::assert_snapshot!("tail", filter_run_dependent(&tail.stdout));
    let tail = log.run(&["tail", "-n", "2", "--kind", "gate.verdict"]);
    assert_eq!(tail.code, 0, "{}", tail.stderr);
    insta::assert_snapshot!("tail_filtered", filter_run_dependent(&tail.stdout));

    let show = log.run(&["show", "3"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    insta::assert_snapshot!("show", filter_run_dependent(&show.stdout));

    let verify = log.run(&["verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    insta::assert_snapshot!("verify_ok", filter_run_dependent(&verify.stdout));

    alter_entry_3(&log);
    let verify = log.run(&["verify"]);
    assert_eq!(verify.code, 1, "{}{}", verify.stdout, verify.stderr);
    insta::assert_snapshot!("verify_tampered", filter_run_dependent(&verify.stdout));
}

/// A wrong entry, a bad signature, a bad proof or an altered bundle is tampering
/// (exit 1, as docs/ledger.md promises); a wrong entry for a receipt gave 2.
#[test]
fn regression_verify_commands_exit_1_for_tampering_and_2_only_when_they_cannot_run() {
    let log = Log::new();
    append_alternating(&log, 4);
    assert_eq!(log.run(&["prove", "1", "-o", "r1.txt"]).code, 0);
    log.write("e1.json", log.run(&["show", "1"]).stdout);
    log.write("e2.json", log.run(&["show", "2"]).stdout);
    let ok = log.run(&["verify-receipt", "r1.txt", "--entry", "e1.json"]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);

    let wrong_entry = log.run(&["verify-receipt", "r1.txt", "--entry", "e2.json"]);
    assert_eq!(wrong_entry.code, 1, "{}", wrong_entry.stderr);
    let receipt = std::fs::read_to_string(log.dir.path().join("r1.txt")).unwrap();
    let sig_at = receipt.rfind(' ').unwrap() + 5;
    let mut bad_sig = receipt.clone().into_bytes();
    bad_sig[sig_at] = if bad_sig[sig_at] == b'A' { b'B' } else { b'A' };
    log.write("bad-sig.txt", bad_sig);
    let run = log.run(&["verify-receipt", "bad-sig.txt", "--entry", "e1.json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let proof_line = receipt.lines().nth(2).unwrap();
    let bad_proof = receipt.replacen(proof_line, &format!("{}=", "A".repeat(43)), 1);
    log.write("bad-proof.txt", bad_proof);
    let run = log.run(&["verify-receipt", "bad-proof.txt", "--entry", "e1.json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);

    // Could not run: a missing file, or no key to pin.
    let run = log.run(&["verify-receipt", "nope.txt", "--entry", "e1.json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = log.run(&["verify-note", "nope.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// `verify-bundle`, `verify-receipt` and `verify` trusted the key the data carried
/// (or one at hand); now they pin `--verifier` or the model's `org.log_key`, and
/// refuse to run with neither.
#[test]
fn regression_verify_bundle_does_not_trust_the_key_inside_the_bundle() {
    let log = Log::new();
    append_alternating(&log, 6);
    let export = [
        "export",
        "--since",
        "2000-01-01",
        "--until",
        "2100-01-01",
        "-o",
    ];
    let run = log.run(&[&export[..], &["bundle"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ok = log.run(&["verify-bundle", "bundle"]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    // `<name>+<key id>`: the base64 after them may itself hold a `+`.
    let vkey = log.vkey();
    let key_label = vkey.splitn(3, '+').take(2).collect::<Vec<_>>().join("+");
    assert!(
        ok.stdout.contains(&format!("signed by {key_label}")),
        "{}",
        ok.stdout
    );
    assert!(ok.stdout.contains("acme.example/palisade"), "{}", ok.stdout);

    // Someone rewrites the whole bundle and re-signs it with a key of their own,
    // shipping that key as log.vkey: it does not pass against the pinned key.
    let forger = Log::unpinned();
    let run = forger.run(&["append", "--kind", "gate.verdict", "--subject", "x"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let forged = log.dir.path().join("forged");
    let run = forger.run(&[&export[..], &[forged.to_str().unwrap()]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bad = log.run(&["verify-bundle", "forged"]);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(bad.stdout.contains("FAILED"), "{}", bad.stdout);

    // The genuine bundle with a swapped log.vkey still verifies against the pinned
    // key, and the swap is reported.
    std::fs::copy(
        forged.join("log.vkey"),
        log.dir.path().join("bundle/log.vkey"),
    )
    .unwrap();
    let swapped = log.run(&["verify-bundle", "bundle"]);
    assert_eq!(swapped.code, 0, "{}{}", swapped.stdout, swapped.stderr);
    assert!(
        swapped.stderr.contains("not the pinned key"),
        "{}",
        swapped.stderr
    );

    // With nothing pinned, every verify command refuses, saying how to pin.
    let unpinned = Log::unpinned();
    std::fs::create_dir_all(unpinned.dir.path().join("bundle")).unwrap();
    for name in ["entries.jsonl", "proofs.jsonl", "checkpoint", "log.vkey"] {
        std::fs::copy(
            log.dir.path().join("bundle").join(name),
            unpinned.dir.path().join("bundle").join(name),
        )
        .unwrap();
    }
    for args in [&["verify-bundle", "bundle"][..], &["verify"][..]] {
        let run = unpinned.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("--verifier") && run.stderr.contains("org.log_key"),
            "{}",
            run.stderr
        );
    }
    // --verifier pins a key without the model.
    let vkey_file = log.dir.path().join(".palisade/ledger.vkey");
    let run = unpinned.run(&[
        "verify-bundle",
        "bundle",
        "--verifier",
        vkey_file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // `verify` of a log signed with another key than the pinned one fails.
    let run = unpinned.run(&["append", "--kind", "k", "--subject", "s"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(unpinned.run(&["checkpoint"]).code, 0);
    let run = unpinned.run(&["verify", "--verifier", vkey_file.to_str().unwrap()]);
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// A file saved with a newline after the entry is fine, but all trailing newlines
/// were stripped, so an entry ending in newlines could be "proven" by another file.
#[test]
fn regression_verify_receipt_strips_at_most_one_trailing_newline() {
    let log = Log::new();
    append_alternating(&log, 3);
    assert_eq!(log.run(&["prove", "1", "-o", "r1.txt"]).code, 0);
    let entry = log.run(&["show", "1"]).stdout;
    let entry = entry.trim_end_matches('\n');
    log.write("one.json", format!("{entry}\n"));
    log.write("none.json", entry);
    log.write("two.json", format!("{entry}\n\n"));
    for (file, code) in [("one.json", 0), ("none.json", 0), ("two.json", 1)] {
        let run = log.run(&["verify-receipt", "r1.txt", "--entry", file]);
        assert_eq!(run.code, code, "{file}: {}{}", run.stdout, run.stderr);
    }
    // --raw hashes the file exactly: the entry without a newline.
    let run = log.run(&["verify-receipt", "r1.txt", "--entry", "none.json", "--raw"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = log.run(&["verify-receipt", "r1.txt", "--entry", "one.json", "--raw"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
}

#[test]
fn verify_note_checks_the_tessera_logs_checkpoints_and_refuses_a_damaged_one() {
    let Some(dir) = palisade_test_support::testdata("tlog-tiles/tessera") else {
        return;
    };
    let log = Log::new();
    let vkey = dir.join("log.vkey");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir.join("log")).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("checkpoint")
        {
            continue;
        }
        let run = log.run(&[
            "verify-note",
            path.to_str().unwrap(),
            "--verifier",
            vkey.to_str().unwrap(),
        ]);
        assert_eq!(
            run.code,
            0,
            "{}: {}{}",
            path.display(),
            run.stdout,
            run.stderr
        );
        assert!(
            run.stdout.starts_with("ok: example.com/log/testdata")
                && run.stdout.contains("example.com/log/testdata+33d7b496"),
            "{}",
            run.stdout
        );
        checked += 1;
    }
    // checkpoint and checkpoint.0 to checkpoint.15
    assert_eq!(checked, 17);
    let text = std::fs::read_to_string(dir.join("log/checkpoint")).unwrap();
    let size = text.lines().nth(1).unwrap();
    log.write(
        "damaged",
        text.replacen(&format!("\n{size}\n"), &format!("\n{size}0\n"), 1),
    );
    let run = log.run(&[
        "verify-note",
        "damaged",
        "--verifier",
        vkey.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    // Our own log's key does not vouch for another log's note.
    let run = log.run(&["verify-note", dir.join("log/checkpoint").to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
}

#[test]
fn verify_consistency_of_two_checkpoints_with_a_proof_file_or_the_store() {
    let log = Log::new();
    append_alternating(&log, 5);
    log.write("old.txt", log.run(&["checkpoint"]).stdout);
    append_alternating(&log, 2);
    log.write("new.txt", log.run(&["checkpoint"]).stdout);
    let proof = log.run(&["consistency", "5", "--to", "7"]);
    assert_eq!(proof.code, 0, "{}", proof.stderr);
    log.write("proof.txt", &proof.stdout);
    for extra in [&["--proof", "proof.txt"][..], &[][..]] {
        let run = log.run(&[&["verify-consistency", "old.txt", "new.txt"][..], extra].concat());
        assert_eq!(run.code, 0, "{extra:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout
                .starts_with("ok: acme.example/palisade at size 7 extends size 5"),
            "{}",
            run.stdout
        );
    }
    let mut bad = proof.stdout.into_bytes();
    bad[0] = if bad[0] == b'A' { b'B' } else { b'A' };
    log.write("bad.txt", bad);
    let run = log.run(&[
        "verify-consistency",
        "old.txt",
        "new.txt",
        "--proof",
        "bad.txt",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let run = log.run(&[
        "verify-consistency",
        "new.txt",
        "old.txt",
        "--proof",
        "proof.txt",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
}
