//! Per-block compression, as the compression byte of the block trailer says.
//!
//! ```text
//! 0 none | 1 Snappy (raw, own varint preamble) | 2 zlib (raw deflate) | 3 BZip2 | 4 LZ4 | 5 LZ4HC
//! | 7 ZSTD          stored = varint32 uncompressed_len ‖ compressed   (all but none and Snappy)
//! ```
//! Written: none, Snappy, LZ4. Read: none, Snappy, zlib, LZ4, LZ4HC (same decoder as LZ4).
//! BZip2 and ZSTD are reported as [`Error::Unsupported`] naming the block.

use crate::coding::{get_varint32, put_varint32};
use crate::{Error, Result};

/// A block is never inflated beyond this (1 GiB) nor beyond [`MAX_RATIO`] times its stored size:
/// the uncompressed length is read from disk and must be bounded before allocating.
const MAX_UNCOMPRESSED: usize = 1 << 30;
/// deflate's ratio limit is about 1032:1, LZ4's and Snappy's lower.
const MAX_RATIO: usize = 1100;

/// Compression type byte values. DO NOT RENUMBER: stored in block trailers.
pub const NO_COMPRESSION: u8 = 0;
/// Snappy.
pub const SNAPPY: u8 = 1;
/// zlib (raw deflate).
pub const ZLIB: u8 = 2;
/// BZip2.
pub const BZIP2: u8 = 3;
/// LZ4.
pub const LZ4: u8 = 4;
/// LZ4HC (decoded like LZ4).
pub const LZ4HC: u8 = 5;
/// ZSTD.
pub const ZSTD: u8 = 7;

/// The compression the table builder applies to data blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Store blocks as they are.
    #[default]
    None,
    /// Snappy.
    Snappy,
    /// LZ4 (block format).
    Lz4,
}

impl Compression {
    /// The name RocksDB stores in the `rocksdb.compression` property.
    pub fn rocksdb_name(self) -> &'static str {
        match self {
            Compression::None => "NoCompression",
            Compression::Snappy => "Snappy",
            Compression::Lz4 => "LZ4",
        }
    }
}

/// Compresses `raw`; returns the type byte and the stored bytes, or `None` if compression does
/// not save at least 1/8 (RocksDB's rule), in which case the block is stored raw.
pub fn compress(kind: Compression, raw: &[u8]) -> Option<(u8, Vec<u8>)> {
    let (byte, out) = match kind {
        Compression::None => return None,
        Compression::Snappy => (SNAPPY, snap::raw::Encoder::new().compress_vec(raw).ok()?),
        Compression::Lz4 => {
            let mut out = Vec::new();
            put_varint32(&mut out, u32::try_from(raw.len()).ok()?);
            out.extend_from_slice(&lz4_flex::block::compress(raw));
            (LZ4, out)
        }
    };
    (out.len() < raw.len() - raw.len() / 8).then_some((byte, out))
}

/// Undoes the compression `kind` of the block stored at `offset` of `file`.
pub fn decompress(kind: u8, stored: &[u8], file: &str, offset: u64) -> Result<Vec<u8>> {
    let corrupt = |why: String| Error::corruption(file, offset, why);
    let bound = stored.len().saturating_mul(MAX_RATIO).min(MAX_UNCOMPRESSED);
    let check_len = |len: usize| {
        if len > bound {
            Err(corrupt(format!(
                "uncompressed length {len} implausible for a {} byte block",
                stored.len()
            )))
        } else {
            Ok(len)
        }
    };
    match kind {
        NO_COMPRESSION => Ok(stored.to_vec()),
        SNAPPY => {
            let len = snap::raw::decompress_len(stored)
                .map_err(|e| corrupt(format!("bad snappy block: {e}")))?;
            check_len(len)?;
            snap::raw::Decoder::new()
                .decompress_vec(stored)
                .map_err(|e| corrupt(format!("bad snappy block: {e}")))
        }
        ZLIB | LZ4 | LZ4HC => {
            let mut src = stored;
            let len = get_varint32(&mut src)
                .ok_or_else(|| corrupt("bad uncompressed length prefix".into()))?;
            let len = check_len(usize::try_from(len).unwrap_or(usize::MAX))?;
            let out = if kind == ZLIB {
                miniz_oxide::inflate::decompress_to_vec_with_limit(src, len)
                    .map_err(|e| corrupt(format!("bad zlib block: {e:?}")))?
            } else {
                lz4_flex::block::decompress(src, len)
                    .map_err(|e| corrupt(format!("bad lz4 block: {e}")))?
            };
            if out.len() != len {
                return Err(corrupt(format!(
                    "block inflated to {} bytes, prefix says {len}",
                    out.len()
                )));
            }
            Ok(out)
        }
        BZIP2 | ZSTD => Err(Error::Unsupported(format!(
            "{file}: block at offset {offset} uses compression type {kind} ({})",
            if kind == BZIP2 { "BZip2" } else { "ZSTD" }
        ))),
        other => Err(corrupt(format!("unknown compression type {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn compressible() -> Vec<u8> {
        (0..5000u32)
            .flat_map(|i| format!("key{:08}", i % 97).into_bytes())
            .collect()
    }

    #[test]
    fn snappy_and_lz4_round_trip() -> Result<()> {
        let raw = compressible();
        for kind in [Compression::Snappy, Compression::Lz4] {
            let (byte, stored) = compress(kind, &raw).ok_or(Error::Closed)?;
            assert!(stored.len() < raw.len() / 2);
            assert_eq!(decompress(byte, &stored, "t", 0)?, raw);
        }
        Ok(())
    }

    #[test]
    fn zlib_raw_deflate_is_read() -> Result<()> {
        let raw = compressible();
        let mut stored = Vec::new();
        put_varint32(&mut stored, raw.len() as u32);
        stored.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(&raw, 6));
        assert_eq!(decompress(ZLIB, &stored, "t", 0)?, raw);
        Ok(())
    }

    #[test]
    fn incompressible_blocks_are_stored_raw() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let raw: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        assert_eq!(compress(Compression::Lz4, &raw), None);
    }

    #[test]
    fn absurd_uncompressed_length_is_corruption_not_allocation() {
        let mut stored = Vec::new();
        put_varint32(&mut stored, u32::MAX);
        stored.extend_from_slice(&[0u8; 10]);
        assert!(matches!(
            decompress(LZ4, &stored, "t", 0),
            Err(Error::Corruption { .. })
        ));
    }

    #[test]
    fn zstd_is_unsupported_naming_the_block() {
        match decompress(ZSTD, b"xx", "000009.sst", 4242) {
            Err(Error::Unsupported(m)) => assert!(m.contains("000009.sst") && m.contains("4242")),
            other => panic!("expected unsupported, got {other:?}"),
        }
    }

    proptest! {
        #[test]
        fn decompressing_arbitrary_bytes_never_panics(kind in 0u8..8, bytes: Vec<u8>) {
            let _ = decompress(kind, &bytes, "t", 0);
        }
    }
}
