//! Measures `palisade_scan::git::history` (or `range`) on a repository.
//!
//! ```text
//! cargo run --release -p palisade-scan --example git_walk -- <repo> [threads] [range]
//! ```
//!
//! Prints the enumeration time (until the first blob reaches `visit`, which only happens
//! once every commit has been compared with its parents), the total time to read every
//! blob (visit only sums lengths) and the statistics.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use palisade_scan::git::{HistoryOptions, history, range};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(repo) = args.next() else {
        eprintln!("usage: git_walk <repo> [threads] [range]");
        std::process::exit(2);
    };
    let threads = args.next().and_then(|t| t.parse().ok()).unwrap_or(0);
    let spec = args.next();
    let opts = HistoryOptions {
        threads,
        ..HistoryOptions::default()
    };
    let start = Instant::now();
    let first = Mutex::new(None);
    let summed = AtomicU64::new(0);
    let visit = |data: &[u8], _origin: &palisade_scan::git::Origin| {
        if let Ok(mut first) = first.lock()
            && first.is_none()
        {
            *first = Some(start.elapsed());
        }
        summed.fetch_add(data.len() as u64, Ordering::Relaxed);
    };
    let result = match &spec {
        Some(spec) => range(repo.as_ref(), spec, &opts, visit),
        None => history(repo.as_ref(), &opts, visit),
    };
    let total = start.elapsed();
    match result {
        Ok(stats) => {
            let enumeration = first.lock().ok().and_then(|f| *f).unwrap_or(total);
            println!("enumeration: {:.2} s", enumeration.as_secs_f64());
            println!("total:       {:.2} s", total.as_secs_f64());
            println!(
                "commits {} blobs {} bytes {} ({:.2} GiB) skipped_large {} errors {}",
                stats.commits,
                stats.blobs,
                stats.bytes,
                stats.bytes as f64 / (1u64 << 30) as f64,
                stats.skipped_large,
                stats.errors.len()
            );
            for e in stats.errors.iter().take(5) {
                println!("  error: {e}");
            }
            assert_eq!(summed.load(Ordering::Relaxed), stats.bytes);
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
