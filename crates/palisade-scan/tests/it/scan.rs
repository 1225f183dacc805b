//! Scanning trees and buffers: what is found, skipped and suppressed, where findings are
//! placed, and that no output ever shows a secret.

use std::path::Path;

use palisade_scan::checks::{base62_6, crc32};
use palisade_scan::engine::Scanner;
use palisade_scan::output::{self, Style};
use palisade_scan::rules::RuleSet;
use palisade_scan::scan::{Buffer, Report, ScanConfig};
use palisade_scan::setup;
use palisade_scan::{TreeScan, scan_tree};

/// A GitHub token with a valid checksum, built from `seed` (never a real one).
fn github_token(seed: u8) -> String {
    let random: String = (0..30)
        .map(|i| char::from(b"aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY"[(i * 7 + usize::from(seed)) % 32]))
        .collect();
    let check = base62_6(crc32(random.as_bytes()));
    format!("ghp_{random}{}", String::from_utf8_lossy(&check))
}

fn config() -> ScanConfig {
    ScanConfig::new(Scanner::new(RuleSet::builtin().expect("rules")).expect("scanner"))
}

fn write(root: &Path, path: &str, content: impl AsRef<[u8]>) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(full, content).expect("write");
}

fn scan_dir(config: &ScanConfig, root: &Path) -> Report {
    let scan = TreeScan {
        config,
        roots: &[root.to_path_buf()],
        threads: 2,
        cwd: None,
        min_severity: None,
    };
    scan_tree(&scan, &()).expect("the tree exists")
}

#[test]
fn a_tree_scan_finds_places_and_skips_with_reasons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let token = github_token(1);
    write(
        root,
        "app/settings.py",
        format!("import os\n\nGITHUB_TOKEN = \"{token}\"\n"),
    );
    write(root, ".gitignore", "ignored/\n");
    write(
        root,
        "ignored/leak.env",
        format!("TOKEN={}\n", github_token(2)),
    );
    write(
        root,
        "blob.bin",
        [&b"\0\x01\x02"[..], github_token(3).as_bytes()].concat(),
    );
    write(root, "logo.png", github_token(4));
    write(
        root,
        "latin1.txt",
        [&b"caf\xe9 \xff\xfe "[..], github_token(5).as_bytes(), b"\n"].concat(),
    );
    let mut minified = "var a=1;".repeat(2000);
    minified.push_str(&github_token(6));
    write(root, "dist/app.js", minified);
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("missing"), root.join("dangling")).expect("symlink");

    let report = scan_dir(&config(), root);
    let places: Vec<(String, u64, u64, String)> = report
        .findings
        .iter()
        .map(|f| (f.path.clone(), f.line, f.column, f.rule.clone()))
        .collect();
    assert_eq!(
        places,
        vec![
            (
                "app/settings.py".to_owned(),
                3,
                17,
                "github-pat-classic".to_owned()
            ),
            (
                "latin1.txt".to_owned(),
                1,
                9,
                "github-pat-classic".to_owned()
            ),
        ],
        "{report:#?}"
    );
    let skipped: Vec<(&str, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason.split(' ').next().unwrap_or("")))
        .collect();
    assert!(skipped.contains(&("blob.bin", "binary")), "{skipped:?}");
    assert!(skipped.contains(&("logo.png", "binary")), "{skipped:?}");
    assert!(
        skipped.contains(&("dist/app.js", "minified")),
        "{skipped:?}"
    );
    #[cfg(unix)]
    assert!(skipped.contains(&("dangling", "a")), "{skipped:?}");
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.path.starts_with("ignored"))
    );
}

#[test]
fn large_files_are_read_in_windows_and_each_secret_reported_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut content = String::new();
    let mut expected = Vec::new();
    for line in 1..=40_000u64 {
        if line % 5_000 == 0 {
            content.push_str(&format!("token: {}\n", github_token((line / 5_000) as u8)));
            expected.push(line);
        } else {
            content.push_str("just some ordinary configuration text, nothing to see here\n");
        }
    }
    write(dir.path(), "big.yaml", &content);
    let mut config = config();
    config.window = 256 << 10; // about 2.4 MB in ten windows
    let report = scan_dir(&config, dir.path());
    let lines: Vec<u64> = report.findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, expected);
    assert_eq!(report.stats.bytes, content.len() as u64);
}

