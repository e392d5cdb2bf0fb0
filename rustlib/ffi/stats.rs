//! Exports for the numeric kernels: `mylib_stats` (struct out-param) and `mylib_histogram`.

use super::message;
use super::{Failure, Status, boundary, check_array, input_slice, require_out};
use crate::core::stats::{self, HistogramError};

/// Summary of a `double` array. NaN inputs are skipped; with no other value `count` is 0 and
/// every other field is NaN.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MylibStats {
    pub count: u64,
    pub mean: f64,
    /// Population variance (divides by count).
    pub variance: f64,
    pub min: f64,
    pub max: f64,
}

/// Count, mean, population variance, min and max of `len` doubles, read in place.
///
/// `values` is borrowed for the call (NULL only when `len` is 0) and must be 8-byte aligned.
/// The mean of finite values is always finite (a scaled second pass runs when the plain sum
/// overflows); the variance is +inf only when it exceeds `DBL_MAX`. `*out_stats` is written
/// on `MYLIB_OK` only. Errors: `MYLIB_ERR_NULL_ARGUMENT`, `MYLIB_ERR_INVALID_ARGUMENT`
/// (misaligned `values`, length too large), `MYLIB_ERR_PANIC`. No allocation. Thread-safe.
///
/// # Safety
/// `values` must point to `len` readable doubles; `out_stats` to a writable `MylibStats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_stats(
    values: *const f64,
    len: usize,
    out_stats: *mut MylibStats,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_stats", err, err_cap, || {
            require_out(out_stats, "out_stats")?;
            let s = stats::summarize(input_slice(values, len, "values")?);
            *out_stats = MylibStats {
                count: s.count,
                mean: s.mean,
                variance: s.variance,
                min: s.min,
                max: s.max,
            };
            Ok(())
        })
    }
}

