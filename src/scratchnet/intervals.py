"""How sure a test-set score is: 95 % intervals and the paired test of two models.

The test set is small (80 rows at the defaults: one row is 1.25 points of accuracy), so every
headline number gets an interval. All four methods are analytic, so the results are
deterministic and instant; none needs SciPy:

- `wilson`: the Wilson score interval for a proportion (accuracy).
- `auc_interval`: ROC AUC ± z·SE with DeLong's variance (DeLong, DeLong & Clarke-Pearson 1988),
  its structural components computed from midranks (Sun & Xu 2014), clipped to [0, 1];
  undefined for a scorer that gives every row the same score.
- `mcnemar_exact`: the exact McNemar test: the rows where two models disagree, against
  Binomial(b + c, 1/2), two-sided by doubling the smaller tail (capped at 1).
- `paired_difference`: Newcombe's hybrid score interval for the difference of two proportions
  measured on the same rows (Newcombe 1998, "method 10"), from the two Wilson intervals and the
  continuity-corrected correlation of the paired outcomes.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from scratchnet.errors import DataError

Z95 = 1.959963984540054
"""The standard normal's 97.5 % point: the half-width of a 95 % interval in standard errors."""


@dataclasses.dataclass(frozen=True)
class Interval:
    """A 95 % confidence interval [lower, upper]; both NaN when the data cannot give one."""

    lower: float
    upper: float

    @property
    def defined(self) -> bool:
        return not math.isnan(self.lower)


def wilson(successes: int, n: int) -> Interval:
    """Wilson score interval for the proportion `successes / n`: the proportions p whose score
    test |x/n − p| / √(p(1 − p)/n) ≤ z does not reject. Defined for 0 and n successes too (the
    bound at the edge is exactly 0 or 1), unlike the Wald interval, which collapses there."""
    if not 0 <= successes <= n or n < 1:
        raise DataError(f"a proportion needs 0 <= successes <= n and n >= 1 ({successes} of {n})")
    p, z2 = successes / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return Interval(
        0.0 if successes == 0 else centre - half,
        1.0 if successes == n else centre + half,
    )


