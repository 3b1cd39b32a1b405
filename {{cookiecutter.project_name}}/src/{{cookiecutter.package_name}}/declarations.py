"""The data's declarations (conf/data.yml): the sources with their columns, keys and time
columns, the entity, the label, the population and the snapshot dates; and the settings of the
example's synthetic health plan. Typed; what they say of each other is checked in references.py.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import (
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    field_validator,
    model_validator,
)

from .yamlfiles import NestedKeyError, Strict


class SyntheticSource(Strict):
    """The seeded synthetic health plan, read by sources of format ``synthetic`` (an overlay
    that sets these with no such source changes nothing)."""

    members: PositiveInt = 100_000
    seed: int = 7
    start_date: date = date(2024, 1, 1)
    end_date: date = date(2025, 12, 31)
    label_horizon_days: PositiveInt = 90

    @model_validator(mode="after")
    def _long_enough(self) -> SyntheticSource:
        if (self.end_date - self.start_date).days < 365:
            raise NestedKeyError(("end_date",), "must be at least 365 days after start_date")
        return self


class IngestSettings(Strict):
    synthetic: SyntheticSource | None = None


SOURCE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # each becomes a table of that name
ColumnType = Literal["string", "integer", "long", "double", "boolean", "date"]
NUMERIC_COLUMN_TYPES = ("integer", "long", "double", "boolean")
LABEL_TYPES = ("integer", "long", "boolean")  # a label is 0 or 1 (or false or true)


Allowed = str | bool | int | float


class Column(Strict):
    """One declared column of a source: its type, its name in the source if it differs, and
    what its values may be (checked by validate-data on every batch)."""

    type: ColumnType
    source_name: str | None = Field(None, alias="from", min_length=1)
    description: str | None = None
    allowed: list[Allowed] | None = Field(None, min_length=1)  # the only values it may hold
    min: float | date | None = None  # smallest value allowed (numbers; dates for date columns)
    max: float | date | None = None
    finite: bool = True  # double columns: NaN and infinities are errors (false: allowed)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _fits_type(self) -> Column:
        numeric = self.type in ("integer", "long", "double")
        for key in ("min", "max"):
            bound = getattr(self, key)
            if bound is None:
                continue
            if self.type == "date" and not isinstance(bound, date):
                raise NestedKeyError((key,), f"a date column's {key} is a date, e.g. 2024-01-01")
            if self.type != "date" and (not numeric or isinstance(bound, date)):
                raise NestedKeyError((key,), f"applies to numbers and dates, not {self.type}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise NestedKeyError(("max",), f"is below min {self.min}")
        if self.allowed is not None:
            kinds = {"string": str, "boolean": bool}.get(self.type)
            if self.type in ("date", "double"):
                raise NestedKeyError(
                    ("allowed",), f"applies to strings and integers, not {self.type}"
                )
            for i, value in enumerate(self.allowed):
                wrong = (
                    not isinstance(value, kinds)
                    if kinds
                    else isinstance(value, bool) or not isinstance(value, int)
                )
                if wrong:
                    shown = f"{value!r} ({type(value).__name__})"
                    raise NestedKeyError(("allowed", i), f"{shown} is not a {self.type} value")
        return self


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


class SourceSpec(Strict):
    """A named source: where it is, its columns and types, its keys and its time column."""

    format: Literal["synthetic", "csv", "parquet", "delta", "table"]
    path: Path | None = None  # csv, parquet, delta: a file or folder
    table: str | None = None  # table: its name; synthetic: the generated table (default: ours)
    options: dict[str, str] = {}  # passed to the reader (csv: sep, encoding, ...)
    columns: dict[str, Column] = Field(min_length=1)
    key: list[str] | None = None  # the entity key columns it holds; null: the entity's; []: none
    time: str | None = None  # the date each row describes (an event's, a snapshot's)
    unique: bool = False  # one row per key (and time, when it has one)
    required: list[str] = []  # columns that may not be empty, besides key and time
    append_only: bool = False  # rows are only ever added (events): see features.lookback_days
    within_population: bool = False  # drop (and count) rows dated outside the population
    min_rows: NonNegativeInt = 1  # fewer rows than this in a batch is an error

    @field_validator("columns", mode="before")
    @classmethod
    def _short_form(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: {"type": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("key", mode="before")
    @classmethod
    def _key_list(cls, value: object) -> object:
        return _one_or_many(value)

    @model_validator(mode="after")
    def _where(self) -> SourceSpec:
        if self.format == "table" and not self.table:
            raise NestedKeyError(("table",), "format 'table' needs the table's name")
        if self.format in ("csv", "parquet", "delta") and self.path is None:
            raise NestedKeyError(("path",), f"format {self.format!r} needs the file or folder")
        if self.format != "synthetic" and self.format != "table" and self.table:
            raise NestedKeyError(("table",), f"format {self.format!r} reads path, not table")
        return self

    def their_name(self, column: str) -> str:
        """The source's own name of our ``column``."""
        return self.columns[column].source_name or column


