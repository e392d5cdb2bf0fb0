//! Edit distance over Unicode code points with Myers' bit-parallel algorithm, in Hyyrö's
//! block form for patterns longer than 64 code points. O(n * ceil(m / 64)) word operations.
//!
//! Memory is linear in the input: the pattern's mask table holds a dense row per ASCII
//! character and per distinct non-ASCII character only while that stays within a few words per
//! pattern character; beyond that (many distinct characters in a long pattern) non-ASCII
//! masks are stored sparsely, one entry per (character, block) that actually occurs. Every
//! allocation that depends on the input is fallible (`OutOfMemory`).

use super::{OutOfMemory, try_filled, try_vec};
use std::collections::BinaryHeap;

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
            let carry = match self.masks(c) {
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
            };
            score = score.wrapping_add_signed(carry as isize);
        }
        score
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
    Ok(pattern.distance(text.chars().map(u32::from), &mut pattern.scratch()?))
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
pub trait Candidates {
    fn count(&self) -> usize;
    fn get(&self, index: usize) -> &str;
    /// Code points in candidate `index`.
    fn char_count(&self, index: usize) -> usize {
        let candidate = self.get(index);
        if candidate.is_ascii() {
            candidate.len()
        } else {
            candidate.chars().count()
        }
    }
}

impl Candidates for Packed<'_> {
    fn count(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    fn get(&self, index: usize) -> &str {
        &self.bytes[self.offsets[index] as usize..self.offsets[index + 1] as usize]
    }
}

/// Candidates packed once and kept, with their code point counts precomputed.
pub struct FuzzyIndex {
    bytes: String,
    offsets: Vec<u32>,
    char_counts: Vec<u32>,
}

impl FuzzyIndex {
    /// Copies `packed` into the index.
    pub fn new(packed: &Packed) -> Result<FuzzyIndex, OutOfMemory> {
        let mut char_counts = try_vec(packed.count(), "the index's character counts")?;
        char_counts.extend((0..packed.count()).map(|i| packed.char_count(i) as u32));
        let mut bytes = String::new();
        super::try_push_str(&mut bytes, packed.bytes, "the index's text")?;
        let mut offsets = try_vec(packed.offsets.len(), "the index's offsets")?;
        offsets.extend_from_slice(packed.offsets);
        Ok(FuzzyIndex {
            bytes,
            offsets,
            char_counts,
        })
    }
}

impl Candidates for FuzzyIndex {
    fn count(&self) -> usize {
        self.char_counts.len()
    }

    fn get(&self, index: usize) -> &str {
        &self.bytes[self.offsets[index] as usize..self.offsets[index + 1] as usize]
    }

    fn char_count(&self, index: usize) -> usize {
        self.char_counts[index] as usize
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

/// Scores `query` against every candidate in one pass; returns up to `limit` matches with
/// distance <= `max_distance`, sorted by distance, then index. `progress(done, total)` is
/// called every `PROGRESS_EVERY` candidates and once at the end with `done == total`, also
/// when `limit` is 0 or there is no candidate; returning false cancels.
pub fn closest(
    query: &str,
    candidates: &impl Candidates,
    limit: usize,
    max_distance: u32,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<Match>, ClosestError> {
    const PROGRESS_EVERY: usize = 4096;
    let total = candidates.count();
    if limit == 0 {
        return if progress(total, total) {
            Ok(Vec::new())
        } else {
            Err(ClosestError::Cancelled)
        };
    }
    let pattern = Pattern::new(&code_points(query)?)?;
    let mut scratch = pattern.scratch()?;
    // At most min(limit, total) results: reserved once (no larger than the caller's output
    // buffer), so scoring never allocates.
    let limit = limit.min(total);
    let mut heap = BinaryHeap::new();
    heap.try_reserve_exact(limit)
        .map_err(OutOfMemory::of::<Match>("the result heap", limit))?;
    let mut top = TopMatches {
        heap,
        limit,
        bound: max_distance,
    };
    for index in 0..total {
        if index % PROGRESS_EVERY == 0 && index > 0 && !progress(index, total) {
            return Err(ClosestError::Cancelled);
        }
        // The difference in length is a lower bound of the distance.
        if candidates.char_count(index).abs_diff(pattern.len()) > top.bound as usize {
            continue;
        }
        let candidate = candidates.get(index);
        let distance = if candidate.is_ascii() {
            pattern.distance_ascii(candidate.as_bytes(), &mut scratch)
        } else {
            pattern.distance(candidate.chars().map(u32::from), &mut scratch)
        };
        top.offer(index as u32, distance);
    }
    if !progress(total, total) {
        return Err(ClosestError::Cancelled);
    }
    Ok(top.heap.into_sorted_vec())
}

/// The best `limit` matches so far (a max-heap: the worst on top) and the distance a new
/// candidate must not exceed.
struct TopMatches {
    heap: BinaryHeap<Match>,
    limit: usize,
    bound: u32,
}

impl TopMatches {
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
