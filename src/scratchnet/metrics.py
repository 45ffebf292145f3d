"""Binary-classification metrics from labels and each model's logits (log-odds).

Definitions (class 1 is "positive"; ERRATA item 4 has the post's swap):
  precision = TP / (TP + FP)    recall = TP / (TP + FN)    f1 = 2 TP / (2 TP + FP + FN)
  accuracy = (TP + TN) / n
Zero division: a ratio whose denominator is 0 is defined as 0.0 (as scikit-learn's
`zero_division=0`), e.g. precision of a model that never predicts class 1.
Test accuracy and ROC AUC come with 95 % intervals, and two models' predictions on the same
rows with a paired comparison (`scratchnet.intervals` has the methods).
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from scratchnet import intervals
from scratchnet.numerics import binary_cross_entropy_from_logits, sigmoid


def cross_counts(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int, int]:
    """How many rows have (a, b) = (False, False), (False, True), (True, False), (True, True):
    the 2 × 2 table of two boolean columns, in one pass."""
    counts = np.bincount(2 * a.astype(np.intp) + b.astype(np.intp), minlength=4)
    return int(counts[0]), int(counts[1]), int(counts[2]), int(counts[3])


@dataclasses.dataclass(frozen=True)
class ConfusionCounts:
    tn: int
    fp: int
    fn: int
    tp: int

    @classmethod
    def from_labels(cls, y_true: np.ndarray, y_pred: np.ndarray) -> ConfusionCounts:
        tn, fp, fn, tp = cross_counts(y_true.astype(bool), y_pred.astype(bool))
        return cls(tn=tn, fp=fp, fn=fn, tp=tp)

    @property
    def total(self) -> int:
        return self.tn + self.fp + self.fn + self.tp


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def accuracy(c: ConfusionCounts) -> float:
    return _ratio(c.tp + c.tn, c.total)


def precision(c: ConfusionCounts) -> float:
    return _ratio(c.tp, c.tp + c.fp)


def recall(c: ConfusionCounts) -> float:
    return _ratio(c.tp, c.tp + c.fn)


def f1(c: ConfusionCounts) -> float:
    return _ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn)


PLOT_ROWS = 1_000
"""Plot data that DVC embeds in its page stays about this many rows at any test-set size."""


def confusion_table(actual: np.ndarray, predicted: np.ndarray) -> dict[str, np.ndarray]:
    """The data of DVC's confusion plot: one row per test row (actual, predicted) up to
    PLOT_ROWS rows; beyond, one row per cell with its `count` (the template sums either)."""
    if actual.size <= PLOT_ROWS:
        return {"actual": actual, "predicted": predicted}
    counts = cross_counts(actual.astype(bool), predicted.astype(bool))  # cells 00, 01, 10, 11
    return {"actual": np.array([0, 0, 1, 1]), "predicted": np.array([0, 1, 0, 1]), "count": counts}


def predict_labels(probability: np.ndarray, threshold: float) -> np.ndarray:
    """Class 1 where P(y = 1) is at least `threshold`, else 0."""
    return (probability >= threshold).astype(np.int64)


def labels_from_logits(logits: np.ndarray, threshold: float) -> np.ndarray:
    """Class 1 where sigmoid(logit) is at least `threshold`, else 0."""
    return predict_labels(sigmoid(logits), threshold)


def log_loss(y_true: np.ndarray, logits: np.ndarray) -> float:
    """Mean binary cross-entropy, from logits: exact even for confident mistakes, no clipping."""
    return binary_cross_entropy_from_logits(logits.astype(np.float64), 1.0 - 2.0 * y_true)


@dataclasses.dataclass(frozen=True, eq=False)
class RocCurve:
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray

    def thinned(self, points: int) -> RocCurve:
        """At most `points` + 1 of the points, for a plot: the first in each of `points` equal
        steps of fpr + tpr along the curve, and the last. A curve whose every step moves
        fpr + tpr by at least 2 / `points` keeps every point."""
        steps = np.floor((self.fpr + self.tpr) * (points / 2)).astype(np.int64)
        keep = np.r_[True, steps[1:] != steps[:-1]]
        keep[-1] = True
        return RocCurve(self.fpr[keep], self.tpr[keep], self.thresholds[keep])


def roc_curve(y_true: np.ndarray, y_score: np.ndarray) -> RocCurve:
    """ROC points (fpr, tpr) at every distinct score used as threshold (score >= threshold → 1).

    Starts at (0, 0) with threshold +inf and ends at (1, 1); tied scores move together.
    """
    intervals.require_both_classes(y_true)
    order = np.argsort(-y_score, kind="stable")
    scores, truth = y_score[order], y_true[order].astype(bool)
    last_of_tie = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    tp = np.cumsum(truth)[last_of_tie]
    fp = (last_of_tie + 1) - tp
    return RocCurve(
        fpr=np.r_[0.0, fp / (~truth).sum()],
        tpr=np.r_[0.0, tp / truth.sum()],
        thresholds=np.r_[np.inf, scores[last_of_tie]],
    )


def roc_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under the ROC curve by the trapezoidal rule (equals the Mann-Whitney U statistic)."""
    curve = roc_curve(y_true, y_score)
    return float(np.trapezoid(curve.tpr, curve.fpr))


