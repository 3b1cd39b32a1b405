"""Each batch of a source against the last accepted one: rows, entities and the shares of each
categorical column's values. A collapse, a surge or a value that suddenly dominates (or
vanishes) is reported, as an error or a warning (validation.batch.on_change).

A profile is a small JSON-able dict kept with the clean table; `profile` computes it and
`changes` compares two. Pure over DataFrames; nothing is written.
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


def _value_counts(df: DataFrame, column: str, most: int) -> dict[str, int] | None:
    """How many rows hold each value of ``column`` (empty values as "null"), or None when it
    has more than ``most`` distinct values."""
    rows = df.groupBy(column).count().limit(most + 1).collect()
    if len(rows) > most:
        return None
    return {("null" if r[column] is None else str(r[column])): r["count"] for r in rows}


def _counts_entities(spec: SourceSpec, keys: list[str]) -> bool:
    """Whether the profile needs its own count of distinct entities: not where each row is one
    (a unique source without a time column, which validate checks) or there are no keys."""
    return bool(keys) and not (spec.unique and not spec.time)


def tallies(spec: SourceSpec, keys: list[str]) -> dict[str, F.Column]:
    """For the validation pass: the rows holding each allowed value of each profiled column
    that declares them (the other columns are counted by `profile`), and the distinct
    entities where the profile needs them."""
    found = {
        f"value.{c}.{i}": F.sum(F.when(F.col(c) == F.lit(v), 1).otherwise(0))
        for c in profiled(spec, keys)
        if spec.columns[c].allowed is not None
        for i, v in enumerate(spec.columns[c].allowed)
    }
    if _counts_entities(spec, keys):
        found["keys"] = F.count_distinct(*keys)
    return found


def profile(
    df: DataFrame, spec: SourceSpec, keys: list[str], tally: dict[str, int], batch: BatchSettings
) -> dict:
    """The batch's profile: its rows, its distinct entities, and the value counts of the
    profiled columns with at most batch.max_values distinct values (a column with more is
    recorded as too varied to follow). ``tally`` holds the validation pass's counts (rows and
    `tallies`); the rest is a small job per column without declared values, over the cached
    table."""
    values, too_varied = {}, []
    for column in profiled(spec, keys):
        allowed = spec.columns[column].allowed
        if allowed is not None:
            counts = {str(v): tally[f"value.{column}.{i}"] for i, v in enumerate(allowed)}
            values[column] = {v: n for v, n in counts.items() if n}
            continue
        counts = _value_counts(df, column, batch.max_values)
        if counts is None:
            too_varied.append(column)
        else:
            values[column] = counts
    # A unique source without a time column holds one row per entity (validate checks it); for
    # the others the validation pass counted them (None: no keys).
    entities = tally["rows"] if spec.unique and not spec.time else tally.get("keys")
    return {"rows": tally["rows"], "keys": entities, "values": values, "too_varied": too_varied}


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
