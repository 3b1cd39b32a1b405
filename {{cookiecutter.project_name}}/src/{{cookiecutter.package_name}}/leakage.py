"""The leak guard: a feature that predicts the label almost perfectly on its own, far better
than the others, most likely carries the outcome (a copy of the label, a date after the as-of
date, a code written because of the event). Such a feature is named, and training stops,
unless the configuration allows it by name.

Each feature is scored alone on the holdout: a number as it is (empty values ranked lowest), a
category by its positive rate on the training rows. Pure over pandas; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Suspect:
    feature: str
    auc: float  # the feature's own holdout ROC AUC, folded to >= 0.5
    others: float  # the median of the other features' own AUCs (0.5 when there are none)


def _auc(label: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(label)) < 2 or len(np.unique(score)) < 2:
        return 0.5
    auc = float(roc_auc_score(label, score))
    return max(auc, 1.0 - auc)


def _as_score(train: pd.DataFrame, holdout: pd.DataFrame, feature: str, numeric: bool):
    if numeric:
        values = holdout[feature]
        if values.dtype == object:  # booleans with empty values
            values = values.astype("boolean")
        values = values.astype("float64")
        return values.fillna(values.min() - 1 if values.notna().any() else 0).to_numpy()
    rates = train.groupby(train[feature].astype("string"), dropna=False)["label"].mean()
    prior = float(train["label"].mean()) if len(train) else 0.5
    encoded = holdout[feature].astype("string").map(rates)
    return encoded.astype("float64").fillna(prior).to_numpy()


def single_feature_auc(
    train: pd.DataFrame, holdout: pd.DataFrame, numeric: list[str], categorical: list[str]
) -> dict[str, float]:
    """Each feature's own holdout ROC AUC (0.5: no signal, 1.0: separates the classes)."""
    label = holdout["label"].to_numpy()
    found = {f: _auc(label, _as_score(train, holdout, f, True)) for f in numeric}
    found |= {f: _auc(label, _as_score(train, holdout, f, False)) for f in categorical}
    return found


def suspects(
    aucs: dict[str, float], max_auc: float, min_gap: float, allowed: list[str]
) -> list[Suspect]:
    """The features at or above ``max_auc`` alone and at least ``min_gap`` above the median
    of the others, except those ``allowed``."""
    found = []
    for feature, auc in aucs.items():
        rest = [a for f, a in aucs.items() if f != feature]
        others = float(np.median(rest)) if rest else 0.5
        if feature not in allowed and auc >= max_auc and auc - others >= min_gap:
            found.append(Suspect(feature, auc, others))
    return sorted(found, key=lambda s: -s.auc)
