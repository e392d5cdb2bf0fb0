//! The lane kernel: the CANDIDATES are the bit-pattern side, the query is streamed.
//!
//! Candidates of 1 to 64 ASCII bytes are scored in blocks of one lane width: 8-bit lanes for
//! up to 8 bytes (128 candidates per block), 16-bit up to 16 (64), 32-bit up to 32 (32), 64-bit
//! up to 64 (16): four 256-bit registers of lanes, four independent dependency chains. For each
//! query character every lane takes its candidate's match mask and does Myers' step at once. The masks of the query's distinct
//! ASCII characters are made once per block from the candidates' bytes. The AVX2 copy
//! (`avx2`) reads a lane's mask with one compare of `width` bytes from its start: bytes past
//! the candidate's end only set bits above its last one, and in Myers' step information moves
//! from low bits to high bits only (carries, shifts left), so those bits never reach the bit
//! the distance is read from.
//!
//! Every `CHECK_EVERY` query characters a block stops when no lane can end at or below the
//! caller's bound: distances never decrease along a diagonal of the dynamic program, so the
//! cell where a lane's final diagonal crosses the current column bounds its distance.
//!
//! No score is kept while stepping: a lane's distance is read at the end from its column,
//! `D[n][m] = m + (vertical +1 steps) - (vertical -1 steps)` over its `n` rows.

use crate::core::levenshtein_simd::Kernel;
use crate::core::{OutOfMemory, try_filled, try_vec};

/// Lane width in bits of each class of blocks.
pub const WIDTHS: [usize; 4] = [8, 16, 32, 64];
/// Candidates per block of each class (1024 bits of lanes).
pub const LANES: [usize; 4] = [128, 64, 32, 16];
/// The most lanes in a block.
pub const MAX_LANES: usize = 128;
/// Bytes readable after the start of any lane in a block's text (the widest mask read).
pub const TEXT_PAD: usize = 64;
/// The longest candidate a block holds.
pub const MAX_LEN: usize = 64;
/// Mask rows: one per distinct ASCII query character, and row 0 (no match) first.
pub(super) const ROWS: usize = 129;
/// How often (in query characters) a block checks its lanes against the bound.
pub const CHECK_EVERY: usize = 4;
/// What `score_block` asserts of every used lane (the text's length is asserted first).
pub const LANES_FIT: &str = "every lane fits its width and has TEXT_PAD bytes after its start";
/// A lane whose distance was not computed: it is above the bound.
pub const ABANDONED: u32 = u32::MAX;

/// The class of a candidate of `len` bytes (1 to `MAX_LEN`).
pub fn class_of(len: usize) -> usize {
    WIDTHS
        .iter()
        .position(|&w| len <= w)
        .expect("a candidate of at most MAX_LEN bytes")
}

/// The query prepared for blocks: each position's row of masks.
pub struct BlockQuery {
    /// Per query position: 1 + the index of its character in `distinct`, or 0 (non-ASCII:
    /// no candidate byte matches it).
    pub rows: Vec<u8>,
    /// The query's distinct ASCII characters.
    pub distinct: Vec<u8>,
    /// `row_of[b]`: the row of byte `b`, 0 when the query does not hold it.
    pub row_of: [u8; 128],
    /// `used[w]`: the highest row of the first `CHECK_EVERY * (w + 1)` positions (rows are
    /// numbered in order of first use, so rows `1..=used[w]` are all the rows they need).
    pub used: Vec<u8>,
}

impl BlockQuery {
    pub fn new(query: &[u32]) -> Result<BlockQuery, OutOfMemory> {
        let mut rows = try_vec(query.len(), "the query's mask rows")?;
        let mut distinct = Vec::with_capacity(ROWS - 1);
        let mut row_of = [0u8; 128];
        for &c in query {
            if c >= 128 {
                rows.push(0);
                continue;
            }
            if row_of[c as usize] == 0 {
                distinct.push(c as u8);
                row_of[c as usize] = distinct.len() as u8;
            }
            rows.push(row_of[c as usize]);
        }
        let mut used = try_vec(rows.len().div_ceil(CHECK_EVERY), "the query's mask rows")?;
        let mut highest = 0;
        for window in rows.chunks(CHECK_EVERY) {
            highest = window.iter().fold(highest, |a, &b| a.max(b));
            used.push(highest);
        }
        Ok(BlockQuery {
            rows,
            distinct,
            row_of,
            used,
        })
    }
}

/// Working memory of the portable kernel, made once per thread (the AVX2 kernel needs none).
pub fn scratch() -> Result<Vec<u64>, OutOfMemory> {
    try_filled(ROWS * MAX_LANES, 0u64, "the block masks")
}

/// One block to score: lane `l` is `text[starts[l]..][..lens[l]]`; a lane of length 0 is
/// unused. `text` holds `TEXT_PAD` bytes after every lane's start.
pub struct Block<'a> {
    pub class: usize,
    pub text: &'a [u8],
    pub starts: [u32; MAX_LANES],
    pub lens: [u32; MAX_LANES],
}

