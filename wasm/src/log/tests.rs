use super::*;
use crate::vfs::fault::FaultVfs;
use crate::vfs::{MemVfs, OpenMode, Vfs};
use crate::{Error, Result};
use proptest::prelude::*;

const NAME: &str = "000001.log";

fn write_log(records: &[Vec<u8>]) -> Result<MemVfs> {
    let vfs = MemVfs::new();
    let mut w = LogWriter::new(vfs.open(NAME, OpenMode::CreateTruncate)?, NAME.into());
    for r in records {
        w.add_record(r)?;
    }
    w.sync()?;
    Ok(vfs)
}

/// Reads every record; `Err` if the reader reported corruption.
fn read_log(vfs: &MemVfs, mode: RecoveryMode) -> Result<(Vec<Vec<u8>>, Option<TailReport>)> {
    let mut f = vfs.open(NAME, OpenMode::Existing)?;
    let mut r = LogReader::new(f.as_mut(), NAME, mode)?;
    let mut out = Vec::new();
    while let Some((_, rec)) = r.next_record()? {
        out.push(rec.to_vec());
    }
    let tail = r.tail().cloned();
    Ok((out, tail))
}

fn record(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i * 31 + j) as u8).collect()
}

fn bytes(vfs: &MemVfs) -> Vec<u8> {
    vfs.contents(NAME).unwrap_or_default()
}

#[test]
fn records_round_trip() -> Result<()> {
    let records: Vec<_> = (0..100).map(|i| record(i, i * 7)).collect();
    let vfs = write_log(&records)?;
    assert_eq!(
        read_log(&vfs, RecoveryMode::AbsoluteConsistency)?,
        (records, None)
    );
    Ok(())
}

#[test]
fn record_spanning_several_blocks_is_split_into_first_middle_last() -> Result<()> {
    let big = record(1, BLOCK_SIZE * 3 + 100);
    let vfs = write_log(&[b"small".to_vec(), big.clone(), b"after".to_vec()])?;
    let raw = bytes(&vfs);
    // FULL "small", then FIRST at offset 12, MIDDLE at the start of blocks 1 and 2, LAST in block 3.
    assert_eq!(raw[6], FragmentType::Full as u8);
    assert_eq!(raw[12 + 6], FragmentType::First as u8);
    assert_eq!(raw[BLOCK_SIZE + 6], FragmentType::Middle as u8);
    assert_eq!(raw[2 * BLOCK_SIZE + 6], FragmentType::Middle as u8);
    assert_eq!(raw[3 * BLOCK_SIZE + 6], FragmentType::Last as u8);
    let (got, tail) = read_log(&vfs, RecoveryMode::AbsoluteConsistency)?;
    assert_eq!(got, vec![b"small".to_vec(), big, b"after".to_vec()]);
    assert_eq!(tail, None);
    Ok(())
}

#[test]
fn block_tail_shorter_than_a_header_is_zero_padded() -> Result<()> {
    // First record leaves exactly 6 bytes in block 0: they become a trailer.
    let first = record(0, BLOCK_SIZE - HEADER_SIZE - 6);
    let vfs = write_log(&[first.clone(), b"next".to_vec()])?;
    let raw = bytes(&vfs);
    assert_eq!(&raw[BLOCK_SIZE - 6..BLOCK_SIZE], &[0u8; 6]);
    assert_eq!(raw[BLOCK_SIZE + 6], FragmentType::Full as u8);
    assert_eq!(
        read_log(&vfs, RecoveryMode::AbsoluteConsistency)?.0,
        vec![first, b"next".to_vec()]
    );
    Ok(())
}

