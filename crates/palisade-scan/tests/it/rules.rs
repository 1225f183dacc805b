//! Every built-in rule against its own examples and counter-examples.

use palisade_scan::engine::Scanner;
use palisade_scan::rules::{RuleKind, RuleSet};

fn builtin() -> RuleSet {
    RuleSet::builtin().unwrap_or_else(|e| panic!("the built-in rules load: {e}"))
}

#[test]
fn there_are_at_least_150_secret_rules_and_10_transport_rules() {
    let set = builtin();
    let count = |kind| set.rules().iter().filter(|r| r.spec.kind == kind).count();
    assert!(
        count(RuleKind::Secret) >= 150,
        "{} secret rules",
        count(RuleKind::Secret)
    );
    assert!(
        count(RuleKind::Transport) >= 10,
        "{} transport rules",
        count(RuleKind::Transport)
    );
}

#[test]
fn every_rule_finds_its_examples_and_none_of_its_counter_examples() {
    let set = builtin();
    let mut failures = Vec::new();
    for rule in set.rules() {
        assert!(
            !rule.spec.examples.is_empty(),
            "{}: no examples",
            rule.spec.id
        );
        assert!(
            !rule.spec.counter_examples.is_empty(),
            "{}: no counter-examples",
            rule.spec.id
        );
        let mut alone = RuleSet::default();
        alone
            .add(&rule.origin, rule.spec.clone())
            .expect("compiles again");
        let scanner = Scanner::new(alone).expect("scanner");
        for example in &rule.spec.examples {
            let hits = scanner.scan(example.as_bytes());
            if hits.is_empty() {
                failures.push(format!("{}: missed example {example:?}", rule.spec.id));
            } else if hits.iter().all(|hit| hit.guessable) {
                failures.push(format!(
                    "{}: example {example:?} is found only as a guessable value",
                    rule.spec.id
                ));
            }
            for hit in &hits {
                // The prefilter is sound for this match: it contains a keyword.
                let matched = example.as_bytes()[hit.span.clone()].to_ascii_lowercase();
                let has_keyword = rule
                    .spec
                    .keywords
                    .iter()
                    .any(|k| matched.windows(k.len()).any(|w| w == k.as_bytes()));
                if !has_keyword {
                    failures.push(format!(
                        "{}: match {:?} holds no keyword",
                        rule.spec.id,
                        String::from_utf8_lossy(&matched)
                    ));
                }
            }
        }
        for example in &rule.spec.guessable_examples {
            let hits = scanner.scan(example.as_bytes());
            if hits.is_empty() || hits.iter().any(|hit| !hit.guessable) {
                failures.push(format!(
                    "{}: guessable example {example:?} gives {hits:?}, not one guessable hit",
                    rule.spec.id
                ));
            }
        }
        if rule.spec.guessable && rule.spec.guessable_examples.is_empty() {
            failures.push(format!(
                "{}: reports guessable values but has no guessable_examples",
                rule.spec.id
            ));
        }
        for counter in &rule.spec.counter_examples {
            if !scanner.scan(counter.as_bytes()).is_empty() {
                failures.push(format!(
                    "{}: reported counter-example {counter:?}",
                    rule.spec.id
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_full_set_still_finds_each_example() {
    // With every rule loaded, overlaps are resolved; each example must still be found
    // (by its rule or by a more specific one on the same secret).
    let set = builtin();
    let scanner = Scanner::new(set.clone()).expect("scanner");
    let mut missed = Vec::new();
    for rule in set.rules() {
        for example in &rule.spec.examples {
            if scanner.scan(example.as_bytes()).is_empty() {
                missed.push(format!("{}: {example:?}", rule.spec.id));
            }
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

#[test]
fn bad_rules_are_refused_with_the_reason() {
    let cases = [
        (
            r#"[[rule]]
id = "Bad Id"
name = "x"
kind = "secret"
severity = "high"
keywords = ["abc"]
pattern = '(?P<secret>abc[0-9]+)'"#,
            "kebab-case",
        ),
        (
            r#"[[rule]]
id = "no-secret-group"
name = "x"
kind = "secret"
severity = "high"
keywords = ["abc"]
pattern = 'abc[0-9]+'"#,
            "named capture",
        ),
        (
            r#"[[rule]]
id = "bad-regex"
name = "x"
kind = "secret"
severity = "high"
keywords = ["abc"]
pattern = '(?P<secret>abc(?=x))'"#,
            "does not compile",
        ),
        (
            r#"[[rule]]
id = "short-keyword"
name = "x"
kind = "secret"
severity = "high"
keywords = ["ab"]
pattern = '(?P<secret>ab[0-9]+)'"#,
            "3 bytes",
        ),
        (
            r#"[[rule]]
id = "typo"
name = "x"
kind = "secret"
severity = "high"
keywords = ["abc"]
patern = '(?P<secret>abc)'"#,
            "unknown field",
        ),
        (
            r#"[[rule]]
id = "bad-kind"
name = "x"
kind = "token"
severity = "high"
keywords = ["abc"]
pattern = '(?P<secret>abc)'"#,
            "unknown variant",
        ),
    ];
    for (text, expected) in cases {
        let err = RuleSet::default()
            .add_toml("custom.toml", text)
            .expect_err(expected);
        assert!(err.to_string().contains(expected), "{err}");
        assert!(err.to_string().starts_with("custom.toml"), "{err}");
    }
    let mut set = builtin();
    let err = set
        .add_toml(
            "custom.toml",
            r#"[[rule]]
id = "github-pat-classic"
name = "dup"
kind = "secret"
severity = "high"
keywords = ["ghp_"]
pattern = '(?P<secret>ghp_x)'"#,
        )
        .expect_err("duplicate id");
    assert!(err.to_string().contains("unique"), "{err}");
}
