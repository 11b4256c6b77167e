//! Blocks: sorted key/value entries with prefix-compressed keys and restart points.
//!
//! ```text
//! block    := entry* restart:fixed32[num_restarts] packed:fixed32
//! entry    := shared:varint32 non_shared:varint32 value_len:varint32 key_delta[non_shared] value
//! packed   := num_restarts | (1 << 31 if a data-block hash index sits before it)
//! ```
//! `shared` bytes of the key come from the previous entry's key; at a restart point `shared` is
//! 0. Restarts are every `restart_interval` entries (data 16, index/metaindex 1). An empty block
//! still has one restart: `00000000 01000000`.
//!
//! Index blocks of format_version >= 4 may be *value delta encoded*: entries have no
//! `value_len`; the value is a full [`BlockHandle`] when `shared == 0`, otherwise a zigzag varint64
//! of `size - previous size`, the offset following the previous block and its trailer.
//!
//! Reading never trusts the bytes: every length is checked against the block, and a bad entry
//! is an [`Error::Corruption`] naming the file and the block's offset.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::coding::{get_fixed32, get_varint32, get_varint64, put_fixed32, put_varint32};
use crate::dbformat::compare_internal_keys;
use crate::iter::InternalIterator;
use crate::table::format::{BlockHandle, BLOCK_TRAILER_SIZE};
use crate::{Error, Result};

/// Builds one block. Keys must be added in the order the block's readers expect.
pub struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    restart_interval: usize,
    counter: usize,
    last_key: Vec<u8>,
    entries: usize,
}

impl BlockBuilder {
    /// An empty builder. A `restart_interval` of 0 is treated as 1.
    pub fn new(restart_interval: usize) -> BlockBuilder {
        BlockBuilder {
            buf: Vec::new(),
            restarts: vec![0],
            restart_interval: restart_interval.max(1),
            counter: 0,
            last_key: Vec::new(),
            entries: 0,
        }
    }

    /// Appends an entry. REQUIRES: `key` sorts after every key added so far.
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        let mut shared = 0;
        if self.counter >= self.restart_interval {
            self.restarts.push(self.buf.len() as u32);
            self.counter = 0;
        } else {
            shared = key
                .iter()
                .zip(&self.last_key)
                .take_while(|(a, b)| a == b)
                .count();
        }
        put_varint32(&mut self.buf, shared as u32);
        put_varint32(&mut self.buf, (key.len() - shared) as u32);
        put_varint32(&mut self.buf, value.len() as u32);
        self.buf
            .extend_from_slice(key.get(shared..).unwrap_or_default());
        self.buf.extend_from_slice(value);
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.counter += 1;
        self.entries += 1;
    }

    /// Size of the block if finished now.
    pub fn estimated_size(&self) -> usize {
        self.buf.len() + 4 * self.restarts.len() + 4
    }

    /// Whether no entry was added.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The last key added.
    pub fn last_key(&self) -> &[u8] {
        &self.last_key
    }

    /// Appends the restart array and returns the block's bytes; the builder is reset.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        for r in &self.restarts {
            put_fixed32(&mut out, *r);
        }
        put_fixed32(&mut out, self.restarts.len() as u32);
        self.restarts = vec![0];
        self.counter = 0;
        self.last_key.clear();
        self.entries = 0;
        out
    }
}

/// How the keys of a block are ordered (and so how seeks compare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrder {
    /// Internal keys ([`compare_internal_keys`]): data blocks, internal-key indexes.
    Internal,
    /// Plain bytewise: metaindex, properties, user-key indexes.
    Bytewise,
}

impl KeyOrder {
    fn compare(self, a: &[u8], b: &[u8]) -> Ordering {
        match self {
            KeyOrder::Internal => compare_internal_keys(a, b),
            KeyOrder::Bytewise => a.cmp(b),
        }
    }
}

/// A decoded block, ready to iterate. Immutable; shared through `Arc` (and, later, a cache).
#[derive(Debug)]
pub struct Block {
    data: Vec<u8>,
    restarts_offset: usize,
    num_restarts: usize,
    file: Arc<str>,
    offset: u64,
}

