"""Tests of scratchnet.metrics: hand-worked confusion matrices, zero division, ROC, summary and
the paired comparison of two models."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnet import intervals, metrics
from scratchnet.errors import DataError
from scratchnet.metrics import ConfusionCounts, PairedComparison

SUMMARY_KEYS = {
    "accuracy",
    "accuracy_lower",
    "accuracy_upper",
    "precision",
    "recall",
    "f1",
    "log_loss",
    "roc_auc",
    "roc_auc_lower",
    "roc_auc_upper",
    "train_accuracy",
}


def labels_for(tn: int, fp: int, fn: int, tp: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (y_true, y_pred) arrays whose confusion matrix is exactly the given counts."""
    y_true = np.repeat([0, 0, 1, 1], [tn, fp, fn, tp])
    y_pred = np.repeat([0, 1, 0, 1], [tn, fp, fn, tp])
    order = np.random.default_rng(seed).permutation(y_true.size)
    return y_true[order], y_pred[order]


def brute_force_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Mann-Whitney: the share of (positive, negative) pairs ranked right, ties counting 1/2."""
    positives = y_score[y_true == 1].tolist()
    negatives = y_score[y_true == 0].tolist()
    wins = 0.0
    for p in positives:
        for n in negatives:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(positives) * len(negatives))


# --- hand-worked confusion matrices ------------------------------------------------------------


def test_seed_post_network_confusion_matrix():
    """The post's NN matrix (TN 34, FP 10, FN 7, TP 29) gives the hand-worked ratios."""
    y_true, y_pred = labels_for(tn=34, fp=10, fn=7, tp=29)
    counts = ConfusionCounts.from_labels(y_true, y_pred)
    assert counts == ConfusionCounts(tn=34, fp=10, fn=7, tp=29)
    assert counts.total == 80
    assert metrics.accuracy(counts) == pytest.approx(63 / 80)
    assert metrics.precision(counts) == pytest.approx(29 / 39)
    assert metrics.recall(counts) == pytest.approx(29 / 36)
    assert metrics.f1(counts) == pytest.approx(2 * 29 / (2 * 29 + 10 + 7))


def test_seed_post_logistic_confusion_matrix():
    """The post's logistic matrix (TN 14, FP 30, FN 18, TP 18) gives the hand-worked ratios."""
    y_true, y_pred = labels_for(tn=14, fp=30, fn=18, tp=18, seed=1)
    counts = ConfusionCounts.from_labels(y_true, y_pred)
    assert counts == ConfusionCounts(tn=14, fp=30, fn=18, tp=18)
    assert metrics.accuracy(counts) == pytest.approx(32 / 80)
    assert metrics.precision(counts) == pytest.approx(18 / 48)
    assert metrics.recall(counts) == pytest.approx(18 / 36)
    assert metrics.f1(counts) == pytest.approx(2 * 18 / (2 * 18 + 30 + 18))


def test_from_labels_accepts_boolean_and_float_predictions():
    """Counts are the same whether predictions are ints, bools or 0.0/1.0 floats."""
    y_true, y_pred = labels_for(tn=3, fp=2, fn=1, tp=4)
    expected = ConfusionCounts(tn=3, fp=2, fn=1, tp=4)
    assert ConfusionCounts.from_labels(y_true, y_pred.astype(bool)) == expected
    assert ConfusionCounts.from_labels(y_true, y_pred.astype(float)) == expected
    assert all(type(v) is int for v in (expected.tn, expected.fp, expected.fn, expected.tp))


# --- zero division ------------------------------------------------------------------------------


def test_no_predicted_positives_gives_precision_zero():
    """A model that never predicts class 1 has precision 0.0 (zero_division=0), not NaN."""
    y_true, y_pred = labels_for(tn=5, fp=0, fn=3, tp=0)
    counts = ConfusionCounts.from_labels(y_true, y_pred)
    assert metrics.precision(counts) == 0.0
    assert metrics.recall(counts) == 0.0
    assert metrics.f1(counts) == 0.0


def test_no_true_positives_in_data_gives_recall_zero():
    """With no positive rows, recall's denominator TP + FN is 0 and recall is 0.0."""
    counts = ConfusionCounts(tn=4, fp=2, fn=0, tp=0)
    assert metrics.recall(counts) == 0.0
    assert metrics.precision(counts) == 0.0
    assert metrics.f1(counts) == 0.0
    assert metrics.accuracy(counts) == pytest.approx(4 / 6)


