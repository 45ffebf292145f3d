"""Tests of scratchnet.intervals: each method against a case worked by hand (or published) and
against an independent implementation (statsmodels, SciPy, brute force), edge cases included."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from scratchnet import files, intervals, metrics
from scratchnet.errors import DataError


def test_z95_is_the_normal_quantile() -> None:
    assert stats.norm.ppf(0.975) == intervals.Z95


# --- Wilson -------------------------------------------------------------------------------------


def test_wilson_hand_worked_at_the_default_test_accuracy() -> None:
    """73 of 80: centre (0.9125 + z²/160) / (1 + z²/80) = 0.89360, half-width
    z / (1 + z²/80) × √(0.9125 × 0.0875 / 80 + z²/25600) = 0.06337."""
    interval = intervals.wilson(73, 80)
    assert interval.lower == pytest.approx(0.89360 - 0.06337, abs=1e-5)
    assert interval.upper == pytest.approx(0.89360 + 0.06337, abs=1e-5)


def test_wilson_at_zero_and_all_successes_is_exact_at_the_edge() -> None:
    """0 of n: [0, z²/(n + z²)]; n of n: [n/(n + z²), 1], with exactly 0 and 1 at the edge."""
    z2 = intervals.Z95**2
    assert intervals.wilson(0, 80) == intervals.Interval(0.0, pytest.approx(z2 / (80 + z2)))
    assert intervals.wilson(80, 80) == intervals.Interval(pytest.approx(80 / (80 + z2)), 1.0)
    assert intervals.wilson(1, 1).upper == 1.0 and intervals.wilson(0, 1).lower == 0.0


def test_wilson_of_one_half_is_centred() -> None:
    interval = intervals.wilson(40, 80)
    assert interval.lower + interval.upper == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("n", [1, 2, 5, 80, 1000, 10_000_000])
def test_wilson_matches_statsmodels(n: int) -> None:
    for successes in sorted({0, 1, n // 3, n // 2, n - 1, n}):
        interval = intervals.wilson(successes, n)
        lower, upper = proportion_confint(successes, n, alpha=0.05, method="wilson")
        assert interval.lower == pytest.approx(lower, rel=1e-12, abs=1e-15), successes
        assert interval.upper == pytest.approx(upper, rel=1e-12, abs=1e-15), successes


@pytest.mark.parametrize(("successes", "n"), [(0, 0), (3, 2), (-1, 5)])
def test_wilson_refuses_impossible_counts(successes: int, n: int) -> None:
    with pytest.raises(DataError, match="a proportion needs"):
        intervals.wilson(successes, n)


# --- DeLong -------------------------------------------------------------------------------------


def brute_force_delong(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """AUC and its DeLong standard error from the structural components, pair by pair."""
    positives, negatives = score[y == 1].tolist(), score[y == 0].tolist()

    def kernel(p: float, q: float) -> float:
        return 1.0 if p > q else 0.5 if p == q else 0.0

    v10 = [sum(kernel(p, q) for q in negatives) / len(negatives) for p in positives]
    v01 = [sum(kernel(p, q) for p in positives) / len(positives) for q in negatives]
    auc = sum(v10) / len(v10)
    s10 = sum((v - auc) ** 2 for v in v10) / (len(v10) - 1)
    s01 = sum((v - auc) ** 2 for v in v01) / (len(v01) - 1)
    return auc, math.sqrt(s10 / len(v10) + s01 / len(v01))


def test_delong_hand_worked_with_a_tie_and_clipping() -> None:
    """Positives 0.8, 0.4; negatives 0.6, 0.2, 0.4. Components: positives 3/3 and 1.5/3,
    negatives 1/2, 2/2, 1.5/2; AUC 0.75; variance 0.125/2 + 0.0625/3 = 1/12; 0.75 ± z/√12 is
    [0.18421, 1.31579], clipped to 1."""
    y = np.array([1, 1, 0, 0, 0])
    score = np.array([0.8, 0.4, 0.6, 0.2, 0.4])
    interval = intervals.auc_interval(y, score)
    assert interval is not None
    assert interval.lower == pytest.approx(0.75 - intervals.Z95 / math.sqrt(12), rel=1e-14)
    assert interval.lower == pytest.approx(0.18421, abs=1e-5)
    assert interval.upper == 1.0


scored = st.tuples(st.integers(2, 25), st.integers(2, 25)).flatmap(
    lambda sizes: st.tuples(
        st.just(sizes),
        st.lists(
            st.sampled_from([-1.0, 0.0, 0.5, 2.0]) | st.floats(-5, 5),
            min_size=sum(sizes),
            max_size=sum(sizes),
        ),
    )
)


@settings(max_examples=150, deadline=None)
@given(scored)
def test_delong_matches_brute_force_structural_components(case) -> None:
    """Any scores, ties included: the midrank computation gives the pair-by-pair interval
    (undefined when every score is the same, and only then)."""
    (m, n), scores = case
    y, score = np.repeat([1, 0], [m, n]), np.array(scores)
    auc, se = brute_force_delong(y, score)
    interval = intervals.auc_interval(y, score)
    assert interval is not None
    assert interval.defined == (np.ptp(score) > 0)
    if not interval.defined:
        return
    assert interval.lower == pytest.approx(max(0.0, auc - intervals.Z95 * se), abs=1e-12)
    assert interval.upper == pytest.approx(min(1.0, auc + intervals.Z95 * se), abs=1e-12)
    assert auc == pytest.approx(metrics.roc_auc(y, score), abs=1e-12)


def test_delong_agrees_with_a_stratified_bootstrap() -> None:
    """DeLong's standard error and interval are what resampling each class gives, within the
    bootstrap's Monte-Carlo error (5000 resamples of 150 + 150 scores)."""
    rng = np.random.default_rng(12)
    positives, negatives = rng.normal(1.0, 1.0, 150), rng.normal(0.0, 1.0, 150)

    def auc(pos: np.ndarray, neg: np.ndarray, axis: int = -1) -> np.ndarray:
        pos, neg = np.moveaxis(pos, axis, -1), np.moveaxis(neg, axis, -1)
        pairs = pos[..., :, None] - neg[..., None, :]
        return ((pairs > 0) + 0.5 * (pairs == 0)).mean(axis=(-2, -1))

    result = stats.bootstrap(
        (positives, negatives),
        auc,
        n_resamples=5000,
        batch=250,
        method="percentile",
        random_state=np.random.default_rng(5),
    )
    y = np.repeat([1, 0], 150)
    score = np.concatenate([positives, negatives])
    interval = intervals.auc_interval(y, score)
    assert interval is not None
    assert interval.lower > 0 and interval.upper < 1  # not clipped: the half-width is Z95 × se
    se = (interval.upper - interval.lower) / (2 * intervals.Z95)
    assert se == pytest.approx(result.standard_error, rel=0.05)
    assert interval.lower == pytest.approx(result.confidence_interval.low, abs=0.005)
    assert interval.upper == pytest.approx(result.confidence_interval.high, abs=0.005)


