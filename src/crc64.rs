//! CRC-64 as COS computes it (`x-cos-hash-crc64ecma`): CRC-64/XZ, reflected ECMA-182
//! polynomial, init and xorout all ones. Backed by `crc-fast` (SIMD, chosen at run time).

use crc_fast::{CrcAlgorithm, Digest};

/// Streaming CRC-64/XZ.
#[derive(Clone)]
pub struct Crc64(Digest);

impl Default for Crc64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc64 {
    pub fn new() -> Self {
        Crc64(Digest::new(CrcAlgorithm::Crc64Xz))
    }
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    pub fn finish(&self) -> u64 {
        self.0.finalize()
    }
}

/// CRC-64/XZ of a buffer.
pub fn checksum(data: &[u8]) -> u64 {
    crc_fast::checksum(CrcAlgorithm::Crc64Xz, data)
}

/// The CRC of `A ‖ B` from `crc(A)`, `crc(B)` and `len(B)`.
pub fn combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
    if len_b == 0 {
        return crc_a;
    }
    crc_fast::checksum_combine(CrcAlgorithm::Crc64Xz, crc_a, crc_b, len_b)
}

/// Parse the decimal `x-cos-hash-crc64ecma` header value.
pub fn parse_header(v: &str) -> Option<u64> {
    v.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value_and_empty() {
        assert_eq!(checksum(b"123456789"), 0x995DC9BBDF1939FA);
        assert_eq!(checksum(b""), 0);
        let mut c = Crc64::new();
        c.update(b"1234");
        c.update(b"56789");
        assert_eq!(c.finish(), 0x995DC9BBDF1939FA);
    }

    #[test]
    fn combine_matches_whole() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for split in [0, 1, 4095, 50_000, 99_999, 100_000] {
            let (a, b) = data.split_at(split);
            assert_eq!(
                combine(checksum(a), checksum(b), b.len() as u64),
                checksum(&data)
            );
        }
        assert_eq!(
            parse_header(" 11051210869376104954 "),
            Some(0x995DC9BBDF1939FA)
        );
        assert_eq!(parse_header("x"), None);
    }
}
