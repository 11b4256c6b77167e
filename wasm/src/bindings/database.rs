//! `Database`: the engine exported to JavaScript, with a staged data path that allocates nothing
//! per call.
//!
//! The host writes keys and values straight into the *input* buffer (a region of wasm memory it
//! views as a `Uint8Array`, obtained with [`Database::input`]) and passes only lengths; results
//! land in the *output* buffer, which the host views the same way ([`Database::output`]). Both
//! buffers are reused, so a warmed-up `get` or `put` allocates nothing on either side. Copies per
//! call, counting from the caller's bytes (docs/engine-api.md has the full table):
//! - put: caller's bytes → input (1, `TextEncoder.encodeInto` or `Uint8Array.set`), input →
//!   the write batch (1), batch → the memtable arena (1); the log write hands the host a view of
//!   the batch (0).
//! - get: key → input (1); value → output (1, from the memtable or a cached block); the host
//!   decodes from, or views, the output (0) or copies it out (1).
//!
//! Layouts (all integers little-endian u32 unless said otherwise):
//! - multi_get input: `count × (len ‖ key)`; output: `count × (i32 len, -1 if absent ‖ value)`.
//! - scan input: `lower ‖ upper ‖ start`; output: `entries × (len ‖ key ‖ [len ‖ value])`.
//! - write input: one RocksDB-format WriteBatch (docs/formats/log.md), sequence ignored.

use std::collections::BTreeMap;
use std::sync::Arc;

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use super::host_vfs::{HostVfs, JsVfs};
use super::js_error::{invalid, set, to_js};
use super::open_options;
use super::report;
use crate::batch::WriteBatch;
use crate::compaction::{StateTtlFilter, TtlLayout};
use crate::db::{ColumnFamilyOptions, Db, ReadOptions, Snapshot, WriteOptions};

type JsResult<T> = std::result::Result<T, JsValue>;

/// Scan flags (bit set in `flags` of [`Database::scan`]).
const SCAN_HAS_LOWER: u32 = 1;
const SCAN_HAS_UPPER: u32 = 2;
const SCAN_HAS_START: u32 = 4;
const SCAN_START_EXCLUSIVE: u32 = 8;
const SCAN_REVERSE: u32 = 16;
const SCAN_KEYS_ONLY: u32 = 32;
/// Set in `scan`'s result when the range has no more entries.
const SCAN_DONE: u32 = 1 << 31;

/// An open database, owned by one JavaScript thread.
#[wasm_bindgen]
pub struct Database {
    db: Db,
    /// Host-written arguments; `len()` is its usable size (kept equal to capacity).
    input: Vec<u8>,
    /// Results for the host to read; the call returns how many bytes are valid.
    output: Vec<u8>,
    /// A value being looked up for `multi_get` before it is appended to `output`.
    value: Vec<u8>,
    batch: WriteBatch,
    snapshots: BTreeMap<u32, Snapshot>,
    next_snapshot: u32,
}

fn write_options(sync: bool) -> WriteOptions {
    WriteOptions { sync }
}

/// Bytes `[from, from + len)` of the input buffer.
fn staged(input: &[u8], from: u32, len: u32) -> JsResult<&[u8]> {
    input
        .get(from as usize..from as usize + len as usize)
        .ok_or_else(|| invalid(format!("staged bytes {from}+{len} exceed the input buffer")))
}

fn push_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

#[wasm_bindgen]
impl Database {
    /// Opens (or creates) the database stored in `vfs` and recovers it; `options` as
    /// `open_options::parse` reads them.
    pub fn open(vfs: JsVfs, options: Object) -> JsResult<Database> {
        let (options, cfs) = open_options::parse(&options)?;
        let db = Db::open_with(Box::new(HostVfs { js: vfs }), options, cfs).map_err(to_js)?;
        Ok(Database {
            db,
            input: vec![0; 4096],
            output: Vec::with_capacity(4096),
            value: Vec::new(),
            batch: WriteBatch::new(),
            snapshots: BTreeMap::new(),
            next_snapshot: 1,
        })
    }

    /// Address of the input buffer after making it at least `min_len` bytes long. The address
    /// changes when it grows (and wasm memory itself may move): the host re-views it after
    /// calling this.
    pub fn input(&mut self, min_len: u32) -> u32 {
        let min_len = min_len as usize;
        if self.input.len() < min_len {
            self.input.resize(min_len.next_power_of_two(), 0);
        }
        self.input.as_ptr() as u32
    }

    /// Usable bytes of the input buffer.
    pub fn input_len(&self) -> u32 {
        self.input.len() as u32
    }

    /// Address of the output buffer (valid until the next call that writes output).
    pub fn output(&self) -> u32 {
        self.output.as_ptr() as u32
    }

