//! The C ABI. Every `extern "C"` function of the library lives under this module and follows
//! the conventions in the crate docs. Helpers here turn raw arguments into safe Rust values
//! with errors that name the function and the argument.

use std::any::Any;
use std::borrow::Cow;
use std::cell::RefCell;
use std::ffi::CStr;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use crate::core::OutOfMemory;

pub mod fuzzy;
pub mod memory;
pub mod meta;
pub mod stats;
pub mod text;
pub mod words;

/// Bumped whenever an export's signature or meaning changes. Hosts compare
/// `mylib_abi_version()` with the value they were written for and refuse a mismatch (the
/// TypeScript loader: `ABI_VERSION` in `bindings/names.ts`).
pub const MYLIB_ABI_VERSION: u32 = 4;

/// The largest `threads` argument `mylib_closest` and `mylib_fuzzy_index_closest` accept
/// (0 means the available parallelism). Larger values are `MYLIB_ERR_INVALID_ARGUMENT`.
pub const MYLIB_MAX_THREADS: u32 = 1024;
const _: () = assert!(MYLIB_MAX_THREADS as usize == crate::core::levenshtein::MAX_THREADS);

/// The longest message, in bytes without the NUL, that any export writes to `err`. Longer
/// messages are cut at a UTF-8 character boundary and end with `" [truncated]"`. A buffer of
/// `MYLIB_ERR_MAX_LEN + 1` bytes therefore always receives the whole message.
pub const MYLIB_ERR_MAX_LEN: usize = 1023;

/// Marks a message the library shortened to [`MYLIB_ERR_MAX_LEN`] bytes.
const TRUNCATED: &str = " [truncated]";

/// Status codes returned by every fallible export. The numbers are stable.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Success; out-params were written.
    Ok = 0,
    /// A pointer that must not be NULL was NULL.
    NullArgument = 1,
    /// An argument had a value outside its domain.
    InvalidArgument = 2,
    /// A text argument was not valid UTF-8.
    InvalidUtf8 = 3,
    /// The caller's output buffer is too short; the required length was written.
    BufferTooSmall = 4,
    /// The operation was cancelled by its progress callback.
    Cancelled = 5,
    /// Rust panicked; the panic message is in `err`.
    Panic = 6,
    /// Memory could not be allocated: the call's work (sized by its input) or a handle. The
    /// library never aborts on allocation failure. Nothing was written to the out-params; a
    /// handle the call used stays valid (see each export).
    OutOfMemory = 7,
}

impl Status {
    /// Every status, in numeric order.
    pub const ALL: [Status; 8] = [
        Status::Ok,
        Status::NullArgument,
        Status::InvalidArgument,
        Status::InvalidUtf8,
        Status::BufferTooSmall,
        Status::Cancelled,
        Status::Panic,
        Status::OutOfMemory,
    ];

    /// The status with number `code`, if there is one.
    pub fn from_code(code: i32) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|status| *status as i32 == code)
    }

    /// The C name (`"MYLIB_ERR_PANIC"`), static and NUL-terminated.
    pub fn name(self) -> &'static CStr {
        match self {
            Status::Ok => c"MYLIB_OK",
            Status::NullArgument => c"MYLIB_ERR_NULL_ARGUMENT",
            Status::InvalidArgument => c"MYLIB_ERR_INVALID_ARGUMENT",
            Status::InvalidUtf8 => c"MYLIB_ERR_INVALID_UTF8",
            Status::BufferTooSmall => c"MYLIB_ERR_BUFFER_TOO_SMALL",
            Status::Cancelled => c"MYLIB_ERR_CANCELLED",
            Status::Panic => c"MYLIB_ERR_PANIC",
            Status::OutOfMemory => c"MYLIB_ERR_OUT_OF_MEMORY",
        }
    }
}

/// What `mylib_status_name` returns for a number that is no status.
pub const UNKNOWN_STATUS_NAME: &CStr = c"MYLIB_ERR_UNKNOWN";

/// A failed call: its status and a message for the caller's `err` buffer.
#[derive(Debug)]
pub struct Failure {
    pub status: Status,
    pub message: Cow<'static, str>,
}

