//! Exports for the text kernels in `core::text`.

use super::{Failure, Status, boundary, input_bytes, input_str, output_bytes, require_out};
use crate::core::text;

/// Writes `"Rust says: " + text` into the caller's buffer `out` (no allocation in Rust).
///
/// - `text`/`text_len`: UTF-8 input, borrowed for the call; NULL only when `text_len` is 0.
/// - `out`/`out_cap`: caller-owned output buffer; NULL only when `out_cap` is 0. Must not
///   overlap `text`. The result is NOT NUL-terminated; its length goes to `*out_len`.
/// - `*out_len`: written on `MYLIB_OK` (bytes written) and on `MYLIB_ERR_BUFFER_TOO_SMALL`
///   (bytes needed; `out` is then untouched): grow the buffer and call again.
/// - Errors: `MYLIB_ERR_INVALID_UTF8`, `MYLIB_ERR_NULL_ARGUMENT`, `MYLIB_ERR_PANIC`.
///
/// Thread-safe.
///
/// # Safety
/// Each pointer must be valid for its stated length, or NULL as allowed above.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_get_result(
    text: *const u8,
    text_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_get_result", err, err_cap, || {
            require_out(out_len, "out_len")?;
            let text = input_str(text, text_len, "text")?;
            let out = output_bytes(out, out_cap, "out")?;
            match text::get_result_into(text, out) {
                Ok(written) => {
                    *out_len = written;
                    Ok(())
                }
                Err(needed) => {
                    *out_len = needed;
                    Err(Failure::new(
                        Status::BufferTooSmall,
                        format!("argument 'out' holds {out_cap} bytes, {needed} needed"),
                    ))
                }
            }
        })
    }
}

/// Counts adjacent pairs of equal bytes in `data` (`"aabbb"` -> 3), without copying.
///
/// - `data`/`data_len`: borrowed for the call; NULL only when `data_len` is 0.
/// - `*out_count`: written on `MYLIB_OK` only.
///
/// Thread-safe.
///
/// # Safety
/// `data` must point to `data_len` readable bytes; `out_count` to a writable `u64`; `err` to
/// `err_cap` writable bytes or be NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_count_doubles_bytes(
    data: *const u8,
    data_len: usize,
    out_count: *mut u64,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_count_doubles_bytes", err, err_cap, || {
            require_out(out_count, "out_count")?;
            let data = input_bytes(data, data_len, "data")?;
            *out_count = text::count_doubles_bytes(data);
            Ok(())
        })
    }
}

/// Counts adjacent pairs of equal Unicode code points in UTF-8 `text` (`"éé"` -> 1).
///
/// - `text`/`text_len`: UTF-8, borrowed for the call; NULL only when `text_len` is 0.
/// - `*out_count`: written on `MYLIB_OK` only.
/// - Errors: `MYLIB_ERR_INVALID_UTF8`, `MYLIB_ERR_NULL_ARGUMENT`, `MYLIB_ERR_PANIC`.
///
/// Thread-safe.
///
/// # Safety
/// As for [`mylib_count_doubles_bytes`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_count_doubles_utf8(
    text: *const u8,
    text_len: usize,
    out_count: *mut u64,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_count_doubles_utf8", err, err_cap, || {
            require_out(out_count, "out_count")?;
            let text = input_str(text, text_len, "text")?;
            *out_count = text::count_doubles_str(text);
            Ok(())
        })
    }
}
