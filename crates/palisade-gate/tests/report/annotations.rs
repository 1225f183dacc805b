//! `report::github_annotations`, read back by a decoder written from
//! GitHub's documented workflow-command syntax:
//! `::command key=value,key=value::message`, where a message escapes `%`,
//! CR and LF as `%25`, `%0D`, `%0A`, and a property value also `:` and `,`
//! as `%3A`, `%2C`.

use palisade_gate::report::{ANNOTATIONS_PER_KIND, github_annotations};
use palisade_gate::verdict::Verdict;

use super::{cleaned, clipped, fixtures};

#[derive(Debug)]
struct Command {
    name: String,
    properties: Vec<(String, String)>,
    message: String,
}

impl Command {
    fn title(&self) -> &str {
        self.properties
            .iter()
            .find(|(k, _)| k == "title")
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// Undoes the documented escapes in one pass, so that `%250A` is `%0A`
/// and not a line break.
fn unescape(text: &str, property: bool) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at..at + 3).unwrap_or("");
        let decoded = match code {
            "%25" => '%',
            "%0D" => '\r',
            "%0A" => '\n',
            "%3A" if property => ':',
            "%2C" if property => ',',
            _ => panic!("{code:?} is not an escape GitHub documents, in {text:?}"),
        };
        out.push(decoded);
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    out
}

/// Each line as a workflow command; a line that is not one fails the test.
fn decode(output: &str) -> Vec<Command> {
    output
        .lines()
        .map(|line| {
            let body = line
                .strip_prefix("::")
                .unwrap_or_else(|| panic!("not a workflow command: {line:?}"));
            let (head, message) = body
                .split_once("::")
                .unwrap_or_else(|| panic!("no message separator: {line:?}"));
            let (name, props) = head.split_once(' ').unwrap_or((head, ""));
            assert!(!message.contains(['\r', '\n']), "{line:?}");
            let properties = props
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p
                        .split_once('=')
                        .unwrap_or_else(|| panic!("property without `=`: {line:?}"));
                    assert!(!v.contains([':', ',']), "unescaped in a property: {line:?}");
                    (k.to_owned(), unescape(v, true))
                })
                .collect();
            Command {
                name: name.to_owned(),
                properties,
                message: unescape(message, false),
            }
        })
        .collect()
}

fn of<'a>(commands: &'a [Command], name: &str) -> Vec<&'a Command> {
    commands.iter().filter(|c| c.name == name).collect()
}

#[test]
fn a_pass_is_one_notice() {
    let commands = decode(&github_annotations(&fixtures::pass()));
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert_eq!(commands[0].name, "notice");
    assert_eq!(commands[0].title(), "palisade gate: pass");
    assert_eq!(
        commands[0].message,
        "tier medium: 4 of 4 required controls met, 1 not applicable"
    );
}

#[test]
fn a_fail_is_an_error_per_blocking_control_with_what_to_provide() {
    let v = fixtures::fail();
    let commands = decode(&github_annotations(&v));
    let errors = of(&commands, "error");
    let blocking: Vec<_> = v.controls.iter().filter(|c| c.result.blocks()).collect();
    assert_eq!(errors.len(), 1 + blocking.len(), "{commands:?}");
    assert_eq!(errors[0].title(), "palisade gate: fail");
    for (e, c) in errors[1..].iter().zip(&blocking) {
        assert_eq!(
            e.title(),
            format!("palisade gate: {} {}", c.id.key(), c.result.key())
        );
        assert_eq!(
            e.message,
            format!("{}\nprovide: {}", c.reason, c.provide.as_deref().unwrap())
        );
    }
    assert!(of(&commands, "notice").is_empty());
}

