//! Candidate lists: packed in place (`Packed`) or kept in an index with the lane layout built
//! once (`FuzzyIndex`).

use super::char_count;
use crate::core::levenshtein_simd::LANES;
use crate::core::{OutOfMemory, try_filled, try_vec};

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
pub(super) const PAD: u32 = u32::MAX;

/// An index's candidates arranged for the lane kernel. Slots come in groups of `LANES`: the
/// first `groups` groups hold the non-empty ASCII candidates sorted by (length, index), the
/// last of them padded with `PAD`; the remaining slots hold the other candidates in index
/// order.
#[derive(Clone, Copy)]
pub struct Layout<'a> {
    /// The candidate in each slot.
    pub(super) order: &'a [u32],
    /// Code points of each slot's candidate (0 for padding).
    pub(super) lens: &'a [u32],
    pub(super) groups: usize,
    /// `groups + 1` entries: group `g` owns columns `starts[g]..starts[g + 1]`.
    pub(super) starts: &'a [usize],
    /// Transposed text: column `c` of the store is `columns[c * LANES..][..LANES]`, one byte
    /// per lane; lanes shorter than their group hold zeros at the end.
    pub(super) columns: &'a [u8],
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
        crate::core::try_push_str(&mut bytes, packed.bytes, "the index's text")?;
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
