//! The C ABI. Every `extern "C"` function of the library lives under this module and follows
//! the conventions in the crate docs. Helpers here turn raw arguments into safe Rust values
//! with errors that name the function and the argument.

mod boundary;
mod handles;
mod inputs;
mod status;
mod text_out;

pub mod fuzzy;
pub mod levenshtein;
pub mod memory;
pub mod meta;
pub mod stats;
pub mod text;
pub mod words;

#[cfg(test)]
pub(crate) use boundary::message_of;
pub use boundary::{MYLIB_ERR_MAX_LEN, boundary, boundary_value};
pub use handles::{hand_out, handle_free, handle_mut, handle_ref};
pub use inputs::{check_array, input_bytes, input_slice, input_str, output_bytes, require_out};
pub(crate) use status::message;
pub use status::{Failure, MESSAGE_LOST, Status, UNKNOWN_STATUS_NAME, try_format};
pub use text_out::{MylibTextOut, TextOut, text_out};

/// Bumped whenever an export's signature or meaning changes. Hosts compare
/// `mylib_abi_version()` with the value they were written for and refuse a mismatch. The
/// only place the number is written: `npm run gen` copies it into the C header and into
/// `ABI_VERSION` of the TypeScript loader (`bindings/abi.generated.ts`).
pub const MYLIB_ABI_VERSION: u32 = 4;

/// The largest `threads` argument `mylib_closest` and `mylib_fuzzy_index_closest` accept
/// (0 means the available parallelism). Larger values are `MYLIB_ERR_INVALID_ARGUMENT`. The
/// only place the number is written for the C API: `npm run gen` copies it into the C header
/// and into `CONSTANTS` of the TypeScript bindings (`bindings/abi.generated.ts`).
pub const MYLIB_MAX_THREADS: u32 = 1024;
const _: () = assert!(MYLIB_MAX_THREADS as usize == crate::core::levenshtein::MAX_THREADS);
