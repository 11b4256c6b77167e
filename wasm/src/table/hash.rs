//! The hash functions RocksDB's filters use, frozen as part of the file format.
//!
//! - [`xxph3_64`]: XXPH3, the *preview* of XXH3 from xxHash 0.7.2 that RocksDB froze in
//!   `util/xxph3.h` (with one RocksDB change: the empty input hashes the secret instead of
//!   returning 0). It differs from final XXH3, so no crate provides it; hand-written here from
//!   the algorithm's description, scalar code only. Used by FastLocalBloom filters.
//! - [`legacy_bloom_hash`]: the 32-bit Murmur1-style hash of the legacy full filter.
//!
//! Final XXH3/XXH32/XXH64 (block checksums) come from the `xxhash-rust` crate instead.

const PRIME32_1: u64 = 0x9E37_79B1;
const PRIME32_2: u64 = 0x85EB_CA77;
const PRIME32_3: u64 = 0xC2B2_AE3D;
const PRIME64_1: u64 = 0x9E37_79B1_85EB_CA87;
const PRIME64_2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const PRIME64_3: u64 = 0x1656_67B1_9E37_79F9;
const PRIME64_4: u64 = 0x85EB_CA77_C2B2_AE63;
const PRIME64_5: u64 = 0x27D4_EB2F_1656_67C5;

/// The default 192-byte secret of XXH3 0.7.2.
const SECRET: [u8; 192] = [
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
];
/// Smallest secret XXH3 accepts; the mid-size path indexes from its end.
const SECRET_SIZE_MIN: usize = 136;
const STRIPE_LEN: usize = 64;
const SECRET_CONSUME_RATE: usize = 8;

/// Reads a little-endian u64 at `at`; out-of-range reads yield 0 (never happens for the
/// in-bounds offsets below, which the length checks of each path guarantee).
fn r64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

fn r32(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, |a| u64::from(u32::from_le_bytes(a)))
}

fn byte(b: &[u8], at: usize) -> u64 {
    b.get(at).map_or(0, |&x| u64::from(x))
}

