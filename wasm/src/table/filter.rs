//! Full (whole-table) Bloom filters over user keys.
//!
//! ```text
//! FastLocalBloom (written and read):
//!   bits[len]  0xFF  0x00  (log2(line_bytes) - 6) << 5 | num_probes  0x00 0x00
//!   len is a multiple of 64; per key h = XXPH3_64(key):
//!   line = (len/64 * low32(h)) >> 32; h2 = high32(h); num_probes times:
//!     set bit (h2 >> 23) of the 512-bit line; h2 *= 0x9e3779b9
//! Legacy full filter (read only):
//!   bits[len]  num_probes:u8 (1..=127)  num_lines:fixed32
//!   h = legacy_bloom_hash(key); line = h % num_lines; delta = rotr(h, 17); num_probes times:
//!     set bit (h & (line_bits - 1)) of the line; h += delta
//! ```
//! Metadata RocksDB reserves (other sub-implementations, Ribbon, odd probe counts) reads as
//! "may contain everything", as RocksDB does; a filter of 5 bytes or less holds no key.

use super::hash::{legacy_bloom_hash, xxph3_64};

const METADATA_LEN: usize = 5;

/// Number of probes RocksDB picks for a bits-per-key setting (in thousandths).
fn choose_num_probes(millibits_per_key: u64) -> u8 {
    match millibits_per_key {
        0..=2080 => 1,
        2081..=3580 => 2,
        3581..=5100 => 3,
        5101..=6640 => 4,
        6641..=8300 => 5,
        8301..=10070 => 6,
        10071..=11720 => 7,
        11721..=14001 => 8,
        14002..=16050 => 9,
        16051..=18300 => 10,
        18301..=22001 => 11,
        22002..=25501 => 12,
        25502..=50000 => ((millibits_per_key - 1) / 2000 - 1) as u8,
        _ => 24,
    }
}

/// Collects user-key hashes and builds a FastLocalBloom filter block.
pub struct FilterBuilder {
    millibits_per_key: u64,
    hashes: Vec<u64>,
}

impl FilterBuilder {
    /// A builder for `bits_per_key` (1..=100; RocksDB's clamping).
    pub fn new(bits_per_key: u32) -> FilterBuilder {
        FilterBuilder {
            millibits_per_key: u64::from(bits_per_key.clamp(1, 100)) * 1000,
            hashes: Vec::new(),
        }
    }

    /// Adds a user key; consecutive duplicates (versions of one key) are added once.
    pub fn add_key(&mut self, user_key: &[u8]) {
        let h = xxph3_64(user_key);
        if self.hashes.last() != Some(&h) {
            self.hashes.push(h);
        }
    }

    /// Number of distinct keys added.
    pub fn num_entries(&self) -> usize {
        self.hashes.len()
    }

    /// The filter block's bytes.
    pub fn finish(&self) -> Vec<u8> {
        let n = self.hashes.len() as u64;
        let raw_len = (n * self.millibits_per_key).div_ceil(8000).min(0xffff_ffc0);
        let len = (raw_len + 63) & !63;
        let num_probes = choose_num_probes(self.millibits_per_key);
        let mut out = vec![0u8; len as usize];
        let lines = len >> 6;
        if lines > 0 {
            for &h in &self.hashes {
                let line = ((lines * (h & 0xffff_ffff)) >> 32) as usize;
                let mut h2 = (h >> 32) as u32;
                for _ in 0..num_probes {
                    let bit = (h2 >> 23) as usize;
                    if let Some(b) = out.get_mut(line * 64 + bit / 8) {
                        *b |= 1 << (bit % 8);
                    }
                    h2 = h2.wrapping_mul(0x9e37_79b9);
                }
            }
        }
        out.extend_from_slice(&[0xff, 0x00, num_probes, 0x00, 0x00]);
        out
    }
}

/// A parsed filter block.
#[derive(Debug, Clone)]
pub enum FilterReader {
    /// No key was added: nothing matches.
    AlwaysFalse,
    /// Unknown or reserved format: everything may match.
    AlwaysTrue,
    /// RocksDB's FastLocalBloom (format_version >= 5 default).
    FastLocal {
        /// Filter bits (metadata removed).
        bits: Vec<u8>,
        /// Probes per key.
        num_probes: u8,
    },
    /// The pre-5 full filter.
    Legacy {
        /// Filter bits (metadata removed).
        bits: Vec<u8>,
        /// Probes per key.
        num_probes: u8,
        /// Number of cache lines.
        num_lines: u32,
        /// log2 of the cache line size in bytes.
        log2_line: u32,
    },
}

