//! A streaming word-frequency counter. A word is a maximal run of Unicode alphanumeric
//! characters (`char::is_alphanumeric`). Input arrives as UTF-8 chunks split anywhere,
//! including inside a character; invalid UTF-8 separates words (as U+FFFD would).

use super::{OutOfMemory, try_push_str, try_vec};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// A fast multiplicative hasher seeded per counter. It does not use std's RandomState, whose
/// OS entropy import (ProcessPrng on Windows) is missing under wine and unavailable on wasm.
/// Not HashDoS-resistant: bound the input size when it comes from untrusted sources.
#[derive(Clone, Copy)]
pub struct SeededHasher(u64);

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for SeededHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("8-byte chunk"));
            self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(MULTIPLIER);
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.0 = (self.0.rotate_left(23) ^ u64::from_le_bytes(tail) ^ rest.len() as u64)
            .wrapping_mul(MULTIPLIER);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

#[derive(Clone, Copy)]
pub struct SeededState(u64);

impl BuildHasher for SeededState {
    type Hasher = SeededHasher;
    fn build_hasher(&self) -> SeededHasher {
        SeededHasher(self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordCount<'a> {
    pub word: &'a str,
    pub count: u64,
}

pub struct WordCounter {
    lowercase: bool,
    counts: HashMap<Box<str>, u64, SeededState>,
    /// The start of a word that may continue in the next chunk.
    partial: String,
    /// The first bytes of a UTF-8 character cut by the end of the last chunk (at most 3).
    pending: Vec<u8>,
    lowered: String,
    words: u64,
}

const fn ascii_alphanumeric_table() -> [bool; 128] {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    table
}
const ASCII_ALPHANUMERIC: [bool; 128] = ascii_alphanumeric_table();

fn utf8_width(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

impl WordCounter {
    pub fn new(lowercase: bool) -> WordCounter {
        let marker = Box::new(0u8);
        // Heap addresses vary between runs (ASLR); good enough to vary the hash seed.
        let seed = (&*marker as *const u8 as u64).wrapping_mul(MULTIPLIER) ^ 0x5851_F42D_4C95_7F2D;
        WordCounter {
            lowercase,
            counts: HashMap::with_hasher(SeededState(seed)),
            partial: String::new(),
            pending: Vec::new(),
            lowered: String::new(),
            words: 0,
        }
    }

    /// Words counted so far, not including a word still open at the end of the last chunk.
    pub fn total_words(&self) -> u64 {
        self.words
    }

    /// Distinct words counted so far (same caveat as `total_words`).
    pub fn distinct_words(&self) -> usize {
        self.counts.len()
    }

    /// Counts the words of `chunk`. On `OutOfMemory` the words of this chunk are counted
    /// only in part.
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), OutOfMemory> {
        if !self.pending.is_empty() {
            let width = utf8_width(self.pending[0]);
            while self.pending.len() < width {
                match chunk.first() {
                    None => return Ok(()),
                    Some(&b) if b & 0xC0 == 0x80 => {
                        self.pending.push(b);
                        chunk = &chunk[1..];
                    }
                    Some(_) => break,
                }
            }
            let completed = std::mem::take(&mut self.pending);
            match std::str::from_utf8(&completed) {
                Ok(text) if completed.len() == width => self.scan(text)?,
                _ => self.end_word()?,
            }
        }
        loop {
            match std::str::from_utf8(chunk) {
                Ok(text) => return self.scan(text),
                Err(error) => {
                    let (valid, rest) = chunk.split_at(error.valid_up_to());
                    // SAFETY-free: `valid_up_to` bytes are valid UTF-8 by definition.
                    self.scan(std::str::from_utf8(valid).expect("valid prefix"))?;
                    match error.error_len() {
                        Some(invalid) => {
                            self.end_word()?;
                            chunk = &rest[invalid..];
                        }
                        None => {
                            // At most 3 bytes: the start of one character.
                            self.pending.extend_from_slice(rest);
                            return Ok(());
                        }
                    }
                }
            }
        }
    }

    fn scan(&mut self, text: &str) -> Result<(), OutOfMemory> {
        let bytes = text.as_bytes();
        let mut start: Option<usize> = None;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let (is_word, width) = if b < 128 {
                (ASCII_ALPHANUMERIC[b as usize], 1)
            } else {
                let c = text[i..].chars().next().expect("char boundary");
                (c.is_alphanumeric(), c.len_utf8())
            };
            match (is_word, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    self.finish_word(&text[s..i])?;
                    start = None;
                }
                (false, None) if !self.partial.is_empty() => self.end_word()?,
                _ => {}
            }
            i += width;
        }
        if let Some(s) = start {
            try_push_str(&mut self.partial, &text[s..], "a word")?;
        }
        Ok(())
    }

    /// Ends a word whose last piece is `piece` (the start may be in `partial`).
    fn finish_word(&mut self, piece: &str) -> Result<(), OutOfMemory> {
        if self.partial.is_empty() {
            return self.count(piece);
        }
        let mut word = std::mem::take(&mut self.partial);
        let counted = try_push_str(&mut word, piece, "a word").and_then(|()| self.count(&word));
        word.clear();
        self.partial = word;
        counted
    }

