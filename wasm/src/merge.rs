//! Merge operators: how merge operands (writes that need no read) combine into a value.
//!
//! Full merge: a base value (or none) plus operands, oldest first, into a value — done by reads
//! and by compaction at a base. Partial merge: operands into one operand — done by compaction
//! when no base is in reach. Both must agree: merging in any grouping gives the same value.
//!
//! A merge that fails says something about one key's data (its merged value would pass
//! `max_value_size`, an operand is malformed), never about the database: reads of that key
//! return the error, while flush, compaction and recovery keep the key's operands, and the
//! base under them, unmerged and go on (RocksDB's `OpFailureScope::kMustMerge`; see
//! `compaction::collapse`). Overwriting or deleting the key heals it.
//!
//! An operand that no merge could ever use, whatever base and other operands it meets (a
//! `uint64add` operand that is not 8 bytes), is refused when it is written instead: see
//! [`MergeOperator::check_operand`].

use crate::coding::{get_varint32, put_varint32};
use crate::{Error, Result};

/// Combines merge operands. Implementations must be deterministic and associative.
pub trait MergeOperator {
    /// The name stored in table properties (`rocksdb.merge.operator`).
    fn name(&self) -> &'static str;
    /// `out = merge(base, operands...)`; `operands` are oldest first. An error fails the
    /// read of `key` only: flush and compaction keep the entries as they are.
    fn full_merge(
        &self,
        key: &[u8],
        base: Option<&[u8]>,
        operands: &[&[u8]],
        out: &mut Vec<u8>,
    ) -> Result<()>;
    /// `out = merge(operands...)` as one operand; `false` if they cannot be combined (flush and
    /// compaction then keep them apart, as they do on an error).
    fn partial_merge(&self, key: &[u8], operands: &[&[u8]], out: &mut Vec<u8>) -> Result<bool>;
    /// Whether `operand` can take part in a merge at all; called by the write path before
    /// anything of the batch is logged, so an `Err` refuses the whole batch and changes nothing
    /// (RocksDB's write path refuses a bad batch the same way). Only for operands that every
    /// merge would fail on: one that fails only next to some base or operands (a list that
    /// grows past its limit) must be accepted, and is handled by reads and compaction as
    /// above. Recovery does not call it: operands already logged or in tables are replayed as
    /// they are. By default every operand is usable.
    fn check_operand(&self, _operand: &[u8]) -> Result<()> {
        Ok(())
    }
}

/// Appends to a list whose elements stay separable whatever their bytes: a list is the
/// concatenation of elements each framed as `varint32 length ‖ bytes`. Operands are written
/// already framed (see [`frame_element`]), so full and partial merges are concatenations.
/// (RocksDB's StringAppend joins with a delimiter, which breaks on elements containing it.)
#[derive(Debug, Clone, Copy)]
pub struct ListAppend {
    /// Largest merged list, in bytes. A full merge past it fails with [`Error::ValueTooLarge`]
    /// naming the whole merged length (a read of that list fails; compaction keeps its operands
    /// apart); a partial merge past it declines.
    pub max_value_size: usize,
}

/// Frames `element` as one list operand, appended to `out`.
pub fn frame_element(element: &[u8], out: &mut Vec<u8>) {
    put_varint32(out, u32::try_from(element.len()).unwrap_or(u32::MAX));
    out.extend_from_slice(element);
}

/// The elements of a list value; a framing error is [`Error::Corruption`] at its offset.
pub fn list_elements(value: &[u8]) -> impl Iterator<Item = Result<&[u8]>> {
    let mut rest = value;
    let mut failed = false;
    std::iter::from_fn(move || {
        if rest.is_empty() || failed {
            return None;
        }
        let offset = (value.len() - rest.len()) as u64;
        let mut src = rest;
        let item = get_varint32(&mut src)
            .and_then(|n| src.get(..n as usize).map(|e| (e, n as usize)))
            .map(|(e, n)| {
                rest = src.get(n..).unwrap_or_default();
                e
            });
        Some(item.ok_or_else(|| {
            failed = true;
            Error::corruption("", offset, "list element framing is cut short")
        }))
    })
}

