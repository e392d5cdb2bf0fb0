//! The block kernel compiled for AVX2: four 256-bit registers of lanes stepped side by side
//! (four dependency chains). Everything per lane stays in registers: the masks are made with
//! 32-byte compares (`blocks` explains why bytes past a lane's end are harmless), the cut-off
//! and the final distances count bits per lane with byte lookups, no lane is read one by one.
//!
//! A block's masks are 32 words of 32 bits per query row: word `g` covers bytes `32g..32g + 32`
//! of the lanes laid end to end at `width` bytes each. Rows are made in the order the query
//! first uses them, before each run of `CHECK_EVERY` characters that needs new ones, so a
//! block that stops early never makes the masks of the characters it did not reach.

use super::blocks::{
    ABANDONED, Block, BlockQuery, CHECK_EVERY, LANES, LANES_FIT, MAX_LANES, ROWS, TEXT_PAD, WIDTHS,
};
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

/// The masks of one query row for the 1024 bits of lanes of a block.
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Row([u32; 32]);

/// Set bits per byte.
#[target_feature(enable = "avx2")]
fn byte_counts(x: __m256i) -> __m256i {
    let table = _mm256_setr_epi8(
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3,
        3, 4,
    );
    let nibble = _mm256_set1_epi8(0x0f);
    let low = _mm256_shuffle_epi8(table, _mm256_and_si256(x, nibble));
    let high = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble));
    _mm256_add_epi8(low, high)
}

/// Per byte: set bits of `pv & low` minus set bits of `mv & low`, in -8..=8.
#[target_feature(enable = "avx2")]
fn byte_deltas(pv: __m256i, mv: __m256i, low: __m256i) -> __m256i {
    _mm256_sub_epi8(
        byte_counts(_mm256_and_si256(pv, low)),
        byte_counts(_mm256_and_si256(mv, low)),
    )
}

/// `values[..N]` (small numbers or -1) as the four registers of `N = 1024 / width` lanes.
#[target_feature(enable = "avx2")]
fn lanes_8(values: &[u32; MAX_LANES]) -> [__m256i; 4] {
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    std::array::from_fn(|r| {
        // SAFETY: `32r + 32 <= MAX_LANES` elements are read.
        let load =
            |i: usize| unsafe { _mm256_loadu_si256(values[32 * r + 8 * i..].as_ptr().cast()) };
        let low = _mm256_packs_epi32(load(0), load(1));
        let high = _mm256_packs_epi32(load(2), load(3));
        _mm256_permutevar8x32_epi32(_mm256_packs_epi16(low, high), order)
    })
}

#[target_feature(enable = "avx2")]
fn lanes_16(values: &[u32; MAX_LANES]) -> [__m256i; 4] {
    std::array::from_fn(|r| {
        // SAFETY: `16r + 16 <= MAX_LANES` elements are read.
        let load =
            |i: usize| unsafe { _mm256_loadu_si256(values[16 * r + 8 * i..].as_ptr().cast()) };
        _mm256_permute4x64_epi64(_mm256_packs_epi32(load(0), load(1)), 0b11_01_10_00)
    })
}

#[target_feature(enable = "avx2")]
fn lanes_32(values: &[u32; MAX_LANES]) -> [__m256i; 4] {
    // SAFETY: `8r + 8 <= MAX_LANES` elements are read.
    std::array::from_fn(|r| unsafe { _mm256_loadu_si256(values[8 * r..].as_ptr().cast()) })
}

#[target_feature(enable = "avx2")]
fn lanes_64(values: &[u32; MAX_LANES]) -> [__m256i; 4] {
    // SAFETY: `4r + 4 <= MAX_LANES` elements are read.
    std::array::from_fn(|r| unsafe {
        _mm256_cvtepi32_epi64(_mm_loadu_si128(values[4 * r..].as_ptr().cast()))
    })
}

