//! `closest` and `FuzzyIndex`: results, order, lanes, threads, progress.

use super::*;

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
            let want = expected(query, &words, limit, max);
            assert_eq!(got, want, "query {query:?}, limit {limit}, max {max}");
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
    let reps = (200_000 / count).clamp(3, 20);
    let time = |f: &dyn Fn()| {
        let mut runs: Vec<f64> = (0..9)
            .map(|_| {
                let start = std::time::Instant::now();
                for _ in 0..reps {
                    f();
                }
                start.elapsed().as_secs_f64() * 1e6 / reps as f64
            })
            .collect();
        runs.sort_by(f64::total_cmp);
        format!("{:.0} us (min {:.0}, max {:.0})", runs[4], runs[0], runs[8])
    };
    println!("index built: {}", time(&|| drop(FuzzyIndex::new(&packed))));
    for &(name, lanes, threads) in &variants {
        let search = Search {
            limit: 10,
            max_distance: u32::MAX,
            threads,
            lanes,
        };
        let index_us = time(&|| drop(closest_with(&query, &index, search, |_, _| true)));
        let packed_us = time(&|| drop(closest_with(&query, &packed, search, |_, _| true)));
        let one_shot = time(&|| {
            let index = FuzzyIndex::new(&packed).unwrap();
            drop(closest_with(&query, &index, search, |_, _| true))
        });
        println!(
            "{name} {lanes:?} threads {threads}: index {index_us}; packed {packed_us}; index built + query {one_shot}"
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

/// `PROFILE_LIMIT=1 cargo test --release -- --ignored --nocapture profile_index`: one kernel
/// in a loop, for a profiler.
#[test]
#[ignore]
fn profile_index() {
    let mut rng = Rng(77);
    let alphabet: Vec<char> = ('a'..='z').collect();
    let count = std::env::var("PROFILE_COUNT").map_or(10_000, |v| v.parse().unwrap());
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
    if std::env::var("PROFILE_BUILD").is_ok() {
        for _ in 0..200 {
            drop(FuzzyIndex::new(&packed));
        }
    }
    let limit = std::env::var("PROFILE_LIMIT").map_or(1, |v| v.parse().unwrap());
    let search = Search {
        limit,
        max_distance: u32::MAX,
        threads: 1,
        lanes: Some(Kernel::detect()),
    };
    // Time on the CPU (the machine may be busy): the first field of schedstat, in ns.
    let on_cpu = || -> u64 {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
        stat.split_whitespace().next().unwrap().parse().unwrap()
    };
    for _ in 0..3 {
        let (start, wall) = (on_cpu(), std::time::Instant::now());
        let reps = (5_000_000 / count).clamp(3, 500);
        for _ in 0..reps {
            closest_with(&query, &index, search, |_, _| true).unwrap();
        }
        println!(
            "{:.0} us per query on the CPU, {:.0} us wall",
            (on_cpu() - start) as f64 / 1e3 / reps as f64,
            wall.elapsed().as_secs_f64() * 1e6 / reps as f64
        );
    }
}

#[test]
fn a_query_of_a_million_distinct_code_points_is_searched_in_linear_memory() {
    let query = distinct_text(1_000_000, 0x80);
    // The test allocator refuses anything above 256 MiB, which would abort this test binary.
    crate::core::test_alloc::with_limit(256 << 20, || {
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
fn allocation_failures_in_the_search_become_out_of_memory() {
    let query = "x".repeat(100_000);
    let packed = Packed {
        bytes: "ab",
        offsets: &[0, 1, 2],
    };
    crate::core::test_alloc::with_limit(1 << 16, || {
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
