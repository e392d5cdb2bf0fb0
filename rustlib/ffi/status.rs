//! Status codes and failures: what a fallible export returns and the message it writes.

use std::borrow::Cow;
use std::ffi::CStr;

use crate::core::OutOfMemory;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
