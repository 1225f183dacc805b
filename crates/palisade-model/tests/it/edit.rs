//! Editing the model's text: the edited file re-parses to the same model but
//! for the fields changed, and every other line survives byte for byte.

use std::sync::OnceLock;

use palisade_model::edit::{EditError, mark_offboarded, remove_standing_roles, unified_diff};
use palisade_model::{Day, Model, Status, parse, to_json};
use proptest::prelude::*;

use crate::acme;

fn acme_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| std::fs::read_to_string(acme()).unwrap())
}

fn generated_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| palisade_test_support::generated_model(120, 30))
}

/// The lines the change from `before` to `after` removes and adds; each must
/// start with one of `keys` (after indentation), so nothing else moved.
fn assert_only_lines_of(before: &str, after: &str, keys: &[&str]) {
    let diff = unified_diff("m", before, after);
    for line in diff.lines().skip(2) {
        let Some(changed) = line.strip_prefix('-').or_else(|| line.strip_prefix('+')) else {
            continue;
        };
        let changed = changed.trim_start();
        assert!(
            keys.iter().any(|k| changed.starts_with(k)),
            "the edit changed an unrelated line `{line}`:\n{diff}"
        );
    }
}

fn json(model: &Model) -> serde_json::Value {
    to_json(model)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn offboarding_changes_only_status_and_day(pick in proptest::collection::vec(any::<bool>(), 120), days in 0i64..2000, use_acme in any::<bool>()) {
        let text = if use_acme { acme_text() } else { generated_text() };
        let mut model = parse(text).unwrap();
        let day = "2025-01-01".parse::<Day>().unwrap().plus_days(days).unwrap();
        let handles: Vec<String> = model
            .people
            .iter()
            .zip(&pick)
            .filter(|(_, p)| **p)
            .map(|(person, _)| person.handle.clone())
            .collect();
        let refs: Vec<&str> = handles.iter().map(String::as_str).collect();
        let out = mark_offboarded(text, &refs, day).unwrap();
        assert_only_lines_of(text, &out, &["status = ", "offboarded_on = "]);
        for person in &mut model.people {
            if handles.contains(&person.handle) {
                person.status = Status::Offboarded;
                person.offboarded_on = Some(person.offboarded_on.map_or(day, |d| d.min(day)));
            }
        }
        prop_assert_eq!(json(&parse(&out).unwrap()), json(&model));
        // Marking them again changes nothing.
        prop_assert_eq!(mark_offboarded(&out, &refs, day).unwrap(), out);
    }

    #[test]
    fn removing_roles_changes_only_those_roles(pick in proptest::collection::vec(0u8..8, 120), use_acme in any::<bool>()) {
        let text = if use_acme { acme_text() } else { generated_text() };
        let mut model = parse(text).unwrap();
        let mut removals = Vec::new();
        for (person, p) in model.people.iter_mut().zip(&pick) {
            // Each person loses none, one or all of their roles.
            let remove: Vec<String> = match p {
                0 => person.roles.clone(),
                1 | 2 => person.roles.iter().take(1).cloned().collect(),
                3 => person.roles.iter().skip(1).cloned().collect(),
                _ => Vec::new(),
            };
            person.roles.retain(|r| !remove.contains(r));
            removals.extend(remove.into_iter().map(|r| (person.handle.clone(), r)));
        }
        let refs: Vec<(&str, &str)> = removals.iter().map(|(h, r)| (h.as_str(), r.as_str())).collect();
        let out = remove_standing_roles(text, &refs).unwrap();
        assert_only_lines_of(text, &out, &["roles = "]);
        prop_assert_eq!(json(&parse(&out).unwrap()), json(&model));
    }
}

#[test]
fn comments_and_blank_lines_of_the_example_survive() {
    let text = acme_text();
    let out = mark_offboarded(text, &["arjun", "miguel"], "2026-11-22".parse().unwrap()).unwrap();
    let out = remove_standing_roles(&out, &[("kavya", "staging-deployer")]).unwrap();
    let kept = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.contains(" # "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(kept(text), kept(&out));
    assert!(out.contains(
        "hours = \"Mon-Fri 22:00-07:00\"   # night shift, overlapping London's day\nstatus = \"offboarded\"\noffboarded_on = 2026-11-22\nroles = [\"dev-developer\"]\n"
    ));
}

#[test]
fn an_unknown_handle_names_the_closest_person() {
    let e = mark_offboarded(acme_text(), &["arjn"], "2026-11-22".parse().unwrap()).unwrap_err();
    assert_eq!(
        e,
        EditError::UnknownPerson {
            handle: "arjn".into(),
            suggestion: Some("arjun".into())
        }
    );
    assert_eq!(
        e.to_string(),
        "no person `arjn` in the model; did you mean `arjun`?"
    );
}
