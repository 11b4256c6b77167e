//! Leveled compaction: picking what to compact, and running it.
//!
//! Level 0 is compacted into level 1 once it holds `level0_compaction_trigger` files (all of
//! them, with the overlapping level-1 files). A deeper level `n` is compacted once its bytes
//! exceed `max_bytes_for_level_base × level_multiplier^(n-1)`: one file, chosen round robin by
//! key, with the overlapping files of level `n+1`. A lone file with nothing to merge with below
//! is moved, not rewritten (a trivial move). When no level is due, a table older than its column
//! family's periodic compaction interval is rewritten where it lies (RocksDB's periodic
//! compaction; a level-0 table goes with the rest of level 0 into level 1), so that a compaction
//! filter eventually sees data that no write brings to compaction again.
//!
//! A compaction runs as a job in steps: each step writes one output table of at most
//! `target_file_size` (re-seeking the inputs after the last key written), so that a host
//! calling [`Db::maintain`] between requests never blocks for a whole compaction. The inputs stay
//! live until the last step installs the outputs in one MANIFEST record.

use std::sync::Arc;

use super::flush::build_table;
use super::levels::{key_range, Levels, NUM_LEVELS};
use super::range_del::RangeTombstone;
use super::Db;
use crate::compaction::collapse::CollapseContext;
use crate::dbformat::{append_lookup_key, user_key, MAX_SEQUENCE};
use crate::iter::{InternalIterator, MergingIterator};
use crate::version::{FileMetaData, VersionEdit};
use crate::Result;

/// A compaction to run.
pub(crate) struct Plan {
    cf: u32,
    level: usize,
    /// `level + 1`, or `level` itself for a level rewritten in place (never level 0).
    output_level: usize,
    inputs: Vec<Arc<FileMetaData>>,
    /// Files of `output_level` overlapping the inputs (none when that is `level`).
    below: Vec<Arc<FileMetaData>>,
    /// Rewrite even a file that could simply move down (so a compaction filter sees it).
    force_rewrite: bool,
}

impl Plan {
    /// `inputs` of `level` into `level + 1`, with the files there they overlap; `None` if
    /// `inputs` is empty.
    fn into_next(
        cf: u32,
        levels: &Levels,
        level: usize,
        inputs: Vec<Arc<FileMetaData>>,
        force_rewrite: bool,
    ) -> Option<Plan> {
        let (smallest, largest) = key_range(&inputs)?;
        let below = levels.overlapping(level + 1, &smallest, &largest);
        Some(Plan {
            cf,
            level,
            output_level: level + 1,
            inputs,
            below,
            force_rewrite,
        })
    }

    /// Adjacent files of `level` (≥ 1) rewritten into `level` itself: the outputs stay within
    /// the inputs' key range, so between the same neighbours.
    fn in_place(cf: u32, level: usize, inputs: Vec<Arc<FileMetaData>>) -> Plan {
        Plan {
            cf,
            level,
            output_level: level,
            inputs,
            below: Vec::new(),
            force_rewrite: true,
        }
    }
}

