"""How sure a holdout metric is: a stratified bootstrap over the holdout's rows. Pure numpy.

Every resample draws the holdout's positives with replacement from its positives and its
negatives from its negatives, so each resample keeps the holdout's class counts (and never
lacks a class, where ROC AUC would be undefined). Two models compared are resampled with the
*same* draws (paired): the interval of their gain then reflects that both were scored on the
same rows, which is much narrower than two separate intervals would suggest. A resample is a
vector of row weights (how often each row was drawn), so one sort of the scores serves all
resamples. Intervals are percentile intervals of the resampled values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

METHOD = "paired stratified bootstrap"
# What each metric is at best: a perfect model's value (1 for the areas, 0 for the losses).
BEST = {"roc_auc": 1.0, "pr_auc": 1.0, "log_loss": 0.0, "brier": 0.0}
HIGHER_IS_BETTER = {"roc_auc": True, "pr_auc": True, "log_loss": False, "brier": False}
_CELLS = 4_000_000  # weights held in memory at once (resamples x rows), about 32 MB


@dataclass(frozen=True)
class Estimate:
    """A metric on the holdout as it is, and its interval."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Comparison:
    """A challenger against a champion on the same rows: the gain in ``metric`` (positive:
    the challenger is better, whichever way the metric runs) and its interval."""

    metric: str
    gain: Estimate
    challenger: Estimate
    champion: Estimate
    best_low: float  # the gain's lower bound a perfect challenger would get on these rows
    level: float
    resamples: int
    seed: int
    rows: int
    positives: int
    method: str = METHOD

    def as_dict(self) -> dict:
        return asdict(self)


def _weights(label: np.ndarray, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Row weights of each resample, a block of resamples at a time: (block, rows)."""
    rng = np.random.default_rng(seed)
    classes = [np.flatnonzero(label == c) for c in (0, 1)]
    block = max(1, _CELLS // max(len(label), 1))
    for start in range(0, resamples, block):
        size = min(block, resamples - start)
        weights = np.zeros((size, len(label)), dtype=np.float32)  # counts: exact in float32
        for rows in classes:
            if len(rows):  # how often each row was drawn, in each resample of the block
                drawn = rng.integers(0, len(rows), size=(size, len(rows)))
                drawn += np.arange(size)[:, None] * len(rows)
                counts = np.bincount(drawn.ravel(), minlength=size * len(rows))
                weights[:, rows] = counts.reshape(size, len(rows))
        yield weights


def _area(metric: str, label: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC or average precision of each weighted resample (ties counted as sklearn does)."""
    order = np.argsort(-score, kind="mergesort")
    ranked, positive = score[order], label[order].astype(bool)
    w = weights[:, order]
    ends = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1]  # last row of each threshold
    tp = np.cumsum(np.where(positive, w, 0), axis=1)[:, ends]
    fp = np.cumsum(np.where(positive, 0, w), axis=1)[:, ends]
    zero = np.zeros((len(w), 1), dtype=w.dtype)
    tpr = np.hstack([zero, tp / tp[:, -1:]])
    if metric == "pr_auc":
        called = tp + fp
        precision = np.divide(tp, called, out=np.ones_like(tp), where=called > 0)
        return np.sum(np.diff(tpr, axis=1) * precision, axis=1)
    fpr = np.hstack([zero, fp / fp[:, -1:]])
    return np.sum(np.diff(fpr, axis=1) * (tpr[:, 1:] + tpr[:, :-1]), axis=1) / 2


def weighted(metric: str, label: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``metric`` of each weighted resample (one row of ``weights`` each)."""
    if metric in ("roc_auc", "pr_auc"):
        return _area(metric, label, score, weights).astype(float)
    if metric == "brier":
        loss = (score - label) ** 2
    elif metric == "log_loss":
        clipped = np.clip(score, 1e-7, 1 - 1e-7)
        loss = -(label * np.log(clipped) + (1 - label) * np.log(1 - clipped))
    else:
        raise ValueError(f"no bootstrap for metric {metric!r}")
    return weights @ loss / weights.sum(axis=1)


def _bounds(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def draws(
    metric: str, label: np.ndarray, scores: dict[str, np.ndarray], resamples: int, seed: int
) -> dict[str, np.ndarray]:
    """``metric`` of each model over the same resamples: {model: (resamples,)}."""
    label = np.asarray(label, dtype=float)
    found: dict[str, list[np.ndarray]] = {name: [] for name in scores}
    for weights in _weights(label, resamples, seed):
        for name, score in scores.items():
            found[name].append(weighted(metric, label, np.asarray(score, float), weights))
    return {name: np.concatenate(parts) for name, parts in found.items()}


def estimate(
    metric: str,
    label: np.ndarray,
    score: np.ndarray,
    *,
    level: float,
    resamples: int,
    seed: int,
) -> Estimate:
    """``metric`` of one model on the holdout, with its interval."""
    point = weighted(
        metric, np.asarray(label, float), np.asarray(score, float), np.ones((1, len(label)))
    )
    values = draws(metric, label, {"model": score}, resamples, seed)["model"]
    return Estimate(float(point[0]), *_bounds(values, level))


def compare(
    metric: str,
    label: np.ndarray,
    challenger: np.ndarray,
    champion: np.ndarray,
    *,
    level: float,
    resamples: int,
    seed: int,
) -> Comparison:
    """The challenger's gain over the champion in ``metric``, paired over the same resamples."""
    label = np.asarray(label, dtype=float)
    scores = {"challenger": np.asarray(challenger, float), "champion": np.asarray(champion, float)}
    ones = np.ones((1, len(label)))
    point = {name: float(weighted(metric, label, s, ones)[0]) for name, s in scores.items()}
    values = draws(metric, label, scores, resamples, seed)
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    gains = sign * (values["challenger"] - values["champion"])
    perfect = sign * (BEST[metric] - values["champion"])
    return Comparison(
        metric=metric,
        gain=Estimate(sign * (point["challenger"] - point["champion"]), *_bounds(gains, level)),
        challenger=Estimate(point["challenger"], *_bounds(values["challenger"], level)),
        champion=Estimate(point["champion"], *_bounds(values["champion"], level)),
        best_low=_bounds(perfect, level)[0],
        level=level,
        resamples=resamples,
        seed=seed,
        rows=len(label),
        positives=int(label.sum()),
    )