def test_all_true_negatives_gives_zero_f1_and_full_accuracy():
    """TP = FP = FN = 0 makes every positive-class ratio 0.0 while accuracy is 1."""
    counts = ConfusionCounts(tn=7, fp=0, fn=0, tp=0)
    assert metrics.precision(counts) == 0.0
    assert metrics.recall(counts) == 0.0
    assert metrics.f1(counts) == 0.0
    assert metrics.accuracy(counts) == 1.0


def test_empty_counts_give_zero_accuracy():
    """An empty confusion matrix has accuracy 0.0 rather than a ZeroDivisionError."""
    assert metrics.accuracy(ConfusionCounts(0, 0, 0, 0)) == 0.0


# --- log loss -----------------------------------------------------------------------------------


def test_log_loss_matches_direct_formula():
    """log_loss(logits) equals -mean(y log p + (1 - y) log(1 - p)) with p = sigmoid(logit)."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, size=50)
    z = rng.uniform(-4.0, 4.0, size=50)
    p = 1 / (1 + np.exp(-z))
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert metrics.log_loss(y, z) == pytest.approx(expected, rel=1e-12)


def test_log_loss_is_exact_for_confident_mistakes():
    """A logit of ±50 on the wrong side costs 50, where clipped probabilities would give ~34.5."""
    assert metrics.log_loss(np.array([1]), np.array([-50.0])) == pytest.approx(50.0, rel=1e-15)
    assert metrics.log_loss(np.array([0]), np.array([50.0])) == pytest.approx(50.0, rel=1e-15)
    right = metrics.log_loss(np.array([0, 1]), np.array([-50.0, 50.0]))
    assert 0.0 <= right < 1e-21


# --- ROC ----------------------------------------------------------------------------------------


def test_roc_auc_matches_brute_force_with_ties():
    """The trapezoidal AUC equals the Mann-Whitney pair count when scores are tied."""
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1, 1, 0])
    s = np.array([0.1, 0.5, 0.5, 0.9, 0.3, 0.3, 0.5, 0.7, 0.1, 0.2])
    assert metrics.roc_auc(y, s) == pytest.approx(brute_force_auc(y, s), abs=1e-12)


def test_roc_auc_perfect_inverted_and_constant():
    """A perfect ranking scores 1, a reversed one 0, and constant scores exactly 1/2."""
    y = np.array([0, 0, 1, 1])
    assert metrics.roc_auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == pytest.approx(1.0)
    assert metrics.roc_auc(y, np.array([0.9, 0.8, 0.2, 0.1])) == pytest.approx(0.0)
    assert metrics.roc_auc(y, np.full(4, 0.5)) == pytest.approx(0.5)


def test_roc_curve_starts_at_origin_ends_at_one_and_is_monotone():
    """fpr and tpr go from (0, 0) to (1, 1) without decreasing; thresholds fall from +inf."""
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, size=60)
    y[:2] = [0, 1]
    s = np.round(rng.random(60), 1)  # rounding makes ties
    curve = metrics.roc_curve(y, s)
    assert (curve.fpr[0], curve.tpr[0]) == (0.0, 0.0)
    assert curve.fpr[-1] == pytest.approx(1.0)
    assert curve.tpr[-1] == pytest.approx(1.0)
    assert np.all(np.diff(curve.fpr) >= 0)
    assert np.all(np.diff(curve.tpr) >= 0)
    assert curve.thresholds[0] == np.inf
    assert np.all(np.diff(curve.thresholds) < 0)
    assert curve.fpr.shape == curve.tpr.shape == curve.thresholds.shape
    assert curve.thresholds.size == np.unique(s).size + 1


def test_roc_curve_points_are_rates_at_each_threshold():
    """Each ROC point is (FPR, TPR) of the rule score >= threshold."""
    y = np.array([0, 1, 0, 1, 1, 0, 0])
    s = np.array([0.2, 0.8, 0.8, 0.4, 0.6, 0.1, 0.4])
    curve = metrics.roc_curve(y, s)
    for fpr, tpr, threshold in zip(curve.fpr, curve.tpr, curve.thresholds, strict=True):
        predicted = s >= threshold
        assert tpr == pytest.approx(np.sum(predicted & (y == 1)) / np.sum(y == 1))
        assert fpr == pytest.approx(np.sum(predicted & (y == 0)) / np.sum(y == 0))


@pytest.mark.parametrize("label", [0, 1])
def test_single_class_roc_raises_data_error(label):
    """ROC and AUC need both classes among the true labels, else DataError."""
    y = np.full(5, label)
    s = np.linspace(0, 1, 5)
    with pytest.raises(DataError, match="both classes"):
        metrics.roc_curve(y, s)
    with pytest.raises(DataError, match="both classes"):
        metrics.roc_auc(y, s)


# --- summary ------------------------------------------------------------------------------------


def test_summary_has_exactly_the_documented_scalar_keys():
    """summary returns the 11 headline keys, each a plain float; counts stay out of it."""
    y_test = np.array([0, 0, 1, 1, 1, 0])
    p_test = np.array([0.1, 0.6, 0.5, 0.9, 0.2, 0.3])
    y_train = np.array([0, 1, 1, 0])
    p_train = np.array([0.2, 0.7, 0.4, 0.9])
    z_test, z_train = (np.log(p / (1 - p)) for p in (p_test, p_train))
    document = metrics.summary(y_test, z_test, y_train, z_train, threshold=0.5)
    assert set(document) == SUMMARY_KEYS
    for key in SUMMARY_KEYS:
        assert type(document[key]) is float, key
    # A probability equal to the threshold counts as class 1 (0.5 -> positive).
    counts, _ = metrics.classification_report(y_test, z_test, threshold=0.5)
    assert (counts.tn, counts.fp, counts.fn, counts.tp) == (2, 1, 1, 2)
    assert document["precision"] == document["recall"] == pytest.approx(2 / 3)
    assert document["accuracy"] == pytest.approx(4 / 6)
    assert document["train_accuracy"] == pytest.approx(2 / 4)
    assert document["roc_auc"] == pytest.approx(brute_force_auc(y_test, p_test))
    assert document["log_loss"] == pytest.approx(metrics.log_loss(y_test, z_test))
    accuracy_interval = intervals.wilson(4, 6)
    assert (document["accuracy_lower"], document["accuracy_upper"]) == (
        accuracy_interval.lower,
        accuracy_interval.upper,
    )
    auc_interval = intervals.auc_interval(y_test, z_test)
    assert (document["roc_auc_lower"], document["roc_auc_upper"]) == (
        auc_interval.lower,
        auc_interval.upper,
    )


def test_summary_leaves_out_the_auc_interval_when_a_class_has_one_test_row():
    """One positive test row: DeLong's variance is undefined, so the AUC bounds are absent
    (never NaN); accuracy's Wilson interval is still there."""
    y_test, z_test = np.array([0, 0, 0, 1]), np.array([-1.0, 0.5, -2.0, 3.0])
    document = metrics.summary(y_test, z_test, np.array([0, 1]), np.array([-1.0, 1.0]), 0.5)
    assert set(document) == SUMMARY_KEYS - {"roc_auc_lower", "roc_auc_upper"}
    assert all(np.isfinite(value) for value in document.values())


