//! Text kernels: the original demo (`get_result`) and `count_doubles`.

/// The prefix `get_result` puts before its input.
pub const GREETING_PREFIX: &str = "Rust says: ";

/// Returns `"Rust says: " + text`.
pub fn get_result(text: &str) -> String {
    [GREETING_PREFIX, text].concat()
}

/// Writes `"Rust says: " + text` into `out` without allocating.
///
/// Returns `Ok(bytes written)`, or `Err(bytes needed)` when `out` is too short (then `out` is
/// untouched). `Err(usize::MAX)` means the length does not fit in `usize`.
pub fn get_result_into(text: &str, out: &mut [u8]) -> Result<usize, usize> {
    let needed = GREETING_PREFIX
        .len()
        .checked_add(text.len())
        .ok_or(usize::MAX)?;
    if out.len() < needed {
        return Err(needed);
    }
    let (prefix, rest) = out.split_at_mut(GREETING_PREFIX.len());
    prefix.copy_from_slice(GREETING_PREFIX.as_bytes());
    rest[..text.len()].copy_from_slice(text.as_bytes());
    Ok(needed)
}

/// Counts adjacent pairs of equal bytes: `b"aabbb"` -> 3.
///
/// Compares `bytes[..n-1]` with `bytes[1..]` in fixed-size chunks into `u8` counters that
/// are flushed before they can overflow; the inner loop has no branches so it vectorises.
pub fn count_doubles_bytes(bytes: &[u8]) -> u64 {
    const LANES: usize = 32;
    // A u8 lane gains at most 1 per chunk, so flush after 255 chunks.
    const FLUSH_EVERY: usize = 255;
    if bytes.len() < 2 {
        return 0;
    }
    let left = &bytes[..bytes.len() - 1];
    let right = &bytes[1..];
    let mut left_chunks = left.chunks_exact(LANES);
    let mut right_chunks = right.chunks_exact(LANES);
    let mut total: u64 = 0;
    let mut lanes = [0u8; LANES];
    let mut chunks_in_lanes = 0;
    for (l, r) in (&mut left_chunks).zip(&mut right_chunks) {
        for i in 0..LANES {
            lanes[i] += u8::from(l[i] == r[i]);
        }
        chunks_in_lanes += 1;
        if chunks_in_lanes == FLUSH_EVERY {
            total += lanes.iter().map(|&v| u64::from(v)).sum::<u64>();
            lanes = [0; LANES];
            chunks_in_lanes = 0;
        }
    }
    total += lanes.iter().map(|&v| u64::from(v)).sum::<u64>();
    let tail = left_chunks
        .remainder()
        .iter()
        .zip(right_chunks.remainder())
        .filter(|(l, r)| l == r)
        .count();
    total + tail as u64
}

/// Counts adjacent pairs of equal Unicode code points: `"aabbb"` -> 3, `"éé"` -> 1.
///
/// ASCII text takes the byte kernel (a byte is a code point there); other text walks chars,
/// because equal adjacent bytes inside multi-byte sequences are not equal code points.
pub fn count_doubles_str(text: &str) -> u64 {
    if text.is_ascii() {
        return count_doubles_bytes(text.as_bytes());
    }
    let mut chars = text.chars();
    let Some(mut previous) = chars.next() else {
        return 0;
    };
    let mut count = 0;
    for current in chars {
        count += u64::from(current == previous);
        previous = current;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_bytes(bytes: &[u8]) -> u64 {
        bytes.windows(2).filter(|w| w[0] == w[1]).count() as u64
    }

    #[test]
    fn get_result_prefixes_input() {
        assert_eq!(get_result("Hello!"), "Rust says: Hello!");
        assert_eq!(get_result(""), "Rust says: ");
        let mut out = [0u8; 14];
        assert_eq!(get_result_into("abc", &mut out), Ok(14));
        assert_eq!(&out, b"Rust says: abc");
        let mut short = [0u8; 13];
        assert_eq!(get_result_into("abc", &mut short), Err(14));
        assert_eq!(short, [0u8; 13], "a too-short buffer is left untouched");
    }

    #[test]
    fn count_doubles_examples() {
        let cases: &[(&str, u64)] = &[
            ("", 0),
            ("a", 0),
            ("aa", 1),
            ("aabbb", 3),
            ("abab", 0),
            ("éé", 1),
            ("éè", 0),
            ("😀😀😀", 2),
            ("a\0\0a", 1),
            // U+AAAA is EA AA AA in UTF-8: equal bytes inside one code point do not count.
            ("\u{AAAA}", 0),
        ];
        for &(text, expected) in cases {
            assert_eq!(count_doubles_str(text), expected, "text {text:?}");
        }
    }

    #[test]
    fn byte_kernel_matches_naive_at_every_length_and_flush_boundary() {
        let mut state: u32 = 12345;
        let mut next = || {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (state >> 16) as u8 % 3
        };
        let data: Vec<u8> = (0..40_000).map(|_| next()).collect();
        for len in (0..200).chain([8159, 8160, 8161, 8192, 16321, 39_999, 40_000]) {
            assert_eq!(
                count_doubles_bytes(&data[..len]),
                naive_bytes(&data[..len]),
                "len {len}"
            );
        }
        let all_equal = vec![7u8; 100_000];
        assert_eq!(count_doubles_bytes(&all_equal), 99_999);
    }
}
