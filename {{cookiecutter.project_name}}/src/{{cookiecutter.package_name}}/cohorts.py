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


@dataclass(frozen=True)
class Population:
    """The cohort one model is for (feature_selection_config.yml `cohort:`): the rows it
    learns from, is judged on and scores are those whose features, as of each row's date,
    meet ``where`` (a row for which ``where`` is null is out)."""

    name: str  # as written: a where slice's name, or <slice>=<value>
    where: str  # a Spark SQL boolean expression over feature-table columns
    columns: tuple[str, ...]  # the feature-table columns it reads

    @property
    def tag(self) -> str:
        """What the model version records (features.cohort), and inference compares."""
        return f"{self.name}: {self.where}"


def _quoted(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def columns_read(where: str, available: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The columns of ``available`` whose name appears in ``where`` as a word: at least every
    column the expression reads (one named inside a string literal is looked up needlessly)."""
    import re

    return tuple(c for c in available if re.search(rf"(?<!\w){re.escape(c)}(?!\w)", where))


def population(settings: CohortSettings, name: str, types: dict[str, str]) -> Population:
    """The cohort ``name`` of ``settings`` as a filter, or a ValueError saying which names are
    possible. ``types``: every feature-table column's declared type."""
    if name in settings.slices and settings.slices[name].where is not None:
        where = settings.slices[name].where
        return Population(name, where, columns_read(where, list(types)))
    column_slices = [n for n, s in settings.slices.items() if s.column]
    where_slices = [n for n, s in settings.slices.items() if s.where is not None]
    known = (
        f"a where slice ({', '.join(where_slices) or 'none declared'}) or <slice>=<value> of a "
        f"column slice ({', '.join(column_slices) or 'none declared'}) of cohorts.slices"
    )
    slice_name, equals, value = name.partition("=")
    spec = settings.slices.get(slice_name)
    if not equals or spec is None or spec.column is None or not value:
        raise ValueError(f"{name!r} is not a cohort: name {known}")
    column = _quoted(spec.column)
    if value == MISSING:
        return Population(name, f"{column} IS NULL", (spec.column,))
    if spec.bins is not None:
        names = bin_names(spec.bins)
        if value not in names:
            raise ValueError(
                f"{name!r}: slice {slice_name!r} cuts {spec.column!r} into "
                f"{', '.join(names)} (or {MISSING}); name one of those"
            )
        i, edges = names.index(value), [_edge(b) for b in spec.bins]
        if i == 0:
            where = f"{column} < {edges[0]}"
        elif i == len(edges):
            where = f"{column} >= {edges[-1]}"
        else:
            where = f"{column} >= {edges[i - 1]} AND {column} < {edges[i]}"
        return Population(name, where, (spec.column,))
    if types.get(spec.column) == "boolean" and value.lower() in ("true", "false"):
        return Population(name, f"{column} = {value.lower()}", (spec.column,))
    return Population(name, f"CAST({column} AS STRING) = {_literal(value)}", (spec.column,))


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
