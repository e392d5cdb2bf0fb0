//! Exports about the library itself.

use std::ffi::c_char;

use super::{
    Failure, MYLIB_ABI_VERSION, Status, UNKNOWN_STATUS_NAME, boundary, boundary_value, input_str,
};

/// Returns the ABI version this library was built with ([`MYLIB_ABI_VERSION`]).
///
/// Infallible; thread-safe. Loaders compare it with their own before declaring anything else.
#[unsafe(no_mangle)]
pub extern "C" fn mylib_abi_version() -> u32 {
    boundary_value(0, || MYLIB_ABI_VERSION)
}

/// The C name of a status code: `"MYLIB_OK"`, `"MYLIB_ERR_PANIC"`, ..., or
/// `"MYLIB_ERR_UNKNOWN"` for a number that is no status.
///
/// Returns a static NUL-terminated ASCII string, valid for as long as the library stays loaded;
/// never NULL, never to be freed. Infallible; thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn mylib_status_name(status: i32) -> *const c_char {
    boundary_value(UNKNOWN_STATUS_NAME.as_ptr(), || {
        Status::from_code(status)
            .map_or(UNKNOWN_STATUS_NAME, Status::name)
            .as_ptr()
    })
}

/// Returns `a + b`, wrapping on overflow. Infallible; thread-safe. It exists to measure the
/// cost of one call across the boundary (benchmarks), nothing else.
#[unsafe(no_mangle)]
pub extern "C" fn mylib_add(a: i32, b: i32) -> i32 {
    boundary_value(0, || a.wrapping_add(b))
}

/// Panics with `message` on purpose, to test the panic boundary from the host.
///
/// `message`/`message_len`: UTF-8 bytes, borrowed for the call; NULL only when the length is 0.
/// Returns `MYLIB_ERR_PANIC` with `"mylib_debug_panic: Rust panicked: <message>"` in `err`
/// for any valid message. Thread-safe.
///
/// Errors: `MYLIB_ERR_PANIC` (the purpose), `MYLIB_ERR_NULL_ARGUMENT` (`message` NULL with a
/// length), `MYLIB_ERR_INVALID_ARGUMENT` (empty message, length too large),
/// `MYLIB_ERR_INVALID_UTF8`.
///
/// # Safety
/// `message` must point to `message_len` readable bytes; `err` to `err_cap` writable bytes
/// or be NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_debug_panic(
    message: *const u8,
    message_len: usize,
    err: *mut u8,
    err_cap: usize,
) -> i32 {
    // SAFETY: pointer validity is the caller's contract, stated above.
    unsafe {
        boundary("mylib_debug_panic", err, err_cap, || {
            let message = input_str(message, message_len, "message")?;
            if message.is_empty() {
                return Err(Failure::new(
                    Status::InvalidArgument,
                    "argument 'message' is empty",
                ));
            }
            panic!("{message}")
        })
    }
}