#[test]
fn exactly_seven_bytes_left_produce_an_empty_first_fragment() -> Result<()> {
    let first = record(0, BLOCK_SIZE - 2 * HEADER_SIZE);
    let vfs = write_log(&[first.clone(), b"spans".to_vec()])?;
    let raw = bytes(&vfs);
    assert_eq!(
        raw[BLOCK_SIZE - HEADER_SIZE + 4..BLOCK_SIZE - HEADER_SIZE + 7],
        [0, 0, FragmentType::First as u8]
    );
    assert_eq!(
        read_log(&vfs, RecoveryMode::AbsoluteConsistency)?.0,
        vec![first, b"spans".to_vec()]
    );
    Ok(())
}

#[test]
fn empty_record_round_trips() -> Result<()> {
    let vfs = write_log(&[Vec::new(), b"x".to_vec(), Vec::new()])?;
    assert_eq!(
        read_log(&vfs, RecoveryMode::AbsoluteConsistency)?.0,
        vec![vec![], b"x".to_vec(), vec![]]
    );
    Ok(())
}

#[test]
fn known_bytes_match_rocksdb_layout() -> Result<()> {
    // One FULL fragment: masked crc32c over type ‖ payload, length 3, type 1.
    let vfs = write_log(&[b"abc".to_vec()])?;
    let raw = bytes(&vfs);
    let crc = mask_crc(crc32c::crc32c(&[1, b'a', b'b', b'c']));
    assert_eq!(&raw[..4], &crc.to_le_bytes());
    assert_eq!(&raw[4..], &[3, 0, 1, b'a', b'b', b'c']);
    assert_eq!(unmask_crc(mask_crc(0x1234_5678)), 0x1234_5678);
    Ok(())
}

#[test]
fn truncated_trailing_record_is_dropped_and_earlier_records_kept() -> Result<()> {
    let records: Vec<_> = (0..5).map(|i| record(i, 1000)).collect();
    let full = bytes(&write_log(&records)?);
    let last_start = full.len() - 1007;
    // Cut inside the last record's header and inside its payload.
    for cut in [last_start + 3, last_start + 7, full.len() - 1] {
        let vfs = MemVfs::new();
        vfs.set_contents(NAME, full[..cut].to_vec());
        let (got, tail) = read_log(&vfs, RecoveryMode::TolerateCorruptedTail)?;
        assert_eq!(got, records[..4].to_vec(), "cut at {cut}");
        let tail = tail.ok_or_else(|| Error::InvalidArgument("expected a tail report".into()))?;
        assert_eq!(tail.offset, last_start as u64);
        assert!(!tail.valid_data_after);
    }
    Ok(())
}

#[test]
fn torn_record_spanning_blocks_is_dropped() -> Result<()> {
    let records = vec![record(0, 100), record(1, BLOCK_SIZE * 2)];
    let full = bytes(&write_log(&records)?);
    let vfs = MemVfs::new();
    vfs.set_contents(NAME, full[..BLOCK_SIZE + 500].to_vec());
    let (got, tail) = read_log(&vfs, RecoveryMode::TolerateCorruptedTail)?;
    assert_eq!(got, records[..1].to_vec());
    assert_eq!(tail.map(|t| t.offset), Some(107));
    Ok(())
}

#[test]
fn corrupted_last_record_is_dropped() -> Result<()> {
    let records: Vec<_> = (0..3).map(|i| record(i, 50)).collect();
    let mut raw = bytes(&write_log(&records)?);
    let n = raw.len();
    raw[n - 10] ^= 0x40;
    let vfs = MemVfs::new();
    vfs.set_contents(NAME, raw);
    let (got, tail) = read_log(&vfs, RecoveryMode::TolerateCorruptedTail)?;
    assert_eq!(got, records[..2].to_vec());
    assert_eq!(
        tail.map(|t| t.reason),
        Some("fragment checksum mismatch".to_owned())
    );
    Ok(())
}

#[test]
fn zero_filled_tail_is_treated_as_end_of_log() -> Result<()> {
    let records: Vec<_> = (0..3).map(|i| record(i, 50)).collect();
    let mut raw = bytes(&write_log(&records)?);
    raw.resize(raw.len() + 4096, 0);
    let vfs = MemVfs::new();
    vfs.set_contents(NAME, raw);
    assert_eq!(
        read_log(&vfs, RecoveryMode::TolerateCorruptedTail)?.0,
        records
    );
    Ok(())
}

