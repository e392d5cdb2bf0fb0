//! Work split over the library's worker threads (`pool`): units claimed in chunks from a
//! shared counter, progress counted across threads and reported from the calling thread, one
//! cancel flag for all. The calling thread always works; workers only help.

use super::pool::{POOL, Payload, Pool, Posted, Task};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The number of threads `requested` means: 0 is the available parallelism.
pub fn resolve_threads(requested: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    cores()
}

/// `available_parallelism`, read once: on Linux it reads cgroup files, which cost more than a
/// small search.
pub fn cores() -> usize {
    static CORES: AtomicUsize = AtomicUsize::new(0);
    match CORES.load(Ordering::Relaxed) {
        0 => {
            let n = std::thread::available_parallelism().map_or(1, |n| n.get());
            CORES.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// The progress callback returned false.
#[derive(Debug, PartialEq, Eq)]
pub struct Cancelled;

/// Runs `work(state, unit)` once for every unit in `0..units`, on the calling thread (with the
/// first of `states`) and on up to `states.len() - 1` of the library's worker threads, one
/// state each. `work` returns how many items the unit held; `progress(done, total)` runs on
/// the calling thread between its chunks each time `done` passes a multiple of `every` (never
/// with `done == total`: the caller makes that final call). When it returns false, every
/// thread stops after its current chunk. Workers only help: when none is free (busy with
/// other calls, not scheduled, or never started because a spawn failed) the calling thread
/// does the units itself, and the states of the workers that did not join come back
/// untouched. Every worker has left before this returns; a panic in a worker is resumed on
/// the calling thread. One state never touches the pool. Returns the states, the caller's
/// first.
pub fn run<S: Send>(
    states: Vec<S>,
    units: usize,
    chunk: usize,
    work: impl Fn(&mut S, usize) -> usize + Sync,
    total: usize,
    every: usize,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<Vec<S>, Cancelled> {
    run_on(&POOL, states, units, chunk, work, total, every, progress)
}

/// What every thread of one call shares.
struct Job<S, W> {
    work: W,
    units: usize,
    chunk: usize,
    next: AtomicUsize,
    done: AtomicUsize,
    cancel: AtomicBool,
    /// The states; slot `i` belongs to one thread only (0: the caller).
    states: *mut S,
    panic: Mutex<Option<Payload>>,
}

impl<S, W: Fn(&mut S, usize) -> usize> Job<S, W> {
    /// Runs one more chunk; false when there is none left or the call is cancelled.
    fn claim(&self, state: &mut S) -> bool {
        if self.cancel.load(Ordering::Relaxed) {
            return false;
        }
        let start = self.next.fetch_add(self.chunk, Ordering::Relaxed);
        if start >= self.units {
            return false;
        }
        let items: usize = (start..self.units.min(start + self.chunk))
            .map(|unit| (self.work)(state, unit))
            .sum();
        self.done.fetch_add(items, Ordering::Relaxed);
        true
    }
}

/// `Task::help` for a `Job<S, W>`: claims chunks with the state in `slot` until none is left.
///
/// # Safety
/// `data` points to a live `Job<S, W>`, and no other thread uses `states[slot]` meanwhile.
unsafe fn help<S: Send, W: Fn(&mut S, usize) -> usize + Sync>(data: *const (), slot: usize) {
    // SAFETY: the caller's contract; `S: Send` and `W: Sync` make the cross-thread use sound.
    let job = unsafe { &*data.cast::<Job<S, W>>() };
    // SAFETY: `slot` is below `states.len()` (the pool hands out 1..=len-1) and this worker's.
    let state = unsafe { &mut *job.states.add(slot) };
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| while job.claim(state) {})) {
        job.cancel.store(true, Ordering::Relaxed);
        let mut first = job.panic.lock().unwrap_or_else(|p| p.into_inner());
        if first.is_none() {
            *first = Some(payload);
        }
    }
}

/// Sets the cancel flag when the caller unwinds, so that the workers stop at their next chunk
/// while `Posted`'s drop (declared before, so dropped after) waits for them.
struct CancelOnUnwind<'a>(&'a AtomicBool);

impl Drop for CancelOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// `run` on a given pool.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_on<S: Send, W: Fn(&mut S, usize) -> usize + Sync>(
    pool: &'static Pool,
    mut states: Vec<S>,
    units: usize,
    chunk: usize,
    work: W,
    total: usize,
    every: usize,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<Vec<S>, Cancelled> {
    let helpers = states.len().saturating_sub(1);
    let job = Job {
        work,
        units,
        chunk: chunk.max(1),
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        cancel: AtomicBool::new(false),
        states: states.as_mut_ptr(),
        panic: Mutex::new(None),
    };
    // Every multiple of `every` below `total` is reported once, in order, as soon as the
    // calling thread sees it passed (a worker may pass several while the caller works).
    let mut next_report = every;
    let mut report = |now: usize| -> bool {
        while next_report <= now && next_report < total {
            if !progress(next_report, total) {
                job.cancel.store(true, Ordering::Relaxed);
                return false;
            }
            next_report += every;
        }
        true
    };
    let task = Task {
        data: (&raw const job).cast(),
        help: help::<S, W>,
    };
    // One state: no pool, no lock, no thread.
    let mut posted: Option<Posted> = if helpers == 0 {
        None
    } else {
        // SAFETY: `job` outlives `posted` (declared before it), and `posted` is finished or
        // dropped on every path out of this function (never forgotten). The caller only uses
        // `states[0]` until then; the pool gives each worker its own slot in 1..=helpers.
        unsafe { pool.post(task, helpers) }
    };
    let _cancel_on_unwind = CancelOnUnwind(&job.cancel);
    // SAFETY: slot 0 is the caller's alone; `states` is not touched until the workers left.
    let caller = unsafe { &mut *job.states };
    let mut cancelled = false;
    while job.claim(caller) {
        if !report(job.done.load(Ordering::Relaxed)) {
            cancelled = true;
            break;
        }
    }
    if let Some(posted) = posted.as_mut() {
        // The workers finish their last chunks; keep reporting meanwhile.
        posted.finish(&mut || {
            if !cancelled && !report(job.done.load(Ordering::Relaxed)) {
                cancelled = true;
            }
        });
    }
    drop(posted);
    let panic = job.panic.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(payload) = panic {
        resume_unwind(payload);
    }
    if cancelled || !report(job.done.load(Ordering::Relaxed)) {
        return Err(Cancelled);
    }
    Ok(states)
}
