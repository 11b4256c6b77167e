//! Which entries of one user key a compaction (or flush) writes out.
//!
//! Snapshots split history into *stripes*: stripe `i` holds the sequence numbers in
//! `(snapshots[i-1], snapshots[i]]`, and the top stripe those above the newest snapshot. A
//! reader sees at most the newest entry of a key in each stripe, so within a stripe only the
//! newest entry survives; merge operands of one stripe are combined (fully onto a base value or
//! deletion, or partially when no base is in the stripe); a deletion in the oldest stripe at the
//! bottom of the tree is dropped together with everything older, since nothing below can be
//! revealed. Entries covered by a range tombstone of their own stripe are dropped.
//! Single deletes are treated as deletes (they hide every older put, a superset of RocksDB's
//! single-delete contract, which callers must only use on keys put once).
//!
//! A merge the operator refuses (a list whose merged value would pass `max_value_size`, a
//! malformed operand) never fails the flush or compaction: the stripe's operands and the base
//! value under them are written as they are, in sequence order, so that a later merge of them
//! gives what this one would have, and only reads of that key report the error (RocksDB's
//! `OpFailureScope::kMustMerge`). A table may so hold several entries of one user key, as it
//! does for snapshots. The compaction filter judges such a key by its parts
//! ([`CompactionFilter::filter_unmerged`]) when the whole key is in reach, so that an expired list
//! kept unmerged does not stay forever.

use crate::compaction::filter::{CompactionFilter, FilterDecision};
use crate::db::range_del::RangeTombstone;
use crate::dbformat::{SequenceNumber, ValueType};
use crate::merge::MergeOperator;

/// One entry of a user key, newest first: sequence number, type, value.
pub type KeyEntry = (SequenceNumber, ValueType, Vec<u8>);

/// The context a collapse needs.
pub struct CollapseContext<'a> {
    /// Live snapshots, ascending.
    pub snapshots: &'a [SequenceNumber],
    /// Whether nothing older than the inputs exists below (deletions can then be dropped).
    pub bottommost: bool,
    /// The column family's merge operator.
    pub merge: Option<&'a dyn MergeOperator>,
    /// The compaction filter, if any, and the input level it is told.
    pub filter: Option<(&'a dyn CompactionFilter, usize)>,
    /// Range tombstones of the inputs.
    pub tombstones: &'a [RangeTombstone],
}

impl CollapseContext<'_> {
    fn stripe(&self, seq: SequenceNumber) -> usize {
        self.snapshots.partition_point(|&s| s < seq)
    }

    /// The filter, for entries of `stripe`: only entries newer than every snapshot are
    /// filtered, so that filtering never changes what a snapshot reads.
    fn filter_in(&self, stripe: usize) -> Option<(&dyn CompactionFilter, usize)> {
        self.filter.filter(|_| stripe == self.snapshots.len())
    }

    /// Whether a range tombstone of the same stripe deletes the entry `seq` of `key`.
    fn covered(&self, key: &[u8], seq: SequenceNumber) -> bool {
        let stripe = self.stripe(seq);
        self.tombstones.iter().any(|t| {
            t.seq > seq
                && self.stripe(t.seq) == stripe
                && t.start.as_slice() <= key
                && key < t.end.as_slice()
        })
    }
}

/// Collapses `entries` (all of one user key, newest first) into what must be written, newest
/// first, appended to `out`. Infallible: nothing about one key's data can stop a flush or a
/// compaction.
pub fn collapse_key(
    ctx: &CollapseContext<'_>,
    key: &[u8],
    entries: &[KeyEntry],
    out: &mut Vec<KeyEntry>,
) {
    let mut i = 0;
    while let Some((seq, kind, value)) = entries.get(i) {
        let (seq, mut kind) = (*seq, *kind);
        let stripe = ctx.stripe(seq);
        if ctx.covered(key, seq) {
            i += 1;
            continue;
        }
        if kind == ValueType::Value {
            if let Some((filter, level)) = ctx.filter_in(stripe) {
                if filter.filter(level, key, value) == FilterDecision::Remove {
                    kind = ValueType::Deletion;
                }
            }
        }
        match kind {
            ValueType::Value => {
                out.push((seq, kind, value.clone()));
                i = skip_stripe(ctx, entries, i + 1, stripe);
            }
            ValueType::Merge => i = collapse_merges(ctx, key, entries, i, stripe, out),
            _ => i = delete_stripe(ctx, entries, i + 1, seq, stripe, out),
        }
    }
}

