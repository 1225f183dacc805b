//! `palisade apply` and `palisade db` on a real SQLite store.

use serde_json::Value;

use crate::{TODAY, broken, palisade, root};

#[test]
fn apply_records_a_model_once_and_status_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state/palisade.db");
    let db = db.to_str().unwrap();
    let model = root().join("examples/acme/palisade.toml");
    let model = model.to_str().unwrap();

    let first = palisade(dir.path(), &["apply", model, "--db", db, "--today", TODAY]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.contains("warning[contract-missing-clause]"),
        "warnings are shown: {}",
        first.stdout
    );
    assert!(first.stdout.contains("\nrecorded "), "{}", first.stdout);
    assert!(first.stdout.contains("model version 1"));

    let second = palisade(
        dir.path(),
        &[
            "apply", model, "--db", db, "--today", TODAY, "--format", "json",
        ],
    );
    assert_eq!(second.code, 0, "{}", second.stderr);
    let v: Value = serde_json::from_str(&second.stdout).unwrap();
    assert_eq!(v["created"], false);
    assert_eq!(v["version"], 1);

    let status = palisade(
        dir.path(),
        &["db", "status", "--db", db, "--format", "json"],
    );
    assert_eq!(status.code, 0, "{}", status.stderr);
    let v: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(v["backend"], "sqlite");
    assert_eq!(v["model"]["version"], 1);
    assert_eq!(v["model"]["org"], "Acme Payments");
    assert!(v["schema_version"].as_i64().unwrap() >= 1);
    assert_eq!(v["migrations"][0]["version"], 1);
}

#[test]
fn apply_refuses_a_model_with_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("palisade.db");
    let db = db.to_str().unwrap();
    let model = broken().join("missing-backup-owner.toml");
    let run = palisade(
        dir.path(),
        &[
            "apply",
            model.to_str().unwrap(),
            "--db",
            db,
            "--today",
            TODAY,
        ],
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("not applied"), "{}", run.stdout);
    let status = palisade(dir.path(), &["db", "status", "--db", db]);
    assert!(
        status.stdout.contains("none recorded yet"),
        "{}",
        status.stdout
    );
}

#[test]
fn the_default_store_is_a_local_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let run = palisade(dir.path(), &["db", "migrate"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.path().join(".palisade/palisade.db").is_file());
}

#[test]
fn an_unreachable_postgres_is_a_clear_error_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let run = palisade(
        dir.path(),
        &[
            "db",
            "status",
            "--db",
            "postgres://palisade:s3cret-pw@127.0.0.1:1/palisade",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(!run.stderr.contains("s3cret-pw"), "{}", run.stderr);
    assert!(run.stderr.contains("127.0.0.1:1"), "{}", run.stderr);
}
