//! The query side of the scalar path: a pattern's per-character bit masks and Myers' step over
//! one block or Hyyrö's blocks.

use super::char_count;
use crate::core::{OutOfMemory, try_filled, try_vec};

const WORD: usize = 64;
const ASCII: usize = 128;
/// Dense non-ASCII masks are used while `distinct * blocks <= DENSE_PER_CHAR * len +
/// DENSE_SLACK` words; otherwise the sparse layout.
const DENSE_PER_CHAR: usize = 2;
const DENSE_SLACK: usize = 4096;

/// A pattern prepared once: per code point, a bit mask of the positions where it occurs,
/// one u64 per block of 64 positions.
pub struct Pattern {
    len: usize,
    pub(super) blocks: usize,
    /// `ASCII * blocks` masks, indexed `[c * blocks + block]`.
    ascii: Vec<u64>,
    /// Non-ASCII code points, sorted, with the start of their masks in `other_masks`
    /// (dense: `blocks` words each) or of their entries in `sparse` (up to the next start).
    other: Vec<(u32, usize)>,
    other_masks: Vec<u64>,
    /// `(block, mask)` entries sorted by block within each code point; empty when dense.
    sparse: Vec<(usize, u64)>,
    pub(super) dense: bool,
}

/// Where the masks of one text character are.
#[derive(Clone, Copy)]
enum Masks<'a> {
    Absent,
    Dense(&'a [u64]),
    Sparse(&'a [(usize, u64)]),
}

/// The column state of Myers' algorithm for one block of at most 64 pattern positions.
#[derive(Clone, Copy)]
struct OneBlock {
    pv: u64,
    mv: u64,
    last: u64,
    score: usize,
}

impl OneBlock {
    fn new(pattern_len: usize) -> OneBlock {
        OneBlock {
            pv: !0,
            mv: 0,
            last: 1u64 << (pattern_len - 1),
            score: pattern_len,
        }
    }

    /// Advances one text character whose pattern mask is `eq`.
    #[inline(always)]
    fn step(&mut self, eq: u64) {
        let (pv, mv) = (self.pv, self.mv);
        let xv = eq | mv;
        let xh = (((eq & pv).wrapping_add(pv)) ^ pv) | eq;
        let ph = mv | !(xh | pv);
        let mh = pv & xh;
        // Ph and Mh are disjoint: the score moves by +1, -1 or 0 without a branch.
        self.score =
            (self.score + usize::from(ph & self.last != 0)) - usize::from(mh & self.last != 0);
        // Row 0 of the global distance matrix grows by one per column: carry in +1.
        let ph = (ph << 1) | 1;
        let mh = mh << 1;
        self.pv = mh | !(xv | ph);
        self.mv = ph & xv;
    }
}

impl Pattern {
    pub fn new(pattern: &[u32]) -> Result<Pattern, OutOfMemory> {
        let len = pattern.len();
        let blocks = len.div_ceil(WORD).max(1);
        let mut ascii = try_filled(ASCII * blocks, 0u64, "the pattern's ASCII mask table")?;
        let non_ascii = pattern.iter().filter(|&&c| c as usize >= ASCII).count();
        let mut other: Vec<(u32, usize)> = try_vec(non_ascii, "the pattern's symbol list")?;
        other.extend(
            pattern
                .iter()
                .filter(|&&c| c as usize >= ASCII)
                .map(|&c| (c, 0)),
        );
        other.sort_unstable();
        other.dedup();
        let dense = other
            .len()
            .checked_mul(blocks)
            .is_some_and(|words| words <= DENSE_PER_CHAR * len + DENSE_SLACK);
        let slot_of = |other: &[(u32, usize)], c: u32| {
            other
                .binary_search_by_key(&c, |&(k, _)| k)
                .expect("every pattern symbol is listed")
        };
        let mut other_masks = Vec::new();
        let mut sparse = Vec::new();
        if dense {
            for (slot, entry) in other.iter_mut().enumerate() {
                entry.1 = slot * blocks;
            }
            other_masks = try_filled(other.len() * blocks, 0u64, "the pattern's mask table")?;
        } else {
            // Counting sort of (symbol, block) pairs: count, prefix sums, fill in block order.
            let mut last_block = try_filled(other.len(), usize::MAX, "the pattern's symbol list")?;
            for (i, &c) in pattern.iter().enumerate() {
                if c as usize >= ASCII {
                    let slot = slot_of(&other, c);
                    if last_block[slot] != i / WORD {
                        last_block[slot] = i / WORD;
                        other[slot].1 += 1;
                    }
                }
            }
            let mut start = 0;
            for entry in other.iter_mut() {
                let count = entry.1;
                entry.1 = start;
                start += count;
            }
            sparse = try_filled(start, (usize::MAX, 0u64), "the pattern's sparse mask table")?;
            // `last_block` now holds each symbol's next free entry.
            for (cursor, entry) in last_block.iter_mut().zip(&other) {
                *cursor = entry.1;
            }
            for (i, &c) in pattern.iter().enumerate() {
                if c as usize >= ASCII {
                    let slot = slot_of(&other, c);
                    let cursor = &mut last_block[slot];
                    if *cursor > other[slot].1 && sparse[*cursor - 1].0 == i / WORD {
                        sparse[*cursor - 1].1 |= 1u64 << (i % WORD);
                    } else {
                        sparse[*cursor] = (i / WORD, 1u64 << (i % WORD));
                        *cursor += 1;
                    }
                }
            }
        }
        for (i, &c) in pattern.iter().enumerate() {
            let bit = 1u64 << (i % WORD);
            let block = i / WORD;
            if (c as usize) < ASCII {
                ascii[c as usize * blocks + block] |= bit;
            } else if dense {
                other_masks[other[slot_of(&other, c)].1 + block] |= bit;
            }
        }
        Ok(Pattern {
            len,
            blocks,
            ascii,
            other,
            other_masks,
            sparse,
            dense,
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held by the mask tables (for tests and documentation of the memory bound).
    pub fn table_bytes(&self) -> usize {
        self.ascii.len() * 8
            + self.other.len() * 16
            + self.other_masks.len() * 8
            + self.sparse.len() * 16
    }

    /// The masks of `c`.
    #[inline(always)]
    fn masks(&self, c: u32) -> Masks<'_> {
        if (c as usize) < ASCII {
            let start = c as usize * self.blocks;
            return Masks::Dense(&self.ascii[start..start + self.blocks]);
        }
        let Ok(slot) = self.other.binary_search_by_key(&c, |&(k, _)| k) else {
            return Masks::Absent;
        };
        let start = self.other[slot].1;
        if self.dense {
            Masks::Dense(&self.other_masks[start..start + self.blocks])
        } else {
            let end = self
                .other
                .get(slot + 1)
                .map_or(self.sparse.len(), |next| next.1);
            Masks::Sparse(&self.sparse[start..end])
        }
    }

    /// The mask of `c` in block 0 (patterns of one block, whose table is always dense:
    /// at most 64 distinct symbols).
    #[inline(always)]
    fn first_mask(&self, c: u32) -> u64 {
        if (c as usize) < ASCII {
            return self.ascii[c as usize * self.blocks];
        }
        match self.other.binary_search_by_key(&c, |&(k, _)| k) {
            Ok(slot) if self.dense => self.other_masks[self.other[slot].1],
            Ok(slot) => self.sparse[self.other[slot].1..]
                .first()
                .filter(|e| e.0 == 0)
                .map_or(0, |e| e.1),
            Err(_) => 0,
        }
    }

    /// Working memory for `distance`: one `(pv, mv)` pair per block, reusable across calls.
    pub fn scratch(&self) -> Result<Vec<(u64, u64)>, OutOfMemory> {
        try_filled(self.blocks, (!0u64, 0u64), "the block state")
    }

    /// Edit distance between the pattern and `text`. `scratch` comes from `self.scratch()`.
    #[inline]
    pub fn distance(&self, text: impl Iterator<Item = u32>, scratch: &mut [(u64, u64)]) -> usize {
        if self.len == 0 {
            return text.count();
        }
        if self.blocks == 1 {
            return self.distance_one_block(text.map(|c| self.first_mask(c)));
        }
        self.distance_blocks(text, scratch)
    }

    /// `distance` for ASCII text: each byte indexes the mask table directly.
    #[inline]
    pub fn distance_ascii(&self, text: &[u8], scratch: &mut [(u64, u64)]) -> usize {
        debug_assert!(text.is_ascii());
        if self.len == 0 {
            return text.len();
        }
        if self.blocks == 1 {
            return self
                .distance_one_block(text.iter().map(|&b| self.ascii[usize::from(b & 0x7f)]));
        }
        let state = self.reset(scratch);
        let last = 1u64 << ((self.len - 1) % WORD);
        let mut score = self.len;
        for &b in text {
            let masks = &self.ascii[usize::from(b & 0x7f) * self.blocks..][..self.blocks];
            let carry = advance_blocks(state, last, |block| masks[block]);
            score = score.wrapping_add_signed(carry as isize);
        }
        score
    }

    /// Myers' step for patterns of at most 64 code points, fed each text character's mask.
    fn distance_one_block(&self, masks: impl Iterator<Item = u64>) -> usize {
        let mut state = OneBlock::new(self.len);
        for eq in masks {
            state.step(eq);
        }
        state.score
    }

    /// The block state for a new text. Panics (a bug, caught at the FFI boundary) when
    /// `scratch` did not come from `self.scratch()`.
    fn reset<'s>(&self, scratch: &'s mut [(u64, u64)]) -> &'s mut [(u64, u64)] {
        assert_eq!(scratch.len(), self.blocks, "scratch from Pattern::scratch");
        scratch.fill((!0u64, 0u64));
        scratch
    }

    fn distance_blocks(
        &self,
        text: impl Iterator<Item = u32>,
        scratch: &mut [(u64, u64)],
    ) -> usize {
        let state = self.reset(scratch);
        let last = 1u64 << ((self.len - 1) % WORD);
        let mut score = self.len;
        for c in text {
            score = score.wrapping_add_signed(self.advance(state, last, c) as isize);
        }
        score
    }

    /// One text character `c` through every block; returns the score change.
    #[inline(always)]
    fn advance(&self, state: &mut [(u64, u64)], last: u64, c: u32) -> i32 {
        match self.masks(c) {
            Masks::Dense(m) => advance_blocks(state, last, |block| m[block]),
            Masks::Absent => advance_blocks(state, last, |_| 0),
            Masks::Sparse(entries) => {
                let mut next = 0;
                advance_blocks(state, last, |block| match entries.get(next) {
                    Some(&(at, mask)) if at == block => {
                        next += 1;
                        mask
                    }
                    _ => 0,
                })
            }
        }
    }

    /// `distance` over `text`, calling `between(done)` after every `per` code points while
    /// text remains (never after the last one, even when the length is a multiple of `per`);
    /// `None` when it returned false.
    pub(super) fn distance_in_steps(
        &self,
        text: &str,
        per: usize,
        scratch: &mut [(u64, u64)],
        mut between: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        let mut chars = text.chars();
        let mut done = 0;
        if self.len == 0 {
            return Some(char_count(text));
        }
        if self.blocks == 1 {
            let mut state = OneBlock::new(self.len);
            loop {
                let before = done;
                for c in chars.by_ref().take(per) {
                    state.step(self.first_mask(u32::from(c)));
                    done += 1;
                }
                if done - before < per || chars.as_str().is_empty() {
                    return Some(state.score);
                }
                if !between(done) {
                    return None;
                }
            }
        }
        let state = self.reset(scratch);
        let last = 1u64 << ((self.len - 1) % WORD);
        let mut score = self.len;
        loop {
            let before = done;
            for c in chars.by_ref().take(per) {
                score = score.wrapping_add_signed(self.advance(state, last, u32::from(c)) as isize);
                done += 1;
            }
            if done - before < per || chars.as_str().is_empty() {
                return Some(score);
            }
            if !between(done) {
                return None;
            }
        }
    }
}

/// One text character through every block; `eq_of(block)` is its mask there. Returns the
/// score change of the last block. `last` is the highest bit of the last block.
#[inline(always)]
fn advance_blocks(state: &mut [(u64, u64)], last: u64, mut eq_of: impl FnMut(usize) -> u64) -> i32 {
    let blocks = state.len();
    let mut carry: i32 = 1;
    for (block, (pv, mv)) in state.iter_mut().enumerate() {
        let mut eq = eq_of(block);
        let high = if block + 1 == blocks {
            last
        } else {
            1u64 << (WORD - 1)
        };
        let xv = eq | *mv;
        if carry < 0 {
            eq |= 1;
        }
        let xh = (((eq & *pv).wrapping_add(*pv)) ^ *pv) | eq;
        let mut ph = *mv | !(xh | *pv);
        let mut mh = *pv & xh;
        let out = if ph & high != 0 {
            1
        } else if mh & high != 0 {
            -1
        } else {
            0
        };
        ph <<= 1;
        mh <<= 1;
        if carry < 0 {
            mh |= 1;
        } else if carry > 0 {
            ph |= 1;
        }
        *pv = mh | !(xv | ph);
        *mv = ph & xv;
        carry = out;
    }
    carry
}
