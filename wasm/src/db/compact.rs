//! Leveled compaction: picking what to compact, and running it.
//!
//! Level 0 is compacted into level 1 once it holds `level0_compaction_trigger` files (all of
//! them, with the overlapping level-1 files). A deeper level `n` is compacted once its bytes
//! exceed `max_bytes_for_level_base × level_multiplier^(n-1)`: one file, chosen round robin by
//! key, with the overlapping files of level `n+1`. A lone file with nothing to merge with below
//! is moved, not rewritten (a trivial move).

use std::sync::Arc;

use super::flush::build_table;
use super::levels::{key_range, NUM_LEVELS};
use super::range_del::RangeTombstone;
use super::Db;
use crate::compaction::collapse::CollapseContext;
use crate::dbformat::user_key;
use crate::iter::{InternalIterator, MergingIterator};
use crate::version::{FileMetaData, VersionEdit};
use crate::Result;

/// A compaction to run.
struct Plan {
    cf: u32,
    level: usize,
    inputs: Vec<Arc<FileMetaData>>,
    /// Files of `level + 1` overlapping the inputs.
    below: Vec<Arc<FileMetaData>>,
}

impl Db {
    fn level_target(&self, level: usize) -> u64 {
        let mut target = self.options.max_bytes_for_level_base;
        for _ in 1..level {
            target = target.saturating_mul(self.options.level_multiplier);
        }
        target
    }

    /// The most urgent compaction, if any is due.
    fn pick(&self) -> Option<Plan> {
        let mut best: Option<(f64, u32, usize)> = None;
        for (&id, cf) in &self.cfs {
            let l0 =
                cf.levels.files(0).len() as f64 / self.options.level0_compaction_trigger as f64;
            let mut consider = |score: f64, level: usize| {
                if score >= 1.0 && best.is_none_or(|(s, _, _)| score > s) {
                    best = Some((score, id, level));
                }
            };
            consider(l0, 0);
            for level in 1..NUM_LEVELS - 1 {
                consider(
                    cf.levels.level_bytes(level) as f64 / self.level_target(level) as f64,
                    level,
                );
            }
        }
        let (_, id, level) = best?;
        let cf = self.cfs.get(&id)?;
        let inputs: Vec<Arc<FileMetaData>> = if level == 0 {
            cf.levels.files(0).to_vec()
        } else {
            let files = cf.levels.files(level);
            let cursor = cf.compact_cursor.get(level).map_or(&[][..], Vec::as_slice);
            let next = files
                .iter()
                .find(|f| user_key(&f.largest) > cursor)
                .or_else(|| files.first())?;
            vec![Arc::clone(next)]
        };
        let (smallest, largest) = key_range(&inputs)?;
        let below = cf.levels.overlapping(level + 1, &smallest, &largest);
        Some(Plan {
            cf: id,
            level,
            inputs,
            below,
        })
    }

    /// Runs the most urgent due compaction; whether one ran.
    pub(crate) fn compact_one(&mut self) -> Result<bool> {
        let Some(plan) = self.pick() else {
            return Ok(false);
        };
        self.run(plan)?;
        self.stats.compactions += 1;
        Ok(true)
    }

    /// Compacts every level of every column family until nothing is due.
    pub fn compact_all(&mut self) -> Result<()> {
        self.check_writable()?;
        while self.compact_one()? {}
        Ok(())
    }

