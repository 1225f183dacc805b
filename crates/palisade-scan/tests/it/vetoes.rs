//! Values no rule may report: vendors' published example credentials, and tokens that a
//! vendor rule recognises by their format and rejects on their offline checksum. Every
//! value here is generated at test time.

use std::sync::OnceLock;

use palisade_scan::checks::{base62_6, crc32};
use palisade_scan::engine::Scanner;
use palisade_scan::published;
use palisade_scan::rules::RuleSet;
use proptest::prelude::*;
use proptest::sample::select;

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new(RuleSet::builtin().expect("rules")).expect("scanner"))
}

/// (rule id, secret) of every hit in `text`.
fn hits(text: &str) -> Vec<(String, String)> {
    let scanner = scanner();
    scanner
        .scan(text.as_bytes())
        .into_iter()
        .map(|h| {
            (
                scanner.rule(h.rule).spec.id.clone(),
                text[h.secret.clone()].to_owned(),
            )
        })
        .collect()
}

const NAMES: &[&str] = &[
    "token",
    "api_key",
    "apiKey",
    "secret",
    "SECRET_KEY",
    "access_token",
    "auth_token",
    "password",
    "credentials",
    "GITHUB_TOKEN",
    "NPM_TOKEN",
    "STRIPE_SECRET_KEY",
    "SLACK_BOT_TOKEN",
    "aws_access_key_id",
    "aws_secret_access_key",
    "AWS_SECRET_ACCESS_KEY",
];

/// `value` assigned to a random name in a random syntax (shell, YAML, JSON, TOML, code,
/// a call), after a random line of code and indentation.
fn assignment(value: String) -> impl Strategy<Value = String> {
    (
        select(NAMES),
        select(
            &[
                "{n} = \"{v}\"",
                "{n}='{v}'",
                "{n}={v}",
                "export {n}={v}",
                "{n}: {v}",
                "\"{n}\": \"{v}\",",
                "const {n} = `{v}`;",
                "let {n} := \"{v}\"",
                "{n} => '{v}',",
                "client = Client({n}=\"{v}\")",
                "set({n}, \"{v}\")",
            ][..],
        ),
        select(&["", "  ", "    ", "\t"][..]),
        select(
            &[
                "",
                "# config\n",
                "fn main() {\n",
                "[default]\n",
                "{\n",
                "x = 1\n",
            ][..],
        ),
    )
        .prop_map(move |(name, form, indent, before)| {
            let line = form.replace("{n}", name).replace("{v}", &value);
            format!("{before}{indent}{line}\n")
        })
}

