//! Work split over the library's worker threads (`pool`): units claimed in chunks from a
//! shared counter, progress counted across threads and reported from the calling thread, one
//! cancel flag for all. The calling thread always works; workers only help.

use super::pool::{POOL, Payload, Pool, Posted, Task};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

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
    let started = (helpers > 0).then(Instant::now);
    let mut posted: Option<Posted> = if helpers == 0 || !pool.should_post(units) {
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
    if let (Some(started), false) = (started, cancelled) {
        let seconds = started.elapsed().as_secs_f64();
        match &posted {
            // Starting a thread is a one-time cost: it says nothing about later calls.
            Some(posted) if posted.started_a_worker() => {}
            Some(_) => pool.record_posted(units, seconds),
            None => pool.record_alone(units, seconds),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pool::spawn_thread;
    use std::sync::atomic::AtomicU64;
    use std::thread::ThreadId;
    use std::time::Duration;

    fn no_progress(_: usize, _: usize) -> bool {
        true
    }

    /// Spins until `flag` is set; a hang guard, not a timing assertion.
    fn wait_for(flag: &AtomicBool) {
        let start = Instant::now();
        while !flag.load(Ordering::SeqCst) {
            assert!(start.elapsed() < Duration::from_secs(60), "no worker came");
            std::thread::yield_now();
        }
    }

    /// Sums of the units each state saw, plus how many.
    fn sum_run(pool: &'static Pool, threads: usize, units: usize) -> Vec<(u64, u64)> {
        run_on(
            pool,
            vec![(0u64, 0u64); threads],
            units,
            3,
            |state, unit| {
                state.0 += unit as u64;
                state.1 += 1;
                1
            },
            units,
            64,
            &mut no_progress,
        )
        .unwrap()
    }

    fn totals(states: &[(u64, u64)]) -> (u64, u64) {
        states.iter().fold((0, 0), |a, s| (a.0 + s.0, a.1 + s.1))
    }

    #[test]
    fn every_unit_once_under_many_concurrent_calls() {
        static POOL: Pool = Pool::new(spawn_thread, || 3, false);
        std::thread::scope(|scope| {
            for caller in 0..8 {
                scope.spawn(move || {
                    for call in 0..150 {
                        let units = 1 + (caller * 131 + call * 17) % 900;
                        let threads = 1 + (caller + call) % 5;
                        let caller_id = std::thread::current().id();
                        let mut reports = Vec::new();
                        let states = run_on(
                            &POOL,
                            vec![(0u64, 0u64); threads],
                            units,
                            1 + call % 4,
                            |state, unit| {
                                state.0 += unit as u64;
                                state.1 += 1;
                                1
                            },
                            units,
                            50,
                            &mut |done, total| {
                                assert_eq!(std::thread::current().id(), caller_id);
                                reports.push((done, total));
                                true
                            },
                        )
                        .unwrap();
                        assert_eq!(states.len(), threads);
                        let n = units as u64;
                        assert_eq!(totals(&states), (n * (n - 1) / 2, n));
                        let expected: Vec<_> =
                            (50..units).step_by(50).map(|d| (d, units)).collect();
                        assert_eq!(reports, expected);
                    }
                });
            }
        });
        assert!((1..=3).contains(&POOL.workers()), "{}", POOL.workers());
    }

    #[test]
    fn one_thread_never_touches_the_pool() {
        fn forbidden(_: &'static Pool) -> std::io::Result<()> {
            panic!("a one-thread call started a worker");
        }
        static POOL: Pool = Pool::new(forbidden, || 3, false);
        let states = sum_run(&POOL, 1, 100);
        assert_eq!(totals(&states), (4950, 100));
        assert_eq!((POOL.posts(), POOL.workers()), (0, 0));
    }

    #[test]
    fn refused_spawns_leave_the_caller_alone() {
        fn refuse(_: &'static Pool) -> std::io::Result<()> {
            Err(std::io::Error::other("no threads today"))
        }
        static POOL: Pool = Pool::new(refuse, || 3, false);
        for _ in 0..3 {
            let states = sum_run(&POOL, 4, 1000);
            assert_eq!(states[0], (499_500, 1000));
            assert_eq!(&states[1..], &[(0, 0); 3]);
        }
        assert_eq!(POOL.workers(), 0);
    }

    #[test]
    fn a_worker_that_never_runs_is_never_waited_for() {
        // The pool counts a worker that the scheduler never runs.
        fn never(_: &'static Pool) -> std::io::Result<()> {
            Ok(())
        }
        static POOL: Pool = Pool::new(never, || 1, false);
        let states = sum_run(&POOL, 2, 1000);
        assert_eq!(states, vec![(499_500, 1000), (0, 0)]);
        assert_eq!((POOL.posts(), POOL.workers()), (1, 1));
        // It starts late: the finished call is gone, and the next one can use it.
        spawn_thread(&POOL).unwrap();
        let states = sum_run(&POOL, 2, 1000);
        assert_eq!(totals(&states), (499_500, 1000));
    }

    #[test]
    fn calls_run_alone_for_a_while_after_helpers_cost_more_than_they_saved() {
        fn never(_: &'static Pool) -> std::io::Result<()> {
            Ok(())
        }
        static POOL: Pool = Pool::new(never, || 1, true);
        // Records a call's score; returns how many calls then run alone.
        let alone = |gain: f64| {
            POOL.score(1000, gain);
            (0..1000).take_while(|_| !POOL.should_post(1000)).count()
        };
        // The first calls of a class run alone until one has been timed.
        assert!(!POOL.should_post(1000));
        POOL.record_alone(1000, 1e-3);
        assert!(POOL.should_post(1000));
        // A loss that makes the mean negative: 1, then 2 calls alone.
        assert_eq!(alone(-0.5), 1);
        assert_eq!(alone(-0.5), 2);
        // A gain halves the run while the mean is still negative; then none.
        assert_eq!(alone(0.5), 1);
        assert_eq!(alone(0.5), 0);
        assert_eq!(alone(-0.5), 1);
        // Scores are clamped to -1..1: one huge gain does not outweigh a loss for long.
        assert_eq!(alone(1e9), 0);
        assert_eq!(alone(-1.0), 1);
        // Other sizes are another class.
        POOL.score(1000, -1.0);
        assert!(!POOL.should_post(100_000));
        POOL.record_alone(100_000, 1e-3);
        assert!(POOL.should_post(100_000));
        let runs: Vec<_> = (0..12).map(|_| alone(-1.0)).collect();
        assert_eq!(runs, [4, 8, 16, 32, 64, 128, 256, 256, 256, 256, 256, 256]);
        // A call told to run alone posts nothing and leaves the other states untouched.
        POOL.score(1000, -1.0);
        let posts = POOL.posts();
        assert_eq!(sum_run(&POOL, 2, 1000), vec![(499_500, 1000), (0, 0)]);
        assert_eq!(POOL.posts(), posts);
    }

    /// A call on `pool` whose caller stalls in its first unit until a worker has run one, so
    /// that a worker surely joins; `worker` then runs on the worker's units.
    fn with_worker(
        pool: &'static Pool,
        worker: impl Fn(&mut u64, usize) + Sync,
        caller_after: impl Fn() + Sync,
    ) -> Result<Vec<u64>, Cancelled> {
        let caller: ThreadId = std::thread::current().id();
        let came = AtomicBool::new(false);
        run_on(
            pool,
            vec![0u64; 2],
            64,
            1,
            |state, unit| {
                if std::thread::current().id() == caller {
                    wait_for(&came);
                    caller_after();
                } else {
                    came.store(true, Ordering::SeqCst);
                    worker(state, unit);
                }
                *state += 1;
                1
            },
            64,
            1 << 20,
            &mut no_progress,
        )
    }

    #[test]
    fn a_worker_panic_is_resumed_on_the_caller_and_the_pool_survives() {
        static POOL: Pool = Pool::new(spawn_thread, || 1, false);
        let result = catch_unwind(|| with_worker(&POOL, |_, _| panic!("boom in a worker"), || {}));
        let payload = result.expect_err("the worker's panic reached the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in a worker"));
        let states = with_worker(&POOL, |_, _| {}, || {}).unwrap();
        assert_eq!(states.iter().sum::<u64>(), 64);
        assert!(states[1] > 0, "the worker helped again");
        assert_eq!(POOL.workers(), 1);
    }

    #[test]
    fn run_returns_only_after_the_joined_workers_left() {
        static POOL: Pool = Pool::new(spawn_thread, || 1, false);
        let inside = AtomicU64::new(0);
        let slow = |_: &mut u64, _: usize| {
            inside.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            inside.fetch_sub(1, Ordering::SeqCst);
        };
        let states = with_worker(&POOL, slow, || {}).unwrap();
        assert_eq!(inside.load(Ordering::SeqCst), 0);
        assert_eq!(states.iter().sum::<u64>(), 64);
        // Also when the caller panics while a worker is inside `work`.
        let result = catch_unwind(AssertUnwindSafe(|| {
            with_worker(&POOL, slow, || panic!("boom in the caller"))
        }));
        assert!(result.is_err());
        assert_eq!(inside.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn cancel_stops_every_thread() {
        static POOL: Pool = Pool::new(spawn_thread, || 3, false);
        let ran = AtomicUsize::new(0);
        let reported = AtomicBool::new(false);
        let caller = std::thread::current().id();
        let mut calls = 0;
        let result = run_on(
            &POOL,
            vec![(); 4],
            100_000,
            1,
            |_, _| {
                // Workers hold their first unit until the caller has cancelled.
                if std::thread::current().id() != caller {
                    wait_for(&reported);
                }
                ran.fetch_add(1, Ordering::SeqCst);
                1
            },
            100_000,
            100,
            &mut |_, _| {
                calls += 1;
                reported.store(true, Ordering::SeqCst);
                false
            },
        );
        assert_eq!(result, Err(Cancelled));
        assert_eq!(calls, 1);
        let after = ran.load(Ordering::SeqCst);
        // The caller's 100 units, then at most one more per worker.
        assert!((100..=103).contains(&after), "{after}");
        std::thread::sleep(Duration::from_millis(10));
        assert_eq!(
            ran.load(Ordering::SeqCst),
            after,
            "a unit ran after run returned"
        );
    }

    #[test]
    fn a_job_posted_while_the_worker_spins_or_sleeps_is_joined() {
        static POOL: Pool = Pool::new(spawn_thread, || 1, false);
        // Each call waits (60 s at most) until the worker joins it: a lost wake-up fails.
        for gap_us in [0u64, 0, 20, 100, 300, 2000, 0, 5000, 50, 0].repeat(5) {
            let states = with_worker(&POOL, |_, _| {}, || {}).unwrap();
            assert_eq!(states.iter().sum::<u64>(), 64);
            std::thread::sleep(Duration::from_micros(gap_us));
        }
        assert_eq!(POOL.workers(), 1);
    }

    #[test]
    fn an_idle_worker_stops_spinning_and_sleeps() {
        static POOL: Pool = Pool::new(spawn_thread, || 1, false);
        with_worker(&POOL, |_, _| {}, || {}).unwrap();
        let start = Instant::now();
        while POOL.sleeping() != 1 {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the worker never slept"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn the_call_that_starts_a_worker_is_not_scored() {
        static POOL: Pool = Pool::new(spawn_thread, || 1, true);
        // The first call of a class runs alone and gives the rate; the next one posts.
        assert_eq!(sum_run(&POOL, 2, 1000)[1], (0, 0));
        assert_eq!((POOL.posts(), POOL.workers(), POOL.scored(1000)), (0, 0, 0));
        sum_run(&POOL, 2, 1000);
        assert_eq!((POOL.posts(), POOL.workers(), POOL.scored(1000)), (1, 1, 0));
        sum_run(&POOL, 2, 1000);
        assert_eq!((POOL.posts(), POOL.scored(1000)), (2, 1));
    }
}
