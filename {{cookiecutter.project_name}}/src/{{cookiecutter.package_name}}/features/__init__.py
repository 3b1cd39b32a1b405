"""The feature aisles, built from their declarations, and the supermarket that stacks them.

Each group of conf/feature_mappings.yml is one aisle: a pure function from the snapshots to
compute (the entity key, the as-of date) and the clean source tables to one row per snapshot
with the group's features. The supermarket joins them all on the key and the as-of date; its
columns are exactly the features the mappings declare, which `check` proves before any heavy
work.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import types as T

from ..config import Settings, source_keys
from ..errors import ConfigError
from ..mappings import FeatureGroup, FeatureMappings
from .aggregates import SPARK_TYPES, looked_up, windowed
from .functions import AisleFunction, AisleInputs


def entity_view(settings: Settings, name: str, df: DataFrame) -> DataFrame:
    """Source ``name`` with its entity key columns renamed to the entity's key columns."""
    renames = dict(zip(source_keys(settings, name), settings.entity.key, strict=False))
    return df.withColumnsRenamed({k: v for k, v in renames.items() if k != v})


def aisle(
    name: str,
    group: FeatureGroup,
    spine: DataFrame,
    tables: dict[str, DataFrame],
    settings: Settings,
    functions: dict[str, AisleFunction],
) -> DataFrame:
    """The features of group ``name`` for every ``spine`` row (lazy: nothing runs yet).

    ``tables`` hold the clean sources with their entity key columns named as the entity's
    (see `entity_view`)."""
    entity = settings.entity
    if group.kind == "python":
        inputs = AisleInputs(
            spine.select(*entity.keys),
            {s: tables[s] for s in group.sources},  # entity keys under the entity's names
            list(entity.key),
            entity.as_of,
            dict(group.params),
        )
        return functions[group.python](inputs)
    source = group.reads[0]
    spec = settings.sources[source]
    renamed = tables[source]
    if group.kind == "aggregate":
        return windowed(spine, renamed, list(entity.key), entity.as_of, spec.time, group.features)
    return looked_up(
        spine,
        renamed,
        list(entity.key),
        entity.as_of,
        spec.time,
        group.features,
        settings.features.max_staleness_days,
    )


def schema_problems(
    name: str, group: FeatureGroup, schema: T.StructType, keys: list[str], where: str
) -> list[str]:
    """How an aisle's columns differ from what its group declares."""
    have = {f.name: f.dataType.simpleString() for f in schema.fields}
    what = f"function {group.python!r}" if group.python else f"group {name!r}"
    problems = [
        f"{where}: groups.{name}: {what} returns no key column {k!r}" for k in keys if k not in have
    ]
    for feature, spec in group.features.items():
        expected = SPARK_TYPES[spec.type]
        if feature not in have:
            problems.append(
                f"{where}: groups.{name}.features.{feature}: {what} returns no column {feature!r}"
                f"; it returns: {', '.join(c for c in have if c not in keys) or 'nothing else'}"
            )
        elif have[feature] != expected:
            problems.append(
                f"{where}: groups.{name}.features.{feature}: {what} returns it as "
                f"{have[feature]}; the group declares {spec.type} ({expected}): cast it in the "
                "function or change the declared type"
            )
    for column in have:
        if column not in keys and column not in group.features:
            problems.append(
                f"{where}: groups.{name}: {what} returns {column!r}, which the group does not "
                "declare: declare it under features, or leave it out"
            )
    return problems


def build(
    spine: DataFrame,
    tables: dict[str, DataFrame],
    settings: Settings,
    mappings: FeatureMappings,
    functions: dict[str, AisleFunction],
    where: str,
) -> DataFrame:
    """Every aisle for every spine row, one row per (key, as-of date), or a ConfigError naming
    each aisle whose columns differ from its declaration. Only query plans are analysed here:
    no data is read until the result is written."""
    keys = settings.entity.keys
    problems, aisles = [], []
    for name, group in mappings.groups.items():
        try:
            built = aisle(name, group, spine, tables, settings, functions)
            schema = built.schema  # analyses the plan; runs nothing
        except Exception as error:  # a function's own bug or a column it expects and lacks
            what = f"function {group.python!r}" if group.python else "the group"
            first = (str(error).strip().splitlines() or [""])[0]
            problems.append(
                f"{where}: groups.{name}: {what} failed: {type(error).__name__}: {first}"
            )
            continue
        found = schema_problems(name, group, schema, keys, where)
        problems += found
        if not found:
            aisles.append(built.select(*keys, *group.features))
    if problems:
        raise ConfigError(problems)
    stacked = spine.select(*keys)
    for built in aisles:
        stacked = stacked.join(built, keys, "left")
    return stacked
