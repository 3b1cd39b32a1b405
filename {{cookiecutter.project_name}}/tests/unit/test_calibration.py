"""Calibration: equal-row bins, the observed rate against the mean score, and the figure."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

from {{ cookiecutter.package_name }}.evaluation import calibration, calibration_figure


def drawn(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores of a rare outcome and labels drawn with exactly those probabilities."""
    rng = np.random.default_rng(seed)
    score = rng.beta(1, 9, n)  # mean 0.1
    return (rng.random(n) < score).astype(int), score


def test_scores_that_are_the_probabilities_are_calibrated() -> None:
    label, score = drawn(20_000, 0)
    found = calibration(label, score)
    assert [b["rows"] for b in found["bins"]] == [2_000] * 10  # equal rows, not equal widths
    assert found["expected_calibration_error"] < 0.01
    assert found["brier"] == pytest.approx(brier_score_loss(label, score))
    assert found["mean_predicted"] == pytest.approx(score.mean())
    assert found["observed_rate"] == pytest.approx(label.mean())
    lows = [b["low"] for b in found["bins"]]
    assert lows == sorted(lows) and all(
        b["low"] <= b["predicted"] <= b["high"] for b in found["bins"]
    )


def test_overconfident_scores_are_not() -> None:
    label, score = drawn(20_000, 1)
    doubled = calibration(label, np.minimum(score * 2, 1))
    assert doubled["expected_calibration_error"] > 0.05
    assert doubled["mean_predicted"] > 1.5 * doubled["observed_rate"]
    top = doubled["bins"][-1]
    assert top["predicted"] > top["observed"]  # the highest scores promise most and miss most


def test_fewer_rows_than_bins_still_bins_every_row() -> None:
    found = calibration(np.array([0, 1, 1]), np.array([0.2, 0.9, 0.6]))
    assert [b["rows"] for b in found["bins"]] == [1, 1, 1]
    assert [b["observed"] for b in found["bins"]] == [0.0, 1.0, 1.0]


def test_the_figure_names_what_it_shows(tmp_path) -> None:
    label, score = drawn(2_000, 2)
    curves = {
        "challenger v2": calibration(label, score),
        "champion v1": calibration(label, score / 2),
    }
    figure = calibration_figure(curves, "an admission", "Calibration (2,000 holdout rows)")
    [axes] = figure.axes
    assert axes.get_ylabel() == "observed rate of label 1 in the bin"
    assert "label 1: an admission" in [t.get_text() for t in figure.texts]
    legend = [t.get_text() for t in axes.get_legend().get_texts()]
    assert legend[0].startswith("challenger v2 (Brier ") and "perfectly calibrated" in legend
    figure.savefig(tmp_path / "calibration.png")
    assert (tmp_path / "calibration.png").stat().st_size > 10_000
