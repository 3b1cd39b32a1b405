"""Cohorts: the holdout cut by the slices declared in data.yml (`cohorts:`), each cohort
measured like the whole holdout: size, positives, every metric, the primary metric's interval,
calibration, and, with a champion, the paired gain. Pure: pandas and numpy, no Spark.

A cohort with fewer than ``min_rows`` rows, or fewer than ``min_positives`` of either class, is
*too small to judge*: it is listed with its counts, never dropped, and no rule applies to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .declarations import CohortSettings, CohortSlice
from .evaluation import calibration, metrics
from .uncertainty import Estimate, compare, estimate

MISSING = "missing"


def where_column(name: str) -> str:
    """The column that holds whether a row is in the ``where`` cohort ``name``."""
    return f"__cohort_{name}"


def columns_needed(settings: CohortSettings) -> list[str]:
    """The feature-table columns the column slices read."""
    return sorted({s.column for s in settings.slices.values() if s.column})


def _edge(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


def bin_names(bins: list[float]) -> list[str]:
    """The cohorts ``bins`` make, in order: <a, [a, b), ..., >=z."""
    names = [f"<{_edge(bins[0])}"]
    names += [f"[{_edge(a)}, {_edge(b)})" for a, b in zip(bins, bins[1:], strict=False)]
    return [*names, f">={_edge(bins[-1])}"]


def members(frame: pd.DataFrame, name: str, spec: CohortSlice) -> dict[str, np.ndarray]:
    """Each cohort of the slice: {cohort value: which rows of ``frame`` are in it}."""
    if spec.where is not None:
        kept = frame[where_column(name)].to_numpy(dtype=object)
        return {"true": np.array([value is True or value == 1 for value in kept], dtype=bool)}
    values = frame[spec.column]
    missing = values.isna().to_numpy()
    if spec.bins is not None:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        index = np.searchsorted(np.asarray(spec.bins, dtype=float), numbers, side="right")
        cohorts = {label: (index == i) & ~missing for i, label in enumerate(bin_names(spec.bins))}
    else:
        text = values.astype(str).to_numpy()
        cohorts = {v: (text == v) & ~missing for v in sorted(set(text[~missing]))}
    if missing.any():
        cohorts[MISSING] = missing
    return {value: rows for value, rows in cohorts.items() if rows.any()}


@dataclass(frozen=True)
class Cohort:
    slice: str
    value: str  # "true" for a where slice
    rows: int
    positives: int
    judged: bool  # big enough to judge
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # {model: {metric: v}}
    primary: dict[str, Estimate] = field(default_factory=dict)  # {model: the primary's interval}
    calibration: dict[str, dict] = field(default_factory=dict)  # {model: calibration(...)}
    gain: Estimate | None = None  # the challenger's paired gain over the champion

    @property
    def name(self) -> str:
        return self.slice if self.value == "true" else f"{self.slice}={self.value}"

    @property
    def counts(self) -> str:
        return f"{self.rows:,} rows, {self.positives:,} positive"

    def as_dict(self) -> dict:
        return {
            "slice": self.slice,
            "cohort": self.name,
            "rows": self.rows,
            "positives": self.positives,
            "judged": self.judged,
            "metrics": self.metrics,
            "primary": {m: vars(e) for m, e in self.primary.items()},
            "calibration": {
                m: {k: v for k, v in c.items() if k != "bins"} for m, c in self.calibration.items()
            },
            "gain": vars(self.gain) if self.gain else None,
        }


def evaluate(
    frame: pd.DataFrame,
    scores: dict[str, str],
    settings: CohortSettings,
    metric: str,
    *,
    level: float,
    resamples: int,
    seed: int,
) -> list[Cohort]:
    """Every cohort of every slice of ``frame`` (a ``label`` column, each model's score in the
    column ``scores[model]``; "challenger" first, "champion" if there is one)."""
    found = []
    label = frame["label"].to_numpy(dtype=float)
    for name, spec in settings.slices.items():
        for value, rows in members(frame, name, spec).items():
            y = label[rows]
            positives = int(y.sum())
            judged = len(y) >= settings.min_rows and min(positives, len(y) - positives) >= (
                settings.min_positives
            )
            if not judged:
                found.append(Cohort(name, value, len(y), positives, False))
                continue
            model_scores = {m: frame[c].to_numpy(dtype=float)[rows] for m, c in scores.items()}
            bounds = {"level": level, "resamples": resamples, "seed": seed}
            gain = None
            if "champion" in model_scores:
                paired = compare(
                    metric, y, model_scores["challenger"], model_scores["champion"], **bounds
                )
                primary = {"challenger": paired.challenger, "champion": paired.champion}
                gain = paired.gain
            else:
                primary = {"challenger": estimate(metric, y, model_scores["challenger"], **bounds)}
            found.append(
                Cohort(
                    name,
                    value,
                    len(y),
                    positives,
                    True,
                    {m: metrics(y, s) for m, s in model_scores.items()},
                    primary,
                    {m: calibration(y, s, bins=5) for m, s in model_scores.items()},
                    gain,
                )
            )
    return found
