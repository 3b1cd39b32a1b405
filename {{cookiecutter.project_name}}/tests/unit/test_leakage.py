"""The leak guard on hand-made data: which features it names and which it lets through."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.leakage import single_feature_auc, suspects


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    n = 4_000
    label = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {
            "label": label,
            "noise": rng.normal(size=n),
            "honest": label * 0.8 + rng.normal(size=n),  # useful, far from perfect
            "copied": label.astype(float),  # the label itself
            "minus_copied": -label.astype(float),  # a leak that ranks the other way
            "outcome_code": np.where(label == 1, "RA", "HOME"),  # a categorical leak
            "region": rng.choice(["north", "south"], n),
        }
    )
    frame.loc[::7, "noise"] = np.nan  # empty values are ranked, not dropped
    return frame.iloc[: n // 2], frame.iloc[n // 2 :]


def test_each_feature_is_scored_alone(frames) -> None:
    train, holdout = frames
    aucs = single_feature_auc(
        train, holdout, ["noise", "honest", "copied", "minus_copied"], ["outcome_code", "region"]
    )
    assert aucs["copied"] == aucs["minus_copied"] == aucs["outcome_code"] == 1.0
    assert 0.5 <= aucs["noise"] < 0.56 and 0.5 <= aucs["region"] < 0.56
    assert 0.65 < aucs["honest"] < 0.8


def test_near_perfect_features_far_above_the_rest_are_named(frames) -> None:
    train, holdout = frames
    aucs = single_feature_auc(
        train, holdout, ["noise", "honest", "copied", "minus_copied"], ["outcome_code", "region"]
    )
    found = suspects(aucs, max_auc=0.98, min_gap=0.15, allowed=[])
    assert [s.feature for s in found] == ["copied", "minus_copied", "outcome_code"]
    # the median of the five others: two chance features, "honest", and two other leaks
    assert found[0].auc == 1.0 and found[0].others == pytest.approx(aucs["honest"])
    honest_only = {k: aucs[k] for k in ("noise", "honest", "region", "copied")}
    lone = suspects(honest_only, max_auc=0.98, min_gap=0.15, allowed=[])
    assert [(s.feature, round(s.others, 2)) for s in lone] == [
        ("copied", round(float(np.median([aucs["noise"], aucs["honest"], aucs["region"]])), 2))
    ]


def test_allowed_and_honest_features_pass(frames) -> None:
    train, holdout = frames
    aucs = single_feature_auc(train, holdout, ["noise", "honest", "copied"], [])
    assert suspects(aucs, max_auc=0.98, min_gap=0.15, allowed=["copied"]) == []
    assert suspects({"honest": 0.9, "noise": 0.5}, max_auc=0.98, min_gap=0.15, allowed=[]) == []
    # a perfect feature among other strong ones is not "far above" them
    assert suspects({"a": 0.99, "b": 0.95, "c": 0.93}, max_auc=0.98, min_gap=0.15, allowed=[]) == []
    # alone in the cart, a perfect feature is compared with chance
    assert [s.feature for s in suspects({"a": 1.0}, 0.98, 0.15, [])] == ["a"]
