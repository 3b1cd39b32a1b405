"""The champion gate: promote a challenger only when the rule holds. Pure: no I/O.

A challenger is promoted iff every floor holds for it and, when there is a champion, it beats
the champion's primary metric by at least ``min_delta`` (absolute, or a share of the champion's
value when ``relative``). Both were scored on the same holdout before this is called.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Which way is better, per metric the evaluation reports.
HIGHER_IS_BETTER = {"roc_auc": True, "pr_auc": True, "log_loss": False, "brier": False}


@dataclass(frozen=True)
class Rule:
    primary_metric: str = "roc_auc"
    min_delta: float = 0.0
    relative: bool = False
    floors: dict[str, float] = field(default_factory=dict)  # at least (higher) / at most (lower)


@dataclass(frozen=True)
class Decision:
    promote: bool
    reasons: tuple[str, ...]  # why, one line each, in the order checked

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


def decide(challenger: dict[str, float], champion: dict[str, float] | None, rule: Rule) -> Decision:
    """Promote or reject ``challenger`` against ``champion`` (None: no champion yet)."""
    reasons, promote = [], True
    for metric, bound in sorted(rule.floors.items()):
        ok, reason = _floor_reason(metric, challenger[metric], bound)
        promote &= ok
        reasons.append(reason)
    metric = rule.primary_metric
    if champion is None:
        reasons.append("no champion: floors only")
        return Decision(promote, tuple(reasons))
    new, old = challenger[metric], champion[metric]
    if math.isnan(new) or math.isnan(old):
        return Decision(False, (*reasons, f"{metric} is not a number"))
    gain = new - old if HIGHER_IS_BETTER[metric] else old - new
    needed = rule.min_delta * abs(old) if rule.relative else rule.min_delta
    beats = gain >= needed
    promote &= beats
    kind = f"{rule.min_delta:.2%} of the champion's" if rule.relative else f"{rule.min_delta:.4f}"
    reasons.append(
        f"{metric} {new:.4f} vs champion {old:.4f}: gain {gain:+.4f} "
        f"{'meets' if beats else 'misses'} the required {kind} ({needed:.4f})"
    )
    return Decision(promote, tuple(reasons))
