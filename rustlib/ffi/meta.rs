//! Exports about the library itself.

use super::{Failure, MYLIB_ABI_VERSION, Status, boundary, boundary_value, input_str};

/// Returns the ABI version this library was built with ([`MYLIB_ABI_VERSION`]).
///
/// Infallible; thread-safe. Loaders compare it with their own before declaring anything else.
#[unsafe(no_mangle)]
pub extern "C" fn mylib_abi_version() -> u32 {
    boundary_value(0, || MYLIB_ABI_VERSION)
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
/// Always returns `MYLIB_ERR_PANIC` with `"mylib_debug_panic: Rust panicked: <message>"` in
/// `err` (or another status when the message itself is invalid). Thread-safe.
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
