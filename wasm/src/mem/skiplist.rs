//! A skiplist of internal keys over the arena (LevelDB's design, single-threaded).
//!
//! Nodes are stored flat in one `Vec<u32>`: `[entry block, entry offset, height, next_0 ..
//! next_{height-1}]`; a node is named by the index of its first word. Node 0 is the head (no
//! entry, full height). `NIL` ends a list. Invariants: on every level, following `next` visits
//! entries in increasing internal-key order; a node of height h is linked on levels 0..h.
//! Heights are drawn with probability 1/4 per extra level from a seeded generator, so runs are
//! reproducible.

use std::cmp::Ordering;

use super::arena::{Arena, EntryRef};
use crate::dbformat::compare_internal_keys;

/// Tallest node.
pub const MAX_HEIGHT: usize = 12;
/// No node.
pub const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;
const FIELDS: usize = 3;

/// The skiplist plus its arena.
#[derive(Debug)]
pub struct SkipList {
    arena: Arena,
    nodes: Vec<u32>,
    height: usize,
    rng: u64,
    len: usize,
}

impl Default for SkipList {
    fn default() -> Self {
        let mut nodes = vec![0, 0, MAX_HEIGHT as u32];
        nodes.extend([NIL; MAX_HEIGHT]);
        SkipList {
            arena: Arena::default(),
            nodes,
            height: 1,
            rng: 0x2545_f491_4f6c_dd1d,
            len: 0,
        }
    }
}

impl SkipList {
    fn word(&self, i: usize) -> u32 {
        self.nodes.get(i).copied().unwrap_or(NIL)
    }

    fn next(&self, node: u32, level: usize) -> u32 {
        self.word(node as usize + FIELDS + level)
    }

    fn set_next(&mut self, node: u32, level: usize, to: u32) {
        if let Some(w) = self.nodes.get_mut(node as usize + FIELDS + level) {
            *w = to;
        }
    }

    /// The (internal key, value) of a node. REQUIRES: `node` is not the head or NIL.
    pub fn entry(&self, node: u32) -> (&[u8], &[u8]) {
        let at = EntryRef::new(self.word(node as usize), self.word(node as usize + 1));
        self.arena.get(at)
    }

    fn key(&self, node: u32) -> &[u8] {
        self.entry(node).0
    }

    fn random_height(&mut self) -> usize {
        let mut h = 1;
        loop {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            if h >= MAX_HEIGHT || self.rng % 4 != 0 {
                return h;
            }
            h += 1;
        }
    }

    /// Inserts an entry. REQUIRES: no equal internal key is present.
    pub fn insert(&mut self, ikey: &[u8], value: &[u8]) {
        let mut prev = [HEAD; MAX_HEIGHT];
        let mut x = HEAD;
        for level in (0..self.height).rev() {
            loop {
                let n = self.next(x, level);
                if n != NIL && compare_internal_keys(self.key(n), ikey) == Ordering::Less {
                    x = n;
                } else {
                    break;
                }
            }
            if let Some(p) = prev.get_mut(level) {
                *p = x;
            }
        }
        let height = self.random_height();
        self.height = self.height.max(height);
        let at = self.arena.add(ikey, value);
        let node = self.nodes.len() as u32;
        let (block, offset) = at.parts();
        self.nodes.extend([block, offset, height as u32]);
        for level in 0..height {
            let p = prev.get(level).copied().unwrap_or(HEAD);
            let after = self.next(p, level);
            self.nodes.push(after);
            self.set_next(p, level, node);
        }
        self.len += 1;
    }

    /// First node with key `>= target`, or NIL.
    pub fn seek(&self, target: &[u8]) -> u32 {
        let mut x = HEAD;
        for level in (0..self.height).rev() {
            loop {
                let n = self.next(x, level);
                if n != NIL && compare_internal_keys(self.key(n), target) == Ordering::Less {
                    x = n;
                } else {
                    break;
                }
            }
        }
        self.next(x, 0)
    }

