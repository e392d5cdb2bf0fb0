//! Edit distance over Unicode code points with Myers' bit-parallel algorithm, in Hyyrö's
//! block form for patterns longer than 64 code points. O(n * ceil(m / 64)) word operations.
//!
//! Memory is linear in the input: the pattern's mask table holds a dense row per ASCII
//! character and per distinct non-ASCII character only while that stays within a few words per
//! pattern character; beyond that (many distinct characters in a long pattern) non-ASCII
//! masks are stored sparsely, one entry per (character, block) that actually occurs. Every
//! allocation that depends on the input is fallible (`OutOfMemory`).

use super::levenshtein_simd::{
    ABANDONED, Direct, Kernel, LANES, LaneQuery, Transposed, score_group,
};
use super::parallel::{self, resolve_threads};
use super::{OutOfMemory, try_filled, try_vec};
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU32, Ordering};

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
    blocks: usize,
    /// `ASCII * blocks` masks, indexed `[c * blocks + block]`.
    ascii: Vec<u64>,
    /// Non-ASCII code points, sorted, with the start of their masks in `other_masks`
    /// (dense: `blocks` words each) or of their entries in `sparse` (up to the next start).
    other: Vec<(u32, usize)>,
    other_masks: Vec<u64>,
    /// `(block, mask)` entries sorted by block within each code point; empty when dense.
    sparse: Vec<(usize, u64)>,
    dense: bool,
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
    fn distance_in_steps(
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

/// Edit distance between `a` and `b` in code points.
pub fn levenshtein(a: &str, b: &str) -> Result<usize, OutOfMemory> {
    levenshtein_with_progress(a, b, |_, _| true).map_err(|error| match error {
        ClosestError::OutOfMemory(error) => error,
        ClosestError::Cancelled => unreachable!("the progress hook never cancels"),
    })
}

/// Block-steps (text characters times pattern blocks) between two progress calls of
/// `levenshtein_with_progress`: about 20-50 ms of work.
pub const BLOCK_STEPS_PER_PROGRESS: usize = 1 << 24;

/// `levenshtein`, cancellable: `progress(done, total)` (text code points scored, of the
/// longer input after the common prefix and suffix are stripped) is called about every
/// `BLOCK_STEPS_PER_PROGRESS` block-steps and once at the end with `done == total`; returning
/// false stops with `Cancelled`.
pub fn levenshtein_with_progress(
    a: &str,
    b: &str,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Result<usize, ClosestError> {
    // Common prefix and suffix never change the distance; stripping them is cheap.
    let prefix: usize = a
        .chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix: usize = a
        .chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    // The shorter string is the pattern (fewer blocks); only it is copied.
    let (pattern, text) = if char_count(a) <= char_count(b) {
        (a, b)
    } else {
        (b, a)
    };
    let pattern = Pattern::new(&code_points(pattern)?)?;
    let total = char_count(text);
    let per = (BLOCK_STEPS_PER_PROGRESS / pattern.blocks).max(1);
    let mut scratch = pattern.scratch()?;
    let distance = pattern
        .distance_in_steps(text, per, &mut scratch, |done| progress(done, total))
        .ok_or(ClosestError::Cancelled)?;
    if !progress(total, total) {
        return Err(ClosestError::Cancelled);
    }
    Ok(distance)
}

fn char_count(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
}

/// The code points of `text`, in a fallibly allocated vector.
fn code_points(text: &str) -> Result<Vec<u32>, OutOfMemory> {
    let mut chars = try_vec(char_count(text), "the pattern's code points")?;
    chars.extend(text.chars().map(u32::from));
    Ok(chars)
}

/// One scored candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    pub distance: u32,
    pub index: u32,
}

/// What stopped `closest`.
#[derive(Debug, PartialEq, Eq)]
pub enum ClosestError {
    /// The progress callback returned false.
    Cancelled,
    OutOfMemory(OutOfMemory),
}

impl From<OutOfMemory> for ClosestError {
    fn from(error: OutOfMemory) -> Self {
        ClosestError::OutOfMemory(error)
    }
}

/// Candidates packed as one UTF-8 buffer plus `count + 1` offsets (candidate i is
/// `bytes[offsets[i]..offsets[i + 1]]`).
pub struct Packed<'a> {
    pub bytes: &'a str,
    pub offsets: &'a [u32],
}

/// A list of candidate strings `closest` can score.
pub trait Candidates: Sync {
    fn count(&self) -> usize;
    fn get(&self, index: usize) -> &str;
    /// Code points in candidate `index`.
    fn char_count(&self, index: usize) -> usize {
        char_count(self.get(index))
    }
    /// Bytes of text over all candidates (sizes the number of threads).
    fn text_bytes(&self) -> usize;
    /// The lane layout of an index; `None`: candidates are read in place, in order.
    fn layout(&self) -> Option<Layout<'_>> {
        None
    }
}

impl Candidates for Packed<'_> {
    fn count(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    fn get(&self, index: usize) -> &str {
        &self.bytes[self.offsets[index] as usize..self.offsets[index + 1] as usize]
    }

    fn text_bytes(&self) -> usize {
        self.bytes.len()
    }
}

/// A padding slot in `Layout::order`.
const PAD: u32 = u32::MAX;

