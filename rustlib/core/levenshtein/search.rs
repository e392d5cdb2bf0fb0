//! `closest`: every candidate scored against one query, over threads, with a shared cut-off.

use super::blocks::{self, Block, BlockQuery, MAX_LANES, MAX_LEN, TEXT_PAD, WIDTHS};
use super::candidates::{Candidates, Layout};
use super::pattern::Pattern;
use super::{ClosestError, Match, char_count, code_points};
use crate::core::levenshtein_simd::Kernel;
use crate::core::parallel::{self, resolve_threads};
use crate::core::{OutOfMemory, try_vec};
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU32, Ordering};

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
    /// The block kernel, or `None`: one candidate at a time (the scalar reference).
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
/// Slots of an index's other candidates (non-ASCII, empty, longer than `MAX_LEN`) per unit.
const TAIL: usize = 8;
/// Units (blocks, `MAX_LANES` candidates read in place, or `TAIL` slots) a thread claims at
/// a time: a run of adjacent blocks (`block_at`). With one block per claim, two threads
/// took blocks in turn: each one's reads skipped every other block, and every block cost
/// a claim on the shared counter. Eight blocks are still few candidates (at most 1024), so
/// a cancelled search stops soon.
const CHUNK_UNITS: usize = 8;
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
/// thread stops after its current chunk of `CHUNK_UNITS` units (at most `CHUNK_UNITS *
/// MAX_LANES` candidates).
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
    // Without lanes the index is read in its packing order: the lane order would scatter
    // the scalar path's reads over the whole text.
    let layout = search.lanes.and(candidates.layout());
    let block_query = BlockQuery::new(&query)?;
    // At most min(limit, total) results per thread: reserved once, so scoring never allocates.
    let limit = search.limit.min(total);
    let units = layout.map_or(total.div_ceil(MAX_LANES), |l| {
        l.blocks() + (l.order.len() - l.laned()).div_ceil(TAIL)
    });
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
            table: match search.lanes {
                Some(Kernel::Baseline) => blocks::scratch()?,
                _ => Vec::new(),
            },
            published: search.max_distance,
        });
    }
    let scan = Scan {
        pattern: &pattern,
        query: &block_query,
        kernel: search.lanes,
        candidates,
        layout,
        anchor: layout.map_or(0, |l| partition_blocks(l, pattern.len())),
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

/// The block visited `position`-th: runs of `CHUNK_UNITS` adjacent blocks taken in turn on
/// each side of `anchor` (up from `anchor`, down from `anchor - 1`), nearest runs first;
/// once the nearer side has no full run left, its rest, then the rest of the other side.
fn block_at(anchor: usize, blocks: usize, position: usize) -> usize {
    const RUN: usize = CHUNK_UNITS;
    let (left, right) = (anchor, blocks - anchor);
    let pairs = left.min(right) / RUN;
    if position < 2 * RUN * pairs {
        let (run, offset) = (position / RUN, position % RUN);
        return if run.is_multiple_of(2) {
            anchor + run / 2 * RUN + offset
        } else {
            anchor - 1 - run / 2 * RUN - offset
        };
    }
    let rest = position - 2 * RUN * pairs;
    let done = RUN * pairs;
    let short = left.min(right) - done;
    let up = |n: usize| anchor + done + n;
    let down = |n: usize| anchor - 1 - done - n;
    match (rest < short, left <= right) {
        (true, true) => down(rest),
        (true, false) => up(rest),
        (false, true) => up(rest - short),
        (false, false) => down(rest - short),
    }
}

/// The first block whose shortest candidate has at least `m` code points.
fn partition_blocks(layout: Layout, m: usize) -> usize {
    let (mut lo, mut hi) = (0, layout.blocks());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if layout.len(layout.block(mid).1.start) < m {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// One thread's results and working memory. Aligned so that two threads' states never
/// share a cache line: each thread writes its own on every block.
#[repr(align(128))]
struct Worker {
    top: TopMatches,
    scratch: Vec<(u64, u64)>,
    /// The portable block kernel's masks.
    table: Vec<u64>,
    /// The bound this thread last shared.
    published: u32,
}

/// What every thread reads.
struct Scan<'a, C: Candidates> {
    pattern: &'a Pattern,
    query: &'a BlockQuery,
    kernel: Option<Kernel>,
    candidates: &'a C,
    layout: Option<Layout<'a>>,
    /// Blocks are visited from this one outwards: lengths near the query's first, so the
    /// k-th best distance tightens early.
    anchor: usize,
    /// The lowest bound any thread has: its k-th best distance (or `max_distance`). A
    /// candidate above it cannot be among the best `limit` over all threads.
    shared: AtomicU32,
}

impl<C: Candidates> Scan<'_, C> {
    /// Scores the candidates of `unit`; returns how many they were.
    fn unit(&self, worker: &mut Worker, unit: usize) -> usize {
        let shared = self.shared.load(Ordering::Relaxed);
        worker.top.bound = worker.top.bound.min(shared);
        let done = match self.layout {
            Some(layout) if unit < layout.blocks() => {
                let block = block_at(self.anchor, layout.blocks(), unit);
                self.index_block(worker, layout, block)
            }
            Some(layout) => {
                let first = layout.laned() + (unit - layout.blocks()) * TAIL;
                let slots = first..layout.order.len().min(first + TAIL);
                for slot in slots.clone() {
                    let index = layout.order[slot] as usize;
                    self.one(worker, index, self.candidates.char_count(index));
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

    fn index_block(&self, worker: &mut Worker, layout: Layout, block: usize) -> usize {
        let (class, slots) = layout.block(block);
        let (first, real) = (slots.start, slots.len());
        let order = &layout.order[slots];
        let m = self.pattern.len();
        // Sorted by length: the block's length gap to the query bounds every distance in it.
        let (shortest, longest) = (layout.len(first), layout.len(first + real - 1));
        let gap = shortest.saturating_sub(m).max(m.saturating_sub(longest));
        if gap > worker.top.bound as usize {
            return real;
        }
        match self.kernel {
            Some(kernel) => {
                let mut block = Block {
                    class,
                    text: layout.text,
                    starts: [0; MAX_LANES],
                    lens: [0; MAX_LANES],
                };
                for l in 0..real {
                    block.starts[l] = layout.starts[first + l];
                    block.lens[l] = layout.len(first + l) as u32;
                }
                let mut found = [0u32; MAX_LANES];
                // Most blocks have no lane within the bound.
                let within = blocks::score_block(
                    kernel,
                    &block,
                    self.query,
                    worker.top.bound,
                    &mut worker.table,
                    &mut found,
                );
                if within {
                    for (&index, &distance) in order[..real].iter().zip(&found) {
                        if distance <= worker.top.bound {
                            worker.top.offer(index, distance as usize);
                        }
                    }
                }
            }
            None => {
                for (slot, &index) in (first..).zip(&order[..real]) {
                    self.one(worker, index as usize, layout.len(slot));
                }
            }
        }
        real
    }

    /// Candidates `unit * MAX_LANES..` read in place: those of 1 to `MAX_LEN` ASCII bytes
    /// with `TEXT_PAD` bytes of text after their start through blocks, the others one by one.
    fn packed_unit(&self, worker: &mut Worker, unit: usize) -> usize {
        let total = self.candidates.count();
        let first = unit * MAX_LANES;
        let slots = first..total.min(first + MAX_LANES);
        let n = slots.len();
        let (Some(kernel), Some(text)) = (self.kernel, self.candidates.text()) else {
            for index in slots {
                self.one(worker, index, self.candidates.char_count(index));
            }
            return n;
        };
        let m = self.pattern.len();
        let bound = worker.top.bound as usize;
        let mut block = Block {
            class: 0,
            text: text.as_bytes(),
            starts: [0; MAX_LANES],
            lens: [0; MAX_LANES],
        };
        for (lane, index) in slots.enumerate() {
            let (start, candidate) = self.candidates.get_at(index);
            let laned = (1..=MAX_LEN).contains(&candidate.len())
                && start + TEXT_PAD <= text.len()
                && candidate.is_ascii();
            if !laned {
                self.one(worker, index, char_count(candidate));
            } else if candidate.len().abs_diff(m) <= bound {
                block.starts[lane] = start as u32;
                block.lens[lane] = candidate.len() as u32;
            }
        }
        self.packed_blocks(worker, kernel, &block, first, 0, 0);
        n
    }

    /// Lanes `from..from + LANES[class]` of `block` (candidates `first + lane`) through the
    /// narrowest class their longest candidate fits, halving the range for each wider class.
    fn packed_blocks(
        &self,
        worker: &mut Worker,
        kernel: Kernel,
        block: &Block,
        first: usize,
        from: usize,
        class: usize,
    ) {
        let lanes = blocks::LANES[class];
        let range = from..from + lanes;
        let longest = block.lens[range.clone()].iter().copied().max().unwrap_or(0) as usize;
        if longest == 0 {
            return;
        }
        if longest > WIDTHS[class] {
            self.packed_blocks(worker, kernel, block, first, from, class + 1);
            self.packed_blocks(worker, kernel, block, first, from + lanes / 2, class + 1);
            return;
        }
        let mut part = Block {
            class,
            text: block.text,
            starts: [0; MAX_LANES],
            lens: [0; MAX_LANES],
        };
        part.starts[..lanes].copy_from_slice(&block.starts[range.clone()]);
        part.lens[..lanes].copy_from_slice(&block.lens[range]);
        let mut found = [0u32; MAX_LANES];
        let within = blocks::score_block(
            kernel,
            &part,
            self.query,
            worker.top.bound,
            &mut worker.table,
            &mut found,
        );
        if !within {
            return;
        }
        for (l, (&len, &distance)) in part.lens[..lanes].iter().zip(&found).enumerate() {
            if len > 0 && distance <= worker.top.bound {
                worker
                    .top
                    .offer((first + from + l) as u32, distance as usize);
            }
        }
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
    use super::super::candidates::{FuzzyIndex, Packed};
    use super::*;

    #[test]
    fn block_at_visits_every_block_once_in_runs_nearest_first() {
        for blocks in 0..70 {
            for anchor in 0..=blocks {
                let order: Vec<usize> = (0..blocks).map(|p| block_at(anchor, blocks, p)).collect();
                let mut seen = order.clone();
                seen.sort_unstable();
                assert_eq!(
                    seen,
                    (0..blocks).collect::<Vec<_>>(),
                    "{blocks} blocks, anchor {anchor}"
                );
                // Each claim of CHUNK_UNITS positions is a run of adjacent blocks, or two
                // (once per search: the nearer side's last blocks, then the other side's).
                let mut split = 0;
                for claim in order.chunks(CHUNK_UNITS) {
                    let jumps = claim
                        .windows(2)
                        .filter(|w| w[0].abs_diff(w[1]) != 1)
                        .count();
                    assert!(jumps <= 1, "{blocks}/{anchor}: {claim:?}");
                    split += jumps;
                }
                assert!(split <= 1, "{blocks}/{anchor}: {order:?}");
                // A block is never visited after one more than a run farther from the anchor.
                let far = |b: usize| {
                    if b >= anchor {
                        b - anchor
                    } else {
                        anchor - 1 - b
                    }
                };
                for (p, &b) in order.iter().enumerate() {
                    let later = order[p..].iter().map(|&c| far(c)).min().unwrap();
                    assert!(
                        far(b) < later + 2 * CHUNK_UNITS,
                        "{blocks}/{anchor}: {order:?}"
                    );
                }
            }
        }
        assert_eq!(
            (0..40).map(|p| block_at(20, 40, p)).collect::<Vec<_>>()[..CHUNK_UNITS * 2],
            (20..20 + CHUNK_UNITS)
                .chain((20 - CHUNK_UNITS..20).rev())
                .collect::<Vec<_>>()[..]
        );
    }

    /// `count` candidates: mostly ASCII of 0 to 70 letters (every lane class), some not.
    fn words(seed: u64, count: usize) -> (String, Vec<u32>) {
        let mut state = seed;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        let (mut bytes, mut offsets) = (String::new(), vec![0u32]);
        for _ in 0..count {
            let len = next(71);
            let odd = next(50) == 0;
            for _ in 0..len {
                bytes.push(if odd && next(4) == 0 {
                    'é'
                } else {
                    (b'a' + next(6) as u8) as char
                });
            }
            offsets.push(bytes.len() as u32);
        }
        (bytes, offsets)
    }

    #[test]
    fn threads_find_what_one_thread_finds_on_many_blocks_and_concurrent_calls() {
        let (bytes, offsets) = words(7, 12_000);
        let packed = Packed {
            bytes: &bytes,
            offsets: &offsets,
        };
        let index = FuzzyIndex::new(&packed).unwrap();
        let search = |limit, threads, lanes| Search {
            limit,
            max_distance: u32::MAX,
            threads,
            lanes,
        };
        let mut cases = Vec::new();
        for query in [
            "abc".to_string(),
            "abcdefabcdef".to_string(),
            "fedcbafedcbafedcbaf".to_string(),
            "ab".repeat(15),
            "c".repeat(50),
        ] {
            for limit in [1, 7] {
                let want =
                    closest_with(&query, &index, search(limit, 1, None), |_, _| true).unwrap();
                assert_eq!(want.len(), limit);
                cases.push((query.clone(), limit, want));
            }
        }
        let check = |lanes| {
            for (query, limit, want) in &cases {
                for threads in [1, 2, 3, 4] {
                    let s = search(*limit, threads, lanes);
                    let got = closest_with(query, &index, s, |_, _| true).unwrap();
                    assert_eq!(
                        &got, want,
                        "index, {query}, {limit}, {threads} threads, {lanes:?}"
                    );
                    let got = closest_with(query, &packed, s, |_, _| true).unwrap();
                    assert_eq!(
                        &got, want,
                        "packed, {query}, {limit}, {threads} threads, {lanes:?}"
                    );
                }
            }
        };
        let lanes = Some(Kernel::detect());
        check(lanes);
        check(None);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| (0..3).for_each(|_| check(lanes)));
            }
        });
    }
}
