//! Work split over scoped threads: units claimed in chunks from a shared counter, progress
//! counted across threads and reported from the calling thread, one cancel flag for all.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The number of threads `requested` means: 0 is the available parallelism.
pub fn resolve_threads(requested: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The progress callback returned false.
#[derive(Debug, PartialEq, Eq)]
pub struct Cancelled;

/// Runs `work(state, unit)` once for every unit in `0..units`, on as many threads as there are
/// `states` (the calling thread uses the first). `work` returns how many items the unit held;
/// `progress(done, total)` runs on the calling thread between its chunks each time `done`
/// passes a multiple of `every` (never with `done == total`: the caller makes that final
/// call). When it returns false, every thread stops after its current chunk. A thread that
/// cannot be spawned is skipped (its state comes back untouched); a panic in a worker is
/// resumed on the calling thread. Returns the states, the caller's first.
pub fn run<S: Send>(
    mut states: Vec<S>,
    units: usize,
    chunk: usize,
    work: impl Fn(&mut S, usize) -> usize + Sync,
    total: usize,
    every: usize,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<Vec<S>, Cancelled> {
    let chunk = chunk.max(1);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let claim = |state: &mut S| -> bool {
        if cancel.load(Ordering::Relaxed) {
            return false;
        }
        let start = next.fetch_add(chunk, Ordering::Relaxed);
        if start >= units {
            return false;
        }
        let items: usize = (start..units.min(start + chunk))
            .map(|unit| work(state, unit))
            .sum();
        done.fetch_add(items, Ordering::Relaxed);
        true
    };
    if states.len() == 1 {
        // One thread: no scope, no thread handle (`std::thread::current()` allocates one per
        // host thread that std only frees at that thread's exit: valgrind reports it for a C
        // program's main thread).
        let mut next_report = every;
        while claim(&mut states[0]) {
            let now = done.load(Ordering::Relaxed);
            while next_report <= now && next_report < total {
                if !progress(next_report, total) {
                    return Err(Cancelled);
                }
                next_report += every;
            }
        }
        return Ok(states);
    }
    let mut caller = states.remove(0);
    let (others, cancelled) = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        let mut kept = Vec::new();
        for mut state in states.drain(..) {
            let claim = &claim;
            // The state moves into the thread and back out; if the spawn fails it is lost
            // unused, which only drops an empty result heap.
            let caller = std::thread::current();
            match std::thread::Builder::new().spawn_scoped(scope, move || {
                // Wakes the caller when it waits for the last chunks (below).
                while claim(&mut state) {
                    caller.unpark();
                }
                caller.unpark();
                state
            }) {
                Ok(handle) => handles.push(handle),
                Err(_) => break,
            }
        }
        // Every multiple of `every` below `total` is reported once, in order, as soon as the
        // calling thread sees it passed (a worker may pass several while the caller works).
        let mut next_report = every;
        let mut report = |now: usize| -> bool {
            while next_report <= now && next_report < total {
                if !progress(next_report, total) {
                    cancel.store(true, Ordering::Relaxed);
                    return false;
                }
                next_report += every;
            }
            true
        };
        let mut cancelled = false;
        while claim(&mut caller) {
            if !report(done.load(Ordering::Relaxed)) {
                cancelled = true;
                break;
            }
        }
        // The workers finish their last chunks; keep reporting meanwhile.
        while !cancelled {
            let finished = handles.iter().all(|h| h.is_finished());
            if !report(done.load(Ordering::Relaxed)) {
                cancelled = true;
            }
            if finished {
                break;
            }
            // Parked, not spinning: the workers unpark after every chunk and when they end.
            std::thread::park_timeout(std::time::Duration::from_millis(1));
        }
        for handle in handles {
            match handle.join() {
                Ok(state) => kept.push(state),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        (kept, cancelled)
    });
    if cancelled {
        return Err(Cancelled);
    }
    let mut all = Vec::with_capacity(others.len() + 1);
    all.push(caller);
    all.extend(others);
    Ok(all)
}