impl ListAppend {
    /// The length of `base ‖ operands`, or [`Error::ValueTooLarge`] if it passes the limit;
    /// computed before anything is copied, so a failing merge costs no allocation.
    fn merged_len(&self, base: Option<&[u8]>, operands: &[&[u8]]) -> Result<usize> {
        let len = operands.iter().fold(base.map_or(0, <[u8]>::len), |n, o| {
            n.saturating_add(o.len())
        });
        if len > self.max_value_size {
            return Err(Error::ValueTooLarge {
                len,
                limit: self.max_value_size,
            });
        }
        Ok(len)
    }
}

impl MergeOperator for ListAppend {
    fn name(&self) -> &'static str {
        "edgestate.ListAppend"
    }
    fn full_merge(
        &self,
        _key: &[u8],
        base: Option<&[u8]>,
        operands: &[&[u8]],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let len = self.merged_len(base, operands)?;
        out.clear();
        out.reserve(len);
        out.extend_from_slice(base.unwrap_or_default());
        for op in operands {
            out.extend_from_slice(op);
        }
        Ok(())
    }
    fn partial_merge(&self, key: &[u8], operands: &[&[u8]], out: &mut Vec<u8>) -> Result<bool> {
        if self.merged_len(None, operands).is_err() {
            return Ok(false);
        }
        self.full_merge(key, None, operands, out)?;
        Ok(true)
    }
    /// An operand longer than the largest list can be in no list. (Its framing is not checked:
    /// the operator concatenates any bytes; [`list_elements`] reports a bad frame on read.)
    fn check_operand(&self, operand: &[u8]) -> Result<()> {
        self.merged_len(None, &[operand]).map(drop)
    }
}

/// RocksDB's `uint64add`: values and operands are fixed64 little-endian; addition wraps.
#[derive(Debug, Clone, Copy, Default)]
pub struct UInt64Add;

/// A stored `uint64add` value or operand. One that is not 8 bytes is [`Error::Corruption`], as
/// a list's bad framing is: operands are checked when written (`check_operand`), so a bad
/// one was stored some other way (a plain put into the column family, another writer), and a
/// read of the key reports stored bytes that do not decode, not a bad argument to the read.
fn as_u64(bytes: &[u8]) -> Result<u64> {
    let arr: [u8; 8] = bytes.try_into().map_err(|_| {
        Error::corruption(
            "",
            0,
            format!("uint64add value of {} bytes, not 8", bytes.len()),
        )
    })?;
    Ok(u64::from_le_bytes(arr))
}

