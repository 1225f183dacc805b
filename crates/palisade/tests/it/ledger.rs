//! `palisade ledger` end to end: keys, appends, receipts, verification,
//! bundles, and durability when the writer is killed mid-append.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{palisade, root};

struct Log {
    dir: tempfile::TempDir,
    model: String,
}

impl Log {
    fn new() -> Self {
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

    fn run(&self, args: &[&str]) -> crate::Run {
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
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("does not prove this entry"),
        "{}",
        bad.stderr
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