/// A random value of the same format as `example`: its prefix (up to its last `_`, else its
/// first four characters) kept, each other letter or digit replaced by a random one of the
/// same kind (digits from `2`-`7`, valid in base32, base62 and decimal alike), punctuation
/// kept.
fn same_format(example: &str) -> impl Strategy<Value = String> + use<> {
    let keep = example.rfind('_').map_or(4, |i| i + 1);
    let example = example.to_owned();
    proptest::collection::vec(any::<u32>(), example.len()).prop_map(move |r| {
        example
            .bytes()
            .zip(r)
            .enumerate()
            .map(|(i, (b, r))| {
                let r = r as u8;
                char::from(match b {
                    _ if i < keep => b,
                    b'A'..=b'Z' => b'A' + r % 26,
                    b'a'..=b'z' => b'a' + r % 26,
                    b'0'..=b'9' => b'2' + r % 6,
                    _ => b,
                })
            })
            .collect()
    })
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Every rule that declares an offline checksum, with the prefix of its tokens.
const CHECKSUMMED: &[(&str, &str)] = &[
    ("github-pat-classic", "ghp_"),
    ("github-oauth-access-token", "gho_"),
    ("github-app-user-token", "ghu_"),
    ("github-app-installation-token", "ghs_"),
    ("npm-access-token", "npm_"),
];

/// A `prefix_` + 30 + 6 token of a rule in [`CHECKSUMMED`], random, with its checksum
/// right or, when `broken`, changed in one random place.
fn checksummed_token(broken: bool) -> impl Strategy<Value = (&'static str, String)> {
    (
        select(CHECKSUMMED),
        proptest::collection::vec(select(BASE62), 30),
        0usize..6,
        1usize..62,
    )
        .prop_map(move |((rule, prefix), random, at, shift)| {
            let mut check = base62_6(crc32(&random));
            if broken {
                let pos = BASE62.iter().position(|&c| c == check[at]).expect("base62");
                check[at] = BASE62[(pos + shift) % 62];
            }
            let token = format!(
                "{prefix}{}{}",
                String::from_utf8_lossy(&random),
                String::from_utf8_lossy(&check)
            );
            (rule, token)
        })
}

#[test]
fn every_checksummed_rule_is_covered() {
    let rules = RuleSet::builtin().expect("rules");
    let mut with_checksum: Vec<&str> = rules
        .rules()
        .iter()
        .filter(|r| r.spec.checksum.is_some())
        .map(|r| r.spec.id.as_str())
        .collect();
    with_checksum.sort_unstable();
    let mut covered: Vec<&str> = CHECKSUMMED.iter().map(|(id, _)| *id).collect();
    covered.sort_unstable();
    assert_eq!(with_checksum, covered);
}

#[test]
fn every_published_example_has_its_rules_format() {
    let rules = RuleSet::builtin().expect("rules");
    for example in published::examples() {
        if let Some(id) = &example.rule {
            let rule = rules
                .rules()
                .iter()
                .find(|r| &r.spec.id == id)
                .unwrap_or_else(|| panic!("{example:?} names no built-in rule"));
            // Alone, or after the rule's first keyword when it needs a name before it.
            let named = format!("{} = \"{}\"", rule.spec.keywords[0], example.value);
            assert!(
                rule.regex.is_match(example.value.as_bytes())
                    || rule.regex.is_match(named.as_bytes()),
                "{example:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn published_examples_are_not_reported(
        (value, text) in select(published::examples())
            .prop_flat_map(|e| (Just(e.value.clone()), assignment(e.value.clone())))
    ) {
        let found = hits(&text);
        prop_assert!(
            found.iter().all(|(_, secret)| !secret.contains(&value) && !value.contains(secret.as_str())),
            "{text:?}: {found:?}"
        );
    }

    #[test]
    fn a_random_key_of_a_published_examples_format_is_still_reported(
        (rule, value, text) in select(
            published::examples().iter().filter(|e| e.rule.is_some()).collect::<Vec<_>>()
        )
        .prop_flat_map(|e| {
            let rule = e.rule.clone().expect("filtered");
            same_format(&e.value).prop_flat_map(move |v| {
                (Just(rule.clone()), Just(v.clone()), assignment(v))
            })
        })
    ) {
        prop_assume!(!published::is_published_example(value.as_bytes()));
        // The secret-key rule needs its own name before the value.
        let text = if rule == "aws-secret-access-key" {
            format!("aws_secret_access_key = \"{value}\"\n{text}")
        } else {
            text
        };
        let found = hits(&text);
        prop_assert!(
            found.iter().any(|(id, secret)| *id == rule && *secret == value),
            "{rule} {value:?} in {text:?}: {found:?}"
        );
    }

    #[test]
    fn a_token_failing_its_checksum_is_not_reported_by_another_rule(
        ((_, token), text) in checksummed_token(true)
            .prop_flat_map(|(rule, token)| (Just((rule, token.clone())), assignment(token)))
    ) {
        let found = hits(&text);
        prop_assert!(
            found.iter().all(|(_, secret)| !secret.contains(&token[4..])),
            "{text:?}: {found:?}"
        );
    }

    #[test]
    fn a_token_passing_its_checksum_is_reported_by_its_vendor_rule(
        ((rule, token), text) in checksummed_token(false)
            .prop_flat_map(|(rule, token)| (Just((rule, token.clone())), assignment(token)))
    ) {
        let found = hits(&text);
        prop_assert!(
            found.iter().any(|(id, secret)| id == rule && *secret == token),
            "{text:?}: {found:?}"
        );
    }
}
