//! Pointer arguments turned into safe Rust values: input slices and text, output buffers,
//! out-params. Each failure names the argument.

use super::{Failure, Status, message};

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

#[cfg(test)]
mod tests {
    use super::*;

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
