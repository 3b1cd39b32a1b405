"""The champion gate: promote a challenger only when the rule holds. Pure: no I/O.

A challenger is promoted iff every floor holds for it and, when there is a champion, it beats
the champion's primary metric by ``min_delta`` (absolute, or a share of the champion's value
when ``relative``). Both were scored on the same holdout before this is called. How the gain
is judged is ``decide_on``: ``lower_bound`` (the default) asks the lower bound of the gain's
interval (see uncertainty.py) to exceed ``min_delta``, so a "gain" that one or two rank swaps
would undo promotes nothing; ``point`` compares the gain on the holdout as it is, at least
``min_delta``. When the rule cannot be met at all (the champion is too close to the metric's
best value, or the holdout too small for any interval to clear ``min_delta``) the reasons say
so, beginning with ``gate.min_delta``. Every cohort big enough to judge (cohorts.py) must meet
the cohort floors and, against a champion, lose no more than ``cohort_max_drop``.

``deployment`` is deploy's half of the rule: what the registry's state lets it do with the
challenger, from the decision ``validate`` tagged it with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from .cohorts import Cohort
from .uncertainty import BEST, HIGHER_IS_BETTER, Comparison

NO_VERSION = "none"  # what a run or a tag records for a version there is not (no champion yet)


def recorded(version: str | None) -> str:
    """A registry version as runs, tags and messages record it: NO_VERSION for none."""
    return version or NO_VERSION


__all__ = [
    "BEST",
    "HIGHER_IS_BETTER",
    "Decision",
    "Deployment",
    "Rule",
    "cohort_reasons",
    "decide",
    "deployment",
    "locks",
]

DecideOn = Literal["lower_bound", "point"]


@dataclass(frozen=True)
class Rule:
    primary_metric: str = "roc_auc"
    min_delta: float = 0.0
    relative: bool = False
    floors: dict[str, float] = field(default_factory=dict)  # at least (higher) / at most (lower)
    decide_on: DecideOn = "lower_bound"
    cohort_floors: dict[str, float] = field(default_factory=dict)  # each judged cohort's
    cohort_max_drop: float | None = None  # in the primary metric, against the champion

    def needed(self, champion: float) -> float:
        """The gain the challenger must show over a champion of this value."""
        return self.min_delta * abs(champion) if self.relative else self.min_delta


@dataclass(frozen=True)
class Decision:
    promote: bool
    reasons: tuple[str, ...]  # why, one line each, in the order checked
    cannot_be_met: tuple[str, ...] = ()  # the reasons saying no challenger could pass

    @property
    def verdict(self) -> str:
        return "PROMOTE" if self.promote else "REJECT"


def _floor_reason(metric: str, value: float, bound: float) -> tuple[bool, str]:
    higher = HIGHER_IS_BETTER[metric]
    if math.isnan(value):
        return False, f"{metric} is not a number"
    ok = value >= bound if higher else value <= bound
    relation = ">=" if higher else "<="
    sign = relation if ok else {">=": "<", "<=": ">"}[relation]
    return ok, f"{metric} {value:.4f} {sign} floor {bound:.4f}"


def _interval(c: Comparison) -> str:
    return (
        f"{c.level:.0%} interval {c.gain.low:+.4f} to {c.gain.high:+.4f} ({c.method}, "
        f"{c.resamples:,} resamples of {c.rows:,} holdout rows, {c.positives:,} positive)"
    )


def locks(rule: Rule, champion: float, comparison: Comparison | None) -> tuple[str, ...]:
    """Why no challenger could meet the rule against a champion of value ``champion``: it is
    within the margin of the metric's best value, or (deciding on the lower bound) even a
    perfect challenger's interval on these holdout rows would not clear the margin."""
    metric, needed = rule.primary_metric, rule.needed(champion)
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    headroom = sign * (BEST[metric] - champion)
    strict = rule.decide_on == "lower_bound"
    margin = f"gate.min_delta ({needed:.4f}) cannot be met"
    if headroom < needed or (strict and headroom <= needed):
        return (
            f"{margin}: the champion's {metric} {champion:.4f} is within it of the best "
            f"possible {BEST[metric]:.4f} (at most {headroom:+.4f} to gain); lower "
            "gate.min_delta or use gate.relative",
        )
    if strict and comparison is not None and comparison.best_low <= needed:
        return (
            f"{margin} on this holdout: even a perfect challenger's gain would have a "
            f"{comparison.level:.0%} lower bound of {comparison.best_low:+.4f} over "
            f"{comparison.rows:,} rows ({comparison.positives:,} positive); hold out more rows "
            "(split.holdout_fraction), lower gate.interval.level, or set gate.decide_on: point",
        )
    return ()