impl Block {
    /// Parses the restart array of `data`, the uncompressed contents of the block stored at
    /// `offset` of `file`.
    pub fn new(data: Vec<u8>, file: Arc<str>, offset: u64) -> Result<Block> {
        let corrupt = |why: &str| Error::corruption(&file, offset, why);
        let packed_at = data
            .len()
            .checked_sub(4)
            .ok_or_else(|| corrupt("block shorter than its restart count"))?;
        let packed = get_fixed32(&mut data.get(packed_at..).unwrap_or_default())
            .ok_or_else(|| corrupt("block shorter than its restart count"))?;
        // A data-block hash index (only in blocks under 64 KiB) sits between the restarts and
        // the count: buckets[num_buckets] num_buckets:fixed16. Skip it.
        let (num_restarts, restarts_end) = if packed >> 31 == 1 && data.len() <= 1 << 16 {
            let nb_at = packed_at
                .checked_sub(2)
                .ok_or_else(|| corrupt("truncated data block hash index"))?;
            let nb = data
                .get(nb_at..packed_at)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
                .ok_or_else(|| corrupt("truncated data block hash index"))?;
            let end = nb_at
                .checked_sub(nb)
                .ok_or_else(|| corrupt("data block hash index larger than its block"))?;
            ((packed & 0x7fff_ffff) as usize, end)
        } else {
            (packed as usize, packed_at)
        };
        let restarts_offset = num_restarts
            .checked_mul(4)
            .and_then(|n| restarts_end.checked_sub(n))
            .ok_or_else(|| {
                corrupt(&format!(
                    "{num_restarts} restart points do not fit the block"
                ))
            })?;
        if num_restarts == 0 && restarts_offset > 0 {
            return Err(corrupt("block has entries but no restart point"));
        }
        Ok(Block {
            data,
            restarts_offset,
            num_restarts,
            file,
            offset,
        })
    }

    /// The block's uncompressed size.
    pub fn size(&self) -> usize {
        self.data.len()
    }

    /// An iterator over the block.
    pub fn iter(self: &Arc<Self>, order: KeyOrder, delta_values: bool) -> BlockIter {
        BlockIter {
            block: Arc::clone(self),
            order,
            delta_values,
            current: self.restarts_offset,
            next: self.restarts_offset,
            key: Vec::new(),
            value: (0, 0),
            handle_buf: Vec::new(),
            prev_handle: None,
        }
    }

    fn restart_point(&self, i: usize) -> Result<usize> {
        let at = self.restarts_offset + 4 * i;
        let r = self
            .data
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| self.corrupt("restart index out of range"))?;
        if r >= self.restarts_offset {
            return Err(self.corrupt(&format!("restart point {r} past the entries")));
        }
        Ok(r)
    }

    fn corrupt(&self, why: &str) -> Error {
        Error::corruption(&self.file, self.offset, why)
    }
}

/// A cursor over one block. Owns an `Arc` of the block, so it can outlive the table's borrow.
pub struct BlockIter {
    block: Arc<Block>,
    order: KeyOrder,
    delta_values: bool,
    /// Offset of the current entry; `restarts_offset` when not valid.
    current: usize,
    /// Offset of the entry after the current one.
    next: usize,
    key: Vec<u8>,
    /// Value position in the block (when not delta encoded).
    value: (usize, usize),
    /// The decoded handle, re-encoded in full, for delta-encoded index values.
    handle_buf: Vec<u8>,
    prev_handle: Option<BlockHandle>,
}

impl BlockIter {
    fn invalidate(&mut self) {
        self.current = self.block.restarts_offset;
        self.next = self.block.restarts_offset;
        self.key.clear();
    }

    fn corrupt(&self, at: usize, why: &str) -> Error {
        Error::corruption(
            &self.block.file,
            self.block.offset + at as u64,
            format!("{why} (block at {}, entry at {at})", self.block.offset),
        )
    }

