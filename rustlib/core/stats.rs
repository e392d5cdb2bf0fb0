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
    let mut mean = sum / count as f64;
    if !mean.is_finite() && min.is_finite() && max.is_finite() {
        // The sum of finite values overflowed (or met +inf and -inf partial sums): sum
        // them again scaled down by a power of two, which is exact for normal values.
        // The mean lies within [min, max]; clamping only absorbs rounding at f64::MAX.
        mean = (scaled_sum(values, count) / count as f64 * count_scale(count)).clamp(min, max);
    }
    let mut variance = squared_deviations(values, mean) / count as f64;
    if !variance.is_finite() && min.is_finite() && max.is_finite() {
        variance = scaled_variance(values, mean, count);
    }
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

/// A power of two >= `count`: dividing each value by it keeps a sum of `count` finite values
/// finite.
fn count_scale(count: u64) -> f64 {
    f64::from(64 - count.leading_zeros()).exp2()
}

/// The sum of the non-NaN values, each divided by `count_scale(count)`.
fn scaled_sum(values: &[f64], count: u64) -> f64 {
    let scale = count_scale(count).recip();
    values
        .iter()
        .filter(|x| !x.is_nan())
        .map(|&x| x * scale)
        .sum()
}

/// The population variance when the plain sum of squared deviations overflowed: deviations
/// are computed from halves (`x/2 - mean/2` cannot overflow) and scaled by 2^-600 before
/// squaring, so the sum stays finite. The result is +inf only when the variance itself
/// exceeds `f64::MAX`. Terms too small to survive the scaling are negligible next to the
/// ones that overflowed.
fn scaled_variance(values: &[f64], mean: f64, count: u64) -> f64 {
    let down = 2f64.powi(-600);
    let half_mean = mean * 0.5;
    let sum: f64 = values
        .iter()
        .filter(|x| !x.is_nan())
        .map(|&x| {
            let d = (x * 0.5 - half_mean) * down;
            d * d
        })
        .sum();
    // (2d)^2 = 4 d^2, and 2^600 twice undoes the scaling; each factor only grows the value,
    // so an intermediate overflows only if the result does.
    let up = 2f64.powi(600);
    sum / count as f64 * up * up * 4.0
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
    let width = max - min;
    let counted = if width.is_finite() {
        let scale = bins.len() as f64 / width;
        count_into(values, min, max, bins, |x| (x - min) * scale)
    } else {
        // max - min overflowed (e.g. -1.7e308..1.7e308): work in halves, which cannot.
        let half_min = min * 0.5;
        let scale = bins.len() as f64 / (max * 0.5 - half_min);
        count_into(values, min, max, bins, |x| (x * 0.5 - half_min) * scale)
    };
    Ok(counted)
}

/// Counts the values in `[min, max]` into `bins`; `position(x)` is x's bin as a real number.
#[inline(always)]
fn count_into(
    values: &[f64],
    min: f64,
    max: f64,
    bins: &mut [u32],
    position: impl Fn(f64) -> f64,
) -> u64 {
    let last = bins.len() - 1;
    let mut counted = 0u64;
    for &x in values {
        // NaN fails both comparisons.
        if x >= min && x <= max {
            let bin = (position(x) as usize).min(last);
            bins[bin] = bins[bin].wrapping_add(1);
            counted += 1;
        }
    }
    counted
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
    fn the_mean_of_finite_values_is_finite_even_when_their_sum_overflows() {
        let s = summarize(&[1.7e308, 1.7e308]);
        assert_eq!((s.count, s.mean, s.variance), (2, 1.7e308, 0.0));
        let s = summarize(&[f64::MAX; 9]);
        assert_eq!((s.mean, s.variance), (f64::MAX, 0.0));
        // Lanes that overflow in opposite directions (inf + -inf in the plain sum).
        let mut values = vec![1.7e308; 8];
        values.extend([-1.7e308; 8]);
        values.push(4.0);
        let s = summarize(&values);
        assert!((s.mean - 4.0 / 17.0).abs() < 1e-9 * 1.7e308, "{}", s.mean);
        assert!(s.mean.is_finite());
        // A variance above f64::MAX is +inf; a representable one is finite and right.
        assert_eq!(summarize(&[-1.7e308, 1.7e308]).variance, f64::INFINITY);
        let s = summarize(&[1.5e308, 1.7e308, 1.6e308]);
        assert!(
            s.mean.is_finite() && (s.mean - 1.6e308).abs() < 1e293,
            "{}",
            s.mean
        );
        // Deviations of 1e307: the variance (2/3) * 1e614 is not representable: +inf.
        assert_eq!(s.variance, f64::INFINITY);
        // Squared deviations of 1e308 each: their sum overflows, their mean does not.
        let s = summarize(&[0.0, 2e154, 0.0, 2e154, 0.0, 2e154, 0.0, 2e154]);
        assert_eq!(s.mean, 1e154);
        assert!((s.variance / 1e308 - 1.0).abs() < 1e-12, "{}", s.variance);
    }

    #[test]
    fn histogram_range_wider_than_f64_max() {
        let mut bins = [0u32; 3];
        let counted = histogram(&[-1.7e308, 0.0, 1.7e308], -1.7e308, 1.7e308, &mut bins).unwrap();
        assert_eq!((bins, counted), ([1, 1, 1], 3));
        let mut bins = [0u32; 4];
        histogram(
            &[-f64::MAX, -0.5e308, 0.5e308, f64::MAX, f64::NAN],
            -f64::MAX,
            f64::MAX,
            &mut bins,
        )
        .unwrap();
        assert_eq!(bins, [1, 1, 1, 1]);
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
