//! Opens a table: footer, metaindex, properties, index, filter and range deletions are read and
//! verified once; data blocks are read on demand through [`Table::data_block`], the one place a
//! block cache will hook in.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use crate::cache::BlockCache;
use crate::dbformat::{parse_internal_key, user_key, ValueType};
use crate::iter::InternalIterator;
use crate::vfs::{read_full, VfsFile};
use crate::{Error, Result};

use super::block::{Block, KeyOrder};
use super::compression::decompress;
use super::filter::FilterReader;
use super::format::{verify_block, BlockHandle, Footer, FOOTER_SIZE};
use super::iterator::TableIterator;
use super::properties::TableProperties;
use super::{RangeTombstone, FULL_FILTER_NAME, PROPERTIES_NAME, RANGE_DEL_NAME};

/// An open, immutable table.
pub struct Table {
    file: RefCell<Box<dyn VfsFile>>,
    name: Arc<str>,
    file_number: u64,
    file_size: u64,
    footer: Footer,
    index: Arc<Block>,
    index_user_keys: bool,
    index_delta_values: bool,
    filter: Option<FilterReader>,
    props: TableProperties,
    range_dels: Vec<RangeTombstone>,
    cache: Option<Rc<RefCell<BlockCache>>>,
}

impl Table {
    /// Opens the table in `file`, which must be `file_size` bytes long. Every block other than
    /// data blocks is read and checksummed here.
    pub fn open(
        mut file: Box<dyn VfsFile>,
        file_size: u64,
        name: String,
        file_number: u64,
    ) -> Result<Table> {
        let name: Arc<str> = name.into();
        let actual = file.size()?;
        if actual != file_size {
            return Err(Error::corruption(
                &name,
                actual,
                format!("table is {actual} bytes, expected {file_size}"),
            ));
        }
        let tail_len = file_size.min(FOOTER_SIZE as u64);
        let tail_offset = file_size - tail_len;
        let mut tail = vec![0u8; tail_len as usize];
        if read_full(file.as_mut(), tail_offset, &mut tail)? != tail.len() {
            return Err(Error::corruption(
                &name,
                tail_offset,
                "short read of footer",
            ));
        }
        let footer = Footer::decode(&tail, tail_offset, &name)?;
        let mut table = Table {
            file: RefCell::new(file),
            name,
            file_number,
            file_size,
            footer,
            index: Arc::new(Block::new(vec![0, 0, 0, 0, 1, 0, 0, 0], "".into(), 0)?),
            index_user_keys: false,
            index_delta_values: false,
            filter: None,
            props: TableProperties::default(),
            range_dels: Vec::new(),
            cache: None,
        };

        let metaindex = Arc::new(table.read_block(footer.metaindex)?);
        let mut meta = BTreeMap::new();
        let mut it = metaindex.iter(KeyOrder::Bytewise, false);
        it.seek_to_first()?;
        while it.valid() {
            let h = BlockHandle::decode_from(&mut it.value()).ok_or_else(|| {
                Error::corruption(
                    &table.name,
                    footer.metaindex.offset,
                    "bad handle in metaindex",
                )
            })?;
            meta.insert(it.key().to_vec(), h);
            it.next()?;
        }

        if let Some(h) = meta.get(PROPERTIES_NAME.as_bytes()) {
            let block = Arc::new(table.read_block(*h)?);
            let mut it = block.iter(KeyOrder::Bytewise, false);
            it.seek_to_first()?;
            while it.valid() {
                table.props.set(it.key(), it.value());
                it.next()?;
            }
        }
        match table.props.index_type {
            None | Some(0) | Some(1) => {}
            Some(t) => {
                return Err(Error::Unsupported(format!(
                    "{}: index type {t} (partitioned or with first keys)",
                    table.name
                )))
            }
        }
        table.index_user_keys =
            footer.format_version >= 3 && table.props.index_key_is_user_key != 0;
        table.index_delta_values =
            footer.format_version >= 4 && table.props.index_value_is_delta_encoded != 0;
        table.index = Arc::new(table.read_block(footer.index)?);

        if let Some(h) = meta.get(FULL_FILTER_NAME.as_bytes()) {
            let contents = table.read_contents(*h)?;
            table.filter = Some(FilterReader::new(&contents));
        }

        if let Some(h) = meta.get(RANGE_DEL_NAME.as_bytes()) {
            let block = Arc::new(table.read_block(*h)?);
            let mut it = block.iter(KeyOrder::Internal, false);
            it.seek_to_first()?;
            while it.valid() {
                let p = parse_internal_key(it.key())
                    .filter(|p| p.kind == ValueType::RangeDeletion)
                    .ok_or_else(|| {
                        Error::corruption(&table.name, h.offset, "bad range tombstone key")
                    })?;
                table.range_dels.push(RangeTombstone {
                    start: p.user_key.to_vec(),
                    end: it.value().to_vec(),
                    seq: p.sequence,
                });
                it.next()?;
            }
        }
        Ok(table)
    }