impl Failure {
    pub fn new(status: Status, message: impl Into<Cow<'static, str>>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }
}

/// What a message becomes when the memory to format it cannot be allocated.
pub const MESSAGE_LOST: &str = "(the message could not be allocated: out of memory)";

/// Formats a message with fallible allocation: [`MESSAGE_LOST`] instead of an abort when
/// memory runs out. Use through [`message!`], never `format!`, in code that reports failures.
pub fn try_format(args: std::fmt::Arguments) -> Cow<'static, str> {
    if let Some(text) = args.as_str() {
        return Cow::Borrowed(text);
    }
    struct Fallible(String);
    impl std::fmt::Write for Fallible {
        fn write_str(&mut self, text: &str) -> std::fmt::Result {
            crate::core::try_push_str(&mut self.0, text, "an error message")
                .map_err(|_| std::fmt::Error)
        }
    }
    let mut out = Fallible(String::new());
    match std::fmt::write(&mut out, args) {
        Ok(()) => Cow::Owned(out.0),
        Err(_) => Cow::Borrowed(MESSAGE_LOST),
    }
}

/// `format!` for failure messages, through [`try_format`]: never aborts on allocation failure.
macro_rules! message {
    ($($arg:tt)*) => {
        $crate::ffi::try_format(format_args!($($arg)*))
    };
}
pub(crate) use message;

impl From<OutOfMemory> for Failure {
    fn from(error: OutOfMemory) -> Self {
        Failure::new(
            Status::OutOfMemory,
            message!(
                "out of memory: {} bytes for {} could not be allocated",
                error.bytes,
                error.what
            ),
        )
    }
}

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

/// Borrows `len` bytes at `ptr` as an input slice named `name`. NULL is accepted when
/// `len` is 0.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that outlive the call.
pub unsafe fn input_bytes<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::new(
            Status::NullArgument,
            message!("argument '{name}' is NULL but its length is {len}"),
        ));
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(
            Status::InvalidArgument,
            message!("length of '{name}' is too large: {len}"),
        ));
    }
    // SAFETY: non-NULL, length bounded by isize::MAX, validity guaranteed by the caller.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `len` bytes at `ptr` as UTF-8 text named `name`.
///
/// # Safety
/// As for [`input_bytes`].
pub unsafe fn input_str<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from this function's contract.
    let bytes = unsafe { input_bytes(ptr, len, name)? };
    std::str::from_utf8(bytes).map_err(|error| {
        Failure::new(
            Status::InvalidUtf8,
            message!("argument '{name}' is not valid UTF-8: {error}"),
        )
    })
}

/// Checks an input or output array named `name` of `len` elements of `T` at `ptr` without
/// forming a slice: NULL only when `len` is 0, aligned for `T`, at most `isize::MAX` bytes.
/// Returns its byte range (empty for `len` 0).
pub fn check_array<T>(
    ptr: *const T,
    len: usize,
    name: &str,
) -> Result<std::ops::Range<usize>, Failure> {
    if len == 0 {
        return Ok(0..0);
    }
    if ptr.is_null() {
        return Err(Failure::new(
            Status::NullArgument,
            message!("argument '{name}' is NULL but its length is {len}"),
        ));
    }
    let bytes = len
        .checked_mul(size_of::<T>())
        .filter(|&bytes| bytes <= isize::MAX as usize)
        .ok_or_else(|| {
            Failure::new(
                Status::InvalidArgument,
                message!("length of '{name}' is too large: {len}"),
            )
        })?;
    if !ptr.is_aligned() {
        return Err(Failure::new(
            Status::InvalidArgument,
            message!(
                "argument '{name}' is not {}-byte aligned (address {ptr:p})",
                align_of::<T>()
            ),
        ));
    }
    let start = ptr as usize;
    let end = start.checked_add(bytes).ok_or_else(|| {
        Failure::new(
            Status::InvalidArgument,
            message!("argument '{name}' wraps around the address space"),
        )
    })?;
    Ok(start..end)
}

