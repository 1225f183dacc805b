//! Go's `golang.org/x/mod` `sumdb/note` and `sumdb/tlog` packages, an
//! implementation Palisade did not write, verify the ledger's checkpoints
//! and receipts; damaged copies fail. The Go program is
//! `crates/palisade-ledger/tests/go/verify`; `scripts/ensure-go` installs Go
//! and the packages from Debian's archive (GOPATH mode, offline).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{palisade, root};

/// The built Go verifier, or `None` after saying why the test skips (a
/// failure under `CI=true`, where the test command installs Go).
fn go_verifier(dir: &Path) -> Option<PathBuf> {
    let (Ok(go), Ok(gopath)) = (
        std::env::var("PALISADE_TEST_GO"),
        std::env::var("PALISADE_TEST_GOPATH"),
    ) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "PALISADE_TEST_GO is not set but CI=true: run `eval \"$(scripts/ensure-go)\"` first"
        );
        eprintln!(
            "skipping: PALISADE_TEST_GO is not set; run `eval \"$(scripts/ensure-go)\"` to include the Go interop tests"
        );
        return None;
    };
    let bin = dir.join("go-verify");
    let out = Command::new(go)
        .args(["build", "-o"])
        .arg(&bin)
        .arg(".")
        .current_dir(root().join("crates/palisade-ledger/tests/go/verify"))
        .env("GO111MODULE", "off")
        .env("GOPATH", gopath)
        .env("GOCACHE", dir.join("gocache"))
        .env("GOFLAGS", "")
        .output()
        .expect("go runs");
    assert!(
        out.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(bin)
}

/// Runs the Go verifier; returns whether it said ok, and what it printed.
fn go(bin: &Path, args: &[&Path]) -> (bool, String) {
    let out = Command::new(bin)
        .args(args)
        .output()
        .expect("the verifier runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success() && text.starts_with("ok"), text)
}

fn run(bin: &Path, command: &str, files: &[&Path]) -> (bool, String) {
    let mut args: Vec<&Path> = vec![Path::new(command)];
    args.extend_from_slice(files);
    go(bin, &args)
}

/// A log of `n` entries in `dir`, with its signing key; returns the path of
/// the verifier key.
fn log_with_entries(dir: &Path, n: usize) -> PathBuf {
    let model = root().join("examples/acme/palisade.toml");
    let model = model.to_str().unwrap();
    let keygen = palisade(dir, &["ledger", "keygen", "--model", model]);
    assert_eq!(keygen.code, 0, "{}", keygen.stderr);
    let lines: String = (0..n)
        .map(|i| format!("{{\"kind\":\"test.entry\",\"subject\":\"s{i}\",\"actor\":\"tester\",\"data\":{{\"n\":{i}}}}}\n"))
        .collect();
    std::fs::write(dir.join("entries.jsonl"), lines).unwrap();
    let append = palisade(
        dir,
        &[
            "ledger",
            "append",
            "--model",
            model,
            "--from",
            "entries.jsonl",
            "--batch",
            "100",
        ],
    );
    assert_eq!(append.code, 0, "{}", append.stderr);
    dir.join(".palisade/ledger.vkey")
}

#[test]
fn go_verifies_our_checkpoints_and_receipts_and_rejects_damaged_ones() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = go_verifier(dir.path()) else {
        return;
    };
    let vkey = log_with_entries(dir.path(), 300);
    let model = root().join("examples/acme/palisade.toml");
    let model = model.to_str().unwrap();

    let checkpoint = palisade(dir.path(), &["ledger", "checkpoint", "--model", model]);
    assert_eq!(checkpoint.code, 0, "{}", checkpoint.stderr);
    let ckpt = dir.path().join("checkpoint.txt");
    std::fs::write(&ckpt, &checkpoint.stdout).unwrap();
    let (ok, said) = run(&bin, "checkpoint", &[&vkey, &ckpt]);
    assert!(ok, "Go refused our checkpoint: {said}");
    assert!(said.contains("acme.example/palisade 300 "), "{said}");

    for index in [0usize, 1, 255, 256, 299] {
        let receipt = dir.path().join(format!("receipt-{index}.txt"));
        let prove = palisade(
            dir.path(),
            &[
                "ledger",
                "prove",
                &index.to_string(),
                "--model",
                model,
                "-o",
                receipt.to_str().unwrap(),
            ],
        );
        assert_eq!(prove.code, 0, "{}", prove.stderr);
        let show = palisade(
            dir.path(),
            &["ledger", "show", &index.to_string(), "--model", model],
        );
        assert_eq!(show.code, 0, "{}", show.stderr);
        // `show` prints the hashed bytes and then a newline for the terminal.
        let entry_bytes = show.stdout.strip_suffix('\n').unwrap_or(&show.stdout);
        let entry = dir.path().join(format!("entry-{index}.json"));
        std::fs::write(&entry, entry_bytes).unwrap();
        let (ok, said) = run(&bin, "receipt", &[&vkey, &receipt, &entry]);
        assert!(ok, "Go refused our receipt for entry {index}: {said}");

        // Another entry's bytes do not verify against this receipt.
        let other = dir.path().join("other.json");
        std::fs::write(&other, entry_bytes.replace("\"s", "\"t")).unwrap();
        let (ok, said) = run(&bin, "receipt", &[&vkey, &receipt, &other]);
        assert!(!ok, "Go accepted a changed entry: {said}");
    }

    // A checkpoint whose size is changed no longer carries a valid signature.
    let forged = dir.path().join("forged.txt");
    std::fs::write(&forged, checkpoint.stdout.replacen("\n300\n", "\n301\n", 1)).unwrap();
    let (ok, said) = run(&bin, "checkpoint", &[&vkey, &forged]);
    assert!(
        !ok && said.contains("fail"),
        "Go accepted a forged checkpoint: {said}"
    );

    // Another log's key does not vouch for ours.
    let other_dir = tempfile::tempdir().unwrap();
    let other_key = log_with_entries(other_dir.path(), 1);
    let (ok, said) = run(&bin, "checkpoint", &[&other_key, &ckpt]);
    assert!(!ok, "Go accepted our checkpoint under another key: {said}");
}

