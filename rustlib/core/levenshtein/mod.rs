//! Edit distance over Unicode code points with Myers' bit-parallel algorithm, in Hyyrö's
//! block form for patterns longer than 64 code points. O(n * ceil(m / 64)) word operations.
//!
//! Memory is linear in the input: the pattern's mask table holds a dense row per ASCII
//! character and per distinct non-ASCII character only while that stays within a few words per
//! pattern character; beyond that (many distinct characters in a long pattern) non-ASCII
//! masks are stored sparsely, one entry per (character, block) that actually occurs. Every
//! allocation that depends on the input is fallible (`OutOfMemory`).
//!
//! `closest` scores ASCII candidates of up to 64 bytes in blocks with the candidates as the
//! bit-pattern side (`blocks`), and the others one at a time with the query as the pattern.

#[cfg(target_arch = "x86_64")]
mod avx2;
mod blocks;
mod candidates;
mod pattern;
mod search;
#[cfg(test)]
mod tests;

pub use candidates::{Candidates, FuzzyIndex, Layout, Packed};
pub use pattern::Pattern;
pub use search::{MAX_THREADS, PROGRESS_EVERY, Search, closest, closest_with};

use super::{OutOfMemory, try_vec};

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