class EntitySettings(Strict):
    """What one row of the feature table describes, and the columns that say which and when."""

    name: str = Field(min_length=1)  # singular, for messages: "member"
    plural: str = Field(min_length=1)  # "members"
    key: list[str] = Field(min_length=1)  # column(s) that identify one
    as_of: str = Field(min_length=1)  # the as-of column: the date features are known on

    @field_validator("key", mode="before")
    @classmethod
    def _key_list(cls, value: object) -> object:
        return _one_or_many(value)

    @property
    def keys(self) -> list[str]:
        """The feature table's row key: the entity key, then the as-of column."""
        return [*self.key, self.as_of]

    def count(self, n: int) -> str:
        """``n`` with the entity's name: "1 member", "12,345 members"."""
        return f"{n:,} {self.name if n == 1 else self.plural}"


class LabelSettings(Strict):
    source: str  # the source that holds the label (one row per entity and as-of date)
    column: str  # 0/1, or true/false
    positive_class: str = Field(min_length=1)  # what a score is the probability of, in words


class PopulationSettings(Strict):
    """Who has a row in the feature table on an as-of date, and who is scored on it."""

    source: str
    start: str | None = None  # with end: spans; an entity belongs on dates within one
    end: str | None = None
    max_age_days: PositiveInt | None = None  # without spans: seen this recently (null: ever)

    @model_validator(mode="after")
    def _both_ends(self) -> PopulationSettings:
        if (self.start is None) != (self.end is None):
            missing = "end" if self.end is None else "start"
            raise NestedKeyError((missing,), "spans need both start and end columns")
        if self.start is not None and self.max_age_days is not None:
            raise NestedKeyError(("max_age_days",), "applies to a population without spans")
        return self

    @property
    def spans(self) -> bool:
        return self.start is not None


class SnapshotSettings(Strict):
    """The as-of dates: a schedule (first, every, last), a list, or the dates of a source."""

    first: date | None = None
    every: Literal["day", "week", "month"] | None = None
    last: date | str | None = None  # a date, or a source's name: its newest date
    dates: list[date] | None = Field(None, min_length=1)
    dates_of: str | None = None  # a source's name: every date of its time column

    @field_validator("last", mode="before")
    @classmethod
    def _quoted_date(cls, value: object) -> object:
        """A date written in quotes is a date, not a source's name."""
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                return value
        return value

    @model_validator(mode="after")
    def _one_way(self) -> SnapshotSettings:
        schedule = (self.first, self.every, self.last)
        ways = [any(v is not None for v in schedule), self.dates is not None, bool(self.dates_of)]
        if sum(ways) != 1:
            raise NestedKeyError(
                (), "give exactly one of: first, every and last (a schedule); dates; dates_of"
            )
        if ways[0] and None in schedule:
            missing = ("first", "every", "last")[schedule.index(None)]
            raise NestedKeyError((missing,), "a schedule needs first, every and last")
        return self

    def key_of(self) -> str:
        """The settings key that says where the dates end or come from (for messages)."""
        return "dates_of" if self.dates_of else "last"

    @property
    def source(self) -> str | None:
        """The source the dates come from (dates_of) or end at (last), if one is named."""
        return self.dates_of or (self.last if isinstance(self.last, str) else None)


class CohortSlice(Strict):
    """One way to cut the holdout into cohorts: by the values of a feature-table column
    (numbers cut at ``bins``), or the rows a Spark SQL boolean expression keeps (``where``)."""

    column: str | None = Field(None, min_length=1)
    bins: list[float] | None = Field(None, min_length=1)  # edges: [18, 65] -> <18, [18, 65), >=65
    where: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_kind(self) -> CohortSlice:
        if (self.column is None) == (self.where is None):
            raise NestedKeyError(("column",), "set exactly one of column and where")
        if self.bins is not None:
            if self.column is None:
                raise NestedKeyError(("bins",), "cuts a column's values: set column, not where")
            if any(b >= a for a, b in zip(self.bins[1:], self.bins, strict=False)):
                rise = f"must rise strictly, e.g. [18, 45, 65]: {self.bins}"
                raise NestedKeyError(("bins",), rise)
        return self


class CohortSettings(Strict):
    """Cohorts the holdout is judged in (`validate`), beside the whole of it."""

    min_rows: PositiveInt = 100  # fewer holdout rows: reported as too small to judge
    min_positives: PositiveInt = 10  # fewer of either class: too small to judge
    max_values: PositiveInt = 50  # a column slice with more distinct values is refused
    slices: dict[str, CohortSlice] = {}