/// The maximal runs of adjacent files among `files` (one sorted level) numbered below `first`.
fn runs_numbered_below(files: &[Arc<FileMetaData>], first: u64) -> Vec<Vec<Arc<FileMetaData>>> {
    let mut runs = Vec::new();
    let mut run = Vec::new();
    for f in files {
        if f.number < first {
            run.push(Arc::clone(f));
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

impl Db {
    fn level_target(&self, level: usize) -> u64 {
        let mut target = self.options.max_bytes_for_level_base;
        for _ in 1..level {
            target = target.saturating_mul(self.options.level_multiplier);
        }
        target
    }

    /// The most urgent compaction, if any is due: by size first, then periodic.
    fn pick(&self) -> Option<Plan> {
        self.pick_by_size().or_else(|| self.pick_periodic())
    }

    /// The level furthest past its target (file count for level 0, bytes for the others).
    fn pick_by_size(&self) -> Option<Plan> {
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
        Plan::into_next(id, &cf.levels, level, inputs, false)
    }

    /// A table whose age (by [`Db::set_time`], from its `file_creation_time`; 0, unknown, counts
    /// as the epoch) reached its column family's periodic compaction interval: the oldest of the
    /// first family (by id) that has one. Its outputs are new tables, so the same data comes up
    /// again only an interval later.
    fn pick_periodic(&self) -> Option<Plan> {
        let now = self.now_secs();
        let due = |created: u64, period: u64| now.saturating_sub(created) >= period;
        for (&id, cf) in &self.cfs {
            let Some(period) = cf.options.periodic_compaction() else {
                continue;
            };
            // O(1) for a family with nothing due: this runs after every write.
            if !cf
                .levels
                .oldest_creation_time()
                .is_some_and(|t| due(t, period))
            {
                continue;
            }
            let Some((level, file)) = cf
                .levels
                .all_files()
                .min_by_key(|(_, f)| f.file_creation_time)
                .filter(|(_, f)| due(f.file_creation_time, period))
            else {
                continue;
            };
            return if level == 0 {
                Plan::into_next(id, &cf.levels, 0, cf.levels.files(0).to_vec(), true)
            } else {
                Some(Plan::in_place(id, level, vec![Arc::clone(file)]))
            };
        }
        None
    }

    /// Advances compaction by one bounded step: a step of a job in progress, or the start of
    /// the most urgent due one (a trivial move completes in its step). `Ok(None)` if nothing is
    /// due; `Ok(Some(true))` when a compaction completed in this step.
    pub(crate) fn compact_step(&mut self) -> Result<Option<bool>> {
        if self.job.is_none() {
            let Some(plan) = self.pick() else {
                return Ok(None);
            };
            if let Some(job) = self.start(plan)? {
                self.job = Some(job);
            } else {
                self.stats.compactions += 1;
                return Ok(Some(true));
            }
        }
        let done = self.step()?;
        if done {
            self.stats.compactions += 1;
        }
        Ok(Some(done))
    }

    /// Manual compaction (RocksDB's `CompactRange` over everything). A column family without a
    /// compaction filter is merged down level by level into the last level (files moved rather
    /// than rewritten where nothing lies below them). One with a filter is merged down into its
    /// deepest non-empty level (at least level 1), rewriting every file, and then that level's
    /// files this call did not write are rewritten in place: RocksDB's
    /// `BottommostLevelCompaction::kIfHaveCompactionFilter`, so the filter sees every entry, even
    /// one that already sat at the bottom, and sees each once. Then whatever is due runs.
    pub fn compact_all(&mut self) -> Result<()> {
        self.check_writable()?;
        while self.job.is_some() {
            self.compact_step()?;
        }
        // Tables numbered from here on are this call's outputs: a filter has seen them.
        let first_output = self.next_file_number;
        let ids: Vec<u32> = self.cfs.keys().copied().collect();
        for id in ids {
            let Some(cf) = self.cfs.get(&id) else {
                continue;
            };
            let filtered = cf.options.compaction_filter.is_some();
            let last = if filtered {
                cf.levels.last_non_empty_level().unwrap_or(0).max(1)
            } else {
                NUM_LEVELS - 1
            };
            for level in 0..last {
                let Some(cf) = self.cfs.get(&id) else { break };
                let inputs = cf.levels.files(level).to_vec();
                let force_rewrite = filtered && inputs.iter().any(|f| f.number < first_output);
                if let Some(plan) = Plan::into_next(id, &cf.levels, level, inputs, force_rewrite) {
                    self.run(plan)?;
                }
            }
            if !filtered {
                continue;
            }
            let Some(cf) = self.cfs.get(&id) else {
                continue;
            };
            // Each run separately: outputs of two runs at once could span the tables between.
            for run in runs_numbered_below(cf.levels.files(last), first_output) {
                self.run(Plan::in_place(id, last, run))?;
            }
        }
        while self.compact_step()?.is_some() {}
        Ok(())
    }

    /// Runs `plan` to completion.
    fn run(&mut self, plan: Plan) -> Result<()> {
        match self.start(plan)? {
            Some(job) => {
                self.job = Some(job);
                while self.job.is_some() {
                    self.compact_step()?;
                }
            }
            None => self.stats.compactions += 1,
        }
        Ok(())
    }

    /// Starts `plan`: a trivial move is done at once (`None`); otherwise the job to step.
    fn start(&mut self, plan: Plan) -> Result<Option<CompactionJob>> {
        let output_level = plan.output_level;
        let Some(cf) = self.cfs.get_mut(&plan.cf) else {
            return Ok(None);
        };
        if let Some((_, largest)) = key_range(&plan.inputs) {
            if let Some(cursor) = cf.compact_cursor.get_mut(plan.level) {
                *cursor = largest;
            }
        }
        let movable = plan.level > 0 && output_level == plan.level + 1 && plan.inputs.len() == 1;
        if movable && plan.below.is_empty() && !plan.force_rewrite {
            let mut edit = VersionEdit::for_column_family(plan.cf);
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
            return Ok(None);
        }
        let all: Vec<Arc<FileMetaData>> = plan.inputs.iter().chain(&plan.below).cloned().collect();
        let Some((smallest, largest)) = key_range(&all) else {
            return Ok(None);
        };
        let bottommost = !cf.levels.overlaps_below(output_level, &smallest, &largest);
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
        let oldest_snapshot = self.snapshots.keys().next().copied();
        let kept_tombstones = tombstones
            .iter()
            .filter(|t| !bottommost || oldest_snapshot.is_some_and(|s| t.seq > s))
            .cloned()
            .collect();
        // RocksDB's "oldest ancester time": the oldest known among the inputs.
        let oldest_ancestor_time = all
            .iter()
            .map(|f| f.oldest_ancestor_time)
            .filter(|&t| t != 0)
            .min();
        Ok(Some(CompactionJob {
            plan,
            all,
            bottommost,
            oldest_ancestor_time,
            tombstones,
            kept_tombstones,
            outputs: Vec::new(),
            resume_after: None,
        }))
    }

    /// Writes the job's next output table (at most `target_file_size`, so each step's work is
    /// bounded), resuming after the last user key written; installs the result once the inputs
    /// are exhausted. Whether the job completed.
    fn step(&mut self) -> Result<bool> {
        let Some(mut job) = self.job.take() else {
            return Ok(true);
        };
        let Some(cf) = self.cfs.get(&job.plan.cf) else {
            // The column family was dropped meanwhile: its files are gone, so are ours.
            for meta in &job.outputs {
                let _ = self
                    .vfs
                    .delete(&crate::version::table_file_name(meta.number));
            }
            return Ok(true);
        };
        let merge = cf.options.merge_operator.clone();
        let filter = cf.options.compaction_filter.clone();
        let mut table_opts = self
            .options
            .table_options(job.plan.cf, &cf.name, self.now_secs());
        if let Some(t) = job.oldest_ancestor_time {
            table_opts.creation_time = t;
        }
        let snapshots = self.snapshot_list();
        let ctx = CollapseContext {
            snapshots: &snapshots,
            bottommost: job.bottommost,
            merge: merge.as_deref(),
            filter: filter.as_deref().map(|f| (f, job.plan.level)),
            tombstones: &job.tombstones,
        };
        // Range tombstones go whole into the first output, and a compaction carrying any is not
        // cut (one step), so that the level's files stay disjoint.
        let limit = if job.kept_tombstones.is_empty() {
            self.options.target_file_size
        } else {
            u64::MAX
        };
        let first = job.outputs.is_empty() && job.resume_after.is_none();
        let (built, exhausted) = {
            let tables = &self.tables;
            let vfs = self.vfs.as_ref();
            let children: Vec<Box<dyn InternalIterator + '_>> = job
                .all
                .iter()
                .map(|f| {
                    tables
                        .get(f.number)
                        .map(|t| Box::new(t.iter()) as Box<dyn InternalIterator + '_>)
                })
                .collect::<Result<_>>()?;
            let mut input = MergingIterator::new(children);
            match &job.resume_after {
                None => input.seek_to_first()?,
                Some(key) => {
                    let mut target = Vec::with_capacity(key.len() + 8);
                    append_lookup_key(&mut target, key, MAX_SEQUENCE);
                    input.seek(&target)?;
                    while input.valid() && user_key(input.key()) == key.as_slice() {
                        input.next()?;
                    }
                }
            }
            let number = self.next_file_number;
            self.next_file_number += 1;
            let tombs = if first {
                job.kept_tombstones.as_slice()
            } else {
                &[]
            };
            let built = if input.valid() || first {
                build_table(vfs, number, table_opts, &mut input, &ctx, tombs, limit)?
            } else {
                None
            };
            (built, !input.valid())
        };
        if let Some(meta) = built {
            self.stats.table_bytes_written += meta.file_size;
            job.resume_after = Some(user_key(&meta.largest).to_vec());
            job.outputs.push(meta);
        }
        if !exhausted {
            self.job = Some(job);
            return Ok(false);
        }
        self.install(job)?;
        Ok(true)
    }

    /// Replaces the job's inputs by its outputs in one MANIFEST record, then deletes the inputs.
    fn install(&mut self, job: CompactionJob) -> Result<()> {
        let plan = job.plan;
        let output_level = plan.output_level;
        let mut edit = VersionEdit::for_column_family(plan.cf);
        for f in &plan.inputs {
            edit.deleted_files.push((plan.level as u32, f.number));
        }
        for f in &plan.below {
            edit.deleted_files.push((output_level as u32, f.number));
        }
        for meta in &job.outputs {
            edit.new_files.push((output_level as u32, meta.clone()));
        }
        self.log_manifest(&mut [edit])?;
        for meta in &job.outputs {
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
            for meta in job.outputs {
                cf.levels.add(output_level, Arc::new(meta));
            }
        }
        for f in job.all {
            self.delete_table(f.number);
        }
        Ok(())
    }
}

/// A compaction in progress: its inputs stay live (readable, not deleted) until `install`.
pub(crate) struct CompactionJob {
    plan: Plan,
    /// Inputs and overlapping files below.
    all: Vec<Arc<FileMetaData>>,
    bottommost: bool,
    /// The outputs' `oldest_ancestor_time` (`None`: unknown, the outputs' creation time).
    oldest_ancestor_time: Option<u64>,
    tombstones: Vec<RangeTombstone>,
    kept_tombstones: Vec<RangeTombstone>,
    outputs: Vec<FileMetaData>,
    /// Every user key up to this one has been written to `outputs`.
    resume_after: Option<Vec<u8>>,
}
