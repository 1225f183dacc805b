//! The matching engine: one pass over a buffer finds where the rules' keywords occur
//! (`keywords`), then only those rules' regexes run, each around its keywords'
//! occurrences when that is sure to find the same matches (`window`), else over the
//! whole buffer, and every match goes through the rule's checks. Cheap for the common
//! file that holds no keyword at all.

mod follow;
mod keywords;
mod window;

use std::ops::Range;
use std::sync::OnceLock;

use crate::checks;
use crate::rules::{Rule, RuleKind, RuleSet, Severity};

/// A match that passed its rule's checks, before it is placed in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index of the rule in the scanner's rule set.
    pub rule: usize,
    /// Byte range of the whole match.
    pub span: Range<usize>,
    /// Byte range of the secret (the evidence) inside the buffer.
    pub secret: Range<usize>,
    /// A password of a rule with `guessable = true` that is too short or too predictable
    /// to be strong: reported at low severity.
    pub guessable: bool,
}

/// A compiled scanner, shared by every thread.
#[derive(Debug)]
pub struct Scanner {
    rules: RuleSet,
    keywords: keywords::Keywords,
    /// For each keyword, its length and the rules that list it, each with where the
    /// keyword stands in the rule's list.
    keyword_rules: Vec<(usize, Vec<(usize, usize)>)>,
    /// For each rule, the bytes that can follow each of its keywords where it is a match's
    /// first, when not every byte can (worked out on first use).
    follows: Vec<OnceLock<Vec<Option<follow::ByteSet>>>>,
    /// For each rule, where its matches lie around its keywords when every match holds
    /// one (worked out from its pattern on first use).
    reach: Vec<OnceLock<Option<window::Reach>>>,
}

/// Why a scanner could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the keyword prefilter: {0}")]
pub struct EngineError(String);