    /// Ends the word held in `partial`, if any.
    fn end_word(&mut self) -> Result<(), OutOfMemory> {
        if self.partial.is_empty() {
            return Ok(());
        }
        let word = std::mem::take(&mut self.partial);
        let counted = self.count(&word);
        self.partial = word;
        self.partial.clear();
        counted
    }

    fn count(&mut self, word: &str) -> Result<(), OutOfMemory> {
        let key: &str = if self.lowercase {
            lowercase_into(&mut self.lowered, word)?;
            &self.lowered
        } else {
            word
        };
        if let Some(count) = self.counts.get_mut(key) {
            *count += 1;
        } else {
            let wanted = self.counts.len().saturating_add(1);
            self.counts
                .try_reserve(1)
                .map_err(OutOfMemory::of::<(Box<str>, u64)>("the word table", wanted))?;
            let mut owned = String::new();
            try_push_str(&mut owned, key, "a word")?;
            self.counts.insert(owned.into_boxed_str(), 1);
        }
        self.words += 1;
        Ok(())
    }

    /// The `k` most frequent words, highest count first, ties by word in code point order.
    /// A word still open at the end of the last chunk counts as finished here (feeding more
    /// may still extend it).
    pub fn top(&self, k: usize) -> Result<Vec<(String, u64)>, OutOfMemory> {
        self.top_with(k, |entries| {
            let mut owned = try_vec(entries.len(), "the top words")?;
            for &(word, count) in entries {
                let mut text = String::new();
                try_push_str(&mut text, word, "a word")?;
                owned.push((text, count));
            }
            Ok(owned)
        })?
    }

