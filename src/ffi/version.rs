//! Run-time library version, to compare with the header's `QCOS_VERSION_*` macros.

use std::ffi::c_char;

use super::entry::entry_value;

/// `major * 1000000 + minor * 1000 + patch`, the same formula as the header's
/// `QCOS_VERSION_NUMBER` (the build script writes both from Cargo.toml).
pub const VERSION_NUMBER: u32 = parse(env!("CARGO_PKG_VERSION_MAJOR")) * 1_000_000
    + parse(env!("CARGO_PKG_VERSION_MINOR")) * 1_000
    + parse(env!("CARGO_PKG_VERSION_PATCH"));

const fn parse(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0u32;
    while i < b.len() {
        n = n * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    n
}

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library's version as text, e.g. "0.1.0" (the header's `QCOS_VERSION`).
///
/// Compare it (or `qcos_version_number()`) with the header's macros to detect a
/// program built against one version and run against another.
///
/// Returns: a static NUL-terminated string, never NULL; do not free it.
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_version() -> *const c_char {
    entry_value(c"".as_ptr(), || Ok(VERSION.as_ptr().cast()))
}

/// The library's version as `major * 1000000 + minor * 1000 + patch`, equal to the
/// header's `QCOS_VERSION_NUMBER` when header and library match.
///
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qcos_version_number() -> u32 {
    entry_value(0, || Ok(VERSION_NUMBER))
}

#[cfg(test)]
mod tests {
    #[test]
    fn number_matches_text() {
        let parts: Vec<u32> = env!("CARGO_PKG_VERSION")
            .split(['.', '-'])
            .take(3)
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(
            super::VERSION_NUMBER,
            parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2]
        );
    }
}
