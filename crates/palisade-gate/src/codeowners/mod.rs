//! GitHub's CODEOWNERS format: parse, match, generate from the model, check.
//!
//! [`Codeowners::parse`] reads a file the way GitHub does: each line is a
//! pattern followed by owners (`@user`, `@org/team` or an e-mail address);
//! `#` starts a comment (a whole line, or after the pattern); the last
//! matching line wins, and a matching line with no owners leaves the path
//! without any. A line GitHub would reject (negation, character ranges, an
//! escaped `#`, an owner of no known form) is reported with its number and
//! skipped, and the rest of the file still applies.
//!
//! [`Codeowners::owners_of`] answers "which line owns this path" without
//! trying every line: lines are filed under a literal segment or file
//! extension every path they match must contain, so a path only tries the
//! few lines that can match it, newest first.
//!
//! [`generate`] writes a file from the model; [`check`] compares a file with
//! the model over a repository's tracked paths, and each line's owners with
//! those the model expects in the repository.

pub mod check;
pub mod generate;
mod pattern;
pub mod tracked;

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde::Serialize;

pub use check::{CheckReport, Disagreement, ModelSays, RuleSays, UnexpectedOwner, check};
pub use generate::{GenerateError, Generated, generate};
pub use pattern::MAX_SEGMENTS;
pub use tracked::{TrackedError, tracked_paths};

use pattern::{Pattern, Segment, Token};

/// Where GitHub looks for the file, in the order it looks.
pub const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// The CODEOWNERS file GitHub would use in the repository at `root`: the
/// first of [`LOCATIONS`] that exists.
pub fn find_file(root: &std::path::Path) -> Option<std::path::PathBuf> {
    LOCATIONS.iter().map(|l| root.join(l)).find(|p| p.is_file())
}

/// A code owner as a CODEOWNERS line names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Owner {
    /// `@login`: a user (the login, without `@`).
    User(String),
    /// `@org/slug`: a team (`org/slug`, without `@`).
    Team(String),
    /// An e-mail address of a user's account.
    Email(String),
}

impl Owner {
    /// Reads one owner, or says why it is none.
    pub fn parse(text: &str) -> Result<Owner, String> {
        if let Some(name) = text.strip_prefix('@') {
            return match name.split_once('/') {
                None if is_login(name) => Ok(Owner::User(name.to_owned())),
                Some((org, slug)) if is_login(org) && is_slug(slug) => {
                    Ok(Owner::Team(name.to_owned()))
                }
                _ => Err(format!(
                    "`{text}` is not a GitHub user (`@login`: letters, digits, `-`) or team (`@org/team`)"
                )),
            };
        }
        match text.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@') =>
            {
                Ok(Owner::Email(text.to_owned()))
            }
            _ => Err(format!(
                "`{text}` is not an owner; write `@user`, `@org/team` or an e-mail address"
            )),
        }
    }

    /// The name compared without regard to ASCII case, as GitHub compares
    /// logins, team slugs and e-mail addresses.
    pub fn folded(&self) -> String {
        self.to_string().to_ascii_lowercase()
    }
}

fn is_login(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::User(l) => write!(f, "@{l}"),
            Owner::Team(t) => write!(f, "@{t}"),
            Owner::Email(e) => f.write_str(e),
        }
    }
}

/// One valid line: a pattern and its owners.
#[derive(Debug, Clone)]
pub struct Rule {
    /// 1-based line number in the file.
    pub line: usize,
    /// The pattern as written (escapes kept).
    pub pattern: String,
    /// The owners; empty means the line takes ownership away.
    pub owners: Vec<Owner>,
    compiled: Pattern,
}

impl Rule {
    /// Whether this rule claims `path` (a file; `dir/` for a directory).
    pub fn matches(&self, path: &str) -> bool {
        let (path, is_dir) = split_dir(path);
        if path.is_empty() {
            return false;
        }
        let segs: Vec<&str> = path.split('/').collect();
        self.compiled.matches(&segs, is_dir)
    }
}