    fn run(&mut self, plan: Plan) -> Result<()> {
        let output_level = plan.level + 1;
        let Some(cf) = self.cfs.get_mut(&plan.cf) else {
            return Ok(());
        };
        if let Some((_, largest)) = key_range(&plan.inputs) {
            if let Some(cursor) = cf.compact_cursor.get_mut(plan.level) {
                *cursor = largest;
            }
        }
        let mut edit = VersionEdit::for_column_family(plan.cf);
        if plan.level > 0 && plan.inputs.len() == 1 && plan.below.is_empty() {
            for f in &plan.inputs {
                edit.deleted_files.push((plan.level as u32, f.number));
                edit.new_files.push((output_level as u32, (**f).clone()));
            }
            self.log_manifest(&mut [edit])?;
            if let Some(cf) = self.cfs.get_mut(&plan.cf) {
                for f in plan.inputs {
                    cf.levels.remove(plan.level, f.number);
                    cf.levels.add(output_level, f);
                }
            }
            return Ok(());
        }

        let all: Vec<Arc<FileMetaData>> = plan.inputs.iter().chain(&plan.below).cloned().collect();
        let Some((smallest, largest)) = key_range(&all) else {
            return Ok(());
        };
        let bottommost = !cf.levels.overlaps_below(output_level, &smallest, &largest);
        let merge = cf.options.merge_operator.clone();
        let filter = cf.options.compaction_filter.clone();
        let table_opts = self.options.table_options(plan.cf, &cf.name);
        let snapshots = self.snapshot_list();
        let oldest_snapshot = snapshots.first().copied();

        let mut tombstones: Vec<RangeTombstone> = Vec::new();
        for f in &all {
            for t in self.tables.get(f.number)?.range_deletions() {
                tombstones.push(RangeTombstone {
                    start: t.start.clone(),
                    end: t.end.clone(),
                    seq: t.seq,
                });
            }
        }
        // At the bottom, a tombstone no snapshot predates has done its work once applied here.
        let kept_tombstones: Vec<RangeTombstone> = tombstones
            .iter()
            .filter(|t| !bottommost || oldest_snapshot.is_some_and(|s| t.seq > s))
            .cloned()
            .collect();

        let ctx = CollapseContext {
            snapshots: &snapshots,
            bottommost,
            merge: merge.as_deref(),
            filter: filter.as_deref().map(|f| (f, plan.level)),
            tombstones: &tombstones,
        };
        // Outputs are cut at `target_file_size`; range tombstones go whole into the first output,
        // and a compaction carrying any is not cut, so that the level's files stay disjoint.
        let limit = if kept_tombstones.is_empty() {
            self.options.target_file_size
        } else {
            u64::MAX
        };
        let mut outputs: Vec<FileMetaData> = Vec::new();
        {
            let tables = &self.tables;
            let vfs = self.vfs.as_ref();
            let next_file_number = &mut self.next_file_number;
            let children: Vec<Box<dyn InternalIterator + '_>> = all
                .iter()
                .map(|f| {
                    tables
                        .get(f.number)
                        .map(|t| Box::new(t.iter()) as Box<dyn InternalIterator + '_>)
                })
                .collect::<Result<_>>()?;
            let mut input = MergingIterator::new(children);
            input.seek_to_first()?;
            let mut first = true;
            while input.valid() || first {
                let number = *next_file_number;
                *next_file_number += 1;
                let tombs = if first {
                    kept_tombstones.as_slice()
                } else {
                    &[]
                };
                first = false;
                if let Some(meta) = build_table(
                    vfs,
                    number,
                    table_opts.clone(),
                    &mut input,
                    &ctx,
                    tombs,
                    limit,
                )? {
                    outputs.push(meta);
                }
            }
        }
        self.stats.table_bytes_written += outputs.iter().map(|m| m.file_size).sum::<u64>();
        for f in &plan.inputs {
            edit.deleted_files.push((plan.level as u32, f.number));
        }
        for f in &plan.below {
            edit.deleted_files.push((output_level as u32, f.number));
        }
        for meta in &outputs {
            edit.new_files.push((output_level as u32, meta.clone()));
        }
        self.log_manifest(&mut [edit])?;
        for meta in &outputs {
            self.tables
                .open(self.vfs.as_ref(), meta.number, meta.file_size)?;
        }
        if let Some(cf) = self.cfs.get_mut(&plan.cf) {
            for f in &plan.inputs {
                cf.levels.remove(plan.level, f.number);
            }
            for f in &plan.below {
                cf.levels.remove(output_level, f.number);
            }
            for meta in outputs {
                cf.levels.add(output_level, Arc::new(meta));
            }
        }
        for f in all {
            self.delete_table(f.number);
        }
        Ok(())
    }
}
