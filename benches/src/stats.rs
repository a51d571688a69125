//! What the report computes from per-round figures: medians, how far a
//! median can be trusted, and spreads.
#![forbid(unsafe_code)]

/// How sure a median's interval is: 95 %, or the least above it that the
/// round count allows.
const CONFIDENCE: f64 = 0.95;

/// The median; the mean of the middle two for an even count.
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// An interval that holds the true median with at least 95 % confidence,
/// from the order statistics alone: the k-th smallest and k-th largest
/// value, with k the largest for which fewer than k rounds fall below the
/// median (or above it) with probability at most 2.5 % each. It assumes
/// only that rounds are independent, not that their figures are normal,
/// which a shared machine's bursts are not. `None` below 6 rounds, too
/// few for that confidence.
pub(crate) fn median_interval(mut v: Vec<f64>) -> Option<[f64; 2]> {
    let n = v.len();
    let k = order_for_confidence(n)?;
    v.sort_by(f64::total_cmp);
    Some([v[k - 1], v[n - k]])
}

/// The fewest rounds that give [`median_interval`] an interval.
pub(crate) fn rounds_for_interval() -> usize {
    // Ends: from some n on, the tail below the first order is small enough.
    let mut n = 1;
    while order_for_confidence(n).is_none() {
        n += 1;
    }
    n
}

/// The largest k (1-based) with P(Binomial(n, ½) ≤ k − 1) ≤ (1 − C) / 2.
fn order_for_confidence(n: usize) -> Option<usize> {
    let tail = (1.0 - CONFIDENCE) / 2.0;
    let mut term = 0.5f64.powi(i32::try_from(n).ok()?);
    let mut below = 0.0;
    let mut k = None;
    for i in 0..n / 2 {
        below += term;
        if below > tail {
            break;
        }
        k = Some(i + 1);
        term *= (n - i) as f64 / (i + 1) as f64;
    }
    k
}

/// max − min; 0 for none.
pub(crate) fn spread(v: &[f64]) -> f64 {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    if v.is_empty() {
        0.0
    } else {
        max - min
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The orders exact binomial sums give (the largest k with
    /// Σ_{i<k} C(n, i) / 2^n ≤ 1/40; worked out apart from this code, in
    /// exact fractions): n = 6 → 1, 9 → 2, 11 → 2, 12 → 3, 21 → 6,
    /// 25 → 8, 41 → 14; and none below 6 (1/32 > 1/40 already for n = 5).
    #[test]
    fn orders_match_the_binomial_tables() {
        for (n, k) in [(6, 1), (9, 2), (11, 2), (12, 3), (21, 6), (25, 8), (41, 14)] {
            assert_eq!(order_for_confidence(n), Some(k), "n = {n}");
        }
        for n in 0..6 {
            assert_eq!(order_for_confidence(n), None, "n = {n}");
        }
        assert_eq!(rounds_for_interval(), 6);
    }

    #[test]
    fn the_interval_is_read_from_the_sorted_rounds() {
        let rounds: Vec<f64> = (1..=21).rev().map(f64::from).collect();
        assert_eq!(median_interval(rounds.clone()), Some([6.0, 16.0]));
        assert_eq!(median(rounds), 11.0);
        assert_eq!(median_interval(vec![1.0, 2.0, 3.0]), None);
    }
}
