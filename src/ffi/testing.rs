//! Test-only entry points. Compiled only with debug assertions (the profile
//! `cargo test` uses), absent from release builds and left out of `include/qcos.h`
//! (cbindgen.toml `[export] exclude`): the C tests declare them themselves.
//!
//! Why not a cargo feature: `cargo test` builds `target/debug/deps/libqcos.a` once for
//! the whole test run; a feature enabled only for tests would need a self
//! dev-dependency, and `cargo build` would then write a differently-featured archive
//! to the same file name, so the C tests could link a stale archive.

use super::entry::entry;
use crate::error::Status;

/// Panics inside the entry wrapper, to prove the panic is caught and reported as
/// `QCOS_STATUS_INTERNAL` with a last-error message (debug builds only).
#[unsafe(no_mangle)]
pub extern "C" fn qcos_test_panic() -> Status {
    entry(|| panic!("qcos_test_panic was called (a test-only entry point)"))
}
