//! The wasm32 boundary: the host's VFS imported from JavaScript, the database exported to it.
//!
//! Copies per call (the hot path crosses here on every access):
//! - `put(key, value)`: wasm-bindgen copies key and value into wasm memory (1 each); the engine
//!   encodes them into its reused batch buffer (1 each) and hands the VFS a *view* of that buffer
//!   (0: the host writes it straight to storage); the memtable keeps its own copy (1 each).
//! - `get(key)`: the key is copied in (1); the value is copied once, from the memtable into a new
//!   JS `Uint8Array`.
//! - VFS reads fill a view of wasm memory in place (0 copies across the boundary).

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::db::{Db, Options, ReadOptions, RecoveryMode, WriteOptions};
use crate::vfs::{OpenMode, Vfs, VfsFile};
use crate::{Error, IoErrorKind, Result};

#[wasm_bindgen]
extern "C" {
    /// A host object implementing `HostVfs` (declared, with its contract, in
    /// web/src/storage/host-vfs.ts; typed `object` here so that declaration stays the only one).
    #[wasm_bindgen(typescript_type = "object")]
    pub type JsVfs;

    #[wasm_bindgen(method, catch, js_name = open)]
    fn js_open(this: &JsVfs, name: &str, create: bool) -> std::result::Result<u32, JsValue>;
    #[wasm_bindgen(method, catch, js_name = read)]
    fn js_read(
        this: &JsVfs,
        fd: u32,
        offset: f64,
        into: &mut [u8],
    ) -> std::result::Result<u32, JsValue>;
    #[wasm_bindgen(method, catch, js_name = write)]
    fn js_write(
        this: &JsVfs,
        fd: u32,
        offset: f64,
        data: &[u8],
    ) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = size)]
    fn js_size(this: &JsVfs, fd: u32) -> std::result::Result<f64, JsValue>;
    #[wasm_bindgen(method, catch, js_name = truncate)]
    fn js_truncate(this: &JsVfs, fd: u32, size: f64) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = sync)]
    fn js_sync(this: &JsVfs, fd: u32) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = close)]
    fn js_close(this: &JsVfs, fd: u32) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = delete)]
    fn js_delete(this: &JsVfs, name: &str) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = rename)]
    fn js_rename(this: &JsVfs, from: &str, to: &str) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = list)]
    fn js_list(this: &JsVfs) -> std::result::Result<Vec<String>, JsValue>;
}

/// Turns whatever the host threw into an [`Error::Io`], classified by the DOMException name (or
/// an edgestate error `code`) it carries.
fn host_error(op: &'static str, file: &str, thrown: JsValue) -> Error {
    let prop = |key: &str| {
        Reflect::get(&thrown, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    };
    let name = prop("name").unwrap_or_default();
    let code = prop("code").unwrap_or_default();
    let kind = match (name.as_str(), code.as_str()) {
        ("NotFoundError", _) | (_, "NOT_FOUND") => IoErrorKind::NotFound,
        ("QuotaExceededError", _) | (_, "QUOTA_EXCEEDED") => IoErrorKind::QuotaExceeded,
        ("NoModificationAllowedError", _) | (_, "DATABASE_LOCKED") => IoErrorKind::Locked,
        (_, "STORAGE_EXHAUSTED") => IoErrorKind::Exhausted,
        _ => IoErrorKind::Other,
    };
    let message = prop("message")
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| format!("{thrown:?}"));
    Error::Io {
        op,
        file: file.to_owned(),
        kind,
        message,
    }
}

fn to_offset(v: u64) -> f64 {
    // Files stay far below 2^53 bytes; f64 carries such offsets exactly.
    v as f64
}

struct HostVfs {
    js: JsVfs,
}

impl Vfs for HostVfs {
    fn open(&self, name: &str, mode: OpenMode) -> Result<Box<dyn VfsFile>> {
        let fd = self
            .js
            .js_open(name, mode == OpenMode::CreateTruncate)
            .map_err(|e| host_error("open", name, e))?;
        Ok(Box::new(HostFile {
            js: JsVfs::from(JsValue::from(&self.js)),
            fd,
            name: name.to_owned(),
        }))
    }

    fn delete(&self, name: &str) -> Result<()> {
        self.js
            .js_delete(name)
            .map_err(|e| host_error("delete", name, e))
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.js
            .js_rename(from, to)
            .map_err(|e| host_error("rename", from, e))
    }

    fn list(&self) -> Result<Vec<String>> {
        self.js.js_list().map_err(|e| host_error("list", "", e))
    }
}

