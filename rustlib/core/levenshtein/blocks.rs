//! The index's kernel: the CANDIDATES are the bit-pattern side, the query is streamed.
//!
//! An index keeps its ASCII candidates of 1 to 64 bytes sorted by length and cut into blocks
//! of one lane width: 8-bit lanes for up to 8 bytes (32 candidates per block), 16-bit up to 16
//! (16), 32-bit up to 32 (8), 64-bit up to 64 (4): one 256-bit register of lanes. For each
//! query character every lane takes its candidate's match mask and does Myers' step at once.
//! A lane's mask is read straight from its candidate's bytes (compare with the character, then
//! one bit per byte); bytes past the candidate's end only set bits above its last one, and in
//! Myers' step information moves from low bits to high bits only (carries, shifts left), so
//! those bits never reach the bit the distance is read from.
//!
//! Scores are kept modulo 2^width: the distance between lengths `n` and `m` lies in
//! `|n - m|..=max(n, m)`, at most `n + 1 <= width + 1` values, so the residue names it.

use crate::core::levenshtein_simd::Kernel;

/// Lane width in bits of each class of blocks.
pub const WIDTHS: [usize; 4] = [8, 16, 32, 64];
/// Candidates per block of each class (256 bits of lanes).
pub const LANES: [usize; 4] = [32, 16, 8, 4];
/// The most lanes in a block.
pub const MAX_LANES: usize = 32;
/// Bytes readable after the start of any candidate in the text (the widest mask read).
pub const TEXT_PAD: usize = 64;
/// The longest candidate a block holds.
pub const MAX_LEN: usize = 64;

/// The class of a candidate of `len` bytes (1 to `MAX_LEN`).
pub fn class_of(len: usize) -> usize {
    WIDTHS
        .iter()
        .position(|&w| len <= w)
        .expect("a candidate of at most MAX_LEN bytes")
}

/// One block to score: `starts[l]..starts[l + 1]` is lane `l`'s candidate in `text` (which
/// holds `TEXT_PAD` readable bytes past every start); padding lanes are empty.
pub struct Block<'a> {
    pub class: usize,
    pub text: &'a [u8],
    pub starts: &'a [u32],
}

impl Block<'_> {
    fn lanes(&self) -> usize {
        LANES[self.class]
    }

    fn len(&self, lane: usize) -> usize {
        (self.starts[lane + 1] - self.starts[lane]) as usize
    }
}

