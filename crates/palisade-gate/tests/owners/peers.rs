//! Ours against the PyPI `codeowners` package and the npm `codeowners`
//! package on random, seeded trees and CODEOWNERS files that cover every
//! rule GitHub documents. Where a peer disagrees with us, the test names
//! the documented GitHub rule that explains it and checks that the rule
//! does; a disagreement no rule explains fails the test.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use palisade_gate::codeowners::Codeowners;

/// splitmix64: a small seeded generator, so a failure reproduces.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const DIRS: &[&str] = &[
    "docs",
    "apps",
    "src",
    "lib",
    "logs",
    "build",
    "foo",
    "Foo",
    "bar",
    "github",
    "scripts",
    "x.tf",
    "node_modules",
    "a",
    "b",
];
const FILES: &[&str] = &[
    "a.js",
    "b.min.js",
    "main.rs",
    "README.md",
    "readme.md",
    "x.tf",
    "foo",
    "bar.txt",
    "f1o",
    "#notes",
    "index.ts",
    "Makefile",
    "logs",
    "lib.rs",
];

/// A random tree of `n` file paths.
pub fn paths(rng: &mut Rng, n: usize) -> Vec<String> {
    let mut out: Vec<String> = (0..n)
        .map(|_| {
            let depth = rng.below(5);
            let mut p = String::new();
            for _ in 0..depth {
                p.push_str(rng.pick(DIRS));
                p.push('/');
            }
            p.push_str(rng.pick(FILES));
            p
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Patterns that name each documented rule at least once; each file gets
/// them all, then random ones.
const DOCUMENTED: &[&str] = &[
    "*",            // every file
    "*.js",         // any depth, by extension
    "/build/logs/", // anchored directory
    "docs/*",       // direct children only
    "apps/",        // a directory at any depth
    "/docs/",       // a directory at the root only
    "**/logs",      // `**` as in gitignore
    "/apps/github", // (written with no owners: takes ownership away)
    "/scripts/",    //
    "Foo/",         // case-sensitive
    "lib/**",       // trailing `**`
    "src/**/x.tf",  // middle `**`
    "f?o",          // `?`
    "!apps/",       // invalid: negation
    "*.[ch]",       // invalid: character range
    "\\#notes",     // invalid: escaped `#`
];

fn random_pattern(rng: &mut Rng) -> String {
    let mut p = String::new();
    if rng.chance(35) {
        p.push('/');
    }
    let n = 1 + rng.below(3);
    for i in 0..n {
        if i > 0 {
            p.push('/');
        }
        let seg = match rng.below(10) {
            0 => "**".to_owned(),
            1 => "*".to_owned(),
            2 => format!("*{}", rng.pick(&[".js", ".rs", ".md", ".tf", "o"])),
            3 => format!("{}*", rng.pick(&["f", "b", "lo", "READ"])),
            4 => rng.pick(&["f?o", "?.js", "x.t?"]).to_owned(),
            _ => {
                let names = if rng.chance(50) { DIRS } else { FILES };
                rng.pick(names).to_owned()
            }
        };
        p.push_str(&seg);
    }
    if rng.chance(25) {
        p.push('/');
    }
    p
}

/// A CODEOWNERS file: line `n`'s owner is `@o<n>` (or `o<n>@example.com`),
/// so an owner list names its line; some lines have no owners, some are
/// invalid.
pub fn codeowners(rng: &mut Rng, random_lines: usize) -> String {
    let mut text = String::from("# generated for the peer comparison\n\n");
    // `*` first, then random lines, then the documented ones, so that each
    // documented line decides the paths it matches.
    let mut patterns: Vec<String> = vec!["*".to_owned()];
    patterns.extend((0..random_lines).map(|_| random_pattern(rng)));
    patterns.extend(DOCUMENTED[1..].iter().map(|s| (*s).to_owned()));
    // The first pattern is on line 3, after the comment and a blank line.
    for (line, p) in (3..).zip(patterns) {
        let owners = if p == "/apps/github" || rng.chance(8) {
            String::new()
        } else if rng.chance(10) {
            format!(" o{line}@example.com")
        } else if rng.chance(4) {
            format!(" not-an-owner{line}")
        } else {
            format!(" @o{line}")
        };
        let _ = writeln!(text, "{p}{owners}");
    }
    text
}

/// What decides a path for one implementation: the deciding line, if the
/// implementation says, and the owners.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decision {
    line: Option<usize>,
    owners: Vec<String>,
}

fn ours(co: &Codeowners, path: &str) -> Decision {
    match co.owners_of(path) {
        Some(r) => Decision {
            line: Some(r.line),
            owners: r.owners.iter().map(ToString::to_string).collect(),
        },
        None => Decision {
            line: None,
            owners: Vec::new(),
        },
    }
}

const PY: &str = r#"
import json, sys
from codeowners import CodeOwners
co = CodeOwners(open(sys.argv[1], encoding="utf-8").read())
out = {}
for p in open(sys.argv[2], encoding="utf-8").read().split("\n"):
    if p:
        owners, line, _pattern, _section = co.matching_line(p)
        out[p] = [line, [o[1] for o in owners]]
print(json.dumps(out))
"#;

const JS: &str = r#"
const fs = require("fs");
const Codeowners = require(process.argv[1]);
const co = new Codeowners(process.argv[2]);
const out = {};
for (const p of fs.readFileSync(process.argv[3], "utf8").split("\n")) {
  if (p) out[p] = co.getOwner(p);
}
process.stdout.write(JSON.stringify(out));
"#;

fn run(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().expect("the peer runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the peer prints JSON")
}

fn python(python: &Path, dir: &Path, text: &str, paths: &[String]) -> BTreeMap<String, Decision> {
    std::fs::write(dir.join("CODEOWNERS"), text).unwrap();
    std::fs::write(dir.join("paths"), paths.join("\n")).unwrap();
    let v = run(Command::new(python)
        .arg("-c")
        .arg(PY)
        .arg(dir.join("CODEOWNERS"))
        .arg(dir.join("paths")));
    paths
        .iter()
        .map(|p| {
            let d = &v[p.as_str()];
            let owners = d[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o.as_str().unwrap().to_owned())
                .collect();
            let line = d[0].as_u64().map(|l| l as usize);
            (p.clone(), Decision { line, owners })
        })
        .collect()
}

fn node(modules: &Path, dir: &Path, text: &str, paths: &[String]) -> BTreeMap<String, Decision> {
    std::fs::write(dir.join("CODEOWNERS"), text).unwrap();
    std::fs::write(dir.join("paths"), paths.join("\n")).unwrap();
    let v = run(Command::new("node")
        .arg("-e")
        .arg(JS)
        .arg(modules.join("codeowners"))
        .arg(dir)
        .arg(dir.join("paths"))
        .env("NODE_PATH", modules));
    paths
        .iter()
        .map(|p| {
            let owners: Vec<String> = v[p.as_str()]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o.as_str().unwrap().to_owned())
                .collect();
            (p.clone(), Decision { line: None, owners })
        })
        .collect()
}

/// The file with the lines GitHub rejects blanked (numbering kept).
fn without_invalid(text: &str, invalid: &[usize]) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| if invalid.contains(&(i + 1)) { "" } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The documented GitHub rule that explains why `peer` decided `path`
/// differently from us, if one does.
fn explain(
    co: &Codeowners,
    text: &str,
    path: &str,
    ours: &Decision,
    peer_on_valid_lines: &Decision,
) -> Option<&'static str> {
    let agrees =
        |d: &Decision| d.owners == ours.owners && (d.line.is_none() || d.line == ours.line);
    // 1. The peer used a line GitHub rejects; without those lines it agrees.
    if agrees(peer_on_valid_lines) {
        return Some(
            "invalid lines are skipped: `!` negation, `[ ]` ranges, an escaped `#` and owners that are not @user, @org/team or an e-mail do not work in CODEOWNERS",
        );
    }
    // Which line the peer used: its own word, or the line its owners name.
    let peer_line = peer_on_valid_lines.line.or_else(|| {
        peer_on_valid_lines.owners.first().and_then(|o| {
            o.trim_start_matches("@o")
                .trim_start_matches('o')
                .split('@')
                .next()?
                .parse()
                .ok()
        })
    });
    let rule_at = |line: usize| co.rules().iter().find(|r| r.line == line);
    if let Some(rule) = peer_line.and_then(rule_at) {
        // 2. `docs/*` claims direct children only; gitignore (and the peer)
        // also claims what is below a matching directory.
        if rule.pattern.ends_with("/*") && !rule.matches(path) {
            let mut ancestor = String::new();
            for seg in path.split('/') {
                ancestor.push_str(seg);
                ancestor.push('/');
                if ancestor.len() < path.len() + 1 && rule.matches(&ancestor) {
                    return Some("`docs/*` matches direct children only, not files further below");
                }
            }
        }
        // 3. Matching is case-sensitive: the peer matched ignoring case.
        if !rule.matches(path) {
            let lower = format!("{} @x", rule.pattern.to_lowercase());
            let (folded, _) = Codeowners::parse(&lower);
            if folded.owners_of(&path.to_lowercase()).is_some() {
                return Some("matching is case-sensitive");
            }
        }
    }
    // 4. `?` matches one character (gitignore's rule, which CODEOWNERS
    // follows); a peer that reads it literally misses the line we used.
    if let Some(rule) = ours.line.and_then(rule_at)
        && rule.pattern.contains('?')
    {
        let literal = format!("{} @x", rule.pattern.replace('?', "\\?"));
        let (literal, _) = Codeowners::parse(&literal);
        if literal.owners_of(path).is_none() {
            return Some("`?` matches any one character but `/`, as in gitignore");
        }
    }
    let _ = text;
    None
}

