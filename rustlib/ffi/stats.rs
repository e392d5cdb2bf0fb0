//! Exports for the numeric kernels: `mylib_stats` (struct out-param) and `mylib_histogram`.

use super::{Failure, Status, boundary, require_out};
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

unsafe fn input_f64<'a>(values: *const f64, len: usize) -> Result<&'a [f64], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if values.is_null() {
        return Err(Failure::new(
            Status::NullArgument,
            format!("argument 'values' is NULL but its length is {len}"),
        ));
    }
    if len > isize::MAX as usize / 8 {
        return Err(Failure::new(
            Status::InvalidArgument,
            format!("length of 'values' is too large: {len}"),
        ));
    }
    if !values
        .cast::<u8>()
        .align_offset(std::mem::align_of::<f64>())
        == 0
    {
        return Err(Failure::new(
            Status::InvalidArgument,
            "argument 'values' is not 8-byte aligned",
        ));
    }
    // SAFETY: non-NULL, aligned, bounded; `len` readable doubles per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(values, len) })
}

/// Count, mean, population variance, min and max of `len` doubles, read in place.
///
/// `values` is borrowed for the call (NULL only when `len` is 0, 8-byte aligned).
/// `*out_stats` is written on `MYLIB_OK` only. Thread-safe.
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
            let s = stats::summarize(input_f64(values, len)?);
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
/// `*out_counted` (values counted) is written on `MYLIB_OK` only. Errors:
/// `MYLIB_ERR_INVALID_ARGUMENT` when `bin_count` is 0 or the range is not finite with
/// `min < max`. Thread-safe.
///
/// # Safety
/// `values`: `len` readable doubles; `bins`: `bin_count` writable u32, not overlapping.
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
            let values = input_f64(values, len)?;
            if bin_count > 0 && bins.is_null() {
                return Err(Failure::new(
                    Status::NullArgument,
                    "argument 'bins' is NULL",
                ));
            }
            let bins: &mut [u32] = if bin_count == 0 {
                &mut []
            } else {
                std::slice::from_raw_parts_mut(bins, bin_count)
            };
            let counted = stats::histogram(values, min, max, bins).map_err(|error| match error {
                HistogramError::NoBins => Failure::new(Status::InvalidArgument, "argument 'bins' has no bins"),
                HistogramError::BadRange => Failure::new(
                    Status::InvalidArgument,
                    format!("arguments 'min' and 'max' must be finite with min < max, got {min} and {max}"),
                ),
            })?;
            *out_counted = counted;
            Ok(())
        })
    }
}
