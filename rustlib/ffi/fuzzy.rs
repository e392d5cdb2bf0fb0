//! Exports of the fuzzy search: the one-shot `mylib_closest` and the `MylibFuzzyIndex` handle.

use std::borrow::Borrow;
use std::ffi::c_void;

use super::levenshtein::{MylibProgressFn, Progress, progress_failure};
use super::message;
use super::{
    Failure, MYLIB_MAX_THREADS, Status, boundary, hand_out, handle_free, handle_ref, input_slice,
    input_str, require_out,
};
use crate::core::levenshtein::{self, Candidates, FuzzyIndex, Packed, Search};

/// One result of `mylib_closest`: the candidate's index and its distance.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MylibMatch {
    pub index: u32,
    pub distance: u32,
}

/// A candidate list packed once into library memory. Opaque to C.
pub struct MylibFuzzyIndex {
    index: FuzzyIndex,
}

/// The search of `mylib_closest` and `mylib_fuzzy_index_closest`; `threads` checked against
/// `MYLIB_MAX_THREADS` (0 is the available parallelism).
fn search_arg(out_cap: usize, max_distance: u32, threads: u32) -> Result<Search, Failure> {
    if threads > MYLIB_MAX_THREADS {
        return Err(Failure::new(
            Status::InvalidArgument,
            message!(
                "argument 'threads' must be 0 (available parallelism) to {MYLIB_MAX_THREADS}, got {threads}"
            ),
        ));
    }
    Ok(Search::detect(out_cap, max_distance, threads as usize))
}

/// Borrows the packed candidate list: `count + 1` offsets into `packed` (UTF-8).
unsafe fn packed_arg<'a>(
    packed: *const u8,
    packed_len: usize,
    offsets: *const u32,
    count: usize,
) -> Result<Packed<'a>, Failure> {
    // SAFETY: forwarded from the export's contract.
    let bytes = unsafe { input_str(packed, packed_len, "packed")? };
    if offsets.is_null() {
        return Err(Failure::new(
            Status::NullArgument,
            "argument 'offsets' is NULL",
        ));
    }
    let entries = count
        .checked_add(1)
        .filter(|&n| n <= isize::MAX as usize / 4)
        .ok_or_else(|| {
            Failure::new(
                Status::InvalidArgument,
                message!("argument 'count' is too large: {count}"),
            )
        })?;
    // Non-NULL and bounded here, so only the alignment and wrap-around checks can fail.
    // SAFETY: the caller guarantees `count + 1` readable u32.
    let offsets = unsafe { input_slice(offsets, entries, "offsets")? };
    Packed::validate(bytes, offsets).map_err(|why| {
        Failure::new(
            Status::InvalidArgument,
            message!("argument 'offsets': {why}"),
        )
    })?;
    Ok(Packed { bytes, offsets })
}

/// What `mylib_closest` and `mylib_fuzzy_index_closest` share besides their candidates: the
/// query, the search limits, the out-params and the progress callback, all unchecked.
struct ClosestCall {
    query: *const u8,
    query_len: usize,
    max_distance: u32,
    threads: u32,
    out_matches: *mut MylibMatch,
    out_cap: usize,
    out_len: *mut usize,
    progress: Progress,
}

impl ClosestCall {
    /// THE fuzzy search of both exports. Checks, in this order: `query`, the candidates
    /// (`candidates` runs then), `threads`, `out_len`, `out_matches`; then scores and writes
    /// the best `out_cap` matches and their number.
    ///
    /// # Safety
    /// The pointers as the exports' contracts state.
    unsafe fn run<C: Candidates, B: Borrow<C>>(
        self,
        candidates: impl FnOnce() -> Result<B, Failure>,
    ) -> Result<(), Failure> {
        // SAFETY: forwarded from this function's contract.
        let query = unsafe { input_str(self.query, self.query_len, "query")? };
        let candidates = candidates()?;
        let search = search_arg(self.out_cap, self.max_distance, self.threads)?;
        require_out(self.out_len, "out_len")?;
        let out_cap = search.limit;
        if out_cap > 0 && self.out_matches.is_null() {
            return Err(Failure::new(
                Status::NullArgument,
                message!("argument 'out_matches' is NULL but out_cap is {out_cap}"),
            ));
        }
        let matches =
            levenshtein::closest_with(query, candidates.borrow(), search, |done, total| {
                self.progress.report(done, total)
            })
            .map_err(progress_failure)?;
        for (i, found) in matches.iter().enumerate() {
            // SAFETY: matches.len() <= out_cap and out_matches holds out_cap entries.
            unsafe {
                *self.out_matches.add(i) = MylibMatch {
                    index: found.index,
                    distance: found.distance,
                }
            };
        }
        // SAFETY: checked non-NULL above.
        unsafe { *self.out_len = matches.len() };
        Ok(())
    }
}

