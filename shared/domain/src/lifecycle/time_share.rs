//! Sharing a batch's tracked minutes across its operations so that the shares add up exactly
//! to the total.
//!
//! Work is in hundredths of a minute. When every operation has an estimated time (and they are
//! not all zero) the total is shared in proportion to them, each share rounded down and the
//! hundredths left over given one by one to the largest remainders (ties to the earlier
//! operation); otherwise it is shared equally, the hundredths left over given to the first
//! operations. Either way the result depends only on the inputs and their order.

/// The shares (minutes, two decimals) of `total` minutes among operations with `estimates`.
pub fn share(total: f64, estimates: &[Option<f64>]) -> Vec<f64> {
    let n = estimates.len();
    if n == 0 {
        return vec![];
    }
    let cents = (total.max(0.0) * 100.0).round() as i64;
    let weights: Option<Vec<f64>> = estimates.iter().map(|e| e.filter(|w| *w >= 0.0)).collect();
    let shares = match weights.filter(|w| w.iter().sum::<f64>() > 0.0) {
        Some(w) => weighted(cents, &w),
        None => equal(cents, n),
    };
    shares.into_iter().map(|c| c as f64 / 100.0).collect()
}

fn equal(cents: i64, n: usize) -> Vec<i64> {
    let (base, extra) = (cents / n as i64, (cents % n as i64) as usize);
    (0..n).map(|i| base + i64::from(i < extra)).collect()
}

fn weighted(cents: i64, w: &[f64]) -> Vec<i64> {
    let sum: f64 = w.iter().sum();
    let exact: Vec<f64> = w.iter().map(|x| cents as f64 * x / sum).collect();
    let mut shares: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let left = cents - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..w.len()).collect();
    // Largest fractional remainder first; ties keep the earlier operation first.
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().take(left.max(0) as usize) {
        shares[i] += 1;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(v: &[f64]) -> i64 {
        v.iter().map(|m| (m * 100.0).round() as i64).sum()
    }

    #[test]
    fn weighted_by_estimates() {
        assert_eq!(share(100.0, &[Some(60.0), Some(30.0), Some(10.0)]), vec![60.0, 30.0, 10.0]);
        // 10 minutes over 1:1:1 -> 3.34, 3.33, 3.33 (the extra hundredth to the first).
        assert_eq!(share(10.0, &[Some(5.0), Some(5.0), Some(5.0)]), vec![3.34, 3.33, 3.33]);
        // 7 over 2:1 -> 4.666.. and 2.333..: 4.67 and 2.33.
        assert_eq!(share(7.0, &[Some(2.0), Some(1.0)]), vec![4.67, 2.33]);
    }

    #[test]
    fn equal_when_any_estimate_is_missing_or_all_are_zero() {
        assert_eq!(share(10.0, &[Some(5.0), None, Some(1.0)]), vec![3.34, 3.33, 3.33]);
        assert_eq!(share(0.05, &[Some(0.0), Some(0.0)]), vec![0.03, 0.02]);
        assert_eq!(share(90.0, &[None, None]), vec![45.0, 45.0]);
    }

    #[test]
    fn shares_always_add_up_to_the_total() {
        let totals = [0.0, 0.01, 1.0, 13.37, 59.99, 390.0, 1234.56];
        let estimates: Vec<Vec<Option<f64>>> = vec![
            vec![Some(1.0)],
            vec![Some(3.0), Some(7.0), Some(11.0)],
            (1..=50).map(|i| Some(i as f64 * 1.7)).collect(),
            (1..=50).map(|i| if i % 7 == 0 { None } else { Some(i as f64) }).collect(),
            vec![Some(0.0), Some(5.0)],
        ];
        for t in totals {
            for e in &estimates {
                let s = share(t, e);
                assert_eq!(s.len(), e.len());
                assert_eq!(cents(&s), (t * 100.0_f64).round() as i64, "{t} over {e:?}");
                assert!(s.iter().all(|x| *x >= 0.0));
            }
        }
        assert!(share(5.0, &[]).is_empty());
    }
}
