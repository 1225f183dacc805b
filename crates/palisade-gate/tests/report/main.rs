//! The gate's renderings (`palisade_gate::report`), each checked by an
//! implementation we did not write where one exists: JUnit read back by
//! junitparser, Markdown rendered by GitHub's cmark-gfm and by comrak
//! (GitLab's), workflow commands decoded by GitHub's documented rules, and
//! the CI examples against the vendored GitHub workflow and GitLab CI
//! schemas.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod annotations;
mod ci_examples;
mod fixtures;
mod human;
mod json;
mod junit;
mod markdown;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `script` with the test tools' python, `input` on its stdin and
/// `args` after it, and returns its stdout as JSON; `None` (after saying
/// why) where the tools are not installed outside CI.
pub fn python_json(script: &str, input: &str, args: &[&str]) -> Option<serde_json::Value> {
    let python = palisade_test_support::tool("PALISADE_TEST_PYTHON")?;
    let out = run(&python, script, input, args);
    Some(serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")))
}

fn run(python: &Path, script: &str, input: &str, args: &[&str]) -> String {
    let mut child = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `text` as every rendering but the human one shows it: control
/// characters other than line breaks as U+FFFD, tabs as spaces.
pub fn cleaned(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if (c.is_control() && !matches!(c, '\n' | '\r'))
                || matches!(c, '\u{FFFE}' | '\u{FFFF}') =>
            {
                '\u{FFFD}'
            }
            c => c,
        })
        .collect()
}

/// `text` cut as reports cut long text.
pub fn clipped(text: &str) -> String {
    let max = palisade_gate::report::MAX_TEXT;
    if text.chars().count() > max {
        let head: String = text.chars().take(max).collect();
        format!("{head}… (cut; the JSON report has all of it)")
    } else {
        text.to_owned()
    }
}
