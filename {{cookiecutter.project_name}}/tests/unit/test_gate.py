"""The gate promotes exactly when the rule holds: floors, then the margin over the champion."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from {{ cookiecutter.package_name }}.gate import (
    HIGHER_IS_BETTER,
    Deployment,
    Rule,
    decide,
    deployment,
)
from {{ cookiecutter.package_name }}.uncertainty import Comparison, Estimate

METRICS = sorted(HIGHER_IS_BETTER)
value = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
scores = st.fixed_dictionaries({m: value for m in METRICS})
rules = st.builds(
    Rule,
    primary_metric=st.sampled_from(METRICS),
    min_delta=st.floats(min_value=0.0, max_value=0.2, allow_nan=False),
    relative=st.booleans(),
    floors=st.dictionaries(st.sampled_from(METRICS), value, max_size=4),
    decide_on=st.sampled_from(["lower_bound", "point"]),
)
gain = st.floats(min_value=-0.3, max_value=0.3, allow_nan=False)


def comparison(low: float, best_low: float = 0.5) -> Comparison:
    """A paired comparison whose gain's lower bound is ``low`` (the rest does not decide)."""
    value = Estimate(0.8, 0.75, 0.85)
    return Comparison(
        "roc_auc", Estimate(low + 0.01, low, low + 0.02), value, value, best_low, 0.9, 1000, 0,
        500, 50,
    )  # fmt: skip


def rule_holds(challenger: dict, champion: dict | None, rule: Rule, low: float) -> bool:
    """The rule, written out independently of the implementation."""
    for metric, bound in rule.floors.items():
        if HIGHER_IS_BETTER[metric] and not challenger[metric] >= bound:
            return False
        if not HIGHER_IS_BETTER[metric] and not challenger[metric] <= bound:
            return False
    if champion is None:
        return True
    new, old = challenger[rule.primary_metric], champion[rule.primary_metric]
    better_by = (new - old) if HIGHER_IS_BETTER[rule.primary_metric] else (old - new)
    required = rule.min_delta * abs(old) if rule.relative else rule.min_delta
    if rule.decide_on == "lower_bound":
        return low > required  # the interval lies wholly above the margin
    return better_by >= required


@settings(max_examples=2_000, deadline=None)
@given(challenger=scores, champion=st.none() | scores, rule=rules, low=gain)
def test_promotes_exactly_when_the_rule_holds(challenger, champion, rule, low) -> None:
    decision = decide(challenger, champion, rule, comparison(low))
    assert decision.promote == rule_holds(challenger, champion, rule, low)
    assert decision.verdict == ("PROMOTE" if decision.promote else "REJECT")
    # every floor, then the comparison, then why it cannot be met (if it cannot)
    assert len(decision.reasons) == len(rule.floors) + 1 + len(decision.cannot_be_met)


def test_the_lower_bound_rule_reports_the_interval() -> None:
    rule = Rule(min_delta=0.01)
    promoted = decide({"roc_auc": 0.85}, {"roc_auc": 0.80}, rule, comparison(0.02))
    assert promoted.promote
    assert promoted.reasons[-1] == (
        "roc_auc 0.8500 vs champion 0.8000: gain +0.0500, 90% interval +0.0200 to +0.0400 "
        "(paired stratified bootstrap, 1,000 resamples of 500 holdout rows, 50 positive): its "
        "lower bound +0.0200 exceeds the required 0.0100 (0.0100)"
    )
    # the same point gain, but an interval reaching below the margin: not promoted
    rejected = decide({"roc_auc": 0.85}, {"roc_auc": 0.80}, rule, comparison(0.005))
    assert not rejected.promote and "does not exceed the required 0.0100" in rejected.reasons[-1]
    assert decide(
        {"roc_auc": 0.85}, {"roc_auc": 0.80}, Rule(min_delta=0.01, decide_on="point"),
        comparison(0.005),
    ).promote  # fmt: skip


def test_the_lower_bound_rule_needs_the_comparison() -> None:
    with pytest.raises(ValueError, match="paired comparison"):
        decide({"roc_auc": 0.85}, {"roc_auc": 0.80}, Rule())


def test_a_champion_within_the_margin_of_the_best_value_locks_the_gate() -> None:
    """The user's case: champion ROC AUC 0.9952, min_delta 0.005: nothing could pass."""
    rule = Rule(min_delta=0.005, decide_on="point")
    decision = decide({"roc_auc": 1.0}, {"roc_auc": 0.9952}, rule)
    assert not decision.promote
    assert decision.cannot_be_met == (
        "gate.min_delta (0.0050) cannot be met: the champion's roc_auc 0.9952 is within it of "
        "the best possible 1.0000 (at most +0.0048 to gain); lower gate.min_delta or use "
        "gate.relative",
    )
    assert decision.reasons[-1] == decision.cannot_be_met[0]
    brier = Rule(primary_metric="brier", min_delta=0.01, decide_on="point")
    assert decide({"brier": 0.0}, {"brier": 0.008}, brier).cannot_be_met
    assert not decide({"roc_auc": 0.9}, {"roc_auc": 0.8}, rule).cannot_be_met


