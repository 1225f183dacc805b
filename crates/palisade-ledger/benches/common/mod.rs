//! What the store-backed ledger benchmarks share: the binary's allocator,
//! the log's origin, a realistic event, and sizes from the environment.

use jiff::Timestamp;
use palisade_ledger::ledger::Event;
use serde_json::json;

/// The allocator the `palisade` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The benchmark log's origin.
pub const ORIGIN: &str = "bench.example/palisade";

/// The `i`th event: a mix of kinds, subjects and actors of realistic size.
pub fn event(i: u64) -> Event {
    Event {
        time: Timestamp::from_second(1_790_000_000 + i as i64).unwrap(),
        actor: format!("person-{}", i % 50),
        kind: ["gate.verdict", "access.grant", "scan.summary"][(i % 3) as usize].to_owned(),
        subject: format!("service-{}", i % 200),
        data: json!({"n": i, "pass": !i.is_multiple_of(7), "reason": "owner approval and tests present"}),
    }
}

/// A size from the environment variable `name`, else `default`.
#[allow(dead_code)] // each benchmark uses what it needs
pub fn env_size(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