/// Distances of every lane of `block` to `query` (code points) in `out[..lanes]`; padding
/// lanes get `query.len()`.
pub fn score_block(kernel: Kernel, block: &Block, query: &[u32], out: &mut [u32; MAX_LANES]) {
    assert_eq!(
        block.starts.len(),
        block.lanes() + 1,
        "one start per lane and an end"
    );
    let end = block.starts[..block.lanes()]
        .iter()
        .map(|&s| s as usize + TEXT_PAD)
        .max()
        .unwrap_or(0);
    assert!(
        end <= block.text.len(),
        "the text holds TEXT_PAD bytes after every start"
    );
    match kernel {
        Kernel::Baseline => score_portable(block, query, out),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Kernel::Avx2` is only made after the CPU reported AVX2; every read stays
        // within `block.text` (checked above).
        Kernel::Avx2 => unsafe { avx2::score(block, query, out) },
    }
}

/// The distance from the score kept modulo 2^`width`.
#[inline(always)]
fn recover(residue: u64, width: usize, n: usize, m: usize) -> u32 {
    if n == 0 {
        return u32::try_from(m).unwrap_or(u32::MAX);
    }
    let low = n.abs_diff(m) as u64;
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    };
    u32::try_from(low.saturating_add(residue.wrapping_sub(low) & mask)).unwrap_or(u32::MAX)
}

/// The baseline: plain lane arrays of 64-bit words; the masks from a byte loop.
fn score_portable(block: &Block, query: &[u32], out: &mut [u32; MAX_LANES]) {
    let lanes = block.lanes();
    let width = WIDTHS[block.class];
    let mut pv = [u64::MAX; MAX_LANES];
    let mut mv = [0u64; MAX_LANES];
    let mut score = [0u64; MAX_LANES];
    let mut last = [0u64; MAX_LANES];
    for l in 0..lanes {
        let n = block.len(l);
        score[l] = n as u64;
        last[l] = if n == 0 { 0 } else { 1 << (n - 1) };
    }
    for &c in query {
        for l in 0..lanes {
            let eq = if c < 128 {
                let bytes = &block.text[block.starts[l] as usize..][..width];
                bytes
                    .iter()
                    .enumerate()
                    .fold(0u64, |m, (i, &b)| m | (u64::from(b == c as u8) << i))
            } else {
                0
            };
            let (p, n) = (pv[l], mv[l]);
            let xv = eq | n;
            let xh = ((eq & p).wrapping_add(p) ^ p) | eq;
            let ph = n | !(xh | p);
            let mh = p & xh;
            score[l] = score[l] + u64::from(ph & last[l] != 0) - u64::from(mh & last[l] != 0);
            let ph = (ph << 1) | 1;
            let mh = mh << 1;
            pv[l] = mh | !(xv | ph);
            mv[l] = ph & xv;
        }
    }
    for l in 0..lanes {
        out[l] = recover(score[l], 64, block.len(l), query.len());
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Block, MAX_LANES, recover};
    use std::arch::x86_64::*;

    /// Where each 32-byte compare reads: `pieces[k * per + i]` is the `i`-th piece of chunk
    /// `k`; chunk `k` becomes bits `32k..32k + 32` of the mask register.
    struct Pieces {
        ptrs: [*const u8; 32],
    }

    impl Pieces {
        /// Piece `j` covers bytes `j * size..` of the lanes laid end to end at `width` bytes
        /// each (a lane's mask has one bit per byte); `size` is 8, 16 or 32 bytes.
        fn new(block: &Block, size: usize) -> Pieces {
            let lane_bytes = super::WIDTHS[block.class];
            let base = block.text.as_ptr();
            let mut ptrs = [base; 32];
            for (j, ptr) in ptrs.iter_mut().enumerate().take(256 / size) {
                let at = j * size;
                let (lane, offset) = (at / lane_bytes, at % lane_bytes);
                if lane < block.lanes() {
                    // In bounds: `score_block` checked TEXT_PAD bytes after every start.
                    *ptr = base.wrapping_add(block.starts[lane] as usize + offset);
                }
            }
            Pieces { ptrs }
        }
    }

    /// The mask register for character `q`: chunk `k` from 4 pieces of 8 bytes.
    ///
    /// # Safety
    /// AVX2; every piece pointer has `TEXT_PAD` readable bytes (`Pieces::new` in a checked
    /// block). The same holds for `masks_16` and `masks_32`.
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
        ($name:ident, $t:ty, $width:expr, $piece:expr, $masks:ident, $set1:ident, $add:ident,
         $sub:ident, $cmpeq:ident) => {
            #[target_feature(enable = "avx2")]
            unsafe fn $name(block: &Block, query: &[u32], out: &mut [u32; MAX_LANES]) {
                const LANES: usize = 256 / $width;
                let pieces = Pieces::new(block, $piece);
                let mut lens = [0 as $t; LANES];
                let mut last = [0 as $t; LANES];
                for l in 0..LANES {
                    let n = block.len(l);
                    lens[l] = n as $t;
                    last[l] = if n == 0 { 0 } else { (1 as $t) << (n - 1) };
                }
                // SAFETY: unaligned loads of whole arrays of 32 bytes.
                let (mut score, last) = unsafe {
                    (
                        _mm256_loadu_si256(lens.as_ptr().cast()),
                        _mm256_loadu_si256(last.as_ptr().cast()),
                    )
                };
                let ones = _mm256_set1_epi8(-1);
                let one = $set1(1);
                let mut pv = ones;
                let mut mv = _mm256_setzero_si256();
                for &c in query {
                    let eq = if c < 128 {
                        // SAFETY: `Pieces::new` made pointers with TEXT_PAD bytes after them.
                        unsafe { $masks(&pieces, _mm256_set1_epi8(c as i8)) }
                    } else {
                        _mm256_setzero_si256()
                    };
                    let xv = _mm256_or_si256(eq, mv);
                    let sum = $add(_mm256_and_si256(eq, pv), pv);
                    let xh = _mm256_or_si256(_mm256_xor_si256(sum, pv), eq);
                    let ph =
                        _mm256_or_si256(mv, _mm256_andnot_si256(_mm256_or_si256(xh, pv), ones));
                    let mh = _mm256_and_si256(pv, xh);
                    // A compare gives -1 where the last bit is set.
                    score = $sub(score, $cmpeq(_mm256_and_si256(ph, last), last));
                    score = $add(score, $cmpeq(_mm256_and_si256(mh, last), last));
                    let ph = _mm256_or_si256($add(ph, ph), one);
                    let mh = $add(mh, mh);
                    pv = _mm256_or_si256(mh, _mm256_andnot_si256(_mm256_or_si256(xv, ph), ones));
                    mv = _mm256_and_si256(ph, xv);
                }
                let mut scores = [0 as $t; LANES];
                // SAFETY: an unaligned store of 32 bytes into a 32-byte array.
                unsafe { _mm256_storeu_si256(scores.as_mut_ptr().cast(), score) };
                for l in 0..LANES {
                    out[l] = recover(scores[l] as u64, $width, lens[l] as usize, query.len());
                }
            }
        };
    }

    width_kernel!(
        score_8,
        u8,
        8,
        8,
        masks_8,
        _mm256_set1_epi8,
        _mm256_add_epi8,
        _mm256_sub_epi8,
        _mm256_cmpeq_epi8
    );
    width_kernel!(
        score_16,
        u16,
        16,
        16,
        masks_16,
        _mm256_set1_epi16,
        _mm256_add_epi16,
        _mm256_sub_epi16,
        _mm256_cmpeq_epi16
    );
    width_kernel!(
        score_32,
        u32,
        32,
        32,
        masks_32,
        _mm256_set1_epi32,
        _mm256_add_epi32,
        _mm256_sub_epi32,
        _mm256_cmpeq_epi32
    );
    width_kernel!(
        score_64,
        u64,
        64,
        32,
        masks_32,
        _mm256_set1_epi64x,
        _mm256_add_epi64,
        _mm256_sub_epi64,
        _mm256_cmpeq_epi64
    );

    /// # Safety
    /// The CPU has AVX2 and `block.text` holds `TEXT_PAD` bytes after every lane's start.
    #[target_feature(enable = "avx2")]
    pub unsafe fn score(block: &Block, query: &[u32], out: &mut [u32; MAX_LANES]) {
        // SAFETY: the caller's contract.
        unsafe {
            match block.class {
                0 => score_8(block, query, out),
                1 => score_16(block, query, out),
                2 => score_32(block, query, out),
                _ => score_64(block, query, out),
            }
        }
    }
}
