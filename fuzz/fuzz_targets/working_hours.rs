//! The working-hours parser never panics and its error offsets stay in range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_model::WorkingHours;

fuzz_target!(|text: &str| {
    if let Err(e) = WorkingHours::parse(text) {
        assert!(e.offset <= text.len());
    }
});
