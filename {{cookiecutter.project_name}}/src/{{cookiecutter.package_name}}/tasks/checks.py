"""After a run: did it leave what every run must leave? CI's end-to-end check on the local
platform, and a smoke check after a deployment."""

from __future__ import annotations

from pyspark.sql import functions as F

from ..adapters import registry
from ..context import Platform
from ..errors import CheckError, DataError
from .scoring import score_date

LINEAGE = ["model_name", "model_version", "run_id", "git_commit", "feature_snapshot", "scored_at"]


def _registry_problems(name: str) -> tuple[list[str], str]:
    versions = registry.versions(name)
    if not versions:
        return [f"registry: model {name!r} has no version: train registered nothing"], ""
    newest = versions[0]
    decision = newest.tags.get("gate.decision")
    problems = []
    if decision is None:
        problems.append(
            f"registry: {name} version {newest.version} has no gate.decision tag: "
            "validate did not decide on the newest model"
        )
    if registry.alias_version(name, "champion") is None:
        problems.append(f"registry: model {name!r} has no @champion: deploy promoted nothing")
    return problems, f"{name} version {newest.version}: gate {decision}"


def _prediction_problems(p: Platform, champion: str | None) -> tuple[list[str], str]:
    table = p.settings.inference.table
    try:
        day = score_date(p)
        rows = p.tables.read(table).where(F.col("score_date") == F.lit(day))
    except DataError as error:
        return [f"predictions: {line}" for line in error.problems], ""
    counts = rows.agg(
        F.count(F.lit(1)).alias("rows"),
        *[F.sum(F.col(c).isNull().cast("int")).alias(c) for c in LINEAGE],
        F.collect_set("model_version").alias("versions"),
    ).collect()[0]
    where = f"predictions: table {p.tables.describe(table)}, score_date {day}"
    if not counts["rows"]:
        return [f"{where}: no rows: infer wrote nothing for that date"], ""
    problems = [
        f"{where}: {counts[c]} row(s) without {c}: lineage is incomplete"
        for c in LINEAGE
        if counts[c]
    ]
    if champion is not None and set(counts["versions"]) != {champion}:
        problems.append(
            f"{where}: scored by version(s) {sorted(counts['versions'])}, "
            f"but the champion is {champion}: run infer again"
        )
    return problems, f"{counts['rows']:,} predictions for {day}"


def verify(p: Platform) -> None:
    """Check what the pipeline left: the newest model version carries a gate decision, there
    is a champion, and the score date's predictions exist, all from the champion and each
    with its lineage. Raises CheckError listing every problem; prints a summary otherwise."""
    name = p.settings.registry.model_name
    p.connect_tracking()
    problems, model = _registry_problems(name)
    found, predictions = _prediction_problems(p, registry.alias_version(name, "champion"))
    if problems + found:
        raise CheckError(problems + found)
    print(f"  verified: {model}; @champion set; {predictions}, lineage complete")