/// Bytes `32g..32g + 32` of the lanes laid end to end; lane `l` starts at `text + at[l]`.
///
/// # Safety
/// `width` bytes are readable from every `text + at[l]` (the same holds for `group_16`..).
#[target_feature(enable = "avx2")]
unsafe fn group_8(text: *const u8, at: &[u32; MAX_LANES], g: usize) -> __m256i {
    // SAFETY: the function's contract.
    let read = |i: usize| unsafe {
        text.add(at[4 * g + i] as usize)
            .cast::<i64>()
            .read_unaligned()
    };
    _mm256_set_epi64x(read(3), read(2), read(1), read(0))
}

#[target_feature(enable = "avx2")]
unsafe fn group_16(text: *const u8, at: &[u32; MAX_LANES], g: usize) -> __m256i {
    // SAFETY: the contract of `group_8`.
    unsafe {
        _mm256_loadu2_m128i(
            text.add(at[2 * g + 1] as usize).cast(),
            text.add(at[2 * g] as usize).cast(),
        )
    }
}

#[target_feature(enable = "avx2")]
unsafe fn group_32(text: *const u8, at: &[u32; MAX_LANES], g: usize) -> __m256i {
    // SAFETY: the contract of `group_8`.
    unsafe { _mm256_loadu_si256(text.add(at[g] as usize).cast()) }
}

#[target_feature(enable = "avx2")]
unsafe fn group_64(text: *const u8, at: &[u32; MAX_LANES], g: usize) -> __m256i {
    // SAFETY: the contract of `group_8`.
    unsafe { _mm256_loadu_si256(text.add(at[g / 2] as usize + 32 * (g % 2)).cast()) }
}

/// Per lane of length `n`: the bits of rows `1..=n - k` (none when `k >= n`); `k <= 64`.
#[target_feature(enable = "avx2")]
fn low_8(lens: __m256i, k: usize) -> __m256i {
    let table = _mm256_setr_epi8(
        0, 1, 3, 7, 15, 31, 63, 127, -1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 7, 15, 31, 63, 127, -1, 0,
        0, 0, 0, 0, 0, 0,
    );
    _mm256_shuffle_epi8(table, _mm256_subs_epu8(lens, _mm256_set1_epi8(k as i8)))
}

#[target_feature(enable = "avx2")]
fn low_16(lens: __m256i, k: usize) -> __m256i {
    let rows = _mm256_subs_epu16(lens, _mm256_set1_epi16(k as i16));
    let shifts = _mm256_sub_epi16(_mm256_set1_epi16(16), rows);
    let all = _mm256_set1_epi32(0xffff);
    let even = _mm256_srlv_epi32(all, _mm256_and_si256(shifts, all));
    let odd = _mm256_srlv_epi32(all, _mm256_srli_epi32(shifts, 16));
    _mm256_or_si256(even, _mm256_slli_epi32(odd, 16))
}

#[target_feature(enable = "avx2")]
fn low_32(lens: __m256i, k: usize) -> __m256i {
    let shifts = _mm256_sub_epi32(_mm256_set1_epi32(32 + k as i32), lens);
    _mm256_srlv_epi32(_mm256_set1_epi8(-1), shifts)
}

#[target_feature(enable = "avx2")]
fn low_64(lens: __m256i, k: usize) -> __m256i {
    let shifts = _mm256_sub_epi64(_mm256_set1_epi64x(64 + k as i64), lens);
    _mm256_srlv_epi64(_mm256_set1_epi8(-1), shifts)
}

/// Per lane: the sum of its `byte_deltas`.
#[target_feature(enable = "avx2")]
fn sum_8(deltas: __m256i) -> __m256i {
    deltas
}

#[target_feature(enable = "avx2")]
fn sum_16(deltas: __m256i) -> __m256i {
    _mm256_maddubs_epi16(_mm256_set1_epi8(1), deltas)
}

#[target_feature(enable = "avx2")]
fn sum_32(deltas: __m256i) -> __m256i {
    _mm256_madd_epi16(sum_16(deltas), _mm256_set1_epi16(1))
}

#[target_feature(enable = "avx2")]
fn sum_64(deltas: __m256i) -> __m256i {
    let shifted = _mm256_add_epi8(deltas, _mm256_set1_epi8(8));
    let sums = _mm256_sad_epu8(shifted, _mm256_setzero_si256());
    _mm256_sub_epi64(sums, _mm256_set1_epi64x(64))
}