    /// Decodes the entry at `self.next` into the cursor. Returns false at the end.
    fn parse_next(&mut self) -> Result<bool> {
        let at = self.next;
        let limit = self.block.restarts_offset;
        if at >= limit {
            self.invalidate();
            return Ok(false);
        }
        let entries = self.block.data.get(at..limit).unwrap_or_default();
        let mut src = entries;
        let bad = |it: &Self, why: &str| {
            let e = it.corrupt(at, why);
            Err(e)
        };
        let (Some(shared), Some(non_shared)) = (get_varint32(&mut src), get_varint32(&mut src))
        else {
            return bad(self, "bad entry header");
        };
        let value_len = if self.delta_values {
            None
        } else {
            match get_varint32(&mut src) {
                Some(v) => Some(v as usize),
                None => return bad(self, "bad entry header"),
            }
        };
        let (shared, non_shared) = (shared as usize, non_shared as usize);
        if shared > self.key.len() {
            return bad(self, "shared key prefix longer than the previous key");
        }
        let Some(delta) = src.get(..non_shared) else {
            return bad(self, "key runs past the block");
        };
        self.key.truncate(shared);
        self.key.extend_from_slice(delta);
        let value_at = limit - src.len() + non_shared;
        let mut rest = src.get(non_shared..).unwrap_or_default();
        let end = match value_len {
            Some(len) => {
                if len > rest.len() {
                    return bad(self, "value runs past the block");
                }
                self.value = (value_at, value_at + len);
                value_at + len
            }
            None => {
                let before = rest.len();
                let handle = if shared == 0 {
                    BlockHandle::decode_from(&mut rest)
                } else {
                    match (get_varint64(&mut rest), self.prev_handle) {
                        (Some(z), Some(prev)) => {
                            let delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
                            prev.end_with_trailer().map(|offset| BlockHandle {
                                offset,
                                size: prev.size.wrapping_add(delta as u64),
                            })
                        }
                        _ => None,
                    }
                };
                let Some(handle) = handle else {
                    return bad(self, "bad delta-encoded index value");
                };
                self.prev_handle = Some(handle);
                self.handle_buf.clear();
                handle.encode_to(&mut self.handle_buf);
                value_at + (before - rest.len())
            }
        };
        self.current = at;
        self.next = end;
        Ok(true)
    }

    fn seek_to_restart(&mut self, i: usize) -> Result<()> {
        let r = self.block.restart_point(i)?;
        self.key.clear();
        self.prev_handle = None;
        self.current = self.block.restarts_offset;
        self.next = r;
        Ok(())
    }

    fn restart_key_cmp(&mut self, i: usize, target: &[u8]) -> Result<Ordering> {
        self.seek_to_restart(i)?;
        let at = self.next;
        if !self.parse_next()? {
            return Err(self.corrupt(at, "restart point at the end of the block"));
        }
        Ok(self.order.compare(&self.key, target))
    }

    /// The index of the last restart point whose offset is before `offset` (0 if none).
    fn restart_before(&self, offset: usize) -> Result<usize> {
        let (mut lo, mut hi) = (0, self.block.num_restarts);
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            if self.block.restart_point(mid)? < offset {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }
}

impl InternalIterator for BlockIter {
    fn valid(&self) -> bool {
        self.current < self.block.restarts_offset
    }

    fn seek_to_first(&mut self) -> Result<()> {
        if self.block.num_restarts == 0 || self.block.restarts_offset == 0 {
            self.invalidate();
            return Ok(());
        }
        self.seek_to_restart(0)?;
        self.parse_next().map(drop)
    }

