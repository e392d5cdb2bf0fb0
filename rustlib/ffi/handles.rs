//! Opaque handles: boxed Rust values lent to the caller, borrowed back by each call, freed once.

use super::{Failure, Status, boundary_value, message};

/// Hands `value` to the caller as a handle: writes `Box::into_raw` of a fallibly allocated
/// box to `*out`. Ownership passes to the caller, who frees it exactly once with the export
/// that calls [`handle_free`] for `T`. A failed allocation is `MYLIB_ERR_OUT_OF_MEMORY` and
/// leaves `*out` unwritten.
///
/// # Safety
/// `out` must be non-NULL (checked earlier with [`require_out`](super::require_out)) and writable.
pub unsafe fn hand_out<T>(out: *mut *mut T, value: T) -> Result<(), Failure> {
    let boxed = crate::core::try_box(value, "the handle")?;
    // SAFETY: forwarded from this function's contract.
    unsafe { *out = Box::into_raw(boxed) };
    Ok(())
}

/// Frees a handle made by [`hand_out`], dropping its value inside the panic boundary
/// ([`boundary_value`]: a panicking `Drop` does not unwind into C). NULL is ignored.
///
/// # Safety
/// A non-NULL `handle` must come from [`hand_out`] for the same `T` and not be freed before;
/// no other call may use it meanwhile or afterwards.
pub unsafe fn handle_free<T>(handle: *mut T) {
    boundary_value((), || {
        if !handle.is_null() {
            // SAFETY: made by Box::into_raw in hand_out and not freed before (contract).
            drop(unsafe { Box::from_raw(handle) });
        }
    })
}

/// Borrows the handle argument named `name` for reading. NULL is `MYLIB_ERR_NULL_ARGUMENT`
/// "argument '<name>' is NULL".
///
/// # Safety
/// A non-NULL `handle` must be live (from [`hand_out`], not freed) for `'a`, and not be
/// written by another thread meanwhile.
pub unsafe fn handle_ref<'a, T>(handle: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: forwarded from this function's contract.
    unsafe { handle.as_ref() }.ok_or_else(|| null_handle(name))
}

/// Borrows the handle argument named `name` for writing. NULL as for [`handle_ref`].
///
/// # Safety
/// A non-NULL `handle` must be live for `'a` and used by no other call meanwhile.
pub unsafe fn handle_mut<'a, T>(handle: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: forwarded from this function's contract.
    unsafe { handle.as_mut() }.ok_or_else(|| null_handle(name))
}

fn null_handle(name: &str) -> Failure {
    Failure::new(Status::NullArgument, message!("argument '{name}' is NULL"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_round_trip_and_null() {
        let mut handle: *mut String = std::ptr::null_mut();
        unsafe { hand_out(&mut handle, String::from("abc")) }.unwrap();
        assert!(!handle.is_null());
        assert_eq!(unsafe { handle_ref(handle, "h") }.expect("live"), "abc");
        unsafe { handle_mut(handle, "h") }.expect("live").push('d');
        assert_eq!(unsafe { &*handle }, "abcd");
        unsafe { handle_free(handle) };
        unsafe { handle_free(std::ptr::null_mut::<String>()) };

        let error = unsafe { handle_ref(std::ptr::null::<String>(), "counter") }.expect_err("NULL");
        assert_eq!(error.status, Status::NullArgument);
        assert_eq!(error.message, "argument 'counter' is NULL");
        let error =
            unsafe { handle_mut(std::ptr::null_mut::<String>(), "index") }.expect_err("NULL");
        assert_eq!(error.status, Status::NullArgument);
        assert_eq!(error.message, "argument 'index' is NULL");
    }
    #[test]
    fn a_failed_handle_allocation_is_out_of_memory_not_an_abort() {
        let mut handle: *mut [u64; 16] = std::ptr::null_mut();
        let error = crate::core::test_alloc::with_limit(64, || unsafe {
            hand_out(&mut handle, [7u64; 16])
        })
        .expect_err("a 128-byte handle above a 64-byte limit");
        assert_eq!(error.status, Status::OutOfMemory);
        assert!(error.message.contains("out of memory"), "{}", error.message);
        assert!(handle.is_null(), "out-param written on failure");
    }
    #[test]
    fn handle_free_catches_a_panicking_drop() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("drop");
            }
        }
        let mut handle: *mut Bomb = std::ptr::null_mut();
        unsafe { hand_out(&mut handle, Bomb) }.unwrap();
        unsafe { handle_free(handle) };
    }
}