/// Combines the run of merge operands starting at `start` within `stripe`; returns the index of
/// the first entry not consumed.
fn collapse_merges(
    ctx: &CollapseContext<'_>,
    key: &[u8],
    entries: &[KeyEntry],
    start: usize,
    stripe: usize,
    out: &mut Vec<KeyEntry>,
) -> usize {
    let seq = entries.get(start).map_or(0, |e| e.0);
    let mut end = start;
    let mut base: Option<Option<&[u8]>> = None;
    while let Some((s, kind, value)) = entries.get(end) {
        if ctx.stripe(*s) != stripe {
            break;
        }
        if ctx.covered(key, *s) {
            // A range tombstone of this stripe deletes everything from here down.
            base = Some(None);
            break;
        }
        match kind {
            ValueType::Merge => end += 1,
            ValueType::Value => {
                base = Some(Some(value.as_slice()));
                break;
            }
            _ => {
                base = Some(None);
                break;
            }
        }
    }
    let operands: Vec<&[u8]> = entries
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .rev()
        .map(|e| e.2.as_slice())
        .collect();
    let nothing_older = entries.get(end).is_none() && ctx.bottommost;
    let full_base = match base {
        Some(b) => Some(b),
        None if nothing_older => Some(None),
        None => None,
    };
    let Some(op) = ctx.merge else {
        // No operator: keep the operands as they are (a read will report the missing operator).
        out.extend_from_slice(entries.get(start..end).unwrap_or_default());
        return end;
    };
    let mut merged = Vec::new();
    match full_base {
        Some(b) if op.full_merge(key, b, &operands, &mut merged).is_ok() => {
            // The merged value is the key's whole value: the filter judges it as it judges a
            // stored one (else an expired list would wait for one more compaction).
            if let Some((filter, level)) = ctx.filter_in(stripe) {
                if filter.filter(level, key, &merged) == FilterDecision::Remove {
                    return delete_stripe(ctx, entries, start, seq, stripe, out);
                }
            }
            out.push((seq, ValueType::Value, merged));
            // The base (if any) is consumed, and everything older in the stripe is shadowed.
            skip_stripe(ctx, entries, end, stripe)
        }
        Some(b) => {
            // The merge fails for this key's data, all of which is here: the filter judges it
            // by its parts (the base value is part of the merge, not a value of its own).
            if let Some((filter, level)) = ctx.filter_in(stripe) {
                let parts: Vec<&[u8]> = b.into_iter().chain(operands.iter().copied()).collect();
                if filter.filter_unmerged(level, key, &parts) == FilterDecision::Remove {
                    return delete_stripe(ctx, entries, start, seq, stripe, out);
                }
            }
            // Else keep the operands, and the base value they sit on, unmerged. A deletion or
            // range tombstone below is left to `collapse_key`.
            out.extend_from_slice(entries.get(start..end).unwrap_or_default());
            match (base, entries.get(end)) {
                (Some(Some(_)), Some(value)) => {
                    out.push(value.clone());
                    skip_stripe(ctx, entries, end + 1, stripe)
                }
                _ => end,
            }
        }
        None => {
            // An operator error here means the same as `false`: keep the operands apart.
            if operands.len() > 1
                && op
                    .partial_merge(key, &operands, &mut merged)
                    .unwrap_or(false)
            {
                out.push((seq, ValueType::Merge, merged));
            } else {
                out.extend_from_slice(entries.get(start..end).unwrap_or_default());
            }
            end
        }
    }
}

/// Deletes the key as of `seq`, the newest entry of `stripe`: a tombstone hides the rest of the
/// stripe from `from` on; returns the index of the first entry not consumed. In the oldest
/// stripe at the bottom nothing older is left to hide: the tombstone and all below it go away.
fn delete_stripe(
    ctx: &CollapseContext<'_>,
    entries: &[KeyEntry],
    from: usize,
    seq: SequenceNumber,
    stripe: usize,
    out: &mut Vec<KeyEntry>,
) -> usize {
    if ctx.bottommost && stripe == 0 {
        return entries.len();
    }
    out.push((seq, ValueType::Deletion, Vec::new()));
    skip_stripe(ctx, entries, from, stripe)
}