# --- paired comparison --------------------------------------------------------------------------


def paired_predictions(both: int, first_only: int, second_only: int, neither: int):
    """Shuffled labels and two models' predictions with exactly those right/wrong counts."""
    n = both + first_only + second_only + neither
    rng = np.random.default_rng(n)
    y = rng.integers(0, 2, size=n)
    right1 = np.repeat([True, True, False, False], [both, first_only, second_only, neither])
    right2 = np.repeat([True, False, True, False], [both, first_only, second_only, neither])
    order = rng.permutation(n)
    first = np.where(right1[order], y, 1 - y)
    second = np.where(right2[order], y, 1 - y)
    return y, first, second


def test_paired_comparison_counts_and_scores_hand_worked():
    """A hand-worked table: both right on 40 rows, the network alone on 33, logistic
    regression alone on 7, neither on 0 of 80: the accuracies differ by 26/80."""
    y, nn, logreg = paired_predictions(40, 33, 7, 0)
    comparison = PairedComparison.from_predictions(y, nn, logreg)
    assert comparison == PairedComparison(both=40, first_only=33, second_only=7, neither=0)
    scores = comparison.scores("nn", "logreg")
    interval = intervals.paired_difference(40, 33, 7, 0)
    assert scores == {
        "nn_only_correct": 33,
        "logreg_only_correct": 7,
        "mcnemar_log10_p": pytest.approx(math.log10(intervals.mcnemar_exact(33, 7)), rel=1e-14),
        "accuracy_difference": 26 / 80,
        "accuracy_difference_lower": interval.lower,
        "accuracy_difference_upper": interval.upper,
    }
    accuracy = [np.mean(model == y) for model in (nn, logreg)]
    assert scores["accuracy_difference"] == pytest.approx(accuracy[0] - accuracy[1])
    assert type(scores["nn_only_correct"]) is int