def test_delong_at_perfect_separation_is_the_point() -> None:
    y = np.array([0, 0, 1, 1])
    assert intervals.auc_interval(y, np.array([0.1, 0.2, 0.8, 0.9])) == intervals.Interval(1, 1)
    assert intervals.auc_interval(y, np.array([0.9, 0.8, 0.2, 0.1])) == intervals.Interval(0, 0)


@pytest.mark.parametrize("y", [[1, 0, 0, 0], [0, 1, 1, 1]])
def test_delong_with_one_row_of_a_class_has_no_interval(y: list[int]) -> None:
    """A class with one row: its components have no variance estimate, so no interval."""
    assert intervals.auc_interval(np.array(y), np.array([0.3, 0.1, 0.5, 0.7])) is None


@pytest.mark.parametrize("label", [0, 1])
def test_delong_with_a_single_class_is_a_data_error(label: int) -> None:
    with pytest.raises(DataError, match="both classes"):
        intervals.auc_interval(np.full(4, label), np.array([0.3, 0.1, 0.5, 0.7]))


def test_delong_of_a_constant_scorer_is_undefined_not_certain() -> None:
    """Every row scored alike (logistic regression left at zero weights by `logreg.tol=1e308`):
    the AUC is 0.5 and DeLong's variance 0, which is no certainty, so no interval."""
    y = np.array([0, 1, 0, 1, 1, 0])
    interval = intervals.auc_interval(y, np.full(6, 0.25))
    assert interval is not None
    assert math.isnan(interval.lower) and math.isnan(interval.upper) and not interval.defined
    assert intervals.auc_interval(y, np.array([0.2, 0.3, 0.2, 0.3, 0.3, 0.2])).defined


