//! `levenshtein` and `Pattern`: distances, mask tables, memory, progress.

use super::*;

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
            let direct_ascii = b
                .is_ascii()
                .then(|| prepared.distance_ascii(b.as_bytes(), &mut prepared.scratch().unwrap()));
            assert!(direct_ascii.is_none_or(|d| d == naive(&a, &b)));
            assert_eq!(levenshtein(&a, &b), Ok(naive(&a, &b)));
        }
    }
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
            let got = prepared.distance(b.chars().map(u32::from), &mut prepared.scratch().unwrap());
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
        assert_eq!(levenshtein(&query, "日本"), Ok(999_998));
    });
}

#[test]
fn allocation_failures_become_out_of_memory() {
    let query = "x".repeat(100_000);
    let other = "y".repeat(50_000);
    crate::core::test_alloc::with_limit(1 << 16, || {
        assert!(matches!(
            levenshtein(&query, &other),
            Err(OutOfMemory { .. })
        ));
    });
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
