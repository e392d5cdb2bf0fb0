//! The panic boundary: every export body runs inside it, and failures become a status plus
//! a message in the caller's `err` buffer.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use super::{Failure, Status, message};

/// The longest message, in bytes without the NUL, that any export writes to `err`. Longer
/// messages are cut at a UTF-8 character boundary and end with `" [truncated]"`. A buffer of
/// `MYLIB_ERR_MAX_LEN + 1` bytes therefore always receives the whole message. The only place
/// the number is written: `npm run gen` copies it into the C header and into `CONSTANTS` of the
/// TypeScript bindings (`bindings/abi.generated.ts`).
pub const MYLIB_ERR_MAX_LEN: usize = 1023;

/// Marks a message the library shortened to [`MYLIB_ERR_MAX_LEN`] bytes.
const TRUNCATED: &str = " [truncated]";

thread_local! {
    /// Where the panic being unwound on this thread started. Set by the hook and read by
    /// `catch_panic` on the same thread within the same call, never by a later call.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces std's hook (this cdylib has its own std, so the host is unaffected): the panic
/// message and location travel back in `err` instead of to stderr. Set
/// `MYLIB_PANIC_STDERR=1` to also print them (with a backtrace when RUST_BACKTRACE is set).
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default_hook = std::panic::take_hook();
        let print = std::env::var_os("MYLIB_PANIC_STDERR").is_some_and(|v| v == "1");
        std::panic::set_hook(Box::new(move |info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            PANIC_LOCATION.with(|slot| *slot.borrow_mut() = location);
            if print {
                default_hook(info);
            }
        }));
    });
}

/// THE panic boundary: the only `catch_unwind` in the library. Returns the body's value, or
/// the panic message (with its source location) when it panicked.
fn catch_panic<T>(body: impl FnOnce() -> T) -> Result<T, String> {
    install_panic_hook();
    catch_unwind(AssertUnwindSafe(body)).map_err(|payload| {
        let message = panic_message(payload);
        match PANIC_LOCATION.with(|slot| slot.borrow_mut().take()) {
            Some(location) => format!("{message} (at {location})"),
            None => message,
        }
    })
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// Runs the body of a fallible export: maps `Ok` to `MYLIB_OK`, a [`Failure`] or a panic to
/// its status, and writes `"<function>: <message>"` into the caller's `err` buffer.
///
/// # Safety
/// `err` must be NULL or point to `err_cap` writable bytes.
pub unsafe fn boundary(
    function: &str,
    err: *mut u8,
    err_cap: usize,
    body: impl FnOnce() -> Result<(), Failure>,
) -> i32 {
    let failure = match catch_panic(body) {
        Ok(Ok(())) => return Status::Ok as i32,
        Ok(Err(failure)) => failure,
        Err(message) => Failure::new(Status::Panic, message!("Rust panicked: {message}")),
    };
    // SAFETY: forwarded from this function's contract.
    unsafe { write_message(err, err_cap, &[function, ": ", &failure.message]) };
    failure.status as i32
}

/// Runs the body of an export that returns a value instead of a status; a panic returns
/// `on_panic`.
pub fn boundary_value<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_panic(body).unwrap_or(on_panic)
}

/// Writes the concatenation of `parts` NUL-terminated into `err` without allocating (so a
/// failure can always be reported, even out of memory): at most [`MYLIB_ERR_MAX_LEN`] bytes
/// (a longer message keeps its start, cut at a character boundary, and ends with
/// [`TRUNCATED`]), cut at a UTF-8 character boundary when `err_cap` is smaller still.
unsafe fn write_message(err: *mut u8, err_cap: usize, parts: &[&str]) {
    if err.is_null() || err_cap == 0 {
        return;
    }
    let room = err_cap - 1;
    let total: usize = parts.iter().map(|part| part.len()).sum();
    let (body_limit, marker) = if total <= MYLIB_ERR_MAX_LEN {
        (total, "")
    } else {
        (MYLIB_ERR_MAX_LEN - TRUNCATED.len(), TRUNCATED)
    };
    let mut written = 0;
    // Copies as much of `text` as fits below `limit` (and `room`); true when all of it did.
    let mut push = |text: &str, limit: usize| {
        let mut len = text.len().min(limit.min(room) - written);
        while !text.is_char_boundary(len) {
            len -= 1;
        }
        // SAFETY: the caller guarantees `err_cap` writable bytes at `err`, and
        // written + len <= room < err_cap.
        unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), err.add(written), len) };
        written += len;
        len == text.len()
    };
    for part in parts {
        if !push(part, body_limit) {
            break;
        }
    }
    if !marker.is_empty() && body_limit <= room {
        push(marker, MYLIB_ERR_MAX_LEN);
    }
    // SAFETY: written <= room < err_cap.
    unsafe { *err.add(written) = 0 };
}

