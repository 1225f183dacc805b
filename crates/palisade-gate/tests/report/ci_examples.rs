//! The CI examples in `examples/ci/`: they parse, they validate against the
//! vendored GitHub workflow and GitLab CI schemas that check-jsonschema
//! ships, their shell is valid, and their gate step uses the gate's flags as
//! `palisade gate` defines them, on evidence an earlier step produced.

use std::path::PathBuf;
use std::process::Command;

use palisade_gate::evidence::EvidenceKind;
use serde_json::Value;

const GITHUB: &str = "examples/ci/github-actions.yml";
const GITLAB: &str = "examples/ci/gitlab-ci.yml";

/// `palisade gate`'s flags, and whether each takes a value.
const FLAGS: [(&str, bool); 18] = [
    ("--base", true),
    ("--head", true),
    ("--env", true),
    ("--evidence", true),
    ("--plan", false),
    ("--json", true),
    ("--markdown", true),
    ("--github-annotations", false),
    ("--junit", true),
    ("--vsa", true),
    ("--no-record", false),
    ("--model", true),
    ("--repository", true),
    ("-C", true),
    ("--repo", true),
    ("--key", true),
    ("--actor", true),
    ("--now", true),
];

fn path(rel: &str) -> PathBuf {
    palisade_test_support::repo_root().join(rel)
}

fn load(rel: &str) -> (String, Value) {
    let text = std::fs::read_to_string(path(rel)).unwrap();
    let value: Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    (text, value)
}

/// The words of the `palisade gate` command in a script, backslash line
/// continuations joined and `${{ expression }}` written without its
/// spaces, each flag with its value.
fn gate_args(script: &str) -> Vec<(String, Option<String>)> {
    let joined = script
        .replace("\\\n", " ")
        .replace("${{ ", "${{")
        .replace(" }}", "}}");
    let line = joined
        .lines()
        .find(|l| l.trim_start().starts_with("palisade gate"))
        .unwrap_or_else(|| panic!("no `palisade gate` in {script}"));
    let line = line.split("||").next().unwrap();
    let mut words = line.split_whitespace().skip(2);
    let mut args = Vec::new();
    while let Some(word) = words.next() {
        let (_, takes_value) = FLAGS
            .iter()
            .find(|(f, _)| *f == word)
            .unwrap_or_else(|| panic!("`{word}` is not a flag of palisade gate: {line}"));
        let value = takes_value.then(|| {
            words
                .next()
                .unwrap_or_else(|| panic!("{word} needs a value: {line}"))
                .trim_matches('"')
                .to_owned()
        });
        args.push((word.to_owned(), value));
    }
    args
}

fn values<'a>(args: &'a [(String, Option<String>)], flag: &str) -> Vec<&'a str> {
    args.iter()
        .filter(|(f, _)| f == flag)
        .filter_map(|(_, v)| v.as_deref())
        .collect()
}

/// Checks the gate's evidence flags: a known kind, and a file that the
/// text before the gate produces.
fn check_evidence(args: &[(String, Option<String>)], before: &str) {
    let evidence = values(args, "--evidence");
    assert!(evidence.len() >= 4, "{evidence:?}");
    for e in evidence {
        let (kind, file) = e.split_once(':').unwrap();
        assert!(
            EvidenceKind::from_key(kind).is_some(),
            "unknown kind {kind}"
        );
        assert!(
            before.contains(file),
            "nothing before the gate writes {file}"
        );
    }
}

