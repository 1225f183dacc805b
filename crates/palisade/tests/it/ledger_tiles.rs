//! `palisade ledger export-tiles` and `verify-tiles` end to end: our own log
//! exported, grown and re-exported; Tessera's test log; damage reported with
//! its file and exit code 1; no usable key, exit code 2.

use crate::{Run, palisade};

/// The end-to-end ledger tests' log (a fresh key, the acme model), with
/// what these tests add to it.
type Log = crate::ledger::Log;

trait Tiled {
    fn append(&self, from: u64, to: u64);
    fn verify(&self, dir: &str) -> Run;
}

impl Tiled for Log {
    fn append(&self, from: u64, to: u64) {
        let lines: String = (from..to)
            .map(|i| {
                format!(
                    "{{\"kind\":\"gate.verdict\",\"subject\":\"svc-{}\",\"actor\":\"dana\",\"data\":{{\"n\":{i}}}}}\n",
                    i % 4
                )
            })
            .collect();
        let file = self.dir.path().join("events.jsonl");
        std::fs::write(&file, lines).unwrap();
        let run = self.run(&["append", "--from", "events.jsonl", "--batch", "500"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }

    fn verify(&self, dir: &str) -> Run {
        self.run(&["verify-tiles", dir, "--verifier", ".palisade/ledger.vkey"])
    }
}

#[test]
fn export_tiles_verify_grow_and_verify_again() {
    let log = Log::unpinned();
    log.append(0, 300);
    let run = log.run(&["export-tiles", "public"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("wrote 5 tiles"), "{}", run.stdout);
    let run = log.verify("public");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .starts_with("ok: acme.example/palisade at size 300 (root "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("signed by acme.example/palisade ("),
        "{}",
        run.stdout
    );
    let old = log.dir.path().join("public/checkpoint.300");
    std::fs::copy(log.dir.path().join("public/checkpoint"), &old).unwrap();

    log.append(300, 520);
    let run = log.run(&["export-tiles", "public", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["size"], 520);
    assert_eq!(report["previous_size"], 300);
    // Bundle 0 and tile 0/000 were full already: kept.
    assert_eq!(report["kept"], 2, "{report}");
    let run = log.verify("public");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("at size 520"), "{}", run.stdout);
    // The older checkpoint still verifies against the grown tiles.
    let run = log.run(&[
        "verify-tiles",
        "public",
        "--verifier",
        ".palisade/ledger.vkey",
        "--checkpoint",
        old.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("at size 300"), "{}", run.stdout);
}

#[test]
fn verify_tiles_names_the_damaged_file_and_exits_1() {
    let log = Log::unpinned();
    log.append(0, 40);
    assert_eq!(log.run(&["export-tiles", "public"]).code, 0);
    let bundle = log.dir.path().join("public/tile/entries/000.p/40");
    let mut bytes = std::fs::read(&bundle).unwrap();
    bytes.truncate(bytes.len() - 3);
    std::fs::write(&bundle, bytes).unwrap();
    let run = log.verify("public");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .starts_with("FAILED: public/tile/entries/000.p/40: entry 39 (log entry 39) at byte "),
        "{}",
        run.stdout
    );
    let json = log.run(&[
        "verify-tiles",
        "public",
        "--verifier",
        ".palisade/ledger.vkey",
        "--format",
        "json",
    ]);
    assert_eq!(json.code, 1);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["file"], "public/tile/entries/000.p/40");

    std::fs::remove_file(log.dir.path().join("public/checkpoint")).unwrap();
    let run = log.verify("public");
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("public/checkpoint: missing"),
        "{}",
        run.stdout
    );
}

#[test]
fn verify_tiles_without_a_usable_key_or_directory_exits_2() {
    let log = Log::unpinned();
    log.append(0, 3);
    assert_eq!(log.run(&["export-tiles", "public"]).code, 0);
    let run = log.run(&["verify-tiles", "public", "--verifier", "not a key"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("not a verifier key"), "{}", run.stderr);
    let run = log.run(&["verify-tiles", "public"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--verifier"), "{}", run.stderr);
    let run = log.verify("nowhere");
    assert_eq!(run.code, 2, "{}", run.stderr);
    // A key of another log: the checkpoint's signature is the damage.
    let other = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";
    let run = log.run(&["verify-tiles", "public", "--verifier", other]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("FAILED: public/checkpoint: "),
        "{}",
        run.stdout
    );
}

#[test]
fn verify_tiles_checks_tesseras_test_log() {
    let Some(data) = palisade_test_support::testdata("tlog-tiles/tessera") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = data.join("log.vkey");
    let log = data.join("log");
    let run = palisade(
        dir.path(),
        &[
            "ledger",
            "verify-tiles",
            log.to_str().unwrap(),
            "--verifier",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .starts_with("ok: example.com/log/testdata at size 15 (root "),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("(33d7b496)"), "{}", run.stdout);
    for n in 0..=15 {
        let checkpoint = log.join(format!("checkpoint.{n}"));
        let run = palisade(
            dir.path(),
            &[
                "ledger",
                "verify-tiles",
                log.to_str().unwrap(),
                "--verifier",
                key.to_str().unwrap(),
                "--checkpoint",
                checkpoint.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "checkpoint.{n}: {}{}", run.stdout, run.stderr);
    }
}

#[test]
fn export_with_tiles_writes_the_same_tiled_log_as_export_tiles() {
    let log = Log::unpinned();
    log.append(0, 40);
    let run = log.run(&["export", "--tiles", "via-flag"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = log.run(&["export-tiles", "via-command"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for file in ["tile/0/000.p/40", "tile/entries/000.p/40"] {
        let a = std::fs::read(log.dir.path().join("via-flag").join(file)).unwrap();
        let b = std::fs::read(log.dir.path().join("via-command").join(file)).unwrap();
        assert_eq!(a, b, "{file}");
    }
    let run = log.verify("via-flag");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Without --tiles, the evidence bundle's flags are required as before.
    let run = log.run(&["export", "--since", "2026-01-01"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--until"), "{}", run.stderr);
}
