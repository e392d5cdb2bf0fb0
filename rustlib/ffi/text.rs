//! Exports for the text kernels in `core::text`.

use super::{boundary, input_bytes, input_str, require_out, text_out};
use crate::core::text;

/// Defined in `ffi` next to the text-out helpers; re-exported at its former path.
pub use super::MylibTextOut;

/// Writes `"Rust says: " + text` into the caller's buffer `out` (no allocation in Rust).
///
/// - `text`/`text_len`: UTF-8 input, borrowed for the call; NULL only when `text_len` is 0.
/// - `out`/`out_cap`: caller-owned output buffer; NULL only when `out_cap` is 0. Must not
///   overlap `text` (checked: `MYLIB_ERR_INVALID_ARGUMENT`, nothing written). The result is
///   NOT NUL-terminated; its length goes to `out_info->len`.
/// - `*out_info`: written on `MYLIB_OK` (bytes written, ASCII or not) and on
///   `MYLIB_ERR_BUFFER_TOO_SMALL` (`len` = bytes needed, `ascii` = 0; `out` is then untouched):
///   grow the buffer and call again. Must not overlap `text` or `out` (checked:
///   `MYLIB_ERR_INVALID_ARGUMENT`, nothing written).
/// - Errors: `MYLIB_ERR_NULL_ARGUMENT` (`out_info`, or `text`/`out` NULL with a length),
///   `MYLIB_ERR_INVALID_ARGUMENT` (`out` overlaps `text`, `*out_info` overlaps `text` or
///   `out`, length too large),
///   `MYLIB_ERR_INVALID_UTF8`, `MYLIB_ERR_BUFFER_TOO_SMALL` (`out_info->len` = bytes needed),
///   `MYLIB_ERR_PANIC`. No allocation.
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
    out_info: *mut MylibTextOut,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_get_result", err, err_cap, || {
            let out = text_out(out, out_cap, out_info, &[("text", text, text_len)])?;
            let text = input_str(text, text_len, "text")?;
            out.write_with(|buffer| text::get_result_into(text, buffer))
        })
    }
}

/// Counts adjacent pairs of equal bytes in `data` (`"aabbb"` -> 3), without copying.
///
/// - `data`/`data_len`: borrowed for the call; NULL only when `data_len` is 0.
/// - `*out_count`: written on `MYLIB_OK` only.
/// - Errors: `MYLIB_ERR_NULL_ARGUMENT` (`out_count`, or `data` NULL with a length),
///   `MYLIB_ERR_INVALID_ARGUMENT` (length too large), `MYLIB_ERR_PANIC`. No allocation.
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
/// - Errors: `MYLIB_ERR_NULL_ARGUMENT` (`out_count`, or `text` NULL with a length),
///   `MYLIB_ERR_INVALID_ARGUMENT` (length too large), `MYLIB_ERR_INVALID_UTF8`,
///   `MYLIB_ERR_PANIC`. No allocation.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::Status;

    #[test]
    fn get_result_rejects_out_overlapping_text() {
        let mut memory = *b"hello world, this is long enough for the result";
        let mut info = MylibTextOut { len: 7, ascii: 7 };
        let mut err = [0u8; 128];
        let base = memory.as_mut_ptr();
        let status = unsafe {
            mylib_get_result(
                base,
                5,
                base.add(2),
                40,
                &mut info,
                err.as_mut_ptr(),
                err.len(),
            )
        };
        assert_eq!(status, Status::InvalidArgument as i32);
        assert_eq!(info, MylibTextOut { len: 7, ascii: 7 }, "nothing written");
        assert_eq!(&memory[..5], b"hello");
        let status = unsafe {
            mylib_get_result(
                base,
                5,
                base.add(5),
                40,
                &mut info,
                err.as_mut_ptr(),
                err.len(),
            )
        };
        assert_eq!(status, 0, "adjacent is fine");
        assert_eq!(&memory[5..21], b"Rust says: hello");
    }
}
