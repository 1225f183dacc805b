//! Any bytes given to `palisade check` must yield a model or diagnostics,
//! never a panic, and every diagnostic must point inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_model::{Day, Source, check};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = Source::from_bytes("fuzz.toml".into(), data.to_vec()) else { return };
    let today: Day = "2026-11-22".parse().expect("a valid date");
    let checked = check(&source, today);
    for d in &checked.diagnostics {
        if let Some(span) = &d.primary.span {
            assert!(span.start <= span.end && span.end <= source.text.len());
        }
    }
});
