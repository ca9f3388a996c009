#![no_main]
//! cargo-fuzz target: see tests/reliability_fuzz/checks.rs (`signer`).

#[path = "../../tests/reliability_fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::signer(data));
