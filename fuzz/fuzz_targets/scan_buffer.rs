//! The scanner's entry point: any bytes (invalid UTF-8, NUL, huge lines) are scanned
//! with every built-in rule and the personal-data detectors without a panic, and every
//! finding points inside the buffer and never carries the secret in clear.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use palisade_scan::scan::{Buffer, Report, ScanConfig};
use palisade_scan::setup::{self, SetupOptions};

static CONFIG: LazyLock<ScanConfig> = LazyLock::new(|| {
    setup::build(&SetupOptions {
        pii: true,
        ..SetupOptions::default()
    })
    .expect("the built-in setup")
});

fuzz_target!(|data: &[u8]| {
    let mut report = Report::default();
    // Under a test path, so the personal-data detectors run too.
    CONFIG.scan_buffer(Buffer::whole("tests/fixtures/fuzz.txt", data), data.len(), &mut report);
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    for f in &report.findings {
        assert!(f.line >= 1 && f.line <= f.end_line && f.end_line <= lines, "{f:?}");
        assert!(f.redacted.contains('…'));
    }
});