struct HostFile {
    js: JsVfs,
    fd: u32,
    name: String,
}

impl VfsFile for HostFile {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let n = self
            .js
            .js_read(self.fd, to_offset(offset), buf)
            .map_err(|e| host_error("read", &self.name, e))?;
        Ok((n as usize).min(buf.len()))
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        self.js
            .js_write(self.fd, to_offset(offset), data)
            .map_err(|e| host_error("write", &self.name, e))
    }

    fn size(&mut self) -> Result<u64> {
        let size = self
            .js
            .js_size(self.fd)
            .map_err(|e| host_error("size", &self.name, e))?;
        Ok(size as u64)
    }

    fn truncate(&mut self, len: u64) -> Result<()> {
        self.js
            .js_truncate(self.fd, to_offset(len))
            .map_err(|e| host_error("truncate", &self.name, e))
    }

    fn sync(&mut self) -> Result<()> {
        self.js
            .js_sync(self.fd)
            .map_err(|e| host_error("sync", &self.name, e))
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        // Closing only releases the descriptor; a failure leaves nothing to undo.
        let _ = self.js.js_close(self.fd);
    }
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a data property on a plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// The error thrown into JavaScript: an `Error` whose `code` (and `kind`, `file`, `offset`,
/// `len`, `limit` where they apply) the TypeScript layer maps onto its error classes.
fn to_js(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("EngineError");
    set(&err, "code", e.code());
    match &e {
        Error::Io { op, file, kind, .. } => {
            set(&err, "op", *op);
            set(&err, "file", file.as_str());
            set(&err, "kind", kind.as_str());
        }
        Error::Corruption { file, offset, .. } => {
            set(&err, "file", file.as_str());
            set(&err, "offset", to_offset(*offset));
        }
        Error::KeyTooLarge { len, limit } | Error::ValueTooLarge { len, limit } => {
            set(&err, "len", *len as f64);
            set(&err, "limit", *limit as f64);
        }
        _ => {}
    }
    err.into()
}

/// An open database, owned by one JavaScript thread.
#[wasm_bindgen]
pub struct Database {
    db: Db,
}

#[wasm_bindgen]
impl Database {
    /// Opens (or creates) the database stored in `vfs` and replays its log. `recovery_mode`:
    /// 0 absolute consistency, 1 tolerate a corrupted tail (default), 2 point in time.
    pub fn open(
        vfs: JsVfs,
        max_key_size: u32,
        max_value_size: u32,
        recovery_mode: u8,
    ) -> std::result::Result<Database, JsValue> {
        let recovery_mode = match recovery_mode {
            0 => RecoveryMode::AbsoluteConsistency,
            1 => RecoveryMode::TolerateCorruptedTail,
            2 => RecoveryMode::PointInTime,
            other => {
                return Err(to_js(Error::InvalidArgument(format!(
                    "unknown recovery mode {other}"
                ))))
            }
        };
        let options = Options {
            max_key_size: max_key_size as usize,
            max_value_size: max_value_size as usize,
            recovery_mode,
            ..Options::default()
        };
        let db = Db::open(Box::new(HostVfs { js: vfs }), options).map_err(to_js)?;
        Ok(Database { db })
    }

    /// Sets `key` to `value`; with `sync`, durable when this returns.
    pub fn put(
        &mut self,
        key: &[u8],
        value: &[u8],
        sync: bool,
    ) -> std::result::Result<(), JsValue> {
        self.db
            .put(key, value, WriteOptions { sync })
            .map_err(to_js)
    }

    /// Writes `keys[i] = values[i]` for every i as one atomic batch: one log record, one
    /// storage write. Both arrays hold `Uint8Array`s of equal count.
    pub fn put_many(
        &mut self,
        keys: Array,
        values: Array,
        sync: bool,
    ) -> std::result::Result<(), JsValue> {
        if keys.length() != values.length() {
            return Err(to_js(Error::InvalidArgument(format!(
                "put_many: {} keys but {} values",
                keys.length(),
                values.length()
            ))));
        }
        let mut batch = crate::batch::WriteBatch::new();
        for (k, v) in keys.iter().zip(values.iter()) {
            let (Some(k), Some(v)) = (k.dyn_ref::<Uint8Array>(), v.dyn_ref::<Uint8Array>()) else {
                return Err(to_js(Error::InvalidArgument(
                    "put_many: keys and values must be Uint8Arrays".into(),
                )));
            };
            batch.put(&k.to_vec(), &v.to_vec());
        }
        self.db
            .write(&mut batch, WriteOptions { sync })
            .map_err(to_js)
    }

