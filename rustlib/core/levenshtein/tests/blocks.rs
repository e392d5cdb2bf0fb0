//! The index's block kernel against the dynamic program: every lane width, lengths at each
//! width boundary, long queries, non-ASCII text.

use super::*;
use crate::core::levenshtein::blocks::{self, ABANDONED, Block, BlockQuery, MAX_LANES, TEXT_PAD};

/// Lengths on both sides of each lane width, and past the longest lane (general path).
const BOUNDARIES: &[usize] = &[1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100];

fn every_distance(
    query: &str,
    candidates: &impl Candidates,
    kernel: Kernel,
    count: usize,
) -> Vec<Match> {
    let search = Search {
        limit: count,
        max_distance: u32::MAX,
        threads: 1,
        lanes: Some(kernel),
    };
    closest_with(query, candidates, search, |_, _| true).unwrap()
}

#[test]
fn every_lane_width_matches_the_dynamic_program_at_each_boundary() {
    let mut rng = Rng(9);
    let mut words = Vec::new();
    for &len in BOUNDARIES {
        for alphabet in [SMALL, LETTERS, MIXED] {
            // Enough of each length for a full block of the narrowest lanes and a partial one.
            for _ in 0..37 {
                words.push(rng.text(len, alphabet));
            }
        }
    }
    words.push(String::new());
    // Mixed lengths in each unit read in place (blocks split by class there).
    for i in (1..words.len()).rev() {
        words.swap(i, rng.below(i + 1));
    }
    let (bytes, offsets) = pack(&words);
    let packed = Packed {
        bytes: &bytes,
        offsets: &offsets,
    };
    let index = FuzzyIndex::new(&packed).unwrap();
    let queries: Vec<String> = [0, 1, 8, 9, 19, 33, 64, 65, 130, 300]
        .iter()
        .flat_map(|&m| [rng.text(m, SMALL), rng.text(m, LETTERS), rng.text(m, MIXED)])
        .collect();
    for kernel in Kernel::available() {
        for query in &queries {
            let want = expected(query, &words, words.len(), u32::MAX);
            let got = every_distance(query, &index, kernel, words.len());
            assert_eq!(
                got,
                want,
                "{kernel:?}, query of {} chars",
                query.chars().count()
            );
        }
    }
}

/// Distances past 255 from 8-bit lanes: a 300-letter query against 1-8 letter candidates.
#[test]
fn long_queries_against_the_narrowest_lanes() {
    let words: Vec<String> = (1..=8).map(|n| "ab".repeat(4)[..n].to_string()).collect();
    let (bytes, offsets) = pack(&words);
    let index = FuzzyIndex::new(&Packed {
        bytes: &bytes,
        offsets: &offsets,
    })
    .unwrap();
    let query = "ba".repeat(150);
    for kernel in Kernel::available() {
        let got = every_distance(&query, &index, kernel, words.len());
        assert_eq!(
            got,
            expected(&query, &words, words.len(), u32::MAX),
            "{kernel:?}"
        );
        assert!(got.iter().all(|m| m.distance >= 292));
    }
}

