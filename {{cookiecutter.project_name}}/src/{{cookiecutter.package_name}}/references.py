"""Every name one part of the settings uses that another part must declare: the entity key in
each source, time and span columns, the label, the population, the source of the snapshot
dates, and names that would clash with the pipeline's own tables. Checked when the settings are
loaded, before Spark starts; each problem names the file and the key."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .declarations import LABEL_TYPES, SOURCE_NAME
from .estimators import ESTIMATORS
from .names import QUALIFIED, TABLE_NAME_LENGTH, UC_NAME_LENGTH, name_problem, parts_of
from .yamlfiles import dotted, suggest

if TYPE_CHECKING:
    from .config import Settings


def _column_problem(
    settings: Settings, keys: tuple, source: str, column: str, kinds: tuple[str, ...] = ()
) -> str | None:
    """Why ``column`` cannot be used from ``source`` at the key path ``keys``, or None."""
    where = f"{settings.source_of(*keys)}: {dotted(keys)}"
    spec = settings.sources.get(source)
    if spec is None:
        return None  # reported where the source is named
    if column not in spec.columns:
        declared = list(spec.columns)
        return f"{where}: {column!r} is not a declared column of source {source!r}" + suggest(
            column, declared
        )
    kind = spec.columns[column].type
    if kinds and kind not in kinds:
        return (
            f"{where}: column {column!r} of source {source!r} is {kind}; "
            f"it must be {' or '.join(kinds)}"
        )
    return None


def _source_problem(settings: Settings, keys: tuple, name: str, timed: bool = False) -> str | None:
    """Why ``name`` (at key path ``keys``) is not a usable source, or None."""
    where = f"{settings.source_of(*keys)}: {dotted(keys)}"
    if name not in settings.sources:
        return f"{where}: no source named {name!r}" + suggest(name, list(settings.sources))
    if timed and settings.sources[name].time is None:
        return f"{where}: source {name!r} has no time column (sources.{name}.time)"
    return None


def source_keys(settings: Settings, name: str) -> list[str]:
    """The entity key columns source ``name`` holds: its own ``key``, else the entity's."""
    spec = settings.sources[name]
    return list(settings.entity.key if spec.key is None else spec.key)


OWN_TABLES = ("features", "inference", "delivery")  # <section>.table: the pipeline's own tables


def written_tables(settings: Settings) -> list[str]:
    """The tables the pipeline writes, by name within the schema: raw_<source> and <source> for
    each source, then the feature, inference and delivery tables."""
    return [
        *(f"raw_{name}" for name in settings.sources),
        *settings.sources,
        *(getattr(settings, section).table for section in OWN_TABLES),
    ]


def table_problems(settings: Settings) -> list[str]:
    """Every table the pipeline writes needs a name of its own: raw_<source> and <source> for
    each source, and features.table, inference.table and delivery.table. Names are compared
    without case, as Unity Catalog compares them. A source of format ``table`` names a table
    (``[catalog.][schema.]table``, each part plain or in backticks) outside the pipeline."""
    problems: list[str] = []
    owners: dict[str, tuple[str, str]] = {}  # a table's name, case-folded -> (key, name)

    def claim(name: str, key: str, keys: tuple) -> None:
        other, as_named = owners.setdefault(name.casefold(), (key, name))
        if other == key:
            return
        where, theirs = settings.source_of(*keys), settings.source_of(*other.split("."))
        notes = [] if theirs == where or other.startswith("the ") else [f"in {theirs}"]
        if as_named != name:
            notes.append(f"as {as_named!r}: table names ignore case")
        note = f" ({'; '.join(notes)})" if notes else ""
        problems.append(
            f"{where}: {dotted(keys)}: the name is {other} too{note}: each table of the "
            "pipeline needs a name of its own"
        )

    usable = []
    for name in settings.sources:
        if not SOURCE_NAME.fullmatch(name):
            reason = "is not a table name: letters, digits and _, not starting with a digit"
        elif name.startswith("raw_"):
            reason = "starts with raw_, which ingest's tables use"
        else:
            reason = name_problem(name, TABLE_NAME_LENGTH - len("raw_"))
        if reason:
            problems.append(
                f"{settings.source_of('sources', name)}: sources.{name}: the name {reason}"
            )
        else:
            usable.append(name)
    for name in usable:  # derived from the sources' names, so never the ones blamed
        raw = f"raw_{name}"
        owners.setdefault(raw.casefold(), (f"the raw table of sources.{name}", raw))
    for section in OWN_TABLES:
        claim(getattr(settings, section).table, f"{section}.table", (section, "table"))
    for name in usable:
        claim(name, f"sources.{name}", ("sources", name))
    storage = settings.storage
    for name, spec in settings.sources.items():
        if spec.format != "table" or not spec.table:
            continue
        keys = ("sources", name, "table")
        where = f"{settings.source_of(*keys)}: {dotted(keys)}"
        if not QUALIFIED.fullmatch(spec.table):
            problems.append(
                f"{where}: {spec.table!r} is not a table name: [catalog.][schema.]table, each "
                "part letters, digits and _ (not starting with a digit), or in backticks"
            )
            continue
        parts = [p.casefold() for p in parts_of(spec.table)]
        if storage.catalog and parts[:2] == [
            storage.catalog.casefold(),
            storage.schema_name.casefold(),
        ]:
            owner = owners.get(parts[-1]) if len(parts) == 3 else None
            if owner:
                problems.append(
                    f"{where}: {spec.table!r} is a table the pipeline writes ({owner[0]}): a "
                    "source must come from outside the pipeline"
                )
    return problems