/// Borrows `len` values of `T` at `ptr` as an input slice named `name`, after
/// [`check_array`]: NULL only when `len` is 0, aligned for `T`, at most `isize::MAX` bytes,
/// not wrapping around the address space.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable, initialised values of `T` that outlive `'a`
/// and are not written meanwhile.
pub unsafe fn input_slice<'a, T: Copy>(
    ptr: *const T,
    len: usize,
    name: &str,
) -> Result<&'a [T], Failure> {
    check_array(ptr, len, name)?;
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: checked non-NULL, aligned and bounded; readable per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `cap` writable bytes at `ptr` as an output buffer named `name`. NULL is accepted
/// when `cap` is 0.
///
/// # Safety
/// A non-NULL `ptr` must point to `cap` writable bytes not aliased by any input.
pub unsafe fn output_bytes<'a>(
    ptr: *mut u8,
    cap: usize,
    name: &str,
) -> Result<&'a mut [u8], Failure> {
    if cap == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(Failure::new(
            Status::NullArgument,
            message!("argument '{name}' is NULL but its capacity is {cap}"),
        ));
    }
    if cap > isize::MAX as usize {
        return Err(Failure::new(
            Status::InvalidArgument,
            message!("capacity of '{name}' is too large: {cap}"),
        ));
    }
    // SAFETY: non-NULL, bounded, exclusive access guaranteed by the caller.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, cap) })
}

/// Checks an out-param named `name` before the body computes anything.
pub fn require_out<T>(ptr: *mut T, name: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        return Err(Failure::new(
            Status::NullArgument,
            message!("out-param '{name}' is NULL"),
        ));
    }
    Ok(())
}

/// Hands `value` to the caller as a handle: writes `Box::into_raw` of a fallibly allocated
/// box to `*out`. Ownership passes to the caller, who frees it exactly once with the export
/// that calls [`handle_free`] for `T`. A failed allocation is `MYLIB_ERR_OUT_OF_MEMORY` and
/// leaves `*out` unwritten.
///
/// # Safety
/// `out` must be non-NULL (checked earlier with [`require_out`]) and writable.
pub unsafe fn hand_out<T>(out: *mut *mut T, value: T) -> Result<(), Failure> {
    let boxed = crate::core::try_box(value, "the handle")?;
    // SAFETY: forwarded from this function's contract.
    unsafe { *out = Box::into_raw(boxed) };
    Ok(())
}

/// Frees a handle made by [`hand_out`], dropping its value inside the panic boundary
/// ([`boundary_value`]: a panicking `Drop` does not unwind into C). NULL is ignored.
///
/// # Safety
/// A non-NULL `handle` must come from [`hand_out`] for the same `T` and not be freed before;
/// no other call may use it meanwhile or afterwards.
pub unsafe fn handle_free<T>(handle: *mut T) {
    boundary_value((), || {
        if !handle.is_null() {
            // SAFETY: made by Box::into_raw in hand_out and not freed before (contract).
            drop(unsafe { Box::from_raw(handle) });
        }
    })
}

/// Borrows the handle argument named `name` for reading. NULL is `MYLIB_ERR_NULL_ARGUMENT`
/// "argument '<name>' is NULL".
///
/// # Safety
/// A non-NULL `handle` must be live (from [`hand_out`], not freed) for `'a`, and not be
/// written by another thread meanwhile.
pub unsafe fn handle_ref<'a, T>(handle: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: forwarded from this function's contract.
    unsafe { handle.as_ref() }.ok_or_else(|| null_handle(name))
}

/// Borrows the handle argument named `name` for writing. NULL as for [`handle_ref`].
///
/// # Safety
/// A non-NULL `handle` must be live for `'a` and used by no other call meanwhile.
pub unsafe fn handle_mut<'a, T>(handle: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: forwarded from this function's contract.
    unsafe { handle.as_mut() }.ok_or_else(|| null_handle(name))
}

fn null_handle(name: &str) -> Failure {
    Failure::new(Status::NullArgument, message!("argument '{name}' is NULL"))
}

/// Where a text result went: its length in bytes and whether it is all ASCII (then the host
/// may decode it as Latin-1, a plain copy, instead of validating UTF-8).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MylibTextOut {
    pub len: usize,
    /// 1 when every byte of the result is below 0x80, else 0.
    pub ascii: u32,
}

/// A checked text output: the caller's buffer `out`/`out_cap` and its `*out_info`. Made only
/// by [`text_out`]; consumed by [`TextOut::write`] or [`TextOut::write_with`], which form the
/// buffer's slice. Borrows the caller's buffer for `'a` (the call).
pub struct TextOut<'a> {
    out: *mut u8,
    out_cap: usize,
    out_info: *mut MylibTextOut,
    _buffer: PhantomData<&'a mut [u8]>,
}

