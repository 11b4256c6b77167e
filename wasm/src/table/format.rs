//! Framing of a block-based table: block handles, the block trailer and its checksums, the footer.
//!
//! ```text
//! block_handle := offset:varint64 size:varint64          (size excludes the 5-byte trailer)
//! stored_block := contents[size] compression:u8 checksum:fixed32
//! footer (format_version >= 1, 53 bytes):
//!     checksum_type:u8  metaindex:block_handle index:block_handle  zero padding to 40 bytes
//!     format_version:fixed32  magic:fixed64 = 0x88e241b785f4cff7
//! footer (legacy, format_version 0, 48 bytes; checksums are CRC32c):
//!     metaindex:block_handle index:block_handle  zero padding to 40 bytes
//!     magic:fixed64 = 0xdb4775248b80fb57
//! checksum over contents ‖ compression byte:
//!     1 CRC32c   mask(crc32c(contents ‖ type))
//!     2 xxHash32 XXH32(contents ‖ type, seed 0)
//!     3 xxHash64 low32(XXH64(contents ‖ type, seed 0))
//!     4 XXH3     low32(XXH3_64(contents)) ^ (type * 0x6b9083d9)
//! ```
//! See `docs/formats/sst.md`.

use crate::coding::{
    get_fixed32, get_fixed64, get_varint64, put_fixed32, put_fixed64, put_varint64,
};
use crate::log::{mask_crc, unmask_crc};
use crate::{Error, Result};

/// Bytes after every stored block: compression type and checksum.
pub const BLOCK_TRAILER_SIZE: usize = 5;
/// Footer size for format_version >= 1.
pub const FOOTER_SIZE: usize = 53;
/// Footer size of the legacy (format_version 0) footer.
pub const LEGACY_FOOTER_SIZE: usize = 48;
/// Magic number of block-based tables, format_version >= 1.
pub const MAGIC: u64 = 0x88e2_41b7_85f4_cff7;
/// Magic number of legacy block-based tables.
pub const LEGACY_MAGIC: u64 = 0xdb47_7524_8b80_fb57;
/// Longest encoding of a block handle (two 10-byte varints).
pub const MAX_HANDLE_LEN: usize = 20;
/// The format_version this crate writes.
pub const WRITE_FORMAT_VERSION: u32 = 5;

/// Where a block is stored: its offset in the file and its size without trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockHandle {
    /// Offset of the block's first byte.
    pub offset: u64,
    /// Size of the stored (maybe compressed) contents, excluding the trailer.
    pub size: u64,
}

impl BlockHandle {
    /// Appends the handle as two varints.
    pub fn encode_to(&self, dst: &mut Vec<u8>) {
        put_varint64(dst, self.offset);
        put_varint64(dst, self.size);
    }

    /// The handle encoded on its own.
    pub fn encoded(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(MAX_HANDLE_LEN);
        self.encode_to(&mut v);
        v
    }

    /// Decodes a handle from the front of `src`; `None` on a bad varint.
    pub fn decode_from(src: &mut &[u8]) -> Option<BlockHandle> {
        Some(BlockHandle {
            offset: get_varint64(src)?,
            size: get_varint64(src)?,
        })
    }

    /// Offset just past the block's trailer; `None` on overflow.
    pub fn end_with_trailer(&self) -> Option<u64> {
        self.offset
            .checked_add(self.size)?
            .checked_add(BLOCK_TRAILER_SIZE as u64)
    }
}

/// Block checksum algorithms. DO NOT RENUMBER: the value is stored in the footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ChecksumType {
    /// Masked CRC32c (what this crate writes).
    Crc32c = 1,
    /// xxHash32.
    XxHash = 2,
    /// Low 32 bits of xxHash64.
    XxHash64 = 3,
    /// Low 32 bits of XXH3 (RocksDB 7.8.3's default).
    Xxh3 = 4,
}

impl ChecksumType {
    /// The type with stored value `b`, if known (0 "no checksum" is not accepted).
    pub fn from_byte(b: u8) -> Option<ChecksumType> {
        match b {
            1 => Some(ChecksumType::Crc32c),
            2 => Some(ChecksumType::XxHash),
            3 => Some(ChecksumType::XxHash64),
            4 => Some(ChecksumType::Xxh3),
            _ => None,
        }
    }
}

