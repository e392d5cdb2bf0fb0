//! Candidate lists: packed in place (`Packed`) or kept in an index with the lane layout built
//! once (`FuzzyIndex`).

use super::blocks::{LANES, MAX_LEN, TEXT_PAD, class_of};
use super::char_count;
use crate::core::{OutOfMemory, try_vec};

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
    /// The text all candidates are slices of, when there is one (see `get_at`).
    fn text(&self) -> Option<&str> {
        None
    }
    /// Candidate `index` and where it starts in `text()` (0 without one).
    fn get_at(&self, index: usize) -> (usize, &str) {
        (0, self.get(index))
    }
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

    fn text(&self) -> Option<&str> {
        Some(self.bytes)
    }

    fn get_at(&self, index: usize) -> (usize, &str) {
        (self.offsets[index] as usize, self.get(index))
    }
}

/// An index's candidates arranged for the block kernel (`blocks`). The first `laned()` slots
/// hold the ASCII candidates of 1 to `MAX_LEN` bytes sorted by (length, index), so class after
/// class (the last block of a class may be partial); the remaining slots hold the other
/// candidates in index order.
#[derive(Clone, Copy)]
pub struct Layout<'a> {
    /// The candidate in each slot.
    pub(super) order: &'a [u32],
    /// The laned slots' bytes end to end, then `TEXT_PAD` zero bytes.
    pub(super) text: &'a [u8],
    /// `laned() + 1` entries: slot `s` is `text[starts[s]..starts[s + 1]]`.
    pub(super) starts: &'a [u32],
    /// Class `k` owns blocks `first_block[k]..first_block[k + 1]`, from slot `first_slot[k]`.
    pub(super) first_block: [usize; 5],
    pub(super) first_slot: [usize; 5],
}

impl Layout<'_> {
    pub(super) fn blocks(&self) -> usize {
        self.first_block[4]
    }

    pub(super) fn laned(&self) -> usize {
        self.first_slot[4]
    }

    /// The class and slots of block `b`.
    pub(super) fn block(&self, b: usize) -> (usize, std::ops::Range<usize>) {
        let class = (0..4)
            .rfind(|&k| self.first_block[k] <= b && b < self.first_block[k + 1])
            .expect("a block of some class");
        let first = self.first_slot[class] + (b - self.first_block[class]) * LANES[class];
        (
            class,
            first..self.first_slot[class + 1].min(first + LANES[class]),
        )
    }

    /// Bytes (= code points) of the candidate in laned slot `s`.
    pub(super) fn len(&self, s: usize) -> usize {
        (self.starts[s + 1] - self.starts[s]) as usize
    }
}

/// Candidates packed once and kept, with the block layout built once.
pub struct FuzzyIndex {
    bytes: String,
    offsets: Vec<u32>,
    order: Vec<u32>,
    text: Vec<u8>,
    starts: Vec<u32>,
    first_block: [usize; 5],
    first_slot: [usize; 5],
}

impl FuzzyIndex {
    /// Copies `packed` into the index and builds the block layout.
    pub fn new(packed: &Packed) -> Result<FuzzyIndex, OutOfMemory> {
        let count = packed.count();
        let mut bytes = String::new();
        crate::core::try_push_str(&mut bytes, packed.bytes, "the index's text")?;
        let mut offsets = try_vec(packed.offsets.len(), "the index's offsets")?;
        offsets.extend_from_slice(packed.offsets);
        let byte_len =
            |i: u32| (packed.offsets[i as usize + 1] - packed.offsets[i as usize]) as usize;
        let in_lanes =
            |&i: &u32| (1..=MAX_LEN).contains(&byte_len(i)) && packed.get(i as usize).is_ascii();
        let mut per_class = [0usize; 4];
        for i in (0..count as u32).filter(in_lanes) {
            per_class[class_of(byte_len(i))] += 1;
        }
        let (mut first_block, mut first_slot) = ([0usize; 5], [0usize; 5]);
        for k in 0..4 {
            let blocks = per_class[k].div_ceil(LANES[k]);
            first_block[k + 1] = first_block[k] + blocks;
            first_slot[k + 1] = first_slot[k] + per_class[k];
        }
        let laned = first_slot[4];
        let mut order = try_vec(count, "the index's lane order")?;
        order.extend((0..count as u32).filter(in_lanes));
        order.sort_unstable_by_key(|&i| (byte_len(i), i));
        order.extend((0..count as u32).filter(|i| !in_lanes(i)));
        let text_len: usize = order[..laned].iter().map(|&i| byte_len(i)).sum();
        let mut text = try_vec(text_len + TEXT_PAD, "the index's lane text")?;
        let mut starts = try_vec(laned + 1, "the index's lane starts")?;
        starts.push(0u32);
        for &i in &order[..laned] {
            text.extend_from_slice(packed.get(i as usize).as_bytes());
            starts.push(text.len() as u32);
        }
        text.resize(text_len + TEXT_PAD, 0);
        Ok(FuzzyIndex {
            bytes,
            offsets,
            order,
            text,
            starts,
            first_block,
            first_slot,
        })
    }

    /// Bytes of native memory the index holds (its heap allocations).
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
            + size_of::<u32>()
                * (self.offsets.capacity() + self.order.capacity() + self.starts.capacity())
            + self.text.capacity()
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
            text: &self.text,
            starts: &self.starts,
            first_block: self.first_block,
            first_slot: self.first_slot,
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
