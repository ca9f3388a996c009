#![no_main]
//! cargo-fuzz target: see tests/reliability_fuzz/checks.rs (`error_document`).

#[path = "../../tests/reliability_fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::error_document(data));
