//! Exports for the streaming word counter handle `MylibWordCounter`.

use std::io::Write;

use super::memory::into_raw_bytes;
use super::{boundary, hand_out, handle_free, handle_mut, handle_ref, input_bytes, require_out};
use crate::core::OutOfMemory;
use crate::core::words::WordCounter;

/// `word\tcount\n` lines in a vector allocated once at its exact size (so handing it over
/// as a boxed slice does not reallocate).
fn top_text(entries: &[(&str, u64)]) -> Result<Vec<u8>, OutOfMemory> {
    let digits = |count: u64| count.checked_ilog10().map_or(1, |d| d as usize + 1);
    let len = entries
        .iter()
        .map(|&(word, count)| word.len() + digits(count) + 2)
        .fold(0usize, usize::saturating_add);
    let mut text = crate::core::try_vec(len, "the top words' text")?;
    for &(word, count) in entries {
        // Writing into reserved capacity cannot fail.
        let _ = writeln!(text, "{word}\t{count}");
    }
    Ok(text)
}

/// A streaming word-frequency counter. Opaque to C.
pub struct MylibWordCounter {
    counter: WordCounter,
}

/// Creates a counter; `lowercase` folds words to lower case before counting. Writes it to
/// `*out_counter` on `MYLIB_OK`.
///
/// Ownership: the caller owns the counter and frees it exactly once with
/// `mylib_word_counter_free`. A counter is used by one thread at a time. After a call on it
/// returned `MYLIB_ERR_PANIC` or `MYLIB_ERR_OUT_OF_MEMORY`, its counts may be partial.
///
/// Errors: `MYLIB_ERR_NULL_ARGUMENT` (`out_counter`), `MYLIB_ERR_OUT_OF_MEMORY` (the handle
/// could not be allocated; `*out_counter` unwritten), `MYLIB_ERR_PANIC`.
///
/// # Safety
/// `out_counter` must point to a writable pointer; `err` NULL or `err_cap` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_word_counter_new(
    lowercase: bool,
    out_counter: *mut *mut MylibWordCounter,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_word_counter_new", err, err_cap, || {
            require_out(out_counter, "out_counter")?;
            let counter = WordCounter::new(lowercase);
            hand_out(out_counter, MylibWordCounter { counter })?;
            Ok(())
        })
    }
}

/// Frees a counter from `mylib_word_counter_new`. NULL is ignored. Infallible. Not while
/// another call on the counter is running.
///
/// # Safety
/// `counter` must come from `mylib_word_counter_new` and not be freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_word_counter_free(counter: *mut MylibWordCounter) {
    // SAFETY: the pointer came from hand_out in mylib_word_counter_new (contract).
    unsafe { handle_free(counter) }
}

/// Feeds the next chunk of a UTF-8 stream, split anywhere (even inside a character).
/// Invalid UTF-8 separates words. `chunk` is borrowed for the call (NULL only when
/// `chunk_len` is 0). Memory grows with the distinct words and the longest word, never
/// with the chunk itself.
///
/// Errors: `MYLIB_ERR_NULL_ARGUMENT` (`counter`, or `chunk` NULL with a length),
/// `MYLIB_ERR_INVALID_ARGUMENT` (length too large), `MYLIB_ERR_OUT_OF_MEMORY` (the counter
/// stays valid and can be freed or queried, but the words of this chunk may be counted only
/// in part), `MYLIB_ERR_PANIC`.
///
/// # Safety
/// `counter` must be live and not used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_word_counter_feed(
    counter: *mut MylibWordCounter,
    chunk: *const u8,
    chunk_len: usize,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_word_counter_feed", err, err_cap, || {
            let counter = handle_mut(counter, "counter")?;
            counter
                .counter
                .feed(input_bytes(chunk, chunk_len, "chunk")?)?;
            Ok(())
        })
    }
}

/// The `k` most frequent words so far, as UTF-8 text: one `word\tcount\n` line per word,
/// highest count first, ties by word (code point order). A word left open by the last chunk
/// counts as finished.
///
/// On `MYLIB_OK` writes a library-owned buffer to `*out_text` and its length to `*out_len`
/// ((NULL, 0) when there is no word). The caller frees it exactly once with
/// `mylib_bytes_free(*out_text, *out_len)`.
///
/// Errors: `MYLIB_ERR_NULL_ARGUMENT` (`counter`, `out_text` or `out_len`),
/// `MYLIB_ERR_OUT_OF_MEMORY` (nothing written, the counter unchanged), `MYLIB_ERR_PANIC`.
/// The counter is only read: not while a feed on it runs.
///
/// # Safety
/// `counter` must be live; `out_text`/`out_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_word_counter_top(
    counter: *const MylibWordCounter,
    k: usize,
    out_text: *mut *mut u8,
    out_len: *mut usize,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_word_counter_top", err, err_cap, || {
            require_out(out_text, "out_text")?;
            require_out(out_len, "out_len")?;
            let counter = handle_ref(counter, "counter")?;
            let text = counter.counter.top_with(k, top_text)??;
            let (ptr, len) = into_raw_bytes(text);
            *out_text = ptr;
            *out_len = len;
            Ok(())
        })
    }
}