fn compare(
    name: &str,
    co: &Codeowners,
    text: &str,
    paths: &[String],
    peer: &BTreeMap<String, Decision>,
    peer_on_valid_lines: &BTreeMap<String, Decision>,
    counts: &mut BTreeMap<(String, &'static str), usize>,
) {
    for path in paths {
        let ours = ours(co, path);
        let theirs = &peer[path];
        let same =
            theirs.owners == ours.owners && (theirs.line.is_none() || theirs.line == ours.line);
        if same {
            *counts.entry((name.to_owned(), "agree")).or_default() += 1;
            continue;
        }
        match explain(co, text, path, &ours, &peer_on_valid_lines[path]) {
            Some(rule) => *counts.entry((name.to_owned(), rule)).or_default() += 1,
            None => panic!(
                "{name} disagrees on `{path}` and no documented rule explains it:\n  ours {ours:?}\n  {name} {theirs:?}\n  {name} without invalid lines {:?}\n--- CODEOWNERS\n{text}",
                peer_on_valid_lines[path]
            ),
        }
    }
}

#[test]
fn agrees_with_the_pypi_and_npm_packages_or_a_documented_rule_explains_why_not() {
    let py = palisade_test_support::tool("PALISADE_TEST_PYTHON");
    let js = palisade_test_support::tool("PALISADE_TEST_NODE_MODULES");
    if py.is_none() && js.is_none() {
        return;
    }
    let mut counts: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    for seed in [1u64, 2, 3, 4] {
        let mut rng = Rng::new(seed);
        let text = codeowners(&mut rng, 40);
        let paths = paths(&mut rng, 1500);
        let (co, errors) = Codeowners::parse(&text);
        let invalid: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert!(
            invalid.len() >= 3,
            "the file holds invalid lines: {errors:?}"
        );
        let valid_text = without_invalid(&text, &invalid);
        let dir = tempfile::tempdir().unwrap();
        if let Some(py) = &py {
            let full = python(py, dir.path(), &text, &paths);
            let valid = python(py, dir.path(), &valid_text, &paths);
            compare("pypi", &co, &text, &paths, &full, &valid, &mut counts);
        }
        if let Some(js) = &js {
            let full = node(js, dir.path(), &text, &paths);
            let valid = node(js, dir.path(), &valid_text, &paths);
            compare("npm", &co, &text, &paths, &full, &valid, &mut counts);
        }
    }
    eprintln!("peer comparison (peer, outcome) -> paths:");
    for ((peer, rule), n) in &counts {
        eprintln!("  {peer:<5} {n:>6}  {rule}");
    }
    // The rules GitHub documents and the peers depart from are exercised.
    let seen = |peer: &str, rule: &str| {
        counts
            .iter()
            .any(|((p, r), _)| p == peer && r.starts_with(rule))
    };
    if py.is_some() {
        assert!(seen("pypi", "invalid lines"), "{counts:?}");
    }
    if js.is_some() {
        assert!(seen("npm", "invalid lines"), "{counts:?}");
        assert!(seen("npm", "matching is case-sensitive"), "{counts:?}");
    }
    // Most paths agree outright.
    for peer in ["pypi", "npm"] {
        let agree = counts
            .get(&(peer.to_owned(), "agree"))
            .copied()
            .unwrap_or(0);
        let all: usize = counts
            .iter()
            .filter(|((p, _), _)| p == peer)
            .map(|(_, n)| n)
            .sum();
        assert!(
            all == 0 || agree * 2 >= all,
            "{peer}: only {agree} of {all} paths agree"
        );
    }
}
