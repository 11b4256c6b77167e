//! Range tombstones as a read sees them: which deletions cover a key at a snapshot.
//!
//! A tombstone `[start, end) @ seq` deletes every entry of a user key in the range whose
//! sequence number is below `seq`, for readers whose snapshot is at least `seq`.

use crate::dbformat::SequenceNumber;

/// One range tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeTombstone {
    /// First user key deleted.
    pub start: Vec<u8>,
    /// First user key not deleted (exclusive).
    pub end: Vec<u8>,
    /// Sequence number of the deletion.
    pub seq: SequenceNumber,
}

/// The tombstones visible to one read.
///
/// Linear scans: a database holds few range tombstones (they are collapsed by compaction), and
/// the common case is none. Fragmenting them into a sorted, non-overlapping list is the step up
/// if that ever changes.
#[derive(Debug, Clone, Default)]
pub struct RangeTombstones {
    list: Vec<RangeTombstone>,
}

impl RangeTombstones {
    /// The tombstones among `all` that a reader at `snapshot` sees.
    pub fn visible_at<'a>(
        all: impl IntoIterator<Item = &'a RangeTombstone>,
        snapshot: SequenceNumber,
    ) -> RangeTombstones {
        let list = all
            .into_iter()
            .filter(|t| t.seq <= snapshot && t.start < t.end)
            .cloned()
            .collect();
        RangeTombstones { list }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The highest sequence number of a tombstone covering `user_key` (0 if none): entries of
    /// `user_key` below it are deleted.
    pub fn max_covering_seq(&self, user_key: &[u8]) -> SequenceNumber {
        self.list
            .iter()
            .filter(|t| t.start.as_slice() <= user_key && user_key < t.end.as_slice())
            .map(|t| t.seq)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(start: &[u8], end: &[u8], seq: u64) -> RangeTombstone {
        RangeTombstone {
            start: start.to_vec(),
            end: end.to_vec(),
            seq,
        }
    }

    #[test]
    fn covering_is_half_open_and_snapshot_bound() {
        let all = [t(b"b", b"d", 10), t(b"c", b"e", 20)];
        let at15 = RangeTombstones::visible_at(&all, 15);
        assert_eq!(at15.max_covering_seq(b"a"), 0);
        assert_eq!(at15.max_covering_seq(b"b"), 10);
        assert_eq!(at15.max_covering_seq(b"c"), 10);
        assert_eq!(at15.max_covering_seq(b"d"), 0);
        let at25 = RangeTombstones::visible_at(&all, 25);
        assert_eq!(at25.max_covering_seq(b"c"), 20);
        assert_eq!(at25.max_covering_seq(b"d"), 20);
    }
}