/// A line GitHub would reject; it is skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong and how to write it.
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A parsed CODEOWNERS file, indexed for matching.
#[derive(Debug, Clone, Default)]
pub struct Codeowners {
    rules: Vec<Rule>,
    index: Lookup,
}

/// Where each rule is filed: a path can only match a rule if it contains the
/// rule's key, so it looks up its own segments and tries only those rules.
#[derive(Debug, Clone, Default)]
struct Lookup {
    /// Anchored rules that start with literal segments, by those segments
    /// joined with `/`: a path it matches has them as an ancestor (or is them).
    first: FastMap<Vec<u32>>,
    /// Rules that match at any depth whose first segment is literal, by it.
    segment: FastMap<Vec<u32>>,
    /// Rules that match at any depth whose first segment is a wildcard
    /// ending in a literal extension (`*.js`), by the extension (`.js`).
    extension: FastMap<Vec<u32>>,
    /// Everything else: tried for every path.
    always: Vec<u32>,
}

impl Codeowners {
    /// Parses a CODEOWNERS file. Never fails: invalid lines are returned
    /// with their line numbers and left out, as GitHub leaves them out.
    pub fn parse(text: &str) -> (Codeowners, Vec<LineError>) {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            match parse_line(raw) {
                Ok(None) => {}
                Ok(Some((pattern, owners, compiled))) => rules.push(Rule {
                    line,
                    pattern,
                    owners,
                    compiled,
                }),
                Err(message) => errors.push(LineError { line, message }),
            }
        }
        let index = Lookup::build(&rules);
        (Codeowners { rules, index }, errors)
    }

    /// The valid rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule that decides `path`'s owners: the last line that matches it,
    /// or `None` when none does. `path` is relative to the repository root;
    /// a trailing `/` marks a directory.
    pub fn owners_of(&self, path: &str) -> Option<&Rule> {
        let mut scratch = Vec::new();
        self.owners_of_with(path, &mut scratch)
    }

    /// [`Codeowners::owners_of`] with a buffer the caller reuses across paths.
    pub fn owners_of_with<'a>(&'a self, path: &str, scratch: &mut Vec<u32>) -> Option<&'a Rule> {
        let (path, is_dir) = split_dir(path);
        if path.is_empty() || self.rules.is_empty() {
            return None;
        }
        let mut segs: [&str; 32] = [""; 32];
        let mut n = 0;
        let mut long: Vec<&str> = Vec::new();
        for s in path.split('/') {
            if n < segs.len() {
                segs[n] = s;
            } else {
                if long.is_empty() {
                    long.extend_from_slice(&segs);
                }
                long.push(s);
            }
            n += 1;
        }
        let segs: &[&str] = if long.is_empty() { &segs[..n] } else { &long };

        let candidates = scratch;
        candidates.clear();
        let ix = &self.index;
        if !ix.first.is_empty() {
            // Each ancestor directory, then the path itself.
            let ends = path.match_indices('/').map(|(i, _)| i).chain([path.len()]);
            for end in ends {
                if let Some(v) = ix.first.get(&path[..end]) {
                    candidates.extend_from_slice(v);
                }
            }
        }
        if !ix.segment.is_empty() || !ix.extension.is_empty() {
            for s in segs {
                if let Some(v) = ix.segment.get(*s) {
                    candidates.extend_from_slice(v);
                }
                if !ix.extension.is_empty()
                    && let Some(dot) = s.rfind('.')
                    && let Some(v) = ix.extension.get(&s[dot..])
                {
                    candidates.extend_from_slice(v);
                }
            }
        }
        candidates.extend_from_slice(&ix.always);
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        let mut previous = None;
        for &c in candidates.iter() {
            if previous == Some(c) {
                continue;
            }
            previous = Some(c);
            let rule = &self.rules[c as usize];
            if rule.compiled.matches(segs, is_dir) {
                return Some(rule);
            }
        }
        None
    }
}

fn split_dir(path: &str) -> (&str, bool) {
    let path = path.trim_start_matches('/');
    match path.strip_suffix('/') {
        Some(p) => (p, true),
        None => (path, false),
    }
}