#[test]
fn a_warn_is_a_warning_for_each_waiver_warning_uncounted_evidence_and_the_unowned_paths() {
    let commands = decode(&github_annotations(&fixtures::warn()));
    let warnings: Vec<(&str, &str)> = of(&commands, "warning")
        .into_iter()
        .map(|c| (c.title(), c.message.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [
            (
                "palisade gate: warn",
                "tier high: 3 of 4 required controls met, 1 waived, 1 not applicable"
            ),
            (
                "palisade gate: static_analysis waived",
                "waived by legacy-billing-no-sast: 3 high results (bandit), waived until 2026-12-31"
            ),
            (
                "palisade gate: warning",
                "1 changed path has no owner: tools/run.sh"
            ),
            (
                "palisade gate: evidence not counted",
                "old-results.xml (junit): about commit 333333333333, not the head"
            ),
            (
                "palisade gate: unowned paths",
                "no service owns these changed paths:\ntools/run.sh"
            ),
        ]
    );
    assert!(of(&commands, "error").is_empty() && of(&commands, "notice").is_empty());
}

#[test]
fn a_plan_is_a_notice_of_what_the_change_will_need() {
    let commands = decode(&github_annotations(&fixtures::plan()));
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert_eq!(commands[0].name, "notice");
    assert_eq!(
        commands[0].message,
        "tier high: 5 controls required\nthis change will need:\n\
         tests: JUnit results of the head commit\n\
         static_analysis: SARIF with no results at or above high\n\
         secret_scan: a clean palisade scan report\n\
         owner_approvals: 1 approval from billing-api's owners\n\
         rollback_plan: a Rollback section in the pull request"
    );
}

#[test]
fn awkward_text_round_trips_and_forges_no_command() {
    let v = fixtures::awkward();
    let output = github_annotations(&v);
    // Every line is one of ours: the newline in INJECTION did not start one.
    let commands = decode(&output);
    assert!(
        commands.iter().all(|c| c.properties.len() == 1),
        "{commands:?}"
    );
    assert!(!commands.iter().any(|c| c.title() == "forged"), "{output}");
    for c in v.controls.iter().filter(|c| c.result.blocks()) {
        let title = format!("palisade gate: {} {}", c.id.key(), c.result.key());
        let found = commands
            .iter()
            .find(|a| a.title() == title)
            .unwrap_or_else(|| panic!("{title} in {output}"));
        let expected = format!(
            "{}\nprovide: {}",
            clipped(&c.reason),
            clipped(c.provide.as_deref().unwrap())
        );
        assert_eq!(found.message, cleaned(&expected));
    }
    let waived = commands
        .iter()
        .find(|a| a.title() == "palisade gate: internal_approval waived")
        .unwrap();
    assert_eq!(
        waived.message,
        format!("waived by waiver|<&>,:%: {}", fixtures::INJECTION)
    );
    let uncounted: Vec<&str> = commands
        .iter()
        .filter(|a| a.title() == "palisade gate: evidence not counted")
        .map(|a| a.message.as_str())
        .collect();
    assert_eq!(
        uncounted,
        [
            format!("results|1,2:3%.xml (junit): {}", fixtures::PIPES),
            format!("<&>.sarif (sarif): {}", cleaned(fixtures::CONTROL_CHARS)),
        ]
    );
    assert!(
        !output.contains('\x1b') && !output.contains('\0'),
        "{output:?}"
    );
}

#[test]
fn titles_with_colons_and_commas_are_escaped_as_properties() {
    let output = github_annotations(&fixtures::fail());
    assert!(
        output.contains("::error title=palisade gate%3A fail::"),
        "{output}"
    );
}

#[test]
fn past_ten_of_a_kind_the_last_counts_the_rest() {
    let mut v: Verdict = fixtures::warn();
    v.warnings = (1..=15).map(|i| format!("warning {i}")).collect();
    let commands = decode(&github_annotations(&v));
    let warnings = of(&commands, "warning");
    assert_eq!(warnings.len(), ANNOTATIONS_PER_KIND);
    // warn, waiver, warnings 1 to 7, then the count: 8 warnings, the
    // uncounted evidence and the unowned paths did not fit.
    assert_eq!(warnings[8].message, "warning 7");
    assert_eq!(
        warnings[9].message,
        "10 more like these: see the step summary or the JSON report"
    );
}

#[test]
fn snapshot_of_a_failing_verdict() {
    insta::assert_snapshot!("annotations_fail", github_annotations(&fixtures::fail()));
}