/// Counts `len` doubles into `bin_count` equal-width bins over `[min, max]`, overwriting
/// the caller's `bins`. `max` falls in the last bin; values outside and NaN are skipped.
/// Any finite range works, also one wider than `DBL_MAX` (e.g. `-DBL_MAX..DBL_MAX`).
///
/// - `values`: borrowed for the call, 8-byte aligned, NULL only when `len` is 0.
/// - `bins`: caller-owned, `bin_count` `uint32_t`, 4-byte aligned; must not overlap `values`
///   (checked: overlap is `MYLIB_ERR_INVALID_ARGUMENT`, nothing written). Written on
///   `MYLIB_OK` only, like `*out_counted` (values counted).
/// - Errors: `MYLIB_ERR_NULL_ARGUMENT`, `MYLIB_ERR_INVALID_ARGUMENT` (`bin_count` 0, range
///   not finite with `min < max`, misaligned or overlapping arrays, length too large),
///   `MYLIB_ERR_PANIC`. No allocation. Thread-safe.
///
/// # Safety
/// `values`: `len` readable doubles; `bins`: `bin_count` writable u32 not used by another
/// thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_histogram(
    values: *const f64,
    len: usize,
    min: f64,
    max: f64,
    bins: *mut u32,
    bin_count: usize,
    out_counted: *mut u64,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_histogram", err, err_cap, || {
            require_out(out_counted, "out_counted")?;
            // Every check before any slice exists: overlapping `&[f64]` and `&mut [u32]`
            // would already be undefined behaviour.
            let value_bytes = check_array(values, len, "values")?;
            let bin_bytes = check_array(bins.cast_const(), bin_count, "bins")?;
            if value_bytes.start < bin_bytes.end && bin_bytes.start < value_bytes.end {
                return Err(Failure::new(
                    Status::InvalidArgument,
                    "arguments 'bins' and 'values' overlap: 'bins' is written, it must be separate memory",
                ));
            }
            let values = input_slice(values, len, "values")?;
            let bins: &mut [u32] = if bin_count == 0 {
                &mut []
            } else {
                // SAFETY: checked non-NULL, aligned, bounded and disjoint from `values`.
                std::slice::from_raw_parts_mut(bins, bin_count)
            };
            let counted = stats::histogram(values, min, max, bins).map_err(|error| match error {
                HistogramError::NoBins => Failure::new(Status::InvalidArgument, "argument 'bins' has no bins"),
                HistogramError::BadRange => Failure::new(
                    Status::InvalidArgument,
                    message!("arguments 'min' and 'max' must be finite with min < max, got {min} and {max}"),
                ),
            })?;
            *out_counted = counted;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ffi::message_of as message;

    /// 8-byte aligned storage viewed as bytes, so tests can build misaligned pointers.
    fn aligned_bytes(words: usize) -> Vec<u64> {
        vec![0u64; words]
    }

    #[test]
    fn misaligned_values_and_bins_are_rejected_with_the_argument_named() {
        let mut storage = aligned_bytes(8);
        let base = storage.as_mut_ptr().cast::<u8>();
        let mut err = [0u8; 256];
        let mut out = MylibStats {
            count: 9,
            mean: 0.0,
            variance: 0.0,
            min: 0.0,
            max: 0.0,
        };
        for offset in [1usize, 4] {
            // SAFETY of the test: offset + 2 * 8 bytes stay inside the 64-byte storage.
            let values = unsafe { base.add(offset) }.cast::<f64>().cast_const();
            let status = unsafe { mylib_stats(values, 2, &mut out, err.as_mut_ptr(), err.len()) };
            assert_eq!(status, Status::InvalidArgument as i32, "offset {offset}");
            assert!(
                message(&err).contains("'values' is not 8-byte aligned"),
                "{}",
                message(&err)
            );
            assert_eq!(out.count, 9, "out_stats untouched");
        }
        let mut counted = 7u64;
        let values = [1.0f64, 2.0];
        let bins = unsafe { base.add(34) }.cast::<u32>();
        let status = unsafe {
            mylib_histogram(
                values.as_ptr(),
                2,
                0.0,
                2.0,
                bins,
                2,
                &mut counted,
                err.as_mut_ptr(),
                err.len(),
            )
        };
        assert_eq!(status, Status::InvalidArgument as i32);
        assert!(
            message(&err).contains("'bins' is not 4-byte aligned"),
            "{}",
            message(&err)
        );
        assert_eq!(counted, 7);
    }

    #[test]
    fn histogram_rejects_bins_overlapping_values() {
        let mut storage = aligned_bytes(8);
        storage[0] = 1.0f64.to_bits();
        storage[1] = 2.0f64.to_bits();
        let values = storage.as_ptr().cast::<f64>();
        let mut err = [0u8; 256];
        let mut counted = 7u64;
        // bins over the second double, over the first, and one word past the end.
        for (bins_at, overlaps) in [(8usize, true), (0, true), (12, true), (16, false)] {
            let before = storage.clone();
            let bins = unsafe { storage.as_mut_ptr().cast::<u8>().add(bins_at) }.cast::<u32>();
            let status = unsafe {
                mylib_histogram(
                    values,
                    2,
                    0.0,
                    2.0,
                    bins,
                    2,
                    &mut counted,
                    err.as_mut_ptr(),
                    err.len(),
                )
            };
            if overlaps {
                assert_eq!(status, Status::InvalidArgument as i32, "bins at {bins_at}");
                assert!(message(&err).contains("overlap"), "{}", message(&err));
                assert_eq!(storage, before, "nothing written");
            } else {
                assert_eq!(
                    status,
                    Status::Ok as i32,
                    "bins at {bins_at}: {}",
                    message(&err)
                );
                assert_eq!(&storage[2..3], &[2u64 << 32], "bins [0, 2]");
            }
        }
    }

    #[test]
    fn stats_of_huge_finite_values_has_a_finite_mean() {
        let values = [1.7e308f64, 1.7e308];
        let mut out = MylibStats {
            count: 0,
            mean: 0.0,
            variance: 0.0,
            min: 0.0,
            max: 0.0,
        };
        let status = unsafe { mylib_stats(values.as_ptr(), 2, &mut out, std::ptr::null_mut(), 0) };
        assert_eq!(status, 0);
        assert_eq!((out.mean, out.variance), (1.7e308, 0.0));
    }
}