def model_name_problem(settings: Settings) -> str | None:
    """A registered model's name: ``[catalog.][schema.]model`` in Unity Catalog's registry
    (registry_uri databricks-uc; MLflow completes a shorter name from the session's current
    catalog and schema), else letters, digits, '.', '-' and '_'."""
    name, uri = settings.registry.model_name, settings.tracking.registry_uri or ""
    where = f"{settings.source_of('registry', 'model_name')}: registry.model_name"
    if uri.startswith("databricks-uc"):
        parts = name.split(".")
        if len(parts) > 3 or any(name_problem(p, UC_NAME_LENGTH) for p in parts):
            return (
                f"{where}: {name!r} is not a Unity Catalog model name (registry_uri {uri!r}): "
                "[catalog.][schema.]model, each part letters, digits and _, not starting with "
                "a digit"
            )
    elif not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}", name):
        return (
            f"{where}: {name!r} is not a usable model name: letters, digits, '.', '-' and '_', "
            "at most 255 characters"
        )
    return None


def compute_problem(settings: Settings) -> str | None:
    """Why the tuning cannot run on the job compute, or None: parallel Hyperopt trials run in
    Spark tasks (SparkTrials), which need the classic ``sparkContext`` serverless compute lacks.
    Judged where the platform provides the session (``spark.master`` null)."""
    spark, training = settings.spark, settings.training
    if spark.master is not None or spark.compute != "serverless":
        return None
    single_node = ESTIMATORS[training.estimator].kind == "sklearn"
    if training.tuner != "hyperopt" or training.parallelism == 1 or not single_node:
        return None
    return (
        f"{settings.source_of('training', 'parallelism')}: training.parallelism: "
        f"{training.parallelism} runs Hyperopt's trials in Spark tasks (SparkTrials), which need "
        "the sparkContext that serverless compute does not have (spark.compute: serverless, "
        f"{settings.source_of('spark', 'compute')}): set training.tuner: optuna, which runs "
        "parallel trials in threads, or training.parallelism: 1"
    )


def reference_problems(settings: Settings) -> list[str]:
    """Every name one part of the settings uses that another part does not declare, and a
    tuning the job compute cannot run."""
    problems: list[str | None] = [
        *table_problems(settings),
        model_name_problem(settings),
        compute_problem(settings),
    ]
    entity = settings.entity
    for name, spec in settings.sources.items():
        base = ("sources", name)
        for column in source_keys(settings, name):
            problems.append(_column_problem(settings, (*base, "key"), name, column))
        if spec.time is not None:
            problems.append(_column_problem(settings, (*base, "time"), name, spec.time, ("date",)))
        for i, column in enumerate(spec.required):
            problems.append(_column_problem(settings, (*base, "required", i), name, column))
        where = settings.source_of(*base)
        if spec.key and len(spec.key) != len(entity.key):
            problems.append(
                f"{settings.source_of(*base, 'key')}: sources.{name}.key: names "
                f"{len(spec.key)} column(s); the entity key (entity.key) has {len(entity.key)}"
            )
        if spec.unique and not source_keys(settings, name):
            problems.append(f"{where}: sources.{name}.unique: needs a key to be unique by")
        if spec.format == "synthetic" and settings.ingest.synthetic is None:
            problems.append(
                f"{where}: sources.{name}.format: 'synthetic' needs the ingest.synthetic settings"
            )
        if spec.within_population:
            if spec.time is None:
                reason = "needs a time column to place each row in or out of the population"
            elif not settings.population.spans:
                reason = "needs a population with spans (population.start and population.end)"
            elif name == settings.population.source:
                reason = "the population's own source cannot be filtered by itself"
            else:
                reason = ""
            if reason:
                problems.append(f"{where}: sources.{name}.within_population: {reason}")
    label = settings.label
    problems.append(_source_problem(settings, ("label", "source"), label.source))
    problems.append(
        _column_problem(
            settings,
            ("label", "column"),
            label.source,
            label.column,
            LABEL_TYPES,
        )
    )
    population = settings.population
    problems.append(_source_problem(settings, ("population", "source"), population.source))
    for end in ("start", "end"):
        column = getattr(population, end)
        if column is not None:
            keys = ("population", end)
            problems.append(_column_problem(settings, keys, population.source, column, ("date",)))
    for role, name in (("label", label.source), ("population", population.source)):
        if name in settings.sources and not source_keys(settings, name):
            where = settings.source_of(role, "source")
            problems.append(f"{where}: {role}.source: source {name!r} holds no entity key")
    snapshots = settings.features.snapshots
    named = snapshots.source
    if named:
        keys = ("features", "snapshots", snapshots.key_of())
        problems.append(_source_problem(settings, keys, named, timed=True))
    if entity.as_of in entity.key:
        where = settings.source_of("entity", "as_of")
        problems.append(f"{where}: entity.as_of: {entity.as_of!r} is also a key column")
    return [p for p in problems if p]
