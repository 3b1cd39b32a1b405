"""The validation report: one self-contained HTML page per validated version (figures inlined
as PNG data, no external file, script or font), rendered from templates/report.html.j2 with
Jinja2 and autoescaping. It holds what a reviewer needs to accept or refuse the version:
lineage and data snapshot, the resolved features, the tuning, the metrics with their intervals,
the cohorts, calibration, ROC and precision-recall overlays, importance, and the gate's
decision with its reasons. Pure: it formats what `validate` measured; nothing here reads
MLflow or Spark.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .cohorts import Cohort
from .gate import NO_VERSION, Decision
from .uncertainty import METHOD, Comparison, Estimate

SECTIONS = (
    ("decision", "Decision"),
    ("metrics", "Metrics on the holdout"),
    ("cohorts", "Cohorts"),
    ("calibration", "Calibration"),
    ("curves", "ROC and precision-recall"),
    ("importance", "Feature importance"),
    ("features", "Features"),
    ("tuning", "Tuning"),
    ("lineage", "Lineage and data snapshot"),
)


METRICS = ("roc_auc", "pr_auc", "log_loss", "brier")
BEST_TRIALS = 10  # the tuning table's length


def png(figure: Any) -> bytes:
    """A matplotlib figure as PNG bytes, as mlflow.log_figure would write it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def data_uri(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")


@dataclass(frozen=True)
class Evidence:
    """Everything the report shows. ``results``: {role: metrics(...)}; ``primary``: {role: the
    primary metric's interval} (from the comparison, or the challenger's own without a
    champion); ``figures``: {name: PNG bytes}; ``training``: what the challenger's training run
    recorded (params, metrics and its JSON documents; None where a document is absent)."""

    model: str
    version: str
    champion: str  # a version, or gate.NO_VERSION
    validate_run: str
    decision: Decision
    rule: dict[str, Any]
    results: dict[str, dict[str, float]]
    primary: dict[str, Estimate]
    comparison: Comparison | None
    cohorts: list[Cohort]
    calibrations: dict[str, dict]
    positive_class: str
    lineage: dict[str, str]
    training: dict[str, Any]
    figures: dict[str, bytes] = field(default_factory=dict)
    created: str = ""


def _number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}f}"


def _interval(estimate: Estimate | dict | None, digits: int = 4) -> str:
    if estimate is None:
        return "–"
    e = estimate if isinstance(estimate, dict) else vars(estimate)
    return f"{e['value']:.{digits}f} [{e['low']:.{digits}f}, {e['high']:.{digits}f}]"


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader(__package__, "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,  # a name the template expects and is not given fails loudly
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(number=_number, interval=_interval, data_uri=data_uri)
    environment.globals["NO_VERSION"] = NO_VERSION
    return environment


def render(evidence: Evidence) -> str:
    """The report as one HTML document."""
    training = evidence.training
    metric_names = [m for m in METRICS if m in evidence.results["challenger"]]
    importance = training.get("feature_importance")
    features = importance["features"] if importance else {}
    trials = training.get("tuning") or []
    succeeded = [t for t in trials if t.get("status") == "ok" and "val_roc_auc" in t]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            e=evidence,
            method=METHOD,
            sections=SECTIONS,
            metric_names=metric_names,
            primary_metric=evidence.rule.get("primary_metric", "roc_auc"),
            features=(training.get("feature_list") or {}).get("features", []),
            groups=(training.get("feature_list") or {}).get("groups", []),
            importance=importance,
            importance_rows=sorted(features.items(), key=lambda item: -item[1]["mean"]),
            tuning=trials,
            succeeded=len(succeeded),
            best_trials=sorted(succeeded, key=lambda t: -t["val_roc_auc"])[:BEST_TRIALS],
            params=training.get("params", {}),
            train_metrics=training.get("metrics", {}),
        )
    )