/// Per lane: all ones where the lane's signed value is above `t` (-65..=64).
#[target_feature(enable = "avx2")]
fn above_8(x: __m256i, t: i64) -> __m256i {
    _mm256_cmpgt_epi8(x, _mm256_set1_epi8(t as i8))
}

#[target_feature(enable = "avx2")]
fn above_16(x: __m256i, t: i64) -> __m256i {
    _mm256_cmpgt_epi16(x, _mm256_set1_epi16(t as i16))
}

#[target_feature(enable = "avx2")]
fn above_32(x: __m256i, t: i64) -> __m256i {
    _mm256_cmpgt_epi32(x, _mm256_set1_epi32(t as i32))
}

#[target_feature(enable = "avx2")]
fn above_64(x: __m256i, t: i64) -> __m256i {
    _mm256_cmpgt_epi64(x, _mm256_set1_epi64x(t))
}

/// The lanes' signed values as 32-bit words: lane `l` to `out[l]`.
#[target_feature(enable = "avx2")]
fn widen_8(x: [__m256i; 4], out: &mut [u32; MAX_LANES]) {
    for (r, x) in x.into_iter().enumerate() {
        let halves = [_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1)];
        for (h, half) in halves.into_iter().enumerate() {
            let words = [
                _mm256_cvtepi8_epi32(half),
                _mm256_cvtepi8_epi32(_mm_srli_si128(half, 8)),
            ];
            for (q, words) in words.into_iter().enumerate() {
                let at = 32 * r + 16 * h + 8 * q;
                // SAFETY: `at + 8 <= MAX_LANES`.
                unsafe { _mm256_storeu_si256(out[at..].as_mut_ptr().cast(), words) };
            }
        }
    }
}

#[target_feature(enable = "avx2")]
fn widen_16(x: [__m256i; 4], out: &mut [u32; MAX_LANES]) {
    for (r, x) in x.into_iter().enumerate() {
        let halves = [_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1)];
        for (h, half) in halves.into_iter().enumerate() {
            // SAFETY: `16r + 8h + 8 <= MAX_LANES`.
            unsafe {
                _mm256_storeu_si256(
                    out[16 * r + 8 * h..].as_mut_ptr().cast(),
                    _mm256_cvtepi16_epi32(half),
                );
            }
        }
    }
}

#[target_feature(enable = "avx2")]
fn widen_32(x: [__m256i; 4], out: &mut [u32; MAX_LANES]) {
    for (r, x) in x.into_iter().enumerate() {
        // SAFETY: `8r + 8 <= MAX_LANES`.
        unsafe { _mm256_storeu_si256(out[8 * r..].as_mut_ptr().cast(), x) };
    }
}

#[target_feature(enable = "avx2")]
fn widen_64(x: [__m256i; 4], out: &mut [u32; MAX_LANES]) {
    let low_words = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    for (r, x) in x.into_iter().enumerate() {
        let packed = _mm256_permutevar8x32_epi32(x, low_words);
        // SAFETY: `4r + 4 <= MAX_LANES`.
        unsafe {
            _mm_storeu_si128(
                out[4 * r..].as_mut_ptr().cast(),
                _mm256_castsi256_si128(packed),
            )
        };
    }
}

