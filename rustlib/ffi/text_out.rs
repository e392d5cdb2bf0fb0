//! Text results written into a caller's buffer, with their length and ASCII flag.

use std::marker::PhantomData;

use super::{Failure, Status, message, output_bytes, require_out};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{message_of, text};

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
}