impl MergeOperator for UInt64Add {
    fn name(&self) -> &'static str {
        "uint64add"
    }
    fn full_merge(
        &self,
        _key: &[u8],
        base: Option<&[u8]>,
        operands: &[&[u8]],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let mut sum = base.map(as_u64).transpose()?.unwrap_or(0);
        for op in operands {
            sum = sum.wrapping_add(as_u64(op)?);
        }
        out.clear();
        out.extend_from_slice(&sum.to_le_bytes());
        Ok(())
    }
    fn partial_merge(&self, key: &[u8], operands: &[&[u8]], out: &mut Vec<u8>) -> Result<bool> {
        self.full_merge(key, None, operands, out)?;
        Ok(true)
    }
    /// Every operand must be 8 bytes: any other length fails every merge it is part of.
    fn check_operand(&self, operand: &[u8]) -> Result<()> {
        if operand.len() == 8 {
            return Ok(());
        }
        Err(Error::InvalidArgument(
            "a uint64add operand must be 8 bytes (a little-endian u64)".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn list_elements_with_any_bytes_round_trip_and_merging_is_associative(
            elems in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20), 0..10),
            split in 0usize..10,
        ) {
            let op = ListAppend { max_value_size: 1 << 20 };
            let framed: Vec<Vec<u8>> = elems.iter().map(|e| { let mut v = Vec::new(); frame_element(e, &mut v); v }).collect();
            let refs: Vec<&[u8]> = framed.iter().map(Vec::as_slice).collect();
            let mut whole = Vec::new();
            op.full_merge(b"k", None, &refs, &mut whole)?;
            let back: Vec<Vec<u8>> = list_elements(&whole).map(|e| e.map(<[u8]>::to_vec)).collect::<Result<_>>()?;
            prop_assert_eq!(&back, &elems);
            let split = split.min(refs.len());
            let mut left = Vec::new();
            op.partial_merge(b"k", &refs[..split], &mut left)?;
            let mut again = Vec::new();
            let rest: Vec<&[u8]> = refs[split..].to_vec();
            op.full_merge(b"k", Some(&left), &rest, &mut again)?;
            prop_assert_eq!(again, whole);
        }
    }

    #[test]
    fn list_merge_past_the_limit_fails_naming_the_whole_merged_length() {
        let op = ListAppend { max_value_size: 4 };
        let mut out = Vec::new();
        let r = op.full_merge(b"k", Some(b"abc"), &[b"de", b"fgh"], &mut out);
        assert!(matches!(r, Err(Error::ValueTooLarge { len: 8, limit: 4 })));
        assert!(matches!(
            op.full_merge(b"k", None, &[b"abcde"], &mut out),
            Err(Error::ValueTooLarge { len: 5, limit: 4 })
        ));
    }

    #[test]
    fn list_merge_up_to_the_limit_succeeds() -> Result<()> {
        let op = ListAppend { max_value_size: 5 };
        let mut out = Vec::new();
        op.full_merge(b"k", Some(b"abc"), &[b"d", b"e"], &mut out)?;
        assert_eq!(out, b"abcde");
        Ok(())
    }

    #[test]
    fn list_partial_merge_past_the_limit_declines_instead_of_failing() -> Result<()> {
        let op = ListAppend { max_value_size: 4 };
        let mut out = Vec::new();
        assert!(!op.partial_merge(b"k", &[b"abc", b"de"], &mut out)?);
        assert!(op.partial_merge(b"k", &[b"ab", b"cd"], &mut out)?);
        assert_eq!(out, b"abcd");
        Ok(())
    }

    #[test]
    fn only_operands_no_merge_could_use_are_refused_when_written() {
        let list = ListAppend { max_value_size: 4 };
        assert!(list.check_operand(b"abcd").is_ok());
        assert!(list.check_operand(b"").is_ok());
        assert!(matches!(
            list.check_operand(b"abcde"),
            Err(Error::ValueTooLarge { len: 5, limit: 4 })
        ));
        assert!(UInt64Add.check_operand(&7u64.to_le_bytes()).is_ok());
        for len in [0, 3, 7, 9, 16] {
            assert!(matches!(
                UInt64Add.check_operand(&vec![1; len]),
                Err(Error::InvalidArgument(_))
            ));
        }
    }

    #[test]
    fn cut_list_framing_is_corruption() {
        let items: Vec<_> = list_elements(&[1, b'a', 5, b'x']).collect();
        assert!(matches!(
            items.as_slice(),
            [Ok(b"a"), Err(Error::Corruption { offset: 2, .. })]
        ));
    }

    #[test]
    fn uint64add_wraps_and_reports_a_malformed_stored_value_as_corruption() -> Result<()> {
        let mut out = Vec::new();
        UInt64Add.full_merge(
            b"k",
            Some(&u64::MAX.to_le_bytes()),
            &[&2u64.to_le_bytes()],
            &mut out,
        )?;
        assert_eq!(out, 1u64.to_le_bytes());
        let one = 1u64.to_le_bytes();
        for (base, operand) in [(None, &b"abc"[..]), (Some(&b"abc"[..]), &one[..])] {
            let r = UInt64Add.full_merge(b"k", base, &[operand], &mut out);
            assert!(
                matches!(&r, Err(Error::Corruption { reason, .. }) if reason.contains("3 bytes")),
                "{r:?}"
            );
        }
        Ok(())
    }
}