    /// Calls `use_top` with the `k` most frequent words (as `top`), borrowed.
    pub fn top_with<R>(
        &self,
        k: usize,
        use_top: impl FnOnce(&[(&str, u64)]) -> R,
    ) -> Result<R, OutOfMemory> {
        let mut open_word = String::new();
        if self.lowercase {
            lowercase_into(&mut open_word, &self.partial)?;
        } else {
            try_push_str(&mut open_word, &self.partial, "a word")?;
        }
        let mut entries: Vec<(&str, u64)> =
            try_vec(self.counts.len().saturating_add(1), "the word list")?;
        entries.extend(self.counts.iter().map(|(word, &count)| {
            (
                &**word,
                count + u64::from(!open_word.is_empty() && open_word == **word),
            )
        }));
        if !open_word.is_empty() && !self.counts.contains_key(open_word.as_str()) {
            entries.push((&open_word, 1));
        }
        let order = |a: &(&str, u64), b: &(&str, u64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
        if k > 0 && k < entries.len() {
            entries.select_nth_unstable_by(k - 1, order);
        }
        entries.truncate(k);
        entries.sort_unstable_by(order);
        Ok(use_top(&entries))
    }
}

/// `word.to_lowercase()` into `out`, with `out`'s memory reserved fallibly. Every code
/// point maps on its own except U+03A3 (Σ), which becomes ς at the end of a word (the
/// Final_Sigma rule, as `str::to_lowercase` and JS `toLowerCase` apply it).
fn lowercase_into(out: &mut String, word: &str) -> Result<(), OutOfMemory> {
    out.clear();
    if word.is_ascii() {
        try_push_str(out, word, "a lowercased word")?;
        out.make_ascii_lowercase();
        return Ok(());
    }
    let needed: usize = word
        .chars()
        .map(|c| c.to_lowercase().map(char::len_utf8).sum::<usize>())
        .sum();
    out.try_reserve(needed)
        .map_err(OutOfMemory::of::<u8>("a lowercased word", needed))?;
    for (i, c) in word.char_indices() {
        if c == 'Σ' {
            let word_final = ignorable_then_cased(word[..i].chars().rev())
                && !ignorable_then_cased(word[i + 'Σ'.len_utf8()..].chars());
            out.push(if word_final { 'ς' } else { 'σ' });
        } else {
            out.extend(c.to_lowercase());
        }
    }
    Ok(())
}

/// std's Final_Sigma helper: skips Case_Ignorable code points, then tells whether the next
/// one is Cased. std does not expose those two properties; `case_properties` reads them
/// back from `str::to_lowercase` on tiny strings (constant-size allocations).
fn ignorable_then_cased(chars: impl Iterator<Item = char>) -> bool {
    for c in chars {
        let (ignorable, cased) = case_properties(c);
        if !ignorable {
            return cased;
        }
    }
    false
}

/// (Case_Ignorable, Cased and not Case_Ignorable) of `c`, from the Final_Sigma rule: in
/// "A" + c + "Σ" the sigma is final when c is ignorable (then "A" decides) or cased; in
/// "1" + c + "Σ" only when c is cased and not ignorable ("1" is neither).
fn case_properties(c: char) -> (bool, bool) {
    let final_after = |first: char| {
        let mut probe = [0u8; 12];
        let mut len = first.encode_utf8(&mut probe).len();
        len += c.encode_utf8(&mut probe[len..]).len();
        len += 'Σ'.encode_utf8(&mut probe[len..]).len();
        let text = std::str::from_utf8(&probe[..len]).expect("encoded chars");
        text.to_lowercase().ends_with('ς')
    };
    let after_cased = final_after('A');
    let after_digit = final_after('1');
    (after_cased != after_digit, after_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top_of(counter: &WordCounter, k: usize) -> Vec<(String, u64)> {
        counter.top(k).unwrap()
    }

    fn owned(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
        pairs.iter().map(|&(w, c)| (w.to_owned(), c)).collect()
    }

    #[test]
    fn counts_words_with_ties_by_word() {
        let mut counter = WordCounter::new(false);
        counter.feed(b"the cat, the hat; The bat! 42 42").unwrap();
        assert_eq!(
            top_of(&counter, 3),
            owned(&[("42", 2), ("the", 2), ("The", 1)])
        );
        assert_eq!(counter.top(0).unwrap(), owned(&[]));
        assert_eq!(
            counter.total_words(),
            7,
            "the open word at the end is not finished yet"
        );
    }

    #[test]
    fn fallible_lowercase_matches_str_to_lowercase() {
        let marks = [
            "", "\u{301}", "'", "\u{345}", "\u{2B0}", "1", "A", "Σ", "ς", "\u{130}", "ǅ",
        ];
        let mut out = String::new();
        for before in marks {
            for between in marks {
                for after in marks {
                    for word in [
                        format!("{before}{between}Σ{after}"),
                        format!("Σ{before}{between}{after}"),
                        format!("Ο{before}Σ{between}Σ{after}"),
                    ] {
                        lowercase_into(&mut out, &word).unwrap();
                        assert_eq!(out, word.to_lowercase(), "{word:?}");
                    }
                }
            }
        }
        for word in ["ΟΔΟΣ", "ΣΑ", "İSTANBUL", "ȺȾ", "\u{212A}elvin", "ABC"] {
            lowercase_into(&mut out, word).unwrap();
            assert_eq!(out, word.to_lowercase(), "{word:?}");
        }
    }

    #[test]
    fn allocation_failures_become_out_of_memory() {
        let long_word = "w".repeat(1 << 17);
        let mut counter = WordCounter::new(true);
        crate::core::test_alloc::with_limit(1 << 16, || {
            assert!(counter.feed(long_word.as_bytes()).is_err());
        });
        let many: String = (0..20_000).map(|i| format!("w{i} ")).collect();
        let mut counter = WordCounter::new(false);
        crate::core::test_alloc::with_limit(1 << 16, || {
            assert!(counter.feed(many.as_bytes()).is_err());
        });
        counter.feed(b" end").unwrap();
        let mut counter = WordCounter::new(false);
        counter.feed(many.as_bytes()).unwrap();
        crate::core::test_alloc::with_limit(1 << 16, || {
            assert!(counter.top(usize::MAX).is_err());
        });
        assert_eq!(counter.top(1).unwrap(), owned(&[("w0", 1)]));
    }

    #[test]
    fn lowercase_option_and_final_sigma() {
        let mut counter = WordCounter::new(true);
        counter
            .feed("Hello HELLO hello \u{39F}\u{394}\u{39F}\u{3A3}".as_bytes())
            .unwrap();
        assert_eq!(
            counter.top(10).unwrap(),
            owned(&[("hello", 3), ("\u{3BF}\u{3B4}\u{3BF}\u{3C2}", 1)])
        );
    }

    #[test]
    fn every_split_point_gives_the_same_counts() {
        let text = "héllo wörld 😀 日本語 héllo, naïve café; wörld".as_bytes();
        let mut whole = WordCounter::new(false);
        whole.feed(text).unwrap();
        let expected = whole.top(100).unwrap();
        for split in 0..=text.len() {
            for second in split..=text.len() {
                let mut counter = WordCounter::new(false);
                counter.feed(&text[..split]).unwrap();
                counter.feed(&text[split..second]).unwrap();
                counter.feed(&text[second..]).unwrap();
                assert_eq!(
                    counter.top(100).unwrap(),
                    expected,
                    "splits at {split} and {second}"
                );
            }
        }
    }

    #[test]
    fn open_word_at_the_end_is_counted_by_top_and_can_continue() {
        let mut counter = WordCounter::new(false);
        counter.feed(b"abc ab").unwrap();
        assert_eq!(counter.top(5).unwrap(), owned(&[("ab", 1), ("abc", 1)]));
        counter.feed(b"c").unwrap();
        assert_eq!(counter.top(5).unwrap(), owned(&[("abc", 2)]));
    }

    #[test]
    fn invalid_utf8_separates_words() {
        let mut counter = WordCounter::new(false);
        counter.feed(b"ab\xffcd\xe6").unwrap();
        counter.feed(b"ef").unwrap();
        assert_eq!(
            counter.top(5).unwrap(),
            owned(&[("ab", 1), ("cd", 1), ("ef", 1)])
        );
    }
}
