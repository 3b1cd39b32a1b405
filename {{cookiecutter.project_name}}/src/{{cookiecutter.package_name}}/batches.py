"""Each batch of a source against the last accepted one: rows, entities and the shares of each
categorical column's values. A collapse, a surge or a value that suddenly dominates (or
vanishes) is reported, as an error or a warning (validation.batch.on_change).

A profile is a small JSON-able dict kept with the clean table; `profile_columns` and
`value_counts` compute it, `changes` compares two. Pure over DataFrames; nothing is written.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .config import BatchSettings, SourceSpec


def profiled(spec: SourceSpec, keys: list[str]) -> list[str]:
    """The columns whose value shares are followed: strings, and columns with allowed values,
    except keys and the time column."""
    skip = {*keys, *([spec.time] if spec.time else [])}
    return [
        c
        for c, col in spec.columns.items()
        if c not in skip and (col.type == "string" or col.allowed is not None)
    ]


def tallies(spec: SourceSpec, keys: list[str]) -> dict[str, F.Column]:
    """Aggregates for the validation pass: distinct entities and each profiled column's
    distinct values (approximate, 1 % error; enough to see a collapse or a long tail)."""
    found = {f"distinct.{c}": F.approx_count_distinct(c, 0.01) for c in profiled(spec, keys)}
    if keys:
        found["keys"] = F.approx_count_distinct(F.xxhash64(*keys), 0.01)
    return found


def value_counts(df: DataFrame, columns: list[str]) -> dict[str, dict[str, int]]:
    """How many rows hold each value of each of ``columns`` (empty values as "null"), in one job."""
    if not columns:
        return {}
    pairs = F.explode(
        F.array(
            *[
                F.struct(F.lit(c).alias("column"), F.col(c).cast("string").alias("value"))
                for c in columns
            ]
        )
    )
    rows = df.select(pairs.alias("p")).groupBy("p.column", "p.value").count().collect()
    counts: dict[str, dict[str, int]] = {c: {} for c in columns}
    for row in rows:
        counts[row["column"]]["null" if row["value"] is None else row["value"]] = row["count"]
    return counts


def profile(
    df: DataFrame, spec: SourceSpec, keys: list[str], tally: dict[str, int], batch: BatchSettings
) -> dict:
    """The batch's profile from the validation pass's ``tally`` (see `tallies`): rows,
    entities, and the value counts of the profiled columns with at most batch.max_values
    distinct values (a column with more is recorded as too varied to follow)."""
    columns = profiled(spec, keys)
    followed = [c for c in columns if tally[f"distinct.{c}"] <= batch.max_values]
    return {
        "rows": tally["rows"],
        "keys": tally.get("keys"),
        "values": value_counts(df, followed),
        "too_varied": [c for c in columns if c not in followed],
    }


def _drop(before: int | None, now: int | None) -> float | None:
    return None if not before or now is None else 1 - now / before


def changes(before: dict, now: dict, batch: BatchSettings, where: str) -> list[str]:
    """What changed beyond batch's thresholds from the ``before`` profile to ``now``."""
    found = []
    for what, limit in (("rows", batch.max_row_drop), ("keys", batch.max_key_drop)):
        drop = _drop(before.get(what), now.get(what))
        label = "rows" if what == "rows" else "distinct entities"
        if drop is not None and drop > limit:
            found.append(
                f"{where}: {now[what]:,} {label}, {drop:.0%} fewer than the {before[what]:,} of "
                f"the last accepted batch (validation.batch.max_{what[:-1]}_drop {limit:.0%})"
            )
    rows_before, rows_now = before.get("rows") or 0, now.get("rows") or 0
    if rows_before and rows_now > rows_before * (1 + batch.max_row_growth):
        growth = batch.max_row_growth
        found.append(
            f"{where}: {rows_now:,} rows, {rows_now / rows_before:.1f} times the {rows_before:,} "
            f"of the last accepted batch (validation.batch.max_row_growth {growth:.0%})"
        )
    old_values, new_values = before.get("values", {}), now.get("values", {})
    for column in sorted(set(old_values) & set(new_values)):
        found += _shifts(column, old_values[column], new_values[column], batch, where)
    return found


def _shifts(column: str, old: dict, new: dict, batch: BatchSettings, where: str) -> list[str]:
    old_total, new_total = sum(old.values()) or 1, sum(new.values()) or 1
    shifts = []
    for value in set(old) | set(new):
        was, share = old.get(value, 0) / old_total, new.get(value, 0) / new_total
        if abs(share - was) > batch.max_share_shift:
            shifts.append((abs(share - was), value, was, share))
    lines = []
    for _, value, was, share in sorted(shifts, reverse=True)[:3]:
        kind = "a new value" if not was else "gone" if not share else "shifted"
        lines.append(
            f"{where}: column {column!r}: value {value!r} ({kind}) holds {share:.1%} of rows, "
            f"{was:.1%} in the last accepted batch (validation.batch.max_share_shift "
            f"{batch.max_share_shift:.0%})"
        )
    return lines