impl FilterReader {
    /// Interprets a full-filter block as RocksDB 7.8.3 does.
    pub fn new(contents: &[u8]) -> FilterReader {
        let Some(len) = contents.len().checked_sub(METADATA_LEN).filter(|&l| l > 0) else {
            return FilterReader::AlwaysFalse;
        };
        let (bits, meta) = contents.split_at(len);
        let raw_probes = meta.first().map_or(0, |&b| b as i8);
        if raw_probes == -1 {
            let sub_impl = meta.get(1).copied().unwrap_or(1);
            let block_and_probes = meta.get(2).copied().unwrap_or(0);
            let rest = [meta.get(3).copied(), meta.get(4).copied()];
            let num_probes = block_and_probes & 31;
            if sub_impl != 0
                || block_and_probes >> 5 != 0
                || !(1..=30).contains(&num_probes)
                || rest != [Some(0), Some(0)]
                || len % 64 != 0
            {
                return FilterReader::AlwaysTrue;
            }
            return FilterReader::FastLocal {
                bits: bits.to_vec(),
                num_probes,
            };
        }
        if raw_probes < 1 {
            return FilterReader::AlwaysTrue;
        }
        let num_lines = meta
            .get(1..5)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        if num_lines == 0 || len % num_lines as usize != 0 {
            return FilterReader::AlwaysTrue;
        }
        let line_bytes = len / num_lines as usize;
        if !line_bytes.is_power_of_two() {
            return FilterReader::AlwaysTrue;
        }
        FilterReader::Legacy {
            bits: bits.to_vec(),
            num_probes: raw_probes as u8,
            num_lines,
            log2_line: line_bytes.trailing_zeros(),
        }
    }

    /// False only if `user_key` was certainly not added.
    pub fn may_contain(&self, user_key: &[u8]) -> bool {
        match self {
            FilterReader::AlwaysFalse => false,
            FilterReader::AlwaysTrue => true,
            FilterReader::FastLocal { bits, num_probes } => {
                let h = xxph3_64(user_key);
                let lines = (bits.len() >> 6) as u64;
                let line = ((lines * (h & 0xffff_ffff)) >> 32) as usize;
                let mut h2 = (h >> 32) as u32;
                for _ in 0..*num_probes {
                    let bit = (h2 >> 23) as usize;
                    match bits.get(line * 64 + bit / 8) {
                        Some(b) if b & (1 << (bit % 8)) != 0 => {}
                        _ => return false,
                    }
                    h2 = h2.wrapping_mul(0x9e37_79b9);
                }
                true
            }
            FilterReader::Legacy {
                bits,
                num_probes,
                num_lines,
                log2_line,
            } => {
                let mut h = legacy_bloom_hash(user_key);
                let base = ((h % num_lines) as usize) << log2_line;
                let line_bits_mask = (1u32 << (log2_line + 3)) - 1;
                let delta = h.rotate_right(17);
                for _ in 0..*num_probes {
                    let bit = (h & line_bits_mask) as usize;
                    match bits.get(base + bit / 8) {
                        Some(b) if b & (1 << (bit % 8)) != 0 => {}
                        _ => return false,
                    }
                    h = h.wrapping_add(delta);
                }
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(i: u32) -> Vec<u8> {
        format!("user-key-{i:08}").into_bytes()
    }

    #[test]
    fn ten_bits_per_key_uses_six_probes_and_64_byte_lines() {
        let mut b = FilterBuilder::new(10);
        for i in 0..1000 {
            b.add_key(&key(i));
        }
        let f = b.finish();
        assert_eq!(f.len(), 1280 + 5);
        assert_eq!(&f[1280..], &[0xff, 0, 6, 0, 0]);
    }

    #[test]
    fn no_false_negatives_and_about_one_percent_false_positives() {
        let mut b = FilterBuilder::new(10);
        for i in 0..10_000 {
            b.add_key(&key(i));
        }
        let r = FilterReader::new(&b.finish());
        assert!((0..10_000).all(|i| r.may_contain(&key(i))));
        let fp = (10_000..110_000)
            .filter(|&i| r.may_contain(&key(i)))
            .count();
        let rate = fp as f64 / 100_000.0;
        assert!(rate > 0.003 && rate < 0.02, "false positive rate {rate}");
    }

    #[test]
    fn empty_filter_matches_nothing_and_reserved_metadata_matches_everything() {
        assert!(!FilterReader::new(&FilterBuilder::new(10).finish()).may_contain(b"x"));
        let mut f = vec![0u8; 64];
        f.extend_from_slice(&[0xff, 1, 6, 0, 0]); // unknown sub-implementation
        assert!(FilterReader::new(&f).may_contain(b"x"));
    }

    #[test]
    fn legacy_filter_reads_bits_set_by_its_algorithm() {
        // Build a legacy filter by its definition: 2 lines of 64 bytes, 6 probes.
        let (num_lines, probes) = (2u32, 6u8);
        let mut bits = vec![0u8; 128];
        for i in 0..20 {
            let mut h = legacy_bloom_hash(&key(i));
            let base = ((h % num_lines) as usize) * 64;
            let delta = h.rotate_right(17);
            for _ in 0..probes {
                let bit = (h & 511) as usize;
                bits[base + bit / 8] |= 1 << (bit % 8);
                h = h.wrapping_add(delta);
            }
        }
        bits.push(probes);
        bits.extend_from_slice(&num_lines.to_le_bytes());
        let r = FilterReader::new(&bits);
        assert!(matches!(r, FilterReader::Legacy { log2_line: 6, .. }));
        assert!((0..20).all(|i| r.may_contain(&key(i))));
    }

    proptest! {
        #[test]
        fn arbitrary_filter_bytes_never_panic(bytes: Vec<u8>, k: Vec<u8>) {
            let _ = FilterReader::new(&bytes).may_contain(&k);
        }
    }
}
