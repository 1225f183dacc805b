//! `palisade deploy` and `palisade incident` end to end on a SQLite store:
//! a deployment recorded from CI and again (once), DevLake NDJSON imported
//! from a real clone with its bad lines numbered, incidents opened and
//! resolved, the refusals that say what to fix, and every recorded input
//! found in the ledger.

use std::path::Path;

use palisade_test_support::git::{Author, Repo};
use serde_json::Value;

use crate::{Run, palisade, root};

const NOW: &str = "2026-11-01T00:00:00Z";
const SHA: &str = "3f2a9c0b1d4e5f60718293a4b5c6d7e8f9012345";

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("examples/acme/palisade.toml"),
        dir.path().join("palisade.toml"),
    )
    .unwrap();
    dir
}

fn deploy(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["deploy", "--db", "store.db", "--now", NOW, "--as", "sofia"];
    all.extend_from_slice(args);
    palisade(dir, &all)
}

fn incident(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["incident", "--db", "store.db", "--now", NOW, "--as", "ruth"];
    all.extend_from_slice(args);
    palisade(dir, &all)
}

fn json(run: &Run) -> Value {
    assert_eq!(
        run.code, 0,
        "stderr: {}\nstdout: {}",
        run.stderr, run.stdout
    );
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// The ledger's entries of `kind`: (subject, actor).
fn ledgered(dir: &Path, kind: &str) -> Vec<(String, String)> {
    let tail = palisade(
        dir,
        &[
            "ledger",
            "tail",
            "-n",
            "1000",
            "--kind",
            kind,
            "--db",
            "store.db",
            "--model",
            "palisade.toml",
            "--format",
            "json",
        ],
    );
    json(&tail)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["subject"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_deployment_recorded_from_ci_is_listed_and_ledgered_once() {
    let dir = setup();
    let args = [
        "record",
        "--service",
        "payments-api",
        "--env",
        "prod",
        "--sha",
        SHA,
        "--status",
        "success",
        "--started",
        "2026-10-05T09:58:00Z",
        "--time",
        "2026-10-05T10:04:00Z",
    ];
    let first = deploy(dir.path(), &args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.starts_with("recorded: deployment dep-"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("acme/payments@3f2a9c0b1d4e"),
        "{}",
        first.stdout
    );
    let again = deploy(dir.path(), &[&args[..], &["--format", "json"]].concat());
    let again = json(&again);
    assert_eq!(again["outcome"], "already_recorded");
    let id = again["id"].as_str().unwrap().to_owned();

    let failed = deploy(
        dir.path(),
        &[
            "record",
            "--service",
            "checkout-web",
            "--env",
            "staging",
            "--sha",
            SHA,
            "--status",
            "failure",
            "--time",
            "2026-10-06T08:00:00Z",
            "--id",
            "run-4711",
        ],
    );
    assert_eq!(failed.code, 0, "{}", failed.stderr);

    let list = deploy(dir.path(), &["list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    insta::assert_snapshot!(list.stdout.replace(&id, "<ID>"), @r"
    <ID>  2026-10-05T10:04:00Z  payments-api     prod       success  acme/payments@3f2a9c0b1d4e
    run-4711  2026-10-06T08:00:00Z  checkout-web     staging    failure  acme/payments@3f2a9c0b1d4e
    ");
    let prod = json(&deploy(
        dir.path(),
        &[
            "list",
            "--env",
            "prod",
            "--since",
            "2026-10-01T00:00:00Z",
            "--format",
            "json",
        ],
    ));
    let prod = prod.as_array().unwrap();
    assert_eq!(prod.len(), 1);
    assert_eq!(prod[0]["started"], "2026-10-05T09:58:00Z");
    assert_eq!(prod[0]["recorded_by"], "sofia");
    assert_eq!(prod[0]["source"], "command");
    let none = deploy(dir.path(), &["list", "--until", "2026-10-01T00:00:00Z"]);
    assert_eq!(none.stdout, "no deployments\n");

    assert_eq!(
        ledgered(dir.path(), "deploy.recorded"),
        [
            (id, "sofia".to_owned()),
            ("run-4711".to_owned(), "sofia".to_owned())
        ]
    );
}

#[test]
fn bad_deployments_are_refused_with_what_to_fix() {
    let dir = setup();
    let record =
        |service: &'static str, env: &'static str, sha: &'static str, more: &[&'static str]| {
            let mut args = vec![
                "record",
                "--service",
                service,
                "--env",
                env,
                "--sha",
                sha,
                "--status",
                "success",
            ];
            if !more.contains(&"--time") {
                args.extend(["--time", "2026-10-05T10:00:00Z"]);
            }
            args.extend_from_slice(more);
            args
        };
    for (args, says) in [
        (
            record("payments", "prod", SHA, &[]),
            "unknown service `payments`: the model's services are `payments-api`",
        ),
        (
            record("payments-api", "production", SHA, &[]),
            "unknown environment `production`",
        ),
        (
            record("payments-api", "prod", "3f2a9c0", &[]),
            "not a full commit id",
        ),
        (
            record(
                "payments-api",
                "prod",
                SHA,
                &["--time", "2027-01-01T00:00:00Z"],
            ),
            "is in the future",
        ),
        (
            record(
                "payments-api",
                "prod",
                SHA,
                &["--started", "2026-10-05T11:00:00Z"],
            ),
            "after it finishes",
        ),
        (
            record("payments-api", "prod", SHA, &["--time", "yesterday"]),
            "invalid --time `yesterday`",
        ),
        (
            record("payments-api", "prod", SHA, &["--repo", "payments"]),
            "`payments` is not a repository name: write it as owner/name",
        ),
        (
            record("payments-api", "prod", SHA, &["--repo", "acme/platform"]),
            "service `payments-api` lives in `acme/payments`, not in `acme/platform`",
        ),
    ] {
        let run = deploy(dir.path(), &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains(says), "{says}: {}", run.stderr);
    }
    // Nobody acting.
    let anonymous = palisade(
        dir.path(),
        &[
            &["deploy", "--db", "store.db"][..],
            &record("payments-api", "prod", SHA, &[]),
        ]
        .concat(),
    );
    assert_eq!(anonymous.code, 2);
    assert!(anonymous.stderr.contains("--as"), "{}", anonymous.stderr);
    let list = json(&deploy(dir.path(), &["list", "--format", "json"]));
    assert_eq!(list, Value::Array(vec![]));
}

#[test]
fn listing_an_unknown_service_is_refused_with_the_known_ones() {
    let dir = setup();
    let run = deploy(dir.path(), &["list", "--service", "nosuch"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("unknown service `nosuch`")
            && run.stderr.contains("payments-api")
            && run.stderr.contains("ledger"),
        "{}",
        run.stderr
    );
    // A known service with nothing recorded is simply empty.
    let run = deploy(dir.path(), &["list", "--service", "ledger"]);
    assert_eq!((run.code, run.stdout.trim()), (0, "no deployments"));
}

#[test]
fn an_incident_linked_to_a_later_deployment_is_refused() {
    let dir = setup();
    let recorded = deploy(
        dir.path(),
        &[
            "record",
            "--service",
            "payments-api",
            "--env",
            "prod",
            "--sha",
            SHA,
            "--status",
            "success",
            "--time",
            "2026-10-05T10:00:00Z",
            "--id",
            "run-1",
        ],
    );
    assert_eq!(recorded.code, 0, "{}", recorded.stderr);
    let open = |time: &'static str| {
        incident(
            dir.path(),
            &[
                "open",
                "--service",
                "payments-api",
                "--severity",
                "sev2",
                "--title",
                "down",
                "--deployment",
                "run-1",
                "--time",
                time,
            ],
        )
    };
    let refused = open("2026-10-05T09:00:00Z");
    assert_eq!(refused.code, 2, "{}", refused.stdout);
    for says in [
        "opened at 2026-10-05T09:00:00Z",
        "deployment `run-1` finished at 2026-10-05T10:00:00Z",
        "leave --deployment out",
    ] {
        assert!(refused.stderr.contains(says), "{says}: {}", refused.stderr);
    }
    assert!(ledgered(dir.path(), "incident.opened").is_empty());
    // At or after the finish, it may have been the cause.
    let accepted = open("2026-10-05T10:00:00Z");
    assert_eq!(accepted.code, 0, "{}", accepted.stderr);
}

/// A clone of acme/payments: a change to payments-api, then to the README only.
fn payments() -> (Repo, String, String) {
    let repo = Repo::new();
    let at = |date| Author {
        date,
        ..Author::default()
    };
    repo.write("README.md", "payments\n")
        .write("services/payments-api/main.go", "package main\n")
        .write("web/checkout/index.html", "<p>pay</p>\n");
    repo.commit_all_as("first", at("2026-09-28T09:00:00Z"));
    repo.write("services/payments-api/main.go", "package main // v2\n");
    let api = repo.commit_all_as("api v2", at("2026-10-01T09:00:00Z"));
    repo.write("README.md", "payments, documented\n");
    let readme = repo.commit_all_as("docs", at("2026-10-02T09:00:00Z"));
    (repo, api, readme)
}

#[test]
fn devlake_ndjson_is_imported_from_a_clone_with_each_bad_line_numbered() {
    let dir = setup();
    let (repo, api, readme) = payments();
    let line = |id: &str, url: &str, sha: &str| {
        format!(
            r#"{{"id": "{id}", "startedDate": "2026-10-05T09:58:00+00:00", "finishedDate": "2026-10-05T10:04:00+00:00", "result": "SUCCESS", "deploymentCommits": [{{"repoUrl": "{url}", "commitSha": "{sha}", "refName": "main"}}]}}"#
        )
    };
    let ndjson = [
        line("dl-1", "https://github.com/acme/payments.git", &api),
        line("dl-2", "git@github.com:acme/payments.git", &readme),
        "{\"id\": \"dl-3\"".to_owned(),
        line(
            "dl-4",
            "https://github.com/acme/payments",
            "0123456789abcdef0123456789abcdef01234567",
        ),
        line("dl-5", "https://github.com/acme/elsewhere", &api),
    ]
    .join("\n");
    std::fs::write(dir.path().join("deployments.ndjson"), format!("{ndjson}\n")).unwrap();
    let repo_dir = format!("acme/payments={}", repo.path().display());
    let args = ["import", "deployments.ndjson", "--repo-dir", &repo_dir];
    let run = deploy(dir.path(), &args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout, @r#"
    deployments.ndjson:2: no_service: deployment `dl-2` changes no path any service owns: check the services' `paths`, or that the right commits are named
    deployments.ndjson:3: bad_json: not JSON: EOF while parsing an object at line 1 column 13
    deployments.ndjson:4: unknown_commit: deploymentCommits[0] commit 0123456789abcdef0123456789abcdef01234567 is not in the clone of `acme/payments`: fetch it (`git fetch origin`), or check that it was not rewritten by a force push
    deployments.ndjson:5: unknown_repository: deploymentCommits[0] no service of the model lives in repository `acme/elsewhere`: add it to a service's `repos`, or check the URL
    5 line(s): 1 deployment(s) recorded, 0 already recorded, 0 refused, 4 line(s) with problems
    "#);
    // Again, as JSON: nothing new.
    let again =
        json(&deploy(dir.path(), &[&args[..], &["--format", "json"]].concat()).with_code(1));
    assert_eq!(
        (
            again["recorded"].as_u64(),
            again["already_recorded"].as_u64()
        ),
        (Some(0), Some(1))
    );
    assert_eq!(again["problems"].as_array().unwrap().len(), 4);
    assert_eq!(again["problems"][2]["kind"], "unknown_commit");
    assert_eq!(again["problems"][2]["line"], 4);

    let listed = json(&deploy(dir.path(), &["list", "--format", "json"]));
    assert_eq!(listed[0]["id"], "dl-1");
    assert_eq!(listed[0]["service"], "payments-api");
    assert_eq!(listed[0]["environment"], "prod");
    assert_eq!(listed[0]["source"], "devlake");
    assert_eq!(listed[0]["commits"][0]["sha"], api.as_str());
    assert_eq!(
        ledgered(dir.path(), "deploy.recorded"),
        [("dl-1".to_owned(), "sofia".to_owned())]
    );

    // From standard input, every line good: exit 0.
    let good = format!(
        "{}\n",
        line("dl-1", "https://github.com/acme/payments", &api)
    );
    let stdin = dir.path().join("good.ndjson");
    std::fs::write(&stdin, good).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args([
            "deploy", "--db", "store.db", "--now", NOW, "--as", "sofia", "import", "-",
        ])
        .args(["--repo-dir", &repo_dir])
        .current_dir(dir.path())
        .stdin(std::fs::File::open(&stdin).unwrap())
        .env_remove("PALISADE_DB")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 already recorded"));

    // A clone that is not one stops the import before anything is read.
    let bad = deploy(
        dir.path(),
        &[
            "import",
            "deployments.ndjson",
            "--repo-dir",
            "acme/payments=/nonexistent",
        ],
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("cannot open the clone of `acme/payments`"),
        "{}",
        bad.stderr
    );
    let bad = deploy(
        dir.path(),
        &[
            "import",
            "deployments.ndjson",
            "--repo-dir",
            "acme/payments",
        ],
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("OWNER/NAME=PATH"), "{}", bad.stderr);
}

trait WithCode {
    fn with_code(self, code: i32) -> Run;
}

impl WithCode for Run {
    /// The run, after checking its exit code, as a success for [`json`].
    fn with_code(mut self, code: i32) -> Run {
        assert_eq!(self.code, code, "{}", self.stderr);
        self.code = 0;
        self
    }
}

#[test]
fn an_incident_is_opened_resolved_once_and_ledgered() {
    let dir = setup();
    let recorded = deploy(
        dir.path(),
        &[
            "record",
            "--service",
            "payments-api",
            "--env",
            "prod",
            "--sha",
            SHA,
            "--status",
            "success",
            "--time",
            "2026-10-05T10:00:00Z",
            "--id",
            "run-1",
        ],
    );
    assert_eq!(recorded.code, 0, "{}", recorded.stderr);
    let opened = json(&incident(
        dir.path(),
        &[
            "open",
            "--service",
            "payments-api",
            "--severity",
            "sev2",
            "--title",
            "checkout returns 500",
            "--cause",
            SHA,
            "--deployment",
            "run-1",
            "--time",
            "2026-10-05T11:00:00Z",
            "--format",
            "json",
        ],
    ));
    assert_eq!(opened["outcome"], "recorded");
    assert_eq!(opened["resolved"], Value::Null);
    let id = opened["id"].as_str().unwrap().to_owned();

    let open = incident(dir.path(), &["list", "--open"]);
    assert_eq!(open.code, 0, "{}", open.stderr);
    assert_eq!(
        open.stdout.replace(&id, "<ID>"),
        "<ID>  sev2   payments-api     2026-10-05T11:00:00Z → open  checkout returns 500\n"
    );

    let early = incident(
        dir.path(),
        &["resolve", &id, "--time", "2026-10-05T10:00:00Z"],
    );
    assert_eq!(early.code, 2);
    assert!(
        early
            .stderr
            .contains("cannot be resolved at 2026-10-05T10:00:00Z, before that"),
        "{}",
        early.stderr
    );
    let done = incident(
        dir.path(),
        &["resolve", &id, "--time", "2026-10-05T12:30:00Z"],
    );
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert!(done.stdout.starts_with("resolved: "), "{}", done.stdout);
    let twice = incident(
        dir.path(),
        &["resolve", &id, "--time", "2026-10-05T13:00:00Z"],
    );
    assert_eq!(twice.code, 2);
    assert!(
        twice
            .stderr
            .contains("already resolved at 2026-10-05T12:30:00Z by ruth"),
        "{}",
        twice.stderr
    );
    assert_eq!(
        incident(dir.path(), &["list", "--open"]).stdout,
        "no open incidents\n"
    );
    let all = json(&incident(dir.path(), &["list", "--format", "json"]));
    assert_eq!(all[0]["resolved"], "2026-10-05T12:30:00Z");
    assert_eq!(all[0]["opened_by"], "ruth");
    assert_eq!(all[0]["cause"], SHA);

    for (args, says) in [
        (
            vec![
                "open",
                "--service",
                "payments-api",
                "--severity",
                "P1",
                "--title",
                "x",
            ],
            "unknown severity `P1`: the model's scale ([metrics] incident_severities) is `sev1`, `sev2`, `sev3`, `sev4`",
        ),
        (
            vec![
                "open",
                "--service",
                "payments-api",
                "--severity",
                "sev1",
                "--title",
                "x",
                "--deployment",
                "run-9",
            ],
            "no deployment `run-9` is recorded",
        ),
        (
            vec![
                "open",
                "--service",
                "payments-api",
                "--severity",
                "sev1",
                "--title",
                "x",
                "--cause",
                "abc",
            ],
            "`abc` is not a full commit id",
        ),
        (vec!["resolve", "inc-nope"], "no incident `inc-nope`"),
    ] {
        let run = incident(dir.path(), &args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(says), "{says}: {}", run.stderr);
    }
    assert_eq!(
        ledgered(dir.path(), "incident.opened"),
        [(id.clone(), "ruth".to_owned())]
    );
    assert_eq!(
        ledgered(dir.path(), "incident.resolved"),
        [(id, "ruth".to_owned())]
    );
}

#[test]
fn every_deploy_and_incident_subcommand_help_has_an_example() {
    for cmd in [
        &["deploy"][..],
        &["deploy", "record"],
        &["deploy", "import"],
        &["deploy", "list"],
        &["incident"],
        &["incident", "open"],
        &["incident", "resolve"],
        &["incident", "list"],
    ] {
        let run = palisade(&root(), &[cmd, &["--help"]].concat());
        assert_eq!(run.code, 0, "{cmd:?}: {}", run.stderr);
        assert!(run.stdout.contains("Example"), "{cmd:?}: {}", run.stdout);
        assert!(
            run.stdout.contains(&format!("palisade {}", cmd[0])),
            "{cmd:?}"
        );
    }
}
