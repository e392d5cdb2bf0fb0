//! Summary statistics and histograms over f64 slices, written so the loops vectorise.
//!
//! NaN policy: NaN values are skipped (they count nowhere); ±Infinity are ordinary values.

const LANES: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Values that are not NaN.
    pub count: u64,
    pub mean: f64,
    /// Population variance (divides by `count`), two-pass.
    pub variance: f64,
    pub min: f64,
    pub max: f64,
}

/// Count, mean, population variance, min and max of the non-NaN values. With no such value
/// every field but `count` (0) is NaN.
pub fn summarize(values: &[f64]) -> Summary {
    let (count, sum, min, max) = first_pass(values);
    if count == 0 {
        return Summary {
            count,
            mean: f64::NAN,
            variance: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
        };
    }
    let mean = sum / count as f64;
    let variance = squared_deviations(values, mean) / count as f64;
    Summary {
        count,
        mean,
        variance,
        min,
        max,
    }
}

fn first_pass(values: &[f64]) -> (u64, f64, f64, f64) {
    let mut sums = [0.0f64; LANES];
    let mut counts = [0u64; LANES];
    let mut mins = [f64::INFINITY; LANES];
    let mut maxs = [f64::NEG_INFINITY; LANES];
    let chunks = values.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for i in 0..LANES {
            let x = chunk[i];
            let present = !x.is_nan();
            sums[i] += if present { x } else { 0.0 };
            counts[i] += u64::from(present);
            // f64::min/max ignore a NaN operand.
            mins[i] = mins[i].min(x);
            maxs[i] = maxs[i].max(x);
        }
    }
    for (i, &x) in tail.iter().enumerate() {
        if !x.is_nan() {
            sums[i] += x;
            counts[i] += 1;
            mins[i] = mins[i].min(x);
            maxs[i] = maxs[i].max(x);
        }
    }
    (
        counts.iter().sum(),
        sums.iter().sum(),
        mins.iter().copied().fold(f64::INFINITY, f64::min),
        maxs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    )
}

fn squared_deviations(values: &[f64], mean: f64) -> f64 {
    let mut sums = [0.0f64; LANES];
    let chunks = values.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for i in 0..LANES {
            let d = chunk[i] - mean;
            sums[i] += if d.is_nan() { 0.0 } else { d * d };
        }
    }
    for (i, &x) in tail.iter().enumerate() {
        let d = x - mean;
        if !d.is_nan() {
            sums[i] += d * d;
        }
    }
    sums.iter().sum()
}

/// Why a histogram cannot be computed.
#[derive(Debug, PartialEq)]
pub enum HistogramError {
    NoBins,
    BadRange,
}

/// Counts values into `bins.len()` equal-width bins over `[min, max]`, overwriting `bins`.
/// `max` itself falls in the last bin; values outside the range and NaN are not counted.
/// Returns how many values were counted.
pub fn histogram(
    values: &[f64],
    min: f64,
    max: f64,
    bins: &mut [u32],
) -> Result<u64, HistogramError> {
    if bins.is_empty() {
        return Err(HistogramError::NoBins);
    }
    if !(min.is_finite() && max.is_finite() && min < max) {
        return Err(HistogramError::BadRange);
    }
    bins.fill(0);
    let last = bins.len() - 1;
    let scale = bins.len() as f64 / (max - min);
    let mut counted = 0u64;
    for &x in values {
        // NaN fails both comparisons.
        if x >= min && x <= max {
            let bin = (((x - min) * scale) as usize).min(last);
            bins[bin] = bins[bin].wrapping_add(1);
            counted += 1;
        }
    }
    Ok(counted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_small_inputs() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(
            (s.count, s.mean, s.variance, s.min, s.max),
            (4, 2.5, 1.25, 1.0, 4.0)
        );
        let with_nan = summarize(&[f64::NAN, 1.0, f64::NAN, 3.0]);
        assert_eq!(
            (with_nan.count, with_nan.mean, with_nan.variance),
            (2, 2.0, 1.0)
        );
        let empty = summarize(&[]);
        assert_eq!(empty.count, 0);
        assert!(
            empty.mean.is_nan()
                && empty.variance.is_nan()
                && empty.min.is_nan()
                && empty.max.is_nan()
        );
        let infinite = summarize(&[1.0, f64::INFINITY]);
        assert_eq!(infinite.max, f64::INFINITY);
        assert_eq!(infinite.mean, f64::INFINITY);
    }

    #[test]
    fn summary_matches_a_plain_loop_on_many_lengths() {
        for n in [1usize, 7, 8, 9, 100, 1001] {
            let values: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 - 50.5).collect();
            let s = summarize(&values);
            let mean = values.iter().sum::<f64>() / n as f64;
            let variance = values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
            assert_eq!(s.count, n as u64);
            assert!((s.mean - mean).abs() < 1e-9, "mean at n={n}");
            assert!((s.variance - variance).abs() < 1e-9, "variance at n={n}");
        }
    }

    #[test]
    fn histogram_bins_edges_and_rejects() {
        let mut bins = [9u32; 4];
        let counted = histogram(
            &[0.0, 0.24, 0.25, 0.5, 1.0, 1.5, -0.1, f64::NAN],
            0.0,
            1.0,
            &mut bins,
        )
        .unwrap();
        assert_eq!(bins, [2, 1, 1, 1]);
        assert_eq!(counted, 5);
        assert_eq!(
            histogram(&[], 0.0, 1.0, &mut []),
            Err(HistogramError::NoBins)
        );
        assert_eq!(
            histogram(&[], 1.0, 1.0, &mut bins),
            Err(HistogramError::BadRange)
        );
        assert_eq!(
            histogram(&[], 0.0, f64::NAN, &mut bins),
            Err(HistogramError::BadRange)
        );
    }
}
