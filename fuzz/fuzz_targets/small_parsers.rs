#![no_main]
//! cargo-fuzz target: see tests/reliability_fuzz/checks.rs (`small_parsers`).

#[path = "../../tests/reliability_fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::small_parsers(data));
