//! Worker threads started once and shared by every parallel call (`parallel::run`).
//!
//! A caller posts a job and works on it itself; idle workers join it while it is open. The
//! caller then closes it (no worker joins after that) and waits only for the workers that
//! joined. A worker that is not scheduled in time never joins, and is never waited for.
//! Waking a sleeping thread takes tens of microseconds, as long as a small call, so a worker
//! that finished a job, and a caller whose helpers are finishing, spin for `SPIN` before
//! they sleep: calls made one after another find the worker awake.
//! There are at most `available_parallelism - 1` workers in the process (the callers are the
//! other threads), started as calls first ask for them and never joined. Calls of a size
//! whose helpers lately cost more than they saved run alone for a while (`Pace`).

use std::any::Any;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A panic's payload, as `catch_unwind` returns it.
pub type Payload = Box<dyn Any + Send>;

/// What a worker that joins a job runs: `help(data, slot)`, once per worker, with a distinct
/// `slot` in `1..=helpers`. `help` must not unwind.
#[derive(Clone, Copy)]
pub struct Task {
    pub data: *const (),
    pub help: unsafe fn(*const (), usize),
}

// SAFETY: `data` is only dereferenced by `help`, whose poster guarantees it is valid (and
// shareable) until every worker that joined has returned from `help` (see `Posted`).
unsafe impl Send for Task {}