    fn read_options(&self, snapshot: u32) -> JsResult<ReadOptions> {
        let snapshot = match snapshot {
            0 => None,
            id => Some(
                self.snapshots
                    .get(&id)
                    .ok_or_else(|| invalid(format!("snapshot {id} was released")))?
                    .sequence(),
            ),
        };
        Ok(ReadOptions {
            snapshot,
            ..ReadOptions::default()
        })
    }

    /// Puts input `[0, klen)` as key and `[klen, klen + vlen)` as value into column family `cf`.
    pub fn put(&mut self, cf: u32, klen: u32, vlen: u32, sync: bool) -> JsResult<()> {
        let (key, value) = (
            staged(&self.input, 0, klen)?,
            staged(&self.input, klen, vlen)?,
        );
        self.db
            .put_cf(cf, key, value, write_options(sync))
            .map_err(to_js)
    }

    /// Adds input `[klen, klen + vlen)` as a merge operand to key `[0, klen)`.
    pub fn merge(&mut self, cf: u32, klen: u32, vlen: u32, sync: bool) -> JsResult<()> {
        let (key, value) = (
            staged(&self.input, 0, klen)?,
            staged(&self.input, klen, vlen)?,
        );
        self.db
            .merge_cf(cf, key, value, write_options(sync))
            .map_err(to_js)
    }

    /// Deletes key `[0, klen)`.
    pub fn delete(&mut self, cf: u32, klen: u32, sync: bool) -> JsResult<()> {
        let key = staged(&self.input, 0, klen)?;
        self.db
            .delete_cf(cf, key, write_options(sync))
            .map_err(to_js)
    }

    /// Deletes every key in `[begin, end)`: begin is input `[0, blen)`, end `[blen, blen + elen)`.
    pub fn delete_range(&mut self, cf: u32, blen: u32, elen: u32, sync: bool) -> JsResult<()> {
        let (begin, end) = (
            staged(&self.input, 0, blen)?,
            staged(&self.input, blen, elen)?,
        );
        self.db
            .delete_range_cf(cf, begin, end, write_options(sync))
            .map_err(to_js)
    }

    /// Applies the WriteBatch encoded in input `[0, len)` atomically.
    pub fn write(&mut self, len: u32, sync: bool) -> JsResult<()> {
        let encoded = staged(&self.input, 0, len)?;
        let mut batch = std::mem::take(&mut self.batch);
        let result = batch
            .assign_encoded(encoded)
            .and_then(|()| self.db.write(&mut batch, write_options(sync)));
        self.batch = batch;
        result.map_err(to_js)
    }

    /// Looks key `[0, klen)` up; its value is in the output buffer. Returns the value's length,
    /// or -1 if the key is absent.
    pub fn get(&mut self, cf: u32, klen: u32, snapshot: u32) -> JsResult<i32> {
        let opts = self.read_options(snapshot)?;
        let key = staged(&self.input, 0, klen)?;
        let found = self
            .db
            .get_into(cf, key, &opts, &mut self.output)
            .map_err(to_js)?;
        Ok(if found { self.output.len() as i32 } else { -1 })
    }

    /// Looks up `count` keys framed in the input; returns the output's length (layout above).
    pub fn multi_get(&mut self, cf: u32, count: u32, snapshot: u32) -> JsResult<u32> {
        let opts = self.read_options(snapshot)?;
        self.output.clear();
        let mut src = &self.input[..];
        for _ in 0..count {
            let (len, rest) = src
                .split_first_chunk::<4>()
                .ok_or_else(|| invalid("multi_get: key framing exceeds the input".into()))?;
            let len = u32::from_le_bytes(*len) as usize;
            let key = rest
                .get(..len)
                .ok_or_else(|| invalid("multi_get: key framing exceeds the input".into()))?;
            src = &rest[len..];
            if self
                .db
                .get_into(cf, key, &opts, &mut self.value)
                .map_err(to_js)?
            {
                push_u32(&mut self.output, self.value.len());
                self.output.extend_from_slice(&self.value);
            } else {
                self.output.extend_from_slice(&(-1i32).to_le_bytes());
            }
        }
        Ok(self.output.len() as u32)
    }