def _midranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing the mean of their positions (as scipy's rankdata)."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2)[inverse]


def require_both_classes(y_true: np.ndarray) -> None:
    """A ROC compares positives with negatives: refuse labels of a single class."""
    if np.unique(y_true).size < 2:
        raise DataError("ROC needs both classes among the true labels")


def auc_interval(y_true: np.ndarray, y_score: np.ndarray) -> Interval | None:
    """DeLong's interval for the ROC AUC of `y_score` (ties count one half, as the AUC does).

    Each positive's component is the share of negatives it outranks, each negative's the share
    of positives that outrank it; the AUC is their mean and its variance
    var(positive components)/m + var(negative components)/n. None when a class has a single
    row: that variance needs two of each. Undefined (NaN) when every score is the same: the
    variance is 0 there too, but an AUC of 0.5 from a constant scorer is no certainty. At an AUC
    of exactly 0 or 1 the variance is 0 and the interval is the point itself.
    """
    require_both_classes(y_true)
    truth = y_true.astype(bool)
    positives, negatives = y_score[truth], y_score[~truth]
    m, n = positives.size, negatives.size
    if m < 2 or n < 2:
        return None
    if np.all(y_score == y_score[0]):
        return Interval(math.nan, math.nan)
    ranks = _midranks(np.concatenate([positives, negatives]))
    below = (ranks[:m] - _midranks(positives)) / n
    above = 1.0 - (ranks[m:] - _midranks(negatives)) / m
    auc = float(below.mean())
    se = math.sqrt(below.var(ddof=1) / m + above.var(ddof=1) / n)
    return Interval(max(0.0, auc - Z95 * se), min(1.0, auc + Z95 * se))


TAIL_TOLERANCE = 2.0**-60
"""The binomial tail is summed until what is left is below this share of the sum."""


def _mcnemar_tail(first_only: int, second_only: int) -> tuple[float, float] | None:
    """The exact McNemar p-value over 2 as log P(X = k) and the tail's sum relative to that
    term (`mcnemar_exact` says how); None where the p-value is 1."""
    if first_only < 0 or second_only < 0:
        raise DataError(f"discordant counts must be >= 0 ({first_only}, {second_only})")
    m, k = first_only + second_only, min(first_only, second_only)
    if 2 * k >= m:
        return None
    log_top = math.lgamma(m + 1) - math.lgamma(k + 1) - math.lgamma(m - k + 1) - m * math.log(2)
    term, total, i = 1.0, 1.0, k  # relative to P(X = k)
    ratio = k / (m - k + 1)  # the largest ratio of consecutive terms below k
    while i > 0 and term > TAIL_TOLERANCE * (1.0 - ratio) * total:
        term *= i / (m - i + 1)
        total += term
        i -= 1
    return log_top, total


def mcnemar_exact(first_only: int, second_only: int) -> float:
    """Two-sided exact McNemar p-value: 2 P(X ≤ min(b, c)) for X ~ Binomial(b + c, 1/2),
    capped at 1, where b and c count the rows only the first, only the second model gets
    right. 1.0 when they never disagree.

    The tail is summed from its largest term P(X = k) (from `math.lgamma`) down, each term the
    previous times i / (m − i + 1), until the rest is negligible: relative error about 1e-13
    for a few hundred discordant rows, 1e-7 for ten million, where exact integer arithmetic
    would be slow. p-values below about 1e-308 underflow to 0.
    """
    tail = _mcnemar_tail(first_only, second_only)
    if tail is None:
        return 1.0
    log_top, total = tail
    return 2.0 * math.exp(log_top) * total


def mcnemar_log10(first_only: int, second_only: int) -> float:
    """log10 of `mcnemar_exact`'s p-value (-4.3739 for p = 4.23e-5), computed in logs: finite
    where the p-value itself underflows to 0."""
    tail = _mcnemar_tail(first_only, second_only)
    if tail is None:
        return 0.0
    log_top, total = tail
    return min(0.0, (math.log(2.0) + log_top + math.log(total)) / math.log(10.0))


def paired_difference(both: int, first_only: int, second_only: int, neither: int) -> Interval:
    """Newcombe's (1998, method 10) interval for p1 − p2, the difference between the first and
    the second model's accuracy on the same rows: `both` rows right by both models,
    `first_only` / `second_only` by one alone, `neither` by none.

    With (l1, u1), (l2, u2) the Wilson intervals of p1 and p2, D = p1 − p2 and ψ the phi
    coefficient of the 2×2 table with a continuity correction (ad − bc shrunk towards 0 by n/2
    when positive; 0 if a margin is empty):
        lower = D − √((p1 − l1)² − 2ψ (p1 − l1)(u2 − p2) + (u2 − p2)²)
        upper = D + √((p2 − l2)² − 2ψ (p2 − l2)(u1 − p1) + (u1 − p1)²)
    """
    counts = (both, first_only, second_only, neither)
    if min(counts) < 0 or sum(counts) < 1:
        raise DataError(f"a paired table needs counts >= 0 and at least one row {counts}")
    n = sum(counts)
    right1, right2 = both + first_only, both + second_only
    p1, p2 = right1 / n, right2 / n
    one, two = wilson(right1, n), wilson(right2, n)
    margins = right1 * (n - right1) * right2 * (n - right2)
    cross = both * neither - first_only * second_only
    if margins == 0 or 0 <= cross <= n / 2:
        psi = 0.0
    else:
        psi = (cross - n / 2 if cross > 0 else cross) / math.sqrt(margins)

    def spread(x: float, y: float) -> float:
        return math.sqrt(max(0.0, x * x - 2 * psi * x * y + y * y))  # ≥ 0 but for rounding

    return Interval(
        p1 - p2 - spread(p1 - one.lower, two.upper - p2),
        p1 - p2 + spread(p2 - two.lower, one.upper - p1),
    )