macro_rules! width_kernel {
    ($name:ident, $class:expr, $lanes:ident, $group:ident, $low:ident, $sum:ident,
     $above:ident, $widen:ident, $set1:ident, $add:ident) => {
        /// # Safety
        /// AVX2; `block.text` holds TEXT_PAD bytes.
        #[target_feature(enable = "avx2")]
        unsafe fn $name(
            block: &Block,
            query: &BlockQuery,
            bound: u32,
            out: &mut [u32; MAX_LANES],
        ) -> bool {
            const N: usize = LANES[$class];
            const W: usize = WIDTHS[$class];
            const R: usize = 4;
            let m = query.rows.len();
            let text = block.text.as_ptr();
            // Unused lanes read the text's first bytes; they are dead. The difference in
            // length bounds a distance from below (a clamped `m` only marks fewer lanes).
            let m32 = u32::try_from(m).unwrap_or(u32::MAX);
            let mut at = [0u32; MAX_LANES];
            let mut dead = [0u32; MAX_LANES];
            let (mut longest, mut last) = (0, 0);
            for l in 0..N {
                let n = block.lens[l];
                at[l] = if n > 0 { block.starts[l] } else { 0 };
                dead[l] = if n == 0 || n.abs_diff(m32) > bound {
                    u32::MAX
                } else {
                    0
                };
                longest = longest.max(n as usize);
                last = last.max(at[l] as usize);
            }
            // `score` asserted `TEXT_PAD <= text.len()`.
            assert!(
                longest <= W && last + TEXT_PAD <= block.text.len(),
                "{LANES_FIT}"
            );
            let lens = $lanes(&block.lens);
            let dead = $lanes(&dead);
            let every_dead = dead
                .iter()
                .fold(_mm256_set1_epi8(-1), |all, &d| _mm256_and_si256(all, d));
            if _mm256_movemask_epi8(every_dead) == -1 {
                out.fill(ABANDONED);
                return false;
            }
            // Each group of lanes' bytes is read once per block (a gather for 8- and 16-bit
            // lanes), then compared with each row's byte.
            // SAFETY: TEXT_PAD >= W bytes after every `at` (asserted above).
            let gathered: [__m256i; 32] = std::array::from_fn(|g| unsafe { $group(text, &at, g) });
            let mut table = [MaybeUninit::<Row>::uninit(); ROWS];
            table[0].write(Row([0; 32]));
            let mut needles = [MaybeUninit::<__m256i>::uninit(); ROWS];
            let mut built = 0;
            let ones = _mm256_set1_epi8(-1);
            let one = $set1(1);
            let mut pv = [ones; R];
            let mut mv = [_mm256_setzero_si256(); R];
            let mut j = 0;
            while j < m {
                // A lane's final diagonal crosses column `j` at row `n + j - m`; its cell there
                // is `j` plus the lane's vertical deltas up to that row. Checking needs a lane
                // whose row can hold more than `bound - j` of them.
                if j > 0 && longest + 2 * j > m + bound as usize {
                    let k = (m - j).min(64);
                    let t = (i64::from(bound) - j as i64).clamp(-(W as i64) - 1, W as i64);
                    let mut all = ones;
                    for r in 0..R {
                        let cells = $sum(byte_deltas(pv[r], mv[r], $low(lens[r], k)));
                        all = _mm256_and_si256(all, _mm256_or_si256($above(cells, t), dead[r]));
                    }
                    if _mm256_movemask_epi8(all) == -1 {
                        out.fill(ABANDONED);
                        return false;
                    }
                }
                let chars = &query.rows[j..m.min(j + CHECK_EVERY)];
                let need = usize::from(query.used[j / CHECK_EVERY]);
                if need > built {
                    let fresh = built + 1..need + 1;
                    for (needle, &byte) in needles[fresh.clone()]
                        .iter_mut()
                        .zip(&query.distinct[built..need])
                    {
                        needle.write(_mm256_set1_epi8(byte as i8));
                    }
                    // SAFETY: written just above (the indexing checked `need < ROWS`).
                    let fresh_needles = unsafe {
                        std::slice::from_raw_parts(
                            needles[fresh.start..].as_ptr().cast::<__m256i>(),
                            fresh.len(),
                        )
                    };
                    let words = table.as_mut_ptr().cast::<u32>();
                    for (i, &needle) in fresh_needles.iter().enumerate() {
                        // SAFETY: row `fresh.start + i` < ROWS, 32 words a row, all written.
                        let row = unsafe { words.add(32 * (fresh.start + i)) };
                        for g in 0..32 {
                            let mask = _mm256_movemask_epi8(_mm256_cmpeq_epi8(gathered[g], needle));
                            // SAFETY: as above.
                            unsafe { row.add(g).write(mask as u32) };
                        }
                    }
                    built = need;
                }
                for &row in chars {
                    // SAFETY: rows 0..=built are written, and `row <= need <= built`.
                    let masks = unsafe { table[usize::from(row)].assume_init_ref() };
                    for r in 0..R {
                        // SAFETY: an aligned read of words `8r..8r + 8` of 32.
                        let eq = unsafe { _mm256_load_si256(masks.0[8 * r..].as_ptr().cast()) };
                        let (p, n) = (pv[r], mv[r]);
                        let xv = _mm256_or_si256(eq, n);
                        let sum = $add(_mm256_and_si256(eq, p), p);
                        let xh = _mm256_or_si256(_mm256_xor_si256(sum, p), eq);
                        let ph =
                            _mm256_or_si256(n, _mm256_andnot_si256(_mm256_or_si256(xh, p), ones));
                        let mh = _mm256_and_si256(p, xh);
                        let ph = _mm256_or_si256($add(ph, ph), one);
                        let mh = $add(mh, mh);
                        pv[r] =
                            _mm256_or_si256(mh, _mm256_andnot_si256(_mm256_or_si256(xv, ph), ones));
                        mv[r] = _mm256_and_si256(ph, xv);
                    }
                }
                j += chars.len();
            }
            // D[n][m] = m + the lane's vertical deltas over its n rows.
            let deltas: [__m256i; R] =
                std::array::from_fn(|r| $sum(byte_deltas(pv[r], mv[r], $low(lens[r], 0))));
            $widen(deltas, out);
            add_query_length(&mut out[..N], m);
            let t = (i64::from(bound) - m as i64).clamp(-(W as i64) - 1, W as i64);
            let beyond = (0..R).fold(ones, |all, r| {
                _mm256_and_si256(all, _mm256_or_si256($above(deltas[r], t), dead[r]))
            });
            _mm256_movemask_epi8(beyond) != -1
        }
    };
}

