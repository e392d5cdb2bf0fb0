//! Edit distance over Unicode code points with Myers' bit-parallel algorithm, in Hyyrö's
//! block form for patterns longer than 64 code points. O(n * ceil(m / 64)) word operations.

use std::collections::BinaryHeap;

const WORD: usize = 64;
const ASCII: usize = 128;

/// A pattern prepared once: per code point, a bit mask of the positions where it occurs,
/// one u64 per block of 64 positions.
pub struct Pattern {
    len: usize,
    blocks: usize,
    /// `ASCII * blocks` masks, indexed `[c * blocks + block]`.
    ascii: Vec<u64>,
    /// Non-ASCII code points, sorted, with the start of their masks in `other_masks`.
    other: Vec<(u32, usize)>,
    other_masks: Vec<u64>,
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
    pub fn new(pattern: &[u32]) -> Pattern {
        let len = pattern.len();
        let blocks = len.div_ceil(WORD).max(1);
        let mut ascii = vec![0u64; ASCII * blocks];
        let mut other: Vec<(u32, usize)> = pattern
            .iter()
            .copied()
            .filter(|&c| c as usize >= ASCII)
            .map(|c| (c, 0))
            .collect();
        other.sort_unstable();
        other.dedup();
        for (slot, entry) in other.iter_mut().enumerate() {
            entry.1 = slot * blocks;
        }
        let mut other_masks = vec![0u64; other.len() * blocks];
        for (i, &c) in pattern.iter().enumerate() {
            let bit = 1u64 << (i % WORD);
            let block = i / WORD;
            if (c as usize) < ASCII {
                ascii[c as usize * blocks + block] |= bit;
            } else {
                let slot = other
                    .binary_search_by_key(&c, |&(k, _)| k)
                    .map(|found| other[found].1)
                    .unwrap_or(0);
                other_masks[slot + block] |= bit;
            }
        }
        Pattern {
            len,
            blocks,
            ascii,
            other,
            other_masks,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The masks of `c`, or None when `c` does not occur in the pattern.
    #[inline]
    fn masks(&self, c: u32) -> Option<&[u64]> {
        if (c as usize) < ASCII {
            let start = c as usize * self.blocks;
            Some(&self.ascii[start..start + self.blocks])
        } else {
            self.other
                .binary_search_by_key(&c, |&(k, _)| k)
                .ok()
                .map(|found| {
                    &self.other_masks[self.other[found].1..self.other[found].1 + self.blocks]
                })
        }
    }

    /// Edit distance between the pattern and `text`.
    pub fn distance(
        &self,
        text: impl Iterator<Item = u32>,
        scratch: &mut Vec<(u64, u64)>,
    ) -> usize {
        if self.len == 0 {
            return text.count();
        }
        if self.blocks == 1 {
            return self.distance_one_block(text.map(|c| self.masks(c).map_or(0, |m| m[0])));
        }
        self.distance_blocks(text, scratch)
    }

    /// `distance` for ASCII text: each byte indexes the mask table directly.
    pub fn distance_ascii(&self, text: &[u8], scratch: &mut Vec<(u64, u64)>) -> usize {
        debug_assert!(text.is_ascii());
        if self.len == 0 {
            return text.len();
        }
        if self.blocks == 1 {
            return self
                .distance_one_block(text.iter().map(|&b| self.ascii[usize::from(b & 0x7f)]));
        }
        self.distance_blocks(text.iter().map(|&b| u32::from(b)), scratch)
    }

    /// Myers' step for patterns of at most 64 code points, fed each text character's mask.
    fn distance_one_block(&self, masks: impl Iterator<Item = u64>) -> usize {
        let mut state = OneBlock::new(self.len);
        for eq in masks {
            state.step(eq);
        }
        state.score
    }

    fn distance_blocks(
        &self,
        text: impl Iterator<Item = u32>,
        state: &mut Vec<(u64, u64)>,
    ) -> usize {
        state.clear();
        state.resize(self.blocks, (!0u64, 0u64));
        let last = 1u64 << ((self.len - 1) % WORD);
        let mut score = self.len;
        for c in text {
            let masks = self.masks(c);
            let mut carry: i32 = 1;
            for (block, (pv, mv)) in state.iter_mut().enumerate() {
                let mut eq = masks.map_or(0, |m| m[block]);
                let high = if block + 1 == self.blocks {
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
            score = score.wrapping_add_signed(carry as isize);
        }
        score
    }
}

/// Edit distance between `a` and `b` in code points.
pub fn levenshtein(a: &str, b: &str) -> usize {
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
    let a: Vec<u32> = a.chars().map(u32::from).collect();
    let b: Vec<u32> = b.chars().map(u32::from).collect();
    // The shorter string is the pattern: fewer blocks.
    let (pattern, text) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    Pattern::new(&pattern).distance(text.into_iter(), &mut Vec::new())
}

/// One scored candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    pub distance: u32,
    pub index: u32,
}

/// What `closest` was stopped by.
#[derive(Debug, PartialEq, Eq)]
pub struct Cancelled;

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
    pub fn new(packed: &Packed) -> FuzzyIndex {
        let char_counts = (0..packed.count())
            .map(|i| packed.char_count(i) as u32)
            .collect();
        FuzzyIndex {
            bytes: packed.bytes.to_owned(),
            offsets: packed.offsets.to_vec(),
            char_counts,
        }
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
/// called every `PROGRESS_EVERY` candidates; returning false cancels.
pub fn closest(
    query: &str,
    candidates: &impl Candidates,
    limit: usize,
    max_distance: u32,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<Match>, Cancelled> {
    const PROGRESS_EVERY: usize = 4096;
    let pattern_chars: Vec<u32> = query.chars().map(u32::from).collect();
    let pattern = Pattern::new(&pattern_chars);
    let total = candidates.count();
    let mut scratch = Vec::new();
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut top = TopMatches {
        heap: BinaryHeap::new(),
        limit,
        bound: max_distance,
    };
    for index in 0..total {
        if index % PROGRESS_EVERY == 0 && index > 0 && !progress(index, total) {
            return Err(Cancelled);
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
        return Err(Cancelled);
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
    fn offer(&mut self, index: u32, distance: usize) {
        let distance = u32::try_from(distance).unwrap_or(u32::MAX);
        if distance > self.bound {
            return;
        }
        let scored = Match { distance, index };
        if self.heap.len() < self.limit {
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
            assert_eq!(levenshtein(a, b), expected, "{a:?} vs {b:?}");
            assert_eq!(levenshtein(b, a), expected, "{b:?} vs {a:?}");
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
                let direct =
                    Pattern::new(&pattern).distance(b.chars().map(u32::from), &mut Vec::new());
                assert_eq!(direct, naive(&a, &b), "pattern {len_a} x text {len_b}");
                assert_eq!(levenshtein(&a, &b), naive(&a, &b));
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
        let index = FuzzyIndex::new(&packed);
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
            Err(Cancelled)
        );
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
