//! The state-TTL compaction filter: drops keyed state whose time-to-live has run out while
//! compaction rewrites it, so expired state that nobody reads does not grow without bound
//! (Flink's RocksDB backend needs this filter configured by hand; ForSt forgot it). Data no
//! write brings to compaction again still meets the filter: `Db::compact_all` rewrites the last
//! level of a filtered column family, and periodic compaction rewrites old tables
//! (`ColumnFamilyOptions::periodic_compaction_seconds`, on by default with a filter).
//!
//! Value layouts (web/src/state/ttl.ts writes them; docs/state-layout.md):
//! - [`TtlLayout::Value`]: `timestamp: i64 big-endian ‖ value` (value, reducing, aggregating
//!   state and each map entry);
//! - [`TtlLayout::List`]: a `listAppend` list whose every element is `timestamp ‖ element`; the
//!   list is dropped when every element has expired (partly expired lists are trimmed on read).
//!   A list kept unmerged (past `max_value_size`) is judged by its parts: it is the
//!   concatenation of them, so every element has expired when every part's elements have.
//!
//! An entry written at `t` is expired at `now` when `t + ttl <= now`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use super::filter::{CompactionFilter, FilterDecision};
use crate::merge::list_elements;

/// Which layout the filtered column family stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlLayout {
    /// One timestamped value per entry.
    Value,
    /// A list of timestamped elements per entry.
    List,
}

/// Drops expired state; `now` is the host's processing time, shared with the host so it can
/// move it forward between writes.
#[derive(Debug)]
pub struct StateTtlFilter {
    /// Lifetime after the entry's timestamp, in ms.
    pub ttl_ms: i64,
    /// How values are laid out.
    pub layout: TtlLayout,
    /// Current processing time in ms, set by the host.
    pub now: Arc<AtomicI64>,
}

fn timestamp(bytes: &[u8]) -> Option<i64> {
    bytes.first_chunk::<8>().map(|b| i64::from_be_bytes(*b))
}

impl StateTtlFilter {
    fn expired(&self, stamped: &[u8], now: i64) -> bool {
        // A value too short to hold a timestamp is not ours to judge: keep it.
        timestamp(stamped).is_some_and(|t| t.saturating_add(self.ttl_ms) <= now)
    }

    /// Whether the list `lists` concatenate to has an element and every element has expired
    /// (`false` if one of them is not a list: not ours to judge).
    fn every_element_expired(&self, lists: &[&[u8]], now: i64) -> bool {
        let mut any = false;
        for element in lists.iter().flat_map(|list| list_elements(list)) {
            match element {
                Ok(e) if self.expired(e, now) => any = true,
                _ => return false,
            }
        }
        any
    }

    fn decision(remove: bool) -> FilterDecision {
        if remove {
            FilterDecision::Remove
        } else {
            FilterDecision::Keep
        }
    }
}

impl CompactionFilter for StateTtlFilter {
    fn name(&self) -> &str {
        "edgestate.StateTtl"
    }

    fn filter(&self, _level: usize, _user_key: &[u8], value: &[u8]) -> FilterDecision {
        let now = self.now.load(Ordering::Relaxed);
        Self::decision(match self.layout {
            TtlLayout::Value => self.expired(value, now),
            TtlLayout::List => self.every_element_expired(&[value], now),
        })
    }

    fn filter_unmerged(&self, _level: usize, _user_key: &[u8], parts: &[&[u8]]) -> FilterDecision {
        let now = self.now.load(Ordering::Relaxed);
        // Values are not merged: parts of one are nothing this filter can judge.
        Self::decision(self.layout == TtlLayout::List && self.every_element_expired(parts, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::frame_element;

    fn stamped(t: i64, v: &[u8]) -> Vec<u8> {
        [&t.to_be_bytes()[..], v].concat()
    }

    fn filter(layout: TtlLayout, now: i64) -> StateTtlFilter {
        StateTtlFilter {
            ttl_ms: 10,
            layout,
            now: Arc::new(AtomicI64::new(now)),
        }
    }

    #[test]
    fn a_value_expires_exactly_ttl_after_its_timestamp() {
        let v = stamped(100, b"x");
        assert_eq!(
            filter(TtlLayout::Value, 109).filter(1, b"k", &v),
            FilterDecision::Keep
        );
        assert_eq!(
            filter(TtlLayout::Value, 110).filter(1, b"k", &v),
            FilterDecision::Remove
        );
        // Negative timestamps (before the epoch) order correctly.
        assert_eq!(
            filter(TtlLayout::Value, -5).filter(1, b"k", &stamped(-20, b"")),
            FilterDecision::Remove
        );
    }

    #[test]
    fn a_list_goes_only_when_every_element_expired() {
        let mut list = Vec::new();
        frame_element(&stamped(100, b"a"), &mut list);
        frame_element(&stamped(105, b"b"), &mut list);
        let f = |now| filter(TtlLayout::List, now).filter(1, b"k", &list);
        assert_eq!(f(112), FilterDecision::Keep);
        assert_eq!(f(115), FilterDecision::Remove);
    }

    #[test]
    fn a_list_kept_unmerged_goes_only_when_every_element_of_every_part_expired() {
        let (mut base, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
        frame_element(&stamped(100, b"a"), &mut base);
        frame_element(&stamped(101, b"b"), &mut base);
        frame_element(&stamped(103, b"c"), &mut a);
        frame_element(&stamped(105, b"d"), &mut b);
        let parts: [&[u8]; 3] = [&base, &a, &b];
        let f = |now, parts: &[&[u8]]| filter(TtlLayout::List, now).filter_unmerged(1, b"k", parts);
        assert_eq!(f(114, &parts), FilterDecision::Keep);
        assert_eq!(f(115, &parts), FilterDecision::Remove);
        assert_eq!(f(115, &parts[1..]), FilterDecision::Remove);
        // A part that is not a list, or no element at all, is not judged.
        assert_eq!(f(115, &[&base, &[0x85]]), FilterDecision::Keep);
        assert_eq!(f(115, &[b"", b""]), FilterDecision::Keep);
        let value = stamped(100, b"v");
        assert_eq!(
            filter(TtlLayout::Value, 115).filter_unmerged(1, b"k", &[&value, &value]),
            FilterDecision::Keep
        );
    }

    #[test]
    fn values_it_cannot_read_are_kept() {
        let f = filter(TtlLayout::Value, i64::MAX);
        assert_eq!(f.filter(1, b"k", b"short"), FilterDecision::Keep);
        let f = filter(TtlLayout::List, i64::MAX);
        assert_eq!(f.filter(1, b"k", &[0x85]), FilterDecision::Keep);
        assert_eq!(f.filter(1, b"k", b""), FilterDecision::Keep);
    }
}
