//! Measures the matching engine alone, on files held in memory, and checks it against the
//! engine as it was before keyword occurrences and regex windows (every triggered rule's
//! regex run over the whole buffer).
//!
//! ```text
//! cargo run --release -p palisade-scan --example engine_bench -- <dir> [scan|reference|rules|check] [rounds]
//! cargo run --release -p palisade-scan --example engine_bench -- <repo> history-scan|history-check
//! ```
//!
//! `scan` (the default) times `Scanner::scan` on one thread; `reference` times the former
//! engine; `check` compares the hits of the two on every file and exits with 1 at the
//! first difference; `rules` times the reference by rule. `history-scan` and
//! `history-check` do the same with every blob of a repository's history.

use std::path::Path;
use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use palisade_scan::engine::{Hit, Scanner, Strength, judge, resolve};
use palisade_scan::rules::RuleSet;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: engine_bench <dir> [scan|reference|rules|check] [rounds]");
        std::process::exit(2);
    };
    let mode = args.next().unwrap_or_else(|| "scan".to_owned());
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(1);
    let mut files = Vec::new();
    if !mode.starts_with("history") {
        collect(Path::new(&dir), &mut files);
    }
    let bytes: usize = files.iter().map(Vec::len).sum();
    let rules = match RuleSet::builtin() {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let scanner = match Scanner::new(rules) {
        Ok(scanner) => scanner,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    eprintln!(
        "{} files, {:.1} MB; scanner built in {:.1} ms",
        files.len(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64() * 1e3
    );
    let reference = Reference::new(&scanner);
    if mode.starts_with("history") {
        history(&dir, &mode, &scanner, &reference);
        return;
    }
    let mut costs = vec![(0.0f64, 0u64); scanner.rules().len()];
    for _ in 0..rounds {
        let started = Instant::now();
        let mut hits = 0;
        for data in &files {
            match mode.as_str() {
                "reference" => hits += reference.scan(&scanner, data, None).len(),
                "rules" => hits += reference.scan(&scanner, data, Some(&mut costs)).len(),
                "check" => {
                    let got = scanner.scan(data);
                    let want = reference.scan(&scanner, data, None);
                    if got != want {
                        eprintln!(
                            "difference in a file of {} bytes starting {:?}:\n  got  {got:?}\n  want {want:?}",
                            data.len(),
                            String::from_utf8_lossy(&data[..data.len().min(80)])
                        );
                        std::process::exit(1);
                    }
                    hits += got.len();
                }
                _ => hits += scanner.scan(data).len(),
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{mode}: {hits} hits, {secs:.3} s, {:.0} MB/s",
            bytes as f64 / 1e6 / secs
        );
    }
    if mode == "rules" {
        let mut order: Vec<usize> = (0..costs.len()).collect();
        order.sort_by(|&a, &b| costs[b].0.total_cmp(&costs[a].0));
        let sum: f64 = costs.iter().map(|c| c.0).sum();
        println!("{:8.1} ms in all regexes", sum * 1e3);
        for i in order.into_iter().take(40) {
            println!(
                "{:8.1} ms {:6} files  {}",
                costs[i].0 * 1e3,
                costs[i].1,
                scanner.rule(i).spec.id
            );
        }
    }
}

/// `history-scan`: times the engine on every blob of a repository's history (as `palisade
/// scan --history` sees them, on one thread); `history-check`: compares it with the former
/// engine on each.
fn history(repo: &str, mode: &str, scanner: &Scanner, reference: &Reference) {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};
    let opts = palisade_scan::git::HistoryOptions {
        threads: if mode == "history-check" { 0 } else { 1 },
        ..palisade_scan::git::HistoryOptions::default()
    };
    let engine = Mutex::new(0.0f64);
    let hits = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let differences = AtomicU64::new(0);
    let visit = |data: &[u8], origin: &palisade_scan::git::Origin| {
        if data[..data.len().min(8192)].contains(&0) {
            return;
        }
        bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        let started = Instant::now();
        let got = scanner.scan(data);
        if let Ok(mut engine) = engine.lock() {
            *engine += started.elapsed().as_secs_f64();
        }
        hits.fetch_add(got.len() as u64, Ordering::Relaxed);
        if mode == "history-check" {
            let want = reference.scan(scanner, data, None);
            if got != want {
                differences.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "difference in {} ({}):\n  got  {got:?}\n  want {want:?}",
                    origin.path, origin.commit
                );
            }
        }
    };
    let started = Instant::now();
    if let Err(e) = palisade_scan::git::history(repo.as_ref(), &opts, visit) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
    let engine = engine.into_inner().unwrap_or_default();
    println!(
        "{mode}: {} hits, {} differences, {:.1} MB, {:.1} s in all, {engine:.2} s in the engine ({:.0} MB/s)",
        hits.load(Ordering::Relaxed),
        differences.load(Ordering::Relaxed),
        bytes.load(Ordering::Relaxed) as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        bytes.load(Ordering::Relaxed) as f64 / 1e6 / engine
    );
    if differences.load(Ordering::Relaxed) > 0 {
        std::process::exit(1);
    }
}

/// Every file under `dir` that the tree scan would look at (no NUL byte near the start).
fn collect(dir: &Path, files: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && entry.file_name() != ".git" {
            collect(&entry.path(), files);
        } else if kind.is_file()
            && let Ok(data) = std::fs::read(entry.path())
            && !data[..data.len().min(8192)].contains(&0)
        {
            files.push(data);
        }
    }
}

/// The engine as it was: a leftmost-longest keyword search restarted after each match's
/// start (each keyword triggering the rules of the keywords inside it), then each triggered
/// rule's regex over the whole buffer.
struct Reference {
    keywords: AhoCorasick,
    keyword_rules: Vec<Vec<usize>>,
}

impl Reference {
    fn new(scanner: &Scanner) -> Self {
        let mut words: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, rule) in scanner.rules().rules().iter().enumerate() {
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
        let keywords = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&words)
            .expect("the keywords build an automaton");
        Reference {
            keywords,
            keyword_rules,
        }
    }

    fn scan(
        &self,
        scanner: &Scanner,
        data: &[u8],
        mut costs: Option<&mut Vec<(f64, u64)>>,
    ) -> Vec<Hit> {
        let mut triggered = vec![false; scanner.rules().len()];
        let mut at = 0;
        while at < data.len() {
            let Some(m) = self.keywords.find(Input::new(data).span(at..data.len())) else {
                break;
            };
            for &rule in &self.keyword_rules[m.pattern().as_usize()] {
                triggered[rule] = true;
            }
            at = m.start() + 1;
        }
        let mut hits = Vec::new();
        for (index, rule) in scanner.rules().rules().iter().enumerate() {
            if !triggered[index] {
                continue;
            }
            let started = Instant::now();
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
                let Some(strength) = judge(rule, data, whole.range(), start..end, &locations)
                else {
                    continue;
                };
                hits.push(Hit {
                    rule: index,
                    span: whole.start()..whole.end(),
                    secret: start..end,
                    guessable: strength == Strength::Guessable,
                });
            }
            if let Some(costs) = costs.as_deref_mut() {
                costs[index].0 += started.elapsed().as_secs_f64();
                costs[index].1 += 1;
            }
        }
        resolve(scanner.rules(), hits)
    }
}
