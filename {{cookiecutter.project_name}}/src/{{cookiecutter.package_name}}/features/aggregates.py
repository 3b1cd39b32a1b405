"""Declared features: a source's columns looked up as of each snapshot, and windowed aggregates
over an event-like source. Pure functions of DataFrames, built from conf/feature_mappings.yml."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ..mappings import EMPTY_VALUE, Condition, Feature
from .lookup import as_of_join
from .snapshots import within_days

SPARK_TYPES = {
    "integer": "int",
    "long": "bigint",
    "double": "double",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
}


def _test(column: str, condition) -> Column:
    """One ``where`` entry: a value, a list of values, or a Condition."""
    col = F.col(column)
    if isinstance(condition, list):
        return col.isin(*condition)
    if not isinstance(condition, Condition):
        return col == F.lit(condition)
    parts = []
    for op, value in condition.tests().items():
        if op == "is_null":
            parts.append(col.isNull() if value else col.isNotNull())
        elif op == "in":
            parts.append(col.isin(*value))
        elif op == "not_in":
            parts.append(~col.isin(*value))
        else:
            parts.append(getattr(col, f"__{op}__")(F.lit(value)))
    result = parts[0]
    for part in parts[1:]:
        result &= part
    return result


def matches(where: dict) -> Column:
    """The rows a feature's ``where`` keeps: every entry holds (no entry: every row)."""
    result = F.lit(True)
    for column, condition in where.items():
        result &= _test(column, condition)
    return result


def _aggregate(feature: Feature, time: str, as_of: str) -> Column:
    keep = matches(feature.where) & within_days(time, as_of, feature.days)
    agg = feature.agg
    if agg == "count":
        return F.count(F.when(keep, 1))
    if agg == "exists":
        return F.max(keep.cast("int")) == 1
    if agg == "days_since":
        return F.datediff(F.col(as_of), F.max(F.when(keep, F.col(time))))
    value = F.when(keep, F.col(feature.column))
    return {
        "count_distinct": F.countDistinct,
        "sum": F.sum,
        "mean": F.mean,
        "min": F.min,
        "max": F.max,
    }[agg](value)


def windowed(
    spine: DataFrame,
    events: DataFrame,
    key: list[str],
    as_of: str,
    time: str,
    features: dict[str, Feature],
) -> DataFrame:
    """One row per spine row: each feature aggregated over the entity's ``events`` dated within
    its window before the as-of date. One join serves every feature (the widest window)."""
    windows = [f.days for f in features.values()]
    widest = None if None in windows else max(windows)
    filters = [f.where for f in features.values()]
    if all(filters):  # only rows some feature counts are paired with the dates
        wanted = matches(filters[0])
        for where in filters[1:]:
            wanted |= matches(where)
        events = events.where(wanted)
    dates = spine.select(as_of).distinct()
    pairs = events.join(F.broadcast(dates), within_days(time, as_of, widest))
    found = pairs.groupBy(*key, as_of).agg(
        *[_aggregate(f, time, as_of).alias(name) for name, f in features.items()]
    )
    return (
        spine.select(*key, as_of)
        .join(found, [*key, as_of], "left")
        .select(
            *key,
            as_of,
            *[
                F.coalesce(F.col(name), F.lit(EMPTY_VALUE[f.agg]))
                .cast(SPARK_TYPES[f.type])
                .alias(name)
                if f.agg in EMPTY_VALUE
                else F.col(name).cast(SPARK_TYPES[f.type]).alias(name)
                for name, f in features.items()
            ],
        )
    )


def looked_up(
    spine: DataFrame,
    table: DataFrame,
    key: list[str],
    as_of: str,
    time: str | None,
    features: dict[str, Feature],
    max_staleness_days: int | None,
) -> DataFrame:
    """One row per spine row with each feature taken from its ``column`` of ``table``: from the
    latest row dated on or before the as-of date, or the entity's one row when ``table`` has no
    time column."""
    columns = {name: f.column or name for name, f in features.items()}
    renamed = table.select(
        *key,
        *([time] if time else []),
        *[F.col(c).cast(SPARK_TYPES[features[n].type]).alias(n) for n, c in columns.items()],
    )
    if time is None:
        return spine.select(*key, as_of).join(renamed, key, "left")
    found = as_of_join(
        spine.select(*key, as_of), renamed, list(features), key, as_of, time, max_staleness_days
    )
    return found.select(*key, as_of, *features)
