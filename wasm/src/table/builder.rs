//! Writes a table: data blocks as keys arrive, then filter, index, range deletions, properties,
//! metaindex and footer (the order RocksDB 7.8.3 uses; readers only follow handles).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::dbformat::{
    compare_internal_keys, pack_trailer, parse_internal_key, ValueType, BYTEWISE_COMPARATOR,
    MAX_SEQUENCE,
};
use crate::vfs::VfsFile;
use crate::{Error, Result};

use super::block::BlockBuilder;
use super::compression::{compress, NO_COMPRESSION};
use super::filter::FilterBuilder;
use super::format::{
    put_block_trailer, BlockHandle, ChecksumType, Footer, BLOCK_TRAILER_SIZE, WRITE_FORMAT_VERSION,
};
use super::properties::TableProperties;
use super::{TableOptions, FULL_FILTER_NAME, PROPERTIES_NAME, RANGE_DEL_NAME};

/// What a finished table holds, for the MANIFEST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    /// Bytes written.
    pub file_size: u64,
    /// Smallest internal key, range tombstone starts included (empty for an empty table).
    pub smallest_key: Vec<u8>,
    /// Largest internal key; a tombstone contributes `(end, MAX_SEQUENCE, RangeDeletion)`.
    pub largest_key: Vec<u8>,
    /// Smallest sequence number of any entry or tombstone.
    pub smallest_seqno: u64,
    /// Largest sequence number of any entry or tombstone.
    pub largest_seqno: u64,
    /// Point entries plus range tombstones.
    pub num_entries: u64,
    /// Deletions, single deletions and range deletions.
    pub num_deletions: u64,
    /// Range tombstones.
    pub num_range_deletions: u64,
    /// The properties written.
    pub properties: TableProperties,
}

/// Builds one table file. See the module documentation for the order of blocks.
pub struct TableBuilder {
    file: Box<dyn VfsFile>,
    name: String,
    opts: TableOptions,
    offset: u64,
    data: BlockBuilder,
    index: BlockBuilder,
    filter: Option<FilterBuilder>,
    last_key: Vec<u8>,
    points: u64,
    props: TableProperties,
    range_dels: Vec<(Vec<u8>, Vec<u8>)>,
    smallest: Vec<u8>,
    largest: Vec<u8>,
    seqnos: Option<(u64, u64)>,
}

impl TableBuilder {
    /// A builder writing to `file` (which should be empty) named `name` in errors.
    pub fn new(file: Box<dyn VfsFile>, name: String, opts: TableOptions) -> TableBuilder {
        TableBuilder {
            file,
            name,
            data: BlockBuilder::new(opts.block_restart_interval),
            index: BlockBuilder::new(1),
            filter: (opts.bloom_bits_per_key > 0)
                .then(|| FilterBuilder::new(opts.bloom_bits_per_key)),
            opts,
            offset: 0,
            last_key: Vec::new(),
            points: 0,
            props: TableProperties::default(),
            range_dels: Vec::new(),
            smallest: Vec::new(),
            largest: Vec::new(),
            seqnos: None,
        }
    }

    fn note_bounds(&mut self, lo: &[u8], hi: &[u8], seq: u64) {
        if self.smallest.is_empty() || compare_internal_keys(lo, &self.smallest) == Ordering::Less {
            self.smallest = lo.to_vec();
        }
        if self.largest.is_empty() || compare_internal_keys(hi, &self.largest) == Ordering::Greater
        {
            self.largest = hi.to_vec();
        }
        self.seqnos = Some(match self.seqnos {
            None => (seq, seq),
            Some((a, b)) => (a.min(seq), b.max(seq)),
        });
    }

    /// Adds a point entry. REQUIRES: `ikey` sorts strictly after the previous key
    /// ([`compare_internal_keys`]); otherwise [`Error::InvalidArgument`].
    pub fn add(&mut self, ikey: &[u8], value: &[u8]) -> Result<()> {
        let parsed = parse_internal_key(ikey).ok_or_else(|| {
            Error::InvalidArgument(format!("{}: malformed internal key", self.name))
        })?;
        if parsed.kind == ValueType::RangeDeletion {
            return Err(Error::InvalidArgument(format!(
                "{}: range deletions go through add_range_deletion",
                self.name
            )));
        }
        if self.points > 0 && compare_internal_keys(ikey, &self.last_key) != Ordering::Greater {
            return Err(Error::InvalidArgument(format!(
                "{}: keys added out of order",
                self.name
            )));
        }
        if let Some(f) = &mut self.filter {
            f.add_key(parsed.user_key);
        }
        self.data.add(ikey, value);
        self.last_key.clear();
        self.last_key.extend_from_slice(ikey);
        self.points += 1;
        self.props.num_entries += 1;
        self.props.raw_key_size += ikey.len() as u64;
        self.props.raw_value_size += value.len() as u64;
        match parsed.kind {
            ValueType::Deletion | ValueType::SingleDeletion => self.props.num_deletions += 1,
            ValueType::Merge => self.props.num_merge_operands += 1,
            _ => {}
        }
        self.note_bounds(ikey, ikey, parsed.sequence);
        if self.data.estimated_size() >= self.opts.block_size {
            self.flush_data_block()?;
        }
        Ok(())
    }

