"""What conf/feature_mappings.yml names that the settings must declare, checked before Spark
starts: every source a group reads, every column a feature takes, filters and their values,
aggregations and their types, and every Python function a group names."""

from __future__ import annotations

from datetime import date

from .config import NUMERIC_COLUMN_TYPES, Settings, source_keys
from .features.functions import AisleFunction
from .mappings import Condition, Feature, FeatureGroup, FeatureMappings
from .yamlfiles import suggest

NUMBERS = ("integer", "long", "double")
# What a feature of each type may be made of: the source column types a lookup may cast from.
CASTABLE = {
    "integer": (*NUMBERS, "boolean"),
    "long": (*NUMBERS, "boolean"),
    "double": (*NUMBERS, "boolean"),
    "boolean": ("boolean",),
    "string": ("string",),
    "date": ("date",),
}
# The feature types an aggregation can produce.
AGG_TYPES = {
    "count": NUMBERS,
    "count_distinct": NUMBERS,
    "days_since": NUMBERS,
    "exists": ("boolean",),
    "sum": NUMBERS,
    "mean": ("double",),
    "min": (*NUMBERS, "date"),
    "max": (*NUMBERS, "date"),
}


def _value_fits(value: object, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "date":
        return isinstance(value, date)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _filter_problems(
    where: str, source: str, columns: dict, filters: dict[str, object]
) -> list[str]:
    problems = []
    for column, condition in filters.items():
        at = f"{where}.where.{column}"
        if column not in columns:
            problems.append(
                f"{at}: source {source!r} declares no column {column!r}"
                + suggest(column, list(columns))
            )
            continue
        kind = columns[column].type
        if isinstance(condition, Condition):
            tests = condition.tests()
            values = [v for op, v in tests.items() if op != "is_null"]
            values = [x for v in values for x in (v if isinstance(v, list) else [v])]
        else:
            values = condition if isinstance(condition, list) else [condition]
        for value in values:
            if not _value_fits(value, kind):
                problems.append(
                    f"{at}: {value!r} cannot be compared with column {column!r}, a {kind}"
                )
    return problems


def _feature_problems(
    settings: Settings, where: str, group: FeatureGroup, name: str, feature: Feature
) -> list[str]:
    source = group.reads[0]
    columns = settings.sources[source].columns
    at = f"{where}.features.{name}"
    problems = []
    if group.kind == "columns":
        column = feature.column or name
        if column not in columns:
            where = f"{at}.column" if feature.column else at
            declared = f"sources.{source}.columns in {settings.source_of('sources', source)}"
            return [
                f"{where}: source {source!r} declares no column {column!r}"
                + suggest(column, list(columns))
                + f" ({declared})"
            ]
        if columns[column].type not in CASTABLE[feature.type]:
            problems.append(
                f"{at}.type: {feature.type}, but column {column!r} of source {source!r} is "
                f"{columns[column].type}"
            )
        label = settings.label
        if source == label.source and column == label.column:
            problems.append(
                f"{at}: takes {column!r}, the label (label.column): a model may not learn from "
                "what it predicts"
            )
        return problems
    problems += _filter_problems(at, source, columns, feature.where)
    if feature.type not in AGG_TYPES[feature.agg]:
        allowed = " or ".join(AGG_TYPES[feature.agg])
        problems.append(f"{at}.type: agg {feature.agg} gives {allowed}, not {feature.type}")
    if feature.column is not None:
        if feature.column not in columns:
            problems.append(
                f"{at}.column: source {source!r} declares no column {feature.column!r}"
                + suggest(feature.column, list(columns))
            )
        elif feature.agg in ("sum", "mean") and columns[feature.column].type not in (
            NUMERIC_COLUMN_TYPES
        ):
            problems.append(
                f"{at}.column: agg {feature.agg} needs a number; {feature.column!r} is "
                f"{columns[feature.column].type}"
            )
        elif feature.agg in ("min", "max") and columns[feature.column].type in ("string",):
            problems.append(
                f"{at}.column: agg {feature.agg} needs a number or a date; {feature.column!r} "
                "is a string"
            )
    return problems


def mapping_problems(
    settings: Settings,
    mappings: FeatureMappings,
    functions: dict[str, AisleFunction],
    mappings_file: str,
) -> list[str]:
    """Every reference of the mappings that the settings or the registered functions miss."""
    problems: list[str] = []
    sources = list(settings.sources)
    for name, group in mappings.groups.items():
        where = f"{mappings_file}: groups.{name}"
        if group.python is not None and group.python not in functions:
            problems.append(
                f"{where}.python: no function registered as {group.python!r}"
                + suggest(group.python, list(functions))
                + " (register one with @aisle in a module of features/, or list its module "
                "in features.modules)"
            )
        missing = [s for s in group.reads if s not in settings.sources]
        key = group.kind if group.kind != "python" else "sources"
        for source in missing:
            problems.append(f"{where}.{key}: no source named {source!r}" + suggest(source, sources))
        if missing or group.kind == "python":
            continue
        source = group.reads[0]
        spec = settings.sources[source]
        if not source_keys(settings, source):
            problems.append(f"{where}.{key}: source {source!r} holds no entity key")
            continue
        if group.kind == "aggregate" and spec.time is None:
            problems.append(
                f"{where}.aggregate: source {source!r} has no time column (sources.{source}.time)"
                ": windowed aggregates need one"
            )
            continue
        if group.kind == "columns" and not spec.unique:
            problems.append(
                f"{where}.columns: source {source!r} may hold several rows per "
                f"{settings.entity.name}{' and date' if spec.time else ''}; a lookup needs one: "
                f"set sources.{source}.unique: true (validate-data then checks it), or "
                "aggregate it"
            )
        for feature_name, feature in group.features.items():
            problems += _feature_problems(settings, where, group, feature_name, feature)
    return problems
