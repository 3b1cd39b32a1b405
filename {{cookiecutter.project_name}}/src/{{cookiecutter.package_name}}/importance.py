"""Feature importance that means the same for every estimator, and the model's own measure
where it has a well-defined one.

Permutation importance: the drop in holdout ROC AUC when one feature's values are shuffled
among the rows, repeated with other shuffles. One function computes it for every estimator,
given a ``predict(frame) -> scores`` callable: all shuffled copies are stacked and scored in as
few calls as fit in BATCH_CELLS values (one call at the default sizes), so a Spark model is
scored by one Spark job, not one per feature and repeat.

A drop is *within noise* when the holdout's own AUC could be one more shuffle: its mean lies
inside the 95% range of mean drops a feature the model does not rely on shows, the bound
t(0.975, repeats - 1) x std x sqrt(1 + 1/repeats) (3.04 std at 5 repeats; std over the
repeats). The plot's error bars are mean ± that bound: a bar that crosses 0 is within noise.

The native measure is shown for linear models only (standardised coefficients, see
`standardised_coefficients`). Tree models' impurity importance is left out: it is computed on
the training rows, so it rewards what the model overfits, it favours features with many
distinct values, and the default estimator has none, so runs would not compare.

Nothing here reads or writes anything: results and figures are returned.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # drawn to files only: no pyplot, no window
from matplotlib.patches import Patch

METRIC = "roc_auc"
BATCH_CELLS = 16_000_000  # values scored per predict call (about 128 MB of doubles)
NOISE_LEVEL = 0.95  # the share of a pure-noise feature's mean drops inside the noise bound
ABOVE_NOISE, WITHIN_NOISE = "tab:blue", "lightgrey"

Predict = Callable[[pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class Permutation:
    """Drops in holdout ROC AUC, per feature and repeat, when the feature is shuffled."""

    rows: int  # holdout rows scored
    repeats: int
    seed: int
    baseline: float  # ROC AUC of the unshuffled rows
    drops: dict[str, tuple[float, ...]]  # one per repeat

    def mean(self, feature: str) -> float:
        return float(np.mean(self.drops[feature]))

    def std(self, feature: str) -> float:
        """Standard deviation over the repeats (ddof 1)."""
        return float(np.std(self.drops[feature], ddof=1))

    def bound(self, feature: str) -> float:
        """Half-width of the noise band around 0: a mean drop inside it is within noise."""
        from scipy.stats import t

        widen = math.sqrt(1 + 1 / self.repeats)  # the unshuffled AUC is one draw too
        return float(t.ppf((1 + NOISE_LEVEL) / 2, self.repeats - 1) * widen * self.std(feature))

    def within_noise(self, feature: str) -> bool:
        return abs(self.mean(feature)) <= self.bound(feature)


@dataclass(frozen=True)
class Native:
    """The model's own measure of importance, per feature, with what it is."""

    label: str  # what was measured
    rows: int  # the rows it was measured on (for coefficients: the training rows)
    values: dict[str, float]
    slots: dict[str, float]  # per assembled input (a number, a one-hot level)


@dataclass(frozen=True)
class Importance:
    permutation: Permutation
    native: Native | None  # None: the model has no well-defined measure of its own

    def as_dict(self) -> dict:
        """What feature_importance.json holds: the plot's numbers, and what they mean."""
        p = self.permutation
        return {
            "method": "permutation",
            "metric": METRIC,
            "measured": (
                "drop in ROC AUC on holdout rows when one feature's values are shuffled "
                "among them; mean and std over the repeats"
            ),
            "part": "holdout",
            "rows": p.rows,
            "repeats": p.repeats,
            "seed": p.seed,
            "baseline": p.baseline,
            "noise_rule": (
                f"within_noise: |mean| <= bound = t({(1 + NOISE_LEVEL) / 2:g}, repeats - 1) x "
                "std x sqrt(1 + 1/repeats)"
            ),
            "features": {
                f: {
                    "mean": p.mean(f),
                    "std": p.std(f),
                    "bound": p.bound(f),
                    "repeats": p.repeats,
                    "within_noise": p.within_noise(f),
                }
                for f in p.drops
            },
            "native": None
            if self.native is None
            else {
                "label": self.native.label,
                "rows": self.native.rows,
                "values": self.native.values,
                "slots": self.native.slots,
            },
        }


def sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """At most ``rows`` of ``frame``, drawn at random (seeded)."""
    take = np.random.default_rng(seed).permutation(len(frame))[:rows]
    return frame.iloc[np.sort(take)]


Shuffle = tuple[str, np.ndarray] | None  # a column and the order its values are put in