/// One block straight through `score_block`, with bytes after each lane that match the query
/// (they must not leak into the distance).
#[test]
fn bytes_after_a_lane_never_change_its_distance() {
    let mut rng = Rng(5);
    for (class, &width) in blocks::WIDTHS.iter().enumerate() {
        let lanes = blocks::LANES[class];
        let query = rng.text(width + 3, SMALL);
        for trial in 0..20 {
            let words: Vec<String> = (0..lanes)
                .map(|l| {
                    let n = if l == 0 { width } else { 1 + rng.below(width) };
                    rng.text(if trial == 0 { width } else { n }, SMALL)
                })
                .collect();
            let mut text: Vec<u8> = words.concat().into_bytes();
            text.extend(query.bytes().cycle().take(TEXT_PAD));
            let mut block = Block {
                class,
                text: &text,
                starts: [0; MAX_LANES],
                lens: [0; MAX_LANES],
            };
            let mut at = 0;
            for (l, w) in words.iter().enumerate() {
                block.starts[l] = at;
                block.lens[l] = w.len() as u32;
                at += w.len() as u32;
            }
            let points: Vec<u32> = query.chars().map(u32::from).collect();
            let prepared = BlockQuery::new(&points).unwrap();
            let mut table = blocks::scratch().unwrap();
            for kernel in Kernel::available() {
                let mut out = [0u32; MAX_LANES];
                blocks::score_block(kernel, &block, &prepared, u32::MAX, &mut table, &mut out);
                for (l, w) in words.iter().enumerate() {
                    assert_eq!(
                        out[l] as usize,
                        naive(&query, w),
                        "{kernel:?} width {width}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_index_stays_within_twice_its_text_plus_16_bytes_per_candidate() {
    let mut rng = Rng(3);
    // Lengths just past each lane width pad the most.
    for len in [1, 9, 17, 33, 65, 8, 16, 32, 64] {
        let words: Vec<String> = (0..1000).map(|_| rng.text(len, LETTERS)).collect();
        let (bytes, offsets) = pack(&words);
        let index = FuzzyIndex::new(&Packed {
            bytes: &bytes,
            offsets: &offsets,
        })
        .unwrap();
        let bound = 2 * bytes.len() + 16 * words.len();
        assert!(
            index.heap_bytes() <= bound,
            "length {len}: {} > {bound}",
            index.heap_bytes()
        );
    }
}

/// With a bound, a block's lanes are exact, or all `ABANDONED` and all above the bound.
#[test]
fn a_block_is_exact_or_every_lane_is_above_the_bound() {
    let mut rng = Rng(99);
    let mut abandoned = [0; 2];
    for trial in 0..600 {
        let class = trial % 4;
        let (width, lanes) = (blocks::WIDTHS[class], blocks::LANES[class]);
        let m = 1 + rng.below(70);
        let alphabet = if rng.below(2) == 0 { SMALL } else { LETTERS };
        let query = rng.text(m, alphabet);
        let words: Vec<String> = (0..lanes)
            .map(|_| {
                let n = if rng.below(8) == 0 {
                    0
                } else {
                    1 + rng.below(width)
                };
                rng.text(n, alphabet)
            })
            .collect();
        let mut text: Vec<u8> = words.concat().into_bytes();
        text.resize(text.len() + TEXT_PAD, 0);
        let mut block = Block {
            class,
            text: &text,
            starts: [0; MAX_LANES],
            lens: [0; MAX_LANES],
        };
        let mut at = 0;
        for (l, w) in words.iter().enumerate() {
            block.starts[l] = at;
            block.lens[l] = w.len() as u32;
            at += w.len() as u32;
        }
        let points: Vec<u32> = query.chars().map(u32::from).collect();
        let prepared = BlockQuery::new(&points).unwrap();
        let mut table = blocks::scratch().unwrap();
        let bound = [0, 2, 5, 10, 20, u32::MAX][rng.below(6)];
        let mut stopped = Vec::new();
        for (k, kernel) in Kernel::available().into_iter().enumerate() {
            let mut out = [0u32; MAX_LANES];
            let within =
                blocks::score_block(kernel, &block, &prepared, bound, &mut table, &mut out);
            let some_within = words
                .iter()
                .zip(&out)
                .any(|(w, &d)| !w.is_empty() && d <= bound);
            assert_eq!(within, some_within, "{kernel:?}: {query:?} within {bound}");
            let stops = words
                .iter()
                .zip(&out)
                .all(|(w, &d)| w.is_empty() || d == ABANDONED);
            stopped.push(stops);
            abandoned[k] += usize::from(stops);
            // Empty lanes are unused: their result means nothing.
            for (l, w) in words.iter().enumerate().filter(|(_, w)| !w.is_empty()) {
                let want = naive(&query, w) as u32;
                if out[l] == ABANDONED {
                    assert!(
                        want > bound,
                        "{kernel:?}: lane {l} abandoned at {want} <= {bound}: {query:?} vs {w:?}"
                    );
                    assert!(out[..lanes].iter().all(|&d| d == ABANDONED));
                } else {
                    assert_eq!(out[l], want, "{kernel:?}: {query:?} vs {w:?}");
                }
            }
        }
        // The SIMD copies bound each lane at least as tightly as the baseline: they stop
        // every block it stops (a cut-off that never fires would still be exact).
        if stopped[0] {
            assert!(stopped.iter().all(|&s| s), "trial {trial}: {stopped:?}");
        }
    }
    for (kernel, &count) in Kernel::available().iter().zip(&abandoned) {
        assert!(count > 0, "{kernel:?}: some blocks stop early");
    }
}

/// A lane longer than its width, or without TEXT_PAD bytes after its start, is refused by every
/// kernel before any byte is read (the AVX2 copy reads `width` bytes per lane unchecked).
#[test]
fn every_kernel_refuses_a_lane_it_cannot_read() {
    let text = vec![b'a'; 200];
    let query = BlockQuery::new(&[u32::from('a'); 5]).unwrap();
    let mut table = blocks::scratch().unwrap();
    for (class, &width) in blocks::WIDTHS.iter().enumerate() {
        let mut too_long = Block {
            class,
            text: &text,
            starts: [0; MAX_LANES],
            lens: [0; MAX_LANES],
        };
        too_long.lens[1] = width as u32 + 1;
        let mut near_the_end = Block {
            class,
            text: &text,
            starts: [0; MAX_LANES],
            lens: [0; MAX_LANES],
        };
        near_the_end.lens[2] = 1;
        near_the_end.starts[2] = (text.len() - TEXT_PAD + 1) as u32;
        for kernel in Kernel::available() {
            for block in [&too_long, &near_the_end] {
                let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut out = [0u32; MAX_LANES];
                    blocks::score_block(kernel, block, &query, u32::MAX, &mut table, &mut out);
                }));
                let message = refused.expect_err("the block is refused");
                assert_eq!(
                    message.downcast_ref::<String>().map(String::as_str),
                    Some(blocks::LANES_FIT),
                    "{kernel:?} class {class}"
                );
            }
        }
    }
}
