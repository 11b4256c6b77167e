//! The read path: point lookups and iterators over memtable + tables.

use super::column_family::ColumnFamily;
use super::db_iter::{resolve, DbIterator, ReadBounds};
use super::options::ReadOptions;
use super::range_del::{RangeTombstone, RangeTombstones};
use super::Db;
use crate::dbformat::{append_lookup_key, parse_internal_key, SequenceNumber, ValueType};
use crate::iter::{InternalIterator, MergingIterator};
use crate::mem::{MemGet, MergeBase};
use crate::table::Table;
use crate::{Error, Result};

impl Db {
    /// The value of `key` in the default column family.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_cf(0, key, &ReadOptions::default())
    }

    /// The value of `key` in column family `cf`, as of `opts.snapshot`.
    pub fn get_cf(&self, cf: u32, key: &[u8], opts: &ReadOptions) -> Result<Option<Vec<u8>>> {
        let mut out = Vec::new();
        Ok(self.get_into(cf, key, opts, &mut out)?.then_some(out))
    }

    /// Looks `keys` up in one call (one crossing of the wasm boundary for many keys).
    pub fn multi_get_cf(
        &self,
        cf: u32,
        keys: &[&[u8]],
        opts: &ReadOptions,
    ) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().map(|k| self.get_cf(cf, k, opts)).collect()
    }

    /// Looks `key` up, writing its value into `out` (reused by callers that read many keys);
    /// whether it exists.
    pub fn get_into(
        &self,
        cf_id: u32,
        key: &[u8],
        opts: &ReadOptions,
        out: &mut Vec<u8>,
    ) -> Result<bool> {
        self.check_open()?;
        let cf = self.cf(cf_id)?;
        let snapshot = opts.snapshot.unwrap_or(self.last_sequence);
        let tombstones = self.tombstones(cf, snapshot)?;
        let deleted_below = tombstones.max_covering_seq(key);
        let merge = cf.options.merge_operator.as_deref();
        // Merge operands found so far (newest first); their sequence numbers only matter for
        // the range-tombstone cut, applied as they are collected.
        let mut operands: Vec<(SequenceNumber, ValueType, Vec<u8>)> = Vec::new();
        // The memtable's answer as (operands above, base that ends the search).
        let (mem_ops, mem_base) = match cf.mem.get(key, snapshot) {
            MemGet::NotFound => (Vec::new(), MergeBase::NotInMemtable),
            MemGet::Found { seq, value } => (Vec::new(), MergeBase::Value { seq, value }),
            MemGet::Deleted { seq } => (Vec::new(), MergeBase::Deleted { seq }),
            MemGet::Merged { operands, base } => (operands, base),
        };
        for (seq, op) in mem_ops {
            operands.push((seq, ValueType::Merge, op.to_vec()));
        }
        let base = match mem_base {
            MergeBase::Value { seq, value } => Some((seq, ValueType::Value, value)),
            MergeBase::Deleted { seq } => Some((seq, ValueType::Deletion, &[][..])),
            MergeBase::NotInMemtable => None,
        };
        if base.is_some() {
            return finish(merge, key, deleted_below, &operands, base, out);
        }
        let mut lookup = Vec::with_capacity(key.len() + 8);
        append_lookup_key(&mut lookup, key, snapshot);
        let level0 = cf.levels.files(0).iter();
        let deeper = (1..super::NUM_LEVELS).filter_map(|l| cf.levels.find_file(l, key));
        for file in level0.chain(deeper) {
            if super::levels::user_key_outside(file, key) {
                continue;
            }
            let table = self.tables.get(file.number)?;
            if !table.may_contain(key) {
                continue;
            }
            if let Some(base) = collect_from_table(table, key, &lookup, &mut operands)? {
                let (seq, kind, value) = base;
                return finish(
                    merge,
                    key,
                    deleted_below,
                    &operands,
                    Some((seq, kind, &value)),
                    out,
                );
            }
        }
        finish(merge, key, deleted_below, &operands, None, out)
    }

    /// The range tombstones of `cf` a reader at `snapshot` sees.
    fn tombstones(&self, cf: &ColumnFamily, snapshot: SequenceNumber) -> Result<RangeTombstones> {
        let mut all: Vec<RangeTombstone> = cf
            .mem
            .range_deletions()
            .iter()
            .map(|t| RangeTombstone {
                start: t.start.clone(),
                end: t.end.clone(),
                seq: t.seq,
            })
            .collect();
        for (_, file) in cf.levels.all_files() {
            for t in self.tables.get(file.number)?.range_deletions() {
                all.push(RangeTombstone {
                    start: t.start.clone(),
                    end: t.end.clone(),
                    seq: t.seq,
                });
            }
        }
        Ok(RangeTombstones::visible_at(&all, snapshot))
    }

    /// An iterator over column family `cf` as `opts` says (snapshot, bounds). It borrows the
    /// database: writes wait until it is dropped.
    pub fn iter_cf(&self, cf_id: u32, opts: &ReadOptions) -> Result<DbIterator<'_>> {
        self.check_open()?;
        let cf = self.cf(cf_id)?;
        let snapshot = opts.snapshot.unwrap_or(self.last_sequence);
        let mut children: Vec<Box<dyn InternalIterator + '_>> = vec![Box::new(cf.mem.iter())];
        for level in 0..super::NUM_LEVELS {
            for file in cf.levels.files(level) {
                if let (Some(lower), true) = (&opts.lower_bound, true) {
                    if crate::dbformat::user_key(&file.largest) < lower.as_slice() {
                        continue;
                    }
                }
                if let Some(upper) = &opts.upper_bound {
                    if crate::dbformat::user_key(&file.smallest) >= upper.as_slice() {
                        continue;
                    }
                }
                children.push(Box::new(self.tables.get(file.number)?.iter()));
            }
        }
        let tombstones = self.tombstones(cf, snapshot)?;
        Ok(DbIterator::new(
            Box::new(MergingIterator::new(children)),
            snapshot,
            tombstones,
            cf.options.merge_operator.clone(),
            ReadBounds {
                lower: opts.lower_bound.clone(),
                upper: opts.upper_bound.clone(),
            },
            opts.keys_only,
        ))
    }

    /// Reads and checks every block of every live table; how many tables were verified.
    pub fn verify(&self) -> Result<u64> {
        self.check_open()?;
        let mut n = 0;
        for cf in self.cfs.values() {
            for (_, file) in cf.levels.all_files() {
                self.tables.get(file.number)?.verify()?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Up to `limit` live entries of the default column family with `from <= key < to`.
    pub fn scan(
        &self,
        from: Option<&[u8]>,
        to: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let opts = ReadOptions {
            snapshot: None,
            lower_bound: from.map(<[u8]>::to_vec),
            upper_bound: to.map(<[u8]>::to_vec),
            keys_only: false,
        };
        let mut it = self.iter_cf(0, &opts)?;
        it.seek_to_first()?;
        let mut out = Vec::new();
        while it.valid() && out.len() < limit {
            out.push((it.key().to_vec(), it.value().to_vec()));
            it.next()?;
        }
        Ok(out)
    }
}

/// Reads the entries of `key` visible at the lookup key's snapshot from `table`, newest first:
/// merge operands are appended to `operands`; the first value or deletion is returned as the
/// base that ends the search.
fn collect_from_table(
    table: &Table,
    key: &[u8],
    lookup: &[u8],
    operands: &mut Vec<(SequenceNumber, ValueType, Vec<u8>)>,
) -> Result<Option<(SequenceNumber, ValueType, Vec<u8>)>> {
    let mut it = table.iter();
    it.seek(lookup)?;
    while it.valid() {
        let parsed = parse_internal_key(it.key())
            .ok_or_else(|| Error::corruption("", 0, "malformed internal key in table"))?;
        if parsed.user_key != key {
            break;
        }
        match parsed.kind {
            ValueType::Merge => {
                operands.push((parsed.sequence, ValueType::Merge, it.value().to_vec()))
            }
            kind => return Ok(Some((parsed.sequence, kind, it.value().to_vec()))),
        }
        it.next()?;
    }
    Ok(None)
}

fn finish(
    merge: Option<&dyn crate::merge::MergeOperator>,
    key: &[u8],
    deleted_below: SequenceNumber,
    operands: &[(SequenceNumber, ValueType, Vec<u8>)],
    base: Option<(SequenceNumber, ValueType, &[u8])>,
    out: &mut Vec<u8>,
) -> Result<bool> {
    let newest_first = operands
        .iter()
        .map(|(s, k, v)| (*s, *k, v.as_slice()))
        .chain(base);
    resolve(merge, key, deleted_below, newest_first, out)
}
