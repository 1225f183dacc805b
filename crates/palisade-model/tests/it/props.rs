//! Property tests: the parsers of outside input never panic, and the
//! working-hours and glob engines agree with simple reference definitions.

use jiff::civil::Weekday;
use palisade_model::glob::Glob;
use palisade_model::{Source, WorkingHours, check};
use proptest::prelude::*;

use crate::{acme, today};

fn acme_text() -> String {
    std::fs::read_to_string(acme()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn check_never_panics_on_arbitrary_text(text in "\\PC{0,400}") {
        let checked = check(&Source::new("x.toml", text.clone()), today());
        for d in &checked.diagnostics {
            if let Some(s) = &d.primary.span {
                prop_assert!(s.start <= s.end && s.end <= text.len());
            }
        }
    }

    #[test]
    fn check_never_panics_on_damaged_models(cut in 0usize..30_000, len in 0usize..200, insert in "[\\[\\]=\"'a-z0-9 \n.,{}#-]{0,12}") {
        let mut text = acme_text();
        let start = cut.min(text.len());
        let start = (0..=start).rev().find(|&i| text.is_char_boundary(i)).unwrap();
        let end = (start + len).min(text.len());
        let end = (end..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap();
        text.replace_range(start..end, &insert);
        let checked = check(&Source::new("acme.toml", text.clone()), today());
        for d in &checked.diagnostics {
            let s = d.primary.span.clone().expect("every diagnostic is located");
            prop_assert!(s.end <= text.len());
        }
    }

    #[test]
    fn hours_parser_never_panics(text in "[A-Za-z0-9:;, \\-]{0,40}") {
        if let Err(e) = WorkingHours::parse(&text) {
            prop_assert!(e.offset <= text.len());
        }
    }

    #[test]
    fn hours_agree_with_a_reference(first in 0u8..7, last in 0u8..7, start in 0u16..96, end in 1u16..97, day in 0u8..7, minute in 0u16..1440) {
        prop_assume!(start != end);
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let hm = |q: u16| format!("{:02}:{:02}", q * 15 / 60, q * 15 % 60);
        let text = format!("{}-{} {}-{}", names[first as usize], names[last as usize], hm(start), hm(end));
        let hours = WorkingHours::parse(&text).unwrap();
        let in_days = |d: u8| if first <= last { d >= first && d <= last } else { d >= first || d <= last };
        let (s, e) = (start * 15, end * 15);
        let yesterday = (day + 6) % 7;
        let expected = if s < e {
            in_days(day) && minute >= s && minute < e
        } else {
            (in_days(day) && minute >= s) || (in_days(yesterday) && minute < e)
        };
        let weekday = Weekday::from_monday_zero_offset(day as i8).unwrap();
        prop_assert_eq!(hours.contains(weekday, minute), expected, "{} at day {} minute {}", text, day, minute);
    }

    #[test]
    fn glob_overlap_is_symmetric_sound_and_complete(
        a in "(a|b|/|\\*|\\?|\\*\\*/|\\*\\*|\\[a\\]|\\[!a\\]){1,6}",
        b in "(a|b|/|\\*|\\?|\\*\\*/|\\*\\*|\\[a\\]|\\[!a\\]){1,6}",
        paths in proptest::collection::vec(proptest::collection::vec("[ab]{1,2}", 1..4).prop_map(|s| s.join("/")), 40),
    ) {
        let (Ok(ga), Ok(gb)) = (Glob::new(&a), Glob::new(&b)) else { return Ok(()) };
        let ab = ga.overlap(&gb);
        let ba = gb.overlap(&ga);
        prop_assert_eq!(ab.is_some(), ba.is_some());
        if let Some(w) = &ab {
            prop_assert!(ga.matches(w) && gb.matches(w), "witness {} of {} and {}", w, a, b);
            prop_assert!(!w.starts_with('/') && !w.ends_with('/') && !w.contains("//"), "witness {} is not a real path", w);
        }
        for p in &paths {
            if ga.matches(p) && gb.matches(p) {
                prop_assert!(ab.is_some(), "{} and {} both match {} but no overlap was found", a, b, p);
            }
        }
    }
}
