//! Pure Rust kernels. No C types: the `ffi` module adapts them. The only `unsafe` is the call
//! into the AVX2 copy of the lane kernel, after run-time detection (`levenshtein_simd`).

pub mod levenshtein;
pub mod levenshtein_simd;
pub mod parallel;
pub mod pool;
pub mod stats;
pub mod text;
pub mod words;

use std::collections::TryReserveError;

/// An allocation whose size depends on the input failed. Every such allocation in `core` goes
/// through `try_reserve`, so a huge input becomes this error instead of an abort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory {
    /// What the memory was for, e.g. "the pattern's mask table".
    pub what: &'static str,
    /// The size that was asked for, in bytes (saturated).
    pub bytes: usize,
}

impl OutOfMemory {
    pub fn new<T>(what: &'static str, elements: usize) -> OutOfMemory {
        OutOfMemory {
            what,
            bytes: elements.saturating_mul(size_of::<T>()),
        }
    }

    /// Adapter for `try_reserve(...).map_err(OutOfMemory::of::<T>(what, n))`.
    pub fn of<T>(what: &'static str, elements: usize) -> impl FnOnce(TryReserveError) -> Self {
        move |_| OutOfMemory::new::<T>(what, elements)
    }
}

/// An empty vector with room for exactly `capacity` elements, or `OutOfMemory`.
pub fn try_vec<T>(capacity: usize, what: &'static str) -> Result<Vec<T>, OutOfMemory> {
    let mut vec = Vec::new();
    vec.try_reserve_exact(capacity)
        .map_err(OutOfMemory::of::<T>(what, capacity))?;
    Ok(vec)
}

/// `Box::new(value)`, or `OutOfMemory` (std has no stable `Box::try_new`).
pub fn try_box<T>(value: T, what: &'static str) -> Result<Box<T>, OutOfMemory> {
    let layout = std::alloc::Layout::new::<T>();
    if layout.size() == 0 {
        return Ok(Box::new(value));
    }
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { std::alloc::alloc(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(OutOfMemory::new::<T>(what, 1));
    }
    // SAFETY: `ptr` is a fresh, aligned block for one `T` from the global allocator, which
    // is how `Box` allocates; writing initialises it before the box owns it.
    unsafe {
        ptr.write(value);
        Ok(Box::from_raw(ptr))
    }
}

/// `vec![value; len]`, or `OutOfMemory`.
pub fn try_filled<T: Clone>(
    len: usize,
    value: T,
    what: &'static str,
) -> Result<Vec<T>, OutOfMemory> {
    let mut vec = try_vec(len, what)?;
    vec.resize(len, value);
    Ok(vec)
}

/// Pushes onto `vec`, reserving fallibly first.
pub fn try_push<T>(vec: &mut Vec<T>, value: T, what: &'static str) -> Result<(), OutOfMemory> {
    vec.try_reserve(1)
        .map_err(OutOfMemory::of::<T>(what, vec.len().saturating_add(1)))?;
    vec.push(value);
    Ok(())
}

/// Appends `text` to `out`, reserving fallibly first.
pub fn try_push_str(out: &mut String, text: &str, what: &'static str) -> Result<(), OutOfMemory> {
    out.try_reserve(text.len()).map_err(OutOfMemory::of::<u8>(
        what,
        out.len().saturating_add(text.len()),
    ))?;
    out.push_str(text);
    Ok(())
}

/// A test-only global allocator that refuses single allocations above a per-thread limit, so
/// tests can prove that a path turns allocation failure into `OutOfMemory` (an infallible
/// allocation would abort the test binary instead).
#[cfg(test)]
pub mod test_alloc {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Limited;

    thread_local! {
        static LIMIT: Cell<usize> = const { Cell::new(usize::MAX) };
    }

    /// A panicking thread is never limited: the panic hook allocates (message, backtrace).
    fn allowed(size: usize) -> bool {
        size <= LIMIT.try_with(Cell::get).unwrap_or(usize::MAX) || std::thread::panicking()
    }

    // SAFETY: forwards to System; only refuses (returns NULL), which GlobalAlloc allows.
    unsafe impl GlobalAlloc for Limited {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if !allowed(layout.size()) {
                return std::ptr::null_mut();
            }
            // SAFETY: same contract as ours.
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            if !allowed(layout.size()) {
                return std::ptr::null_mut();
            }
            // SAFETY: same contract as ours.
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            if !allowed(new_size) {
                return std::ptr::null_mut();
            }
            // SAFETY: same contract as ours.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: same contract as ours.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static GLOBAL: Limited = Limited;

    /// Runs `body` with single allocations above `bytes` refused on this thread.
    pub fn with_limit<R>(bytes: usize, body: impl FnOnce() -> R) -> R {
        let previous = LIMIT.with(|limit| limit.replace(bytes));
        let result = body();
        LIMIT.with(|limit| limit.set(previous));
        result
    }
}
