//! Credentials vendors publish in their own documentation as examples
//! (`data/published-examples.toml`): AWS's `AKIAIOSFODNN7EXAMPLE` pair, Stripe's documented
//! test keys, the token of Slack's example responses. They open no account, and every SDK,
//! tutorial and documentation repository holds them, so a hit whose whole secret is one of
//! them is not reported. The match is exact: a key that only contains one, or shares its
//! prefix, is still reported.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::Deserialize;

const TEXT: &str = include_str!("../data/published-examples.toml");

/// One published example.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// Whose documentation publishes it.
    pub vendor: String,
    /// The credential, exactly as published.
    pub value: String,
    /// The built-in rule whose format it has, if any.
    #[serde(default)]
    pub rule: Option<String>,
    /// The documentation page that publishes it.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    example: Vec<Example>,
}

struct List {
    examples: Vec<Example>,
    values: HashSet<Vec<u8>>,
}

fn list() -> &'static List {
    static LIST: OnceLock<List> = OnceLock::new();
    LIST.get_or_init(|| {
        // The file is compiled in and parsed by a test: it cannot fail here.
        let file: File = toml::from_str(TEXT).unwrap_or(File {
            example: Vec::new(),
        });
        let values = file
            .example
            .iter()
            .map(|e| e.value.as_bytes().to_vec())
            .collect();
        List {
            examples: file.example,
            values,
        }
    })
}

/// Every published example.
pub fn examples() -> &'static [Example] {
    &list().examples
}

/// Whether `secret` is, in whole, a published example.
pub fn is_published_example(secret: &[u8]) -> bool {
    list().values.contains(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_parses_and_every_entry_names_its_source() {
        let file: File = toml::from_str(TEXT).expect("published-examples.toml parses");
        assert!(!file.example.is_empty());
        assert_eq!(file.example.len(), examples().len());
        for e in examples() {
            assert!(e.source.starts_with("https://"), "{e:?}");
            assert!(!e.vendor.is_empty() && !e.value.is_empty(), "{e:?}");
            assert!(is_published_example(e.value.as_bytes()));
        }
    }

    #[test]
    fn only_whole_values_match() {
        assert!(is_published_example(b"AKIAIOSFODNN7EXAMPLE"));
        assert!(!is_published_example(b"AKIAIOSFODNN7EXAMPL"));
        assert!(!is_published_example(b"AKIAIOSFODNN7EXAMPLEX"));
        assert!(!is_published_example(b"\"AKIAIOSFODNN7EXAMPLE\""));
    }
}