/// Checks the text-out arguments of an export before it computes anything, in this order:
/// `out_info` non-NULL (`require_out`), `*out_info` disjoint from each input and from `out`
/// (`MYLIB_ERR_INVALID_ARGUMENT` "arguments 'out_info' and '<name>' overlap: ..."), `out`
/// disjoint from each input `(name, ptr, len)`
/// (`MYLIB_ERR_INVALID_ARGUMENT` "arguments 'out' and '<name>' overlap: ..."), then `out`
/// as [`output_bytes`] checks it (NULL with a capacity, capacity above `isize::MAX`). The
/// overlap check compares raw addresses before any slice exists: an overlapping `&[u8]` and
/// `&mut [u8]` would already be undefined behaviour. Lengths above `isize::MAX` are left to
/// the input and output checks. Nothing is written.
///
/// # Safety
/// `out`/`out_cap`/`out_info` as the export's contract states: `out` NULL only with
/// `out_cap` 0, else `out_cap` writable bytes; `out_info` NULL or a writable `MylibTextOut`.
/// Each input pointer valid for its length or NULL. All of them live for `'a`, and nothing
/// else writes `out` or `*out_info` meanwhile.
pub unsafe fn text_out<'a>(
    out: *mut u8,
    out_cap: usize,
    out_info: *mut MylibTextOut,
    inputs: &[(&str, *const u8, usize)],
) -> Result<TextOut<'a>, Failure> {
    require_out(out_info, "out_info")?;
    let bounded = |len: usize| len > 0 && len <= isize::MAX as usize;
    let overlap = |a: *const u8, a_len: usize, b: *const u8, b_len: usize| {
        let (a, b) = (a as usize, b as usize);
        bounded(a_len)
            && bounded(b_len)
            && a < b.saturating_add(b_len)
            && b < a.saturating_add(a_len)
    };
    let info_len = size_of::<MylibTextOut>();
    let written = [("out", out.cast_const(), out_cap)];
    for &(name, input, input_len) in inputs.iter().chain(&written) {
        if overlap(out_info.cast::<u8>(), info_len, input, input_len) {
            return Err(Failure::new(
                Status::InvalidArgument,
                message!(
                    "arguments 'out_info' and '{name}' overlap: 'out_info' is written, it must be separate memory"
                ),
            ));
        }
    }
    for &(name, input, input_len) in inputs {
        if overlap(out, out_cap, input, input_len) {
            return Err(Failure::new(
                Status::InvalidArgument,
                message!(
                    "arguments 'out' and '{name}' overlap: 'out' is written, it must be separate memory"
                ),
            ));
        }
    }
    // The checks of `output_bytes`, without forming the slice yet.
    // SAFETY: forwarded from this function's contract.
    unsafe { output_bytes(out, out_cap, "out")? };
    Ok(TextOut {
        out,
        out_cap,
        out_info,
        _buffer: PhantomData,
    })
}