/// Scores UTF-8 `query` against `count` candidates packed in ONE buffer and writes up to
/// `out_cap` matches with distance <= `max_distance`, sorted by distance then index.
///
/// - `packed`/`packed_len`: the candidates' UTF-8 bytes back to back; `offsets`: `count + 1`
///   non-decreasing byte offsets (4-byte aligned), `offsets[0] == 0`,
///   `offsets[count] == packed_len`, each on a character boundary. All borrowed for the call.
/// - `max_distance`: `UINT32_MAX` for no limit.
/// - `threads`: threads to score on, the calling one included. 0 does NOT mean "no
///   preference, one thread": it means all cores (`std::thread::available_parallelism`); pass
///   1 to stay on the calling thread. At most `MYLIB_MAX_THREADS` (1024). Small inputs use
///   fewer (about 64 KiB of candidate text per thread). The result does not depend on it.
/// - `out_matches`/`out_cap`: caller buffer of `out_cap` `MylibMatch` (the result limit).
///   `*out_len` (matches written) and the entries are written on `MYLIB_OK` only.
/// - `progress`: NULL or a callback (see `MylibProgressFn`) called on the calling thread each
///   time about 4096 more candidates are scored (counted over all threads) and once at the
///   end with `done == total`, also when `count` or `out_cap` is 0; returning false cancels
///   (`MYLIB_ERR_CANCELLED`, nothing written; every thread stops after its current chunk).
/// - `user_data`: any pointer, NULL included; passed unchanged to every `progress` call and
///   never read by the library.
/// - Memory: at most about 60 bytes per code point of `query`, plus, for EACH thread used, a
///   result buffer of 8 bytes per result slot (`min(out_cap, count)`) reserved up front, plus
///   one merge buffer of up to (threads used x slots x 8) bytes at the end. The candidates are
///   read in place.
/// - Errors: `MYLIB_ERR_NULL_ARGUMENT`, `MYLIB_ERR_INVALID_UTF8`, `MYLIB_ERR_INVALID_ARGUMENT`
///   (bad `offsets`, `count`, `threads` above `MYLIB_MAX_THREADS` or a length too large),
///   `MYLIB_ERR_CANCELLED`,
///   `MYLIB_ERR_OUT_OF_MEMORY`, `MYLIB_ERR_PANIC`.
///
/// Thread-safe.
///
/// # Safety
/// Each pointer must be valid for its stated length; `progress` NULL or a valid function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_closest(
    query: *const u8,
    query_len: usize,
    packed: *const u8,
    packed_len: usize,
    offsets: *const u32,
    count: usize,
    max_distance: u32,
    threads: u32,
    out_matches: *mut MylibMatch,
    out_cap: usize,
    out_len: *mut usize,
    progress: Option<MylibProgressFn>,
    user_data: *mut c_void,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_closest", err, err_cap, || {
            let call = ClosestCall {
                query,
                query_len,
                max_distance,
                threads,
                out_matches,
                out_cap,
                out_len,
                progress: Progress {
                    callback: progress,
                    user_data,
                },
            };
            call.run::<Packed, _>(|| packed_arg(packed, packed_len, offsets, count))
        })
    }
}