fn log_with_corrupt_middle() -> Result<(MemVfs, Vec<Vec<u8>>, u64)> {
    let records: Vec<_> = (0..5).map(|i| record(i, 100)).collect();
    let mut raw = bytes(&write_log(&records)?);
    let middle = 2 * 107;
    raw[middle + HEADER_SIZE + 5] ^= 0x01;
    let vfs = MemVfs::new();
    vfs.set_contents(NAME, raw);
    Ok((vfs, records, middle as u64))
}

#[test]
fn corrupted_middle_record_is_a_corruption_error_by_default() -> Result<()> {
    let (vfs, _, middle) = log_with_corrupt_middle()?;
    match read_log(&vfs, RecoveryMode::TolerateCorruptedTail) {
        Err(Error::Corruption {
            file,
            offset,
            reason,
        }) => {
            assert_eq!((file.as_str(), offset), (NAME, middle));
            assert!(reason.contains("checksum"), "{reason}");
        }
        other => panic!("expected corruption, got {other:?}"),
    }
    Ok(())
}

#[test]
fn corrupted_middle_record_in_point_in_time_mode_keeps_the_prefix() -> Result<()> {
    let (vfs, records, middle) = log_with_corrupt_middle()?;
    let (got, tail) = read_log(&vfs, RecoveryMode::PointInTime)?;
    assert_eq!(got, records[..2].to_vec());
    let tail = tail.ok_or_else(|| Error::InvalidArgument("expected a tail report".into()))?;
    assert_eq!((tail.offset, tail.valid_data_after), (middle, true));
    Ok(())
}

#[test]
fn absolute_consistency_rejects_even_a_torn_tail() -> Result<()> {
    let full = bytes(&write_log(&[record(0, 100), record(1, 100)])?);
    let vfs = MemVfs::new();
    vfs.set_contents(NAME, full[..full.len() - 1].to_vec());
    assert!(matches!(
        read_log(&vfs, RecoveryMode::AbsoluteConsistency),
        Err(Error::Corruption { offset: 107, .. })
    ));
    Ok(())
}

#[test]
fn corrupted_length_in_an_earlier_block_is_detected_from_later_blocks() -> Result<()> {
    let records: Vec<_> = (0..40).map(|i| record(i, 2000)).collect();
    let mut raw = bytes(&write_log(&records)?);
    raw[4] = 0xff;
    raw[5] = 0xff;
    let vfs = MemVfs::new();
    vfs.set_contents(NAME, raw);
    assert!(matches!(
        read_log(&vfs, RecoveryMode::TolerateCorruptedTail),
        Err(Error::Corruption { offset: 0, .. })
    ));
    Ok(())
}

#[test]
fn log_file_names_use_six_digits() {
    assert_eq!(log_file_name(7), "000007.log");
    assert_eq!(parse_log_file_name("000007.log"), Some(7));
    assert_eq!(parse_log_file_name("1234567.log"), Some(1_234_567));
    assert_eq!(parse_log_file_name("x.log"), None);
    assert_eq!(parse_log_file_name("000007.sst"), None);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_records_round_trip(records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..70_000), 0..8)) {
        let vfs = write_log(&records)?;
        prop_assert_eq!(read_log(&vfs, RecoveryMode::AbsoluteConsistency)?, (records, None));
    }

    #[test]
    fn any_truncation_yields_a_prefix_of_the_records(
        records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40_000), 1..6),
        cut_permille in 0u64..1000,
    ) {
        let full = bytes(&write_log(&records)?);
        let cut = (full.len() as u64 * cut_permille / 1000) as usize;
        let vfs = MemVfs::new();
        vfs.set_contents(NAME, full[..cut].to_vec());
        let (got, _) = read_log(&vfs, RecoveryMode::TolerateCorruptedTail)?;
        prop_assert!(got.len() <= records.len());
        prop_assert_eq!(&got[..], &records[..got.len()]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..100_000)) {
        let vfs = MemVfs::new();
        vfs.set_contents(NAME, raw);
        for mode in [RecoveryMode::AbsoluteConsistency, RecoveryMode::TolerateCorruptedTail, RecoveryMode::PointInTime] {
            let _ = read_log(&vfs, mode);
        }
    }
}

