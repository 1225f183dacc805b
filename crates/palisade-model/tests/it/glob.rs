//! Path globs: matching, and overlap between two services' globs.

use palisade_model::glob::{Glob, overlapping_pairs};

fn g(s: &str) -> Glob {
    Glob::new(s).unwrap()
}

#[test]
fn matching_follows_the_documented_syntax() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "services/api/**",
            &["services/api/main.rs", "services/api/a/b.rs"],
            &["services/api", "services/apiv2/x", "x/services/api/y"],
        ),
        (
            "services/api",
            &["services/api", "services/api/x/y"],
            &["services/apix", "services"],
        ),
        ("services/api/", &["services/api/x"], &["services/api"]),
        (
            "**/*.tf",
            &["main.tf", "infra/prod/main.tf"],
            &["main.tfvars", "infra/tf"],
        ),
        ("*.md", &["README.md"], &["docs/README.md"]),
        (
            "a/**/b",
            &["a/b", "a/x/b", "a/x/y/b"],
            &["a/xb", "b", "a/b/c"],
        ),
        ("src/?.rs", &["src/a.rs"], &["src/ab.rs", "src//.rs"]),
        ("src/[a-c]*.rs", &["src/a.rs", "src/cat.rs"], &["src/d.rs"]),
        ("src/[!a-c]*.rs", &["src/d.rs"], &["src/a.rs"]),
        ("**", &["x", "a/b/c"], &[]),
        ("/web/**", &["web/index.html"], &["x/web/index.html"]),
    ];
    for (glob, yes, no) in cases {
        let glob_c = g(glob);
        for p in *yes {
            assert!(glob_c.matches(p), "{glob} should match {p}");
        }
        for p in *no {
            assert!(!glob_c.matches(p), "{glob} should not match {p}");
        }
    }
}

#[test]
fn invalid_globs_are_explained() {
    for (text, msg) in [
        ("", "empty glob"),
        ("src/[a-", "unclosed `[`"),
        ("src/{a,b}", "braces are not supported"),
        ("a//b", "empty path segment"),
        ("a\\b", "backslash"),
        ("src/[z-a]", "runs backwards"),
    ] {
        let e = Glob::new(text).unwrap_err();
        assert!(e.message.contains(msg), "{text}: {}", e.message);
    }
}

#[test]
fn overlap_finds_a_path_both_claim() {
    let cases = [
        ("services/api/**", "services/*/**", true),
        ("services/api/**", "services/web/**", false),
        ("**/*.tf", "infra/**", true),
        ("**/*.tf", "docs/**/*.md", false),
        ("src/[a-c]*", "src/b*", true),
        ("src/[a-c]*", "src/d*", false),
        ("web", "web/index.html", true),
        ("web/", "web", true),
        ("a/**/b", "a/x/**", true),
        ("*.md", "docs/*.md", false),
    ];
    for (a, b, expected) in cases {
        let (ga, gb) = (g(a), g(b));
        let w = ga.overlap(&gb);
        assert_eq!(w.is_some(), expected, "{a} vs {b}: {w:?}");
        if let Some(w) = w {
            assert!(
                ga.matches(&w) && gb.matches(&w),
                "{a} vs {b}: witness {w} must match both"
            );
        }
        assert_eq!(gb.overlap(&ga).is_some(), expected, "symmetric: {b} vs {a}");
    }
}

#[test]
fn overlapping_pairs_only_compares_within_a_repository() {
    let a = g("services/**");
    let b = g("services/api/**");
    let c = g("web/**");
    let globs = [
        ("acme/one", &a),
        ("acme/two", &b),
        ("acme/one", &c),
        ("acme/one", &b),
    ];
    let (pairs, truncated) = overlapping_pairs(&globs, 100);
    assert!(!truncated);
    let found: Vec<(usize, usize)> = pairs.iter().map(|&(i, j, _)| (i, j)).collect();
    assert_eq!(found, vec![(0, 3)]);
}

#[test]
fn regression_double_star_runs_match_real_paths() {
    assert!(g("**/**").matches("a"));
    assert!(g("a/**/**").matches("a/b"));
    assert!(g("a/**/**/c").matches("a/c"));
    let w = g("**/**").overlap(&g("services/*")).expect("they overlap");
    assert!(!w.contains("//"), "{w}");
}

#[test]
fn regression_class_intersections_are_exact() {
    let w = g("x/[a-z]")
        .overlap(&g("x/[!a-cx-z]"))
        .expect("both match x/d..x/w");
    assert!(
        g("x/[a-z]").matches(&w) && g("x/[!a-cx-z]").matches(&w),
        "{w}"
    );
    let w = g("a/[! -~]")
        .overlap(&g("a/*"))
        .expect("both match a non-ASCII name");
    assert!(!w.is_ascii(), "{w}");
}

#[test]
fn regression_witnesses_are_real_paths() {
    for (a, b) in [
        ("services/*", "services/*"),
        ("libs/*/", "libs/**"),
        ("a/*/b", "a/*/b"),
    ] {
        let w = g(a).overlap(&g(b)).expect("they overlap");
        assert!(
            !w.starts_with('/') && !w.ends_with('/') && !w.contains("//"),
            "{a} vs {b}: {w}"
        );
        assert!(g(a).matches(&w) && g(b).matches(&w));
    }
}

#[test]
fn regression_long_and_padded_globs_are_refused() {
    assert!(
        Glob::new(&"a".repeat(2000))
            .unwrap_err()
            .message
            .contains("longer than 1024")
    );
    assert!(
        Glob::new(" src/**")
            .unwrap_err()
            .message
            .contains("white space")
    );
}

#[test]
fn regression_overlap_search_stops_at_its_limit() {
    let globs: Vec<Glob> = (0..50).map(|i| g(&format!("**/x{i}/**"))).collect();
    let all = g("**");
    let mut refs: Vec<(&str, &Glob)> = globs.iter().map(|h| ("r", h)).collect();
    refs.push(("r", &all));
    let (pairs, truncated) = overlapping_pairs(&refs, 10);
    assert!(truncated);
    assert_eq!(pairs.len(), 10);
}