    /// Reads, checksums and decompresses the block at `handle`.
    fn read_contents(&self, handle: BlockHandle) -> Result<Vec<u8>> {
        let end = handle
            .end_with_trailer()
            .filter(|&e| e <= self.file_size)
            .ok_or_else(|| {
                Error::corruption(
                    &self.name,
                    handle.offset,
                    format!(
                        "block handle (offset {}, size {}) extends past the end of the {} byte file",
                        handle.offset, handle.size, self.file_size
                    ),
                )
            })?;
        let mut stored = vec![0u8; (end - handle.offset) as usize];
        let n = read_full(self.file.borrow_mut().as_mut(), handle.offset, &mut stored)?;
        if n != stored.len() {
            return Err(Error::corruption(
                &self.name,
                handle.offset,
                "short read of block",
            ));
        }
        let (contents, compression) =
            verify_block(self.footer.checksum, &stored, &self.name, handle.offset)?;
        decompress(compression, contents, &self.name, handle.offset)
    }

    fn read_block(&self, handle: BlockHandle) -> Result<Block> {
        Block::new(
            self.read_contents(handle)?,
            Arc::clone(&self.name),
            handle.offset,
        )
    }

    /// The data block at `handle`: read + verify + decompress. A block cache keyed by
    /// `(file_number, handle.offset)` belongs here.
    pub(crate) fn data_block(&self, handle: BlockHandle) -> Result<Arc<Block>> {
        let Some(cache) = &self.cache else {
            return self.read_block(handle).map(Arc::new);
        };
        let key = (self.file_number, handle.offset);
        if let Some(block) = cache.borrow_mut().get(key) {
            return Ok(block);
        }
        let block = Arc::new(self.read_block(handle)?);
        cache.borrow_mut().insert(key, Arc::clone(&block));
        Ok(block)
    }

    /// Serves data blocks through `cache` from now on.
    pub fn set_block_cache(&mut self, cache: Rc<RefCell<BlockCache>>) {
        self.cache = Some(cache);
    }

    /// Decodes an index entry's value.
    pub(crate) fn decode_handle(&self, mut value: &[u8]) -> Result<BlockHandle> {
        BlockHandle::decode_from(&mut value).ok_or_else(|| {
            Error::corruption(
                &self.name,
                self.footer.index.offset,
                "bad block handle in index",
            )
        })
    }

    pub(crate) fn index_block(&self) -> (&Arc<Block>, bool, bool) {
        (&self.index, self.index_user_keys, self.index_delta_values)
    }

    /// The table's name, as given to `open`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number given to `open` (the block cache key).
    pub fn file_number(&self) -> u64 {
        self.file_number
    }

    /// The table's size in bytes.
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// The table's properties (defaults for the ones it does not record).
    pub fn properties(&self) -> &TableProperties {
        &self.props
    }

    /// False only if the filter proves `user_key` absent (true when there is no filter).
    pub fn may_contain(&self, user_key: &[u8]) -> bool {
        self.filter.as_ref().is_none_or(|f| f.may_contain(user_key))
    }

    /// The first entry at or after `lookup_ikey` with the same user key, after the filter check.
    pub fn get(&self, lookup_ikey: &[u8]) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let uk = user_key(lookup_ikey);
        if !self.may_contain(uk) {
            return Ok(None);
        }
        let mut it = self.iter();
        it.seek(lookup_ikey)?;
        if it.valid() && user_key(it.key()) == uk {
            return Ok(Some((it.key().to_vec(), it.value().to_vec())));
        }
        Ok(None)
    }

    /// An iterator over the point entries.
    pub fn iter(&self) -> TableIterator<'_> {
        TableIterator::new(self)
    }

    /// The range tombstones, in the order stored.
    pub fn range_deletions(&self) -> &[RangeTombstone] {
        &self.range_dels
    }

    /// Reads and checksums every data block (the other blocks were checked by `open`).
    pub fn verify(&self) -> Result<()> {
        let mut it = self.index.iter(
            if self.index_user_keys {
                KeyOrder::Bytewise
            } else {
                KeyOrder::Internal
            },
            self.index_delta_values,
        );
        it.seek_to_first()?;
        while it.valid() {
            let h = self.decode_handle(it.value())?;
            let block = self.data_block(h)?;
            let mut d = block.iter(KeyOrder::Internal, false);
            d.seek_to_first()?;
            while d.valid() {
                d.next()?;
            }
            it.next()?;
        }
        Ok(())
    }
}
