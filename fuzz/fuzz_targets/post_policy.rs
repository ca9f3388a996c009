#![no_main]
//! cargo-fuzz target: see tests/reliability_fuzz/checks.rs (`post_policy_form`).

#[path = "../../tests/reliability_fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::post_policy_form(data));