/// Packs `count` candidates (same layout as `mylib_closest`) into a new index, copied into
/// library memory, and writes it to `*out_index` on `MYLIB_OK`.
///
/// Ownership: the caller owns the index and frees it exactly once with
/// `mylib_fuzzy_index_free`. The inputs are borrowed for the call only. Thread-safe. Errors:
/// `MYLIB_ERR_NULL_ARGUMENT`, `MYLIB_ERR_INVALID_UTF8`, `MYLIB_ERR_INVALID_ARGUMENT` (bad
/// `offsets`, `count` or a length too large),
/// `MYLIB_ERR_OUT_OF_MEMORY` (the copy or the handle did not fit; nothing allocated is kept),
/// `MYLIB_ERR_PANIC`.
///
/// # Safety
/// As for `mylib_closest`; `out_index` must point to a writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_fuzzy_index_new(
    packed: *const u8,
    packed_len: usize,
    offsets: *const u32,
    count: usize,
    out_index: *mut *mut MylibFuzzyIndex,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_fuzzy_index_new", err, err_cap, || {
            require_out(out_index, "out_index")?;
            let candidates = packed_arg(packed, packed_len, offsets, count)?;
            let index = FuzzyIndex::new(&candidates)?;
            hand_out(out_index, MylibFuzzyIndex { index })?;
            Ok(())
        })
    }
}

/// Frees an index from `mylib_fuzzy_index_new`. NULL is ignored. Not while a
/// `mylib_fuzzy_index_closest` call on it is running. Infallible.
///
/// # Safety
/// `index` must come from `mylib_fuzzy_index_new` and not be freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_fuzzy_index_free(index: *mut MylibFuzzyIndex) {
    // SAFETY: the pointer came from hand_out in mylib_fuzzy_index_new (contract).
    unsafe { handle_free(index) }
}

