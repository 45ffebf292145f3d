"""Binary-classification metrics from labels and predicted probabilities.

Definitions (class 1 is "positive"; ERRATA item 4 has the post's swap):
  precision = TP / (TP + FP)    recall = TP / (TP + FN)    f1 = 2 TP / (2 TP + FP + FN)
  accuracy = (TP + TN) / n
Zero division: a ratio whose denominator is 0 is defined as 0.0 (as scikit-learn's
`zero_division=0`), e.g. precision of a model that never predicts class 1.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from scratchnet.errors import DataError

LOG_LOSS_EPS = 1e-15
"""Probabilities are clipped to [eps, 1 - eps] so one confident mistake costs ~34.5, not inf."""


@dataclasses.dataclass(frozen=True)
class ConfusionCounts:
    tn: int
    fp: int
    fn: int
    tp: int

    @classmethod
    def from_labels(cls, y_true: np.ndarray, y_pred: np.ndarray) -> ConfusionCounts:
        truth, pred = y_true.astype(bool), y_pred.astype(bool)
        return cls(
            tn=int(np.sum(~truth & ~pred)),
            fp=int(np.sum(~truth & pred)),
            fn=int(np.sum(truth & ~pred)),
            tp=int(np.sum(truth & pred)),
        )

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


def log_loss(y_true: np.ndarray, y_prob: np.ndarray) -> float:
    """Mean binary cross-entropy of probabilities clipped to [eps, 1 - eps]."""
    p = np.clip(y_prob, LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    return float(-np.mean(np.where(y_true == 1, np.log(p), np.log1p(-p))))


def _require_both_classes(y_true: np.ndarray) -> None:
    if np.unique(y_true).size < 2:
        raise DataError("ROC needs both classes among the true labels")


@dataclasses.dataclass(frozen=True, eq=False)
class RocCurve:
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray


def roc_curve(y_true: np.ndarray, y_score: np.ndarray) -> RocCurve:
    """ROC points (fpr, tpr) at every distinct score used as threshold (score >= threshold → 1).

    Starts at (0, 0) with threshold +inf and ends at (1, 1); tied scores move together.
    """
    _require_both_classes(y_true)
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
    y_true: np.ndarray, y_prob: np.ndarray, threshold: float
) -> tuple[ConfusionCounts, dict[str, float]]:
    """Confusion counts at `threshold` and every scalar metric, keyed by stable names."""
    counts = ConfusionCounts.from_labels(y_true, y_prob >= threshold)
    scores = {
        "accuracy": accuracy(counts),
        "precision": precision(counts),
        "recall": recall(counts),
        "f1": f1(counts),
        "log_loss": log_loss(y_true, y_prob),
        "roc_auc": roc_auc(y_true, y_prob),
    }
    return counts, scores


def summary(
    test_true: np.ndarray,
    test_prob: np.ndarray,
    train_true: np.ndarray,
    train_prob: np.ndarray,
    threshold: float,
) -> dict[str, int | float]:
    """The flat metrics document of one model: test-set counts and scores, and train accuracy."""
    counts, scores = classification_report(test_true, test_prob, threshold)
    train_counts = ConfusionCounts.from_labels(train_true, train_prob >= threshold)
    return {**dataclasses.asdict(counts), **scores, "train_accuracy": accuracy(train_counts)}