def test_paired_comparison_without_disagreement():
    """Two models right on the same rows: nothing to test, p = 1, difference 0."""
    y, first, second = paired_predictions(50, 0, 0, 30)
    scores = PairedComparison.from_predictions(y, first, second).scores("a", "b")
    assert (scores["a_only_correct"], scores["b_only_correct"]) == (0, 0)
    assert scores["mcnemar_log10_p"] == 0.0 and scores["accuracy_difference"] == 0.0
    assert scores["accuracy_difference_lower"] < 0 < scores["accuracy_difference_upper"]


@pytest.mark.parametrize(
    ("table", "log10_p"),
    [
        ((40, 33, 7, 0), math.log10(4.2277022657798816e-05)),  # the defaults': DVC shows 4e-05
        ((0, 5000, 0, 0), -4999 * math.log10(2)),  # a p-value of 2 × 2^-5000 underflows to 0
    ],
)
def test_mcnemar_p_value_reads_at_dvcs_precision(table, log10_p):
    """22.7: `dvc metrics diff` rounds to 5 decimal places, where `compare.mcnemar_p` read 4e-05
    (and its change 1e-05). Its log10 keeps 5 significant digits there, even for a p-value
    that underflows."""
    scores = PairedComparison(*table).scores("nn", "logreg")
    assert "mcnemar_p" not in scores
    shown = round(scores["mcnemar_log10_p"], 5)
    assert shown == pytest.approx(log10_p, abs=1e-5)


@pytest.mark.parametrize(
    ("table", "lines"),
    [
        (
            (40, 33, 7, 0),
            [
                "nn alone right on 33/80 rows, logreg alone on 7: McNemar p = {p:.2g}",
                "nn beats logreg by 32.5 points of accuracy (95% CI {low:.1f} to {high:.1f})",
            ],
        ),
        (
            (40, 7, 33, 0),
            [
                "nn alone right on 7/80 rows, logreg alone on 33: McNemar p = {p:.2g}",
                "logreg beats nn by 32.5 points of accuracy "
                "(95% CI {flipped_low:.1f} to {flipped_high:.1f})",
            ],
        ),
        (
            (60, 5, 3, 12),
            [
                "nn alone right on 5/80 rows, logreg alone on 3: McNemar p = {p:.2g}",
                "no clear winner: nn - logreg = +2.5 points (95% CI {low:+.1f} to {high:+.1f})",
            ],
        ),
    ],
)
def test_paired_verdict_names_the_winner_only_beyond_chance(table, lines):
    """The words are typed in; the numbers come from `intervals` (checked against hand-worked
    and published cases in test_intervals.py), in points of accuracy. The differences:
    (33 − 7) / 80 = 32.5 points, (5 − 3) / 80 = 2.5."""
    p = intervals.mcnemar_exact(table[1], table[2])
    interval = intervals.paired_difference(*table)
    low, high = 100 * interval.lower, 100 * interval.upper
    numbers = {"p": p, "low": low, "high": high, "flipped_low": -high, "flipped_high": -low}
    expected = [line.format(**numbers) for line in lines]
    assert PairedComparison(*table).verdict("nn", "logreg") == expected


def test_a_p_value_that_underflows_is_given_from_its_log10_not_as_zero():
    """3,000 rows where only the first model is right: p = 2^-2999 ≈ 1.6e-903, below the
    smallest float; the line gives it from the log10 (2999·log10(2) = 902.79...)."""
    comparison = PairedComparison(both=0, first_only=3000, second_only=0, neither=0)
    assert comparison.p_value == 0
    [evidence, _] = comparison.verdict("nn", "logreg")
    assert evidence.endswith("McNemar p = 1.6e-903"), evidence


# --- properties ---------------------------------------------------------------------------------

label_pairs = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
    )
)


@settings(max_examples=150, deadline=None)
@given(label_pairs)
def test_confusion_ratio_properties(pair):
    """Counts sum to n, ratios lie in [0, 1], accuracy is (tp+tn)/n, f1 is the harmonic mean."""
    y_true, y_pred = (np.array(values) for values in pair)
    counts = ConfusionCounts.from_labels(y_true, y_pred)
    n = y_true.size
    assert counts.total == n
    assert counts.tp == int(np.sum((y_true == 1) & (y_pred == 1)))
    assert counts.tn == int(np.sum((y_true == 0) & (y_pred == 0)))
    ratios = [metrics.accuracy(counts), metrics.precision(counts)]
    ratios += [metrics.recall(counts), metrics.f1(counts)]
    assert all(0.0 <= r <= 1.0 for r in ratios)
    assert metrics.accuracy(counts) == pytest.approx((counts.tp + counts.tn) / n)
    p, r = metrics.precision(counts), metrics.recall(counts)
    if p > 0 and r > 0:
        assert metrics.f1(counts) == pytest.approx(2 * p * r / (p + r))