/// `mylib_closest` over an index's candidates (indices refer to the packing order): same
/// `threads` (0: all cores, not one thread; at most `MYLIB_MAX_THREADS`), out-params, progress
/// calls with `user_data` (including the final one when `out_cap` is 0) and memory bound. After any error, including `MYLIB_ERR_OUT_OF_MEMORY`, the index is
/// unchanged and usable.
///
/// Errors: `MYLIB_ERR_NULL_ARGUMENT` (`index`, `out_len`, `query` NULL with `query_len` > 0, or
/// `out_matches` with `out_cap` > 0),
/// `MYLIB_ERR_INVALID_ARGUMENT` (`threads` above `MYLIB_MAX_THREADS`, length too large),
/// `MYLIB_ERR_INVALID_UTF8`, `MYLIB_ERR_CANCELLED`, `MYLIB_ERR_OUT_OF_MEMORY`,
/// `MYLIB_ERR_PANIC`.
///
/// The index is only read: concurrent calls on one index from several threads are safe.
///
/// # Safety
/// `index` must be a live index; the other pointers as for `mylib_closest`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_fuzzy_index_closest(
    index: *const MylibFuzzyIndex,
    query: *const u8,
    query_len: usize,
    max_distance: u32,
    threads: u32,
    out_matches: *mut MylibMatch,
    out_cap: usize,
    out_len: *mut usize,
    progress: Option<MylibProgressFn>,
    user_data: *mut c_void,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_fuzzy_index_closest", err, err_cap, || {
            let index = handle_ref(index, "index")?;
            let call = ClosestCall {
                query,
                query_len,
                max_distance,
                threads,
                out_matches,
                out_cap,
                out_len,
                progress: Progress {
                    callback: progress,
                    user_data,
                },
            };
            call.run::<FuzzyIndex, _>(|| Ok(&index.index))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::message_of;

    unsafe extern "C" fn record(done: u64, total: u64, user_data: *mut c_void) -> bool {
        // SAFETY of the test: user_data is the Vec passed below.
        let calls = unsafe { &mut *user_data.cast::<Vec<(u64, u64)>>() };
        calls.push((done, total));
        true
    }

    #[test]
    fn index_closest_refuses_a_null_query_with_a_length() {
        let packed = b"abcabd";
        let offsets = [0u32, 3, 6];
        let mut index: *mut MylibFuzzyIndex = std::ptr::null_mut();
        let status = unsafe {
            mylib_fuzzy_index_new(
                packed.as_ptr(),
                6,
                offsets.as_ptr(),
                2,
                &mut index,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(status, 0);
        let mut matches = [MylibMatch {
            index: 9,
            distance: 9,
        }; 2];
        let mut len = 7usize;
        let mut err = [0u8; 256];
        let status = unsafe {
            mylib_fuzzy_index_closest(
                index,
                std::ptr::null(),
                3,
                u32::MAX,
                1,
                matches.as_mut_ptr(),
                2,
                &mut len,
                None,
                std::ptr::null_mut(),
                err.as_mut_ptr(),
                err.len(),
            )
        };
        unsafe { mylib_fuzzy_index_free(index) };
        assert_eq!(status, Status::NullArgument as i32);
        assert_eq!(
            message_of(&err),
            "mylib_fuzzy_index_closest: argument 'query' is NULL but its length is 3"
        );
        assert_eq!(len, 7, "out_len untouched");
    }

    #[test]
    fn progress_gets_user_data_unchanged() {
        let packed = b"abcabd";
        let offsets = [0u32, 3, 6];
        let mut calls: Vec<(u64, u64)> = Vec::new();
        let mut matches = [MylibMatch {
            index: 9,
            distance: 9,
        }; 2];
        let mut len = 0usize;
        let status = unsafe {
            mylib_closest(
                b"abd".as_ptr(),
                3,
                packed.as_ptr(),
                packed.len(),
                offsets.as_ptr(),
                2,
                u32::MAX,
                0,
                matches.as_mut_ptr(),
                2,
                &mut len,
                Some(record),
                (&raw mut calls).cast::<c_void>(),
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(status, 0);
        assert_eq!(len, 2);
        assert_eq!(
            matches[0],
            MylibMatch {
                index: 1,
                distance: 0
            }
        );
        assert_eq!(calls, vec![(2, 2)]);
    }

    fn closest_with_threads(threads: u32) -> (i32, String, Vec<MylibMatch>) {
        let packed = b"abcabdxyz";
        let offsets = [0u32, 3, 6, 9];
        let mut matches = [MylibMatch {
            index: 9,
            distance: 9,
        }; 3];
        let mut len = 0usize;
        let mut err = [0u8; 256];
        let status = unsafe {
            mylib_closest(
                b"abd".as_ptr(),
                3,
                packed.as_ptr(),
                packed.len(),
                offsets.as_ptr(),
                3,
                u32::MAX,
                threads,
                matches.as_mut_ptr(),
                3,
                &mut len,
                None,
                std::ptr::null_mut(),
                err.as_mut_ptr(),
                err.len(),
            )
        };
        (status, message_of(&err).to_owned(), matches[..len].to_vec())
    }

    #[test]
    fn threads_up_to_the_maximum_agree_and_above_it_are_rejected() {
        let (_, _, expected) = closest_with_threads(1);
        for threads in [0, 2, 3, MYLIB_MAX_THREADS] {
            let (status, _, matches) = closest_with_threads(threads);
            assert_eq!(status, 0, "threads {threads}");
            assert_eq!(matches, expected, "threads {threads}");
        }
        let (status, message, _) = closest_with_threads(MYLIB_MAX_THREADS + 1);
        assert_eq!(status, Status::InvalidArgument as i32);
        assert!(
            message.starts_with("mylib_closest: argument 'threads'"),
            "{message}"
        );
    }

    #[test]
    fn misaligned_offsets_are_an_invalid_argument_not_a_misaligned_read() {
        let packed = b"abcd";
        // Offsets [0, 2, 4] stored one byte past a 4-byte boundary.
        let mut storage = [0u32; 4];
        let base = storage.as_mut_ptr().cast::<u8>();
        for (i, offset) in [0u32, 2, 4].into_iter().enumerate() {
            // SAFETY of the test: 1 + 4 * 3 bytes fit in the 16 of `storage`.
            unsafe { base.add(1 + 4 * i).cast::<u32>().write_unaligned(offset) };
        }
        // SAFETY of the test: a pointer into `storage`, deliberately misaligned.
        let offsets = unsafe { base.add(1) }.cast::<u32>().cast_const();
        let mut index: *mut MylibFuzzyIndex = std::ptr::null_mut();
        let mut err = [0u8; 256];
        let status = unsafe {
            mylib_fuzzy_index_new(
                packed.as_ptr(),
                packed.len(),
                offsets,
                2,
                &mut index,
                err.as_mut_ptr(),
                err.len(),
            )
        };
        assert_eq!(status, Status::InvalidArgument as i32);
        assert!(index.is_null(), "nothing written");
        let message =
            std::str::from_utf8(&err[..err.iter().position(|&b| b == 0).unwrap()]).unwrap();
        assert!(
            message.starts_with("mylib_fuzzy_index_new: argument 'offsets' is not 4-byte aligned"),
            "{message}"
        );
    }
}
