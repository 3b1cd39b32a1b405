"""Data checks before anything is built, driven by the sources' declarations.

`validate` turns raw tables into clean ones (declared columns only, typed; rows dated outside
the population dropped and counted where a source asks for it) or raises a DataError naming
each source and column at fault. Columns a source has but does not declare are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from . import batches
from .caching import cached
from .config import Settings, SourceSpec, source_keys
from .errors import DataError
from .names import quote

SPARK_TYPES = {
    "string": "string",
    "integer": "int",
    "long": "bigint",
    "double": "double",
    "boolean": "boolean",
    "date": "date",
}


@dataclass(frozen=True)
class Validated:
    tables: dict[str, DataFrame]  # clean tables: declared columns, typed
    counts: dict[str, int]  # "<source>.rows", "<source>.outside_population", ...
    warnings: list[str]  # one line each: undeclared columns, left out; batch changes
    profiles: dict[str, dict]  # each source's batch profile (see batches.py)
    fingerprints: dict[str, str]  # each clean table's `fingerprint`, taken in the same passes


def _raw(column: str) -> str:
    return f"__raw_{column}"


def _typed(spec: SourceSpec, df: DataFrame) -> DataFrame:
    """Every declared column cast to its type (null where the value does not convert), with
    the value as it was beside it, for the checks to count and show."""
    return df.select(
        *[
            F.expr(f"try_cast({quote(c)} AS {SPARK_TYPES[col.type]})").alias(c)
            for c, col in spec.columns.items()
        ],
        *[F.col(quote(c)).alias(_raw(c)) for c in spec.columns],
    )


@dataclass(frozen=True)
class _Check:
    condition: F.Column  # true on a bad row
    says: Callable[[int, str], str]  # (rows, an example value) -> the problem, in words
    example: F.Column | None = None


def _checks(name: str, settings: Settings, today: date) -> list[_Check]:
    """The row checks of one source: types, empty values, dates, labels, spans."""
    spec = settings.sources[name]
    checks = [
        _Check(
            F.col(_raw(c)).isNotNull() & F.col(c).isNull(),
            lambda n, e, c=c, kind=col.type: f"column {c!r}: {n} values are not {kind} (e.g. {e})",
            F.col(_raw(c)).cast("string"),
        )
        for c, col in spec.columns.items()
    ]
    checks += _expectations(name, spec)
    label = settings.label
    not_empty = [*source_keys(settings, name), *([spec.time] if spec.time else []), *spec.required]
    if name == label.source:
        not_empty.append(label.column)
    checks += [
        _Check(F.col(_raw(c)).isNull(), lambda n, e, c=c: f"column {c!r}: {n} rows have no value")
        for c in dict.fromkeys(not_empty)
    ]
    if spec.time is not None:
        checks.append(
            _Check(
                F.col(spec.time) > F.lit(today),
                lambda n, e: f"column {spec.time!r}: {n} rows are dated after {today} (e.g. {e})",
                F.col(spec.time).cast("string"),
            )
        )
    if name == label.source:
        value = F.col(label.column).cast("int")
        checks.append(
            _Check(
                F.col(label.column).isNotNull() & ~value.isin(0, 1),
                lambda n, e: f"column {label.column!r}: {n} labels are neither 0 nor 1 (e.g. {e})",
                F.col(_raw(label.column)).cast("string"),
            )
        )
    population = settings.population
    if name == population.source and population.spans:
        start, end = population.start, population.end
        checks.append(
            _Check(
                F.col(start) > F.col(end),
                lambda n, e: f"{n} spans end ({end}) before they start ({start})",
            )
        )
    return checks


def _shown(values: list) -> str:
    listed = ", ".join(repr(v) for v in values[:8])
    return listed + (f", ... ({len(values)} in all)" if len(values) > 8 else "")


def _expectations(name: str, spec: SourceSpec) -> list[_Check]:
    """The declared expectations of the columns: allowed values, bounds, finite numbers."""
    checks = []
    for c, col in spec.columns.items():
        value, example = F.col(c), F.col(_raw(c)).cast("string")
        if col.allowed is not None:
            checks.append(
                _Check(
                    value.isNotNull() & ~value.isin(*col.allowed),
                    lambda n, e, c=c, a=col.allowed: (
                        f"column {c!r}: {n} values are not among the allowed {_shown(a)} "
                        f"(e.g. {e}): correct the data, or add the value to "
                        f"sources.{name}.columns.{c}.allowed"
                    ),
                    example,
                )
            )
        for key, outside in (("min", value.__lt__), ("max", value.__gt__)):
            bound = getattr(col, key)
            if bound is not None:
                checks.append(
                    _Check(
                        outside(F.lit(bound)),
                        lambda n, e, c=c, k=key, b=bound: (
                            f"column {c!r}: {n} values are {'below' if k == 'min' else 'above'} "
                            f"{k} {b} (e.g. {e})"
                        ),
                        example,
                    )
                )
        if col.type == "double" and col.finite:
            checks.append(
                _Check(
                    F.isnan(value) | value.isin(float("inf"), float("-inf")),
                    lambda n, e, c=c: (
                        f"column {c!r}: {n} values are NaN or infinite (e.g. {e}); "
                        f"declare finite: false for {c!r} to let them through"
                    ),
                    example,
                )
            )
    return checks


def _content_problems(
    typed: DataFrame, checks: list[_Check], where: str, tallies: dict[str, F.Column]
) -> tuple[list[str], dict[str, int]]:
    """Every check counted (and an example taken), and the ``tallies`` summed, in one job."""
    row = typed.agg(
        *[F.sum(F.when(c.condition, 1).otherwise(0)).alias(f"n{i}") for i, c in enumerate(checks)],
        *[
            F.first(F.when(c.condition, c.example), ignorenulls=True).alias(f"e{i}")
            for i, c in enumerate(checks)
            if c.example is not None
        ],
        *[column.alias(f"t_{name}") for name, column in tallies.items()],
    ).collect()[0]
    found = row.asDict()
    problems = [
        f"{where}: " + c.says(found[f"n{i}"], repr(found.get(f"e{i}")))
        for i, c in enumerate(checks)
        if found[f"n{i}"]
    ]
    return problems, {name: int(found[f"t_{name}"] or 0) for name in tallies}


def _tallies(name: str, settings: Settings) -> dict[str, F.Column]:
    """What the table-level expectations count: rows, and the label's classes."""
    tallies = {"rows": F.count(F.lit(1))}
    if name == settings.label.source:
        value = F.col(settings.label.column).cast("int")
        tallies["positive"] = F.sum(F.when(value == 1, 1).otherwise(0))
        tallies["negative"] = F.sum(F.when(value == 0, 1).otherwise(0))
    return tallies