/// Tests: the NUL-terminated UTF-8 message an export wrote to an `err` buffer.
#[cfg(test)]
pub(crate) fn message_of(buffer: &[u8]) -> &str {
    let end = buffer.iter().position(|&b| b == 0).expect("NUL-terminated");
    std::str::from_utf8(&buffer[..end]).expect("UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::MESSAGE_LOST;

    #[test]
    fn boundary_maps_ok_failure_and_panic() {
        let mut err = [0xffu8; 64];
        let ok = unsafe { boundary("f", err.as_mut_ptr(), err.len(), || Ok(())) };
        assert_eq!(ok, 0);
        assert_eq!(err[0], 0xff, "err is untouched on success");

        let failed = unsafe {
            boundary("f", err.as_mut_ptr(), err.len(), || {
                Err(Failure::new(Status::InvalidArgument, "bad x"))
            })
        };
        assert_eq!(failed, Status::InvalidArgument as i32);
        assert_eq!(message_of(&err), "f: bad x");

        let panicked =
            unsafe { boundary("g", err.as_mut_ptr(), err.len(), || panic!("boom {}", 42)) };
        assert_eq!(panicked, Status::Panic as i32);
        assert!(
            message_of(&err).starts_with("g: Rust panicked: boom 42 (at rustlib/ffi/boundary.rs:"),
            "{}",
            message_of(&err)
        );

        assert_eq!(boundary_value(7u32, || panic!("x")), 7);
        assert_eq!(boundary_value(7u32, || 3), 3);
    }
    #[test]
    fn messages_are_truncated_at_char_boundaries() {
        let mut err = [0xffu8; 5];
        // "f: é..." : 'é' is two bytes and would straddle the 4-byte limit.
        let status = unsafe {
            boundary("f", err.as_mut_ptr(), err.len(), || {
                Err(Failure::new(Status::InvalidArgument, "aéé"))
            })
        };
        assert_eq!(status, Status::InvalidArgument as i32);
        assert_eq!(message_of(&err), "f: a");
        // A NULL or empty err buffer drops the message but keeps the status.
        let status = unsafe {
            boundary("f", std::ptr::null_mut(), 0, || {
                Err(Failure::new(Status::InvalidUtf8, "x"))
            })
        };
        assert_eq!(status, Status::InvalidUtf8 as i32);
    }
    #[test]
    fn long_messages_are_bounded_with_a_marker() {
        let mut err = vec![0xffu8; MYLIB_ERR_MAX_LEN + 100];
        let long = "é".repeat(MYLIB_ERR_MAX_LEN);
        let status = unsafe {
            boundary("f", err.as_mut_ptr(), err.len(), || {
                Err(Failure::new(Status::InvalidArgument, long.clone()))
            })
        };
        assert_eq!(status, Status::InvalidArgument as i32);
        let message = message_of(&err);
        assert!(message.len() <= MYLIB_ERR_MAX_LEN, "{}", message.len());
        assert!(message.len() > MYLIB_ERR_MAX_LEN - 2 - TRUNCATED.len());
        assert!(message.starts_with("f: éé") && message.ends_with(TRUNCATED));
        // A message of exactly MYLIB_ERR_MAX_LEN bytes is whole in a buffer one byte longer.
        let exact = "x".repeat(MYLIB_ERR_MAX_LEN - 3);
        let mut err = vec![0xffu8; MYLIB_ERR_MAX_LEN + 1];
        unsafe {
            boundary("f", err.as_mut_ptr(), err.len(), || {
                Err(Failure::new(Status::InvalidArgument, exact.clone()))
            })
        };
        assert_eq!(message_of(&err), format!("f: {exact}"));
    }
    #[test]
    fn a_failed_message_allocation_falls_back_to_a_static_message() {
        // The hook is installed once per process, allocating: not inside the limit below.
        install_panic_hook();
        let detail = "x".repeat(100);
        let lost = crate::core::test_alloc::with_limit(16, || message!("argument: {detail}"));
        assert_eq!(lost, MESSAGE_LOST);
        assert_eq!(message!("argument: {}", 5), "argument: 5");
        // The whole failure path allocates nothing: boundary writes the parts into `err`.
        let mut err = [0xffu8; 256];
        let status = crate::core::test_alloc::with_limit(0, || unsafe {
            boundary("f", err.as_mut_ptr(), err.len(), || {
                Err(Failure::new(
                    Status::InvalidArgument,
                    message!("bad {detail}"),
                ))
            })
        });
        assert_eq!(status, Status::InvalidArgument as i32);
        assert_eq!(message_of(&err), format!("f: {MESSAGE_LOST}"));
    }
}