/// The value stored in a block trailer for `contents` followed by the compression byte.
pub fn block_checksum(kind: ChecksumType, contents: &[u8], compression: u8) -> u32 {
    match kind {
        ChecksumType::Crc32c => mask_crc(crc32c::crc32c_append(
            crc32c::crc32c(contents),
            &[compression],
        )),
        ChecksumType::XxHash => {
            let mut h = xxhash_rust::xxh32::Xxh32::new(0);
            h.update(contents);
            h.update(&[compression]);
            h.digest()
        }
        ChecksumType::XxHash64 => {
            let mut h = xxhash_rust::xxh64::Xxh64::new(0);
            h.update(contents);
            h.update(&[compression]);
            h.digest() as u32
        }
        ChecksumType::Xxh3 => {
            (xxhash_rust::xxh3::xxh3_64(contents) as u32)
                ^ u32::from(compression).wrapping_mul(0x6b90_83d9)
        }
    }
}

/// Checks the trailer of a stored block. `stored` is contents followed by the 5-byte trailer;
/// `offset` is where it starts in `file`. Returns the contents and the compression byte.
pub fn verify_block<'a>(
    kind: ChecksumType,
    stored: &'a [u8],
    file: &str,
    offset: u64,
) -> Result<(&'a [u8], u8)> {
    let split = stored
        .len()
        .checked_sub(BLOCK_TRAILER_SIZE)
        .ok_or_else(|| Error::corruption(file, offset, "block shorter than its trailer"))?;
    let (contents, trailer) = stored.split_at(split);
    let (&compression, mut rest) = trailer
        .split_first()
        .ok_or_else(|| Error::corruption(file, offset, "missing block trailer"))?;
    let stored_sum = get_fixed32(&mut rest)
        .ok_or_else(|| Error::corruption(file, offset, "missing block checksum"))?;
    let actual = block_checksum(kind, contents, compression);
    if actual != stored_sum {
        let shown = if kind == ChecksumType::Crc32c {
            format!(
                "block checksum mismatch ({kind:?}): stored {:#010x}, computed {:#010x}",
                unmask_crc(stored_sum),
                unmask_crc(actual)
            )
        } else {
            format!("block checksum mismatch ({kind:?}): stored {stored_sum:#010x}, computed {actual:#010x}")
        };
        return Err(Error::corruption(file, offset, shown));
    }
    Ok((contents, compression))
}

/// Appends the trailer (compression byte, CRC32c checksum) for `contents`.
pub fn put_block_trailer(dst: &mut Vec<u8>, contents: &[u8], compression: u8) {
    dst.push(compression);
    put_fixed32(
        dst,
        block_checksum(ChecksumType::Crc32c, contents, compression),
    );
}

/// The last bytes of a table: where its metaindex and index blocks are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// Checksum type of every block.
    pub checksum: ChecksumType,
    /// Handle of the metaindex block.
    pub metaindex: BlockHandle,
    /// Handle of the index block.
    pub index: BlockHandle,
    /// 0 for the legacy footer.
    pub format_version: u32,
}

