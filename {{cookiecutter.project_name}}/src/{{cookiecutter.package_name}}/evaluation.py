"""How good a model is on the holdout: metrics and curves (feature importance: importance.py)."""

from __future__ import annotations

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
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(label, score)
    figure = Figure(figsize=(5, 5))
    axes = figure.subplots()
    axes.plot(fpr, tpr, label=f"AUC {roc_auc_score(label, score):.3f}")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    axes.legend(loc="lower right")
    return figure


def pr_figure(label: np.ndarray, score: np.ndarray, title: str) -> Figure:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    precision, recall, _ = precision_recall_curve(label, score)
    figure = Figure(figsize=(5, 5))
    axes = figure.subplots()
    axes.plot(recall, precision, label=f"AP {average_precision_score(label, score):.3f}")
    axes.axhline(float(np.mean(label)), linestyle="--", color="grey", label="base rate")
    axes.set(xlabel="recall", ylabel="precision", title=title)
    axes.legend(loc="upper right")
    return figure


def roc_overlay(curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str) -> Figure:
    """ROC curves of several models on the same rows: {label: (label, score)}."""
    from sklearn.metrics import roc_auc_score, roc_curve

    figure = Figure(figsize=(5, 5))
    axes = figure.subplots()
    for name, (label, score) in curves.items():
        fpr, tpr, _ = roc_curve(label, score)
        axes.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(label, score):.3f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    axes.legend(loc="lower right")
    return figure
