"""Data checks before anything is built: schema, types, keys, dates, labels, eligibility.

`validate` turns raw tables into clean ones (typed, and with rows outside the member's
eligibility dropped and counted) or raises a DataError naming each table and column at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .errors import DataError
from .ingest import SCHEMAS

KEYS = {  # columns that may not be empty, per table
    "members": ["member_id"],
    "eligibility": ["member_id", "start_date", "end_date"],
    "events": ["member_id", "event_date", "event_type"],
    "labels": ["member_id", "as_of_date", "label"],
}
UNIQUE = {"members": ["member_id"], "labels": ["member_id", "as_of_date"]}
DATED = {"events": "event_date", "labels": "as_of_date"}  # must not lie in the future


@dataclass(frozen=True)
class Validated:
    tables: dict[str, DataFrame]  # clean tables, typed
    counts: dict[str, int]  # "<table>.rows", "<table>.outside_eligibility", ...


def _schema_problems(name: str, df: DataFrame, where: str, mapped: dict[str, str]) -> list[str]:
    problems = []
    for column in SCHEMAS[name]:
        if column not in df.columns:
            source = mapped.get(column, column)
            hint = f" (mapped from {source!r})" if source != column else ""
            problems.append(
                f"{where}: missing column {column!r}{hint}; it has: {', '.join(df.columns)}"
            )
    return problems


def _typed(name: str, df: DataFrame) -> DataFrame:
    return df.select(
        *[F.expr(f"try_cast(`{c}` AS {t})").alias(c) for c, t in SCHEMAS[name].items()],
        *[F.col(f"`{c}`").alias(f"__raw_{c}") for c in SCHEMAS[name]],
    )


def _content_problems(name: str, typed: DataFrame, where: str, today: date) -> list[str]:
    """Type, empty-key, future-date and label problems of one table, in one Spark job."""
    checks = {}
    for column, kind in SCHEMAS[name].items():
        bad = F.col(f"__raw_{column}").isNotNull() & F.col(column).isNull()
        checks[f"type:{column}:{kind}"] = bad
    for column in KEYS[name]:
        checks[f"empty:{column}"] = F.col(f"__raw_{column}").isNull()
    if name in DATED:
        checks[f"future:{DATED[name]}"] = F.col(DATED[name]) > F.lit(today)
    if name == "labels":
        checks["label"] = F.col("label").isNotNull() & ~F.col("label").isin(0, 1)
    if name == "eligibility":
        checks["span"] = F.col("start_date") > F.col("end_date")
    row = (
        typed.agg(
            *[F.sum(F.when(c, 1).otherwise(0)).alias(k) for k, c in checks.items()],
            *[
                F.first(F.when(checks[k], F.col(f"__raw_{k.split(':')[1]}")), ignorenulls=True)
                .cast("string")
                .alias(f"example:{k}")
                for k in checks
                if k.startswith(("type:", "future:"))
            ],
        )
        .collect()[0]
        .asDict()
    )
    problems = []
    for key in checks:
        count = row[key] or 0
        if not count:
            continue
        kind, _, rest = key.partition(":")
        column, _, expected = rest.partition(":")
        example = row.get(f"example:{key}")
        if kind == "type":
            problems.append(
                f"{where}: column {column!r}: {count} values are not {expected} (e.g. {example!r})"
            )
        elif kind == "empty":
            problems.append(f"{where}: column {column!r}: {count} rows have no value")
        elif kind == "future":
            problems.append(
                f"{where}: column {column!r}: {count} rows are dated after {today} (e.g. {example})"
            )
        elif kind == "label":
            problems.append(f"{where}: column 'label': {count} values are neither 0 nor 1")
        else:
            problems.append(f"{where}: {count} eligibility spans end before they start")
    return problems


def _duplicate_problems(name: str, df: DataFrame, where: str) -> list[str]:
    if name not in UNIQUE:
        return []
    keys = UNIQUE[name]
    dupes = df.groupBy(*keys).count().where("count > 1")
    found = dupes.agg(F.count("*").alias("n"), F.first(F.struct(*keys)).alias("example")).collect()[
        0
    ]
    if not found["n"]:
        return []
    example = ", ".join(f"{k}={found['example'][k]}" for k in keys)
    return [
        f"{where}: {found['n']} keys ({', '.join(keys)}) appear more than once (e.g. {example})"
    ]


def _within_eligibility(df: DataFrame, spans: DataFrame, date_column: str) -> DataFrame:
    """Rows whose date falls inside one of the member's eligibility spans."""
    inside = (
        df.select("member_id", date_column)
        .distinct()
        .join(spans, "member_id")
        .where(F.col(date_column).between(F.col("start_date"), F.col("end_date")))
        .select("member_id", date_column)
        .distinct()
    )
    return df.join(inside, ["member_id", date_column], "left_semi")


def validate(
    raw: dict[str, DataFrame],
    sources: dict[str, str],
    mapped: dict[str, dict[str, str]],
    today: date,
    max_dropped_fraction: float,
) -> Validated:
    """Clean, typed tables from raw ones, or a DataError listing every problem found.

    ``sources`` names where each table came from (for messages); ``mapped`` holds the column
    mappings of configured sources, so that a missing column names the source's own name.
    """
    problems: list[str] = []
    typed: dict[str, DataFrame] = {}
    for name, df in raw.items():
        where = f"{sources[name]} ({name})"
        missing = _schema_problems(name, df, where, mapped.get(name, {}))
        if missing:
            problems += missing
            continue
        typed[name] = _typed(name, df).cache()
        problems += _content_problems(name, typed[name], where, today)
        problems += _duplicate_problems(name, typed[name], where)
    if problems:
        raise DataError(problems)

    clean = {n: df.select(*SCHEMAS[n]) for n, df in typed.items()}
    counts = {f"{n}.rows": df.count() for n, df in clean.items()}
    spans = clean["eligibility"]
    for name, column in DATED.items():
        kept = _within_eligibility(clean[name], spans, column).cache()
        dropped = counts[f"{name}.rows"] - kept.count()
        counts[f"{name}.outside_eligibility"] = dropped
        clean[name] = kept
        share = dropped / max(counts[f"{name}.rows"], 1)
        if share > max_dropped_fraction:
            problems.append(
                f"{sources[name]} ({name}): {dropped} rows ({share:.1%}) fall outside the "
                f"members' eligibility, more than max_dropped_fraction {max_dropped_fraction:.0%}"
            )
    if problems:
        raise DataError(problems)
    return Validated(clean, counts)


def fingerprint(df: DataFrame) -> str:
    """A content hash of a table, the same however its files are laid out."""
    row = df.agg(
        F.count("*").alias("rows"),
        F.sum(F.xxhash64(*df.columns).cast("decimal(38,0)")).alias("hash"),
    ).collect()[0]
    return f"{row['rows']}-{int(row['hash'] or 0) & (2**64 - 1):016x}"
