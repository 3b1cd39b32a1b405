"""The holdout plots: one model's curve and several models' curves are drawn by one function."""

from __future__ import annotations

import numpy as np

from {{ cookiecutter.package_name }}.evaluation import (
    pr_figure,
    pr_overlay,
    roc_figure,
    roc_overlay,
)

LABEL = np.array([0, 0, 1, 1, 0, 1])
GOOD = np.array([0.1, 0.2, 0.8, 0.9, 0.3, 0.7])  # ranks every positive first: AUC 1
POOR = np.array([0.9, 0.2, 0.1, 0.8, 0.3, 0.4])


def legend(figure) -> list[str]:
    return [text.get_text() for text in figure.axes[0].get_legend().get_texts()]


def test_one_models_curve_is_labelled_by_its_measure_alone() -> None:
    assert legend(roc_figure(LABEL, GOOD, "ROC")) == ["AUC 1.000", "chance"]
    assert legend(pr_figure(LABEL, GOOD, "PR")) == ["AP 1.000", "base rate"]
    assert roc_figure(LABEL, GOOD, "holdout").axes[0].get_title() == "holdout"


def test_several_models_curves_are_labelled_by_name_and_measure() -> None:
    curves = {"champion": (LABEL, POOR), "challenger": (LABEL, GOOD)}
    roc = legend(roc_overlay(curves, "ROC"))
    assert roc[1:] == ["challenger (AUC 1.000)", "chance"]
    assert roc[0].startswith("champion (AUC 0.") and roc[0] != "champion (AUC 1.000)"
    assert legend(pr_overlay(curves, "PR"))[1:] == ["challenger (AP 1.000)", "base rate"]
