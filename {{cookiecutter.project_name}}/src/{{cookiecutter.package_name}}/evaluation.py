"""How good a model is on the holdout: metrics and curves (feature importance: importance.py)."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure  # drawn to files only: no pyplot, no window


def metrics(label: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """ROC AUC, average precision (PR AUC), log loss and Brier score, with the counts."""
    from sklearn.metrics import (
        average_precision_score,
        brier_score_loss,
        log_loss,
        roc_auc_score,
    )

    clipped = np.clip(score, 1e-7, 1 - 1e-7)
    return {
        "roc_auc": float(roc_auc_score(label, score)),
        "pr_auc": float(average_precision_score(label, score)),
        "log_loss": float(log_loss(label, clipped, labels=[0, 1])),
        "brier": float(brier_score_loss(label, score)),
        "rows": float(len(label)),
        "positive_rate": float(np.mean(label)),
    }


def roc_figure(label: np.ndarray, score: np.ndarray, title: str) -> Figure:
    """The ROC curve of one model's scores."""
    return roc_overlay({"": (label, score)}, title)


def pr_figure(label: np.ndarray, score: np.ndarray, title: str) -> Figure:
    """The precision-recall curve of one model's scores."""
    return pr_overlay({"": (label, score)}, title)


def _named(name: str, measure: str) -> str:
    return f"{name} ({measure})" if name else measure


def roc_overlay(curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str) -> Figure:
    """ROC curves of several models on the same rows: {name: (label, score)}."""
    from sklearn.metrics import roc_auc_score, roc_curve

    figure = Figure(figsize=(5, 5))
    axes = figure.subplots()
    for name, (label, score) in curves.items():
        fpr, tpr, _ = roc_curve(label, score)
        axes.plot(fpr, tpr, label=_named(name, f"AUC {roc_auc_score(label, score):.3f}"))
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    axes.legend(loc="lower right")
    return figure


def pr_overlay(curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str) -> Figure:
    """Precision-recall curves of several models on the same rows: {name: (label, score)}."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    figure = Figure(figsize=(5, 5))
    axes = figure.subplots()
    base = None
    for name, (label, score) in curves.items():
        precision, recall, _ = precision_recall_curve(label, score)
        area = average_precision_score(label, score)
        axes.plot(recall, precision, label=_named(name, f"AP {area:.3f}"))
        base = float(np.mean(label))
    if base is not None:
        axes.axhline(base, linestyle="--", color="grey", label="base rate")
    axes.set(xlabel="recall", ylabel="precision", title=title)
    axes.legend(loc="upper right")
    return figure


def calibration(label: np.ndarray, score: np.ndarray, bins: int = 10) -> dict:
    """How far the scores are from the observed rates, on ``bins`` bins of equal row counts (a
    rare outcome's scores crowd the lowest tenth of [0, 1]: equal-width bins would leave most
    empty). Per bin the score range, the mean score and the observed rate; overall the Brier
    score, the mean score against the observed rate, and the expected calibration error (the
    rows-weighted mean of |mean score - observed rate| over the bins)."""
    label, score = np.asarray(label, float), np.asarray(score, float)
    order = np.argsort(score, kind="mergesort")
    groups = [g for g in np.array_split(order, min(bins, len(score))) if len(g)]
    table = [
        {
            "rows": len(g),
            "low": float(score[g].min()),
            "high": float(score[g].max()),
            "predicted": float(score[g].mean()),
            "observed": float(label[g].mean()),
        }
        for g in groups
    ]
    error = sum(b["rows"] * abs(b["predicted"] - b["observed"]) for b in table) / len(score)
    return {
        "rows": len(score),
        "brier": float(np.mean((score - label) ** 2)),
        "mean_predicted": float(score.mean()),
        "observed_rate": float(label.mean()),
        "expected_calibration_error": float(error),
        "bins": table,
    }


def calibration_figure(curves: dict[str, dict], positive: str, title: str) -> Figure:
    """Reliability curves ({model: calibration(...)}) over the diagonal of perfect calibration."""
    figure = Figure(figsize=(6, 5.4))
    axes = figure.subplots()
    top = 0.0
    for name, found in curves.items():
        predicted = [b["predicted"] for b in found["bins"]]
        observed = [b["observed"] for b in found["bins"]]
        top = max(top, *predicted, *observed)
        error = found["expected_calibration_error"]
        label = f"{name} (Brier {found['brier']:.4f}, ECE {error:.4f})"
        axes.plot(predicted, observed, marker="o", label=label)
    top = min(1.0, top * 1.05) or 1.0
    axes.plot([0, top], [0, top], linestyle="--", color="grey", label="perfectly calibrated")
    axes.set(
        xlabel="mean score in the bin",
        ylabel="observed rate of label 1 in the bin",
        title=title,
        xlim=(0, top),
        ylim=(0, top),
    )
    axes.legend(loc="upper left", fontsize="small")
    figure.text(0.02, 0.01, textwrap.fill(f"label 1: {positive}", 90), fontsize="small")
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    return figure
