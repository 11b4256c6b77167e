//! The two-level iterator over a table: the index block picks a data block, the data block's
//! iterator walks its entries, and empty or exhausted blocks are skipped in either direction.

use std::cmp::Ordering;

use crate::dbformat::{compare_internal_keys, user_key};
use crate::iter::InternalIterator;
use crate::Result;

use super::block::{BlockIter, KeyOrder};
use super::reader::Table;

/// Iterates a table's point entries in internal key order.
pub struct TableIterator<'a> {
    table: &'a Table,
    index: BlockIter,
    user_key_index: bool,
    data: Option<BlockIter>,
}

impl<'a> TableIterator<'a> {
    pub(crate) fn new(table: &'a Table) -> TableIterator<'a> {
        let (block, user_keys, delta) = table.index_block();
        let order = if user_keys {
            KeyOrder::Bytewise
        } else {
            KeyOrder::Internal
        };
        TableIterator {
            table,
            index: block.iter(order, delta),
            user_key_index: user_keys,
            data: None,
        }
    }

    /// Loads the data block the index points at; false (and no block) if the index is done.
    fn load(&mut self) -> Result<bool> {
        self.data = None;
        if !self.index.valid() {
            return Ok(false);
        }
        let handle = self.table.decode_handle(self.index.value())?;
        let block = self.table.data_block(handle)?;
        self.data = Some(block.iter(KeyOrder::Internal, false));
        Ok(true)
    }

    fn data_valid(&self) -> bool {
        self.data.as_ref().is_some_and(BlockIter::valid)
    }

    fn skip_forward(&mut self) -> Result<()> {
        while !self.data_valid() {
            if !self.index.valid() {
                self.data = None;
                return Ok(());
            }
            self.index.next()?;
            if !self.load()? {
                return Ok(());
            }
            if let Some(d) = &mut self.data {
                d.seek_to_first()?;
            }
        }
        Ok(())
    }

    fn skip_backward(&mut self) -> Result<()> {
        while !self.data_valid() {
            if !self.index.valid() {
                self.data = None;
                return Ok(());
            }
            self.index.prev()?;
            if !self.load()? {
                return Ok(());
            }
            if let Some(d) = &mut self.data {
                d.seek_to_last()?;
            }
        }
        Ok(())
    }

    fn on_error<T>(&mut self, r: Result<T>) -> Result<T> {
        if r.is_err() {
            self.data = None;
        }
        r
    }
}

impl InternalIterator for TableIterator<'_> {
    fn valid(&self) -> bool {
        self.data_valid()
    }

    fn seek_to_first(&mut self) -> Result<()> {
        let r = (|| {
            self.index.seek_to_first()?;
            if self.load()? {
                if let Some(d) = &mut self.data {
                    d.seek_to_first()?;
                }
            }
            self.skip_forward()
        })();
        self.on_error(r)
    }

    fn seek_to_last(&mut self) -> Result<()> {
        let r = (|| {
            self.index.seek_to_last()?;
            if self.load()? {
                if let Some(d) = &mut self.data {
                    d.seek_to_last()?;
                }
            }
            self.skip_backward()
        })();
        self.on_error(r)
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        let r = (|| {
            if self.user_key_index {
                self.index.seek(user_key(target))?;
            } else {
                self.index.seek(target)?;
            }
            if self.load()? {
                if let Some(d) = &mut self.data {
                    d.seek(target)?;
                }
            }
            self.skip_forward()
        })();
        self.on_error(r)
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        self.seek(target)?;
        if !self.valid() {
            self.seek_to_last()?;
        }
        while self.valid() && compare_internal_keys(self.key(), target) == Ordering::Greater {
            self.prev()?;
        }
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        let r = (|| {
            if let Some(d) = &mut self.data {
                d.next()?;
            }
            self.skip_forward()
        })();
        self.on_error(r)
    }

    fn prev(&mut self) -> Result<()> {
        let r = (|| {
            if let Some(d) = &mut self.data {
                d.prev()?;
            }
            self.skip_backward()
        })();
        self.on_error(r)
    }

    fn key(&self) -> &[u8] {
        self.data.as_ref().map_or(&[], |d| d.key())
    }

    fn value(&self) -> &[u8] {
        self.data.as_ref().map_or(&[], |d| d.value())
    }
}