scored_labels = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda ys: len(set(ys)) == 2),
        st.lists(
            st.one_of(
                st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),
                st.floats(0, 1, allow_nan=False),
            ),
            min_size=n,
            max_size=n,
        ),
    )
)


@settings(max_examples=150, deadline=None)
@given(scored_labels)
def test_roc_auc_equals_brute_force_property(pair):
    """For any labels with both classes and any scores (with ties), AUC equals Mann-Whitney."""
    y, s = np.array(pair[0]), np.array(pair[1])
    auc = metrics.roc_auc(y, s)
    assert 0.0 <= auc <= 1.0 + 1e-12
    assert auc == pytest.approx(brute_force_auc(y, s), abs=1e-9)


def test_summary_line_reads_accuracy_and_auc_with_their_intervals():
    """Wilson's interval for 73/80 is 83.0–95.7 % (test_intervals.py); the AUC's bounds are
    left out when DeLong's interval is undefined (a class with a single test row)."""
    scores = {
        "accuracy": 0.9125,
        "accuracy_lower": 0.8302,
        "accuracy_upper": 0.9569,
        "roc_auc": 0.975,
        "roc_auc_lower": 0.948,
        "roc_auc_upper": 1.0,
    }
    assert metrics.summary_line(scores) == (
        "accuracy 91.25% (95% CI 83.0-95.7%), AUC 0.975 (0.948-1.000)"
    )
    del scores["roc_auc_lower"], scores["roc_auc_upper"]
    assert metrics.summary_line(scores) == "accuracy 91.25% (95% CI 83.0-95.7%), AUC 0.975"


# --- plot data that DVC embeds ------------------------------------------------------------------


def test_thinned_roc_keeps_a_small_curve_whole():
    """A curve whose steps are all wider than the grid keeps every point (the defaults' 80 rows)."""
    rng = np.random.default_rng(5)
    y = np.r_[np.zeros(44, int), np.ones(36, int)]
    curve = metrics.roc_curve(y, rng.normal(size=80) + y)
    thinned = curve.thinned(metrics.PLOT_ROWS)
    np.testing.assert_array_equal(thinned.fpr, curve.fpr)
    np.testing.assert_array_equal(thinned.tpr, curve.tpr)


def test_thinned_roc_of_a_large_test_set_is_bounded_and_follows_the_curve():
    """200,000 rows give at most PLOT_ROWS + 1 points, from (0, 0) to (1, 1), each a point of
    the full curve, with no gap along the curve wider than two grid steps."""
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, 200_000)
    curve = metrics.roc_curve(y, rng.normal(size=y.size) + y)
    thinned = curve.thinned(metrics.PLOT_ROWS)
    assert thinned.fpr.size <= metrics.PLOT_ROWS + 1 < curve.fpr.size
    assert (thinned.fpr[0], thinned.tpr[0], thinned.fpr[-1], thinned.tpr[-1]) == (0, 0, 1, 1)
    full = set(zip(curve.fpr.tolist(), curve.tpr.tolist(), strict=True))
    assert set(zip(thinned.fpr.tolist(), thinned.tpr.tolist(), strict=True)) <= full
    gaps = np.diff(thinned.fpr + thinned.tpr)
    assert gaps.max() <= 2 * 2 / metrics.PLOT_ROWS + 1e-3


def test_confusion_table_is_per_row_when_small_and_counts_when_large():
    """Up to PLOT_ROWS test rows: one row each (actual, predicted); beyond: the four cells with
    their counts, hand-counted here."""
    actual = np.array([0, 0, 1, 1, 1])
    predicted = np.array([0, 1, 1, 1, 0])
    small = metrics.confusion_table(actual, predicted)
    assert set(small) == {"actual", "predicted"}
    np.testing.assert_array_equal(small["predicted"], predicted)
    reps = metrics.PLOT_ROWS // 5 + 1
    large = metrics.confusion_table(np.tile(actual, reps), np.tile(predicted, reps))
    cells = list(zip(large["actual"], large["predicted"], large["count"], strict=True))
    assert cells == [(0, 0, reps), (0, 1, reps), (1, 0, reps), (1, 1, 2 * reps)]
