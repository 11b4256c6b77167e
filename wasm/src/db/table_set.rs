//! The open tables of a database, by file number.
//!
//! Every live table is opened when it becomes live (at open, after a flush or compaction) and
//! stays open until it is deleted: reads then borrow `&Table` from here without locking or
//! reference counting, which the single-threaded engine allows. This costs each table's index
//! and filter in memory (RocksDB with `max_open_files = -1`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::cache::{BlockCache, CacheStats};

use crate::table::Table;
use crate::version::table_file_name;
use crate::vfs::{OpenMode, Vfs};
use crate::Result;

pub(crate) struct TableSet {
    tables: HashMap<u64, Table>,
    cache: Rc<RefCell<BlockCache>>,
}

impl TableSet {
    /// No tables yet; data blocks cached in up to `cache_bytes`.
    pub fn new(cache_bytes: usize) -> TableSet {
        TableSet {
            tables: HashMap::new(),
            cache: Rc::new(RefCell::new(BlockCache::new(cache_bytes))),
        }
    }

    /// The block cache's counters.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.borrow().stats()
    }

    /// Opens table `number` (of `size` bytes) if it is not open yet.
    pub fn open(&mut self, vfs: &dyn Vfs, number: u64, size: u64) -> Result<()> {
        if self.tables.contains_key(&number) {
            return Ok(());
        }
        let name = table_file_name(number);
        let file = vfs.open(&name, OpenMode::Existing)?;
        let mut table = Table::open(file, size, name, number)?;
        table.set_block_cache(Rc::clone(&self.cache));
        self.tables.insert(number, table);
        Ok(())
    }

    /// The open table `number`.
    pub fn get(&self, number: u64) -> Result<&Table> {
        self.tables.get(&number).ok_or_else(|| {
            crate::Error::corruption(&table_file_name(number), 0, "table is live but not open")
        })
    }

    /// Closes table `number` (before its file is deleted).
    pub fn remove(&mut self, number: u64) {
        self.tables.remove(&number);
        self.cache.borrow_mut().remove_table(number);
    }

    /// Entries in all open tables.
    pub fn total_entries(&self) -> u64 {
        self.tables
            .values()
            .map(|t| t.properties().num_entries)
            .sum()
    }
}
