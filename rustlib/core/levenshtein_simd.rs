//! Several candidates per step: Myers' bit-parallel algorithm run in lockstep over `LANES`
//! ASCII candidates against one query of at most 64 code points.
//!
//! The query is the bit-pattern side (one mask per ASCII byte, built once per query); each
//! lane streams its own candidate. The lane arrays are plain Rust: LLVM turns them into SIMD
//! code for the target the function is compiled for. `Kernel` picks at run time between a
//! copy compiled with AVX2 (x86_64 with `is_x86_feature_detected!`) and the baseline copy
//! (SSE2 on x86_64, NEON on aarch64, simd128 on wasm32 only when the build enables it,
//! scalar elsewhere). Lanes are independent, so even the scalar copy has `LANES` dependency
//! chains in flight instead of one.
//!
//! Inside a group a Ukkonen-style cut-off abandons the group once no unfinished lane can end
//! at or below the caller's bound: distances never decrease along a diagonal of the dynamic
//! program, so the cell of column `j` on the diagonal that ends in the lane's last cell is a
//! lower bound of its distance.

/// Candidates per group.
pub const LANES: usize = 8;
/// How often (in columns) the cut-off is checked.
const CHECK_EVERY: usize = 8;
/// Marks a lane whose distance was not computed: it exceeds the bound.
pub const ABANDONED: u32 = u32::MAX;

/// Which compiled copy of the lane kernel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// The baseline target (SSE2 on x86_64, NEON on aarch64, scalar elsewhere).
    Baseline,
    /// x86_64 with AVX2, detected at run time.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    /// The best kernel this CPU runs.
    pub fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Kernel::Avx2;
        }
        Kernel::Baseline
    }

    /// Every kernel this CPU runs (tests compare them).
    pub fn available() -> Vec<Kernel> {
        let mut all = vec![Kernel::Baseline];
        if Kernel::detect() != Kernel::Baseline {
            all.push(Kernel::detect());
        }
        all
    }
}

/// The query prepared for the lanes: a mask per ASCII byte, in 32-bit words when the query
/// fits (twice the lanes per register), else 64-bit.
pub enum LaneQuery {
    Narrow(Box<[u32; 128]>),
    Wide(Box<[u64; 128]>),
}

impl LaneQuery {
    /// `None` when the query is empty or longer than 64 code points (the scalar path).
    pub fn new(query: &[u32]) -> Option<LaneQuery> {
        if query.is_empty() || query.len() > 64 {
            return None;
        }
        let mut wide = Box::new([0u64; 128]);
        for (i, &c) in query.iter().enumerate() {
            if c < 128 {
                wide[c as usize] |= 1u64 << i;
            }
        }
        Some(if query.len() <= 32 {
            Narrow(Box::new(wide.map(|m| m as u32)))
        } else {
            Wide(wide)
        })
    }
}

use LaneQuery::{Narrow, Wide};

/// Where the lanes' bytes come from. `column(j)` is each lane's byte at column `j` (any value
/// once `j` is past a lane's end: that lane's result was taken before).
pub trait LaneSource {
    fn column(&self, j: usize) -> [u8; LANES];
}

/// One group of the index's transposed store: `LANES` bytes per column.
pub struct Transposed<'a>(pub &'a [u8]);

impl LaneSource for Transposed<'_> {
    #[inline(always)]
    fn column(&self, j: usize) -> [u8; LANES] {
        let mut out = [0u8; LANES];
        out.copy_from_slice(&self.0[j * LANES..(j + 1) * LANES]);
        out
    }
}

/// `LANES` candidates read in place.
pub struct Direct<'a>(pub [&'a [u8]; LANES]);

impl LaneSource for Direct<'_> {
    #[inline(always)]
    fn column(&self, j: usize) -> [u8; LANES] {
        std::array::from_fn(|l| self.0[l].get(j).copied().unwrap_or(0))
    }
}

