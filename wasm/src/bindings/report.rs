//! Statistics and recovery reports as plain JavaScript objects (their TypeScript shapes are
//! `LsmStats` and `RecoveryInfo` in web/src/engine/).

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use super::host_vfs::to_offset;
use super::js_error::set;
use crate::db::{DbStats, RecoveryInfo};

/// `{ keysEstimate, memtableBytes, logBytes, logNumber, lastSequence, tables, flushes,
/// compactions, tableBytesWritten, snapshots, levels: [[files, bytes], ...], blockCache:
/// { capacity, usage, hits, misses, evictions } }`.
pub(crate) fn stats(s: &DbStats) -> Object {
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
    set(&obj, "tableBytesWritten", s.table_bytes_written as f64);
    set(&obj, "snapshots", s.snapshots as f64);
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
    let cache = Object::new();
    set(&cache, "capacity", s.block_cache.capacity as f64);
    set(&cache, "usage", s.block_cache.usage as f64);
    set(&cache, "hits", s.block_cache.hits as f64);
    set(&cache, "misses", s.block_cache.misses as f64);
    set(&cache, "evictions", s.block_cache.evictions as f64);
    set(&obj, "blockCache", cache);
    if let Some(e) = &s.maintenance_error {
        set(&obj, "maintenanceError", e.as_str());
    }
    obj
}

/// `{ logsReplayed, batchesReplayed, opsReplayed, dropped: [{ file, offset, droppedBytes,
/// reason }], logsSkipped, tables, flushSkippedForQuota }`.
pub(crate) fn recovery(r: &RecoveryInfo) -> Object {
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