impl TextOut<'_> {
    /// Writes `text` into `out` and `{len, ascii}` into `*out_info`. When it does not fit,
    /// writes `{len: bytes needed, ascii: 0}`, leaves `out` untouched and returns
    /// `MYLIB_ERR_BUFFER_TOO_SMALL` "argument 'out' holds {out_cap} bytes, {needed} needed".
    pub fn write(self, text: &str) -> Result<(), Failure> {
        self.write_with(|buffer| {
            let bytes = text.as_bytes();
            let target = buffer.get_mut(..bytes.len()).ok_or(bytes.len())?;
            target.copy_from_slice(bytes);
            Ok(bytes.len())
        })
    }

    /// Lets `fill` write into the whole buffer (`out_cap` bytes): `Ok(bytes written)` or
    /// `Err(bytes needed)`, with `*out_info` and the status as for [`TextOut::write`]. `fill`
    /// must write valid UTF-8 in the first `written` bytes, and nothing when it returns `Err`
    /// (the export's contract says `out` is then untouched). `Ok` beyond the buffer panics.
    pub fn write_with(
        self,
        fill: impl FnOnce(&mut [u8]) -> Result<usize, usize>,
    ) -> Result<(), Failure> {
        let buffer: &mut [u8] = if self.out_cap == 0 {
            &mut []
        } else {
            // SAFETY: checked by `text_out` (non-NULL, at most isize::MAX, disjoint from the
            // inputs); writable and exclusive for 'a per its contract.
            unsafe { std::slice::from_raw_parts_mut(self.out, self.out_cap) }
        };
        let info = match fill(buffer) {
            Ok(written) => {
                let result = &buffer[..written];
                debug_assert!(
                    std::str::from_utf8(result).is_ok(),
                    "fill wrote invalid UTF-8"
                );
                MylibTextOut {
                    len: written,
                    ascii: u32::from(result.is_ascii()),
                }
            }
            Err(needed) => {
                // SAFETY: `out_info` checked non-NULL by `text_out`; writable per its contract.
                unsafe {
                    *self.out_info = MylibTextOut {
                        len: needed,
                        ascii: 0,
                    }
                };
                return Err(Failure::new(
                    Status::BufferTooSmall,
                    message!(
                        "argument 'out' holds {} bytes, {needed} needed",
                        self.out_cap
                    ),
                ));
            }
        };
        // SAFETY: as above.
        unsafe { *self.out_info = info };
        Ok(())
    }
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
            message_of(&err).starts_with("g: Rust panicked: boom 42 (at rustlib/ffi/mod.rs:"),
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
    fn status_names_match_the_numbers() {
        for (code, status) in Status::ALL.into_iter().enumerate() {
            assert_eq!(status as i32, code as i32);
            assert_eq!(Status::from_code(code as i32), Some(status));
            let name = status.name().to_str().unwrap();
            assert!(name.starts_with("MYLIB_"), "{name}");
        }
        assert_eq!(Status::from_code(8), None);
        assert_eq!(Status::from_code(-1), None);
    }

    #[test]
    fn null_policy() {
        assert!(unsafe { input_bytes(std::ptr::null(), 0, "a") }.is_ok());
        let error = unsafe { input_bytes(std::ptr::null(), 3, "a") }.unwrap_err();
        assert_eq!(error.status, Status::NullArgument);
        assert!(error.message.contains("'a'"));
        let bad = [0xffu8, 0xfe];
        let error = unsafe { input_str(bad.as_ptr(), bad.len(), "t") }.unwrap_err();
        assert_eq!(error.status, Status::InvalidUtf8);
        assert_eq!(
            require_out::<u64>(std::ptr::null_mut(), "o")
                .unwrap_err()
                .status,
            Status::NullArgument
        );
    }

    /// Runs `text_out` over `buffer` (capacity `cap`) with one input and then `write`.
    fn text_out_case(
        buffer: &mut [u8],
        cap: usize,
        info: &mut MylibTextOut,
        input: (*const u8, usize),
        text: &str,
    ) -> Result<(), Failure> {
        let out = unsafe { text_out(buffer.as_mut_ptr(), cap, info, &[("t", input.0, input.1)]) }?;
        out.write(text)
    }

    #[test]
    fn text_out_checks_out_info_first() {
        let mut buffer = [0u8; 4];
        let error = unsafe {
            text_out(
                std::ptr::null_mut(),
                8,
                std::ptr::null_mut(),
                &[("t", buffer.as_mut_ptr(), 4)],
            )
        }
        .err()
        .expect("NULL out_info");
        assert_eq!(error.status, Status::NullArgument);
        assert_eq!(error.message, "out-param 'out_info' is NULL");
    }

    #[test]
    fn get_result_refuses_out_info_overlapping_text_or_out() {
        // Aligned memory for a MylibTextOut, whose bytes also serve as `text` or `out`.
        let mut cells = [MylibTextOut { len: 0, ascii: 0 }; 4];
        let bytes = cells.as_mut_ptr().cast::<u8>();
        let size = size_of_val(&cells);
        unsafe { std::ptr::write_bytes(bytes, b'a', size) };
        let info = unsafe { cells.as_mut_ptr().add(1) };
        let mut out = [0u8; 256];
        let mut err = [0u8; 256];
        let err_at = err.as_mut_ptr();
        let call = |text: *const u8, text_len, out: *mut u8, out_cap| unsafe {
            text::mylib_get_result(text, text_len, out, out_cap, info, err_at, err.len())
        };
        let status = call(bytes, size, out.as_mut_ptr(), out.len());
        assert_eq!(status, Status::InvalidArgument as i32);
        assert_eq!(
            message_of(&err),
            "mylib_get_result: arguments 'out_info' and 'text' overlap: 'out_info' is written, it must be separate memory"
        );
        let status = call(std::ptr::null(), 0, bytes, size);
        assert_eq!(status, Status::InvalidArgument as i32);
        assert!(message_of(&err).contains("arguments 'out_info' and 'out' overlap"));
        assert!(out.iter().all(|&b| b == 0), "out untouched");
        // Next to the text, not inside it: accepted.
        let first = cells.as_ptr().cast::<u8>();
        let status = call(
            first,
            size_of::<MylibTextOut>(),
            out.as_mut_ptr(),
            out.len(),
        );
        assert_eq!(status, Status::Ok as i32);
    }

    #[test]
    fn text_out_rejects_overlap_before_the_out_checks() {
        let mut memory = [b'x'; 16];
        let mut info = MylibTextOut { len: 7, ascii: 7 };
        let base = memory.as_mut_ptr();
        let inputs = [("a", std::ptr::null(), 0), ("b", base.cast_const(), 4)];
        let error = unsafe { text_out(base.wrapping_add(3), 8, &mut info, &inputs) }
            .err()
            .expect("overlap");
        assert_eq!(error.status, Status::InvalidArgument);
        assert_eq!(
            error.message,
            "arguments 'out' and 'b' overlap: 'out' is written, it must be separate memory"
        );
        assert_eq!(info, MylibTextOut { len: 7, ascii: 7 }, "nothing written");
        // Adjacent memory is fine; then the out checks run.
        assert!(unsafe { text_out(base.wrapping_add(4), 8, &mut info, &inputs) }.is_ok());
        let error = unsafe { text_out(std::ptr::null_mut(), 8, &mut info, &inputs) }
            .err()
            .expect("NULL out with a capacity");
        assert_eq!(error.status, Status::NullArgument);
        assert_eq!(
            error.message,
            "argument 'out' is NULL but its capacity is 8"
        );
        let error = unsafe { text_out(base, isize::MAX as usize + 1, &mut info, &[]) }
            .err()
            .expect("capacity too large");
        assert_eq!(error.status, Status::InvalidArgument);
        assert!(unsafe { text_out(std::ptr::null_mut(), 0, &mut info, &inputs) }.is_ok());
    }

    #[test]
    fn text_out_write_reports_length_and_ascii() {
        let mut buffer = [0xffu8; 8];
        let mut info = MylibTextOut { len: 9, ascii: 9 };
        let input = (std::ptr::null(), 0);
        text_out_case(&mut buffer, 8, &mut info, input, "abc").expect("fits");
        assert_eq!(info, MylibTextOut { len: 3, ascii: 1 });
        assert_eq!(&buffer[..4], b"abc\xff");
        text_out_case(&mut buffer, 8, &mut info, input, "é").expect("fits");
        assert_eq!(info, MylibTextOut { len: 2, ascii: 0 });
        assert_eq!(&buffer[..2], "é".as_bytes());
        text_out_case(&mut buffer, 8, &mut info, input, "").expect("fits");
        assert_eq!(info, MylibTextOut { len: 0, ascii: 1 });
        let mut info = MylibTextOut { len: 9, ascii: 9 };
        let out = unsafe { text_out(std::ptr::null_mut(), 0, &mut info, &[]) }.expect("empty");
        out.write("").expect("nothing to write");
        assert_eq!(info, MylibTextOut { len: 0, ascii: 1 });
    }

    #[test]
    fn text_out_too_small_writes_needed_and_leaves_out_untouched() {
        let mut buffer = [0xffu8; 8];
        let mut info = MylibTextOut { len: 9, ascii: 1 };
        let error = text_out_case(&mut buffer, 4, &mut info, (std::ptr::null(), 0), "abcde")
            .expect_err("too small");
        assert_eq!(error.status, Status::BufferTooSmall);
        assert_eq!(error.message, "argument 'out' holds 4 bytes, 5 needed");
        assert_eq!(info, MylibTextOut { len: 5, ascii: 0 });
        assert_eq!(buffer, [0xff; 8], "out untouched");
    }

    #[test]
    fn text_out_write_with_gets_the_whole_buffer() {
        let mut buffer = [0u8; 6];
        let mut info = MylibTextOut { len: 9, ascii: 9 };
        let out = unsafe { text_out(buffer.as_mut_ptr(), 6, &mut info, &[]) }.expect("valid");
        out.write_with(|buf| {
            assert_eq!(buf.len(), 6);
            buf[..4].copy_from_slice(b"ab\xc3\xa9");
            Ok(4)
        })
        .expect("written");
        assert_eq!(info, MylibTextOut { len: 4, ascii: 0 });
        assert_eq!(&buffer[..4], "abé".as_bytes());
        let out = unsafe { text_out(buffer.as_mut_ptr(), 6, &mut info, &[]) }.expect("valid");
        let error = out.write_with(|_| Err(100)).expect_err("too small");
        assert_eq!(error.status, Status::BufferTooSmall);
        assert_eq!(error.message, "argument 'out' holds 6 bytes, 100 needed");
        assert_eq!(info, MylibTextOut { len: 100, ascii: 0 });
    }

    #[test]
    fn handles_round_trip_and_null() {
        let mut handle: *mut String = std::ptr::null_mut();
        unsafe { hand_out(&mut handle, String::from("abc")) }.unwrap();
        assert!(!handle.is_null());
        assert_eq!(unsafe { handle_ref(handle, "h") }.expect("live"), "abc");
        unsafe { handle_mut(handle, "h") }.expect("live").push('d');
        assert_eq!(unsafe { &*handle }, "abcd");
        unsafe { handle_free(handle) };
        unsafe { handle_free(std::ptr::null_mut::<String>()) };

        let error = unsafe { handle_ref(std::ptr::null::<String>(), "counter") }.expect_err("NULL");
        assert_eq!(error.status, Status::NullArgument);
        assert_eq!(error.message, "argument 'counter' is NULL");
        let error =
            unsafe { handle_mut(std::ptr::null_mut::<String>(), "index") }.expect_err("NULL");
        assert_eq!(error.status, Status::NullArgument);
        assert_eq!(error.message, "argument 'index' is NULL");
    }

    #[test]
    fn a_failed_handle_allocation_is_out_of_memory_not_an_abort() {
        let mut handle: *mut [u64; 16] = std::ptr::null_mut();
        let error = crate::core::test_alloc::with_limit(64, || unsafe {
            hand_out(&mut handle, [7u64; 16])
        })
        .expect_err("a 128-byte handle above a 64-byte limit");
        assert_eq!(error.status, Status::OutOfMemory);
        assert!(error.message.contains("out of memory"), "{}", error.message);
        assert!(handle.is_null(), "out-param written on failure");
    }

    #[test]
    fn a_failed_message_allocation_falls_back_to_a_static_message() {
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

    #[test]
    fn handle_free_catches_a_panicking_drop() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("drop");
            }
        }
        let mut handle: *mut Bomb = std::ptr::null_mut();
        unsafe { hand_out(&mut handle, Bomb) }.unwrap();
        unsafe { handle_free(handle) };
    }

    #[test]
    fn input_slice_checks_null_alignment_and_size() {
        let empty = unsafe { input_slice(std::ptr::null::<u32>(), 0, "v") }.expect("empty");
        assert!(empty.is_empty());
        let error = unsafe { input_slice(std::ptr::null::<u32>(), 2, "v") }.expect_err("NULL");
        assert_eq!(error.status, Status::NullArgument);
        assert_eq!(error.message, "argument 'v' is NULL but its length is 2");
        let words = [1u64, 2];
        let values = unsafe { input_slice(words.as_ptr().cast::<u32>(), 4, "v") }.expect("valid");
        assert_eq!(values.len(), 4);
        let misaligned = words.as_ptr().cast::<u8>().wrapping_add(2).cast::<u32>();
        let error = unsafe { input_slice(misaligned, 1, "v") }.expect_err("misaligned");
        assert_eq!(error.status, Status::InvalidArgument);
        assert!(
            error
                .message
                .starts_with("argument 'v' is not 4-byte aligned (address 0x"),
            "{}",
            error.message
        );
        let too_many = isize::MAX as usize / 4 + 1;
        let error = unsafe { input_slice(words.as_ptr().cast::<u32>(), too_many, "v") }
            .expect_err("too large");
        assert_eq!(error.status, Status::InvalidArgument);
        assert_eq!(
            error.message,
            format!("length of 'v' is too large: {too_many}")
        );
    }
}
