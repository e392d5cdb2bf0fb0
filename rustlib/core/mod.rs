//! Pure Rust kernels. No `unsafe`, no C types: the `ffi` module adapts them.

pub mod text;
