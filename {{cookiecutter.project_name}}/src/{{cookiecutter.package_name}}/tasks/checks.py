"""After a run: did it leave what every run must leave? CI's end-to-end check on the local
platform, and a smoke check after a deployment."""

from __future__ import annotations

from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..context import Platform
from ..errors import CheckError, DataError
from ..features import schema_problems
from ..features.definitions import definitions
from .scoring import score_date

LINEAGE = [
    "model_name",
    "model_version",
    "model_id",
    "run_id",
    "git_commit",
    "git_dirty",
    "feature_snapshot",
    "scored_at",
]


def _registry_problems(p: Platform, name: str, champion: str | None) -> tuple[list[str], str]:
    versions = p.registry.versions(name)
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
    if champion is None:
        problems.append(f"registry: model {name!r} has no @champion: deploy promoted nothing")
    return problems, f"{name} version {newest.version}: gate {decision}; @champion {champion}"


def _feature_table_problems(p: Platform) -> list[str]:
    """The feature table against the mappings: every declared feature there, with its type,
    nothing undeclared, and computed from today's definitions."""
    settings, mappings = p.settings, p.cart.mappings
    where = p.cart.mappings_file
    if not p.store.state():
        return ["features: the feature table does not exist: run features"]
    schema = p.store.read().schema
    have = {f.name: f.dataType.simpleString() for f in schema.fields}
    keys = settings.entity.keys
    problems = [
        f"features: the feature table has no key column {k!r}" for k in keys if k not in have
    ]
    for name, group in mappings.groups.items():
        columns = _only(schema, [*keys, *group.features])
        problems += [
            f"features: {line}" for line in schema_problems(name, group, columns, keys, where)
        ]
    declared = set(mappings.group_of())
    problems += [
        f"features: the feature table has {c!r}, which {where} does not declare: run features"
        for c in have
        if c not in declared and c not in keys
    ]
    current = definitions(settings, mappings, p.functions)
    stored = p.store.state().get("definitions", {})
    changed = sorted(g for g in {*current, *stored} if current.get(g) != stored.get(g))
    if changed:
        problems.append(
            f"features: the feature table was computed from other definitions of "
            f"{', '.join(changed)}: run features"
        )
    return problems


def _only(schema: T.StructType, names: list[str]) -> T.StructType:
    return T.StructType([f for f in schema.fields if f.name in names])


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
    """Check what the pipeline left: the feature table holds exactly the mapped features,
    computed from today's definitions; the newest model version carries a gate decision; there
    is a champion; and the score date's predictions exist, all from the champion and each with
    its lineage. Raises CheckError listing every problem; prints a summary otherwise."""
    name = p.settings.registry.model_name
    champion = p.registry.alias_version(name, "champion")
    features = _feature_table_problems(p)
    problems, model = _registry_problems(p, name, champion)
    found, predictions = _prediction_problems(p, champion)
    if features + problems + found:
        raise CheckError(features + problems + found)
    print(f"  verified: features as mapped; {model}; {predictions}, lineage complete")
