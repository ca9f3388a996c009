#![no_main]
//! cargo-fuzz target: see tests/reliability_fuzz/checks.rs (`key_encoding`).

#[path = "../../tests/reliability_fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::key_encoding(data));