    /// One page of an iteration over `cf`: entries from the start key (or the bound) in the
    /// given direction, until `limit` entries or `max_bytes` of output (at least one entry).
    /// Returns the number of entries, with bit 31 set when the range is exhausted.
    #[allow(clippy::too_many_arguments)]
    pub fn scan(
        &mut self,
        cf: u32,
        lower_len: u32,
        upper_len: u32,
        start_len: u32,
        flags: u32,
        limit: u32,
        max_bytes: u32,
        snapshot: u32,
    ) -> JsResult<u32> {
        let mut opts = self.read_options(snapshot)?;
        if flags & SCAN_HAS_LOWER != 0 {
            opts.lower_bound = Some(staged(&self.input, 0, lower_len)?.to_vec());
        }
        if flags & SCAN_HAS_UPPER != 0 {
            opts.upper_bound = Some(staged(&self.input, lower_len, upper_len)?.to_vec());
        }
        let start = staged(&self.input, lower_len + upper_len, start_len)?;
        let reverse = flags & SCAN_REVERSE != 0;
        let keys_only = flags & SCAN_KEYS_ONLY != 0;
        opts.keys_only = keys_only;
        let mut it = self.db.iter_cf(cf, &opts).map_err(to_js)?;
        match (flags & SCAN_HAS_START != 0, reverse) {
            (false, false) => it.seek_to_first(),
            (false, true) => it.seek_to_last(),
            (true, false) => it.seek(start),
            (true, true) => it.seek_for_prev(start),
        }
        .map_err(to_js)?;
        if flags & SCAN_START_EXCLUSIVE != 0 && it.valid() && it.key() == start {
            if reverse { it.prev() } else { it.next() }.map_err(to_js)?;
        }
        self.output.clear();
        let mut n = 0;
        while it.valid() && n < limit && (n == 0 || self.output.len() < max_bytes as usize) {
            push_u32(&mut self.output, it.key().len());
            self.output.extend_from_slice(it.key());
            if !keys_only {
                push_u32(&mut self.output, it.value().len());
                self.output.extend_from_slice(it.value());
            }
            n += 1;
            if reverse { it.prev() } else { it.next() }.map_err(to_js)?;
        }
        Ok(if it.valid() { n } else { n | SCAN_DONE })
    }

    /// Takes a snapshot; returns its id (never 0) for reads and [`Database::release_snapshot`].
    pub fn snapshot(&mut self) -> u32 {
        let id = self.next_snapshot;
        self.next_snapshot = self.next_snapshot.wrapping_add(1).max(1);
        let snapshot = self.db.snapshot();
        self.snapshots.insert(id, snapshot);
        id
    }

    /// Releases snapshot `id` (a no-op if already released).
    pub fn release_snapshot(&mut self, id: u32) {
        if let Some(s) = self.snapshots.remove(&id) {
            self.db.release_snapshot(s);
        }
    }

    /// Sequence number a snapshot reads at.
    pub fn snapshot_sequence(&self, id: u32) -> JsResult<f64> {
        Ok(self.read_options(id)?.snapshot.unwrap_or(0) as f64)
    }

    /// Creates a column family with merge operator `merge` (`listAppend`, `uint64Add`, or none);
    /// returns its id.
    pub fn create_column_family(&mut self, name: &str, merge: Option<String>) -> JsResult<u32> {
        let mut options = ColumnFamilyOptions::default();
        if let Some(merge) = merge {
            options.merge_operator = Some(open_options::merge_operator(
                &merge,
                self.db.options().max_value_size,
            )?);
        }
        self.db.create_column_family(name, options).map_err(to_js)
    }

    /// Drops column family `id` and deletes its data.
    pub fn drop_column_family(&mut self, id: u32) -> JsResult<()> {
        self.db.drop_column_family(id).map_err(to_js)
    }

    /// `[[id, name], ...]` of every column family.
    pub fn column_families(&self) -> Array {
        self.db
            .column_families()
            .into_iter()
            .map(|(id, name)| JsValue::from(Array::of2(&id.into(), &name.into())))
            .collect()
    }

    /// Drops expired keyed state from column family `cf` during compaction: values (`list`
    /// false) or lists of elements (`list` true) stamped with an i64 big-endian timestamp, which
    /// expire `ttl_ms` after it (see `compaction::ttl`). `ttl_ms` 0 removes the filter.
    pub fn set_ttl_filter(&mut self, cf: u32, list: bool, ttl_ms: f64) -> JsResult<()> {
        let filter: Option<Arc<dyn crate::compaction::CompactionFilter>> = if ttl_ms > 0.0 {
            Some(Arc::new(StateTtlFilter {
                ttl_ms: ttl_ms as i64,
                layout: if list {
                    TtlLayout::List
                } else {
                    TtlLayout::Value
                },
                now: self.db.clock(),
            }))
        } else {
            None
        };
        self.db.set_compaction_filter(cf, filter).map_err(to_js)
    }

    /// Sets the time (ms): TTL filters judge expiry by it, new tables record it, periodic
    /// compaction measures table age by it (see `Db::set_time`).
    pub fn set_time(&mut self, now_ms: f64) {
        self.db.set_time(now_ms as i64);
    }