/// Starts one worker thread running `Pool::work` (a test can refuse, or never run it).
pub type Spawn = fn(&'static Pool) -> std::io::Result<()>;

pub struct Pool {
    state: Mutex<State>,
    /// Idle workers wait here for a job.
    wake: Condvar,
    /// Jobs posted so far; a spinning worker watches it instead of waiting on `wake`.
    generation: AtomicU64,
    /// Callers wait here for the workers still inside their closed job.
    left: Condvar,
    spawn: Spawn,
    /// The most workers this pool starts.
    limit: fn() -> usize,
    /// Per size class (log2 of the units), whether waking workers paid off lately; `None`:
    /// always post.
    pace: Option<[Pace; CLASSES]>,
}

const CLASSES: usize = 24;
/// The most calls in a row that run alone after calls that helping made slower.
const MAX_BACKOFF: u32 = 256;
/// One in this many posted calls is followed by a call alone.
const REFRESH: u32 = 64;
/// How long a worker looks for the next job, and a caller for its helpers to leave, before
/// sleeping.
const SPIN: Duration = Duration::from_micros(200);

/// Waking a worker is not free: on a machine whose cores are busy the scheduler often runs
/// the woken worker in place of the caller, which then waits for a time slice (milliseconds)
/// and loses more than the worker saves. So each size class compares: calls that ran alone
/// give a time per unit; each posted call scores the time that rate predicts minus the time
/// it took, relative to the prediction (from -1 to 1). While the running mean of the scores
/// is negative, the next calls run alone: a loss doubles that run (1, 2, 4 ... `MAX_BACKOFF`
/// calls), a gain halves it. The first call of a class, and one in `REFRESH` posted calls,
/// run alone to keep the rate current.
struct Pace {
    /// Seconds per unit of the calls that ran alone (running mean, weight 1/8; f64 bits; 0:
    /// none yet).
    alone: AtomicU64,
    /// Posted calls so far.
    posted: AtomicU32,
    /// The running mean (weight 1/8) of the scores, in 1/1024.
    score: AtomicI32,
    /// Calls still to run alone.
    skip: AtomicU32,
    /// The length of the next run alone.
    backoff: AtomicU32,
}

struct State {
    jobs: Vec<Entry>,
    next_id: u64,
    /// Workers started (or being started).
    workers: usize,
    /// Workers sleeping on `wake` (not those spinning).
    idle: usize,
    /// `limit()`, read once; lowered when a spawn is refused.
    cap: Option<usize>,
    #[cfg(test)]
    posts: usize,
}

struct Entry {
    id: u64,
    task: Task,
    helpers: usize,
    joined: usize,
    /// Workers inside `help` now.
    active: usize,
    open: bool,
}

fn lock(mutex: &Mutex<State>) -> MutexGuard<'_, State> {
    // Nothing panics while the lock is held; a poisoned lock still holds consistent counts.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The pool every `parallel::run` uses.
pub static POOL: Pool = Pool::new(spawn_thread, one_less_than_cores, true);

/// Starts a worker on a new std thread.
pub fn spawn_thread(pool: &'static Pool) -> std::io::Result<()> {
    #[cfg(windows)]
    pin_library();
    std::thread::Builder::new()
        .name("mylib-pool".into())
        .spawn(move || pool.work())
        .map(drop)
}

/// Workers live as long as the process, so the library's code must too: on Windows a
/// `FreeLibrary` (an `unload()`) would unmap it under them. Pinning the module makes every later
/// `FreeLibrary` a no-op, as `-z nodelete` does on ELF (build.rs). macOS keeps an image with
/// thread-local storage mapped.
#[cfg(windows)]
fn pin_library() {
    use std::ffi::c_void;
    unsafe extern "system" {
        fn GetModuleHandleExW(flags: u32, name: *const u16, module: *mut *mut c_void) -> i32;
    }
    const PIN: u32 = 0x1;
    const FROM_ADDRESS: u32 = 0x4;
    static PINNED: std::sync::Once = std::sync::Once::new();
    PINNED.call_once(|| {
        let mut module = std::ptr::null_mut();
        // SAFETY: FROM_ADDRESS reads `name` as an address inside this module; `module` is a valid
        // out-pointer. A failure leaves the library unpinned, as it was before.
        unsafe { GetModuleHandleExW(PIN | FROM_ADDRESS, pin_library as *const u16, &mut module) };
    });
}

fn one_less_than_cores() -> usize {
    super::parallel::cores() - 1
}

impl Pool {
    /// A pool; `paced`: decide per size class whether to post at all (see `Pace`).
    pub const fn new(spawn: Spawn, limit: fn() -> usize, paced: bool) -> Pool {
        Pool {
            state: Mutex::new(State {
                jobs: Vec::new(),
                next_id: 0,
                workers: 0,
                idle: 0,
                cap: None,
                #[cfg(test)]
                posts: 0,
            }),
            wake: Condvar::new(),
            generation: AtomicU64::new(0),
            left: Condvar::new(),
            spawn,
            limit,
            pace: if paced {
                Some(
                    [const {
                        Pace {
                            alone: AtomicU64::new(0),
                            posted: AtomicU32::new(0),
                            score: AtomicI32::new(0),
                            skip: AtomicU32::new(0),
                            backoff: AtomicU32::new(0),
                        }
                    }; CLASSES],
                )
            } else {
                None
            },
        }
    }

    fn pace(&self, units: usize) -> Option<&Pace> {
        let class = (usize::BITS - units.leading_zeros()) as usize;
        self.pace.as_ref().map(|p| &p[class.min(CLASSES - 1)])
    }

    /// Whether a call of `units` should post its job (false: it runs alone, see `Pace`).
    pub fn should_post(&self, units: usize) -> bool {
        let Some(pace) = self.pace(units) else {
            return true;
        };
        pace.alone.load(Ordering::Relaxed) != 0
            && pace
                .skip
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_err()
    }

    /// A call of `units` that ran alone took `seconds`.
    pub fn record_alone(&self, units: usize, seconds: f64) {
        let Some(pace) = self.pace(units) else {
            return;
        };
        let rate = seconds / units.max(1) as f64;
        let mean = f64::from_bits(pace.alone.load(Ordering::Relaxed));
        let mean = if mean > 0.0 {
            mean + (rate - mean) / 8.0
        } else {
            rate
        };
        pace.alone
            .store(mean.max(f64::MIN_POSITIVE).to_bits(), Ordering::Relaxed);
    }

    /// A posted call of `units` took `seconds`.
    pub fn record_posted(&self, units: usize, seconds: f64) {
        let Some(pace) = self.pace(units) else {
            return;
        };
        let predicted = f64::from_bits(pace.alone.load(Ordering::Relaxed)) * units as f64;
        if predicted > 0.0 {
            self.score(units, (predicted - seconds) / predicted);
        }
        if pace.posted.fetch_add(1, Ordering::Relaxed) % REFRESH == REFRESH - 1 {
            let _ = pace
                .skip
                .compare_exchange(0, 1, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// Adds one posted call's score: its relative gain over running alone.
    pub fn score(&self, units: usize, gain: f64) {
        let Some(pace) = self.pace(units) else {
            return;
        };
        let gain = (gain.clamp(-1.0, 1.0) * 1024.0) as i32;
        let score = pace.score.load(Ordering::Relaxed);
        let score = score + (gain - score) / 8;
        pace.score.store(score, Ordering::Relaxed);
        let backoff = pace.backoff.load(Ordering::Relaxed);
        let backoff = if gain >= 0 {
            backoff / 2
        } else if score < 0 {
            (backoff * 2).clamp(1, MAX_BACKOFF)
        } else {
            backoff
        };
        pace.backoff.store(backoff, Ordering::Relaxed);
        if score < 0 {
            pace.skip.store(backoff.max(1), Ordering::Relaxed);
        }
    }

    /// Offers `task` to up to `helpers` workers, starting workers up to the pool's limit.
    /// `None` when no worker can ever join (no helpers wanted, a limit of 0, no memory for
    /// the entry): then nothing was posted and the caller does all the work.
    ///
    /// # Safety
    /// `task.data` must stay valid for `task.help` until the returned `Posted` is finished
    /// or dropped; the caller must not let it be forgotten (`mem::forget`).
    pub unsafe fn post(&'static self, task: Task, helpers: usize) -> Option<Posted> {
        if helpers == 0 {
            return None;
        }
        let mut state = lock(&self.state);
        #[cfg(test)]
        {
            state.posts += 1;
        }
        let cap = *state.cap.get_or_insert_with(self.limit);
        let start = helpers.min(cap).saturating_sub(state.workers);
        if state.workers + start == 0 || state.jobs.try_reserve(1).is_err() {
            return None;
        }
        let id = state.next_id;
        state.next_id += 1;
        state.jobs.push(Entry {
            id,
            task,
            helpers,
            joined: 0,
            active: 0,
            open: true,
        });
        state.workers += start;
        // Under the lock: a worker reads it, then takes the lock before it sleeps and finds
        // the job then.
        self.generation.fetch_add(1, Ordering::Relaxed);
        let idle = state.idle;
        drop(state);
        // Spinning and busy workers look for jobs without a notification.
        match idle {
            0 => {}
            _ if helpers >= idle => self.wake.notify_all(),
            _ => (0..helpers).for_each(|_| self.wake.notify_one()),
        }
        // Started after posting, so a new worker finds the job at once.
        for _ in 0..start {
            if (self.spawn)(self).is_err() {
                let mut state = lock(&self.state);
                state.workers -= 1;
                state.cap = Some(state.workers);
            }
        }
        Some(Posted {
            pool: self,
            id,
            finished: false,
            started: start > 0,
        })
    }

    /// A worker's life: join open jobs with a free slot; when there is none, spin for `SPIN`
    /// after a job, then sleep.
    fn work(&self) {
        let mut state = lock(&self.state);
        let mut spun = false;
        loop {
            let Some(entry) = state
                .jobs
                .iter_mut()
                .find(|e| e.open && e.joined < e.helpers)
            else {
                if !spun {
                    spun = true;
                    let seen = self.generation.load(Ordering::Relaxed);
                    drop(state);
                    spin_until(|| self.generation.load(Ordering::Relaxed) != seen);
                    state = lock(&self.state);
                    continue;
                }
                state.idle += 1;
                state = self
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                state.idle -= 1;
                continue;
            };
            spun = false;
            entry.joined += 1;
            entry.active += 1;
            let (id, task, slot) = (entry.id, entry.task, entry.joined);
            drop(state);
            // `help` catches its own panics; this keeps the worker (and the count below) alive
            // if one escapes anyway.
            let _ = std::panic::catch_unwind(|| {
                // SAFETY: the entry was open when this worker joined, so its poster has not
                // returned from `Posted::finish` and waits for `active` to drop to 0 below.
                unsafe { (task.help)(task.data, slot) }
            });
            state = lock(&self.state);
            if let Some(entry) = state.jobs.iter_mut().find(|e| e.id == id) {
                entry.active -= 1;
                if entry.active == 0 && !entry.open {
                    self.left.notify_all();
                }
            }
        }
    }

    /// Workers started so far.
    #[cfg(test)]
    pub fn workers(&self) -> usize {
        lock(&self.state).workers
    }

    /// Posted calls of `units` that were scored.
    #[cfg(test)]
    pub fn scored(&self, units: usize) -> u32 {
        self.pace(units)
            .map_or(0, |pace| pace.posted.load(Ordering::Relaxed))
    }

    /// Workers sleeping on `wake`.
    #[cfg(test)]
    pub fn sleeping(&self) -> usize {
        lock(&self.state).idle
    }

    /// Jobs posted so far (calls that used the pool).
    #[cfg(test)]
    pub fn posts(&self) -> usize {
        lock(&self.state).posts
    }
}

/// Spins until `done()` or `SPIN` has passed; whether `done()`. It yields its core every
/// microsecond or so: on a busy machine a thread that only spins takes time slices from
/// the threads it waits for (a preempted worker, the caller on the same core).
fn spin_until(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..32 {
            if done() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() >= SPIN {
            return false;
        }
        std::thread::yield_now();
    }
}

/// A posted job. Finishing it (or dropping it) closes it and waits for the workers that joined.
pub struct Posted {
    pool: &'static Pool,
    id: u64,
    finished: bool,
    started: bool,
}

impl Posted {
    /// Whether posting started a worker thread (which took time that a later call won't).
    pub fn started_a_worker(&self) -> bool {
        self.started
    }

    /// Closes the job: no worker joins after this. Then waits until every worker that joined
    /// has returned from `help`, calling `between` (without the pool's lock) about every
    /// millisecond meanwhile.
    pub fn finish(&mut self, between: &mut dyn FnMut()) {
        if self.finished {
            return;
        }
        let pool = self.pool;
        // The last chunks of the workers take microseconds: poll for them before sleeping.
        let mut state = lock(&pool.state);
        let left = |state: &mut State| match state.jobs.iter().position(|e| e.id == self.id) {
            Some(at) if state.jobs[at].active == 0 => {
                state.jobs.remove(at);
                true
            }
            Some(at) => {
                state.jobs[at].open = false;
                false
            }
            None => true,
        };
        if left(&mut state) {
            self.finished = true;
            return;
        }
        drop(state);
        let gone = spin_until(|| {
            between();
            pool.state
                .try_lock()
                .is_ok_and(|mut state| left(&mut state))
        });
        if gone {
            self.finished = true;
            return;
        }
        state = lock(&pool.state);
        while let Some(at) = state.jobs.iter().position(|e| e.id == self.id) {
            let entry = &mut state.jobs[at];
            entry.open = false;
            if entry.active == 0 {
                state.jobs.remove(at);
                break;
            }
            state = pool
                .left
                .wait_timeout(state, Duration::from_millis(1))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            drop(state);
            between();
            state = lock(&pool.state);
        }
        self.finished = true;
    }
}

impl Drop for Posted {
    /// On every path out of the caller, a panic included: the job's data is still borrowed.
    fn drop(&mut self) {
        self.finish(&mut || {});
    }
}