    fn seek_to_last(&mut self) -> Result<()> {
        if self.block.num_restarts == 0 || self.block.restarts_offset == 0 {
            self.invalidate();
            return Ok(());
        }
        self.seek_to_restart(self.block.num_restarts - 1)?;
        while self.parse_next()? && self.next < self.block.restarts_offset {}
        Ok(())
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        if self.block.num_restarts == 0 || self.block.restarts_offset == 0 {
            self.invalidate();
            return Ok(());
        }
        // Binary search for the last restart whose key is < target.
        let (mut lo, mut hi) = (0, self.block.num_restarts - 1);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.restart_key_cmp(mid, target)? == Ordering::Less {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        self.seek_to_restart(lo)?;
        while self.parse_next()? {
            if self.order.compare(&self.key, target) != Ordering::Less {
                return Ok(());
            }
        }
        Ok(())
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        self.seek(target)?;
        if !self.valid() {
            return self.seek_to_last();
        }
        while self.valid() && self.order.compare(&self.key, target) == Ordering::Greater {
            self.prev()?;
        }
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        self.parse_next().map(drop)
    }

    fn prev(&mut self) -> Result<()> {
        let original = self.current;
        if original == 0 || !self.valid() {
            self.invalidate();
            return Ok(());
        }
        let r = self.restart_before(original)?;
        self.seek_to_restart(r)?;
        loop {
            let at = self.next;
            if !self.parse_next()? || self.next > original {
                return Err(self.corrupt(at, "entries do not lead back to the previous entry"));
            }
            if self.next == original {
                return Ok(());
            }
        }
    }

    fn key(&self) -> &[u8] {
        &self.key
    }

    fn value(&self) -> &[u8] {
        if self.delta_values {
            &self.handle_buf
        } else {
            self.block
                .data
                .get(self.value.0..self.value.1)
                .unwrap_or_default()
        }
    }
}

/// Bytes a block occupies in the file, trailer included.
pub fn stored_len(handle: &BlockHandle) -> u64 {
    handle.size + BLOCK_TRAILER_SIZE as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn build(entries: &[(Vec<u8>, Vec<u8>)], interval: usize) -> Result<Arc<Block>> {
        let mut b = BlockBuilder::new(interval);
        for (k, v) in entries {
            b.add(k, v);
        }
        Ok(Arc::new(Block::new(b.finish(), "t.sst".into(), 0)?))
    }

    fn sample(n: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..n)
            .map(|i| {
                (
                    format!("key{:05}", i * 2).into_bytes(),
                    format!("v{i}").into_bytes(),
                )
            })
            .collect()
    }

    fn collect(it: &mut BlockIter) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        it.seek_to_first()?;
        while it.valid() {
            out.push((it.key().to_vec(), it.value().to_vec()));
            it.next()?;
        }
        Ok(out)
    }

    #[test]
    fn empty_block_is_one_restart_and_iterates_nothing() -> Result<()> {
        let mut b = BlockBuilder::new(16);
        let bytes = b.finish();
        assert_eq!(bytes, [0, 0, 0, 0, 1, 0, 0, 0]);
        let block = Arc::new(Block::new(bytes, "t".into(), 0)?);
        let mut it = block.iter(KeyOrder::Bytewise, false);
        it.seek_to_first()?;
        assert!(!it.valid());
        it.seek(b"x")?;
        assert!(!it.valid());
        it.seek_to_last()?;
        assert!(!it.valid());
        Ok(())
    }

    #[test]
    fn entries_round_trip_with_prefix_compression_and_restarts() -> Result<()> {
        let entries = sample(100);
        for interval in [1, 2, 16, 1000] {
            let block = build(&entries, interval)?;
            assert_eq!(
                collect(&mut block.iter(KeyOrder::Bytewise, false))?,
                entries
            );
        }
        // Shared prefixes shrink the block: interval 16 is much smaller than interval 1.
        assert!(build(&entries, 16)?.size() < build(&entries, 1)?.size() * 3 / 4);
        Ok(())
    }

    #[test]
    fn worked_example_bytes() -> Result<()> {
        let mut b = BlockBuilder::new(16);
        b.add(b"apple", b"1");
        b.add(b"apricot", b"22");
        let bytes = b.finish();
        let expect: Vec<u8> = [
            &[0u8, 5, 1][..],
            b"apple",
            b"1",
            &[2, 5, 2],
            b"ricot",
            b"22",
            &[0, 0, 0, 0],
            &[1, 0, 0, 0],
        ]
        .concat();
        assert_eq!(bytes, expect);
        Ok(())
    }

    #[test]
    fn seek_finds_first_key_at_or_after_target() -> Result<()> {
        let block = build(&sample(100), 16)?;
        let mut it = block.iter(KeyOrder::Bytewise, false);
        it.seek(b"key00051")?;
        assert_eq!(it.key(), b"key00052");
        it.seek(b"key00052")?;
        assert_eq!(it.key(), b"key00052");
        it.seek(b"a")?;
        assert_eq!(it.key(), b"key00000");
        it.seek(b"z")?;
        assert!(!it.valid());
        Ok(())
    }

    #[test]
    fn prev_walks_back_across_restart_points() -> Result<()> {
        let entries = sample(50);
        let block = build(&entries, 4)?;
        let mut it = block.iter(KeyOrder::Bytewise, false);
        it.seek_to_last()?;
        let mut back = Vec::new();
        while it.valid() {
            back.push((it.key().to_vec(), it.value().to_vec()));
            it.prev()?;
        }
        back.reverse();
        assert_eq!(back, entries);
        it.seek_for_prev(b"key00051")?;
        assert_eq!(it.key(), b"key00050");
        it.seek_for_prev(b"a")?;
        assert!(!it.valid());
        it.seek_for_prev(b"zz")?;
        assert_eq!(it.key(), b"key00098");
        Ok(())
    }