    /// Removes `key`.
    pub fn delete(&mut self, key: &[u8], sync: bool) -> std::result::Result<(), JsValue> {
        self.db.delete(key, WriteOptions { sync }).map_err(to_js)
    }

    /// The value of `key`, copied into a new `Uint8Array`, or `undefined`.
    pub fn get(&self, key: &[u8]) -> std::result::Result<Option<Uint8Array>, JsValue> {
        Ok(self
            .db
            .get(key)
            .map_err(to_js)?
            .map(|v| Uint8Array::from(v.as_slice())))
    }

    /// Up to `limit` entries with `from <= key < to`, as `[key, value]` pairs in key order.
    pub fn scan(
        &self,
        from: Option<Box<[u8]>>,
        to: Option<Box<[u8]>>,
        limit: u32,
    ) -> std::result::Result<Array, JsValue> {
        let out = Array::new();
        let opts = ReadOptions {
            snapshot: None,
            lower_bound: from.map(Vec::from),
            upper_bound: to.map(Vec::from),
        };
        let mut it = self.db.iter_cf(0, &opts).map_err(to_js)?;
        it.seek_to_first().map_err(to_js)?;
        while it.valid() && out.length() < limit {
            out.push(&Array::of2(
                &Uint8Array::from(it.key()),
                &Uint8Array::from(it.value()),
            ));
            it.next().map_err(to_js)?;
        }
        Ok(out)
    }

    /// Makes every acknowledged write durable.
    pub fn sync(&mut self) -> std::result::Result<(), JsValue> {
        self.db.sync().map_err(to_js)
    }

    /// Syncs and closes; later calls throw `DATABASE_CLOSED`.
    pub fn close(&mut self) -> std::result::Result<(), JsValue> {
        self.db.close().map_err(to_js)
    }

    /// Number of live keys, counted by a full scan (O(keys)).
    pub fn count(&self) -> std::result::Result<f64, JsValue> {
        let mut it = self.db.iter_cf(0, &ReadOptions::default()).map_err(to_js)?;
        it.seek_to_first().map_err(to_js)?;
        let mut n = 0u64;
        while it.valid() {
            n += 1;
            it.next().map_err(to_js)?;
        }
        Ok(n as f64)
    }

    /// `{ keysEstimate, memtableBytes, logBytes, logNumber, lastSequence, tables, flushes,
    /// compactions, levels: [[files, bytes], ...] }`.
    pub fn stats(&self) -> Object {
        let s = self.db.stats();
        let obj = Object::new();
        set(
            &obj,
            "keysEstimate",
            (s.memtable_entries + s.table_entries) as f64,
        );
        set(
            &obj,
            "tables",
            s.levels.iter().map(|l| l.0).sum::<u64>() as f64,
        );
        set(&obj, "flushes", s.flushes as f64);
        set(&obj, "compactions", s.compactions as f64);
        let levels: Array = s
            .levels
            .iter()
            .map(|(files, bytes)| {
                JsValue::from(Array::of2(&(*files as f64).into(), &(*bytes as f64).into()))
            })
            .collect();
        set(&obj, "levels", levels);
        set(&obj, "memtableBytes", s.memtable_bytes as f64);
        set(&obj, "logBytes", s.log_bytes as f64);
        set(&obj, "logNumber", s.log_number as f64);
        set(&obj, "lastSequence", s.last_sequence as f64);
        obj
    }

    /// What open recovered: `{ logsReplayed, batchesReplayed, opsReplayed, dropped: [{ file,
    /// offset, droppedBytes, reason }], logsSkipped }`.
    pub fn recovery(&self) -> Object {
        let r = self.db.recovery();
        let obj = Object::new();
        set(&obj, "flushSkippedForQuota", r.flush_skipped_for_quota);
        set(&obj, "tables", r.tables as f64);
        set(&obj, "logsReplayed", r.logs_replayed);
        set(&obj, "batchesReplayed", r.batches_replayed as f64);
        set(&obj, "opsReplayed", r.ops_replayed as f64);
        let dropped = Array::new();
        for (file, tail) in &r.dropped {
            let d = Object::new();
            set(&d, "file", file.as_str());
            set(&d, "offset", to_offset(tail.offset));
            set(&d, "droppedBytes", to_offset(tail.dropped_bytes));
            set(&d, "reason", tail.reason.as_str());
            dropped.push(&d);
        }
        set(&obj, "dropped", dropped);
        let skipped: Array = r
            .logs_skipped
            .iter()
            .map(|s| JsValue::from_str(s))
            .collect();
        set(&obj, "logsSkipped", skipped);
        obj
    }
}
