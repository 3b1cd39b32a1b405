"""The gate promotes exactly when the rule holds: floors, then the margin over the champion."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from {{ cookiecutter.package_name }}.gate import (
    HIGHER_IS_BETTER,
    Rule,
    decide,
)

METRICS = sorted(HIGHER_IS_BETTER)
value = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
scores = st.fixed_dictionaries({m: value for m in METRICS})
rules = st.builds(
    Rule,
    primary_metric=st.sampled_from(METRICS),
    min_delta=st.floats(min_value=0.0, max_value=0.2, allow_nan=False),
    relative=st.booleans(),
    floors=st.dictionaries(st.sampled_from(METRICS), value, max_size=4),
)


def rule_holds(challenger: dict, champion: dict | None, rule: Rule) -> bool:
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
    return better_by >= required


@settings(max_examples=2_000, deadline=None)
@given(challenger=scores, champion=st.none() | scores, rule=rules)
def test_promotes_exactly_when_the_rule_holds(challenger, champion, rule) -> None:
    decision = decide(challenger, champion, rule)
    assert decision.promote == rule_holds(challenger, champion, rule)
    assert decision.verdict == ("PROMOTE" if decision.promote else "REJECT")
    assert len(decision.reasons) == len(rule.floors) + 1  # every floor, then the comparison


def test_first_model_needs_only_the_floors() -> None:
    rule = Rule(floors={"roc_auc": 0.7})
    assert decide({"roc_auc": 0.71}, None, rule).promote
    rejected = decide({"roc_auc": 0.69}, None, rule)
    assert not rejected.promote
    assert rejected.reasons == ("roc_auc 0.6900 < floor 0.7000", "no champion: floors only")


def test_lower_is_better_metrics_flip_the_comparisons() -> None:
    rule = Rule(primary_metric="brier", min_delta=0.01, floors={"log_loss": 0.3})
    assert decide({"brier": 0.05, "log_loss": 0.2}, {"brier": 0.07, "log_loss": 0.25}, rule).promote
    assert not decide(
        {"brier": 0.065, "log_loss": 0.2}, {"brier": 0.07, "log_loss": 0.2}, rule
    ).promote
    assert not decide({"brier": 0.01, "log_loss": 0.31}, None, rule).promote


def test_relative_margin_is_a_share_of_the_champion() -> None:
    rule = Rule(min_delta=0.05, relative=True)  # 5 % better than the champion's AUC
    assert decide({"roc_auc": 0.85}, {"roc_auc": 0.80}, rule).promote  # gain 0.05 >= 0.04
    decision = decide({"roc_auc": 0.83}, {"roc_auc": 0.80}, rule)
    assert not decision.promote
    assert "misses the required 5.00% of the champion's (0.0400)" in decision.reasons[-1]


def test_an_equal_challenger_is_not_promoted_over_a_margin() -> None:
    assert not decide({"roc_auc": 0.8}, {"roc_auc": 0.8}, Rule(min_delta=0.005)).promote
    assert decide({"roc_auc": 0.8}, {"roc_auc": 0.8}, Rule(min_delta=0.0)).promote


def test_a_metric_that_is_not_a_number_never_promotes() -> None:
    assert not decide({"roc_auc": math.nan}, {"roc_auc": 0.5}, Rule()).promote
    assert not decide({"roc_auc": math.nan}, None, Rule(floors={"roc_auc": 0.0})).promote