/// Scores `LANES` ASCII candidates of `lens[l]` bytes (0 allowed) against a query of `m`
/// code points. A lane's result is its distance, or `ABANDONED` when it is certainly above
/// `bound`. Results are exact whenever they are not `ABANDONED`.
#[inline]
pub fn score_group(
    kernel: Kernel,
    query: &LaneQuery,
    m: usize,
    lens: &[u32; LANES],
    source: &impl LaneSource,
    bound: u32,
) -> [u32; LANES] {
    match kernel {
        Kernel::Baseline => score_baseline(query, m, lens, source, bound),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Kernel::Avx2` is only made by `detect` after the CPU reported AVX2.
        Kernel::Avx2 => unsafe { score_avx2(query, m, lens, source, bound) },
    }
}

fn score_baseline(
    query: &LaneQuery,
    m: usize,
    lens: &[u32; LANES],
    source: &impl LaneSource,
    bound: u32,
) -> [u32; LANES] {
    match query {
        Narrow(masks) => lanes_u32(masks, m, lens, source, bound),
        Wide(masks) => lanes_u64(masks, m, lens, source, bound),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn score_avx2(
    query: &LaneQuery,
    m: usize,
    lens: &[u32; LANES],
    source: &impl LaneSource,
    bound: u32,
) -> [u32; LANES] {
    match query {
        Narrow(masks) => lanes_u32(masks, m, lens, source, bound),
        Wide(masks) => lanes_u64(masks, m, lens, source, bound),
    }
}

macro_rules! lane_kernel {
    ($name:ident, $w:ty) => {
        #[inline(always)]
        fn $name(
            masks: &[$w; 128],
            m: usize,
            lens: &[u32; LANES],
            source: &impl LaneSource,
            bound: u32,
        ) -> [u32; LANES] {
            const BITS: usize = <$w>::BITS as usize;
            debug_assert!((1..=BITS).contains(&m));
            let shift = (m - 1) as u32;
            let len: [$w; LANES] = lens.map(|n| n as $w);
            let mut pv = [<$w>::MAX; LANES];
            let mut mv: [$w; LANES] = [0; LANES];
            let mut score = [m as $w; LANES];
            // A lane of length 0 is done before the first column.
            let mut done: [$w; LANES] =
                std::array::from_fn(|l| if len[l] == 0 { m as $w } else { <$w>::MAX });
            let columns = lens.iter().copied().max().unwrap_or(0) as usize;
            for j in 0..columns {
                let bytes = source.column(j);
                let col = (j + 1) as $w;
                for l in 0..LANES {
                    let eq = masks[usize::from(bytes[l] & 0x7f)];
                    let (p, n) = (pv[l], mv[l]);
                    let xv = eq | n;
                    let xh = ((eq & p).wrapping_add(p) ^ p) | eq;
                    let ph = n | !(xh | p);
                    let mh = p & xh;
                    score[l] = score[l]
                        .wrapping_add((ph >> shift) & 1)
                        .wrapping_sub((mh >> shift) & 1);
                    let ph = (ph << 1) | 1;
                    let mh = mh << 1;
                    pv[l] = mh | !(xv | ph);
                    mv[l] = ph & xv;
                    if len[l] == col {
                        done[l] = score[l];
                    }
                }
                if (j + 1) % CHECK_EVERY == 0 && j + 1 < columns {
                    let mut alive = false;
                    for l in 0..LANES {
                        let n = lens[l] as usize;
                        if n <= j + 1 {
                            continue;
                        }
                        // The diagonal through the lane's last cell (m, n) crosses column
                        // j + 1 at row m - (n - j - 1); above row 0 the bound is n - m.
                        let lower = match (m + j + 1).checked_sub(n) {
                            Some(0) | None => n.abs_diff(m),
                            Some(row) => {
                                let low = if row >= BITS {
                                    <$w>::MAX
                                } else {
                                    ((1 as $w) << row) - 1
                                };
                                (j + 1 + (pv[l] & low).count_ones() as usize)
                                    - (mv[l] & low).count_ones() as usize
                            }
                        };
                        alive |= lower <= bound as usize;
                    }
                    if !alive {
                        break;
                    }
                }
            }
            done.map(|d| if d == <$w>::MAX { ABANDONED } else { d as u32 })
        }
    };
}

lane_kernel!(lanes_u32, u32);
lane_kernel!(lanes_u64, u64);