def classification_report(
    y_true: np.ndarray, logits: np.ndarray, threshold: float
) -> tuple[ConfusionCounts, dict[str, float]]:
    """Confusion counts at probability `threshold` and every scalar metric, by stable names.

    ROC and its area are computed on the logits: a monotone score like the probability, but
    without the ties that saturated probabilities (exactly 0 or 1 beyond |logit| ≈ 37) create.
    """
    counts = ConfusionCounts.from_labels(y_true, labels_from_logits(logits, threshold))
    scores = {
        "accuracy": accuracy(counts),
        "precision": precision(counts),
        "recall": recall(counts),
        "f1": f1(counts),
        "log_loss": log_loss(y_true, logits),
        "roc_auc": roc_auc(y_true, logits),
    }
    return counts, scores


def summary(
    test_true: np.ndarray,
    test_logits: np.ndarray,
    train_true: np.ndarray,
    train_logits: np.ndarray,
    threshold: float,
) -> dict[str, int | float | None]:
    """One model's headline metrics: test-set scores with the 95 % intervals of accuracy
    (Wilson) and ROC AUC (DeLong) as `<name>_lower` and `<name>_upper`, and train accuracy. ROC
    AUC's bounds are absent when a class has a single test row (DeLong's variance needs two),
    None (JSON's null, which DVC shows as "-") when every score is the same (undefined).
    The confusion counts stay out (DVC's confusion plots of the predictions show them), so
    `dvc exp show` stays narrow."""
    counts, scores = classification_report(test_true, test_logits, threshold)
    bounds = {
        "accuracy": intervals.wilson(counts.tp + counts.tn, counts.total),
        "roc_auc": intervals.auc_interval(test_true, test_logits),
    }
    for name, interval in bounds.items():
        if interval is not None:
            defined = interval.defined  # NaN is not JSON
            scores[f"{name}_lower"] = interval.lower if defined else None
            scores[f"{name}_upper"] = interval.upper if defined else None
    train_counts = ConfusionCounts.from_labels(
        train_true, labels_from_logits(train_logits, threshold)
    )
    return {**scores, "train_accuracy": accuracy(train_counts)}


def summary_line(scores: dict[str, int | float | None]) -> str:
    """A `summary` for a reader: test accuracy and ROC AUC, each with its 95 % interval."""
    auc = f"AUC {scores['roc_auc']:.3f}"
    if "roc_auc_lower" in scores and scores["roc_auc_lower"] is None:
        auc += " (interval undefined: every score is the same)"
    elif "roc_auc_lower" in scores:
        auc += f" ({scores['roc_auc_lower']:.3f}-{scores['roc_auc_upper']:.3f})"
    return (
        f"accuracy {scores['accuracy']:.2%} (95% CI "
        f"{100 * scores['accuracy_lower']:.1f}-{scores['accuracy_upper']:.1%}), {auc}"
    )


