//! CODEOWNERS matching at scale (divan): 1,000,000 paths against a file of
//! 500 rules of every shape GitHub documents (anchored directories, `*.ext`,
//! `docs/*`, `**/name`, unanchored `name/`, wildcards in the middle, lines
//! with no owners). Target: all of them in under 1 s.
//!
//! `cargo bench -p palisade-gate --bench codeowners`
//!
//! `bench/codeowners.sh` times the PyPI and npm `codeowners` packages on the
//! same input beside ours; it uses two modes of this binary:
//! `CODEOWNERS_BENCH_WRITE=DIR` writes the input (`DIR/CODEOWNERS`,
//! `DIR/paths`) and exits; `CODEOWNERS_BENCH_ONCE=DIR` times one pass over
//! it and prints the figures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::hint::black_box;
use std::sync::LazyLock;
use std::time::Instant;

use palisade_gate::codeowners::Codeowners;

const RULES: usize = 500;
const PATHS: usize = 1_000_000;

fn main() {
    if let Some(dir) = std::env::var_os("CODEOWNERS_BENCH_WRITE") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("CODEOWNERS"), &INPUT.0).unwrap();
        std::fs::write(dir.join("paths"), INPUT.1.join("\n")).unwrap();
        return;
    }
    if let Some(dir) = std::env::var_os("CODEOWNERS_BENCH_ONCE") {
        let dir = std::path::PathBuf::from(dir);
        let text = std::fs::read_to_string(dir.join("CODEOWNERS")).unwrap();
        let paths = std::fs::read_to_string(dir.join("paths")).unwrap();
        let paths: Vec<&str> = paths.lines().collect();
        let t = Instant::now();
        let (co, _) = Codeowners::parse(&text);
        let parsed = t.elapsed();
        let t = Instant::now();
        let mut scratch = Vec::new();
        let mut owned = 0usize;
        for p in &paths {
            if co
                .owners_of_with(p, &mut scratch)
                .is_some_and(|r| !r.owners.is_empty())
            {
                owned += 1;
            }
        }
        let matched = t.elapsed();
        println!(
            "ours rules={} paths={} owned={owned} parse_s={:.6} match_s={:.6}",
            co.rules().len(),
            paths.len(),
            parsed.as_secs_f64(),
            matched.as_secs_f64()
        );
        return;
    }
    divan::main();
}

/// splitmix64, so the input is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const AREAS: [&str; 8] = [
    "services", "libs", "apps", "tools", "infra", "docs", "web", "jobs",
];
const NAMES: [&str; 12] = [
    "src",
    "internal",
    "api",
    "tests",
    "logs",
    "config",
    "migrations",
    "handlers",
    "util",
    "proto",
    "assets",
    "build",
];
const EXTS: [&str; 10] = [
    ".go", ".rs", ".ts", ".py", ".md", ".tf", ".json", ".yaml", ".sql", ".proto",
];

/// A repository of 8 areas × 60 components, and a CODEOWNERS for it.
static INPUT: LazyLock<(String, Vec<String>)> = LazyLock::new(|| {
    let mut rng = Rng(0x00c0_de0e_2026);
    let mut text = String::from("# bench: 500 rules\n* @acme/everyone\n");
    let mut n = 1;
    let push = |line: String, text: &mut String| {
        text.push_str(&line);
        text.push('\n');
    };
    while n < RULES {
        let area = AREAS[rng.below(AREAS.len())];
        let comp = rng.below(60);
        let owner = format!("@acme/team-{}", rng.below(80));
        let line = match n % 10 {
            0 => format!("*{} {owner}", EXTS[rng.below(EXTS.len())]),
            1 => format!("/{area}/c{comp}/* {owner}"),
            2 => format!("**/{} {owner}", NAMES[rng.below(NAMES.len())]),
            3 => format!("{}/ {owner}", NAMES[rng.below(NAMES.len())]),
            4 => format!("/{area}/*/c{comp}/ {owner}"),
            5 => format!(
                "/{area}/c{comp}/**/*{} {owner}",
                EXTS[rng.below(EXTS.len())]
            ),
            6 => format!("/{area}/c{comp}/{}", NAMES[rng.below(NAMES.len())]),
            _ => format!("/{area}/c{comp}/ {owner} @dev{}", rng.below(400)),
        };
        push(line, &mut text);
        n += 1;
    }
    let paths = (0..PATHS)
        .map(|_| {
            let mut p = format!("{}/c{}", AREAS[rng.below(AREAS.len())], rng.below(60));
            for _ in 0..rng.below(5) {
                p.push('/');
                p.push_str(NAMES[rng.below(NAMES.len())]);
            }
            p.push_str(&format!(
                "/f{}{}",
                rng.below(1000),
                EXTS[rng.below(EXTS.len())]
            ));
            p
        })
        .collect();
    (text, paths)
});

#[divan::bench]
fn parse_500_rules(bencher: divan::Bencher) {
    let text = &INPUT.0;
    bencher.bench(|| Codeowners::parse(black_box(text)));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn owners_of_1m_paths_500_rules(bencher: divan::Bencher) {
    let (co, errors) = Codeowners::parse(&INPUT.0);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(co.rules().len(), RULES);
    let paths = &INPUT.1;
    bencher.bench(|| {
        let mut scratch = Vec::new();
        let mut owned = 0usize;
        for p in paths {
            if co.owners_of_with(p, &mut scratch).is_some() {
                owned += 1;
            }
        }
        black_box(owned)
    });
}
