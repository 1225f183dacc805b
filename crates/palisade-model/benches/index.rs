//! Benchmarks of the model's index (divan), on the generated model of
//! 10,000 people and 2,000 services (`bench/gen-model.py`):
//!
//! - building the index (target: under 20 ms);
//! - a lookup by identity, for each kind (target: under 200 ns);
//! - the owners of 1,000,000 paths (target: under 1 s), beside the same
//!   question asked of `globset` (ripgrep's glob matcher) holding the same
//!   globs, and of a naive loop over every glob.
//!
//! `cargo bench -p palisade-model --bench index` (or `bench/index.sh`)
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::ItemsCount;
use palisade_model::glob::Glob;
use palisade_model::{IdentityKind, Index, Model, ServiceId};

// The binary runs on mimalloc; measure the index as it runs there.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

static MODEL: LazyLock<Model> = LazyLock::new(|| {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/gen-model.py");
    let out = std::process::Command::new("python3")
        .args([script, "10000", "2000"])
        .output()
        .expect("python3 runs bench/gen-model.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    palisade_model::parse(&text).unwrap()
});

const PATHS: usize = 1_000_000;

/// (repository, path) pairs: most inside a service directory, some matched
/// only by a service's `*.rs` glob, some owned by nobody.
static PATH_SET: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    (0..PATHS)
        .map(|i| {
            let s = (i * 7919) % 2000;
            let repo = format!("gen/repo-{:02}", s % 20);
            let path = match i % 10 {
                0..=6 => format!(
                    "services/svc-{s:05}/src/module{}/file{}.rs",
                    i % 13,
                    i % 101
                ),
                7 | 8 => format!("libs/svc-{s:05}/part{}.rs", i % 37),
                _ => format!("docs/guide/page{}.md", i % 211),
            };
            (repo, path)
        })
        .collect()
});

#[divan::bench]
fn build_index(bencher: Bencher) {
    let model = &*MODEL;
    bencher.bench(|| black_box(Index::new(black_box(model))));
}

/// Lookups of every person in a shuffled order, 10,000 a sample: the
/// time per item is the time of one lookup.
#[divan::bench(args = [IdentityKind::Handle, IdentityKind::Github, IdentityKind::Email, IdentityKind::SshPrincipal])]
fn lookup_by_identity(bencher: Bencher, kind: IdentityKind) {
    let model = &*MODEL;
    let index = Index::new(model);
    let names: Vec<String> = (0..10_000)
        .map(|i| {
            let p = (i * 9973) % 10_000;
            match kind {
                // Logins arrive in any case; this makes every lookup fold.
                IdentityKind::Github => format!("GH-Person-{p:05}"),
                IdentityKind::Email => format!("p{p:05}@generated.example"),
                _ => format!("p{p:05}"),
            }
        })
        .collect();
    bencher
        .counter(ItemsCount::new(names.len()))
        .bench_local(|| {
            let mut found = 0usize;
            for n in &names {
                found += usize::from(index.person_by(kind, black_box(n)).is_some());
            }
            assert_eq!(found, names.len());
            found
        });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn owners_of_a_million_paths(bencher: Bencher) {
    let model = &*MODEL;
    let index = Index::new(model);
    let paths = &*PATH_SET;
    bencher.counter(ItemsCount::new(PATHS)).bench_local(|| {
        let mut out: Vec<ServiceId> = Vec::new();
        let mut owned = 0usize;
        for (repo, path) in paths {
            index.services_for_path_into(Some(repo), path, &mut out);
            owned += out.len();
        }
        assert!(owned > PATHS / 2);
        owned
    });
}

/// The same question asked of globset: one `GlobSet` per repository with
/// every glob of the services that live there (`a/**` and plain paths are
/// given as globset spells them).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn owners_of_a_million_paths_globset(bencher: Bencher) {
    use std::collections::HashMap;
    let model = &*MODEL;
    let mut builders: HashMap<String, (globset::GlobSetBuilder, Vec<usize>)> = HashMap::new();
    for (s, svc) in model.services.iter().enumerate() {
        for repo in &svc.repos {
            let entry = builders
                .entry(repo.clone())
                .or_insert_with(|| (globset::GlobSetBuilder::new(), Vec::new()));
            for p in &svc.paths {
                let glob = globset::GlobBuilder::new(p)
                    .literal_separator(true)
                    .build()
                    .unwrap();
                entry.0.add(glob);
                entry.1.push(s);
            }
        }
    }
    let sets: HashMap<String, (globset::GlobSet, Vec<usize>)> = builders
        .into_iter()
        .map(|(k, (b, owners))| (k, (b.build().unwrap(), owners)))
        .collect();
    let paths = &*PATH_SET;
    bencher.counter(ItemsCount::new(PATHS)).bench_local(|| {
        let mut hits = Vec::new();
        let mut owned = 0usize;
        for (repo, path) in paths {
            let (set, owners) = &sets[repo];
            set.matches_into(path, &mut hits);
            let mut svcs: Vec<usize> = hits.iter().map(|&h| owners[h]).collect();
            svcs.dedup();
            owned += svcs.len();
        }
        assert!(owned > PATHS / 2);
        owned
    });
}

/// The naive answer: every glob of every service of the repository, on a
/// tenth of the paths (it is that slow); divide the time by 0.1.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn owners_of_a_tenth_naively(bencher: Bencher) {
    let model = &*MODEL;
    let globs: Vec<(usize, &str, Glob)> = model
        .services
        .iter()
        .enumerate()
        .flat_map(|(s, svc)| {
            svc.paths.iter().flat_map(move |p| {
                svc.repos
                    .iter()
                    .map(move |r| (s, r.as_str(), Glob::new(p).unwrap()))
            })
        })
        .collect();
    let paths = &PATH_SET[..PATHS / 10];
    bencher
        .counter(ItemsCount::new(PATHS / 10))
        .bench_local(|| {
            let mut owned = 0usize;
            for (repo, path) in paths {
                owned += globs
                    .iter()
                    .filter(|(_, r, g)| r == repo && g.matches(path))
                    .count();
            }
            owned
        });
}