def test_an_undefined_auc_interval_is_null_in_the_metrics_and_said_so(tmp_path: Path) -> None:
    """NaN is not JSON, and DVC shows a null metric as "-": the bounds are null, and the
    stage's line says why instead of printing a zero-width interval."""
    y = np.tile([0, 1], 40)
    document = metrics.summary(y, np.zeros(80), y, np.zeros(80), 0.5)
    assert document["roc_auc"] == 0.5
    files.write_json(tmp_path / "metrics.json", {"logreg": document})
    written = json.loads((tmp_path / "metrics.json").read_text())["logreg"]
    assert written["roc_auc_lower"] is None and written["roc_auc_upper"] is None
    assert metrics.summary_line(document).endswith(
        "AUC 0.500 (interval undefined: every score is the same)"
    )


# --- McNemar ------------------------------------------------------------------------------------


def exact_mcnemar(b: int, c: int) -> Fraction:
    """2 P(X ≤ min(b, c)) for X ~ Binomial(b + c, 1/2) in rational arithmetic, capped at 1."""
    m = b + c
    tail = sum(math.comb(m, i) for i in range(min(b, c) + 1))
    return min(Fraction(1), Fraction(2 * tail, 2**m))


def test_mcnemar_hand_worked() -> None:
    """5 against 3: 2 (1 + 8 + 28 + 56) / 2⁸ = 186/256; 33 against 7:
    2 Σ_{i≤7} C(40, i) / 2⁴⁰; 27 against 1: 2 (1 + 28) / 2²⁸."""
    assert intervals.mcnemar_exact(5, 3) == pytest.approx(186 / 256, rel=1e-13)
    assert intervals.mcnemar_exact(3, 5) == pytest.approx(186 / 256, rel=1e-13)
    assert intervals.mcnemar_exact(33, 7) == pytest.approx(
        2 * (1 + 40 + 780 + 9880 + 91390 + 658008 + 3838380 + 18643560) / 2**40, rel=1e-13
    )
    assert intervals.mcnemar_exact(27, 1) == pytest.approx(2 * 29 / 2**28, rel=1e-13)


def test_mcnemar_without_disagreement_or_with_a_tie_is_one() -> None:
    assert intervals.mcnemar_exact(0, 0) == 1.0
    assert intervals.mcnemar_exact(4, 4) == 1.0
    assert intervals.mcnemar_exact(0, 1) == 1.0  # 2 × 1/2


def test_mcnemar_one_sided_disagreement() -> None:
    """All m discordant rows favour one model: p = 2 / 2^m."""
    for m in (2, 10, 80, 1000):
        assert intervals.mcnemar_exact(m, 0) == pytest.approx(2.0 / 2**m, rel=1e-12)


def test_mcnemar_matches_rational_arithmetic_for_every_table_up_to_120_rows() -> None:
    worst = max(
        abs(intervals.mcnemar_exact(b, m - b) / exact_mcnemar(b, m - b) - 1)
        for m in range(121)
        for b in range(m + 1)
    )
    assert worst < 1e-12