#[test]
fn inline_comments_allowlists_and_baselines_suppress() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "a.env",
        format!("A={} # palisade:allow\n", github_token(1)),
    );
    write(
        root,
        "b.env",
        format!("# palisade:allow test fixture\nB={}\n", github_token(2)),
    );
    write(root, "vendor/c.env", format!("C={}\n", github_token(3)));
    write(root, "d.env", format!("D={}\n", github_token(4)));
    write(root, "e.env", format!("E={}\n", github_token(5)));
    let mut config = config();
    config.allow_paths = vec![palisade_model::glob::Glob::new("vendor/**").expect("glob")];
    config.allow_patterns = vec![regex::bytes::Regex::new(&github_token(4)).expect("regex")];
    let report = scan_dir(&config, root);
    assert_eq!(report.findings.len(), 1, "{report:#?}");
    assert_eq!(report.findings[0].path, "e.env");
    assert_eq!(report.stats.suppressed_inline, 2);
    assert_eq!(report.stats.suppressed_allowlist, 1);

    // A baseline written once keeps matching after lines move and the file is reformatted.
    let baseline = setup::baseline_of(&report);
    let baseline_path = root.join("baseline.json");
    std::fs::write(&baseline_path, &baseline).expect("write baseline");
    write(
        root,
        "e.env",
        format!("# a comment\n\n   E   =   {}   \n", github_token(5)),
    );
    config.baseline = setup::read_baseline(&baseline_path).expect("read baseline");
    let again = scan_dir(&config, root);
    assert!(again.findings.is_empty(), "{again:#?}");
    assert_eq!(again.stats.suppressed_baseline, 1);
    // And it is the same baseline when written again.
    let mut unsuppressed = config;
    unsuppressed.baseline.clear();
    assert_eq!(setup::baseline_of(&scan_dir(&unsuppressed, root)), baseline);
}

#[test]
fn other_scanners_inline_markers_are_honoured_where_they_apply() {
    let config = config();
    let scan = |text: String| {
        let mut report = Report::default();
        config.scan_buffer(
            Buffer::whole("settings.env", text.as_bytes()),
            text.len(),
            &mut report,
        );
        report
    };
    // detect-secrets and gitleaks mark the finding's own line.
    for marker in ["# pragma: allowlist secret", "# gitleaks:allow"] {
        let report = scan(format!("A={} {marker}\n", github_token(1)));
        assert!(report.findings.is_empty(), "{marker}: {report:#?}");
        assert_eq!(report.stats.suppressed_inline, 1, "{marker}");
        // On the line before, only `palisade:allow` and detect-secrets' nextline marker count.
        let report = scan(format!("{marker}\nA={}\n", github_token(1)));
        assert_eq!(report.findings.len(), 1, "{marker} above: {report:#?}");
    }
    let report = scan(format!(
        "# pragma: allowlist nextline secret\nA={}\nB={}\n",
        github_token(1),
        github_token(2)
    ));
    assert_eq!(report.findings.len(), 1, "{report:#?}");
    assert_eq!(report.findings[0].line, 3);
    assert_eq!(report.stats.suppressed_inline, 1);
}