/// One line: nothing (blank or comment), a rule, or why it is invalid.
#[allow(clippy::type_complexity)]
fn parse_line(raw: &str) -> Result<Option<(String, Vec<Owner>, Pattern)>, String> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    // The pattern runs to the first white space not escaped by `\`.
    let mut end = line.len();
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c.is_whitespace() {
            end = i;
            break;
        }
    }
    let pattern = &line[..end];
    let compiled = Pattern::new(pattern)?;
    let mut owners = Vec::new();
    for word in line[end..].split_whitespace() {
        if word.starts_with('#') {
            break;
        }
        owners.push(Owner::parse(word)?);
    }
    Ok(Some((pattern.to_owned(), owners, compiled)))
}

impl Lookup {
    fn build(rules: &[Rule]) -> Lookup {
        let mut ix = Lookup::default();
        for (i, rule) in rules.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let segs = &rule.compiled.segments;
            match (&segs[0], segs.get(1)) {
                (Segment::Literal(_), _) => {
                    let prefix: Vec<&str> = segs
                        .iter()
                        .map_while(|s| match s {
                            Segment::Literal(l) => Some(&**l),
                            _ => None,
                        })
                        .collect();
                    ix.first.entry(prefix.join("/")).or_default().push(i)
                }
                (Segment::Any, Some(Segment::Literal(lit))) => {
                    ix.segment.entry(lit.to_string()).or_default().push(i)
                }
                (Segment::Any, Some(Segment::Wild(tokens))) => match extension(tokens) {
                    Some(ext) => ix.extension.entry(ext).or_default().push(i),
                    None => ix.always.push(i),
                },
                _ => ix.always.push(i),
            }
        }
        ix
    }
}

/// The extension every segment a wildcard matches ends with: `.js` for
/// `*.js` and `*.min.js` (from the last `.` of the final literal, which
/// must hold one and follow a wildcard).
fn extension(tokens: &[Token]) -> Option<String> {
    match tokens {
        [.., Token::Star | Token::One, Token::Text(t)] => t.rfind('.').map(|d| t[d..].to_owned()),
        _ => None,
    }
}

/// A hash map keyed by path segments, hashed with a fast non-cryptographic
/// hash: the keys come from the repository's own CODEOWNERS file.
type FastMap<V> = HashMap<String, V, BuildHasherDefault<FxHasher>>;

/// The Fx hash (rustc's): a multiply and rotate per word.
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_match_wins_and_no_owners_unowns() {
        let (co, errors) = Codeowners::parse(
            "* @org/all\n*.js @js # inline comment\n/apps/ @octocat\n/apps/github\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(co.owners_of("README.md").map(|r| r.line), Some(1));
        assert_eq!(co.owners_of("x/y.js").map(|r| r.line), Some(2));
        assert_eq!(co.owners_of("apps/a.js").map(|r| r.line), Some(3));
        let r = co.owners_of("apps/github/a.js").expect("a rule");
        assert_eq!((r.line, r.owners.len()), (4, 0));
    }

    #[test]
    fn invalid_lines_are_reported_and_skipped() {
        let (co, errors) = Codeowners::parse("* @a\n!x @b\n*.[ch] @c\nfoo bar\n\\#x @d\n*.c @e\n");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
        assert_eq!(co.owners_of("a.c").map(|r| r.line), Some(6));
        assert_eq!(co.owners_of("a.h").map(|r| r.line), Some(1));
    }

    #[test]
    fn owners_forms() {
        assert_eq!(Owner::parse("@a-b"), Ok(Owner::User("a-b".into())));
        assert_eq!(Owner::parse("@o/t"), Ok(Owner::Team("o/t".into())));
        assert_eq!(Owner::parse("a@b.io"), Ok(Owner::Email("a@b.io".into())));
        assert!(Owner::parse("@").is_err());
        assert!(Owner::parse("bob").is_err());
        assert!(Owner::parse("@o/t/u").is_err());
    }
}