/// An index's candidates arranged for the lane kernel. Slots come in groups of `LANES`: the
/// first `groups` groups hold the non-empty ASCII candidates sorted by (length, index), the
/// last of them padded with `PAD`; the remaining slots hold the other candidates in index
/// order.
#[derive(Clone, Copy)]
pub struct Layout<'a> {
    /// The candidate in each slot.
    order: &'a [u32],
    /// Code points of each slot's candidate (0 for padding).
    lens: &'a [u32],
    groups: usize,
    /// `groups + 1` entries: group `g` owns columns `starts[g]..starts[g + 1]`.
    starts: &'a [usize],
    /// Transposed text: column `c` of the store is `columns[c * LANES..][..LANES]`, one byte
    /// per lane; lanes shorter than their group hold zeros at the end.
    columns: &'a [u8],
}

/// Candidates packed once and kept, with the lane layout built once.
pub struct FuzzyIndex {
    bytes: String,
    offsets: Vec<u32>,
    order: Vec<u32>,
    lens: Vec<u32>,
    groups: usize,
    starts: Vec<usize>,
    columns: Vec<u8>,
}

impl FuzzyIndex {
    /// Copies `packed` into the index and builds the lane layout.
    pub fn new(packed: &Packed) -> Result<FuzzyIndex, OutOfMemory> {
        let count = packed.count();
        let mut bytes = String::new();
        super::try_push_str(&mut bytes, packed.bytes, "the index's text")?;
        let mut offsets = try_vec(packed.offsets.len(), "the index's offsets")?;
        offsets.extend_from_slice(packed.offsets);
        let byte_len = |i: u32| packed.offsets[i as usize + 1] - packed.offsets[i as usize];
        let in_lanes = |&i: &u32| byte_len(i) > 0 && packed.get(i as usize).is_ascii();
        let laned = (0..count as u32).filter(in_lanes).count();
        let padded = laned.next_multiple_of(LANES);
        let slots = padded + (count - laned);
        let mut order = try_vec(slots, "the index's lane order")?;
        order.extend((0..count as u32).filter(in_lanes));
        order.sort_unstable_by_key(|&i| (byte_len(i), i));
        order.resize(padded, PAD);
        order.extend((0..count as u32).filter(|i| !in_lanes(i)));
        let mut lens = try_vec(slots, "the index's lengths")?;
        lens.extend(order.iter().map(|&i| {
            if i == PAD {
                0
            } else {
                char_count(packed.get(i as usize)) as u32
            }
        }));
        let groups = padded / LANES;
        let mut starts = try_vec(groups + 1, "the index's group starts")?;
        starts.push(0);
        for group in lens[..padded].chunks_exact(LANES) {
            let columns = group.iter().copied().max().unwrap_or(0) as usize;
            starts.push(starts[starts.len() - 1] + columns);
        }
        let mut columns = try_filled(starts[groups] * LANES, 0u8, "the index's transposed text")?;
        for (g, group) in order[..padded].chunks_exact(LANES).enumerate() {
            let store = &mut columns[starts[g] * LANES..starts[g + 1] * LANES];
            for (lane, &i) in group.iter().enumerate() {
                if i != PAD {
                    for (j, &b) in packed.get(i as usize).as_bytes().iter().enumerate() {
                        store[j * LANES + lane] = b;
                    }
                }
            }
        }
        Ok(FuzzyIndex {
            bytes,
            offsets,
            order,
            lens,
            groups,
            starts,
            columns,
        })
    }

    /// Bytes of native memory the index holds (its heap allocations).
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
            + size_of::<u32>()
                * (self.offsets.capacity() + self.order.capacity() + self.lens.capacity())
            + size_of::<usize>() * self.starts.capacity()
            + self.columns.capacity()
    }
}

impl Candidates for FuzzyIndex {
    fn count(&self) -> usize {
        self.offsets.len() - 1
    }

    fn get(&self, index: usize) -> &str {
        &self.bytes[self.offsets[index] as usize..self.offsets[index + 1] as usize]
    }

    fn text_bytes(&self) -> usize {
        self.bytes.len()
    }

    fn layout(&self) -> Option<Layout<'_>> {
        Some(Layout {
            order: &self.order,
            lens: &self.lens,
            groups: self.groups,
            starts: &self.starts,
            columns: &self.columns,
        })
    }
}

impl Packed<'_> {
    /// Checks that offsets are non-decreasing, in bounds and on character boundaries.
    pub fn validate(bytes: &str, offsets: &[u32]) -> Result<(), String> {
        if offsets.is_empty() {
            return Err("offsets must hold count + 1 entries".into());
        }
        if offsets[0] != 0 {
            return Err(format!("offsets[0] must be 0, got {}", offsets[0]));
        }
        for (i, pair) in offsets.windows(2).enumerate() {
            if pair[1] < pair[0] {
                return Err(format!(
                    "offsets[{}] = {} is less than offsets[{i}] = {}",
                    i + 1,
                    pair[1],
                    pair[0]
                ));
            }
        }
        let end = offsets[offsets.len() - 1] as usize;
        if end != bytes.len() {
            return Err(format!(
                "the last offset is {end} but the packed text holds {} bytes",
                bytes.len()
            ));
        }
        if let Some(bad) = offsets
            .iter()
            .find(|&&o| !bytes.is_char_boundary(o as usize))
        {
            return Err(format!("offset {bad} splits a UTF-8 character"));
        }
        Ok(())
    }
}

/// How `closest_with` runs.
#[derive(Clone, Copy, Debug)]
pub struct Search {
    /// At most this many results.
    pub limit: usize,
    /// Only distances up to this (`u32::MAX`: no limit).
    pub max_distance: u32,
    /// Threads to use, the calling one included; 0 is the available parallelism. Small inputs
    /// use fewer (about 64 KiB of candidate text per thread at least).
    pub threads: usize,
    /// The lane kernel for queries of 1 to 64 code points, or `None`: one candidate at a time
    /// (the scalar reference).
    pub lanes: Option<Kernel>,
}

