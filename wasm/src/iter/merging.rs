//! Merges several sorted sources into one sorted stream (memtables, L0 tables, levels).
//!
//! Invariant: moving forward, every child is positioned at its first entry `> key()` except the
//! current one, which is at `key()`; moving backward, every other child is at its last entry
//! `< key()`. Changing direction re-seeks the other children to restore this. With the handful of
//! children an LSM read has (memtables + L0 files + one per level), a linear scan for the
//! smallest/largest child is as fast as a heap and simpler.

use super::InternalIterator;
use crate::dbformat::compare_internal_keys;
use crate::Result;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

/// A sorted union of child iterators. Equal internal keys cannot occur across children
/// (sequence numbers are unique), so no de-duplication is done.
pub struct MergingIterator<'a> {
    children: Vec<Box<dyn InternalIterator + 'a>>,
    current: Option<usize>,
    direction: Direction,
    /// Copy of the current key, used to re-seek the other children on a change of direction.
    scratch: Vec<u8>,
}

impl<'a> MergingIterator<'a> {
    /// Merges `children` (not yet positioned).
    pub fn new(children: Vec<Box<dyn InternalIterator + 'a>>) -> MergingIterator<'a> {
        MergingIterator {
            children,
            current: None,
            direction: Direction::Forward,
            scratch: Vec::new(),
        }
    }

    fn find_smallest(&mut self) {
        self.current = self.pick(Ordering::Less);
    }

    fn find_largest(&mut self) {
        self.current = self.pick(Ordering::Greater);
    }

    /// The valid child whose key is the most `wanted` (Less = smallest, Greater = largest).
    fn pick(&self, wanted: Ordering) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, child) in self.children.iter().enumerate() {
            if !child.valid() {
                continue;
            }
            let better = match best.and_then(|b| self.children.get(b)) {
                None => true,
                Some(b) => compare_internal_keys(child.key(), b.key()) == wanted,
            };
            if better {
                best = Some(i);
            }
        }
        best
    }

    fn current_child(&mut self) -> Option<&mut Box<dyn InternalIterator + 'a>> {
        self.current.and_then(|i| self.children.get_mut(i))
    }
}

impl InternalIterator for MergingIterator<'_> {
    fn valid(&self) -> bool {
        self.current.is_some()
    }

    fn seek_to_first(&mut self) -> Result<()> {
        for child in &mut self.children {
            child.seek_to_first()?;
        }
        self.direction = Direction::Forward;
        self.find_smallest();
        Ok(())
    }

    fn seek_to_last(&mut self) -> Result<()> {
        for child in &mut self.children {
            child.seek_to_last()?;
        }
        self.direction = Direction::Backward;
        self.find_largest();
        Ok(())
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        for child in &mut self.children {
            child.seek(target)?;
        }
        self.direction = Direction::Forward;
        self.find_smallest();
        Ok(())
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        for child in &mut self.children {
            child.seek_for_prev(target)?;
        }
        self.direction = Direction::Backward;
        self.find_largest();
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        let Some(cur) = self.current else {
            return Ok(());
        };
        if self.direction == Direction::Backward {
            self.scratch.clear();
            if let Some(child) = self.children.get(cur) {
                self.scratch.extend_from_slice(child.key());
            }
            for (i, child) in self.children.iter_mut().enumerate() {
                if i == cur {
                    continue;
                }
                child.seek(&self.scratch)?;
                if child.valid()
                    && compare_internal_keys(child.key(), &self.scratch) == Ordering::Equal
                {
                    child.next()?;
                }
            }
            self.direction = Direction::Forward;
        }
        if let Some(child) = self.current_child() {
            child.next()?;
        }
        self.find_smallest();
        Ok(())
    }

    fn prev(&mut self) -> Result<()> {
        let Some(cur) = self.current else {
            return Ok(());
        };
        if self.direction == Direction::Forward {
            self.scratch.clear();
            if let Some(child) = self.children.get(cur) {
                self.scratch.extend_from_slice(child.key());
            }
            for (i, child) in self.children.iter_mut().enumerate() {
                if i == cur {
                    continue;
                }
                child.seek(&self.scratch)?;
                if child.valid() {
                    child.prev()?;
                } else {
                    child.seek_to_last()?;
                }
            }
            self.direction = Direction::Backward;
        }
        if let Some(child) = self.current_child() {
            child.prev()?;
        }
        self.find_largest();
        Ok(())
    }

    fn key(&self) -> &[u8] {
        self.current
            .and_then(|i| self.children.get(i))
            .map_or(&[], |c| c.key())
    }

    fn value(&self) -> &[u8] {
        self.current
            .and_then(|i| self.children.get(i))
            .map_or(&[], |c| c.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dbformat::{append_internal_key, ValueType};
    use crate::iter::VecIterator;
    use proptest::prelude::*;

    fn ikey(k: u8, seq: u64) -> Vec<u8> {
        let mut v = Vec::new();
        append_internal_key(&mut v, &[k], seq, ValueType::Value);
        v
    }

    fn collect_forward(it: &mut dyn InternalIterator) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        it.seek_to_first()?;
        while it.valid() {
            out.push(it.key().to_vec());
            it.next()?;
        }
        Ok(out)
    }

    proptest! {
        /// Against one sorted vector holding every child's entries: iteration both ways, seeks,
        /// and random walks that change direction.
        #[test]
        fn merging_matches_a_single_sorted_source(
            parts in prop::collection::vec(prop::collection::btree_set((any::<u8>(), 0u64..4), 0..30), 0..5),
            walk in prop::collection::vec((any::<bool>(), any::<u8>()), 0..40),
        ) {
            // Give every entry a unique sequence number so that keys never collide across children.
            let mut seq = 1u64;
            let mut all = Vec::new();
            let mut children: Vec<Box<dyn InternalIterator>> = Vec::new();
            for part in &parts {
                let mut entries = Vec::new();
                for &(k, _) in part {
                    seq += 1;
                    entries.push((ikey(k, seq), vec![k]));
                    all.push((ikey(k, seq), vec![k]));
                }
                children.push(Box::new(VecIterator::new(entries)));
            }
            let mut model = VecIterator::new(all);
            let mut merged = MergingIterator::new(children);
            prop_assert_eq!(collect_forward(&mut merged)?, collect_forward(&mut model)?);

            merged.seek_to_last()?;
            model.seek_to_last()?;
            for (forward, target) in walk {
                prop_assert_eq!(merged.valid(), model.valid());
                if !merged.valid() {
                    let t = ikey(target, 1000);
                    merged.seek(&t)?;
                    model.seek(&t)?;
                    continue;
                }
                prop_assert_eq!(merged.key(), model.key());
                if forward { merged.next()?; model.next()?; } else { merged.prev()?; model.prev()?; }
            }
            for target in 0u8..=255 {
                let t = ikey(target, 500);
                merged.seek_for_prev(&t)?;
                model.seek_for_prev(&t)?;
                prop_assert_eq!(merged.valid(), model.valid());
                if merged.valid() { prop_assert_eq!(merged.key(), model.key()); }
            }
        }
    }
}
