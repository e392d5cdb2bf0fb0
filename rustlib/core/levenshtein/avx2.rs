//! The block kernel compiled for AVX2: four 256-bit registers of lanes stepped side by side
//! (four dependency chains), the masks read with 32-byte compares (`blocks` explains why bytes
//! past a lane's end are harmless).

use super::blocks::{
    ABANDONED, Block, BlockQuery, CHECK_EVERY, LANES, MAX_LANES, WIDTHS, all_above, distances,
};
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

/// Where the compares for one register read: piece `j` covers bytes `j * size..` of lanes
/// `from..` laid end to end at `width` bytes each (a lane's mask has one bit per byte); `size`
/// is 8, 16 or 32. The pieces of chunk `k` make bits `32k..32k + 32` of the mask register.
struct Pieces {
    ptrs: [*const u8; 32],
}

impl Pieces {
    fn new(block: &Block, size: usize, from: usize) -> Pieces {
        let width = WIDTHS[block.class];
        let base = block.text.as_ptr();
        let mut ptrs = [base; 32];
        for (j, ptr) in ptrs.iter_mut().enumerate().take(256 / size) {
            let (lane, offset) = (from + j * size / width, j * size % width);
            if block.lens[lane] > 0 {
                // In bounds: `score_block` checked TEXT_PAD bytes after every used start.
                *ptr = base.wrapping_add(block.starts[lane] as usize + offset);
            }
        }
        Pieces { ptrs }
    }
}

/// The mask register for byte `q`: chunk `k` from 4 pieces of 8 bytes.
///
/// # Safety
/// AVX2; every piece pointer has `size` readable bytes (`Pieces::new` on a block that
/// `score_block` checked). The same holds for `masks_16` and `masks_32`.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn masks_8(p: &Pieces, q: __m256i) -> __m256i {
    let mut w = [0i32; 8];
    for (k, word) in w.iter_mut().enumerate() {
        // SAFETY: the function's contract.
        let v = unsafe {
            let r = |i: usize| p.ptrs[4 * k + i].cast::<i64>().read_unaligned();
            _mm256_set_epi64x(r(3), r(2), r(1), r(0))
        };
        *word = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, q));
    }
    _mm256_setr_epi32(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
}

/// Chunk `k` from 2 pieces of 16 bytes.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn masks_16(p: &Pieces, q: __m256i) -> __m256i {
    let mut w = [0i32; 8];
    for (k, word) in w.iter_mut().enumerate() {
        // SAFETY: the contract of `masks_8`.
        let v = unsafe { _mm256_loadu2_m128i(p.ptrs[2 * k + 1].cast(), p.ptrs[2 * k].cast()) };
        *word = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, q));
    }
    _mm256_setr_epi32(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
}

/// Chunk `k` from 1 piece of 32 bytes (32-bit lanes: a lane; 64-bit: half a lane).
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn masks_32(p: &Pieces, q: __m256i) -> __m256i {
    let mut w = [0i32; 8];
    for (k, word) in w.iter_mut().enumerate() {
        // SAFETY: the contract of `masks_8`.
        let v = unsafe { _mm256_loadu_si256(p.ptrs[k].cast()) };
        *word = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, q));
    }
    _mm256_setr_epi32(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
}