def cohort_reasons(rule: Rule, cohorts: Sequence[Cohort]) -> tuple[bool, list[str]]:
    """Whether every judged cohort meets the cohort rules, a line per cohort that does not,
    and a closing line that counts them and names the cohorts too small to judge."""
    lines, failed, metric = [], set(), rule.primary_metric
    judged = [c for c in cohorts if c.judged]
    for cohort in judged:
        values = cohort.metrics["challenger"]
        for floor, bound in sorted(rule.cohort_floors.items()):
            ok, reason = _floor_reason(floor, values[floor], bound)
            if not ok:
                failed.add(cohort.name)
                lines.append(f"cohort {cohort.name} ({cohort.counts}): {reason} (cohort floor)")
        if rule.cohort_max_drop is not None and cohort.gain is not None:
            drop = -cohort.gain.value
            if drop > rule.cohort_max_drop:
                failed.add(cohort.name)
                old = cohort.metrics["champion"][metric]
                lines.append(
                    f"cohort {cohort.name} ({cohort.counts}): {metric} {values[metric]:.4f} vs "
                    f"champion {old:.4f}: worse by {drop:.4f}, more than gate.cohorts.max_drop "
                    f"{rule.cohort_max_drop:.4f}"
                )
    small = [c for c in cohorts if not c.judged]
    summary = f"cohorts: {len(judged)} judged, {len(failed)} failing the cohort rules"
    if small:
        summary += f"; {len(small)} too small to judge: " + ", ".join(
            f"{c.name} ({c.counts})" for c in small
        )
    return not failed, [*lines, summary]


def decide(
    challenger: dict[str, float],
    champion: dict[str, float] | None,
    rule: Rule,
    comparison: Comparison | None = None,
    cohorts: Sequence[Cohort] = (),
) -> Decision:
    """Promote or reject ``challenger`` against ``champion`` (None: no champion yet).

    ``comparison`` is the paired bootstrap of the two on the same rows: required when there
    is a champion and ``rule.decide_on`` is ``lower_bound``; reported when it is ``point``.
    ``cohorts`` are the holdout's cohorts (cohorts.py); each one judged must meet the cohort
    rules, with a champion or without.
    """
    reasons, promote = [], True
    for metric, bound in sorted(rule.floors.items()):
        ok, reason = _floor_reason(metric, challenger[metric], bound)
        promote &= ok
        reasons.append(reason)
    metric = rule.primary_metric
    fine, by_cohort = cohort_reasons(rule, cohorts) if cohorts else (True, [])
    promote &= fine
    if champion is None:
        reasons.append("no champion: floors only")
        return Decision(promote, (*reasons, *by_cohort))
    new, old = challenger[metric], champion[metric]
    if math.isnan(new) or math.isnan(old):
        return Decision(False, (*reasons, f"{metric} is not a number"))
    if rule.decide_on == "lower_bound" and comparison is None:
        raise ValueError("deciding on the lower bound needs the paired comparison")
    gain = new - old if HIGHER_IS_BETTER[metric] else old - new
    needed = rule.needed(old)
    kind = f"{rule.min_delta:.2%} of the champion's" if rule.relative else f"{rule.min_delta:.4f}"
    head = f"{metric} {new:.4f} vs champion {old:.4f}: gain {gain:+.4f}"
    if rule.decide_on == "lower_bound":
        low = comparison.gain.low
        beats = low > needed
        verdict = "exceeds" if beats else "does not exceed"
        line = f"{head}, {_interval(comparison)}: its lower bound {low:+.4f} {verdict} the "
        line += f"required {kind} ({needed:.4f})"
    else:
        beats = gain >= needed
        line = f"{head} {'meets' if beats else 'misses'} the required {kind} ({needed:.4f})"
        if comparison is not None:
            line += f"; {_interval(comparison)}"
    promote &= beats
    locked = locks(rule, old, comparison)
    return Decision(promote, (*reasons, line, *by_cohort, *locked), locked)


@dataclass(frozen=True)
class Deployment:
    """What deploy does with the challenger: ``refused`` (it may not be considered at all),
    ``rejected`` (validate's decision was no) or ``promote``; ``reasons`` say why not."""

    outcome: Literal["refused", "rejected", "promote"]
    reasons: tuple[str, ...] = ()


def deployment(
    name: str, challenger: str | None, tags: dict[str, str], champion: str | None
) -> Deployment:
    """Deploy's guards, in order: there is a challenger; validate has judged it (its
    ``gate.decision`` tag); it was judged against the champion there is now (a champion moved
    since makes the judgement stale); and the judgement was PROMOTE. ``tags``: the challenger
    version's tags."""
    if challenger is None:
        return Deployment(
            "refused", (f"model {name!r} has no @challenger to deploy: run train and validate",)
        )
    if "gate.decision" not in tags:
        return Deployment(
            "refused", (f"{name} version {challenger} has not been validated: run validate first",)
        )
    judged_against, now = tags.get("gate.champion_version", NO_VERSION), recorded(champion)
    if judged_against != now:
        return Deployment(
            "refused",
            (
                f"{name} version {challenger} was validated against champion {judged_against}, "
                f"but the champion is now {now}: run validate again",
            ),
        )
    if tags["gate.decision"] != "PROMOTE":
        return Deployment("rejected", tuple(tags.get("gate.reasons", "").split(" | ")))
    return Deployment("promote")
