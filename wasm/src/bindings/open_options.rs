//! The options object `Database.open` receives from JavaScript (built and validated for types by
//! web/src/engine/lsm-database.ts; ranges are checked here by `Options::validate`).

use std::sync::Arc;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::js_error::invalid;
use crate::db::{ColumnFamilyOptions, Options, RecoveryMode};
use crate::merge::{ListAppend, MergeOperator, UInt64Add};
use crate::table::Compression;

fn field(obj: &Object, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined())
}

fn number(obj: &Object, key: &str) -> Result<Option<f64>, JsValue> {
    match field(obj, key) {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => Ok(Some(n)),
            _ => Err(invalid(format!(
                "option {key} must be a non-negative integer"
            ))),
        },
    }
}

/// A finite number, fractions allowed (its range is `Options::validate`'s to check).
fn fraction(obj: &Object, key: &str) -> Result<Option<f64>, JsValue> {
    match field(obj, key) {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(invalid(format!("option {key} must be a finite number"))),
        },
    }
}

fn string(obj: &Object, key: &str) -> Result<Option<String>, JsValue> {
    match field(obj, key) {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or_else(|| invalid(format!("option {key} must be a string"))),
    }
}

/// A periodic compaction interval in seconds, checked as `number` checks an option.
pub(crate) fn seconds(n: f64) -> Result<u64, JsValue> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 {
        Ok(n.min(u64::MAX as f64) as u64)
    } else {
        Err(invalid(
            "periodicCompactionSeconds must be a non-negative integer".into(),
        ))
    }
}

/// The options of one column family from `{ merge, periodicCompactionSeconds }`.
fn column_family(obj: &Object, max_value_size: usize) -> Result<ColumnFamilyOptions, JsValue> {
    let mut cf = ColumnFamilyOptions::default();
    if let Some(merge) = string(obj, "merge")? {
        cf.merge_operator = Some(merge_operator(&merge, max_value_size)?);
    }
    cf.periodic_compaction_seconds = number(obj, "periodicCompactionSeconds")?
        .map(seconds)
        .transpose()?;
    Ok(cf)
}

/// The merge operator called `name` (`listAppend` or `uint64Add`).
pub(crate) fn merge_operator(
    name: &str,
    max_value_size: usize,
) -> Result<Arc<dyn MergeOperator>, JsValue> {
    match name {
        "listAppend" => Ok(Arc::new(ListAppend { max_value_size })),
        "uint64Add" => Ok(Arc::new(UInt64Add)),
        other => Err(invalid(format!(
            "unknown merge operator {other:?} (known: listAppend, uint64Add)"
        ))),
    }
}

/// Engine options and per-column-family options from `{ maxKeySize, maxValueSize,
/// recoveryMode, writeBufferSize, memoryBudget, cacheShare, blockSize, bloomBitsPerKey,
/// compression, level0CompactionTrigger, maxBytesForLevelBase, levelMultiplier, targetFileSize,
/// walBufferSize, columnFamilies: [{ name, merge, periodicCompactionSeconds }],
/// columnFamilyDefaults: { merge, periodicCompactionSeconds } }`; absent fields keep the engine's
/// defaults.
pub(crate) fn parse(
    obj: &Object,
) -> Result<(Options, Vec<(String, ColumnFamilyOptions)>), JsValue> {
    let mut o = Options::default();
    // Lengths and sizes fit usize on wasm32 once validated below (all are capped at 2^30 or
    // checked against u64 ranges).
    let size = |n: f64| n.min(usize::MAX as f64) as usize;
    if let Some(n) = number(obj, "maxKeySize")? {
        o.max_key_size = size(n);
    }
    if let Some(n) = number(obj, "maxValueSize")? {
        o.max_value_size = size(n);
    }
    if let Some(n) = number(obj, "recoveryMode")? {
        o.recovery_mode = match n as u32 {
            0 => RecoveryMode::AbsoluteConsistency,
            1 => RecoveryMode::TolerateCorruptedTail,
            2 => RecoveryMode::PointInTime,
            other => return Err(invalid(format!("unknown recovery mode {other}"))),
        };
    }
    if let Some(n) = number(obj, "writeBufferSize")? {
        o.write_buffer_size = size(n);
    }
    if let Some(n) = number(obj, "memoryBudget")? {
        // Past usize::MAX (wasm32: 4 GiB, all the memory an instance can have) a budget is held
        // as usize::MAX, where `validate` could no longer see that it is past its bound.
        if n > Options::MAX_MEMORY_BUDGET as f64 {
            return Err(invalid(format!(
                "memory_budget must be in 262144..={}, got {n}",
                Options::MAX_MEMORY_BUDGET
            )));
        }
        o.memory_budget = size(n);
    }
    if let Some(share) = fraction(obj, "cacheShare")? {
        o.cache_share = share;
    }
    if let Some(n) = number(obj, "blockSize")? {
        o.block_size = size(n);
    }
    if let Some(n) = number(obj, "bloomBitsPerKey")? {
        o.bloom_bits_per_key = n.min(u32::MAX as f64) as u32;
    }
    if let Some(name) = string(obj, "compression")? {
        o.compression = match name.as_str() {
            "none" => Compression::None,
            "snappy" => Compression::Snappy,
            "lz4" => Compression::Lz4,
            other => {
                return Err(invalid(format!(
                    "unknown compression {other:?} (known: none, snappy, lz4)"
                )))
            }
        };
    }
    if let Some(n) = number(obj, "level0CompactionTrigger")? {
        o.level0_compaction_trigger = size(n);
    }
    if let Some(n) = number(obj, "maxBytesForLevelBase")? {
        o.max_bytes_for_level_base = n as u64;
    }
    if let Some(n) = number(obj, "levelMultiplier")? {
        o.level_multiplier = n as u64;
    }
    if let Some(n) = number(obj, "targetFileSize")? {
        o.target_file_size = n as u64;
    }
    if let Some(n) = number(obj, "walBufferSize")? {
        o.wal_buffer_size = size(n);
    }
    if let Some(defaults) = field(obj, "columnFamilyDefaults") {
        let defaults: Object = defaults
            .dyn_into()
            .map_err(|_| invalid("option columnFamilyDefaults must be an object".into()))?;
        o.unlisted_cf = column_family(&defaults, o.max_value_size)?;
    }
    let mut cfs = Vec::new();
    if let Some(list) = field(obj, "columnFamilies") {
        let list: Array = list
            .dyn_into()
            .map_err(|_| invalid("option columnFamilies must be an array".into()))?;
        for entry in list.iter() {
            let entry: Object = entry
                .dyn_into()
                .map_err(|_| invalid("each column family must be an object".into()))?;
            let name = string(&entry, "name")?
                .ok_or_else(|| invalid("a column family needs a name".into()))?;
            let cf = column_family(&entry, o.max_value_size)?;
            if name == crate::db::DEFAULT_CF_NAME {
                o.default_cf = cf;
            } else {
                cfs.push((name, cf));
            }
        }
    }
    Ok((o, cfs))
}