def _scores(predict: Predict, frame: pd.DataFrame, shuffles: list[Shuffle]) -> list[np.ndarray]:
    """The scores of ``frame`` under each shuffle (None: as it is), the shuffled copies made
    and stacked a batch at a time, into as few calls of ``predict`` as BATCH_CELLS allows."""
    per_call = max(1, BATCH_CELLS // max(1, frame.size))
    scores = []
    for start in range(0, len(shuffles), per_call):
        batch = [
            frame if s is None else frame.assign(**{s[0]: frame[s[0]].to_numpy()[s[1]]})
            for s in shuffles[start : start + per_call]
        ]
        stacked = np.asarray(predict(pd.concat(batch, ignore_index=True)), dtype=float)
        scores.extend(np.split(stacked, len(batch)))
    return scores


def permutation_importance(
    predict: Predict, frame: pd.DataFrame, label: np.ndarray, repeats: int, seed: int
) -> Permutation:
    """The drop in ROC AUC of ``predict`` (scores of the positive class) on ``frame`` when each
    of its columns in turn is shuffled, ``repeats`` times each with other shuffles (seeded)."""
    from sklearn.metrics import roc_auc_score

    if repeats < 2:
        raise ValueError(
            f"permutation importance needs at least 2 repeats for a spread, not {repeats}"
        )
    frame = frame.reset_index(drop=True)
    rng = np.random.default_rng(seed)
    shuffles = [(f, rng.permutation(len(frame))) for f in frame.columns for _ in range(repeats)]
    baseline, *shuffled = (
        roc_auc_score(label, s) for s in _scores(predict, frame, [None, *shuffles])
    )
    drops = {
        f: tuple(float(baseline - a) for a in shuffled[i * repeats : (i + 1) * repeats])
        for i, f in enumerate(frame.columns)
    }
    return Permutation(len(frame), repeats, seed, float(baseline), drops)


STANDARDISED = (
    "standardised coefficient: std over the training rows of the feature's term in the "
    "log-odds, |coefficient x std of the input| for a number; for a category the spread of "
    "its one-hot terms together"
)


def standardised_coefficients(
    coefficients: np.ndarray,
    inputs: Sequence[str],
    owners: Sequence[str],
    mean: np.ndarray,
    variance: np.ndarray,
    rows: int,
) -> Native:
    """A linear model's coefficients on the scale of its assembled ``inputs``, from each one's
    ``mean`` and (population) ``variance`` over the ``rows`` training rows; ``owners`` names
    the feature each input came from.

    Per input: coefficient x std (signed). Per feature: the std of its term in the log-odds,
    which for a number is |coefficient x std|. A category's one-hot inputs are never 1 together,
    so its term's variance is sum(b^2 p) - (sum(b p))^2 (p: the mean of each level's input):
    one number per feature that, unlike a sum over levels, does not grow with their count.
    """
    coefficients, mean, variance = (
        np.asarray(a, dtype=float) for a in (coefficients, mean, variance)
    )
    slots = coefficients * np.sqrt(variance)
    values = {}
    for feature in dict.fromkeys(owners):
        idx = [i for i, owner in enumerate(owners) if owner == feature]
        b, p = coefficients[idx], mean[idx]
        if len(idx) == 1:
            values[feature] = float(abs(slots[idx[0]]))
        else:
            values[feature] = float(math.sqrt(max(0.0, (b**2 @ p) - (b @ p) ** 2)))
    return Native(STANDARDISED, rows, values, dict(zip(inputs, slots.tolist(), strict=True)))


def _bars(axes, names: list[str], values: list[float], colours: list[str], errors=None) -> None:
    axes.barh(names, values, xerr=errors, color=colours, edgecolor="grey", capsize=3)
    axes.axvline(0, color="black", linewidth=0.8)


def importance_figure(importance: Importance) -> Figure:
    """Permutation importance with its noise band, features within noise in grey; beside it the
    model's own measure when it has one, in the same order."""
    p, native = importance.permutation, importance.native
    order = sorted(p.drops, key=p.mean)
    colours = [WITHIN_NOISE if p.within_noise(f) else ABOVE_NOISE for f in order]
    panels = 1 if native is None else 2
    figure = Figure(figsize=(7.5 * panels, 2 + 0.32 * len(order)))
    axes = figure.subplots(1, panels, sharey=True, squeeze=False)[0]
    _bars(axes[0], order, [p.mean(f) for f in order], colours, [p.bound(f) for f in order])
    axes[0].set(
        title=(
            f"Permutation importance: {p.rows:,} holdout rows, {p.repeats} repeats\n"
            f"(ROC AUC {p.baseline:.3f} unshuffled)"
        ),
        xlabel=(
            f"drop in ROC AUC when the feature is shuffled (mean of {p.repeats})\n"
            f"error bar: ± the {NOISE_LEVEL:.0%} noise bound; crossing 0 = within noise"
        ),
    )
    axes[0].legend(
        handles=[
            Patch(facecolor=ABOVE_NOISE, edgecolor="grey", label="above noise"),
            Patch(facecolor=WITHIN_NOISE, edgecolor="grey", label="within noise"),
        ],
        loc="lower right",
    )
    if native is not None:
        named = dict(native.values)
        _bars(axes[1], order, [named.get(f, 0.0) for f in order], ["tab:orange"] * len(order))
        axes[1].set(
            title=(
                "The model's own measure: standardised coefficients\n"
                f"({native.rows:,} training rows)"
            ),
            xlabel="std of the feature's term in the log-odds\n(|coefficient x std| for a number)",
        )
    figure.tight_layout()
    return figure