    /// Sets column family `cf`'s periodic compaction interval in seconds: `undefined` the
    /// default (30 days with a compaction filter, else never), 0 never.
    pub fn set_periodic_compaction(&mut self, cf: u32, seconds: Option<f64>) -> JsResult<()> {
        let seconds = seconds.map(open_options::seconds).transpose()?;
        self.db
            .set_periodic_compaction_seconds(cf, seconds)
            .map_err(to_js)
    }

    /// Flushes and pins the current state as files: `{ id, lastSequence, tables: [[name,
    /// size], ...], manifestName, manifest: Uint8Array }` (see `Db::pin_checkpoint`). The tables
    /// stay on disk until `release_checkpoint(id)`.
    pub fn pin_checkpoint(&mut self) -> JsResult<Object> {
        let c = self.db.pin_checkpoint().map_err(to_js)?;
        let obj = Object::new();
        set(&obj, "id", c.id as f64);
        set(&obj, "lastSequence", c.last_sequence as f64);
        let tables: Array = c
            .tables
            .iter()
            .map(|(name, size)| JsValue::from(Array::of2(&name.into(), &(*size as f64).into())))
            .collect();
        set(&obj, "tables", tables);
        set(&obj, "manifestName", c.manifest_name.as_str());
        set(
            &obj,
            "manifest",
            js_sys::Uint8Array::from(c.manifest.as_slice()),
        );
        Ok(obj)
    }

    /// Releases a pinned checkpoint (tables only it kept are deleted).
    pub fn release_checkpoint(&mut self, id: f64) {
        self.db.release_checkpoint(id as u64);
    }

    /// Reads up to `max` bytes at `offset` of pinned table `name` into the output buffer;
    /// returns the count.
    pub fn read_pinned(&mut self, name: &str, offset: f64, max: u32) -> JsResult<u32> {
        let n = self
            .db
            .read_pinned(name, offset as u64, max as usize, &mut self.output)
            .map_err(to_js)?;
        Ok(n as u32)
    }

    /// Hands buffered log records to storage (no sync); returns how many bytes were buffered.
    pub fn write_wal(&mut self) -> JsResult<u32> {
        let n = self.db.wal_buffered() as u32;
        self.db.write_wal().map_err(to_js)?;
        Ok(n)
    }

    /// Makes every acknowledged write durable.
    pub fn sync(&mut self) -> JsResult<()> {
        self.db.sync().map_err(to_js)
    }

    /// Writes every memtable to a table (and syncs), so the log holds nothing live.
    pub fn flush(&mut self) -> JsResult<()> {
        self.db.flush().map_err(to_js)
    }

    /// Compacts every column family down to one sorted run (see `Db::compact_all`).
    pub fn compact(&mut self) -> JsResult<()> {
        self.db.compact_all().map_err(to_js)
    }

    /// Syncs and closes; later calls throw `DATABASE_CLOSED`. A failure for want of space
    /// leaves the database open (`is_closed` false: see `Db::close`); close again later.
    pub fn close(&mut self) -> JsResult<()> {
        let result = self.db.close();
        if self.db.is_closed() {
            self.snapshots.clear();
        }
        result.map_err(to_js)
    }

    /// Whether `close` has closed the database.
    pub fn is_closed(&self) -> bool {
        self.db.is_closed()
    }

    /// Number of live keys in `cf`, counted by a full scan (O(keys)).
    pub fn count(&self, cf: u32) -> JsResult<f64> {
        let opts = ReadOptions {
            keys_only: true,
            ..ReadOptions::default()
        };
        let mut it = self.db.iter_cf(cf, &opts).map_err(to_js)?;
        it.seek_to_first().map_err(to_js)?;
        let mut n = 0u64;
        while it.valid() {
            n += 1;
            it.next().map_err(to_js)?;
        }
        Ok(n as f64)
    }

    /// `[entries, bytes]` of column family `cf` (see `Db::column_family_size`).
    pub fn column_family_size(&self, cf: u32) -> JsResult<Array> {
        let (entries, bytes) = self.db.column_family_size(cf).map_err(to_js)?;
        Ok(Array::of2(&(entries as f64).into(), &(bytes as f64).into()))
    }

    /// Counters; see `report::stats`.
    pub fn stats(&self) -> Object {
        report::stats(&self.db.stats())
    }

    /// What open recovered; see `report::recovery`.
    pub fn recovery(&self) -> Object {
        report::recovery(self.db.recovery())
    }

    /// Checks every table's checksums; returns the number of entries read.
    pub fn verify(&self) -> JsResult<f64> {
        Ok(self.db.verify().map_err(to_js)? as f64)
    }
}

/// CRC32C (Castagnoli) of `bytes` continuing from `crc` (0 to start): the checksum of exported
/// checkpoint files, the same RocksDB uses.
#[wasm_bindgen]
pub fn crc32c_append(crc: u32, bytes: &[u8]) -> u32 {
    crc32c::crc32c_append(crc, bytes)
}
