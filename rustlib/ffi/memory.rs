//! Library-owned byte buffers, for hosts that must place data in the library's own memory
//! (a wasm instance's linear memory) and for results the library allocates.

use super::boundary_value;

/// Allocates `len` zeroed bytes owned by the library.
///
/// Returns NULL when `len` is 0 or the allocation fails. Ownership passes to the caller, who
/// must release the buffer exactly once with `mylib_bytes_free(ptr, len)` (same `len`), never
/// with libc `free()`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn mylib_bytes_alloc(len: usize) -> *mut u8 {
    boundary_value(std::ptr::null_mut(), || {
        if len == 0 || len > isize::MAX as usize {
            return std::ptr::null_mut();
        }
        Box::into_raw(vec![0u8; len].into_boxed_slice()).cast::<u8>()
    })
}

/// Frees a buffer from `mylib_bytes_alloc` or from an export whose doc says "free with
/// mylib_bytes_free". NULL is accepted and ignored. Thread-safe.
///
/// # Safety
/// `ptr` must come from this library with exactly this `len`, and not be freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mylib_bytes_free(ptr: *mut u8, len: usize) {
    boundary_value((), || {
        if !ptr.is_null() {
            // SAFETY: `ptr`/`len` describe a boxed slice this library leaked (caller contract).
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
        }
    })
}

/// Hands a byte vector to the caller as a (pointer, length) pair to free with
/// `mylib_bytes_free`. An empty vector becomes (NULL, 0).
pub fn into_raw_bytes(bytes: Vec<u8>) -> (*mut u8, usize) {
    if bytes.is_empty() {
        return (std::ptr::null_mut(), 0);
    }
    let boxed = bytes.into_boxed_slice();
    let len = boxed.len();
    (Box::into_raw(boxed).cast::<u8>(), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_and_free_round_trip() {
        assert!(mylib_bytes_alloc(0).is_null());
        let ptr = mylib_bytes_alloc(16);
        assert!(!ptr.is_null());
        unsafe { mylib_bytes_free(ptr, 16) };
        unsafe { mylib_bytes_free(std::ptr::null_mut(), 0) };
        let (ptr, len) = into_raw_bytes(b"abc".to_vec());
        assert_eq!(len, 3);
        unsafe { mylib_bytes_free(ptr, len) };
        assert!(into_raw_bytes(Vec::new()).0.is_null());
    }
}