    /// Adds a range tombstone deleting `[start_user_key, end_user_key)` below `seq`.
    pub fn add_range_deletion(
        &mut self,
        start_user_key: &[u8],
        seq: u64,
        end_user_key: &[u8],
    ) -> Result<()> {
        if seq > MAX_SEQUENCE {
            return Err(Error::InvalidArgument(format!(
                "{}: sequence number {seq} too large",
                self.name
            )));
        }
        let mut start = start_user_key.to_vec();
        start.extend_from_slice(&pack_trailer(seq, ValueType::RangeDeletion as u8).to_le_bytes());
        let mut end = end_user_key.to_vec();
        end.extend_from_slice(
            &pack_trailer(MAX_SEQUENCE, ValueType::RangeDeletion as u8).to_le_bytes(),
        );
        self.note_bounds(&start, &end, seq);
        self.props.num_entries += 1;
        self.props.num_deletions += 1;
        self.props.num_range_deletions += 1;
        self.props.raw_key_size += start.len() as u64;
        self.props.raw_value_size += end_user_key.len() as u64;
        self.range_dels.push((start, end_user_key.to_vec()));
        Ok(())
    }

    /// Entries added so far (point entries and range tombstones).
    pub fn num_entries(&self) -> u64 {
        self.props.num_entries
    }

    /// Bytes written so far plus the pending data block.
    pub fn file_size_estimate(&self) -> u64 {
        self.offset + self.data.estimated_size() as u64
    }

    fn write_raw_block(&mut self, contents: &[u8], compression: u8) -> Result<BlockHandle> {
        let handle = BlockHandle {
            offset: self.offset,
            size: contents.len() as u64,
        };
        let mut stored = Vec::with_capacity(contents.len() + BLOCK_TRAILER_SIZE);
        stored.extend_from_slice(contents);
        put_block_trailer(&mut stored, contents, compression);
        self.file.write_at(self.offset, &stored)?;
        self.offset += stored.len() as u64;
        Ok(handle)
    }

    fn flush_data_block(&mut self) -> Result<()> {
        if self.data.is_empty() {
            return Ok(());
        }
        let last = self.data.last_key().to_vec();
        let raw = self.data.finish();
        let handle = match compress(self.opts.compression, &raw) {
            Some((kind, stored)) => self.write_raw_block(&stored, kind)?,
            None => self.write_raw_block(&raw, NO_COMPRESSION)?,
        };
        self.props.data_size += handle.size + BLOCK_TRAILER_SIZE as u64;
        self.props.num_data_blocks += 1;
        self.index.add(&last, &handle.encoded());
        Ok(())
    }

    /// Writes the remaining blocks and the footer, syncs the file and describes the table.
    pub fn finish(mut self) -> Result<TableSummary> {
        self.flush_data_block()?;
        let mut meta: BTreeMap<&str, BlockHandle> = BTreeMap::new();

        if let Some(f) = self.filter.take().filter(|f| f.num_entries() > 0) {
            let block = f.finish();
            let h = self.write_raw_block(&block, NO_COMPRESSION)?;
            meta.insert(FULL_FILTER_NAME, h);
            self.props.filter_size = h.size + BLOCK_TRAILER_SIZE as u64;
            self.props.num_filter_entries = f.num_entries() as u64;
            self.props.filter_policy_name = "bloomfilter".to_owned();
        }

        let index = self.index.finish();
        let h = self.write_raw_block(&index, NO_COMPRESSION)?;
        self.props.index_size = h.size + BLOCK_TRAILER_SIZE as u64;
        let index_handle = h;

        if !self.range_dels.is_empty() {
            let mut dels = std::mem::take(&mut self.range_dels);
            dels.sort_by(|a, b| compare_internal_keys(&a.0, &b.0));
            let mut b = BlockBuilder::new(1);
            for (k, v) in &dels {
                b.add(k, v);
            }
            let block = b.finish();
            meta.insert(
                RANGE_DEL_NAME,
                self.write_raw_block(&block, NO_COMPRESSION)?,
            );
        }

        self.props.comparator_name = BYTEWISE_COMPARATOR.to_owned();
        self.props.merge_operator_name = "nullptr".to_owned();
        self.props.compression_name = self.opts.compression.rocksdb_name().to_owned();
        self.props.column_family_id = u64::from(self.opts.column_family_id);
        self.props.column_family_name = self.opts.column_family_name.clone();
        self.props.creation_time = self.opts.creation_time;
        self.props.file_creation_time = self.opts.file_creation_time;
        self.props.index_type = Some(0);
        let props_block = self.props.encode_block();
        meta.insert(
            PROPERTIES_NAME,
            self.write_raw_block(&props_block, NO_COMPRESSION)?,
        );

        let mut mb = BlockBuilder::new(1);
        for (name, h) in &meta {
            mb.add(name.as_bytes(), &h.encoded());
        }
        let metaindex = mb.finish();
        let metaindex_handle = self.write_raw_block(&metaindex, NO_COMPRESSION)?;

        let footer = Footer {
            checksum: ChecksumType::Crc32c,
            metaindex: metaindex_handle,
            index: index_handle,
            format_version: WRITE_FORMAT_VERSION,
        }
        .encode();
        self.file.write_at(self.offset, &footer)?;
        self.offset += footer.len() as u64;
        self.file.sync()?;

        let (smallest_seqno, largest_seqno) = self.seqnos.unwrap_or((0, 0));
        Ok(TableSummary {
            file_size: self.offset,
            smallest_key: self.smallest,
            largest_key: self.largest,
            smallest_seqno,
            largest_seqno,
            num_entries: self.props.num_entries,
            num_deletions: self.props.num_deletions,
            num_range_deletions: self.props.num_range_deletions,
            properties: self.props,
        })
    }
}
