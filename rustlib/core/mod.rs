//! Pure Rust kernels. No `unsafe`, no C types: the `ffi` module adapts them.

pub mod levenshtein;
pub mod stats;
pub mod text;
pub mod words;