def _table_problems(name: str, settings: Settings, tally: dict[str, int], where: str) -> list:
    spec, problems = settings.sources[name], []
    if tally["rows"] < spec.min_rows:
        problems.append(
            f"{where}: {tally['rows']:,} rows, fewer than sources.{name}.min_rows "
            f"({spec.min_rows:,}) in {settings.source_of('sources', name)}"
        )
    if name == settings.label.source and tally["rows"]:
        missing = [k for k in ("positive", "negative") if not tally[k]]
        if missing:
            column, positive, negative = settings.label.column, tally["positive"], tally["negative"]
            problems.append(
                f"{where}: column {column!r} holds one class only ({positive:,} rows of 1, "
                f"{negative:,} of 0); a model needs both"
            )
    return problems


def _duplicate_problems(df: DataFrame, keys: list[str], where: str) -> list[str]:
    dupes = df.groupBy(*keys).count().where("count > 1")
    found = dupes.agg(F.count("*").alias("n"), F.first(F.struct(*keys)).alias("example"))
    row = found.collect()[0]
    if not row["n"]:
        return []
    example = ", ".join(f"{k}={row['example'][k]}" for k in keys)
    return [f"{where}: {row['n']} keys ({', '.join(keys)}) appear more than once (e.g. {example})"]


def within_population(
    df: DataFrame, spans: DataFrame, keys: list[str], column: str, start: str, end: str
) -> DataFrame:
    """Rows whose date ``column`` falls inside one of the entity's spans [start, end], each
    kept once however many spans hold it. One semi join: Spark broadcasts the spans where they
    are small, so the rows are not shuffled at all."""
    renamed = spans.select(
        *[F.col(quote(k)).alias(f"__span_key{i}") for i, k in enumerate(keys)],
        F.col(quote(start)).alias("__span_start"),
        F.col(quote(end)).alias("__span_end"),
    )
    inside = F.col(quote(column)).between(F.col("__span_start"), F.col("__span_end"))
    for i, key in enumerate(keys):
        inside &= F.col(quote(key)) == F.col(f"__span_key{i}")
    return df.join(renamed, inside, "left_semi")


# The source types each declared type can be read from (the rest Spark refuses to cast).
_READABLE_FROM = {
    "date": ("string", "date", "timestamp", "timestamp_ntz"),
    "boolean": ("string", "boolean", "tinyint", "smallint", "int", "bigint", "float", "double"),
}
_NUMBERS_FROM = ("string", "boolean", "tinyint", "smallint", "int", "bigint", "float", "double")


def _readable(declared: str, actual: str) -> bool:
    if declared == "string":
        return True
    allowed = _READABLE_FROM.get(declared, _NUMBERS_FROM)
    return actual in allowed or (declared != "date" and actual.startswith("decimal"))


def _schema_problems(spec: SourceSpec, df: DataFrame, where: str) -> list[str]:
    problems, types = [], dict(df.dtypes)
    for column, declared in spec.columns.items():
        if column not in df.columns:
            theirs = spec.their_name(column)
            hint = f" (declared as from: {theirs!r})" if theirs != column else ""
            problems.append(
                f"{where}: missing column {column!r}{hint}; it has: {', '.join(df.columns)}"
            )
        elif not _readable(declared.type, types[column]):
            problems.append(
                f"{where}: column {column!r} is stored as {types[column]}, which cannot be read as "
                f"{declared.type}: store it as {declared.type} (or text such as "
                f"{'2024-01-31' if declared.type == 'date' else 'true'}), or declare its type "
                "as it is"
            )
    return problems


