#![no_main]
//! cargo-fuzz target: see tests/reliability_fuzz/checks.rs (`request_bodies`).

#[path = "../../tests/reliability_fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::request_bodies(data));
