//! The block cache: recently read, verified and decompressed data blocks, shared by all tables of
//! a database, bounded in bytes, evicting the least recently used.
//!
//! Single-threaded (the engine is): shared as `Rc<RefCell<BlockCache>>`. Blocks are `Arc`s, so a
//! block an iterator still holds stays valid after eviction; its bytes are then no longer
//! counted here (the iterator owns them until it moves on).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::table::block::Block;

/// Key of a cached block: (table file number, block offset).
pub type BlockKey = (u64, u64);

/// Bookkeeping per cached block, besides its bytes (map entries, Arc header).
const ENTRY_OVERHEAD: usize = 96;

/// Counters of the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Bytes the cache may hold.
    pub capacity: usize,
    /// Bytes it holds.
    pub usage: usize,
    /// Lookups that found their block.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Blocks evicted to make room.
    pub evictions: u64,
}

/// An LRU cache of data blocks.
#[derive(Debug)]
pub struct BlockCache {
    entries: HashMap<BlockKey, (Arc<Block>, u64)>,
    /// Recency: tick → key; the smallest tick is the least recently used.
    order: BTreeMap<u64, BlockKey>,
    tick: u64,
    stats: CacheStats,
}

impl BlockCache {
    /// A cache holding at most `capacity` bytes (0 disables caching).
    pub fn new(capacity: usize) -> BlockCache {
        BlockCache {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            tick: 0,
            stats: CacheStats {
                capacity,
                ..CacheStats::default()
            },
        }
    }

    fn charge(block: &Block) -> usize {
        block.size() + ENTRY_OVERHEAD
    }

    /// The cached block, marked most recently used.
    pub fn get(&mut self, key: BlockKey) -> Option<Arc<Block>> {
        let Some((block, tick)) = self.entries.get_mut(&key) else {
            self.stats.misses += 1;
            return None;
        };
        self.order.remove(tick);
        self.tick += 1;
        *tick = self.tick;
        self.order.insert(self.tick, key);
        self.stats.hits += 1;
        Some(Arc::clone(block))
    }

    /// Caches `block`, evicting least recently used blocks to stay within capacity. A block
    /// larger than the whole capacity is not cached.
    pub fn insert(&mut self, key: BlockKey, block: Arc<Block>) {
        let charge = Self::charge(&block);
        if charge > self.stats.capacity {
            return;
        }
        self.remove(key);
        while self.stats.usage + charge > self.stats.capacity {
            let Some((_, victim)) = self.order.pop_first() else {
                break;
            };
            if let Some((b, _)) = self.entries.remove(&victim) {
                self.stats.usage -= Self::charge(&b);
                self.stats.evictions += 1;
            }
        }
        self.tick += 1;
        self.order.insert(self.tick, key);
        self.entries.insert(key, (block, self.tick));
        self.stats.usage += charge;
    }

    /// Drops a block (e.g. its table was deleted).
    pub fn remove(&mut self, key: BlockKey) {
        if let Some((b, tick)) = self.entries.remove(&key) {
            self.order.remove(&tick);
            self.stats.usage -= Self::charge(&b);
        }
    }

    /// Drops every block of table `file_number`.
    pub fn remove_table(&mut self, file_number: u64) {
        let keys: Vec<BlockKey> = self
            .entries
            .keys()
            .filter(|k| k.0 == file_number)
            .copied()
            .collect();
        for k in keys {
            self.remove(k);
        }
    }

    /// Counters.
    pub fn stats(&self) -> CacheStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(n: usize) -> crate::Result<Arc<Block>> {
        // An empty block's restart array, padded: `size()` grows with the data.
        let mut data = vec![0u8; n];
        data.extend_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0]);
        Ok(Arc::new(Block::new(data, Arc::from("t"), 0)?))
    }

    #[test]
    fn least_recently_used_block_is_evicted_first_and_usage_stays_within_capacity(
    ) -> crate::Result<()> {
        let one =
            Block::new(vec![0, 0, 0, 0, 1, 0, 0, 0], Arc::from("t"), 0)?.size() + ENTRY_OVERHEAD;
        let mut c = BlockCache::new(3 * one);
        for k in 0..3 {
            c.insert((1, k), block(0)?);
        }
        assert!(c.get((1, 0)).is_some());
        c.insert((1, 3), block(0)?);
        assert!(c.get((1, 1)).is_none(), "block 1 was least recently used");
        assert!(c.get((1, 0)).is_some() && c.get((1, 3)).is_some());
        let s = c.stats();
        assert!(s.usage <= s.capacity);
        assert_eq!((s.evictions, s.hits, s.misses), (1, 3, 1));
        c.remove_table(1);
        assert_eq!(c.stats().usage, 0);
        Ok(())
    }

    #[test]
    fn zero_capacity_caches_nothing() -> crate::Result<()> {
        let mut c = BlockCache::new(0);
        c.insert((1, 0), block(10)?);
        assert!(c.get((1, 0)).is_none());
        Ok(())
    }
}
