//! Which compiled copy of the block kernel runs (`levenshtein::blocks`): the AVX2 copy on
//! x86_64 CPUs that report AVX2 at run time, else the portable baseline.

/// Which compiled copy of the block kernel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Plain lane arrays the compiler vectorises for the build target (SSE2 on x86_64, NEON
    /// on aarch64, simd128 on wasm32 when the build enables it, scalar elsewhere).
    Baseline,
    /// x86_64 with AVX2, detected at run time.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    /// The best kernel this CPU runs.
    pub fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Kernel::Avx2;
        }
        Kernel::Baseline
    }

    /// Every kernel this CPU runs (tests compare them).
    pub fn available() -> Vec<Kernel> {
        let mut all = vec![Kernel::Baseline];
        if Kernel::detect() != Kernel::Baseline {
            all.push(Kernel::detect());
        }
        all
    }
}