def test_a_holdout_too_small_for_any_interval_to_clear_locks_the_gate() -> None:
    decision = decide({"roc_auc": 0.9}, {"roc_auc": 0.8}, Rule(), comparison(0.05, best_low=0.0))
    [line] = decision.cannot_be_met
    assert line.startswith("gate.min_delta (0.0000) cannot be met on this holdout")
    assert "over 500 rows (50 positive)" in line and "split.holdout_fraction" in line
    assert not decide({"roc_auc": 0.9}, {"roc_auc": 0.8}, Rule(), comparison(0.05)).cannot_be_met


def test_first_model_needs_only_the_floors() -> None:
    rule = Rule(floors={"roc_auc": 0.7})
    assert decide({"roc_auc": 0.71}, None, rule).promote
    rejected = decide({"roc_auc": 0.69}, None, rule)
    assert not rejected.promote
    assert rejected.reasons == ("roc_auc 0.6900 < floor 0.7000", "no champion: floors only")


def test_lower_is_better_metrics_flip_the_comparisons() -> None:
    rule = Rule("brier", min_delta=0.01, floors={"log_loss": 0.3}, decide_on="point")
    assert decide({"brier": 0.05, "log_loss": 0.2}, {"brier": 0.07, "log_loss": 0.25}, rule).promote
    assert not decide(
        {"brier": 0.065, "log_loss": 0.2}, {"brier": 0.07, "log_loss": 0.2}, rule
    ).promote
    assert not decide({"brier": 0.01, "log_loss": 0.31}, None, rule).promote


def test_relative_margin_is_a_share_of_the_champion() -> None:
    rule = Rule(min_delta=0.05, relative=True, decide_on="point")  # 5 % better than the champion
    assert decide({"roc_auc": 0.85}, {"roc_auc": 0.80}, rule).promote  # gain 0.05 >= 0.04
    decision = decide({"roc_auc": 0.83}, {"roc_auc": 0.80}, rule)
    assert not decision.promote
    assert "misses the required 5.00% of the champion's (0.0400)" in decision.reasons[-1]


def test_an_equal_challenger_is_not_promoted_over_a_margin() -> None:
    point = Rule(min_delta=0.005, decide_on="point")
    assert not decide({"roc_auc": 0.8}, {"roc_auc": 0.8}, point).promote
    assert decide({"roc_auc": 0.8}, {"roc_auc": 0.8}, Rule(decide_on="point")).promote
    # on the lower bound, an equal challenger (gain 0 in every resample) is never promoted
    assert not decide({"roc_auc": 0.8}, {"roc_auc": 0.8}, Rule(), comparison(0.0)).promote


def test_a_metric_that_is_not_a_number_never_promotes() -> None:
    assert not decide({"roc_auc": math.nan}, {"roc_auc": 0.5}, Rule(), comparison(0.1)).promote
    assert not decide({"roc_auc": math.nan}, None, Rule(floors={"roc_auc": 0.0})).promote


JUDGED = {"gate.decision": "PROMOTE", "gate.reasons": "ok", "gate.champion_version": "2"}


def test_deploy_refuses_a_challenger_it_cannot_consider() -> None:
    assert deployment("risk", None, {}, "2") == Deployment(
        "refused", ("model 'risk' has no @challenger to deploy: run train and validate",)
    )
    assert deployment("risk", "3", {}, "2") == Deployment(
        "refused", ("risk version 3 has not been validated: run validate first",)
    )
    stale = deployment("risk", "3", JUDGED, "4")
    assert stale.outcome == "refused"
    assert stale.reasons == (
        "risk version 3 was validated against champion 2, but the champion is now 4: "
        "run validate again",
    )
    first = deployment("risk", "1", {**JUDGED, "gate.champion_version": "none"}, "2")
    assert first.reasons[0].endswith(
        "validated against champion none, but the champion is now 2: run validate again"
    )


def test_deploy_follows_validates_decision_against_the_same_champion() -> None:
    assert deployment("risk", "3", JUDGED, "2") == Deployment("promote")
    first = {**JUDGED, "gate.champion_version": "none"}
    assert deployment("risk", "1", first, None) == Deployment("promote")
    rejected = {**JUDGED, "gate.decision": "REJECT", "gate.reasons": "roc_auc low | brier high"}
    assert deployment("risk", "3", rejected, "2") == Deployment(
        "rejected", ("roc_auc low", "brier high")
    )
