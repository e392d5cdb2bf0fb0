//! Tests of the edit-distance kernels against a plain dynamic program.

mod blocks;
mod closest;
mod distance;

use super::*;
use crate::core::levenshtein_simd::Kernel;

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

/// `count` distinct non-ASCII code points from U+0100 up.
fn distinct_text(count: usize, from: u32) -> String {
    (from..).filter_map(char::from_u32).take(count).collect()
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
