//! `palisade check` and `palisade schema`.

use serde_json::Value;

use crate::{TODAY, broken, palisade, root};

#[test]
fn broken_fixtures_render_their_diagnostics() {
    insta::glob!(
        "../../../palisade-model/tests/fixtures/broken",
        "*.toml",
        |path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            let run = palisade(&broken(), &["check", name, "--today", TODAY]);
            let expected_exit = if std::fs::read_to_string(path)
                .unwrap()
                .contains("# expect: error")
            {
                1
            } else {
                0
            };
            assert_eq!(run.code, expected_exit, "{name}: {}", run.stdout);
            assert_eq!(run.stderr, "", "{name}");
            insta::assert_snapshot!(run.stdout);
        }
    );
}

#[test]
fn acme_passes_with_a_summary() {
    let run = palisade(
        &root(),
        &["check", "examples/acme/palisade.toml", "--today", TODAY],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let run = palisade(
        &root(),
        &[
            "check",
            "examples/acme/palisade.toml",
            "--today",
            TODAY,
            "--deny-warnings",
        ],
    );
    assert_eq!(run.code, 1);
}

#[test]
fn json_output_is_machine_readable() {
    let run = palisade(
        &broken(),
        &[
            "check",
            "overlapping-paths.toml",
            "--today",
            TODAY,
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["errors"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "overlapping-paths");
    assert_eq!(d["level"], "error");
    assert_eq!(d["line"], 69);
    assert_eq!(d["column"], 20);
    assert_eq!(d["path"], "services[1].paths[1]");
    assert_eq!(d["related"][0]["position"]["line"], 59);
    assert!(d["help"].as_str().unwrap().contains("one owning service"));
}

#[test]
fn a_missing_file_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = palisade(dir.path(), &["check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no model at palisade.toml"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("palisade init"));
}

#[test]
fn a_50_mb_file_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.toml");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(50 * 1024 * 1024)
        .unwrap();
    let run = palisade(dir.path(), &["check", "big.toml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("big.toml is 52428800 bytes"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bad_today_is_a_usage_error() {
    let run = palisade(
        &root(),
        &[
            "check",
            "examples/acme/palisade.toml",
            "--today",
            "2026-13-01",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid --today"), "{}", run.stderr);
}

#[test]
fn schema_is_a_json_schema_for_the_model() {
    let run = palisade(&root(), &["schema"]);
    assert_eq!(run.code, 0);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(v["$schema"].as_str().unwrap().contains("json-schema.org"));
    assert_eq!(v["title"], "palisade.toml");
    assert!(v["properties"]["services"].is_object());
}

#[test]
fn every_subcommand_help_has_an_example() {
    for cmd in [
        &["check"][..],
        &["init"],
        &["schema"],
        &["apply"],
        &["db", "status"],
        &["db", "migrate"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let run = palisade(&root(), &args);
        assert_eq!(run.code, 0);
        assert!(
            run.stdout.contains("palisade "),
            "{cmd:?} help lacks an example:\n{}",
            run.stdout
        );
        assert!(run.stdout.to_lowercase().contains("example"), "{cmd:?}");
    }
}

#[test]
fn help_lists_a_commands_own_options_before_the_global_ones() {
    for command in ["check", "scan", "who", "apply"] {
        let run = palisade(&root(), &[command, "-h"]);
        assert_eq!(run.code, 0, "{command}: {}", run.stderr);
        let own = run.stdout.find("\nOptions:").expect("an Options heading");
        let global = run
            .stdout
            .find("\nGlobal options:")
            .expect("a Global options heading");
        assert!(own < global, "{command}: {}", run.stdout);
        let format = run.stdout.find("--format").unwrap();
        assert!(
            format > global,
            "{command}: --format is a global option: {}",
            run.stdout
        );
    }
}

#[test]
fn a_scan_only_format_is_refused_by_other_commands() {
    let run = palisade(
        &root(),
        &["check", "examples/acme/palisade.toml", "--format", "sarif"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("report format of `palisade scan` only"),
        "{}",
        run.stderr
    );
}
