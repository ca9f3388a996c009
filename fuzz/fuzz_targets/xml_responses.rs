#![no_main]
//! cargo-fuzz target: see tests/reliability_fuzz/checks.rs (`xml_responses`).

#[path = "../../tests/reliability_fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::xml_responses(data));
