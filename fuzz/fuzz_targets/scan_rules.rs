//! The rule-file parser: any text either loads as rules or fails with an error naming
//! the file, never a panic; rules that load can scan their own examples.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_scan::engine::Scanner;
use palisade_scan::rules::RuleSet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut set = RuleSet::default();
    match set.add_toml("fuzz.toml", text) {
        Ok(()) => {
            let Ok(scanner) = Scanner::new(set.clone()) else {
                return;
            };
            for rule in set.rules() {
                for example in rule.spec.examples.iter().chain(&rule.spec.counter_examples) {
                    for hit in scanner.scan(example.as_bytes()) {
                        assert!(hit.secret.end <= example.len() && hit.secret.start <= hit.secret.end);
                    }
                }
            }
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.toml"), "{e}"),
    }
});
