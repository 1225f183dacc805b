//! `report::junit`, read back by junitparser: the counts it reads and
//! recounts match the controls, and each failure and skip carries the
//! message and text we meant, awkward characters included.

use palisade_gate::report::junit;
use palisade_gate::verdict::{ControlResult, ControlVerdict, Verdict};
use serde_json::{Value, json};

use super::{clipped, fixtures, python_json};

/// Reads the XML on stdin with junitparser and prints what it sees: the
/// root's and each suite's declared counts, the counts junitparser works
/// out from the cases, the properties, and every case with its results.
const READ: &str = r#"
import json, sys, tempfile
from junitparser import JUnitXml, TestSuite

with tempfile.NamedTemporaryFile(suffix=".xml", delete=False) as f:
    f.write(sys.stdin.buffer.read())
xml = JUnitXml.fromfile(f.name)
suites = [xml] if isinstance(xml, TestSuite) else list(xml)

def counts(x):
    return {"tests": x.tests, "failures": x.failures, "errors": x.errors, "skipped": x.skipped}

out = {"root": type(xml).__name__, "root_counts": counts(xml), "suites": []}
for suite in suites:
    declared = counts(suite)
    cases = []
    for case in suite:
        cases.append({
            "classname": case.classname,
            "name": case.name,
            "passed": case.is_passed,
            "skipped": case.is_skipped,
            "results": [
                {"kind": type(r).__name__, "message": r.message, "type": r.type, "text": r.text}
                for r in case.result
            ],
            "system_out": case.system_out,
        })
    suite.update_statistics()
    out["suites"].append({
        "name": suite.name,
        "declared": declared,
        "recounted": counts(suite),
        "properties": {p.name: p.value for p in suite.properties()},
        "cases": cases,
    })
print(json.dumps(out))
"#;

/// Text as JUnit carries it: characters XML 1.0 forbids as U+FFFD, the rest
/// (tabs and line breaks too) as they were.
fn xml_clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
                || matches!(c, '\u{FFFE}' | '\u{FFFF}')
            {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The failure or skip we mean for a control, as junitparser reports it.
fn expected_results(c: &ControlVerdict) -> Value {
    let skipped = |message: String| json!([{"kind": "Skipped", "message": xml_clean(&message), "type": null, "text": null}]);
    match c.result {
        ControlResult::Fail | ControlResult::Missing => {
            let mut text = c.reason.clone();
            if let Some(p) = &c.provide {
                text.push_str(&format!("\nprovide: {p}"));
            }
            if !c.evidence.is_empty() {
                text.push_str(&format!("\nevidence: {}", c.evidence.join(", ")));
            }
            json!([{
                "kind": "Failure",
                "message": xml_clean(&clipped(&c.reason)),
                "type": c.result.key(),
                "text": xml_clean(&text),
            }])
        }
        ControlResult::Waived => skipped(format!(
            "waived by {}: {}",
            c.waiver.as_deref().unwrap(),
            clipped(&c.reason)
        )),
        ControlResult::NotRequired | ControlResult::NotApplicable => skipped(format!(
            "{}: {}",
            c.result.key().replace('_', " "),
            clipped(&c.reason)
        )),
        ControlResult::Needed => skipped(format!(
            "needed: {}",
            clipped(c.provide.as_deref().unwrap_or(&c.reason))
        )),
        ControlResult::Pass => json!([]),
    }
}

fn read(v: &Verdict) -> Option<Value> {
    python_json(READ, &junit(v), &[])
}

#[test]
fn junitparser_sees_one_suite_with_consistent_counts() {
    for (name, v) in fixtures::all() {
        let Some(doc) = read(&v) else { return };
        let suites = doc["suites"].as_array().unwrap();
        assert_eq!(suites.len(), 1, "{name}");
        let suite = &suites[0];
        assert_eq!(suite["name"], "palisade gate");
        let failures = v.controls.iter().filter(|c| c.result.blocks()).count();
        let skipped = v
            .controls
            .iter()
            .filter(|c| !c.result.blocks() && c.result != ControlResult::Pass)
            .count();
        let expected = json!({"tests": v.controls.len(), "failures": failures, "errors": 0, "skipped": skipped});
        assert_eq!(suite["declared"], expected, "{name}");
        assert_eq!(suite["recounted"], expected, "{name}");
        assert_eq!(doc["root_counts"], expected, "{name}");
        let props = &suite["properties"];
        let verdict = if v.plan { "plan" } else { v.verdict.key() };
        assert_eq!(props["palisade.verdict"], verdict, "{name}");
        assert_eq!(props["palisade.tier"], v.tier.key(), "{name}");
        assert_eq!(props["palisade.head"], v.head, "{name}");
    }
}

#[test]
fn each_control_is_a_case_with_the_failure_or_skip_we_meant() {
    for (name, v) in fixtures::all() {
        let Some(doc) = read(&v) else { return };
        let cases = doc["suites"][0]["cases"].as_array().unwrap();
        assert_eq!(cases.len(), v.controls.len(), "{name}");
        for (case, c) in cases.iter().zip(&v.controls) {
            let ctx = format!("{name} {}", c.id.key());
            assert_eq!(case["name"], c.id.key(), "{ctx}");
            assert_eq!(
                case["classname"],
                format!("palisade.gate.{}", v.tier.key()),
                "{ctx}"
            );
            assert_eq!(case["results"], expected_results(c), "{ctx}");
            assert_eq!(case["passed"], c.result == ControlResult::Pass, "{ctx}");
            if c.result == ControlResult::Pass {
                let mut out = c.reason.clone();
                if !c.evidence.is_empty() {
                    out.push_str(&format!("\nevidence: {}", c.evidence.join(", ")));
                }
                assert_eq!(case["system_out"], xml_clean(&out), "{ctx}");
            }
        }
    }
}

#[test]
fn the_xml_has_no_character_xml_forbids() {
    let text = junit(&fixtures::awkward());
    for c in text.chars() {
        let forbidden = c.is_control() && !matches!(c, '\t' | '\n' | '\r');
        assert!(!forbidden && c != '\u{FFFE}', "{c:?}");
    }
    // Line breaks in attributes are references, or a parser would make
    // them spaces.
    for line in text.lines() {
        assert_eq!(
            line.matches('"').count() % 2,
            0,
            "an attribute spans lines: {line}"
        );
    }
}

#[test]
fn snapshot_of_a_warning_verdict() {
    insta::assert_snapshot!("junit_warn", junit(&fixtures::warn()));
}
