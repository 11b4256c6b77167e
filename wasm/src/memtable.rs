//! The in-memory table that writes land in.
//!
//! Walking-skeleton form: the latest value of each key in a `BTreeMap`. It is replaced by an
//! arena skiplist of internal keys (sequence numbers, snapshots, merge operands) when SST
//! flushing lands; the `Db` talks to it only through this small API so that the swap is local.

use std::collections::BTreeMap;
use std::ops::Bound;

/// Latest value per key, sorted bytewise.
#[derive(Debug, Default)]
pub struct MemTable {
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Sum of key and value lengths, for memory accounting.
    bytes: usize,
}

impl MemTable {
    /// An empty table.
    pub fn new() -> MemTable {
        MemTable::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        match self.entries.get_mut(key) {
            Some(old) => {
                self.bytes = self.bytes - old.len() + value.len();
                old.clear();
                old.extend_from_slice(value);
            }
            None => {
                self.bytes += key.len() + value.len();
                self.entries.insert(key.to_vec(), value.to_vec());
            }
        }
    }

    /// Removes `key`.
    pub fn delete(&mut self, key: &[u8]) {
        if let Some(old) = self.entries.remove(key) {
            self.bytes -= key.len() + old.len();
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.entries.get(key).map(Vec::as_slice)
    }

    /// Entries with `from <= key < to`, in key order.
    pub fn range<'a>(
        &'a self,
        from: Option<&'a [u8]>,
        to: Option<&'a [u8]>,
    ) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let lower = from.map_or(Bound::Unbounded, Bound::Included);
        let upper = to.map_or(Bound::Unbounded, Bound::Excluded);
        let empty = matches!((from, to), (Some(f), Some(t)) if f >= t);
        let iter = if empty {
            None
        } else {
            Some(self.entries.range::<[u8], _>((lower, upper)))
        };
        iter.into_iter()
            .flatten()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes of keys and values held.
    pub fn data_bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_is_half_open_and_sorted() {
        let mut m = MemTable::new();
        for k in [b"c", b"a", b"b", b"d"] {
            m.put(k, k);
        }
        let keys: Vec<_> = m
            .range(Some(b"b"), Some(b"d"))
            .map(|(k, _)| k.to_vec())
            .collect();
        assert_eq!(keys, vec![b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(m.range(Some(b"d"), Some(b"a")).count(), 0);
    }

    #[test]
    fn byte_accounting_follows_overwrites_and_deletes() {
        let mut m = MemTable::new();
        m.put(b"k", b"12345");
        m.put(b"k", b"1");
        assert_eq!(m.data_bytes(), 2);
        m.delete(b"k");
        m.delete(b"k");
        assert_eq!((m.data_bytes(), m.len()), (0, 0));
    }
}
