"""conf/feature_mappings.yml: the feature groups ("aisles"), their features, and where each
group's features come from.

A group takes its features from exactly one place:
- ``columns: <source>``: columns of a source as they are, looked up as of each snapshot;
- ``aggregate: <source>``: windowed aggregates (count, sum, ...) over an event-like source;
- ``python: <name>``: a function registered with ``@aisle("<name>")`` (features/functions.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import ConfigDict, Field, PositiveInt, model_validator

from .yamlfiles import NestedKeyError, Strict

FeatureType = Literal["integer", "long", "double", "string", "boolean", "date"]
Aggregation = Literal[
    "count", "count_distinct", "sum", "mean", "min", "max", "exists", "days_since"
]
# What an aggregate is when no row matches: counts and sums are 0, `exists` is false; the rest
# (mean, min, max, days_since) stay empty.
EMPTY_VALUE: dict[str, Any] = {"count": 0, "count_distinct": 0, "sum": 0, "exists": False}
NEEDS_COLUMN = ("count_distinct", "sum", "mean", "min", "max")
Value = str | int | float | bool | date


class Condition(Strict):
    """A test on one column; the forms a filter's value may take besides a value or a list."""

    eq: Value | None = None
    ne: Value | None = None
    isin: list[Value] | None = Field(None, alias="in", min_length=1)
    not_in: list[Value] | None = Field(None, min_length=1)
    gt: Value | None = None
    ge: Value | None = None
    lt: Value | None = None
    le: Value | None = None
    is_null: bool | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _something(self) -> Condition:
        if not self.tests():
            raise ValueError("give at least one of eq, ne, in, not_in, gt, ge, lt, le, is_null")
        return self

    def tests(self) -> dict[str, Any]:
        """The operators given, with their operands."""
        return {k: v for k, v in self.model_dump(by_alias=True).items() if v is not None}


class Feature(Strict):
    type: FeatureType
    description: str = Field(min_length=1)
    column: str | None = None  # columns: the source column (default: the feature's name);
    # aggregate: the column summed, averaged, counted distinct or bounded
    agg: Aggregation | None = None  # aggregate groups only
    where: dict[str, Value | list[Value] | Condition] = {}  # aggregate: which rows count
    days: PositiveInt | None = None  # aggregate: rows dated less than this many days up to
    # and including the as-of date; null: every row up to it


class FeatureGroup(Strict):
    description: str = Field(min_length=1)
    columns: str | None = None
    aggregate: str | None = None
    python: str | None = None
    sources: list[str] = []  # python: the sources the function reads
    params: dict[str, Any] = {}  # python: handed to the function as they are
    features: dict[str, Feature] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_origin(self) -> FeatureGroup:
        given = [k for k in ("columns", "aggregate", "python") if getattr(self, k)]
        if len(given) != 1:
            raise NestedKeyError(
                (),
                "say where the features come from with exactly one of columns: <source>, "
                "aggregate: <source>, python: <function>"
                + (f" (got {', '.join(given)})" if given else ""),
            )
        if self.python is None and (self.sources or self.params):
            key = "sources" if self.sources else "params"
            raise NestedKeyError((key,), "only a python group takes sources and params")
        if self.python is not None and not self.sources:
            raise NestedKeyError(("sources",), "name the sources the function reads")
        for name, feature in self.features.items():
            self._check_feature(name, feature)
        return self

    def _check_feature(self, name: str, feature: Feature) -> None:
        path = ("features", name)
        if self.aggregate is None:
            extra = [k for k in ("agg", "where", "days") if getattr(feature, k)]
            if extra:
                raise NestedKeyError((*path, extra[0]), "only features of aggregate groups take it")
            if self.python is not None and feature.column is not None:
                raise NestedKeyError((*path, "column"), "a python group computes its columns")
            return
        if feature.agg is None:
            raise NestedKeyError(
                (*path, "agg"), "an aggregate feature needs agg (count, sum, min, ...)"
            )
        if feature.agg in NEEDS_COLUMN and feature.column is None:
            raise NestedKeyError((*path, "column"), f"agg {feature.agg} needs the column")
        if feature.agg not in NEEDS_COLUMN and feature.column is not None:
            raise NestedKeyError((*path, "column"), f"agg {feature.agg} takes no column")

    @property
    def kind(self) -> Literal["columns", "aggregate", "python"]:
        return "columns" if self.columns else "aggregate" if self.aggregate else "python"

    @property
    def reads(self) -> list[str]:
        """The sources this group's features are computed from."""
        return (
            [self.columns] if self.columns else [self.aggregate] if self.aggregate else self.sources
        )


class FeatureMappings(Strict):
    groups: dict[str, FeatureGroup] = Field(min_length=1)

    def group_of(self) -> dict[str, str]:
        """feature -> its group, in mapping order."""
        return {f: g for g, spec in self.groups.items() for f in spec.features}

    def feature(self, name: str) -> Feature:
        return self.groups[self.group_of()[name]].features[name]
