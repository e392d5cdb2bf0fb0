//! Library-owned byte buffers, for hosts that must place data in the library's own memory
//! (a wasm instance's linear memory) and for results the library allocates.

use std::alloc::{Layout, alloc_zeroed};

use super::boundary_value;

/// Allocates `len` zeroed bytes owned by the library.
///
/// Returns NULL when `len` is 0, larger than `PTRDIFF_MAX`, or the allocation fails (never
/// aborts: the size goes to the allocator as a request that may fail). Ownership passes to
/// the caller, who must release the buffer exactly once with `mylib_bytes_free(ptr, len)`
/// (same `len`), never with libc `free()`. No status: NULL is the only failure. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn mylib_bytes_alloc(len: usize) -> *mut u8 {
    boundary_value(std::ptr::null_mut(), || {
        let Ok(layout) = Layout::array::<u8>(len) else {
            return std::ptr::null_mut();
        };
        if len == 0 {
            return std::ptr::null_mut();
        }
        // SAFETY: the layout has a non-zero size. The block matches the layout of a
        // `Box<[u8]>` of `len` bytes, which is how `mylib_bytes_free` releases it.
        unsafe { alloc_zeroed(layout) }
    })
}

/// Frees a buffer from `mylib_bytes_alloc` or from an export whose doc says "free with
/// mylib_bytes_free". NULL is accepted and ignored. Infallible; thread-safe.
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

    #[test]
    fn a_failed_allocation_returns_null_instead_of_aborting() {
        assert!(mylib_bytes_alloc(usize::MAX).is_null());
        assert!(mylib_bytes_alloc(isize::MAX as usize + 1).is_null());
        // The test allocator refuses this one, as a real allocator refuses 2^40 bytes here.
        let refused = crate::core::test_alloc::with_limit(1 << 20, || mylib_bytes_alloc(2 << 20));
        assert!(refused.is_null());
        let ptr = mylib_bytes_alloc(64);
        assert!(
            unsafe { std::slice::from_raw_parts(ptr, 64) }
                .iter()
                .all(|&b| b == 0)
        );
        unsafe { mylib_bytes_free(ptr, 64) };
    }
}