macro_rules! width_kernel {
    ($name:ident, $t:ty, $class:expr, $piece:expr, $masks:ident, $set1:ident, $add:ident) => {
        /// # Safety
        /// AVX2; `block` passed `score_block`'s checks.
        #[target_feature(enable = "avx2")]
        unsafe fn $name(block: &Block, query: &BlockQuery, bound: u32, out: &mut [u32; MAX_LANES]) {
            const N: usize = LANES[$class];
            const R: usize = 4;
            const H: usize = N / R;
            let pieces: [Pieces; R] = std::array::from_fn(|r| Pieces::new(block, $piece, r * H));
            // Row 0 never matches; rows 1.. are the query's distinct bytes in order of first
            // use, made when first used: rows 0..=built exist.
            let mut rows = [[MaybeUninit::<__m256i>::uninit(); 129]; R];
            for r in 0..R {
                rows[r][0].write(_mm256_setzero_si256());
            }
            let mut built = 0;
            let ones = _mm256_set1_epi8(-1);
            let one = $set1(1);
            let mut pv = [ones; R];
            let mut mv = [_mm256_setzero_si256(); R];
            let m = query.rows.len();
            let lanes = |pv: [__m256i; R], mv: [__m256i; R]| {
                let (mut pvs, mut mvs) = ([0 as $t; N], [0 as $t; N]);
                for r in 0..R {
                    // SAFETY: unaligned stores of 32 bytes into each quarter of 128-byte arrays.
                    unsafe {
                        _mm256_storeu_si256(pvs[r * H..].as_mut_ptr().cast(), pv[r]);
                        _mm256_storeu_si256(mvs[r * H..].as_mut_ptr().cast(), mv[r]);
                    }
                }
                (pvs, mvs)
            };
            for (j, &row) in query.rows.iter().enumerate() {
                let row = usize::from(row);
                if row > built {
                    built = row;
                    let b = _mm256_set1_epi8(query.distinct[row - 1] as i8);
                    for r in 0..R {
                        // SAFETY: the caller's contract is `$masks`'s.
                        rows[r][row].write(unsafe { $masks(&pieces[r], b) });
                    }
                }
                if j % CHECK_EVERY == 0 && j > 0 {
                    let (pvs, mvs) = lanes(pv, mv);
                    let state = |l: usize| (pvs[l] as u64, mvs[l] as u64);
                    if all_above(&block.lens[..N], j, m, bound, state) {
                        out.fill(ABANDONED);
                        return;
                    }
                }
                for r in 0..R {
                    // SAFETY: rows 0..=built are written, and `row <= built`.
                    let eq = unsafe { rows[r][row].assume_init() };
                    let (p, n) = (pv[r], mv[r]);
                    let xv = _mm256_or_si256(eq, n);
                    let sum = $add(_mm256_and_si256(eq, p), p);
                    let xh = _mm256_or_si256(_mm256_xor_si256(sum, p), eq);
                    let ph = _mm256_or_si256(n, _mm256_andnot_si256(_mm256_or_si256(xh, p), ones));
                    let mh = _mm256_and_si256(p, xh);
                    let ph = _mm256_or_si256($add(ph, ph), one);
                    let mh = $add(mh, mh);
                    pv[r] = _mm256_or_si256(mh, _mm256_andnot_si256(_mm256_or_si256(xv, ph), ones));
                    mv[r] = _mm256_and_si256(ph, xv);
                }
            }
            let (pvs, mvs) = lanes(pv, mv);
            distances(&block.lens[..N], m, |l| (pvs[l] as u64, mvs[l] as u64), out);
        }
    };
}

width_kernel!(
    score_8,
    u8,
    0,
    8,
    masks_8,
    _mm256_set1_epi8,
    _mm256_add_epi8
);
width_kernel!(
    score_16,
    u16,
    1,
    16,
    masks_16,
    _mm256_set1_epi16,
    _mm256_add_epi16
);
width_kernel!(
    score_32,
    u32,
    2,
    32,
    masks_32,
    _mm256_set1_epi32,
    _mm256_add_epi32
);
width_kernel!(
    score_64,
    u64,
    3,
    32,
    masks_32,
    _mm256_set1_epi64x,
    _mm256_add_epi64
);

/// # Safety
/// The CPU has AVX2 and `block` passed `score_block`'s checks.
#[target_feature(enable = "avx2")]
pub unsafe fn score(block: &Block, query: &BlockQuery, bound: u32, out: &mut [u32; MAX_LANES]) {
    // SAFETY: the caller's contract.
    unsafe {
        match block.class {
            0 => score_8(block, query, bound, out),
            1 => score_16(block, query, bound, out),
            2 => score_32(block, query, bound, out),
            _ => score_64(block, query, bound, out),
        }
    }
}