impl Scanner {
    /// A scanner for `rules`.
    pub fn new(rules: RuleSet) -> Result<Scanner, EngineError> {
        let mut words: Vec<&[u8]> = Vec::new();
        let mut keyword_rules: Vec<(usize, Vec<(usize, usize)>)> = Vec::new();
        for (i, rule) in rules.rules().iter().enumerate() {
            for (nth, keyword) in rule.spec.keywords.iter().enumerate() {
                let keyword = keyword.as_bytes();
                match words.iter().position(|w| w.eq_ignore_ascii_case(keyword)) {
                    Some(at) => keyword_rules[at].1.push((i, nth)),
                    None => {
                        words.push(keyword);
                        keyword_rules.push((keyword.len(), vec![(i, nth)]));
                    }
                }
            }
        }
        let keywords = keywords::Keywords::new(&words)
            .ok_or_else(|| EngineError("the keywords hold too many distinct bytes".to_owned()))?;
        let reach = rules.rules().iter().map(|_| OnceLock::new()).collect();
        let follows = rules.rules().iter().map(|_| OnceLock::new()).collect();
        Ok(Scanner {
            rules,
            keywords,
            keyword_rules,
            follows,
            reach,
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

    /// Every hit in `data`, sorted by position, overlaps resolved (see [`resolve`]): none
    /// on a value a rule rejected on its checksum ([`drop_vetoed`]), none whose secret is a
    /// vendor's published example ([`crate::published`]).
    pub fn scan(&self, data: &[u8]) -> Vec<Hit> {
        let rules = self.rules.rules();
        let mut triggered = vec![false; rules.len()];
        let mut any = false;
        // Keywords with nothing more to tell: each of their rules is triggered and will
        // search the whole buffer.
        let mut settled = vec![false; self.keyword_rules.len()];
        // (rule, start, end) of the keywords of rules that may search around them.
        let mut places: Vec<(usize, usize, usize)> = Vec::new();
        self.keywords.find(data, &mut |keyword, start| {
            if settled[keyword] {
                return;
            }
            let (len, ref of) = self.keyword_rules[keyword];
            let next = data.get(start + len).copied();
            let mut done = true;
            for &(rule, nth) in of {
                triggered[rule] = true;
                if self.reach(rule).is_some() {
                    // An occurrence no match can hold needs no search around it.
                    if next.is_none_or(|byte| self.may_follow(rule, nth, byte)) {
                        places.push((rule, start, start + len));
                    }
                    done = false;
                }
            }
            any = true;
            settled[keyword] = done;
        });
        if !any {
            return Vec::new();
        }
        places.sort_unstable();
        let mut hits = Vec::new();
        let mut vetoed = Vec::new();
        let mut regions = Vec::new();
        let mut own: Vec<(usize, usize)> = Vec::new();
        let mut rest = &places[..];
        for (index, rule) in rules.iter().enumerate() {
            if !triggered[index] {
                continue;
            }
            let count = rest.iter().take_while(|p| p.0 == index).count();
            let (mine, after) = rest.split_at(count);
            rest = after;
            own.clear();
            own.extend(mine.iter().map(|&(_, start, end)| (start, end)));
            match self.reach(index) {
                Some(reach) if window::regions(data, reach, &own, &mut regions) => {
                    self.run_rule(index, rule, data, &regions, &mut hits, &mut vetoed);
                }
                _ => {
                    let whole = window::Region::whole(data.len());
                    self.run_rule(index, rule, data, &[whole], &mut hits, &mut vetoed);
                }
            }
        }
        self.finish(data, hits, &vetoed)
    }

    /// The hits of every rule, the vetoed ones and the published examples dropped, overlaps
    /// resolved.
    fn finish(&self, data: &[u8], mut hits: Vec<Hit>, vetoed: &[Range<usize>]) -> Vec<Hit> {
        drop_vetoed(&mut hits, vetoed);
        // After `resolve`, so that a generic rule's hit the published example's own rule
        // made redundant goes with it.
        let mut hits = resolve(&self.rules, hits);
        hits.retain(|hit| !crate::published::is_published_example(&data[hit.secret.clone()]));
        hits
    }

    /// Where the rule at `index` matches around its keywords, if every match holds one.
    /// (The pattern is read with the default syntax options, which is how [`crate::rules`]
    /// compiles it; compiling with others would need the same here.)
    fn reach(&self, index: usize) -> Option<window::Reach> {
        *self.reach[index].get_or_init(|| {
            let rule = self.rule(index);
            window::reach(rule.regex.as_str(), &rule.spec.keywords)
        })
    }

    /// Whether `byte` can follow the `nth` keyword of `rule` where it is the first
    /// keyword of a match of that rule.
    fn may_follow(&self, rule: usize, nth: usize, byte: u8) -> bool {
        let sets = self.follows[rule].get_or_init(|| {
            let rule = self.rule(rule);
            let keywords: Vec<Vec<u8>> = rule
                .spec
                .keywords
                .iter()
                .map(|k| k.as_bytes().to_ascii_lowercase())
                .collect();
            follow::follow(rule.regex.as_str(), &keywords)
        });
        sets[nth].is_none_or(|set| set.contains(byte))
    }

    /// Runs a rule's regex over `regions` (in order): the matches starting in each,
    /// searched with the buffer cut at its end. A match of a rule with an offline checksum
    /// whose secret fails it goes to `vetoed` (see [`drop_vetoed`]).
    fn run_rule(
        &self,
        index: usize,
        rule: &Rule,
        data: &[u8],
        regions: &[window::Region],
        hits: &mut Vec<Hit>,
        vetoed: &mut Vec<Range<usize>>,
    ) {
        let mut locations = rule.regex.capture_locations();
        let mut at = 0;
        for region in regions {
            at = at.max(region.first);
            let haystack = &data[..region.end];
            while at <= region.last {
                let Some(whole) = rule.regex.captures_read_at(&mut locations, haystack, at) else {
                    break;
                };
                if whole.start() > region.last {
                    // Maybe only a match of the cut haystack; the next region decides.
                    break;
                }
                at = if whole.end() > whole.start() {
                    whole.end()
                } else {
                    whole.end() + 1
                };
                let Some((start, end)) = locations.get(rule.secret_group) else {
                    continue;
                };
                let Some(strength) = judge(rule, data, whole.range(), start..end, &locations)
                else {
                    if rule
                        .spec
                        .checksum
                        .is_some_and(|sum| !sum.valid(&data[start..end]))
                    {
                        vetoed.push(start..end);
                    }
                    continue;
                };
                hits.push(Hit {
                    rule: index,
                    span: whole.start()..whole.end(),
                    secret: start..end,
                    guessable: strength == Strength::Guessable,
                });
            }
        }
    }
}

/// How strong a match that is reported is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    /// It passes every check of its rule.
    Strong,
    /// A password too short or too predictable for its rule, but a literal one: rules with
    /// `guessable = true` report it at low severity.
    Guessable,
}

/// Whether a match is reported, and how strong it is: its secret's checks ([`passes`],
/// or for a guessable password `guessable`) and, for a rule with a `host` group, that
/// the host is not local. A password rule (`guessable = true`) never reports the user
/// name repeated as the password, nor an anonymous login's e-mail address. `locations`
/// are the match's capture locations.
pub fn judge(
    rule: &Rule,
    data: &[u8],
    whole: Range<usize>,
    secret: Range<usize>,
    locations: &regex::bytes::CaptureLocations,
) -> Option<Strength> {
    if secret.is_empty() {
        return None;
    }
    if let Some((h_start, h_end)) = rule.host_group.and_then(|g| locations.get(g))
        && std::str::from_utf8(&data[h_start..h_end]).is_ok_and(checks::is_local_host)
    {
        return None;
    }
    let value = &data[secret.clone()];
    if rule.spec.guessable
        && (checks::anonymous_login(value) || same_as_user(data, &whole, &secret))
    {
        return None;
    }
    let name = || match rule.name_group.and_then(|g| locations.get(g)) {
        Some((n_start, n_end)) => &data[n_start..n_end],
        None => checks::assigned_name(data, whole.start, secret.start),
    };
    if rule.spec.key_name && !checks::names_a_credential(name()) {
        return None;
    }
    let named_key = rule.spec.key_name || (rule.spec.generic && checks::name_says_key(name()));
    if passes(rule, value, named_key)
        && !(rule.spec.guessable && value.len() < checks::STRONG_MIN_LEN)
    {
        return Some(Strength::Strong);
    }
    guessable(rule, data, whole, secret).then_some(Strength::Guessable)
}

/// Whether the password repeats the user name just before it (`user:user@`): the whole
/// user name, not its end (`svc-reporting:reporting@` is a different password).
fn same_as_user(data: &[u8], whole: &Range<usize>, secret: &Range<usize>) -> bool {
    let value = &data[secret.clone()];
    let before = &data[whole.start..secret.start];
    before.strip_suffix(b":").is_some_and(|user| {
        user.ends_with(value)
            && user[..user.len() - value.len()]
                .last()
                .is_none_or(|&b| b"/\"'=( \t".contains(&b))
    })
}

/// Whether the value is inside quotes: the byte before it (after an escaping backslash)
/// is a quote or a backtick.
pub fn quoted(data: &[u8], secret: &Range<usize>) -> bool {
    data[..secret.start]
        .last()
        .is_some_and(|&b| matches!(b, b'"' | b'\'' | b'`'))
}

/// The least entropy of a hex value under a key's name: a random 32-digit key falls
/// below it about once in ten thousand (a 40- or 64-digit one far more rarely), a hand-typed `deadbeef…` or `abcdef…` does not reach it.
const HEX_KEY_MIN_ENTROPY: f64 = 3.0;

/// The same for a hex key shorter than [`SHORT_HEX_KEY`] digits: a random 16-digit key
/// falls below 3.0 about one time in seven, and below this about once in 700.
const SHORT_HEX_KEY_MIN_ENTROPY: f64 = 2.5;

/// Below this many digits a hex key is held to [`SHORT_HEX_KEY_MIN_ENTROPY`].
const SHORT_HEX_KEY: usize = 24;

/// Whether a rule's secret passes its entropy, checksum, made-up-content and placeholder
/// checks. `named_key`: the value is assigned to a name that says it is a key, a secret
/// or a token ([`checks::name_says_key`]), so a hex value of a digest's length, or a
/// UUID, is kept: vendors issue keys of both shapes (Heroku, Octopus, IBM Cloud).
pub fn passes(rule: &Rule, secret: &[u8], named_key: bool) -> bool {
    // Hex carries at most 4 bits a character, and a random 32-digit key often less than
    // 3.5 by chance: under a key's name it (and a UUID, hex with dashes) is held to hex's
    // own measure.
    let hex_key =
        named_key && (secret.iter().all(u8::is_ascii_hexdigit) || checks::is_uuid(secret));
    if let Some(min) = rule.spec.min_entropy
        && checks::entropy(secret)
            < if hex_key {
                min.min(if secret.len() < SHORT_HEX_KEY {
                    SHORT_HEX_KEY_MIN_ENTROPY
                } else {
                    HEX_KEY_MIN_ENTROPY
                })
            } else {
                min
            }
    {
        return false;
    }
    if let Some(sum) = rule.spec.checksum
        && !sum.valid(secret)
    {
        return false;
    }
    if rule.spec.kind == RuleKind::Secret && checks::fake_rejection(secret).is_some() {
        return false;
    }
    if rule.spec.kind == RuleKind::Identifier && checks::identifier_rejection(secret).is_some() {
        return false;
    }
    !rule.spec.generic
        || rejection_stands(rule, checks::generic_rejection(secret))
            .is_none_or(|why| named_key && (why == checks::HASH_DIGEST || why == checks::UUID))
}

/// A rejection, unless the rule's values are literals and it only says the value is
/// shaped like a name in code.
fn rejection_stands(rule: &Rule, reason: Option<&'static str>) -> Option<&'static str> {
    reason.filter(|why| !(rule.spec.literal && checks::only_code_shaped(why)))
}

/// Whether a password that is not strong is still a literal one worth reporting
/// ([`checks::guessable_rejection`]), in a rule that reports those: for an assignment, not
/// an unquoted camelCase name nor a URL's parameter, and not an example aimed at a
/// documentation host (`user:secret@example.com`, `[2001:db8::1]`, `-h db.example.org`).
fn guessable(rule: &Rule, data: &[u8], whole: Range<usize>, secret: Range<usize>) -> bool {
    if !rule.spec.guessable {
        return false;
    }
    let value = &data[secret.clone()];
    let rejection = if rule.spec.stored {
        if checks::stored_template(&data[whole.start..secret.start], value) {
            Some(checks::FIELD_NAME)
        } else {
            checks::stored_rejection(value)
        }
    } else {
        checks::guessable_rejection(value)
    };
    if rejection_stands(rule, rejection).is_some() {
        return false;
    }
    if rule.spec.assignment && !quoted(data, &secret) && checks::camel_case_name(value) {
        // `password = userPassword`: a variable, not a password.
        return false;
    }
    if rule.spec.assignment
        && whole
            .start
            .checked_sub(1)
            .is_some_and(|i| matches!(data[i], b'?' | b'&'))
    {
        // `…?user=app&password=secret`: a URL's parameter, which the URL's own rule judges
        // with the host it is for.
        return false;
    }
    // The rest of the match, the value left out and a trailing comment cut off, may name the
    // host the credential is for.
    let before = &data[whole.start..secret.start];
    let mut after = &data[secret.end..whole.end];
    if let Some(comment) = after
        .windows(2)
        .position(|w| w[0].is_ascii_whitespace() && w[1] == b'#')
    {
        after = &after[..comment];
    }
    let context = [before, b" ", after].concat().to_ascii_lowercase();
    !checks::names_a_documentation_host(&String::from_utf8_lossy(&context))
}

/// Drops every hit whose secret overlaps a value that a rule recognised by its format and
/// rejected on its offline checksum: the vendor's own check says it is no token of theirs
/// (a test value, a truncated or edited copy), so no other rule, a generic assignment
/// among them, may report it instead.
pub fn drop_vetoed(hits: &mut Vec<Hit>, vetoed: &[Range<usize>]) {
    if vetoed.is_empty() {
        return;
    }
    hits.retain(|hit| {
        !vetoed
            .iter()
            .any(|v| v.start < hit.secret.end && hit.secret.start < v.end)
    });
}

/// Sorts hits and drops the redundant ones: a generic rule's hit on a secret a specific
/// rule also found, the shorter of two generic hits starting at one place, and the
/// second of two hits on the same secret (the more severe rule, then the first listed,
/// is kept).
pub fn resolve(rules: &RuleSet, mut hits: Vec<Hit>) -> Vec<Hit> {
    let rank = |hit: &Hit| {
        let rule = &rules.rules()[hit.rule];
        (
            rule.spec.generic,
            hit.guessable,
            // Of two generic readings of one value, the longer: a quoted value read to its
            // closing quote, not to a `#` inside it taken for a comment.
            std::cmp::Reverse(if rule.spec.generic {
                hit.secret.len()
            } else {
                0
            }),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in keywords fit the automaton with anchors of four bytes: a rule whose
    /// keywords push it to three makes every scan slower (see `keywords`), so a new rule
    /// must choose keywords that fit, or make room.
    #[test]
    fn the_built_in_keywords_keep_four_byte_anchors() {
        let scanner = Scanner::new(RuleSet::builtin().expect("rules")).expect("scanner");
        assert_eq!(scanner.keywords.anchor_len(), 4, "{:?}", scanner.keywords);
    }
}
