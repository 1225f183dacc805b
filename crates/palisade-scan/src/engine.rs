//! The matching engine: one Aho-Corasick pass over a buffer finds which rules' keywords
//! occur, then only those rules' regexes run, and every match goes through the rule's
//! checks. Cheap for the common file that holds no keyword at all.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};

use crate::checks;
use crate::rules::{Checksum, Rule, RuleKind, RuleSet, Severity};

/// A match that passed its rule's checks, before it is placed in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index of the rule in the scanner's rule set.
    pub rule: usize,
    /// Byte range of the whole match.
    pub span: Range<usize>,
    /// Byte range of the secret (the evidence) inside the buffer.
    pub secret: Range<usize>,
}

/// A compiled scanner, shared by every thread.
#[derive(Debug)]
pub struct Scanner {
    rules: RuleSet,
    keywords: AhoCorasick,
    /// For each keyword pattern, the rules that list it or a keyword inside it (an
    /// occurrence of a keyword is an occurrence of every keyword it contains).
    keyword_rules: Vec<Vec<usize>>,
}

/// Why a scanner could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the keyword prefilter: {0}")]
pub struct EngineError(String);

impl Scanner {
    /// A scanner for `rules`.
    pub fn new(rules: RuleSet) -> Result<Scanner, EngineError> {
        let mut words: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, rule) in rules.rules().iter().enumerate() {
            for keyword in &rule.spec.keywords {
                match words.iter().position(|w| w == keyword) {
                    Some(at) => keyword_rules[at].push(i),
                    None => {
                        words.push(keyword.clone());
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        // Leftmost-longest search, restarted one byte after each match's start, finds
        // the longest keyword at every position where one starts; the shorter ones
        // starting there are inside it. So each keyword's rules are also triggered by
        // every keyword that contains it. (An overlapping search would find them all
        // directly, but it cannot use the vectorised prefilter and is several times
        // slower.)
        let own = keyword_rules.clone();
        for (outer, word) in words.iter().enumerate() {
            for (inner, part) in words.iter().enumerate() {
                if inner != outer && word.contains(part.as_str()) {
                    keyword_rules[outer].extend_from_slice(&own[inner]);
                }
            }
            keyword_rules[outer].sort_unstable();
            keyword_rules[outer].dedup();
        }
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&words)
            .map_err(|e| EngineError(e.to_string()))?;
        Ok(Scanner {
            rules,
            keywords,
            keyword_rules,
        })
    }

    /// The rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The rule at `index`.
    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules.rules()[index]
    }

    /// Every hit in `data`, sorted by position, overlaps resolved (see [`resolve`]).
    pub fn scan(&self, data: &[u8]) -> Vec<Hit> {
        let mut triggered = vec![false; self.rules.len()];
        let mut any = false;
        let mut at = 0;
        while at < data.len() {
            let input = Input::new(data).span(at..data.len());
            let Some(m) = self.keywords.find(input) else {
                break;
            };
            for &rule in &self.keyword_rules[m.pattern().as_usize()] {
                triggered[rule] = true;
                any = true;
            }
            at = m.start() + 1;
        }
        if !any {
            return Vec::new();
        }
        let mut hits = Vec::new();
        for (index, rule) in self.rules.rules().iter().enumerate() {
            if triggered[index] {
                self.run_rule(index, rule, data, &mut hits);
            }
        }
        resolve(&self.rules, hits)
    }

    fn run_rule(&self, index: usize, rule: &Rule, data: &[u8], hits: &mut Vec<Hit>) {
        let mut locations = rule.regex.capture_locations();
        let mut at = 0;
        while at <= data.len() {
            let Some(whole) = rule.regex.captures_read_at(&mut locations, data, at) else {
                break;
            };
            at = if whole.end() > whole.start() {
                whole.end()
            } else {
                whole.end() + 1
            };
            let Some((start, end)) = locations.get(rule.secret_group) else {
                continue;
            };
            let secret = &data[start..end];
            if secret.is_empty() || !passes(rule, secret) {
                continue;
            }
            if let Some((h_start, h_end)) = rule.host_group.and_then(|g| locations.get(g))
                && std::str::from_utf8(&data[h_start..h_end]).is_ok_and(checks::is_local_host)
            {
                continue;
            }
            hits.push(Hit {
                rule: index,
                span: whole.start()..whole.end(),
                secret: start..end,
            });
        }
    }
}

/// Whether a rule's secret passes its entropy, checksum and placeholder checks.
pub fn passes(rule: &Rule, secret: &[u8]) -> bool {
    if let Some(min) = rule.spec.min_entropy
        && checks::entropy(secret) < min
    {
        return false;
    }
    if let Some(Checksum::GithubCrc32 | Checksum::NpmCrc32) = rule.spec.checksum
        && !checks::github_checksum_valid(secret)
    {
        return false;
    }
    !(rule.spec.generic && checks::generic_rejection(secret).is_some())
}

/// Sorts hits and drops the redundant ones: a generic rule's hit on a secret a specific
/// rule also found, and the second of two hits on the same secret (the more severe
/// rule, then the first listed, is kept).
pub fn resolve(rules: &RuleSet, mut hits: Vec<Hit>) -> Vec<Hit> {
    let rank = |hit: &Hit| {
        let rule = &rules.rules()[hit.rule];
        (
            rule.spec.generic,
            std::cmp::Reverse(rule.spec.severity),
            hit.rule,
        )
    };
    hits.sort_by(|a, b| {
        a.secret
            .start
            .cmp(&b.secret.start)
            .then_with(|| rank(a).cmp(&rank(b)))
    });
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for hit in hits {
        let rule = &rules.rules()[hit.rule];
        let overlaps = |k: &Hit| k.secret.start < hit.secret.end && hit.secret.start < k.secret.end;
        let redundant = kept.iter().rev().take(8).any(|k| {
            let kept_rule = &rules.rules()[k.rule];
            overlaps(k)
                && kept_rule.spec.kind == rule.spec.kind
                && (k.secret == hit.secret || rule.spec.generic || !kept_rule.spec.generic)
        });
        if !redundant {
            kept.push(hit);
        }
    }
    kept
}

/// A severity for a personal-data finding.
pub const PII_SEVERITY: Severity = Severity::High;

/// The kinds a scan can be limited to.
pub fn kind_of(rule: &Rule) -> RuleKind {
    rule.spec.kind
}
