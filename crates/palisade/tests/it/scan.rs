//! `palisade scan` end to end: exit codes, report formats, stdin, baselines, the
//! model's own rules, and the summary recorded in the ledger.

use std::io::Write as _;
use std::process::{Command, Stdio};

use palisade_test_support::git::{Author, Repo};
use serde_json::Value;

use crate::{palisade, root};

/// A token in GitHub's format with a valid checksum (not a real one).
fn token() -> String {
    let random = "q7Lm2Xv9Rk4Tz8Wc1Np5Hs3Jd6Fb0G";
    let check = palisade_scan::checks::base62_6(palisade_scan::checks::crc32(random.as_bytes()));
    format!("ghp_{random}{}", String::from_utf8_lossy(&check))
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    std::fs::write(
        dir.path().join("app/config.py"),
        format!("DEBUG = False\nGITHUB = \"{}\"\n", token()),
    )
    .unwrap();
    std::fs::write(dir.path().join("README.md"), "nothing here\n").unwrap();
    dir
}

#[test]
fn exit_codes_say_clean_findings_or_could_not_run() {
    let dir = tree();
    let found = palisade(dir.path(), &["scan", "--quiet"]);
    assert_eq!(found.code, 1, "{}", found.stderr);
    assert!(
        found
            .stdout
            .contains("app/config.py:2:11  critical  github-pat-classic"),
        "{}",
        found.stdout
    );
    assert!(
        !found.stdout.contains(&token()[6..]),
        "the secret leaked: {}",
        found.stdout
    );

    let clean = palisade(dir.path(), &["scan", "README.md"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.contains("no findings"), "{}", clean.stdout);

    let missing = palisade(dir.path(), &["scan", "no/such/dir"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no/such/dir does not exist"),
        "{}",
        missing.stderr
    );
}

#[test]
fn report_formats_for_machines() {
    let dir = tree();
    let jsonl = palisade(dir.path(), &["scan", "--format", "jsonl"]);
    let lines: Vec<Value> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["rule"], "github-pat-classic");
    assert_eq!(lines[0]["line"], 2);

    let json = palisade(dir.path(), &["scan", "--format", "json"]);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["stats"]["files"], 2);

    let sarif = palisade(dir.path(), &["scan", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "github-pat-classic"
    );

    let github = palisade(dir.path(), &["scan", "--format", "github"]);
    assert!(
        github
            .stdout
            .starts_with("::error file=app/config.py,line=2,"),
        "{}",
        github.stdout
    );
}

#[test]
fn guessable_passwords_and_identifiers_are_low_and_min_severity_leaves_them_out() {
    let dir = tree();
    std::fs::write(
        dir.path().join("app/settings.ini"),
        "[db]\npassword = postgres\nrole_arn = arn:aws:iam::406139842376:role/deploy\n",
    )
    .unwrap();
    let all = palisade(dir.path(), &["scan", "--format", "jsonl"]);
    assert_eq!(all.code, 1, "{}", all.stderr);
    let findings: Vec<Value> = all
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_rule = |rule: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} finding in {findings:#?}"))
    };
    let weak = by_rule("generic-password-assignment");
    assert_eq!(weak["severity"], "low");
    assert!(
        weak["name"]
            .as_str()
            .unwrap()
            .ends_with("(guessable value)"),
        "{weak}"
    );
    let arn = by_rule("aws-arn-with-account");
    assert_eq!(
        (arn["kind"].as_str(), arn["severity"].as_str()),
        (Some("identifier"), Some("low"))
    );
    assert_eq!(findings.len(), 3, "{findings:#?}");

    let medium = palisade(
        dir.path(),
        &["scan", "--min-severity", "medium", "--format", "json"],
    );
    assert_eq!(medium.code, 1, "{}", medium.stderr);
    let report: Value = serde_json::from_str(&medium.stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    assert_eq!(report["findings"][0]["rule"], "github-pat-classic");
    assert_eq!(report["stats"]["below_min_severity"], 2);
    let human = palisade(dir.path(), &["scan", "--min-severity", "medium"]);
    assert!(
        human.stdout.contains("2 below --min-severity"),
        "{}",
        human.stdout
    );

    // A baseline accepts every finding, whatever the threshold it was written with, so
    // that lowering the threshold later brings none of them back as new.
    let write = palisade(
        dir.path(),
        &[
            "scan",
            "--min-severity",
            "high",
            "--write-baseline",
            "base.json",
        ],
    );
    assert_eq!(write.code, 0, "{}", write.stderr);
    let again = palisade(dir.path(), &["scan", "--baseline", "base.json"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    let critical_only = palisade(
        dir.path(),
        &["scan", "app/settings.ini", "--min-severity", "high"],
    );
    assert_eq!(critical_only.code, 0, "{}", critical_only.stdout);
    let wrong = palisade(dir.path(), &["scan", "--min-severity", "severe"]);
    assert_eq!(wrong.code, 2);
    assert!(
        wrong
            .stderr
            .contains("possible values: low, medium, high, critical"),
        "{}",
        wrong.stderr
    );
}

#[test]
fn standard_input_is_scanned_under_its_given_name() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args([
            "scan",
            "--stdin",
            "--stdin-name",
            "pasted.env",
            "--format",
            "jsonl",
        ])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("A=1\nTOKEN={}\n", token()).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let finding: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (finding["path"].as_str(), finding["line"].as_u64()),
        (Some("pasted.env"), Some(2))
    );
}

#[test]
fn a_baseline_accepts_todays_findings_and_reports_new_ones() {
    let dir = tree();
    let write = palisade(dir.path(), &["scan", "--write-baseline", "baseline.json"]);
    assert_eq!(write.code, 0, "{}", write.stderr);
    let accepted = palisade(dir.path(), &["scan", "--baseline", "baseline.json", "app"]);
    assert_eq!(accepted.code, 0, "{}", accepted.stdout);
    std::fs::write(dir.path().join("app/new.env"), format!("X={}\n", token())).unwrap();
    let new = palisade(
        dir.path(),
        &[
            "scan",
            "--baseline",
            "baseline.json",
            "--format",
            "jsonl",
            "app",
        ],
    );
    assert_eq!(new.code, 1);
    assert_eq!(new.stdout.lines().count(), 1);
    assert!(
        new.stdout.contains("\"path\":\"app/new.env\""),
        "{}",
        new.stdout
    );
    let broken = palisade(dir.path(), &["scan", "--baseline", "README.md"]);
    assert_eq!(broken.code, 2);
    assert!(
        broken.stderr.contains("is not a palisade baseline"),
        "{}",
        broken.stderr
    );
}

#[test]
fn the_models_rules_and_allowlists_apply_and_bad_ones_are_explained() {
    let dir = tree();
    let acme = std::fs::read_to_string(root().join("examples/acme/palisade.toml")).unwrap();
    let custom = format!(
        "{acme}\n[scan]\nallow_paths = [\"app/**\"]\n\n[[scan.rules]]\nid = \"acme-service-token\"\nname = \"Acme service token\"\nkind = \"secret\"\nseverity = \"high\"\nkeywords = [\"acme_st_\"]\npattern = '''\\b(?P<secret>acme_st_[A-Za-z0-9]{{32}})\\b'''\nmin_entropy = 3.0\n# palisade:allow (the example is a token)\nexamples = [\"T=acme_st_Q2x8Rk4Lm7Vn1Bc5Xz9Pw3Ty6Hs0Jd2F\"]\ncounter_examples = [\"acme_st_short\"]\n"
    );
    std::fs::write(dir.path().join("palisade.toml"), &custom).unwrap();
    std::fs::write(
        dir.path().join("svc.env"),
        "KEY=acme_st_Zt5Wq1Lp8Ks3Mv6Nb2Xc7Rd4Gh9Fj0Ya\n",
    )
    .unwrap();
    let run = palisade(dir.path(), &["scan", "--format", "jsonl"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rules: Vec<String> = run
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["rule"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        rules,
        ["acme-service-token"],
        "app/ is allowlisted, svc.env holds our token"
    );

    let wrong = custom.replace(
        "examples = [\"T=acme_st_Q2x8",
        "examples = [\"T=acme_st_Q2x",
    );
    std::fs::write(dir.path().join("palisade.toml"), wrong).unwrap();
    let run = palisade(dir.path(), &["scan"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "error[scan-rule-example-not-found]: example of rule `acme-service-token` is not found"
        ),
        "{}",
        run.stderr
    );
    let unknown = custom.replace(
        "allow_paths = [\"app/**\"]",
        "disable = [\"github-pat-clasic\"]",
    );
    std::fs::write(dir.path().join("palisade.toml"), unknown).unwrap();
    let run = palisade(dir.path(), &["scan"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `github-pat-classic`"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_model_sets_the_least_severity_and_its_password_rules_report_guessable_values() {
    let dir = tree();
    let acme = std::fs::read_to_string(root().join("examples/acme/palisade.toml")).unwrap();
    let model = |min: &str, guessable_example: &str| {
        format!(
            "{acme}\n[scan]\n{min}\n\n[[scan.rules]]\nid = \"acme-vault-password\"\nname = \"Acme vault password\"\nkind = \"secret\"\nseverity = \"high\"\nkeywords = [\"vault_pw\"]\npattern = '''vault_pw: (?P<secret>\\S+)'''\nmin_entropy = 3.0\nguessable = true\n# palisade:allow (examples)\nexamples = [\"vault_pw: Zt5Wq1Lp8Ks3\"]\n# palisade:allow\nguessable_examples = [\"{guessable_example}\"]\ncounter_examples = [\"vault_pw: changeme\"]\n"
        )
    };
    std::fs::write(
        dir.path().join("palisade.toml"),
        model("", "vault_pw: hunter2"),
    )
    .unwrap();
    std::fs::write(dir.path().join("vault.yml"), "vault_pw: letmein\n").unwrap();
    let run = palisade(dir.path(), &["scan", "vault.yml", "--format", "jsonl"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let finding: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(
        (finding["rule"].as_str(), finding["severity"].as_str()),
        (Some("acme-vault-password"), Some("low"))
    );

    // scan.min_severity leaves it out; --min-severity on the command line wins.
    std::fs::write(
        dir.path().join("palisade.toml"),
        model("min_severity = \"medium\"", "vault_pw: hunter2"),
    )
    .unwrap();
    let run = palisade(dir.path(), &["scan", "vault.yml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = palisade(dir.path(), &["scan", "vault.yml", "--min-severity", "low"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);

    // A guessable example that is in fact strong, and a severity that is not one, are
    // explained.
    std::fs::write(
        dir.path().join("palisade.toml"),
        model("", "vault_pw: Qm8Rt2Lx9Wv4"),
    )
    .unwrap();
    let run = palisade(dir.path(), &["scan", "vault.yml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is found as a strong password"),
        "{}",
        run.stderr
    );
    std::fs::write(
        dir.path().join("palisade.toml"),
        model("min_severity = \"severe\"", "vault_pw: hunter2"),
    )
    .unwrap();
    let run = palisade(dir.path(), &["scan", "vault.yml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("error[invalid-min-severity]")
            && run.stderr.contains("use low, medium, high or critical"),
        "{}",
        run.stderr
    );
}

#[test]
fn record_appends_a_summary_without_the_secret_to_the_ledger() {
    let dir = tree();
    let model = root().join("examples/acme/palisade.toml");
    let model = model.to_str().unwrap();
    let run = palisade(
        dir.path(),
        &[
            "scan",
            "--model",
            model,
            "--record",
            "--subject",
            "payments-api",
            "app",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("recorded the scan summary as ledger entry 0"),
        "{}",
        run.stderr
    );
    let tail = palisade(
        dir.path(),
        &["ledger", "--model", model, "tail", "--format", "json"],
    );
    assert_eq!(tail.code, 0, "{}", tail.stderr);
    assert!(tail.stdout.contains("scan.summary"), "{}", tail.stdout);
    assert!(
        tail.stdout.contains("github-pat-classic"),
        "{}",
        tail.stdout
    );
    assert!(
        !tail.stdout.contains(&token()[6..]),
        "the secret reached the ledger"
    );
}

#[test]
fn staged_and_history_scans_read_git() {
    // Isolated from the user's git configuration, as a vendor's developer.
    let dir = Repo::new();
    let git = |args: &[&str]| {
        dir.git_as(
            args,
            Author {
                name: "Vendor Dev",
                email: "dev@vendor.example",
                date: "2026-01-02T03:04:05Z",
            },
        );
    };
    std::fs::write(
        dir.path().join("app.env"),
        format!("A=1\nTOKEN={}\n", token()),
    )
    .unwrap();
    git(&["add", "app.env"]);
    git(&["commit", "-qm", "add config"]);
    // Staged: a new line without a secret next to the committed one is clean...
    std::fs::write(
        dir.path().join("app.env"),
        format!("A=1\nTOKEN={}\nB=2\n", token()),
    )
    .unwrap();
    git(&["add", "app.env"]);
    let staged = palisade(dir.path(), &["scan", "--staged"]);
    assert_eq!(staged.code, 0, "{}{}", staged.stdout, staged.stderr);
    // ...and a staged line with one is reported at its line.
    std::fs::write(dir.path().join("new.env"), format!("X=1\nY={}\n", token())).unwrap();
    git(&["add", "new.env"]);
    let staged = palisade(dir.path(), &["scan", "--staged", "--format", "jsonl"]);
    assert_eq!(staged.code, 1, "{}", staged.stderr);
    let finding: Value = serde_json::from_str(staged.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(
        (finding["path"].as_str(), finding["line"].as_u64()),
        (Some("new.env"), Some(2))
    );

    let history = palisade(dir.path(), &["scan", "--history", "--format", "jsonl"]);
    assert_eq!(history.code, 1, "{}", history.stderr);
    let finding: Value = serde_json::from_str(history.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(finding["path"], "app.env");
    assert_eq!(
        finding["introduced"]["author"],
        "Vendor Dev <dev@vendor.example>"
    );
    assert!(
        finding["introduced"]["date"]
            .as_str()
            .unwrap()
            .starts_with("2026-01-02T03:04:05")
    );

    // A binary blob in history is not scanned, and the report says so instead of
    // dropping it silently; the counts are of the blobs actually scanned.
    git(&["commit", "-qm", "add new.env"]);
    std::fs::write(dir.path().join("logo.bin"), b"\x89PNG\0\0\0\rIHDR").unwrap();
    git(&["add", "logo.bin"]);
    git(&["commit", "-qm", "add a logo"]);
    let history = palisade(dir.path(), &["scan", "--history", "--format", "json"]);
    assert_eq!(history.code, 1, "{}", history.stderr);
    let report: Value = serde_json::from_str(&history.stdout).unwrap();
    let skipped = report["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:#?}");
    assert_eq!(skipped[0]["path"], "logo.bin");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("binary (it holds NUL bytes); first committed in "),
        "{skipped:#?}"
    );
    // Two versions of app.env and new.env: three text blobs, each holding the token,
    // reported once with its two paths.
    assert_eq!(report["stats"]["files"], 3, "{:#}", report["stats"]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        (&findings[0]["location_count"], &findings[0]["blob_count"]),
        (&Value::from(2), &Value::from(3))
    );
    assert!(
        findings[0]["locations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["introduced"]["commit"]
                .as_str()
                .is_some_and(|c| c.len() == 40)),
        "{findings:#?}"
    );
}

/// A repository whose history holds one token in three versions of one file and a copy
/// of it, at fixed times, so that commit and blob ids are the same on every run.
fn history_repo() -> Repo {
    let repo = Repo::new();
    let at = |date| Author {
        name: "Vendor Dev",
        email: "dev@vendor.example",
        date,
    };
    repo.write("README.md", "nothing here\n");
    repo.commit_all_as("start", at("2026-01-01T00:00:00Z"));
    repo.write("app.env", format!("TOKEN={}\n", token()));
    repo.commit_all_as("add the token", at("2026-01-02T00:00:00Z"));
    repo.write("app.env", format!("A=1\nTOKEN={}\n", token()));
    repo.write("deploy/app.env", format!("# deploy\nTOKEN={}\n", token()));
    repo.commit_all_as("copy it", at("2026-01-03T00:00:00Z"));
    repo.write("app.env", format!("A=1\nB=2\nTOKEN={}\n", token()));
    repo.write(
        "docs/setup.md",
        "Behind a proxy: `git config --global http.sslVerify false`\n",
    );
    repo.commit_all_as("document it", at("2026-01-04T00:00:00Z"));
    repo
}

/// `palisade scan --history --quiet --format <format>` on [`history_repo`].
fn history_output(format: &str) -> String {
    let repo = history_repo();
    let run = palisade(
        repo.path(),
        &["scan", "--history", "--quiet", "--format", format],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stdout.contains(&token()[6..]), "the secret leaked");
    filter_elapsed(
        &canonical(format, &run.stdout)
            .replace(&repo.path().display().to_string(), "[TEMP]")
            .replace(
                &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
                "\"version\": \"[VERSION]\"",
            ),
    )
}

#[test]
fn history_findings_are_grouped_per_rule_and_value_in_the_human_report() {
    insta::assert_snapshot!(history_output("human"));
}

#[test]
fn history_findings_are_grouped_per_rule_and_value_in_sarif() {
    insta::assert_snapshot!(history_output("sarif"));
}

#[test]
fn a_history_baseline_accepts_each_group_once() {
    let repo = history_repo();
    let written = palisade(
        repo.path(),
        &["scan", "--history", "--quiet", "--write-baseline", "b.json"],
    );
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert!(
        written.stderr.contains("wrote 2 fingerprints"),
        "{}",
        written.stderr
    );
    let again = palisade(
        repo.path(),
        &["scan", "--history", "--quiet", "--baseline", "b.json"],
    );
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("no findings"), "{}", again.stdout);
}

/// The least model `palisade check` accepts, before a `[scan]` table.
const MODEL: &str =
    "[org]\nname = \"Acme\"\ntimezone = \"UTC\"\nlog_name = \"acme.example/palisade\"\n\n";

/// A model rule that finds its examples: line 3 of the rule is its id, line 8 its pattern.
const RULE: &str = "[[scan.rules]]\nid = \"acme-service-token\"\nname = \"Acme service token\"\nkind = \"secret\"\nseverity = \"high\"\nkeywords = [\"acme_st_\"]\npattern = '''\\b(?P<secret>acme_st_[A-Za-z0-9]{32})\\b'''\n# palisade:allow (examples)\nexamples = [\"T=acme_st_Q2x8Rk4Lm7Vn1Bc5Xz9Pw3Ty6Hs0Jd2F\"]\n";

/// `palisade check --format json` on [`MODEL`] followed by `scan`: the one diagnostic, as
/// (code, model path, line, column). Lines count from the `[scan]` text's first line.
fn check_scan(scan: &str) -> (String, String, u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("palisade.toml"), format!("{MODEL}{scan}")).unwrap();
    let run = palisade(
        dir.path(),
        &[
            "check",
            "palisade.toml",
            "--today",
            crate::TODAY,
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    let diagnostics = out["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert_eq!(d["level"], "error");
    let model_lines = MODEL.lines().count() as u64 + 1;
    (
        d["code"].as_str().unwrap().to_owned(),
        d["path"].as_str().unwrap().to_owned(),
        d["line"].as_u64().unwrap() - model_lines + 1,
        d["column"].as_u64().unwrap(),
    )
}

fn located(code: &str, path: &str, line: u64, column: u64) -> (String, String, u64, u64) {
    (code.to_owned(), path.to_owned(), line, column)
}

#[test]
fn check_reports_an_invalid_min_severity() {
    assert_eq!(
        check_scan("[scan]\nmin_severity = \"severe\"\n"),
        located("invalid-min-severity", "scan.min_severity", 2, 16)
    );
}

#[test]
fn check_reports_an_unknown_rule_to_disable() {
    assert_eq!(
        check_scan("[scan]\ndisable = [\"generic-api-key-assignment\", \"github-pat-clasic\"]\n"),
        located("unknown-scan-rule", "scan.disable[1]", 2, 42)
    );
}

#[test]
fn check_reports_an_invalid_rule_at_the_field_that_is_wrong() {
    let pattern = RULE.replace("(?P<secret>acme", "(?P<secret>(acme");
    assert_eq!(
        check_scan(&pattern),
        // At the group left open, inside the pattern.
        located("invalid-scan-rule", "scan.rules[0].pattern", 7, 16)
    );
    let kind = RULE.replace("kind = \"secret\"", "kind = \"password\"");
    assert_eq!(
        check_scan(&kind),
        located("invalid-scan-rule", "scan.rules[0].kind", 4, 8)
    );
}

#[test]
fn check_reports_a_rule_id_that_is_taken() {
    let taken = RULE.replace("\"acme-service-token\"", "\"github-pat-classic\"");
    assert_eq!(
        check_scan(&taken),
        located("duplicate-scan-rule", "scan.rules[0].id", 2, 6)
    );
}

#[test]
fn check_reports_an_example_the_rule_does_not_find() {
    let short = RULE.replace("Q2x8Rk4Lm7Vn1Bc5Xz9Pw3Ty6Hs0Jd2F", "Q2x8");
    assert_eq!(
        check_scan(&short),
        located(
            "scan-rule-example-not-found",
            "scan.rules[0].examples[0]",
            9,
            13
        )
    );
}

#[test]
fn check_reports_a_counter_example_the_rule_finds() {
    let counter = format!(
        "{RULE}# palisade:allow\ncounter_examples = [\"acme_st_Zt5Wq1Lp8Ks3Mv6Nb2Xc7Rd4Gh9Fj0Ya\"]\n"
    );
    assert_eq!(
        check_scan(&counter),
        located(
            "scan-rule-counter-example-found",
            "scan.rules[0].counter_examples[0]",
            11,
            21
        )
    );
}

#[test]
fn check_reports_an_invalid_allow_path_glob() {
    assert_eq!(
        check_scan("[scan]\nallow_paths = [\"vendor/**\", \"docs/[a-\"]\n"),
        // At the unclosed class.
        located("invalid-glob", "scan.allow_paths[1]", 2, 35)
    );
}

#[test]
fn check_reports_an_allow_pattern_that_is_not_a_regex() {
    assert_eq!(
        check_scan("[scan]\nallow_patterns = ['^AKIA(EXAMPLE$']\n"),
        // At the unclosed group.
        located("invalid-allow-pattern", "scan.allow_patterns[0]", 2, 25)
    );
}

#[test]
fn check_reports_a_baseline_it_cannot_read() {
    assert_eq!(
        check_scan("[scan]\nbaseline = \"no-such-baseline.json\"\n"),
        located("invalid-baseline", "scan.baseline", 2, 12)
    );
}

#[test]
fn scan_refuses_a_model_whose_scan_settings_check_reports() {
    let dir = tree();
    std::fs::write(
        dir.path().join("palisade.toml"),
        format!("{MODEL}[scan]\nallow_patterns = ['^AKIA(EXAMPLE$']\n"),
    )
    .unwrap();
    let run = palisade(dir.path(), &["scan", "--quiet"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("error[invalid-allow-pattern]")
            && run.stderr.contains("palisade.toml:7:25")
            && run.stderr.contains(
                "palisade.toml has 1 error in its scan settings; fix them and scan again"
            ),
        "{}",
        run.stderr
    );
}

/// A small tree with one finding of each kind and one skipped file, built afresh.
fn fixture_tree() -> tempfile::TempDir {
    let dir = tree();
    let write = |path: &str, text: &[u8]| {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    };
    write(
        "deploy/values.yaml",
        b"db:\n  password: hunter22\nAPI_BASE_URL=http://api.payments.acme.io/v2\n",
    );
    write(
        "tests/fixtures/users.csv",
        b"name,email\nJane Roe,jane.roe@gmail.com\n",
    );
    write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    dir
}

/// `palisade scan --quiet --format <format>` on [`fixture_tree`], with what changes from
/// run to run (the time taken, the temporary directory, the version) filtered out.
fn scan_output(format: &str) -> String {
    let dir = fixture_tree();
    let run = palisade(dir.path(), &["scan", "--quiet", "--format", format]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    filter_elapsed(
        &canonical(format, &run.stdout)
            .replace(&dir.path().display().to_string(), "[TEMP]")
            .replace(
                &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
                "\"version\": \"[VERSION]\"",
            ),
    )
}

/// A JSON or SARIF document with every object's keys sorted, so a snapshot
/// does not depend on whether serde_json keeps insertion order (a feature
/// some dependency may turn on); other formats as they are.
fn canonical(format: &str, text: &str) -> String {
    fn sorted(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(
                    entries.into_iter().map(|(k, v)| (k, sorted(v))).collect(),
                )
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    if !matches!(format, "json" | "sarif") {
        return text.to_owned();
    }
    let value: serde_json::Value = serde_json::from_str(text).unwrap();
    format!("{:#}\n", sorted(value))
}

/// Replaces the seconds of every `, 0.12 s)` with `[ELAPSED]`.
fn filter_elapsed(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(end) = rest.find(" s)") {
        let start = rest[..end].rfind(", ").map_or(end, |i| i + 2);
        let seconds = &rest[start..end];
        out.push_str(&rest[..start]);
        if !seconds.is_empty() && seconds.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            out.push_str("[ELAPSED]");
        } else {
            out.push_str(seconds);
        }
        out.push_str(" s)");
        rest = &rest[end + 3..];
    }
    out.push_str(rest);
    out
}

#[test]
fn human_report_snapshot() {
    insta::assert_snapshot!(scan_output("human"));
}

#[test]
fn sarif_report_snapshot() {
    insta::assert_snapshot!(scan_output("sarif"));
}

#[test]
fn github_annotations_snapshot() {
    insta::assert_snapshot!(scan_output("github"));
}