SIGNIFICANCE = 0.05
"""A McNemar p-value below this calls the accuracy difference more than chance."""


@dataclasses.dataclass(frozen=True)
class PairedComparison:
    """Two models' predictions on the same rows: how many rows both, only the first, only the
    second and neither get right. Their accuracies differ by (first_only − second_only) / n,
    so only the rows where they disagree carry evidence (McNemar's test)."""

    both: int
    first_only: int
    second_only: int
    neither: int

    @classmethod
    def from_predictions(
        cls, y_true: np.ndarray, first: np.ndarray, second: np.ndarray
    ) -> PairedComparison:
        neither, second_only, first_only, both = cross_counts(first == y_true, second == y_true)
        return cls(both=both, first_only=first_only, second_only=second_only, neither=neither)

    @property
    def rows(self) -> int:
        return self.both + self.first_only + self.second_only + self.neither

    @functools.cached_property
    def p_value(self) -> float:
        return intervals.mcnemar_exact(self.first_only, self.second_only)

    @property
    def difference(self) -> float:
        """First model's accuracy minus the second's."""
        return (self.first_only - self.second_only) / self.rows

    @functools.cached_property
    def interval(self) -> intervals.Interval:
        return intervals.paired_difference(
            self.both, self.first_only, self.second_only, self.neither
        )

    def scores(self, first: str, second: str) -> dict[str, int | float]:
        """The comparison's metrics, by stable names (`first` and `second` name the models). The
        McNemar p-value goes in as its log10 (-4.3739 for 4.23e-5): DVC shows metrics to 5
        decimal places, where the p-value itself reads 4e-05 and a change of it 1e-05, and
        below about 1e-308 it would be 0."""
        interval = self.interval
        return {
            f"{first}_only_correct": self.first_only,
            f"{second}_only_correct": self.second_only,
            "mcnemar_log10_p": intervals.mcnemar_log10(self.first_only, self.second_only),
            "accuracy_difference": self.difference,
            "accuracy_difference_lower": interval.lower,
            "accuracy_difference_upper": interval.upper,
        }

    def _p_text(self) -> str:
        """The p-value to two significant digits; from its log10 where the float underflows to
        0 (thousands of disagreeing rows), so a line never says p = 0."""
        if self.p_value > 0:
            return f"{self.p_value:.2g}"
        log10 = intervals.mcnemar_log10(self.first_only, self.second_only)
        exponent = math.floor(log10)
        mantissa = round(10 ** (log10 - exponent), 1)
        if mantissa >= 10:  # 9.96 rounds up a decade
            mantissa, exponent = mantissa / 10, exponent + 1
        return f"{mantissa:.1f}e{exponent}"

    def verdict(self, first: str, second: str) -> list[str]:
        """Two lines for a reader (ASCII, like all stage output): the evidence (the rows where
        the models disagree, the exact McNemar p-value), then the model that is better beyond
        chance and by how much, or that there is no clear winner."""
        interval = self.interval
        lines = [
            f"{first} alone right on {self.first_only}/{self.rows} rows, {second} alone on "
            f"{self.second_only}: McNemar p = {self._p_text()}"
        ]
        if self.p_value >= SIGNIFICANCE:
            return [
                *lines,
                f"no clear winner: {first} - {second} = {100 * self.difference:+.1f} points "
                f"(95% CI {100 * interval.lower:+.1f} to {100 * interval.upper:+.1f})",
            ]
        sign = 1 if self.difference > 0 else -1
        ahead, behind = (first, second) if sign > 0 else (second, first)
        low, high = sorted((100 * sign * interval.lower, 100 * sign * interval.upper))
        return [
            *lines,
            f"{ahead} beats {behind} by {100 * abs(self.difference):.1f} points of accuracy "
            f"(95% CI {low:.1f} to {high:.1f})",
        ]
