//! `mylib_levenshtein`, and the progress callback every long-running export takes.

use std::ffi::c_void;

use super::{Failure, Status, boundary, input_str, require_out};
use crate::core::levenshtein::{self, ClosestError};

/// Progress callback: `done` of `total` units of work (each export's doc says which unit).
/// Return false to
/// cancel; the call then returns `MYLIB_ERR_CANCELLED`. Called on the thread that runs the
/// call, with `done` increasing, and exactly once with `done == total` when the work finished,
/// also when there was none (`total` may be 0) or `out_cap` is 0. Not called when the
/// arguments are rejected. `user_data` is the pointer the caller passed next to the callback,
/// unchanged (the library never reads it): C callers keep their state there.
pub type MylibProgressFn =
    unsafe extern "C" fn(done: u64, total: u64, user_data: *mut c_void) -> bool;

/// Edit distance between UTF-8 `a` and `b`, in Unicode code points.
///
/// Inputs are borrowed for the call (NULL only with length 0). `*out_distance` is written on
/// `MYLIB_OK` only. Cost: O(len(a) * len(b) / 64) time (two strings of 1M code points take
/// about a minute on one core); memory linear in the shorter input (at most about 60 bytes per
/// code point, whatever its alphabet).
///
/// - `progress`: NULL or a callback (see `MylibProgressFn`) called on the calling thread. It
///   counts text code points: `total` is the length of the longer input after the common
///   prefix and suffix are stripped (the shorter one is the pattern). It is called about every
///   2^24 block-steps (a block-step is one text code point against 64 pattern code points:
///   tens of milliseconds of work) and once at the end with `done == total`; returning false
///   cancels (`MYLIB_ERR_CANCELLED`, nothing written).
/// - `user_data`: any pointer, NULL included; passed unchanged to every `progress` call and
///   never read by the library.
///
/// Errors: `MYLIB_ERR_NULL_ARGUMENT`, `MYLIB_ERR_INVALID_ARGUMENT` (length too large),
/// `MYLIB_ERR_INVALID_UTF8`, `MYLIB_ERR_CANCELLED`, `MYLIB_ERR_OUT_OF_MEMORY`,
/// `MYLIB_ERR_PANIC`. Thread-safe.
///
/// # Safety
/// Each pointer must be valid for its length; `err` NULL or `err_cap` writable bytes;
/// `progress` NULL or a valid function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_levenshtein(
    a: *const u8,
    a_len: usize,
    b: *const u8,
    b_len: usize,
    out_distance: *mut u64,
    progress: Option<MylibProgressFn>,
    user_data: *mut c_void,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_levenshtein", err, err_cap, || {
            require_out(out_distance, "out_distance")?;
            let a = input_str(a, a_len, "a")?;
            let b = input_str(b, b_len, "b")?;
            let progress = Progress {
                callback: progress,
                user_data,
            };
            let distance = levenshtein::levenshtein_with_progress(a, b, |done, total| {
                progress.report(done, total)
            })
            .map_err(progress_failure)?;
            *out_distance = distance as u64;
            Ok(())
        })
    }
}

/// A progress callback and the pointer passed back to it.
#[derive(Clone, Copy)]
pub(crate) struct Progress {
    pub(crate) callback: Option<MylibProgressFn>,
    pub(crate) user_data: *mut c_void,
}

impl Progress {
    /// Calls the callback, if any; false means cancel.
    pub(crate) fn report(&self, done: usize, total: usize) -> bool {
        match self.callback {
            // SAFETY: the caller passes a valid function pointer or NULL (None).
            Some(callback) => unsafe { callback(done as u64, total as u64, self.user_data) },
            None => true,
        }
    }
}

/// The status of a cancelled or failed long call.
pub(crate) fn progress_failure(error: ClosestError) -> Failure {
    match error {
        ClosestError::Cancelled => {
            Failure::new(Status::Cancelled, "cancelled by the progress callback")
        }
        ClosestError::OutOfMemory(error) => Failure::from(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn record(done: u64, total: u64, user_data: *mut c_void) -> bool {
        // SAFETY of the test: user_data is the Vec passed below.
        let calls = unsafe { &mut *user_data.cast::<Vec<(u64, u64)>>() };
        calls.push((done, total));
        true
    }

    unsafe extern "C" fn stop(_done: u64, _total: u64, user_data: *mut c_void) -> bool {
        // SAFETY of the test: user_data is the counter passed below.
        let calls = unsafe { &mut *user_data.cast::<u32>() };
        *calls += 1;
        false
    }

    #[test]
    fn levenshtein_reports_progress_and_cancels() {
        // 4096 x 600k code points: 64 blocks, a progress call every 2^18 text code points.
        let a = "ab".repeat(2048);
        let b = "ba".repeat(300_000);
        let mut calls: Vec<(u64, u64)> = Vec::new();
        let mut distance = 0u64;
        let status = unsafe {
            mylib_levenshtein(
                a.as_ptr(),
                a.len(),
                b.as_ptr(),
                b.len(),
                &mut distance,
                Some(record),
                (&raw mut calls).cast::<c_void>(),
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(status, 0);
        assert_eq!(distance as usize, levenshtein::levenshtein(&a, &b).unwrap());
        assert!(calls.len() >= 2, "{calls:?}");
        assert!(
            calls
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 == w[1].1)
        );
        let (done, total) = *calls.last().unwrap();
        assert_eq!(done, total);

        let mut stops = 0u32;
        distance = 7;
        let status = unsafe {
            mylib_levenshtein(
                a.as_ptr(),
                a.len(),
                b.as_ptr(),
                b.len(),
                &mut distance,
                Some(stop),
                (&raw mut stops).cast::<c_void>(),
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(status, Status::Cancelled as i32);
        assert_eq!(stops, 1);
        assert_eq!(distance, 7, "nothing written on error");

        // Equal inputs: no work, one final call with done == total == 0.
        calls.clear();
        let status = unsafe {
            mylib_levenshtein(
                a.as_ptr(),
                a.len(),
                a.as_ptr(),
                a.len(),
                &mut distance,
                Some(record),
                (&raw mut calls).cast::<c_void>(),
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(status, 0);
        assert_eq!(distance, 0);
        assert_eq!(calls, vec![(0, 0)]);
    }
}
