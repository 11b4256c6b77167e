//! Where memtable entries live: large byte blocks, appended to, never freed until the memtable
//! is dropped. An entry costs no heap allocation of its own.
//!
//! Entry layout: `varint32 ikey_len | ikey | varint32 value_len | value`, addressed by
//! `(block, offset)`. Blocks are `BLOCK_SIZE` bytes; an entry larger than that gets a block of
//! its own, so blocks never move once written (no copying on growth).

use crate::coding::{get_varint32, put_varint32};

const BLOCK_SIZE: usize = 64 << 10;
/// The first block's size; each next one doubles, up to `BLOCK_SIZE`. Small first blocks keep a
/// near-empty memtable's reserved bytes (which count against the write buffer size) small, so
/// a small write buffer is not "full" after one entry.
const FIRST_BLOCK_SIZE: usize = 4 << 10;

/// Address of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef {
    block: u32,
    offset: u32,
}

/// The entry store.
#[derive(Debug, Default)]
pub struct Arena {
    blocks: Vec<Vec<u8>>,
    reserved: usize,
}

impl Arena {
    /// Stores an entry; returns its address.
    pub fn add(&mut self, ikey: &[u8], value: &[u8]) -> EntryRef {
        let need = ikey.len() + value.len() + 10;
        let fits = self
            .blocks
            .last()
            .is_some_and(|b| b.capacity() - b.len() >= need);
        if !fits {
            let grown = FIRST_BLOCK_SIZE << self.blocks.len().min(4);
            let size = need.max(grown.min(BLOCK_SIZE));
            self.reserved += size;
            self.blocks.push(Vec::with_capacity(size));
        }
        let index = self.blocks.len() - 1;
        #[expect(
            clippy::expect_used,
            reason = "a block was pushed above whenever none fits"
        )]
        let block = self.blocks.last_mut().expect("the arena has a block");
        let offset = block.len();
        put_varint32(block, ikey.len() as u32);
        block.extend_from_slice(ikey);
        put_varint32(block, value.len() as u32);
        block.extend_from_slice(value);
        EntryRef {
            block: index as u32,
            offset: offset as u32,
        }
    }

    /// The entry at `at`: (internal key, value).
    pub fn get(&self, at: EntryRef) -> (&[u8], &[u8]) {
        let mut src = self
            .blocks
            .get(at.block as usize)
            .and_then(|b| b.get(at.offset as usize..))
            .unwrap_or_default();
        let mut field = || {
            let len = get_varint32(&mut src).unwrap_or(0) as usize;
            let (f, rest) = src.split_at(len.min(src.len()));
            src = rest;
            f
        };
        let ikey = field();
        let value = field();
        (ikey, value)
    }

    /// Bytes reserved by blocks.
    pub fn memory_usage(&self) -> usize {
        self.reserved
    }
}

impl EntryRef {
    /// An address from its parts (as stored in skiplist nodes).
    pub fn new(block: u32, offset: u32) -> EntryRef {
        EntryRef { block, offset }
    }

    /// `(block, offset)`.
    pub fn parts(self) -> (u32, u32) {
        (self.block, self.offset)
    }
}