    #[test]
    fn delta_encoded_index_values_decode_to_full_handles() -> Result<()> {
        // Hand-encode an index block the way RocksDB does with format_version 4, interval 2.
        let mut data = Vec::new();
        let h0 = BlockHandle {
            offset: 0,
            size: 4000,
        };
        // entry 0: restart, full handle
        data.extend_from_slice(&[0, 3]);
        data.extend_from_slice(b"aaa");
        h0.encode_to(&mut data);
        // entry 1: shares 2 bytes, size delta -10 (zigzag 19)
        data.extend_from_slice(&[2, 1, b'b', 19]);
        let r1 = data.len() as u32;
        // entry 2: restart, full handle
        let h2 = BlockHandle {
            offset: 8000,
            size: 4100,
        };
        data.extend_from_slice(&[0, 3]);
        data.extend_from_slice(b"abc");
        h2.encode_to(&mut data);
        put_fixed32(&mut data, 0);
        put_fixed32(&mut data, r1);
        put_fixed32(&mut data, 2);
        let block = Arc::new(Block::new(data, "t".into(), 0)?);
        let mut it = block.iter(KeyOrder::Bytewise, true);
        let got = collect(&mut it)?;
        let h1 = BlockHandle {
            offset: 4005,
            size: 3990,
        };
        assert_eq!(
            got,
            vec![
                (b"aaa".to_vec(), h0.encoded()),
                (b"aab".to_vec(), h1.encoded()),
                (b"abc".to_vec(), h2.encoded())
            ]
        );
        it.seek_to_last()?;
        it.prev()?;
        assert_eq!(it.value(), h1.encoded());
        Ok(())
    }

    #[test]
    fn too_many_restarts_is_corruption() {
        let data = vec![0, 0, 0, 0, 9, 0, 0, 0];
        assert!(matches!(
            Block::new(data, "f.sst".into(), 77),
            Err(Error::Corruption { offset: 77, .. })
        ));
    }

    #[test]
    fn entry_past_the_block_is_corruption() -> Result<()> {
        let mut data = vec![0u8, 50, 1, b'a'];
        put_fixed32(&mut data, 0);
        put_fixed32(&mut data, 1);
        let block = Arc::new(Block::new(data, "f.sst".into(), 0)?);
        let mut it = block.iter(KeyOrder::Bytewise, false);
        assert!(matches!(it.seek_to_first(), Err(Error::Corruption { .. })));
        Ok(())
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes: Vec<u8>, delta: bool, target: Vec<u8>) {
            if let Ok(block) = Block::new(bytes, "t".into(), 0) {
                let block = Arc::new(block);
                for order in [KeyOrder::Bytewise, KeyOrder::Internal] {
                    let mut it = block.iter(order, delta);
                    let mut steps = 0;
                    if it.seek_to_first().is_ok() {
                        while it.valid() && steps < 1000 && it.next().is_ok() { steps += 1; }
                    }
                    if it.seek_to_last().is_ok() {
                        while it.valid() && steps < 2000 && it.prev().is_ok() { steps += 1; }
                    }
                    let _ = it.seek(&target);
                    let _ = it.seek_for_prev(&target);
                }
            }
        }

        #[test]
        fn mutated_blocks_never_panic(pos: usize, byte: u8) {
            let entries = sample(40);
            let mut b = BlockBuilder::new(4);
            for (k, v) in &entries { b.add(k, v); }
            let mut bytes = b.finish();
            let n = bytes.len();
            bytes[pos % n] = byte;
            if let Ok(block) = Block::new(bytes, "t".into(), 0) {
                let block = Arc::new(block);
                let mut it = block.iter(KeyOrder::Bytewise, false);
                let mut steps = 0;
                if it.seek_to_first().is_ok() {
                    while it.valid() && steps < 1000 && it.next().is_ok() { steps += 1; }
                }
                let _ = it.seek(b"key00031");
            }
        }
    }
}