def validate(
    raw: dict[str, DataFrame],
    origins: dict[str, str],
    settings: Settings,
    today: date,
    previous: dict[str, dict] | None = None,
) -> Validated:
    """Clean, typed tables from raw ones, or a DataError listing every problem found.

    ``origins`` says where each source came from, for the messages; ``previous`` holds the
    profiles of the last accepted batches (of the same declarations) to compare with.
    """
    problems: list[str] = []
    warnings: list[str] = []
    typed: dict[str, DataFrame] = {}
    profiles: dict[str, dict] = {}
    rows: dict[str, int] = {}
    fingerprints: dict[str, str] = {}
    batch = settings.validation.batch
    for name, df in raw.items():
        spec, where = settings.sources[name], f"{origins[name]} (source {name})"
        missing = _schema_problems(spec, df, where)
        undeclared = [c for c in df.columns if c not in spec.columns]
        if undeclared:
            line = f"{where}: {len(undeclared)} column(s) not declared in sources.{name}.columns"
            names = ", ".join(undeclared)
            if settings.validation.strict:
                problems.append(f"{line}: {names}; declare them (validation.strict is on)")
            else:
                warnings.append(f"{line}, left out: {names}")
        if missing:
            problems += missing
            continue
        typed[name] = cached(_typed(spec, df))
        keys = source_keys(settings, name)
        unique = [*keys, *([spec.time] if spec.time else [])] if spec.unique else []
        found, tally = _content_problems(
            typed[name],
            _checks(name, settings, today),
            where,
            {
                **_tallies(name, settings),
                **batches.tallies(spec, keys),
                **_fingerprint_tallies(list(spec.columns)),
                **({"unique": F.count_distinct(*unique)} if unique else {}),
            },
        )
        problems += found + _table_problems(name, settings, tally, where)
        if found:
            continue
        profiles[name] = batches.profile(typed[name], spec, keys, tally, batch)
        if (previous or {}).get(name):
            moved = batches.changes(previous[name], profiles[name], batch, where)
            if batch.on_change == "error":
                problems += [
                    f"{line}; if it is right, accept it once with "
                    "validation.batch.on_change: warning"
                    for line in moved
                ]
            else:
                warnings += moved
        if unique and tally["unique"] < tally["rows"]:  # keys are not empty here: checked above
            problems += _duplicate_problems(typed[name], unique, where)
        rows[name] = tally["rows"]
        fingerprints[name] = _fingerprint_text(tally)
    if problems:
        raise DataError(problems)

    clean = {n: df.select(*settings.sources[n].columns) for n, df in typed.items()}
    counts = {f"{n}.rows": rows[n] for n in clean}  # counted in the validation pass
    population = settings.population
    for name, spec in settings.sources.items():
        if not spec.within_population or name not in clean:
            continue
        keys = source_keys(settings, name)
        spans = clean[population.source].withColumnsRenamed(
            dict(zip(source_keys(settings, population.source), keys, strict=True))
        )
        kept = within_population(
            clean[name],
            spans,
            keys,
            spec.time,
            population.start,
            population.end,
        )
        kept = cached(kept)
        tally = _fingerprint_tally(kept)  # the kept rows are counted in it: one job
        fingerprints[name] = _fingerprint_text(tally)
        dropped = counts[f"{name}.rows"] - tally["rows"]
        counts[f"{name}.outside_population"] = dropped
        clean[name] = kept
        share = dropped / max(counts[f"{name}.rows"], 1)
        if share > settings.validation.max_dropped_fraction:
            problems.append(
                f"{origins[name]} (source {name}): {dropped} rows ({share:.1%}) are dated outside "
                f"the population's spans (source {population.source}), more than "
                f"validation.max_dropped_fraction {settings.validation.max_dropped_fraction:.0%}"
            )
    if problems:
        raise DataError(problems)
    return Validated(clean, counts, warnings, profiles, fingerprints)


def _fingerprint_tallies(columns: list[str]) -> dict[str, F.Column]:
    """What a fingerprint of ``columns`` sums: the rows, and a hash of each row's values."""
    return {
        "rows": F.count(F.lit(1)),
        "hash": F.sum(F.xxhash64(*[F.col(quote(c)) for c in columns]).cast("decimal(38,0)")),
    }


def _fingerprint_text(tally: dict) -> str:
    return f"{tally['rows']}-{int(tally['hash'] or 0) & (2**64 - 1):016x}"


def _fingerprint_tally(df: DataFrame) -> dict:
    tallies = _fingerprint_tallies(df.columns)
    return df.agg(*[column.alias(name) for name, column in tallies.items()]).collect()[0].asDict()


def fingerprint(df: DataFrame) -> str:
    """A content hash of a table, the same however its files are laid out ("<rows>-<hash>")."""
    return _fingerprint_text(_fingerprint_tally(df))