impl Search {
    /// The best lane kernel this CPU has, on `threads` threads (0: the available parallelism).
    pub fn detect(limit: usize, max_distance: u32, threads: usize) -> Search {
        Search {
            limit,
            max_distance,
            threads,
            lanes: Some(Kernel::detect()),
        }
    }
}

/// Progress is reported each time this many more candidates are done.
pub const PROGRESS_EVERY: usize = 4096;
/// Units (of `LANES` slots) a thread claims at a time.
const CHUNK_UNITS: usize = 16;
/// Tests use tiny inputs and still want several threads.
const MIN_BYTES_PER_THREAD: usize = if cfg!(test) { 64 } else { 64 << 10 };
/// `Search::threads` above this is clamped (the FFI rejects it: `MYLIB_MAX_THREADS`).
pub const MAX_THREADS: usize = 1024;

/// Scores `query` against every candidate; returns up to `limit` matches with distance <=
/// `max_distance`, sorted by distance, then index. Uses the best lane kernel and the available
/// parallelism (see `closest_with`).
pub fn closest(
    query: &str,
    candidates: &impl Candidates,
    limit: usize,
    max_distance: u32,
    progress: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<Match>, ClosestError> {
    closest_with(
        query,
        candidates,
        Search::detect(limit, max_distance, 0),
        progress,
    )
}

/// `closest` with every choice explicit. The result does not depend on `threads` or `lanes`.
/// `progress(done, total)` is called on the calling thread each time about `PROGRESS_EVERY`
/// more candidates are done (counted over all threads), and once at the end with `done ==
/// total`, also when `limit` is 0 or there is no candidate; returning false cancels: every
/// thread stops after its current chunk of `CHUNK_UNITS * LANES` candidates.
pub fn closest_with(
    query: &str,
    candidates: &impl Candidates,
    search: Search,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<Match>, ClosestError> {
    let total = candidates.count();
    if search.limit == 0 {
        return if progress(total, total) {
            Ok(Vec::new())
        } else {
            Err(ClosestError::Cancelled)
        };
    }
    let query = code_points(query)?;
    let pattern = Pattern::new(&query)?;
    let lanes = search
        .lanes
        .and_then(|kernel| LaneQuery::new(&query).map(|q| (kernel, q)));
    // At most min(limit, total) results per thread: reserved once, so scoring never allocates.
    let limit = search.limit.min(total);
    // Without lanes the index is read in its packing order: the lane order would scatter
    // the scalar path's reads over the whole text.
    let layout = lanes.as_ref().and(candidates.layout());
    let units = layout.map_or(total, |l| l.order.len()).div_ceil(LANES);
    let work = candidates.text_bytes().saturating_mul(pattern.blocks);
    let threads = resolve_threads(search.threads)
        .min(MAX_THREADS)
        .min(work / MIN_BYTES_PER_THREAD)
        .min(units.div_ceil(CHUNK_UNITS))
        .max(1);
    let mut states = try_vec(threads, "the threads' states")?;
    for _ in 0..threads {
        states.push(Worker {
            top: TopMatches::new(limit, search.max_distance)?,
            scratch: pattern.scratch()?,
            published: search.max_distance,
        });
    }
    let scan = Scan {
        pattern: &pattern,
        lanes: lanes.as_ref().map(|(k, q)| (*k, q)),
        candidates,
        layout,
        anchor: layout.map_or(0, |l| partition_groups(l, pattern.len() as u32)),
        shared: AtomicU32::new(search.max_distance),
    };
    let states = parallel::run(
        states,
        units,
        CHUNK_UNITS,
        |worker, unit| scan.unit(worker, unit),
        total,
        PROGRESS_EVERY,
        &mut progress,
    )
    .map_err(|_| ClosestError::Cancelled)?;
    if !progress(total, total) {
        return Err(ClosestError::Cancelled);
    }
    let found = states.iter().map(|s| s.top.heap.len()).sum();
    let mut all = try_vec(found, "the merged results")?;
    for state in states {
        all.extend(state.top.heap.into_vec());
    }
    all.sort_unstable();
    all.truncate(limit);
    Ok(all)
}

/// The first group whose shortest candidate has at least `m` code points.
fn partition_groups(layout: Layout, m: u32) -> usize {
    let (mut lo, mut hi) = (0, layout.groups);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if layout.lens[mid * LANES] < m {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// One thread's results and working memory.
struct Worker {
    top: TopMatches,
    scratch: Vec<(u64, u64)>,
    /// The bound this thread last shared.
    published: u32,
}

/// What every thread reads.
struct Scan<'a, C: Candidates> {
    pattern: &'a Pattern,
    lanes: Option<(Kernel, &'a LaneQuery)>,
    candidates: &'a C,
    layout: Option<Layout<'a>>,
    /// Groups are visited from this one outwards: lengths near the query's first, so the
    /// k-th best distance tightens early.
    anchor: usize,
    /// The lowest bound any thread has: its k-th best distance (or `max_distance`). A
    /// candidate above it cannot be among the best `limit` over all threads.
    shared: AtomicU32,
}

impl<C: Candidates> Scan<'_, C> {
    /// Scores the `LANES` slots of `unit`; returns how many candidates they held.
    fn unit(&self, worker: &mut Worker, unit: usize) -> usize {
        let shared = self.shared.load(Ordering::Relaxed);
        worker.top.bound = worker.top.bound.min(shared);
        let done = match self.layout {
            Some(layout) if unit < layout.groups => {
                self.index_group(worker, layout, self.group_at(layout.groups, unit))
            }
            Some(layout) => {
                let slots = unit * LANES..layout.order.len().min((unit + 1) * LANES);
                for slot in slots.clone() {
                    let len = layout.lens[slot] as usize;
                    self.one(worker, layout.order[slot] as usize, len);
                }
                slots.len()
            }
            None => self.packed_unit(worker, unit),
        };
        if worker.top.bound < worker.published {
            worker.published = worker.top.bound;
            self.shared.fetch_min(worker.top.bound, Ordering::Relaxed);
        }
        done
    }

    /// The group visited `position`-th: `anchor`, `anchor - 1`, `anchor + 1`, ... until
    /// one side runs out, then the rest of the other side.
    fn group_at(&self, groups: usize, position: usize) -> usize {
        let (left, right) = (self.anchor, groups - self.anchor);
        let both = 2 * left.min(right);
        if position < both {
            if position.is_multiple_of(2) {
                self.anchor + position / 2
            } else {
                self.anchor - 1 - position / 2
            }
        } else if right > left {
            self.anchor + position - both / 2
        } else {
            self.anchor - 1 - (position - both / 2)
        }
    }

    fn index_group(&self, worker: &mut Worker, layout: Layout, group: usize) -> usize {
        let slots = group * LANES..(group + 1) * LANES;
        let order = &layout.order[slots.clone()];
        let lens: [u32; LANES] = layout.lens[slots].try_into().expect("a whole group");
        let real = order.iter().take_while(|&&i| i != PAD).count();
        let m = self.pattern.len();
        // Sorted by length: the group's length gap to the query bounds every distance in it.
        let (shortest, longest) = (lens[0] as usize, lens[real - 1] as usize);
        let gap = shortest.saturating_sub(m).max(m.saturating_sub(longest));
        let bound = worker.top.bound;
        if gap > bound as usize {
            return real;
        }
        match self.lanes {
            Some((kernel, query)) => {
                let text =
                    &layout.columns[layout.starts[group] * LANES..layout.starts[group + 1] * LANES];
                let found = score_group(kernel, query, m, &lens, &Transposed(text), bound);
                for (&index, &distance) in order[..real].iter().zip(&found) {
                    if distance != ABANDONED {
                        worker.top.offer(index, distance as usize);
                    }
                }
            }
            None => {
                for (&index, &len) in order[..real].iter().zip(&lens) {
                    self.one(worker, index as usize, len as usize);
                }
            }
        }
        real
    }

    /// Candidates `unit * LANES..` read in place: the ASCII ones through the lanes.
    fn packed_unit(&self, worker: &mut Worker, unit: usize) -> usize {
        let total = self.candidates.count();
        let first = unit * LANES;
        let slots = first..total.min(first + LANES);
        let n = slots.len();
        let Some((kernel, query)) = self.lanes else {
            for index in slots {
                self.one(worker, index, self.candidates.char_count(index));
            }
            return n;
        };
        let m = self.pattern.len();
        let bound = worker.top.bound;
        let mut texts: [&[u8]; LANES] = [&[]; LANES];
        let mut lens = [0u32; LANES];
        for (lane, index) in slots.enumerate() {
            let candidate = self.candidates.get(index);
            if candidate.is_ascii() && !candidate.is_empty() {
                if candidate.len().abs_diff(m) <= bound as usize {
                    texts[lane] = candidate.as_bytes();
                    lens[lane] = candidate.len() as u32;
                }
            } else {
                self.one(worker, index, char_count(candidate));
            }
        }
        if lens.iter().any(|&n| n > 0) {
            let found = score_group(kernel, query, m, &lens, &Direct(texts), bound);
            for lane in 0..LANES {
                if lens[lane] > 0 && found[lane] != ABANDONED {
                    worker
                        .top
                        .offer((first + lane) as u32, found[lane] as usize);
                }
            }
        }
        n
    }

    /// One candidate through the scalar path.
    fn one(&self, worker: &mut Worker, index: usize, len: usize) {
        // The difference in length is a lower bound of the distance.
        if len.abs_diff(self.pattern.len()) > worker.top.bound as usize {
            return;
        }
        let candidate = self.candidates.get(index);
        let distance = if candidate.is_ascii() {
            self.pattern
                .distance_ascii(candidate.as_bytes(), &mut worker.scratch)
        } else {
            self.pattern
                .distance(candidate.chars().map(u32::from), &mut worker.scratch)
        };
        worker.top.offer(index as u32, distance);
    }
}

/// The best `limit` matches so far (a max-heap: the worst on top) and the distance a new
/// candidate must not exceed.
struct TopMatches {
    heap: BinaryHeap<Match>,
    limit: usize,
    bound: u32,
}

impl TopMatches {
    fn new(limit: usize, bound: u32) -> Result<TopMatches, OutOfMemory> {
        let mut heap = BinaryHeap::new();
        heap.try_reserve_exact(limit)
            .map_err(OutOfMemory::of::<Match>("the result heap", limit))?;
        Ok(TopMatches { heap, limit, bound })
    }

    /// Never allocates: the heap holds `limit` entries' room from the start.
    fn offer(&mut self, index: u32, distance: usize) {
        let distance = u32::try_from(distance).unwrap_or(u32::MAX);
        if distance > self.bound {
            return;
        }
        let scored = Match { distance, index };
        if self.heap.len() < self.limit {
            debug_assert!(self.heap.len() < self.heap.capacity());
            self.heap.push(scored);
        } else if self.heap.peek().is_some_and(|worst| scored < *worst) {
            self.heap.pop();
            self.heap.push(scored);
        }
        if self.heap.len() == self.limit {
            self.bound = self
                .bound
                .min(self.heap.peek().map_or(self.bound, |worst| worst.distance));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.iter().enumerate() {
            let mut diagonal = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let above = row[j + 1];
                row[j + 1] = (above + 1)
                    .min(row[j] + 1)
                    .min(diagonal + usize::from(ca != cb));
                diagonal = above;
            }
        }
        row[b.len()]
    }

    fn random_text(state: &mut u64, len: usize, alphabet: &[char]) -> String {
        (0..len)
            .map(|_| {
                *state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                alphabet[(*state >> 33) as usize % alphabet.len()]
            })
            .collect()
    }

    #[test]
    fn known_distances() {
        let cases: &[(&str, &str, usize)] = &[
            ("", "", 0),
            ("", "abc", 3),
            ("kitten", "sitting", 3),
            ("flaw", "lawn", 2),
            ("é", "e", 1),
            ("😀a", "a😀", 2),
            ("gumbo", "gambol", 2),
        ];
        for &(a, b, expected) in cases {
            assert_eq!(levenshtein(a, b), Ok(expected), "{a:?} vs {b:?}");
            assert_eq!(levenshtein(b, a), Ok(expected), "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn bit_parallel_matches_the_dynamic_program_across_block_sizes() {
        let alphabet = ['a', 'b', 'c', 'é', '日', '😀'];
        let mut state = 42u64;
        for len_a in [1, 2, 63, 64, 65, 127, 128, 129, 200] {
            for len_b in [0, 1, 50, 64, 65, 130, 300] {
                let a = random_text(&mut state, len_a, &alphabet);
                let b = random_text(&mut state, len_b, &alphabet);
                let pattern: Vec<u32> = a.chars().map(u32::from).collect();
                let prepared = Pattern::new(&pattern).unwrap();
                let direct =
                    prepared.distance(b.chars().map(u32::from), &mut prepared.scratch().unwrap());
                assert_eq!(direct, naive(&a, &b), "pattern {len_a} x text {len_b}");
                let direct_ascii = b.is_ascii().then(|| {
                    prepared.distance_ascii(b.as_bytes(), &mut prepared.scratch().unwrap())
                });
                assert!(direct_ascii.is_none_or(|d| d == naive(&a, &b)));
                assert_eq!(levenshtein(&a, &b), Ok(naive(&a, &b)));
            }
        }
    }

    #[test]
    fn closest_agrees_with_the_dynamic_program_on_ascii_and_other_candidates() {
        let mut state = 11u64;
        let words: Vec<String> = (0..203)
            .map(|i| {
                let n = (i * 7) % 40;
                if i % 9 == 0 {
                    random_text(&mut state, n, &['a', 'é', 'b'])
                } else {
                    random_text(&mut state, n, &['a', 'b', 'c'])
                }
            })
            .collect();
        let mut bytes = String::new();
        let mut offsets = vec![0u32];
        for w in &words {
            bytes.push_str(w);
            offsets.push(bytes.len() as u32);
        }
        let packed = Packed {
            bytes: &bytes,
            offsets: &offsets,
        };
        for query in [
            "abcab",
            "",
            "aéb",
            &random_text(&mut state, 70, &['a', 'b']),
        ] {
            for (limit, max) in [
                (usize::MAX, u32::MAX),
                (7, u32::MAX),
                (usize::MAX, 4),
                (3, 10),
            ] {
                let got = closest(query, &packed, limit, max, |_, _| true).unwrap();
                let mut expected: Vec<Match> = words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| Match {
                        distance: naive(query, w) as u32,
                        index: i as u32,
                    })
                    .filter(|m| m.distance <= max)
                    .collect();
                expected.sort();
                expected.truncate(limit);
                assert_eq!(got, expected, "query {query:?}, limit {limit}, max {max}");
            }
        }
    }

    #[test]
    fn closest_sorts_by_distance_then_index_and_honours_limit_and_max() {
        let words = ["apple", "apply", "ample", "maple", "apple", "zzz"];
        let mut bytes = String::new();
        let mut offsets = vec![0u32];
        for w in words {
            bytes.push_str(w);
            offsets.push(bytes.len() as u32);
        }
        Packed::validate(&bytes, &offsets).unwrap();
        let packed = Packed {
            bytes: &bytes,
            offsets: &offsets,
        };
        let index = FuzzyIndex::new(&packed).unwrap();
        assert_eq!(
            closest("apple", &index, usize::MAX, u32::MAX, |_, _| true)
                .unwrap()
                .len(),
            6
        );
        let all = closest("apple", &packed, usize::MAX, u32::MAX, |_, _| true).unwrap();
        let got: Vec<(u32, u32)> = all.iter().map(|m| (m.index, m.distance)).collect();
        assert_eq!(got, vec![(0, 0), (4, 0), (1, 1), (2, 1), (3, 2), (5, 5)]);
        let top2 = closest("apple", &packed, 2, u32::MAX, |_, _| true).unwrap();
        assert_eq!(top2.iter().map(|m| m.index).collect::<Vec<_>>(), vec![0, 4]);
        let near = closest("apple", &packed, usize::MAX, 1, |_, _| true).unwrap();
        assert_eq!(near.len(), 4);
        assert_eq!(
            closest("apple", &packed, 3, u32::MAX, |_, _| false),
            Err(ClosestError::Cancelled)
        );
    }

    /// `count` distinct non-ASCII code points from U+0100 up.
    fn distinct_text(count: usize, from: u32) -> String {
        (from..).filter_map(char::from_u32).take(count).collect()
    }

    #[test]
    fn sparse_mask_table_matches_the_dynamic_program() {
        // Many distinct symbols in a long pattern: the sparse layout; mixed with ASCII and
        // repeats so symbols span several blocks.
        let mut state = 7u64;
        let many: Vec<char> = distinct_text(900, 0x100).chars().collect();
        let mut alphabet = many.clone();
        alphabet.extend(['a', 'b', 'é']);
        for len_a in [1000, 1500] {
            let a = random_text(&mut state, len_a, &alphabet);
            let pattern: Vec<u32> = a.chars().map(u32::from).collect();
            let prepared = Pattern::new(&pattern).unwrap();
            assert!(
                !prepared.dense,
                "{len_a} code points over 900 symbols is sparse"
            );
            for len_b in [0, 1, 65, 300, 1200] {
                let b = random_text(&mut state, len_b, &alphabet[800..]);
                let got =
                    prepared.distance(b.chars().map(u32::from), &mut prepared.scratch().unwrap());
                assert_eq!(got, naive(&a, &b), "pattern {len_a} x text {len_b}");
            }
            let b = random_text(&mut state, 400, &['a', 'b', 'c']);
            let got = prepared.distance_ascii(b.as_bytes(), &mut prepared.scratch().unwrap());
            assert_eq!(got, naive(&a, &b), "pattern {len_a} x ASCII text");
        }
        // A sparse symbol whose occurrences leave blocks in between empty.
        let mut a: Vec<char> = distinct_text(2000, 0x100).chars().collect();
        a[5] = 'Ω';
        a[1500] = 'Ω';
        let a: String = a.into_iter().collect();
        let b = "ΩxΩ";
        assert_eq!(levenshtein(&a, b), Ok(naive(&a, b)));
    }

    #[test]
    fn a_million_distinct_code_points_take_linear_memory() {
        let query = distinct_text(1_000_000, 0x80);
        assert_eq!(query.chars().count(), 1_000_000);
        let pattern: Vec<u32> = query.chars().map(u32::from).collect();
        // Before the sparse layout this asked for 125 GB in one allocation; the test
        // allocator refuses anything above 256 MiB, which would abort this test binary.
        crate::core::test_alloc::with_limit(256 << 20, || {
            let prepared = Pattern::new(&pattern).unwrap();
            assert!(
                prepared.table_bytes() <= 64 * pattern.len(),
                "{} bytes",
                prepared.table_bytes()
            );
            let words = ["abc", "\u{80}\u{81}", "日本"];
            let mut bytes = String::new();
            let mut offsets = vec![0u32];
            for w in words {
                bytes.push_str(w);
                offsets.push(bytes.len() as u32);
            }
            let packed = Packed {
                bytes: &bytes,
                offsets: &offsets,
            };
            let found = closest(&query, &packed, 3, u32::MAX, |_, _| true).unwrap();
            assert_eq!(
                found[0],
                Match {
                    distance: 999_998,
                    index: 1
                }
            );
            assert_eq!(levenshtein(&query, "日本"), Ok(999_998));
            assert_eq!(
                found[1],
                Match {
                    distance: 999_998,
                    index: 2
                }
            );
        });
    }

    #[test]
    fn allocation_failures_become_out_of_memory() {
        let query = "x".repeat(100_000);
        let other = "y".repeat(50_000);
        let packed = Packed {
            bytes: "ab",
            offsets: &[0, 1, 2],
        };
        crate::core::test_alloc::with_limit(1 << 16, || {
            assert!(matches!(
                levenshtein(&query, &other),
                Err(OutOfMemory { .. })
            ));
            assert!(matches!(
                closest(&query, &packed, 3, u32::MAX, |_, _| true),
                Err(ClosestError::OutOfMemory(_))
            ));
        });
        let big = "y".repeat(1 << 17);
        let offsets = [0, big.len() as u32];
        let packed = Packed {
            bytes: &big,
            offsets: &offsets,
        };
        crate::core::test_alloc::with_limit(1 << 16, || {
            assert!(matches!(FuzzyIndex::new(&packed), Err(OutOfMemory { .. })));
        });
    }

    #[test]
    fn progress_ends_with_done_equal_total_even_with_limit_zero() {
        let packed = Packed {
            bytes: "abc",
            offsets: &[0, 1, 2, 3],
        };
        for limit in [0, 2] {
            let mut calls = Vec::new();
            let found = closest("a", &packed, limit, u32::MAX, |done, total| {
                calls.push((done, total));
                true
            });
            assert!(found.is_ok());
            assert_eq!(calls, vec![(3, 3)], "limit {limit}");
            assert_eq!(
                closest("a", &packed, limit, u32::MAX, |_, _| false),
                Err(ClosestError::Cancelled),
                "limit {limit}"
            );
        }
    }

    /// A small PCG-style generator (std only).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }

        fn below(&mut self, n: usize) -> usize {
            self.next() as usize % n
        }

        fn text(&mut self, len: usize, alphabet: &[char]) -> String {
            (0..len)
                .map(|_| alphabet[self.below(alphabet.len())])
                .collect()
        }
    }

    const SMALL: &[char] = &['a', 'b', 'c'];
    const LETTERS: &[char] = &[
        'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p',
    ];
    const MIXED: &[char] = &['a', 'b', 'é', '日', '😀', '\0'];

    fn random_list(rng: &mut Rng, count: usize) -> Vec<String> {
        (0..count)
            .map(|_| {
                let len = match rng.below(10) {
                    0 => 0,
                    1 => 60 + rng.below(80),
                    _ => rng.below(30),
                };
                let alphabet = match rng.below(6) {
                    0 => MIXED,
                    1 | 2 => SMALL,
                    _ => LETTERS,
                };
                rng.text(len, alphabet)
            })
            .collect()
    }

    fn pack(words: &[String]) -> (String, Vec<u32>) {
        let mut bytes = String::new();
        let mut offsets = vec![0u32];
        for w in words {
            bytes.push_str(w);
            offsets.push(bytes.len() as u32);
        }
        (bytes, offsets)
    }

    fn expected(query: &str, words: &[String], limit: usize, max: u32) -> Vec<Match> {
        let mut all: Vec<Match> = words
            .iter()
            .enumerate()
            .map(|(i, w)| Match {
                distance: naive(query, w) as u32,
                index: i as u32,
            })
            .filter(|m| m.distance <= max)
            .collect();
        all.sort();
        all.truncate(limit);
        all
    }

    #[test]
    fn lanes_threads_and_cut_off_agree_with_the_dynamic_program() {
        let mut rng = Rng(2024);
        let mut lanes: Vec<Option<Kernel>> = vec![None];
        lanes.extend(Kernel::available().into_iter().map(Some));
        for round in 0..24 {
            let count = 1 + rng.below(300);
            let words = random_list(&mut rng, count);
            let (bytes, offsets) = pack(&words);
            let packed = Packed {
                bytes: &bytes,
                offsets: &offsets,
            };
            let index = FuzzyIndex::new(&packed).unwrap();
            let query_len = [0, 1, 5, 19, 32, 33, 64, 65, 100][round % 9];
            let alphabet = [SMALL, LETTERS, MIXED][rng.below(3)];
            let query = rng.text(query_len, alphabet);
            for (limit, max) in [
                (usize::MAX, u32::MAX),
                (1, u32::MAX),
                (10, u32::MAX),
                (usize::MAX, 3),
                (5, 0),
                (3, 12),
            ] {
                let want = expected(&query, &words, limit, max);
                for &kernel in &lanes {
                    for threads in [1, 2, 3, 0] {
                        let search = Search {
                            limit,
                            max_distance: max,
                            threads,
                            lanes: kernel,
                        };
                        let what = format!(
                            "round {round}, query {query:?}, limit {limit}, max {max}, {kernel:?}, {threads} threads"
                        );
                        let got = closest_with(&query, &packed, search, |_, _| true).unwrap();
                        assert_eq!(got, want, "packed: {what}");
                        let got = closest_with(&query, &index, search, |_, _| true).unwrap();
                        assert_eq!(got, want, "index: {what}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_lane_kernel_is_exact_or_certainly_above_the_bound() {
        use crate::core::levenshtein_simd::{ABANDONED, Direct, LANES, LaneQuery, score_group};
        let mut rng = Rng(99);
        for kernel in Kernel::available() {
            for _ in 0..400 {
                let m = 1 + rng.below(64);
                let query = rng.text(m, LETTERS);
                let code: Vec<u32> = query.chars().map(u32::from).collect();
                let prepared = LaneQuery::new(&code).unwrap();
                let words: Vec<String> = (0..LANES)
                    .map(|_| {
                        let n = rng.below(90);
                        let alphabet = if rng.below(2) == 0 { SMALL } else { LETTERS };
                        rng.text(n, alphabet)
                    })
                    .collect();
                let texts: [&[u8]; LANES] = std::array::from_fn(|l| words[l].as_bytes());
                let lens: [u32; LANES] = std::array::from_fn(|l| words[l].len() as u32);
                let bound = [0, 2, 5, 10, 20, u32::MAX][rng.below(6)];
                let got = score_group(kernel, &prepared, m, &lens, &Direct(texts), bound);
                for l in 0..LANES {
                    let want = naive(&query, &words[l]) as u32;
                    if got[l] == ABANDONED {
                        assert!(
                            want > bound,
                            "{kernel:?}: lane {l} abandoned at {want} <= {bound}"
                        );
                    } else {
                        assert_eq!(got[l], want, "{kernel:?}: {query:?} vs {:?}", words[l]);
                    }
                }
            }
        }
    }

    #[test]
    fn threaded_progress_is_monotone_ends_at_total_and_cancel_stops_every_thread() {
        let mut rng = Rng(5);
        let words: Vec<String> = (0..20_000)
            .map(|_| {
                let n = 8 + rng.below(24);
                rng.text(n, LETTERS)
            })
            .collect();
        let (bytes, offsets) = pack(&words);
        let packed = Packed {
            bytes: &bytes,
            offsets: &offsets,
        };
        let index = FuzzyIndex::new(&packed).unwrap();
        let search = Search {
            limit: 10,
            max_distance: u32::MAX,
            threads: 4,
            lanes: Some(Kernel::detect()),
        };
        let mut seen = Vec::new();
        let caller = std::thread::current().id();
        closest_with("abcdefghijklmnop", &index, search, |done, total| {
            assert_eq!(std::thread::current().id(), caller);
            seen.push((done, total));
            true
        })
        .unwrap();
        let every_4096 = vec![
            (4096, 20_000),
            (8192, 20_000),
            (12288, 20_000),
            (16384, 20_000),
            (20_000, 20_000),
        ];
        assert_eq!(seen, every_4096);
        let mut single = Vec::new();
        let one_thread = Search {
            threads: 1,
            ..search
        };
        closest_with("abcdefghijklmnop", &index, one_thread, |done, total| {
            single.push((done, total));
            true
        })
        .unwrap();
        assert_eq!(single, every_4096);
        let mut calls = 0;
        let cancelled = closest_with("abcdefghijklmnop", &packed, search, |_, _| {
            calls += 1;
            false
        });
        assert_eq!(cancelled, Err(ClosestError::Cancelled));
        assert_eq!(calls, 1);
    }

    /// `cargo test --release -- --ignored --nocapture timing`: per-query times of each path.
    #[test]
    #[ignore]
    fn timing() {
        let mut rng = Rng(77);
        let count: usize = std::env::var("TIMING_COUNT").map_or(10_000, |v| v.parse().unwrap());
        let alphabet: Vec<char> = ('a'..='z').collect();
        let words: Vec<String> = (0..count)
            .map(|_| {
                let n = 8 + rng.below(25);
                rng.text(n, &alphabet)
            })
            .collect();
        let (bytes, offsets) = pack(&words);
        let packed = Packed {
            bytes: &bytes,
            offsets: &offsets,
        };
        let index = FuzzyIndex::new(&packed).unwrap();
        let query = rng.text(19, &alphabet);
        println!(
            "{count} candidates: {} text bytes, index {} bytes ({:.2}x text + {:.1} B per candidate over 2x)",
            bytes.len(),
            index.heap_bytes(),
            index.heap_bytes() as f64 / bytes.len() as f64,
            (index.heap_bytes() as f64 - 2.0 * bytes.len() as f64) / count as f64
        );
        let mut variants = vec![("scalar", None, 1)];
        for k in Kernel::available() {
            variants.push(("lanes", Some(k), 1));
            variants.push(("lanes", Some(k), 2));
        }
        for round in 0..3 {
            for &(name, lanes, threads) in &variants {
                let search = Search {
                    limit: 10,
                    max_distance: u32::MAX,
                    threads,
                    lanes,
                };
                let reps = (200_000 / count).clamp(3, 20);
                let start = std::time::Instant::now();
                for _ in 0..reps {
                    closest_with(&query, &index, search, |_, _| true).unwrap();
                }
                let index_us = start.elapsed().as_secs_f64() * 1e6 / reps as f64;
                let start = std::time::Instant::now();
                for _ in 0..reps {
                    closest_with(&query, &packed, search, |_, _| true).unwrap();
                }
                let packed_us = start.elapsed().as_secs_f64() * 1e6 / reps as f64;
                println!(
                    "round {round} {name} {lanes:?} threads {threads}: index {index_us:.0} us, packed {packed_us:.0} us"
                );
            }
        }
    }

    #[test]
    fn long_distances_report_progress_and_can_be_cancelled() {
        let mut rng = Rng(3);
        // 640 and 1280 are exact multiples of the step: the last chunk ends the text.
        for (len_a, len_b, alphabet) in [
            (50, 700, LETTERS),
            (300, 900, MIXED),
            (0, 10, SMALL),
            (50, 640, LETTERS),
            (100, 1280, MIXED),
        ] {
            let a = rng.text(len_a, alphabet);
            let b = rng.text(len_b, alphabet);
            let code: Vec<u32> = a.chars().map(u32::from).collect();
            let pattern = Pattern::new(&code).unwrap();
            let mut scratch = pattern.scratch().unwrap();
            let mut calls = Vec::new();
            let got = pattern.distance_in_steps(&b, 64, &mut scratch, |done| {
                calls.push(done);
                true
            });
            assert_eq!(got, Some(naive(&a, &b)));
            if len_a > 0 {
                let expected: Vec<usize> = (1..=(len_b - 1) / 64).map(|k| k * 64).collect();
                assert_eq!(calls, expected);
                assert_eq!(
                    pattern.distance_in_steps(&b, 64, &mut scratch, |_| false),
                    None
                );
            }
            let mut last = None;
            let full = levenshtein_with_progress(&a, &b, |done, total| {
                last = Some((done, total));
                true
            });
            assert_eq!(full, Ok(naive(&a, &b)));
            let (done, total) = last.unwrap();
            assert_eq!(done, total);
            assert_eq!(
                levenshtein_with_progress(&a, &b, |_, _| false),
                Err(ClosestError::Cancelled)
            );
        }
    }

    #[test]
    fn done_equals_total_once_when_the_text_is_a_multiple_of_the_step() {
        // One block: a step is BLOCK_STEPS_PER_PROGRESS code points, here the whole text.
        let text = "ab".repeat(BLOCK_STEPS_PER_PROGRESS / 2);
        let mut calls = Vec::new();
        let got = levenshtein_with_progress("xy", &text, |done, total| {
            calls.push((done, total));
            true
        });
        assert_eq!(got, Ok(text.len()));
        let total = text.len();
        assert_eq!(calls, vec![(total, total)]);
    }

    #[test]
    fn packed_validation_rejects_bad_offsets() {
        assert!(Packed::validate("ab", &[0, 1, 2]).is_ok());
        assert!(Packed::validate("ab", &[]).is_err());
        assert!(Packed::validate("ab", &[1, 2]).is_err());
        assert!(Packed::validate("ab", &[0, 2, 1]).is_err());
        assert!(Packed::validate("ab", &[0, 3]).is_err());
        assert!(Packed::validate("é", &[0, 1, 2]).is_err());
    }
}