/// Distances of every used lane of `block` to `query` in `out[..lanes]`, or `ABANDONED` in
/// every lane when all used ones are above `bound`. A distance is exact whenever it is not
/// `ABANDONED`; unused lanes get any value. Returns whether some used lane is at most `bound`.
pub fn score_block(
    kernel: Kernel,
    block: &Block,
    query: &BlockQuery,
    bound: u32,
    scratch: &mut [u64],
    out: &mut [u32; MAX_LANES],
) -> bool {
    assert!(
        block.text.len() >= TEXT_PAD,
        "a block's text holds TEXT_PAD bytes"
    );
    match kernel {
        Kernel::Baseline => {
            let (lanes, width) = (LANES[block.class], WIDTHS[block.class] as u32);
            let fits =
                block.lens[..lanes]
                    .iter()
                    .zip(&block.starts[..lanes])
                    .all(|(&n, &start)| {
                        n <= width && (n == 0 || start as usize + TEXT_PAD <= block.text.len())
                    });
            assert!(fits, "{LANES_FIT}");
            match block.class {
                0 => portable::<128>(block, query, bound, scratch, out),
                1 => portable::<64>(block, query, bound, scratch, out),
                2 => portable::<32>(block, query, bound, scratch, out),
                _ => portable::<16>(block, query, bound, scratch, out),
            }
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Kernel::Avx2` is only made after the CPU reported AVX2. The kernel checks
        // its lanes itself (`LANES_FIT`), in the pass that prepares them.
        Kernel::Avx2 => unsafe { super::avx2::score(block, query, bound, out) },
    }
}

/// `D[row][j]` of a lane whose column after `j` query characters has vertical deltas `pv`
/// (+1) and `mv` (-1), bit `i` for row `i + 1`.
#[inline(always)]
pub fn cell(pv: u64, mv: u64, row: usize, j: usize) -> usize {
    let low = if row >= 64 { u64::MAX } else { (1 << row) - 1 };
    j + (pv & low).count_ones() as usize - (mv & low).count_ones() as usize
}

/// Whether every used lane is certainly above `bound` after `j` of `m` query characters;
/// `state(l)` is lane `l`'s `(pv, mv)`.
#[inline(always)]
pub fn all_above(
    lens: &[u32],
    j: usize,
    m: usize,
    bound: u32,
    state: impl Fn(usize) -> (u64, u64),
) -> bool {
    lens.iter().enumerate().all(|(l, &n)| {
        let n = n as usize;
        // Lane `l`'s last cell (n, m) is on the diagonal through row n + j - m of column j;
        // above row 0 that diagonal starts at (0, m - n).
        let lower = match (n + j).checked_sub(m) {
            _ if n == 0 => return true,
            None | Some(0) => m - n,
            Some(row) => {
                let (pv, mv) = state(l);
                cell(pv, mv, row, j)
            }
        };
        lower > bound as usize
    })
}

/// Each used lane's distance from its final column: `D[n][m]`.
#[inline(always)]
pub fn distances(
    lens: &[u32],
    m: usize,
    state: impl Fn(usize) -> (u64, u64),
    out: &mut [u32; MAX_LANES],
) {
    for (l, &n) in lens.iter().enumerate() {
        let (pv, mv) = state(l);
        out[l] = u32::try_from(cell(pv, mv, n as usize, m)).unwrap_or(u32::MAX);
    }
}

/// The baseline: the masks of the query's characters made by walking each lane's bytes, then
/// `N` lanes of 64-bit words stepped together.
fn portable<const N: usize>(
    block: &Block,
    query: &BlockQuery,
    bound: u32,
    table: &mut [u64],
    out: &mut [u32; MAX_LANES],
) -> bool {
    let rows = query.distinct.len() + 1;
    let table = &mut table[..rows * N];
    table.fill(0);
    for l in 0..N {
        let start = block.starts[l] as usize;
        for (i, &b) in block.text[start..start + block.lens[l] as usize]
            .iter()
            .enumerate()
        {
            if b < 128 {
                table[usize::from(query.row_of[usize::from(b)]) * N + l] |= 1 << i;
            }
        }
    }
    // Row 0 gathers the bytes the query does not hold: no match.
    table[..N].fill(0);
    let mut pv = [u64::MAX; N];
    let mut mv = [0u64; N];
    let m = query.rows.len();
    for (j, &row) in query.rows.iter().enumerate() {
        if j % CHECK_EVERY == 0
            && j > 0
            && all_above(&block.lens[..N], j, m, bound, |l| (pv[l], mv[l]))
        {
            out.fill(ABANDONED);
            return false;
        }
        let eqs: &[u64; N] = table[usize::from(row) * N..][..N]
            .try_into()
            .expect("N lanes");
        for l in 0..N {
            let (eq, p, n) = (eqs[l], pv[l], mv[l]);
            let xv = eq | n;
            let xh = ((eq & p).wrapping_add(p) ^ p) | eq;
            let ph = n | !(xh | p);
            let mh = p & xh;
            let ph = (ph << 1) | 1;
            let mh = mh << 1;
            pv[l] = mh | !(xv | ph);
            mv[l] = ph & xv;
        }
    }
    distances(&block.lens[..N], m, |l| (pv[l], mv[l]), out);
    (block.lens[..N].iter().zip(out.iter())).any(|(&n, &d)| n > 0 && d <= bound)
}
