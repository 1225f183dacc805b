//! The parser on arbitrary input: it never panics, every invalid line is
//! reported with its number, and valid lines are never reported.

use palisade_gate::codeowners::Codeowners;
use proptest::prelude::*;

/// Lines a parser must treat as something: blank and comment lines are
/// nothing; every other line is a rule or an error.
fn meaningful(text: &str) -> Vec<usize> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map(|(i, _)| i + 1)
        .collect()
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_.-]{1,8}",
        Just("*".to_owned()),
        Just("**".to_owned()),
        "[a-z]{0,3}\\*[a-z.]{0,3}",
        "[a-z]{0,2}\\?[a-z]{0,2}",
    ]
}

fn valid_line() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec(segment(), 1..5),
        any::<bool>(),
        prop::collection::vec(
            prop_oneof![
                "@[a-z][a-z0-9-]{0,10}",
                "@[a-z]{1,6}/[a-z-]{1,8}",
                "[a-z]{1,6}@[a-z]{1,6}\\.io"
            ],
            0..4,
        ),
    )
        .prop_map(|(lead, segs, trail, owners)| {
            let mut p = String::new();
            if lead {
                p.push('/');
            }
            p.push_str(&segs.join("/"));
            if trail {
                p.push('/');
            }
            if owners.is_empty() {
                p
            } else {
                format!("{p} {}", owners.join(" "))
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_and_accounts_for_every_line(text in "(?s).{0,400}", path in "[a-z/.*?]{0,40}") {
        let (co, errors) = Codeowners::parse(&text);
        let lines = meaningful(&text);
        for e in &errors {
            prop_assert!(lines.contains(&e.line), "error on a blank or comment line {}: {:?}", e.line, e);
            prop_assert!(!e.message.is_empty());
        }
        // Every meaningful line is exactly one of: a rule, an error.
        let mut seen: Vec<usize> = co.rules().iter().map(|r| r.line).chain(errors.iter().map(|e| e.line)).collect();
        seen.sort_unstable();
        prop_assert_eq!(seen, lines);
        let _ = co.owners_of(&path);
    }

    #[test]
    fn arbitrary_bytes_of_special_characters(text in "[ \t\n\r#!\\\\/*?\\[\\]@a-c.]{0,200}", path in "[a-c/*?. ]{0,30}") {
        let (co, errors) = Codeowners::parse(&text);
        prop_assert_eq!(co.rules().len() + errors.len(), meaningful(&text).len());
        let _ = co.owners_of(&path);
    }

    #[test]
    fn well_formed_lines_are_never_rejected(lines in prop::collection::vec(valid_line(), 1..20)) {
        let text = lines.join("\n");
        let (co, errors) = Codeowners::parse(&text);
        prop_assert!(errors.is_empty(), "{:?} in\n{}", errors, text);
        prop_assert_eq!(co.rules().len(), lines.len());
    }

    #[test]
    fn index_agrees_with_trying_every_line(lines in prop::collection::vec(valid_line(), 1..30), paths in prop::collection::vec("[a-z*?.]{1,3}(/[a-z*?.]{1,3}){0,4}", 1..20)) {
        let text = lines.join("\n");
        let (co, _) = Codeowners::parse(&text);
        for p in &paths {
            let slow = co.rules().iter().rev().find(|r| r.matches(p)).map(|r| r.line);
            prop_assert_eq!(co.owners_of(p).map(|r| r.line), slow, "path {}", p);
        }
    }
}