/// `out[l] = m + out[l]` (a signed delta, at least `-64`), saturated at `u32::MAX`.
#[target_feature(enable = "avx2")]
fn add_query_length(out: &mut [u32], m: usize) {
    match u32::try_from(m) {
        Ok(m32) if m32 <= u32::MAX - 64 => {
            let base = _mm256_set1_epi32(m32 as i32);
            for chunk in out.chunks_exact_mut(8) {
                // SAFETY: 8 words of one chunk.
                unsafe {
                    let x = _mm256_loadu_si256(chunk.as_ptr().cast());
                    _mm256_storeu_si256(chunk.as_mut_ptr().cast(), _mm256_add_epi32(x, base));
                }
            }
        }
        _ => {
            for d in out {
                let sum = m as i64 + i64::from(*d as i32);
                *d = u32::try_from(sum).unwrap_or(u32::MAX);
            }
        }
    }
}

width_kernel!(
    score_8,
    0,
    lanes_8,
    group_8,
    low_8,
    sum_8,
    above_8,
    widen_8,
    _mm256_set1_epi8,
    _mm256_add_epi8
);
width_kernel!(
    score_16,
    1,
    lanes_16,
    group_16,
    low_16,
    sum_16,
    above_16,
    widen_16,
    _mm256_set1_epi16,
    _mm256_add_epi16
);
width_kernel!(
    score_32,
    2,
    lanes_32,
    group_32,
    low_32,
    sum_32,
    above_32,
    widen_32,
    _mm256_set1_epi32,
    _mm256_add_epi32
);
width_kernel!(
    score_64,
    3,
    lanes_64,
    group_64,
    low_64,
    sum_64,
    above_64,
    widen_64,
    _mm256_set1_epi64x,
    _mm256_add_epi64
);

/// Panics unless the text holds TEXT_PAD bytes and every used lane fits its width and has
/// TEXT_PAD bytes after its start.
///
/// # Safety
/// The CPU has AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn score(
    block: &Block,
    query: &BlockQuery,
    bound: u32,
    out: &mut [u32; MAX_LANES],
) -> bool {
    assert!(block.text.len() >= TEXT_PAD, "{LANES_FIT}");
    // SAFETY: the caller's contract, and the text's length just checked.
    unsafe {
        match block.class {
            0 => score_8(block, query, bound, out),
            1 => score_16(block, query, bound, out),
            2 => score_32(block, query, bound, out),
            _ => score_64(block, query, bound, out),
        }
    }
}