/// The index of the first entry at or after `from` outside `stripe`.
fn skip_stripe(
    ctx: &CollapseContext<'_>,
    entries: &[KeyEntry],
    mut from: usize,
    stripe: usize,
) -> usize {
    while entries.get(from).is_some_and(|e| ctx.stripe(e.0) == stripe) {
        from += 1;
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::{ListAppend, MergeOperator, UInt64Add};

    fn ctx<'a>(
        snapshots: &'a [u64],
        bottommost: bool,
        tombstones: &'a [RangeTombstone],
    ) -> CollapseContext<'a> {
        CollapseContext {
            snapshots,
            bottommost,
            merge: Some(&UInt64Add),
            filter: None,
            tombstones,
        }
    }

    fn run(ctx: &CollapseContext<'_>, entries: &[KeyEntry]) -> Vec<KeyEntry> {
        let mut out = Vec::new();
        collapse_key(ctx, b"k", entries, &mut out);
        out
    }

    fn n(v: u64) -> Vec<u8> {
        v.to_le_bytes().to_vec()
    }

    #[test]
    fn only_the_newest_entry_of_a_stripe_survives() {
        let entries = [
            (9, ValueType::Value, n(3)),
            (5, ValueType::Value, n(2)),
            (1, ValueType::Value, n(1)),
        ];
        assert_eq!(
            run(&ctx(&[], false, &[]), &entries),
            vec![entries[0].clone()]
        );
        // A snapshot at 5 still needs the version it reads.
        assert_eq!(
            run(&ctx(&[5], false, &[]), &entries),
            vec![entries[0].clone(), entries[1].clone()]
        );
    }

    #[test]
    fn deletion_at_the_bottom_goes_with_everything_older() {
        let entries = [
            (9, ValueType::Deletion, vec![]),
            (5, ValueType::Value, n(2)),
        ];
        assert_eq!(run(&ctx(&[], true, &[]), &entries), vec![]);
        assert_eq!(
            run(&ctx(&[], false, &[]), &entries),
            vec![(9, ValueType::Deletion, vec![])]
        );
    }

    #[test]
    fn merge_operands_collapse_onto_their_base_or_into_one_operand() {
        let entries = [
            (9, ValueType::Merge, n(1)),
            (8, ValueType::Merge, n(2)),
            (5, ValueType::Value, n(10)),
        ];
        assert_eq!(
            run(&ctx(&[], false, &[]), &entries),
            vec![(9, ValueType::Value, n(13))]
        );
        let no_base = [(9, ValueType::Merge, n(1)), (8, ValueType::Merge, n(2))];
        assert_eq!(
            run(&ctx(&[], false, &[]), &no_base),
            vec![(9, ValueType::Merge, n(3))]
        );
        assert_eq!(
            run(&ctx(&[], true, &[]), &no_base),
            vec![(9, ValueType::Value, n(3))]
        );
    }

    #[test]
    fn range_tombstone_of_the_same_stripe_drops_covered_entries() {
        let t = [RangeTombstone {
            start: b"a".to_vec(),
            end: b"z".to_vec(),
            seq: 7,
        }];
        let entries = [(5, ValueType::Value, n(2))];
        assert_eq!(run(&ctx(&[], false, &t), &entries), vec![]);
        // A snapshot at 6 reads the value under the tombstone: it stays.
        assert_eq!(run(&ctx(&[6], false, &t), &entries), entries.to_vec());
    }

    struct DropAll;
    impl CompactionFilter for DropAll {
        fn name(&self) -> &str {
            "drop-all"
        }
        fn filter(&self, _: usize, _: &[u8], _: &[u8]) -> FilterDecision {
            FilterDecision::Remove
        }
    }

    #[test]
    fn compaction_filter_removes_values_no_snapshot_protects() {
        let entries = [(9, ValueType::Value, n(2)), (3, ValueType::Value, n(1))];
        let mut c = ctx(&[5], true, &[]);
        c.filter = Some((&DropAll, 1));
        // The value newer than the snapshot is filtered (a tombstone stays above the one the
        // snapshot reads); the snapshot's value is untouched.
        assert_eq!(
            run(&c, &entries),
            vec![(9, ValueType::Deletion, vec![]), entries[1].clone()]
        );
        let c = CollapseContext {
            filter: Some((&DropAll, 1)),
            ..ctx(&[], true, &[])
        };
        assert_eq!(run(&c, &entries), vec![]);
    }

    /// Removes the values it is shown that equal `.0`.
    struct DropValue(Vec<u8>);
    impl CompactionFilter for DropValue {
        fn name(&self) -> &str {
            "drop-value"
        }
        fn filter(&self, _: usize, _: &[u8], value: &[u8]) -> FilterDecision {
            if value == self.0.as_slice() {
                FilterDecision::Remove
            } else {
                FilterDecision::Keep
            }
        }
    }

    #[test]
    fn a_merged_value_is_filtered_as_a_stored_one_is() {
        let entries = [
            (9, ValueType::Merge, n(1)),
            (8, ValueType::Merge, n(2)),
            (5, ValueType::Value, n(10)),
            (3, ValueType::Value, n(7)),
        ];
        // The operands alone, or the base alone, would be kept: only the merged 13 goes.
        let f = DropValue(n(13));
        let c = CollapseContext {
            filter: Some((&f, 1)),
            ..ctx(&[], true, &[])
        };
        assert_eq!(run(&c, &entries), vec![]);
        let c = CollapseContext {
            filter: Some((&f, 1)),
            ..ctx(&[], false, &[])
        };
        assert_eq!(run(&c, &entries), vec![(9, ValueType::Deletion, vec![])]);
        // Not under a snapshot that reads it, nor when other values come out of the merge.
        let c = CollapseContext {
            filter: Some((&f, 1)),
            ..ctx(&[9], true, &[])
        };
        assert_eq!(run(&c, &entries), vec![(9, ValueType::Value, n(13))]);
        let keep = DropValue(n(12));
        let c = CollapseContext {
            filter: Some((&keep, 1)),
            ..ctx(&[], true, &[])
        };
        assert_eq!(run(&c, &entries), vec![(9, ValueType::Value, n(13))]);
    }

    /// Lists of at most 5 bytes: any two of the operands below pass the limit together.
    const SMALL_LISTS: ListAppend = ListAppend { max_value_size: 5 };

    fn merges(ops: &[(u64, &[u8])]) -> Vec<KeyEntry> {
        ops.iter()
            .map(|(seq, v)| (*seq, ValueType::Merge, v.to_vec()))
            .collect()
    }

    fn small_lists<'a>(
        bottommost: bool,
        tombstones: &'a [RangeTombstone],
        filter: Option<(&'a dyn CompactionFilter, usize)>,
    ) -> CollapseContext<'a> {
        CollapseContext {
            merge: Some(&SMALL_LISTS),
            filter,
            ..ctx(&[], bottommost, tombstones)
        }
    }

    #[test]
    fn operands_past_the_limit_stay_unmerged_on_their_unfiltered_base() -> crate::Result<()> {
        let mut entries = merges(&[(9, b"cd"), (8, b"ef")]);
        entries.push((5, ValueType::Value, b"ab".to_vec()));
        entries.push((3, ValueType::Value, b"zz".to_vec()));
        // The base goes out as it is (the filter never sees it); the older value is shadowed.
        let c = small_lists(true, &[], Some((&DropAll, 1)));
        assert_eq!(run(&c, &entries), entries[..3].to_vec());
        // Merged later, with room, they give what this merge would have.
        let kept = run(&c, &entries);
        let operands: Vec<&[u8]> = kept[..2].iter().rev().map(|e| e.2.as_slice()).collect();
        let mut merged = Vec::new();
        ListAppend { max_value_size: 6 }.full_merge(
            b"k",
            Some(&kept[2].2),
            &operands,
            &mut merged,
        )?;
        assert_eq!(merged, b"abefcd");
        Ok(())
    }

    #[test]
    fn operands_past_the_limit_stay_unmerged_above_a_deletion_or_nothing() {
        let mut entries = merges(&[(9, b"abc"), (8, b"def")]);
        entries.push((5, ValueType::Deletion, vec![]));
        entries.push((3, ValueType::Value, b"zz".to_vec()));
        assert_eq!(run(&small_lists(false, &[], None), &entries), entries[..3]);
        // At the bottom the deletion has nothing left to hide.
        assert_eq!(run(&small_lists(true, &[], None), &entries), entries[..2]);
        // No base at all: neither a full merge at the bottom nor a partial one above it fits.
        let alone = merges(&[(9, b"abc"), (8, b"def")]);
        assert_eq!(run(&small_lists(true, &[], None), &alone), alone);
        assert_eq!(run(&small_lists(false, &[], None), &alone), alone);
    }

    #[test]
    fn operands_past_the_limit_over_a_range_tombstone_drop_what_it_covers() {
        let t = [RangeTombstone {
            start: b"a".to_vec(),
            end: b"z".to_vec(),
            seq: 7,
        }];
        let mut entries = merges(&[(9, b"abc"), (8, b"def")]);
        entries.push((5, ValueType::Value, b"zz".to_vec()));
        assert_eq!(run(&small_lists(false, &t, None), &entries), entries[..2]);
    }

    /// Removes every key kept unmerged, recording the parts it was shown.
    #[derive(Default)]
    struct DropUnmerged(std::cell::RefCell<Vec<Vec<Vec<u8>>>>);
    impl CompactionFilter for DropUnmerged {
        fn name(&self) -> &str {
            "drop-unmerged"
        }
        fn filter(&self, _: usize, _: &[u8], _: &[u8]) -> FilterDecision {
            FilterDecision::Keep
        }
        fn filter_unmerged(&self, _: usize, _: &[u8], parts: &[&[u8]]) -> FilterDecision {
            let parts = parts.iter().map(|p| p.to_vec()).collect();
            self.0.borrow_mut().push(parts);
            FilterDecision::Remove
        }
    }

    #[test]
    fn a_key_kept_unmerged_is_filtered_by_its_parts_when_all_of_it_is_in_reach() {
        let f = DropUnmerged::default();
        let shown = || f.0.borrow_mut().drain(..).collect::<Vec<_>>();
        let mut entries = merges(&[(9, b"cd"), (8, b"ef")]);
        entries.push((5, ValueType::Value, b"ab".to_vec()));
        entries.push((3, ValueType::Value, b"zz".to_vec()));
        // The base, then the operands oldest first; removed as a filtered value is.
        assert_eq!(run(&small_lists(true, &[], Some((&f, 1))), &entries), []);
        assert_eq!(shown(), [[b"ab", b"ef", b"cd"]]);
        assert_eq!(
            run(&small_lists(false, &[], Some((&f, 1))), &entries),
            [(9, ValueType::Deletion, vec![])]
        );
        assert_eq!(shown().len(), 1);
        // Over a deletion the operands are the whole list.
        let mut over_deletion = merges(&[(9, b"abc"), (8, b"def")]);
        over_deletion.push((5, ValueType::Deletion, vec![]));
        over_deletion.push((3, ValueType::Value, b"zz".to_vec()));
        assert_eq!(
            run(&small_lists(false, &[], Some((&f, 1))), &over_deletion),
            [(9, ValueType::Deletion, vec![])]
        );
        assert_eq!(shown(), [[b"def", b"abc"]]);
    }

    #[test]
    fn a_key_kept_unmerged_is_not_filtered_in_part_or_under_a_snapshot() {
        let f = DropUnmerged::default();
        let mut entries = merges(&[(9, b"cd"), (8, b"ef")]);
        entries.push((5, ValueType::Value, b"ab".to_vec()));
        entries.push((3, ValueType::Value, b"zz".to_vec()));
        // Older data may lie below: neither a full merge nor the filter can judge the operands.
        let c = small_lists(false, &[], Some((&f, 1)));
        let operands = merges(&[(9, b"abc"), (8, b"def")]);
        assert_eq!(run(&c, &operands), operands);
        // A snapshot at 9 reads the list: it stays as it is.
        let c = CollapseContext {
            snapshots: &[9],
            ..small_lists(true, &[], Some((&f, 1)))
        };
        assert_eq!(run(&c, &entries), entries[..3]);
        assert!(f.0.borrow().is_empty());
    }

    #[test]
    fn a_malformed_uint64_operand_is_kept_for_reads_to_report() {
        let entries = [
            (9, ValueType::Merge, b"abc".to_vec()),
            (5, ValueType::Value, n(1)),
        ];
        let mut out = Vec::new();
        assert!(UInt64Add
            .full_merge(b"k", Some(&n(1)), &[b"abc"], &mut out)
            .is_err());
        assert_eq!(run(&ctx(&[], true, &[]), &entries), entries.to_vec());
    }
}