#[test]
fn no_output_format_shows_a_secret() {
    let token = github_token(9);
    let data = format!("first line\nauth:\n  token: {token}\npassword = \"Zq8#mV2$kP9!wR4x\"\n");
    let config = config();
    let mut report = Report::default();
    config.scan_buffer(
        Buffer::whole("deploy/values.yaml", data.as_bytes()),
        data.len(),
        &mut report,
    );
    assert!(report.findings.len() >= 2, "{report:#?}");
    let rendered = [
        output::human(&report, Style { color: false }, 0.1),
        output::jsonl(&report),
        serde_json::to_string(&report).expect("json"),
        output::sarif(&report, "0").to_string(),
        output::github(&report, 0.1),
    ];
    for text in &rendered {
        assert!(!text.contains(&token[8..]), "a token leaked:\n{text}");
        assert!(
            !text.contains("Zq8#mV2$kP9!wR4x"),
            "a password leaked:\n{text}"
        );
        assert!(!text.contains("kP9!"), "part of a password leaked:\n{text}");
    }
    assert!(
        rendered[0].contains("deploy/values.yaml:3:10"),
        "{}",
        rendered[0]
    );
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let Some(dir) = palisade_test_support::testdata("sarif") else {
        return;
    };
    let schema = std::fs::read_to_string(dir.join("sarif-schema-2.1.0.json")).expect("the schema");
    let schema: serde_json::Value = serde_json::from_str(&schema).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let data = format!(
        "token: {}\nurl = \"http://api.acme-corp.io/v1\"\n",
        github_token(3)
    );
    let config = config();
    let mut report = Report::default();
    config.scan_buffer(
        Buffer::whole("a/b c.yaml", data.as_bytes()),
        data.len(),
        &mut report,
    );
    assert!(!report.findings.is_empty());
    for report in [report, Report::default()] {
        let sarif = output::sarif(&report, "0.1.0");
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{sarif:#}");
    }
}

/// A finding as (rule, severity, secret).
type Seen = (String, String, String);

/// The findings of one buffer under `path`.
fn findings_in(config: &ScanConfig, path: &str, text: &str) -> Vec<Seen> {
    let mut report = Report::default();
    config.scan_buffer(
        Buffer::whole(path, text.as_bytes()),
        text.len(),
        &mut report,
    );
    report
        .findings
        .iter()
        .map(|f| {
            let start = text
                .lines()
                .nth(usize::try_from(f.line).expect("line") - 1)
                .map(|l| text.find(l).expect("line in text"))
                .expect("line")
                + usize::try_from(f.column).expect("column")
                - 1;
            let len: usize = f
                .redacted
                .rsplit('(')
                .next()
                .expect("length")
                .trim_end_matches(')')
                .parse()
                .expect("length in the redaction");
            (
                f.rule.clone(),
                f.severity.as_str().to_owned(),
                text[start..start + len].to_owned(),
            )
        })
        .collect()
}

#[test]
fn guessable_passwords_are_literals_not_code_and_not_documentation() {
    let config = config();
    let low =
        |rule: &str, secret: &str| vec![(rule.to_owned(), "low".to_owned(), secret.to_owned())];
    let cases: &[(&str, &str, Vec<Seen>)] = &[
        // Configuration: an unquoted word is the password.
        (
            "settings.ini",
            "[db]\npassword = secret\n",
            low("generic-password-assignment", "secret"),
        ),
        (
            "app.env",
            "MAIL_PASSWORD=mailpass\n",
            low("generic-password-assignment", "mailpass"),
        ),
        // Source code: an unquoted value is an expression; a quoted one is a literal.
        ("app.py", "password = secret\n", vec![]),
        (
            "app.py",
            "password = 'letmein'\n",
            low("generic-password-assignment", "letmein"),
        ),
        (
            "user.ts",
            "interface User {\n  password: string\n}\n",
            vec![],
        ),
        (
            "User.kt",
            "data class User(val password: String)\nval password = userPassword\n",
            vec![],
        ),
        ("conf.yaml", "password: userPassword\n", vec![]),
        ("app.js", "const password = undefined\n", vec![]),
        // A strong password ending in `@` is still a password; `guest@` is an anonymous login.
        (
            "app.env",
            "DB_PASSWORD=\"Zq8!mW3#xLp@\"\n",
            vec![(
                "generic-password-assignment".to_owned(),
                "high".to_owned(),
                "Zq8!mW3#xLp@".to_owned(),
            )],
        ),
        ("ftp.c", "server->password = \"guest@\";\n", vec![]),
        // The user name repeated is a default; the end of a longer one is not.
        (
            "db.env",
            "URL=postgres://reporting:reporting@db.acme.io/app\n",
            vec![],
        ),
        (
            "db.env",
            "URL=postgres://svc-reporting:reporting@db.acme.io/app\n",
            vec![(
                "postgres-connection-uri-password".to_owned(),
                "critical".to_owned(),
                "reporting".to_owned(),
            )],
        ),
        // Documentation hosts, before or after the password, as whole names only.
        (
            "db.env",
            "URL=jdbc:postgresql://db.example.com:5432/app?user=app&password=secret\n",
            vec![],
        ),
        (
            "ops.sh",
            "mysql -h db.example.org -u app -papp1234 shop\n",
            vec![],
        ),
        (
            "db.env",
            "URL=postgres://app:secret@db.examples.io/app\n",
            low("postgres-connection-uri-password", "secret"),
        ),
        (
            "db.env",
            "URL=postgres://app:secret@example.company.io/app\n",
            low("postgres-connection-uri-password", "secret"),
        ),
        // A comment naming example.com does not make the password an example.
        (
            "settings.ini",
            "password = hunter22   # see example.com\n",
            low("generic-password-assignment", "hunter22"),
        ),
        // On a command line an environment variable's name is a placeholder, a word is not.
        (
            "README.md",
            "curl -u admin:ACCESS_TOKEN https://ci.acme.io\n",
            vec![],
        ),
        (
            "run.sh",
            "psexec \\\\fs02 -u ops -p winter_harbor cmd\n",
            vec![(
                "psexec-password-argument".to_owned(),
                "high".to_owned(),
                "winter_harbor".to_owned(),
            )],
        ),
    ];
    for (path, text, expected) in cases {
        assert_eq!(
            &findings_in(&config, path, text),
            expected,
            "{path}: {text}"
        );
    }
}

#[test]
fn identifiers_stop_at_punctuation_templates_and_objects() {
    let config = config();
    let cases: &[(&str, &[&str])] = &[
        (
            "roles: [arn:aws:iam::704532918226:role/deploy, arn:aws:iam::704532918226:role/audit].\n",
            &[
                "arn:aws:iam::704532918226:role/deploy",
                "arn:aws:iam::704532918226:role/audit",
            ],
        ),
        ("\"Resource\": \"arn:aws:s3:::acme-logs-${Env}/*\"\n", &[]),
        ("<a href=\"https://s3.amazonaws.com/index.html\">\n", &[]),
        (
            "BUCKET=acme-assets.s3.dualstack.eu-west-1.amazonaws.com\n",
            &["acme-assets.s3.dualstack.eu-west-1.amazonaws.com"],
        ),
        ("aws_accountid: 581209374615\n", &["581209374615"]),
    ];
    for (text, expected) in cases {
        let found: Vec<String> = findings_in(&config, "infra.yaml", text)
            .into_iter()
            .map(|(_, severity, secret)| {
                assert_eq!(severity, "low");
                secret
            })
            .collect();
        assert_eq!(found, *expected, "{text}");
    }
}