    /// Last node with key `< target` (`inclusive`: `<=`), or NIL.
    pub fn seek_before(&self, target: &[u8], inclusive: bool) -> u32 {
        let mut x = HEAD;
        for level in (0..self.height).rev() {
            loop {
                let n = self.next(x, level);
                if n == NIL {
                    break;
                }
                let ord = compare_internal_keys(self.key(n), target);
                if ord == Ordering::Less || (inclusive && ord == Ordering::Equal) {
                    x = n;
                } else {
                    break;
                }
            }
        }
        if x == HEAD {
            NIL
        } else {
            x
        }
    }

    /// First node, or NIL.
    pub fn first(&self) -> u32 {
        self.next(HEAD, 0)
    }

    /// Last node, or NIL.
    pub fn last(&self) -> u32 {
        let mut x = HEAD;
        for level in (0..self.height).rev() {
            while self.next(x, level) != NIL {
                x = self.next(x, level);
            }
        }
        if x == HEAD {
            NIL
        } else {
            x
        }
    }

    /// The node after `node` on level 0, or NIL.
    pub fn successor(&self, node: u32) -> u32 {
        self.next(node, 0)
    }

    /// The node before `node`, or NIL.
    pub fn predecessor(&self, node: u32) -> u32 {
        self.seek_before(self.key(node), false)
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes used by entries and nodes.
    pub fn memory_usage(&self) -> usize {
        self.arena.memory_usage() + self.nodes.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dbformat::{append_internal_key, ValueType};
    use proptest::prelude::*;

    fn ikey(k: &[u8], seq: u64) -> Vec<u8> {
        let mut v = Vec::new();
        append_internal_key(&mut v, k, seq, ValueType::Value);
        v
    }

    proptest! {
        /// Against a sorted vector: order, seeks both ways, neighbours.
        #[test]
        fn skiplist_matches_a_sorted_vector(
            keys in prop::collection::vec(prop::collection::vec(0u8..4, 0..3), 0..200),
            big in prop::collection::vec(any::<u8>(), 70_000..70_001),
            targets in prop::collection::vec((prop::collection::vec(0u8..4, 0..3), 0u64..300), 0..20),
        ) {
            let mut list = SkipList::default();
            let mut model: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
            for (seq, k) in keys.iter().enumerate() {
                let value = if seq == 3 { big.clone() } else { vec![seq as u8] };
                let key = ikey(k, seq as u64 + 1);
                list.insert(&key, &value);
                model.push((key, value));
            }
            model.sort_by(|a, b| compare_internal_keys(&a.0, &b.0));
            let mut got = Vec::new();
            let mut n = list.first();
            while n != NIL {
                let (k, v) = list.entry(n);
                got.push((k.to_vec(), v.to_vec()));
                n = list.successor(n);
            }
            prop_assert_eq!(&got, &model);
            let mut back = Vec::new();
            let mut n = list.last();
            while n != NIL {
                back.push(list.entry(n).0.to_vec());
                n = list.predecessor(n);
            }
            back.reverse();
            prop_assert_eq!(back, model.iter().map(|e| e.0.clone()).collect::<Vec<_>>());
            for (k, seq) in targets {
                let t = ikey(&k, seq);
                let ge = model.iter().find(|e| compare_internal_keys(&e.0, &t) != Ordering::Less).map(|e| e.0.clone());
                let n = list.seek(&t);
                prop_assert_eq!((n != NIL).then(|| list.entry(n).0.to_vec()), ge);
                let le = model.iter().rev().find(|e| compare_internal_keys(&e.0, &t) != Ordering::Greater).map(|e| e.0.clone());
                let n = list.seek_before(&t, true);
                prop_assert_eq!((n != NIL).then(|| list.entry(n).0.to_vec()), le);
            }
        }
    }
}