impl Footer {
    /// Encodes a format_version >= 1 footer (53 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(FOOTER_SIZE);
        v.push(self.checksum as u8);
        self.metaindex.encode_to(&mut v);
        self.index.encode_to(&mut v);
        v.resize(1 + 2 * MAX_HANDLE_LEN, 0);
        put_fixed32(&mut v, self.format_version);
        put_fixed64(&mut v, MAGIC);
        v
    }

    /// Decodes the footer from the tail of a file. `tail` holds the file's last bytes (up to
    /// [`FOOTER_SIZE`]) and starts at `tail_offset`.
    pub fn decode(tail: &[u8], tail_offset: u64, file: &str) -> Result<Footer> {
        let corrupt = |at: usize, why: &str| Error::corruption(file, tail_offset + at as u64, why);
        let magic_at = tail
            .len()
            .checked_sub(8)
            .ok_or_else(|| corrupt(0, "file too short to hold a table footer"))?;
        let magic = get_fixed64(&mut tail.get(magic_at..).unwrap_or_default())
            .ok_or_else(|| corrupt(magic_at, "missing magic number"))?;
        let (start, legacy) = match magic {
            MAGIC => (tail.len().checked_sub(FOOTER_SIZE), false),
            LEGACY_MAGIC => (tail.len().checked_sub(LEGACY_FOOTER_SIZE), true),
            _ => {
                return Err(corrupt(
                    magic_at,
                    &format!("bad table magic number {magic:#018x}"),
                ))
            }
        };
        let start = start.ok_or_else(|| corrupt(0, "file too short to hold a table footer"))?;
        let mut src = tail.get(start..magic_at).unwrap_or_default();
        let checksum = if legacy {
            ChecksumType::Crc32c
        } else {
            let (&b, rest) = src
                .split_first()
                .ok_or_else(|| corrupt(start, "truncated footer"))?;
            src = rest;
            ChecksumType::from_byte(b)
                .ok_or_else(|| corrupt(start, &format!("unknown checksum type {b}")))?
        };
        let handles_at = start + usize::from(!legacy);
        let mut handles = src
            .get(..2 * MAX_HANDLE_LEN)
            .ok_or_else(|| corrupt(handles_at, "truncated footer"))?;
        let metaindex = BlockHandle::decode_from(&mut handles)
            .ok_or_else(|| corrupt(handles_at, "bad metaindex handle in footer"))?;
        let index = BlockHandle::decode_from(&mut handles)
            .ok_or_else(|| corrupt(handles_at, "bad index handle in footer"))?;
        let format_version = if legacy {
            0
        } else {
            let mut v = src.get(2 * MAX_HANDLE_LEN..).unwrap_or_default();
            let fv =
                get_fixed32(&mut v).ok_or_else(|| corrupt(magic_at - 4, "truncated footer"))?;
            if !(1..=5).contains(&fv) {
                return Err(Error::Unsupported(format!(
                    "{file}: table format_version {fv} (this reader knows 0-5)"
                )));
            }
            fv
        };
        Ok(Footer {
            checksum,
            metaindex,
            index,
            format_version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn footer_round_trips_and_is_53_bytes() -> Result<()> {
        let f = Footer {
            checksum: ChecksumType::Crc32c,
            metaindex: BlockHandle {
                offset: 1000,
                size: 50,
            },
            index: BlockHandle {
                offset: 900,
                size: 95,
            },
            format_version: 5,
        };
        let bytes = f.encode();
        assert_eq!(bytes.len(), FOOTER_SIZE);
        assert_eq!(Footer::decode(&bytes, 0, "t")?, f);
        Ok(())
    }

    #[test]
    fn legacy_footer_is_read_with_crc32c() -> Result<()> {
        let mut v = Vec::new();
        BlockHandle { offset: 7, size: 8 }.encode_to(&mut v);
        BlockHandle { offset: 1, size: 2 }.encode_to(&mut v);
        v.resize(40, 0);
        put_fixed64(&mut v, LEGACY_MAGIC);
        let mut tail = vec![0xAAu8; 5];
        tail.extend_from_slice(&v);
        let f = Footer::decode(&tail, 100, "t")?;
        assert_eq!(f.checksum, ChecksumType::Crc32c);
        assert_eq!(f.format_version, 0);
        assert_eq!(f.metaindex, BlockHandle { offset: 7, size: 8 });
        Ok(())
    }

    #[test]
    fn wrong_magic_is_corruption_naming_file_and_offset() {
        let mut bytes = Footer {
            checksum: ChecksumType::Crc32c,
            metaindex: BlockHandle::default(),
            index: BlockHandle::default(),
            format_version: 5,
        }
        .encode();
        bytes[50] ^= 1;
        match Footer::decode(&bytes, 1000, "000007.sst") {
            Err(Error::Corruption { file, offset, .. }) => {
                assert_eq!(file, "000007.sst");
                assert_eq!(offset, 1045);
            }
            other => panic!("expected corruption, got {other:?}"),
        }
    }

    #[test]
    fn every_checksum_type_detects_a_flipped_bit() -> Result<()> {
        let contents = b"some block contents".to_vec();
        for kind in [
            ChecksumType::Crc32c,
            ChecksumType::XxHash,
            ChecksumType::XxHash64,
            ChecksumType::Xxh3,
        ] {
            let mut stored = contents.clone();
            stored.push(0);
            put_fixed32(&mut stored, block_checksum(kind, &contents, 0));
            assert_eq!(verify_block(kind, &stored, "t", 0)?.0, &contents[..]);
            stored[3] ^= 0x10;
            assert!(matches!(
                verify_block(kind, &stored, "t", 0),
                Err(Error::Corruption { .. })
            ));
        }
        Ok(())
    }

    #[test]
    fn crc32c_trailer_of_empty_block_matches_rocksdb() {
        // The empty block (one restart at 0) as RocksDB writes it, checksum type 1.
        let block = [0u8, 0, 0, 0, 1, 0, 0, 0];
        let mut out = Vec::new();
        put_block_trailer(&mut out, &block, 0);
        let sum = u32::from_le_bytes([out[1], out[2], out[3], out[4]]);
        assert_eq!(
            unmask_crc(sum),
            crc32c::crc32c(&[0, 0, 0, 0, 1, 0, 0, 0, 0])
        );
    }

    proptest! {
        #[test]
        fn footer_decoding_never_panics(bytes: Vec<u8>, magic in 0u8..3) {
            let mut b = bytes;
            match magic {
                0 => b.extend_from_slice(&MAGIC.to_le_bytes()),
                1 => b.extend_from_slice(&LEGACY_MAGIC.to_le_bytes()),
                _ => {}
            }
            let _ = Footer::decode(&b, 0, "t");
        }
    }
}