fn bash_n(script: &str, what: &str) {
    let out = Command::new("bash")
        .args(["-n", "-c", script])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{what}: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_github_workflow_runs_the_gate_on_pull_requests_with_its_outputs() {
    let (text, wf) = load(GITHUB);
    assert!(wf["on"].get("pull_request").is_some(), "{}", wf["on"]);
    let jobs = wf["jobs"].as_object().unwrap();
    assert_eq!(jobs.len(), 1);
    let steps = jobs.values().next().unwrap()["steps"].as_array().unwrap();

    let checkout = &steps[0];
    assert!(
        checkout["uses"]
            .as_str()
            .unwrap()
            .starts_with("actions/checkout@")
    );
    assert_eq!(checkout["with"]["fetch-depth"], 0);

    let gate_at = steps
        .iter()
        .position(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("palisade gate"))
        })
        .expect("a gate step");
    let args = gate_args(steps[gate_at]["run"].as_str().unwrap());
    assert_eq!(
        values(&args, "--base"),
        ["${{github.event.pull_request.base.sha}}"]
    );
    assert_eq!(
        values(&args, "--head"),
        ["${{github.event.pull_request.head.sha}}"]
    );
    assert_eq!(values(&args, "--markdown"), ["$GITHUB_STEP_SUMMARY"]);
    assert!(args.iter().any(|(f, _)| f == "--github-annotations"));
    for flag in ["--env", "--junit", "--json", "--vsa"] {
        assert_eq!(values(&args, flag).len(), 1, "{flag}");
    }
    let before: String = steps[..gate_at]
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    check_evidence(&args, &before);
    for (name, api) in [
        ("pull-request.json", "pulls/$PR\""),
        ("reviews.json", "pulls/$PR/reviews"),
    ] {
        assert!(before.contains(name) && before.contains(api), "{name}");
    }
    assert!(before.contains("gh api"), "gh api fetches the pull request");

    // The gate runs even when the tests failed, and the verdict is kept.
    assert_eq!(steps[gate_at]["if"], "${{ !cancelled() }}");
    let upload = steps[gate_at + 1..]
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .expect("an upload step after the gate");
    let uploaded = upload["with"]["path"].as_str().unwrap();
    for file in ["gate.json", "gate-junit.xml", "gate.vsa.json"] {
        assert!(uploaded.lines().any(|l| l.trim() == file), "{file}");
    }

    for (i, step) in steps.iter().enumerate() {
        if let Some(run) = step["run"].as_str() {
            bash_n(run, &format!("{GITHUB} step {i}"));
        }
    }
    assert!(!text.contains('\t'), "YAML indents with spaces");
}

#[test]
fn the_gitlab_job_runs_the_gate_on_merge_requests_and_posts_the_note() {
    let (_, ci) = load(GITLAB);
    let job = &ci["palisade-gate"];
    assert_eq!(job["variables"]["GIT_DEPTH"], "0");
    assert_eq!(
        job["rules"][0]["if"],
        "$CI_PIPELINE_SOURCE == \"merge_request_event\""
    );
    let lines: Vec<&str> = job["script"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let gate_at = lines
        .iter()
        .position(|l| l.contains("palisade gate"))
        .expect("a gate line");
    let args = gate_args(lines[gate_at]);
    assert_eq!(values(&args, "--base"), ["$CI_MERGE_REQUEST_DIFF_BASE_SHA"]);
    assert_eq!(values(&args, "--head"), ["$CI_COMMIT_SHA"]);
    let junit = values(&args, "--junit");
    let markdown = values(&args, "--markdown");
    assert_eq!((junit.len(), markdown.len()), (1, 1));
    for flag in ["--env", "--json", "--vsa"] {
        assert_eq!(values(&args, flag).len(), 1, "{flag}");
    }
    assert!(!args.iter().any(|(f, _)| f == "--github-annotations"));
    check_evidence(&args, &lines[..gate_at].concat());

    // The JUnit goes to the merge request's test report, the Markdown to a
    // note through the API with the project's token.
    let reports = job["artifacts"]["reports"]["junit"].as_array().unwrap();
    assert!(reports.iter().any(|r| *r == junit[0]), "{reports:?}");
    assert_eq!(job["artifacts"]["when"], "always");
    let gate = lines[gate_at];
    assert!(
        gate.contains(&format!("--rawfile body {}", markdown[0])),
        "{gate}"
    );
    assert!(
        gate.contains("merge_requests/$CI_MERGE_REQUEST_IID/notes"),
        "{gate}"
    );
    assert!(gate.contains("PRIVATE-TOKEN: $GITLAB_TOKEN"), "{gate}");
    assert!(
        gate.trim_end().ends_with("exit \"$status\""),
        "the gate's exit code is the job's"
    );

    let before: Vec<&str> = job["before_script"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    bash_n(&before.join("\n"), "before_script");
    bash_n(&lines.join("\n"), "script");
}

#[test]
fn both_validate_against_the_vendored_ci_schemas() {
    let Some(python) = palisade_test_support::tool("PALISADE_TEST_PYTHON") else {
        return;
    };
    for (file, schema) in [
        (GITHUB, "vendor.github-workflows"),
        (GITLAB, "vendor.gitlab-ci"),
    ] {
        let out = Command::new(&python)
            .args(["-m", "check_jsonschema", "--builtin-schema", schema])
            .arg(path(file))
            .output()
            .expect("check-jsonschema runs");
        assert!(
            out.status.success(),
            "{file} against {schema}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