@pytest.mark.parametrize(
    ("b", "c"), [(33, 7), (7, 33), (12, 9), (400, 350), (5000, 5200), (1_000_000, 1_002_500)]
)
def test_mcnemar_matches_statsmodels_and_scipy(b: int, c: int) -> None:
    p = intervals.mcnemar_exact(b, c)
    assert p == pytest.approx(mcnemar([[0, b], [c, 0]], exact=True).pvalue, rel=1e-8)
    assert p == pytest.approx(stats.binomtest(b, b + c, 0.5).pvalue, rel=1e-8)


def test_mcnemar_refuses_negative_counts() -> None:
    with pytest.raises(DataError, match="discordant counts"):
        intervals.mcnemar_exact(-1, 3)


# --- Newcombe's paired difference ---------------------------------------------------------------


def test_newcombe_published_example() -> None:
    """Fagerland, Lydersen & Laake (2017), ch. 8, complete response before and after
    consolidation therapy (Cavo et al. 2012): table 59, 6 / 16, 80 gives −0.0621
    (95 % CI −0.1186 to −0.0046) — here with ad − bc > n/2, so the correlation term acts."""
    interval = intervals.paired_difference(59, 6, 16, 80)
    assert interval.lower == pytest.approx(-0.1186, abs=5e-5)
    assert interval.upper == pytest.approx(-0.0046, abs=5e-5)


@pytest.mark.parametrize(
    "table",
    [
        (10, 5, 3, 2),  # ad − bc = 5, at most n/2 = 10
        (3, 4, 4, 6),  # ad − bc = 2, at most n/2 = 8.5
        (20, 0, 0, 0),  # all right by both: empty margins
        (0, 0, 0, 20),  # all wrong by both
        (7, 0, 6, 0),  # the first model is never alone wrong: an empty margin
    ],
)
def test_newcombe_without_correlation_is_the_unpaired_hybrid_score_interval(table) -> None:
    """With ψ = 0 (ad − bc from 0 to n/2, or an empty margin), method 10 is Newcombe's
    unpaired hybrid score interval for two proportions of n rows: statsmodels' `newcomb`."""
    a, b, c, d = table
    n = a + b + c + d
    assert 0 <= a * d - b * c <= n / 2 or (a + b) * (c + d) * (a + c) * (b + d) == 0
    lower, upper = confint_proportions_2indep(a + b, n, a + c, n, method="newcomb")
    interval = intervals.paired_difference(a, b, c, d)
    assert interval.lower == pytest.approx(lower, abs=1e-12)
    assert interval.upper == pytest.approx(upper, abs=1e-12)


def test_newcombe_without_discordant_rows_is_symmetric_about_zero() -> None:
    """Both models right on the same 60 rows of 80: difference 0, an interval around it that
    the positive correlation (ψ = 1160/1200) makes narrow."""
    interval = intervals.paired_difference(60, 0, 0, 20)
    assert interval.lower == pytest.approx(-interval.upper, abs=1e-15)
    unpaired = confint_proportions_2indep(60, 80, 60, 80, method="newcomb")
    assert 0 < interval.upper < unpaired[1] / 3


tables = st.tuples(*[st.integers(0, 60)] * 4).filter(lambda table: sum(table) > 0)


@settings(max_examples=300, deadline=None)
@given(tables)
def test_newcombe_interval_holds_the_difference_and_stays_in_range(table) -> None:
    a, b, c, d = table
    n = a + b + c + d
    interval = intervals.paired_difference(a, b, c, d)
    assert -1.0 <= interval.lower <= (b - c) / n + 1e-15
    assert (b - c) / n - 1e-15 <= interval.upper <= 1.0


@pytest.mark.parametrize("table", [(0, 0, 0, 0), (1, -1, 0, 0)])
def test_newcombe_refuses_empty_or_negative_tables(table) -> None:
    with pytest.raises(DataError, match="a paired table needs"):
        intervals.paired_difference(*table)
