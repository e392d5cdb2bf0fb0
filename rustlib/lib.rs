//! mylib: a std-only Rust library loaded at run time by Node.js through koffi.
//!
//! The crate has two layers. `core` is plain safe Rust with its own unit tests and knows
//! nothing about C. `ffi` is the only place with `extern "C"` functions.
//!
//! # FFI conventions
//!
//! Every export follows the FFI conventions written once in `docs/conventions.md` at the
//! repository root: names, status codes ([`ffi::Status`]), out-params, error messages, strings,
//! the NULL policy, ownership, the panic boundary ([`ffi::boundary`]), threads and the ABI
//! version ([`ffi::MYLIB_ABI_VERSION`]). Read them before adding or changing an export.

pub mod core;
pub mod ffi;