#[test]
fn delete_record_matches_rocksdb_worked_example() -> Result<()> {
    // docs/formats/log.md: db.delete("apple") as sequence 3, as RocksDB 7.8.3 writes it.
    let mut batch = crate::batch::WriteBatch::new();
    batch.delete(b"apple");
    batch.set_sequence(3);
    let vfs = write_log(&[batch.encoded().to_vec()])?;
    let expected: Vec<u8> = [
        &[0x2d, 0xa9, 0xd9, 0x6d, 0x13, 0x00, 0x01][..],
        &[3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x00, 5],
        b"apple",
    ]
    .concat();
    assert_eq!(bytes(&vfs), expected);
    Ok(())
}

fn buffered_writer(vfs: &FaultVfs) -> Result<LogWriter> {
    let file = vfs.open(NAME, OpenMode::CreateTruncate)?;
    Ok(LogWriter::with_buffer(file, NAME.into(), 1 << 16))
}

#[test]
fn a_refused_synced_record_leaves_the_writer_and_the_earlier_buffered_records_as_they_were(
) -> Result<()> {
    let vfs = FaultVfs::default();
    let mut w = buffered_writer(&vfs)?;
    w.add_record(b"acknowledged")?;
    let before = (w.len(), w.buffered());
    vfs.faults.full.set(true);
    let failure = w.add_synced_record(b"refused");
    assert!(
        matches!(&failure, Err(LogFailure::Refused(e)) if e.code() == "QUOTA_EXCEEDED"),
        "{failure:?}"
    );
    assert_eq!((w.len(), w.buffered()), before);
    assert!(!w.is_poisoned());
    assert!(bytes(&vfs.inner).is_empty(), "the file was cut back");
    vfs.faults.full.set(false);
    w.add_synced_record(b"later")?;
    vfs.inner.crash();
    let (records, tail) = read_log(&vfs.inner, RecoveryMode::AbsoluteConsistency)?;
    assert_eq!(records, vec![b"acknowledged".to_vec(), b"later".to_vec()]);
    assert!(tail.is_none());
    Ok(())
}

#[test]
fn a_synced_record_is_uncertain_when_its_failed_hand_over_cannot_be_cut_back() -> Result<()> {
    let vfs = FaultVfs::default();
    let mut w = buffered_writer(&vfs)?;
    w.add_record(b"acknowledged")?;
    vfs.faults.torn_writes.set(true);
    vfs.faults.failing_truncates.set(true);
    assert!(matches!(
        w.add_synced_record(b"torn"),
        Err(LogFailure::Uncertain(_))
    ));
    assert!(w.is_poisoned());
    Ok(())
}

#[test]
fn a_synced_record_is_uncertain_when_the_sync_after_its_hand_over_fails() -> Result<()> {
    let vfs = FaultVfs::default();
    let mut w = buffered_writer(&vfs)?;
    w.add_record(b"acknowledged")?;
    vfs.faults.failing_syncs.set(true);
    assert!(matches!(
        w.add_synced_record(b"unsynced"),
        Err(LogFailure::Uncertain(_))
    ));
    assert!(!w.is_poisoned());
    assert_eq!(w.buffered(), 0, "both records are in the file");
    let (records, _) = read_log(&vfs.inner, RecoveryMode::AbsoluteConsistency)?;
    assert_eq!(records.len(), 2);
    Ok(())
}
