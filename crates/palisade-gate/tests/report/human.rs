//! `report::human`: the answer first, controls aligned, nothing that steers
//! a terminal unless colour was asked for.

use palisade_gate::report::human;
use palisade_gate::verdict::ControlResult;

use super::fixtures;

/// The text with ANSI SGR sequences (`ESC [ ... m`) taken out.
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            assert_eq!(chars.next(), Some('['), "only SGR sequences: {text:?}");
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
                assert!(c.is_ascii_digit() || c == ';', "SGR parameters: {text:?}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The lines of the control table: those starting with two spaces and a
/// control key.
fn control_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| {
            palisade_model::Control::ALL
                .iter()
                .any(|c| l.strip_prefix("  ").is_some_and(|r| r.starts_with(c.key())))
        })
        .collect()
}

#[test]
fn the_first_line_is_the_answer_and_the_tier() {
    for (name, v, first) in [
        (
            "pass",
            fixtures::pass(),
            "PASS  tier medium: 4 of 4 required controls met, 1 not applicable",
        ),
        (
            "warn",
            fixtures::warn(),
            "WARN  tier high: 3 of 4 required controls met, 1 waived, 1 not applicable",
        ),
        (
            "fail",
            fixtures::fail(),
            "FAIL  tier critical: 4 of 7 required controls not met (tests, secret_scan, owner_approvals, signed_artifact), 1 not applicable",
        ),
        (
            "plan",
            fixtures::plan(),
            "PLAN  tier high: 5 controls required",
        ),
    ] {
        let text = human(&v, false);
        assert_eq!(text.lines().next(), Some(first), "{name}:\n{text}");
        assert!(text.contains("services: billing-api ("), "{name}:\n{text}");
    }
}

#[test]
fn every_control_is_listed_once_with_its_result_and_reason_aligned() {
    for (name, v) in fixtures::all().into_iter().filter(|(n, _)| *n != "plan") {
        let text = human(&v, false);
        let lines = control_lines(&text);
        assert_eq!(lines.len(), v.controls.len(), "{name}:\n{text}");
        let mut columns = Vec::new();
        for (line, c) in lines.iter().zip(&v.controls) {
            let rest = line
                .trim_start()
                .strip_prefix(c.id.key())
                .unwrap()
                .trim_start();
            let word = rest.split("  ").next().unwrap();
            assert_eq!(word, c.result.key().replace('_', " "), "{name}: {line}");
            let reason_first_line = c.reason.lines().next().unwrap_or("");
            let at = line
                .find(
                    reason_first_line
                        .split(['\x07', '\x1b', '\0', '\u{9b}', '\t'])
                        .next()
                        .unwrap(),
                )
                .unwrap_or_else(|| panic!("{name}: reason not on {line:?}"));
            columns.push(at);
        }
        columns.dedup();
        assert_eq!(
            columns.len(),
            1,
            "{name}: reasons start in one column:\n{text}"
        );
    }
}

#[test]
fn blocking_controls_say_what_to_provide() {
    let v = fixtures::fail();
    let text = human(&v, false);
    for c in v.controls.iter().filter(|c| c.result.blocks()) {
        let provide = c.provide.as_deref().unwrap();
        assert!(
            text.contains(&format!("provide: {provide}")),
            "{provide}:\n{text}"
        );
    }
    assert_eq!(text.matches("provide: ").count(), 4, "{text}");
}

#[test]
fn a_warn_lists_waivers_uncounted_evidence_warnings_and_unowned_paths() {
    let text = human(&fixtures::warn(), false);
    for expected in [
        "waiver: legacy-billing-no-sast",
        "waivers used: legacy-billing-no-sast",
        "evidence that did not count:\n  old-results.xml (junit, sha256:ab12ab12ab12): about commit 333333333333, not the head",
        "warnings:\n  - 1 changed path has no owner: tools/run.sh",
        "changed paths no service owns:\n  tools/run.sh",
        "why: service billing-api (medium), path rule infrastructure code (high, infra/main.tf)",
        "change: 111111111111..222222222222, 4 paths changed (1 unowned), bound for staging",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
}

#[test]
fn a_plan_says_what_the_change_will_need() {
    let v = fixtures::plan();
    let text = human(&v, false);
    let needed = text
        .split("this change will need:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    for c in &v.controls {
        let listed = needed
            .lines()
            .any(|l| l.trim_start().starts_with(c.id.key()));
        assert_eq!(
            listed,
            c.result == ControlResult::Needed,
            "{}:\n{text}",
            c.id.key()
        );
    }
    // What to provide comes from `provide`, or the reason when there is none.
    assert!(
        needed.contains("rollback_plan      a Rollback section in the pull request"),
        "{text}"
    );
    assert!(
        text.contains("not required at this tier: internal_approval, signed_artifact"),
        "{text}"
    );
    assert!(text.contains("not applicable here: docs_updated"), "{text}");
    assert!(!text.contains("provide:"), "{text}");
}

#[test]
fn colour_only_when_asked_and_the_same_text_under_it() {
    for (name, v) in fixtures::all() {
        let plain = human(&v, false);
        let colored = human(&v, true);
        assert!(!plain.contains('\x1b'), "{name}: {plain}");
        assert!(colored.contains("\x1b["), "{name}");
        assert_eq!(strip_ansi(&colored), plain, "{name}");
    }
}

#[test]
fn outside_text_cannot_steer_the_terminal_or_break_the_layout() {
    let v = fixtures::awkward();
    let text = human(&v, false);
    for c in text.chars() {
        assert!(!c.is_control() || c == '\n', "{c:?} in:\n{text}");
    }
    assert!(text.contains(r"esc\u{1b}[31mred"), "{text}");
    assert!(text.contains(r"csi\u{9b}2J"), "{text}");
    // A reason's later lines are indented under it, not at the margin where
    // they could pass for a control or a heading.
    for line in text.lines() {
        for forged in ["second line", "third", "fourth", "::error", "## forged"] {
            if line.trim_start().starts_with(forged) {
                assert!(line.starts_with("  "), "{line:?}:\n{text}");
            }
        }
    }
    // The long reason is there whole: the terminal and the log have room.
    assert!(text.contains(&fixtures::long_reason().trim_end().to_owned()));
}

#[test]
fn snapshot_of_a_failing_verdict() {
    insta::assert_snapshot!("human_fail", human(&fixtures::fail(), false));
}

#[test]
fn snapshot_of_a_plan() {
    insta::assert_snapshot!("human_plan", human(&fixtures::plan(), false));
}
