"""The gate's interval: weighted metrics that agree with scikit-learn, resamples that keep the
holdout's classes, and a paired bootstrap that promotes a real gain and never a tie."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from {{ cookiecutter.package_name }}.gate import Rule, decide
from {{ cookiecutter.package_name }}.uncertainty import (
    _weights,
    compare,
    estimate,
    weighted,
)

SKLEARN = {
    "roc_auc": roc_auc_score,
    "pr_auc": average_precision_score,
    "brier": brier_score_loss,
    "log_loss": lambda y, s: log_loss(y, np.clip(s, 1e-7, 1 - 1e-7), labels=[0, 1]),
}


@st.composite
def holdouts(draw) -> tuple[np.ndarray, np.ndarray]:
    """Labels with both classes, and scores with ties (few distinct values)."""
    n = draw(st.integers(4, 60))
    label = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    label[:2] = [0, 1]
    levels = draw(st.integers(2, 12))
    score = draw(arrays(np.int64, n, elements=st.integers(0, levels))) / levels
    return label, score


@settings(max_examples=200, deadline=None)
@given(data=holdouts(), metric=st.sampled_from(sorted(SKLEARN)), seed=st.integers(0, 99))
def test_weighted_metrics_are_scikit_learns_on_the_drawn_rows(data, metric, seed) -> None:
    label, score = data
    ones = np.ones((1, len(label)))
    assert weighted(metric, label, score, ones)[0] == pytest.approx(SKLEARN[metric](label, score))
    counts = np.random.default_rng(seed).integers(0, 3, len(label))
    counts[:2] = 1  # both classes drawn
    rows = np.repeat(np.arange(len(label)), counts)
    expected = SKLEARN[metric](label[rows], score[rows])
    assert weighted(metric, label, score, counts[None, :].astype(float))[0] == pytest.approx(
        expected
    )


def test_every_resample_keeps_the_holdouts_class_counts() -> None:
    label = np.r_[np.ones(7), np.zeros(93)]
    blocks = list(_weights(label, 50, seed=3))
    weights = np.vstack(blocks)
    assert weights.shape == (50, 100)
    assert (weights[:, label == 1].sum(axis=1) == 7).all()
    assert (weights[:, label == 0].sum(axis=1) == 93).all()
    assert len({tuple(w) for w in weights}) == 50  # 50 different draws


def synthetic(n: int, seed: int, signal: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels at a 15 % rate and a score that separates them by ``signal``, with noise."""
    rng = np.random.default_rng(seed)
    label = (rng.random(n) < 0.15).astype(int)
    score = 1 / (1 + np.exp(-(signal * label + rng.normal(0, 1, n))))
    return label, score


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(50, 800),
    seed=st.integers(0, 10_000),
    min_delta=st.floats(0.0001, 0.05),
    metric=st.sampled_from(sorted(SKLEARN)),
    relative=st.booleans(),
)
def test_a_challenger_identical_to_the_champion_never_clears_a_margin(
    n, seed, min_delta, metric, relative
) -> None:
    label, score = synthetic(n, seed, 1.0)
    label[:2] = [0, 1]
    c = compare(metric, label, score, score.copy(), level=0.9, resamples=200, seed=seed)
    assert (c.gain.value, c.gain.low, c.gain.high) == (0.0, 0.0, 0.0)
    point = {metric: c.challenger.value}
    for decide_on in ("lower_bound", "point"):
        rule = Rule(primary_metric=metric, min_delta=min_delta, relative=relative,
                    decide_on=decide_on)  # fmt: skip
        assert not decide(point, point, rule, c).promote
    assert not decide(point, point, Rule(primary_metric=metric), c).promote  # min_delta 0 too


def test_a_clearly_better_challenger_on_a_large_holdout_is_promoted() -> None:
    label, weak = synthetic(5_000, 1, 0.6)
    rng = np.random.default_rng(2)
    strong = 1 / (1 + np.exp(-(2.0 * label + rng.normal(0, 1, len(label)))))
    c = compare("roc_auc", label, strong, weak, level=0.9, resamples=500, seed=0)
    assert c.gain.low > 0.1 and c.gain.low <= c.gain.value <= c.gain.high
    assert (c.rows, c.positives) == (5_000, int(label.sum()))
    challenger = {"roc_auc": c.challenger.value}
    champion = {"roc_auc": c.champion.value}
    assert decide(challenger, champion, Rule(min_delta=0.05), c).promote
    backwards = compare("roc_auc", label, weak, strong, level=0.9, resamples=500, seed=0)
    assert backwards.gain.high < -0.1  # the champion better: the gain's interval is negative


def test_an_equally_good_challenger_is_rarely_promoted_on_the_lower_bound() -> None:
    """Champion and challenger equally good (each its own noise): the point rule promotes
    about half of them, the lower bound of a 90 % interval about one in twenty."""
    promoted = {"lower_bound": 0, "point": 0}
    trials = 60
    for seed in range(trials):
        rng = np.random.default_rng(seed)
        label = (rng.random(400) < 0.2).astype(int)
        common = 1.0 * label + rng.normal(0, 1, len(label))
        one, two = (common + rng.normal(0, 0.7, len(label)) for _ in range(2))
        c = compare("roc_auc", label, one, two, level=0.9, resamples=300, seed=seed)
        metrics = ({"roc_auc": c.challenger.value}, {"roc_auc": c.champion.value})
        for decide_on in promoted:
            promoted[decide_on] += decide(*metrics, Rule(decide_on=decide_on), c).promote
    assert promoted["lower_bound"] <= 0.15 * trials
    assert promoted["point"] >= 0.3 * trials


def test_seeded_results_repeat_and_seeds_differ() -> None:
    label, score = synthetic(300, 4, 1.0)
    _, other = synthetic(300, 5, 1.0)
    first = compare("pr_auc", label, score, other, level=0.9, resamples=300, seed=11)
    assert compare("pr_auc", label, score, other, level=0.9, resamples=300, seed=11) == first
    assert compare("pr_auc", label, score, other, level=0.9, resamples=300, seed=12) != first
    one = estimate("brier", label, score, level=0.9, resamples=300, seed=11)
    assert one == estimate("brier", label, score, level=0.9, resamples=300, seed=11)
    assert one.low < one.value < one.high


def test_a_tiny_holdout_with_a_near_perfect_champion_cannot_be_beaten_on_the_lower_bound() -> None:
    """Three positives, one ranked low by the champion: in about a third of the resamples it
    is not drawn and the champion is perfect, so no challenger's lower bound clears 0."""
    label = np.r_[np.ones(3), np.zeros(37)].astype(int)
    champion = np.r_[[0.9, 0.8, 0.1], np.linspace(0.2, 0.7, 37)]
    c = compare("roc_auc", label, label.astype(float), champion, level=0.9, resamples=500, seed=0)
    assert c.best_low == 0.0
    rule = Rule()
    decision = decide({"roc_auc": 1.0}, {"roc_auc": c.champion.value}, rule, c)
    assert not decision.promote
    assert decision.cannot_be_met[0].startswith(
        "gate.min_delta (0.0000) cannot be met on this holdout: even a perfect challenger's "
        "gain would have a 90% lower bound of +0.0000 over 40 rows (3 positive)"
    )
    assert decision.reasons[-1] == decision.cannot_be_met[0]
