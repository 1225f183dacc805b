//! Issuing SSH certificates (divan). Target: one certificate, signed and
//! written as its OpenSSH line, in under 1 ms.
//!
//! `cargo bench -p palisade-access --bench ssh`
//!
//! `bench/ssh-cert.sh` times `ssh-keygen -s` (one process per certificate)
//! beside ours; it uses one mode of this binary: `SSH_CERT_BENCH_ONCE=N`
//! issues N certificates one at a time and prints the median and p99.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::hint::black_box;
use std::sync::LazyLock;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use palisade_access::secrets::Key;
use palisade_access::ssh::{CaKey, CertificateRequest, Krl, SourceAddresses, UserPublicKey};

static CA: LazyLock<CaKey> = LazyLock::new(|| CaKey::from_seed(&[0x5a; 32]));
static USER: LazyLock<UserPublicKey> = LazyLock::new(|| {
    UserPublicKey::parse(&CaKey::from_seed(&[0x17; 32]).public_key().to_openssh()).unwrap()
});
static PRINCIPALS: LazyLock<Vec<String>> =
    LazyLock::new(|| vec!["alice".to_owned(), "deploy".to_owned()]);
static SOURCE: LazyLock<SourceAddresses> =
    LazyLock::new(|| SourceAddresses::parse("10.0.0.0/8,192.168.1.0/24").unwrap());

fn request(serial: u64) -> CertificateRequest<'static> {
    let start: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
    CertificateRequest {
        public_key: &USER,
        key_id: "grant-01HZXQ7W3V8M2K",
        serial,
        principals: &PRINCIPALS,
        valid_after: start,
        valid_before: start + SignedDuration::from_hours(1),
        max_validity: SignedDuration::from_hours(8),
        source_address: Some(&SOURCE),
    }
}

fn main() {
    if let Some(n) = std::env::var_os("SSH_CERT_BENCH_ONCE") {
        let n: usize = n.to_str().and_then(|s| s.parse().ok()).unwrap_or(1000);
        for serial in 1..=100 {
            black_box(CA.issue(&request(serial)).unwrap().to_openssh());
        }
        let mut times: Vec<f64> = (1..=n as u64)
            .map(|serial| {
                let start = Instant::now();
                black_box(CA.issue(&request(serial)).unwrap().to_openssh());
                start.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
        println!("issue_us_median={median:.1} issue_us_p99={p99:.1} n={n}");
        return;
    }
    divan::main();
}

/// One certificate, signed, as the line written to the user's file.
#[divan::bench]
fn issue_certificate(bencher: divan::Bencher) {
    let mut serial = 0;
    bencher.bench_local(|| {
        serial += 1;
        CA.issue(&request(serial)).unwrap().to_openssh()
    });
}

/// Parsing the user's public key line (done once per request).
#[divan::bench]
fn parse_public_key(bencher: divan::Bencher) {
    let line = USER.to_openssh();
    bencher.bench(|| UserPublicKey::parse(black_box(&line)).unwrap());
}

/// A KRL of 10,000 revoked certificates (ranges, lists and key ids).
#[divan::bench]
fn encode_krl_10000(bencher: divan::Bencher) {
    let mut krl = Krl::new();
    for i in 0..10_000u64 {
        // Mostly scattered, some runs.
        let serial = if i % 4 == 0 { i + 1 } else { i * 7 + 1 };
        krl.revoke_serial(serial).unwrap();
        if i % 10 == 0 {
            krl.revoke_key_id(&format!("grant-{i}")).unwrap();
        }
    }
    let ca = CA.public_key();
    let at: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
    bencher.bench(|| krl.encode(&ca, 1, at));
}

/// Sealing and opening the CA key.
#[divan::bench]
fn seal_and_open_ca_key(bencher: divan::Bencher) {
    let key = Key::from_bytes([3; 32]);
    bencher.bench(|| CaKey::open(&CA.seal(&key).unwrap(), &key).unwrap());
}