fn mul128_fold64(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

fn avalanche(mut h: u64) -> u64 {
    h ^= h >> 37;
    h = h.wrapping_mul(PRIME64_3);
    h ^ (h >> 32)
}

fn mix16(input: &[u8], at: usize, secret_at: usize) -> u64 {
    mul128_fold64(
        r64(input, at) ^ r64(&SECRET, secret_at),
        r64(input, at + 8) ^ r64(&SECRET, secret_at + 8),
    )
}

fn len_0to16(input: &[u8]) -> u64 {
    let len = input.len();
    let len64 = len as u64;
    if len > 8 {
        let lo = r64(input, 0) ^ r64(&SECRET, 0);
        let hi = r64(input, len - 8) ^ r64(&SECRET, 8);
        let acc = len64
            .wrapping_add(lo.wrapping_add(hi))
            .wrapping_add(mul128_fold64(lo, hi));
        avalanche(acc)
    } else if len >= 4 {
        let input64 = r32(input, 0) | (r32(input, len - 4) << 32);
        let keyed = input64 ^ r64(&SECRET, 0);
        let mix = len64.wrapping_add((keyed ^ (keyed >> 51)).wrapping_mul(PRIME32_1));
        avalanche((mix ^ (mix >> 47)).wrapping_mul(PRIME64_2))
    } else if len > 0 {
        let combined = byte(input, 0)
            | (byte(input, len >> 1) << 8)
            | (byte(input, len - 1) << 16)
            | (len64 << 24);
        let keyed = combined ^ r32(&SECRET, 0);
        avalanche(keyed.wrapping_mul(PRIME64_1))
    } else {
        // RocksDB's change to the preview: hash the (seed +) secret rather than return 0.
        mul128_fold64(r64(&SECRET, 0), PRIME64_2)
    }
}

fn len_17to128(input: &[u8]) -> u64 {
    let len = input.len();
    let mut acc = (len as u64).wrapping_mul(PRIME64_1);
    if len > 32 {
        if len > 64 {
            if len > 96 {
                acc = acc.wrapping_add(mix16(input, 48, 96));
                acc = acc.wrapping_add(mix16(input, len - 64, 112));
            }
            acc = acc.wrapping_add(mix16(input, 32, 64));
            acc = acc.wrapping_add(mix16(input, len - 48, 80));
        }
        acc = acc.wrapping_add(mix16(input, 16, 32));
        acc = acc.wrapping_add(mix16(input, len - 32, 48));
    }
    acc = acc.wrapping_add(mix16(input, 0, 0));
    acc = acc.wrapping_add(mix16(input, len - 16, 16));
    avalanche(acc)
}

fn len_129to240(input: &[u8]) -> u64 {
    let len = input.len();
    let mut acc = (len as u64).wrapping_mul(PRIME64_1);
    for i in 0..8 {
        acc = acc.wrapping_add(mix16(input, 16 * i, 16 * i));
    }
    acc = avalanche(acc);
    for i in 8..len / 16 {
        acc = acc.wrapping_add(mix16(input, 16 * i, 16 * (i - 8) + 3));
    }
    acc = acc.wrapping_add(mix16(input, len - 16, SECRET_SIZE_MIN - 17));
    avalanche(acc)
}

fn accumulate_512(acc: &mut [u64; 8], input: &[u8], at: usize, secret_at: usize) {
    for (i, lane) in acc.iter_mut().enumerate() {
        let data = r64(input, at + 8 * i);
        let key = data ^ r64(&SECRET, secret_at + 8 * i);
        *lane = lane
            .wrapping_add(data)
            .wrapping_add((key & 0xffff_ffff).wrapping_mul(key >> 32));
    }
}

fn scramble(acc: &mut [u64; 8]) {
    let secret_at = SECRET.len() - STRIPE_LEN;
    for (i, lane) in acc.iter_mut().enumerate() {
        let mut a = *lane;
        a ^= a >> 47;
        a ^= r64(&SECRET, secret_at + 8 * i);
        *lane = a.wrapping_mul(PRIME32_1);
    }
}

fn hash_long(input: &[u8]) -> u64 {
    let len = input.len();
    let mut acc = [
        PRIME32_3, PRIME64_1, PRIME64_2, PRIME64_3, PRIME64_4, PRIME32_2, PRIME64_5, PRIME32_1,
    ];
    let rounds = (SECRET.len() - STRIPE_LEN) / SECRET_CONSUME_RATE;
    let block_len = STRIPE_LEN * rounds;
    let blocks = len / block_len;
    for b in 0..blocks {
        for s in 0..rounds {
            accumulate_512(
                &mut acc,
                input,
                b * block_len + s * STRIPE_LEN,
                s * SECRET_CONSUME_RATE,
            );
        }
        scramble(&mut acc);
    }
    let stripes = (len - blocks * block_len) / STRIPE_LEN;
    for s in 0..stripes {
        accumulate_512(
            &mut acc,
            input,
            blocks * block_len + s * STRIPE_LEN,
            s * SECRET_CONSUME_RATE,
        );
    }
    if len % STRIPE_LEN != 0 {
        accumulate_512(
            &mut acc,
            input,
            len - STRIPE_LEN,
            SECRET.len() - STRIPE_LEN - 7,
        );
    }
    let mut result = (len as u64).wrapping_mul(PRIME64_1);
    for i in 0..4 {
        result = result.wrapping_add(mul128_fold64(
            acc[2 * i] ^ r64(&SECRET, 11 + 16 * i),
            acc[2 * i + 1] ^ r64(&SECRET, 11 + 16 * i + 8),
        ));
    }
    avalanche(result)
}

/// XXPH3_64bits with seed 0, as RocksDB's `Hash64` (the FastLocalBloom key hash).
pub fn xxph3_64(input: &[u8]) -> u64 {
    match input.len() {
        0..=16 => len_0to16(input),
        17..=128 => len_17to128(input),
        129..=240 => len_129to240(input),
        _ => hash_long(input),
    }
}

/// RocksDB's 32-bit `Hash` (Murmur1-like) with the legacy Bloom seed `0xbc9f1d34`. Tail bytes are
/// sign-extended, as RocksDB's format definition fixes.
pub fn legacy_bloom_hash(data: &[u8]) -> u32 {
    const M: u32 = 0xc6a4_a793;
    const SEED: u32 = 0xbc9f_1d34;
    let mut h = SEED ^ (data.len() as u32).wrapping_mul(M);
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        h = h.wrapping_add(w).wrapping_mul(M);
        h ^= h >> 16;
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate().rev() {
            h = h.wrapping_add(((b as i8) as i32 as u32) << (8 * i));
        }
        h = h.wrapping_mul(M);
        h ^= h >> 24;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xxph3_matches_rocksdb_test_vectors() {
        assert_eq!(xxph3_64(b""), 0x5342_c301_0fe1_dd04);
        assert_eq!(xxph3_64(b"a"), 0x88d8_68bf_6076_81c7);
        assert_eq!(xxph3_64(b"apricot"), 0x6164_1a96_1928_422b);
    }

    #[test]
    fn xxph3_is_defined_for_every_length_path() {
        // Every code path (0..16, 17..128, 129..240, long with partial stripes and several
        // blocks) runs without panicking and gives distinct values for distinct inputs.
        let data: Vec<u8> = (0..3000u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut seen = std::collections::HashSet::new();
        for len in [
            0, 1, 3, 4, 8, 9, 16, 17, 32, 33, 64, 65, 96, 97, 128, 129, 200, 240, 241, 1024, 1025,
            2999,
        ] {
            assert!(seen.insert(xxph3_64(&data[..len])), "collision at {len}");
        }
    }

    #[test]
    fn legacy_hash_sign_extends_tail_bytes() {
        // Values computed from RocksDB's util/hash.cc definition (seed 0xbc9f1d34).
        assert_ne!(legacy_bloom_hash(&[0x80]), legacy_bloom_hash(&[0x7f]));
        assert_eq!(legacy_bloom_hash(b""), 0xbc9f_1d34);
    }
}