#[test]
fn go_verifies_tesseras_tiled_log_as_the_reference_for_our_reader() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = go_verifier(dir.path()) else {
        return;
    };
    let Some(tessera) = palisade_test_support::testdata("tlog-tiles/tessera") else {
        return;
    };
    let (ok, said) = run(
        &bin,
        "tiles",
        &[&tessera.join("log.vkey"), &tessera.join("log")],
    );
    assert!(ok, "{said}");
    assert!(said.contains("15 entries"), "{said}");
}

#[test]
fn go_verifies_our_tiles_before_and_after_they_grow_and_rejects_damaged_ones() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = go_verifier(dir.path()) else {
        return;
    };
    let model = root().join("examples/acme/palisade.toml");
    let model = model.to_str().unwrap();
    // 600 entries: two full level-0 tiles, a partial one, and level-1 hashes.
    let vkey = log_with_entries(dir.path(), 600);
    let tiles = dir.path().join("tiles");
    let export = palisade(
        dir.path(),
        &[
            "ledger",
            "export-tiles",
            tiles.to_str().unwrap(),
            "--model",
            model,
        ],
    );
    assert_eq!(export.code, 0, "{}", export.stderr);
    let (ok, said) = run(&bin, "tiles", &[&vkey, &tiles]);
    assert!(ok, "Go refused our tiles: {said}");
    assert!(said.contains("acme.example/palisade 600 entries"), "{said}");

    // Grown: more entries, exported again over the same directory.
    let more: String = (0..70)
        .map(|i| format!("{{\"kind\":\"test.entry\",\"subject\":\"m{i}\",\"actor\":\"tester\",\"data\":{{}}}}\n"))
        .collect();
    std::fs::write(dir.path().join("more.jsonl"), more).unwrap();
    let append = palisade(
        dir.path(),
        &[
            "ledger",
            "append",
            "--model",
            model,
            "--from",
            "more.jsonl",
            "--batch",
            "100",
        ],
    );
    assert_eq!(append.code, 0, "{}", append.stderr);
    let export = palisade(
        dir.path(),
        &[
            "ledger",
            "export-tiles",
            tiles.to_str().unwrap(),
            "--model",
            model,
        ],
    );
    assert_eq!(export.code, 0, "{}", export.stderr);
    let (ok, said) = run(&bin, "tiles", &[&vkey, &tiles]);
    assert!(
        ok && said.contains(" 670 entries"),
        "Go refused our grown tiles: {said}"
    );

    // One byte changed in an entry bundle: its leaf no longer matches.
    let bundle = tiles.join("tile/entries/000");
    let mut bytes = std::fs::read(&bundle).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 0x01;
    std::fs::write(&bundle, &bytes).unwrap();
    let (ok, said) = run(&bin, "tiles", &[&vkey, &tiles]);
    assert!(!ok, "Go accepted a damaged entry bundle: {said}");
    bytes[last] ^= 0x01;
    std::fs::write(&bundle, &bytes).unwrap();

    // One hash tile changed: it no longer hashes up to the signed root.
    let tile = tiles.join("tile/0/001");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[0] ^= 0x80;
    std::fs::write(&tile, &bytes).unwrap();
    let (ok, said) = run(&bin, "tiles", &[&vkey, &tiles]);
    assert!(!ok, "Go accepted a damaged hash tile: {said}");
}
