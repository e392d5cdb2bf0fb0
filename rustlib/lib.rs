//! mylib: a std-only Rust library loaded at run time by Node.js through koffi.
//!
//! The crate has two layers. `core` is plain safe Rust with its own unit tests and knows
//! nothing about C. `ffi` is the only place with `extern "C"` functions; every export
//! follows the conventions below. The README repeats them for TypeScript readers.
//!
//! # FFI conventions
//!
//! 1. **Names.** Every exported symbol starts with `mylib_` and is named
//!    `mylib_<thing>_<verb>`. Exports use `#[unsafe(no_mangle)] pub extern "C"`.
//! 2. **Status codes.** Every fallible export returns an `i32` status from [`ffi::Status`].
//!    The numbers are stable: new codes may be added, existing ones never change meaning.
//!    `0` is success.
//! 3. **Results** travel through out-params that are written ONLY when the status is
//!    `MYLIB_OK`. One documented exception: `MYLIB_ERR_BUFFER_TOO_SMALL` writes the required
//!    length to the length out-param so the caller can grow its buffer and call again.
//! 4. **Error messages** come back through the call itself: fallible exports take a caller
//!    buffer `err`/`err_cap`. On failure, a UTF-8 message (truncated at a character
//!    boundary) and a terminating NUL are written there. Nothing is kept in thread-local
//!    storage, so calls made on koffi's worker threads (`.async`) report errors correctly.
//!    `err` may be NULL or `err_cap` 0: the message is then dropped, the status still says
//!    what happened.
//! 5. **Strings** cross as UTF-8 bytes plus a length (`*const u8`, `usize`), never as
//!    NUL-terminated C strings, so U+0000 is ordinary data. Text inputs are validated;
//!    invalid UTF-8 gives `MYLIB_ERR_INVALID_UTF8`.
//! 6. **NULL policy.** An input pointer may be NULL only when its length is 0 (an empty
//!    input). Out-params must not be NULL (`MYLIB_ERR_NULL_ARGUMENT`), except `err`.
//!    Every `mylib_*_free` accepts NULL and does nothing.
//! 7. **Ownership.** Memory the library allocates is freed only by the library, with the
//!    `mylib_*_free` function named in the export's doc comment, exactly once. Caller
//!    memory (inputs, out buffers, `err`) is borrowed for the duration of the call only.
//! 8. **Panics.** Every export runs its body inside ONE panic boundary
//!    ([`ffi::boundary`]), which uses `catch_unwind`. A panic becomes `MYLIB_ERR_PANIC` with
//!    the panic message in `err`; exports without a status return a documented fallback
//!    value. The release profile keeps `panic = "unwind"` or nothing would be caught.
//! 9. **Threads.** Functions without a handle are thread-safe and may run on any thread
//!    concurrently. A handle may be used from one thread at a time; the caller serialises.
//! 10. **Memory.** Every allocation whose size depends on an input is fallible
//!     (`try_reserve` and friends, `std::alloc` for `mylib_bytes_alloc`): when it fails the
//!     export returns `MYLIB_ERR_OUT_OF_MEMORY` (or NULL where it has no status) and the
//!     process keeps running. Memory use is linear in the inputs (for edit distance: in the
//!     query, never in the alphabet). Small fixed-size allocations (handles, messages) are
//!     not checked.
//! 11. **ABI version.** [`ffi::MYLIB_ABI_VERSION`] changes whenever any export's signature or
//!     meaning changes; loaders refuse a library whose version differs from theirs.

pub mod core;
pub mod ffi;
