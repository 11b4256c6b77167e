//! Integer encodings of RocksDB's formats: little-endian fixed-width integers and LEB128 varints.
//!
//! Decoders take a cursor (`&mut &[u8]`) and advance it; they return `None` on truncated or
//! overlong input and never panic, so that callers can turn `None` into a corruption error that
//! names the file and offset.

/// Appends `v` as a little-endian u32.
pub fn put_fixed32(dst: &mut Vec<u8>, v: u32) {
    dst.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v` as a little-endian u64.
pub fn put_fixed64(dst: &mut Vec<u8>, v: u64) {
    dst.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v` as a LEB128 varint (1–5 bytes).
pub fn put_varint32(dst: &mut Vec<u8>, v: u32) {
    put_varint64(dst, u64::from(v));
}

/// Appends `v` as a LEB128 varint (1–10 bytes).
pub fn put_varint64(dst: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        dst.push((v as u8) | 0x80);
        v >>= 7;
    }
    dst.push(v as u8);
}

/// Appends `bytes` prefixed by its length as a varint32 (RocksDB's "length-prefixed slice").
///
/// REQUIRES: `bytes.len() <= u32::MAX` (callers enforce key/value limits far below it).
pub fn put_length_prefixed(dst: &mut Vec<u8>, bytes: &[u8]) {
    put_varint32(dst, u32::try_from(bytes.len()).unwrap_or(u32::MAX));
    dst.extend_from_slice(bytes);
}

/// Reads a little-endian u32.
pub fn get_fixed32(src: &mut &[u8]) -> Option<u32> {
    let (head, rest) = src.split_first_chunk::<4>()?;
    *src = rest;
    Some(u32::from_le_bytes(*head))
}

/// Reads a little-endian u64.
pub fn get_fixed64(src: &mut &[u8]) -> Option<u64> {
    let (head, rest) = src.split_first_chunk::<8>()?;
    *src = rest;
    Some(u64::from_le_bytes(*head))
}

/// Reads a varint of at most 5 bytes whose value fits in 32 bits.
pub fn get_varint32(src: &mut &[u8]) -> Option<u32> {
    let mut result: u32 = 0;
    for shift in (0..35).step_by(7) {
        let (&byte, rest) = src.split_first()?;
        *src = rest;
        let bits = u32::from(byte & 0x7f);
        if shift == 28 && bits > 0x0f {
            return None;
        }
        result |= bits << shift;
        if byte & 0x80 == 0 {
            return Some(result);
        }
    }
    None
}

/// Reads a varint of at most 10 bytes whose value fits in 64 bits.
pub fn get_varint64(src: &mut &[u8]) -> Option<u64> {
    let mut result: u64 = 0;
    for shift in (0..70).step_by(7) {
        let (&byte, rest) = src.split_first()?;
        *src = rest;
        let bits = u64::from(byte & 0x7f);
        if shift == 63 && bits > 1 {
            return None;
        }
        result |= bits << shift;
        if byte & 0x80 == 0 {
            return Some(result);
        }
    }
    None
}

/// Reads a varint32 length followed by that many bytes.
pub fn get_length_prefixed<'a>(src: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(get_varint32(src)?).ok()?;
    if len > src.len() {
        return None;
    }
    let (bytes, rest) = src.split_at(len);
    *src = rest;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn varint_boundaries_round_trip() {
        for v in [
            0u64,
            1,
            127,
            128,
            16383,
            16384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            put_varint64(&mut buf, v);
            let mut src = buf.as_slice();
            assert_eq!(get_varint64(&mut src), Some(v));
            assert!(src.is_empty());
        }
    }

    #[test]
    fn varint32_rejects_values_over_32_bits() {
        let mut buf = Vec::new();
        put_varint64(&mut buf, u64::from(u32::MAX) + 1);
        assert_eq!(get_varint32(&mut buf.as_slice()), None);
    }

    #[test]
    fn varint_without_terminator_is_rejected() {
        assert_eq!(get_varint64(&mut [0xffu8; 11].as_slice()), None);
        assert_eq!(get_varint32(&mut [0x80u8, 0x80].as_slice()), None);
    }

    #[test]
    fn length_prefix_longer_than_input_is_rejected() {
        assert_eq!(get_length_prefixed(&mut [5u8, b'a', b'b'].as_slice()), None);
    }

    proptest! {
        #[test]
        fn any_u32_round_trips_as_varint32(v: u32) {
            let mut buf = Vec::new();
            put_varint32(&mut buf, v);
            let mut src = buf.as_slice();
            prop_assert_eq!(get_varint32(&mut src), Some(v));
        }

        #[test]
        fn decoders_never_panic_on_arbitrary_bytes(bytes: Vec<u8>) {
            let _ = get_varint32(&mut bytes.as_slice());
            let _ = get_varint64(&mut bytes.as_slice());
            let _ = get_length_prefixed(&mut bytes.as_slice());
            let _ = get_fixed32(&mut bytes.as_slice());
            let _ = get_fixed64(&mut bytes.as_slice());
        }
    }
}
