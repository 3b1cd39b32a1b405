"""The holdout: which part (train, validation, holdout) each entity falls in, and whether
the parts hold enough labelled rows of both classes to tune and judge a model."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .config import Settings, SplitSettings
from .errors import ConfigError, DataError


def with_part(df: DataFrame, split: SplitSettings, key: list[str]) -> DataFrame:
    """``df`` with a ``part`` column: holdout, validation or train, by a hash of the entity key.

    An entity stays in the same part on every run (until ``salt`` changes), so a champion and a
    challenger are always compared on entities neither was trained on.
    """
    bucket = F.pmod(F.xxhash64(*key, F.lit(split.salt)), F.lit(10_000)) / 10_000
    holdout, validation = split.holdout_fraction, split.holdout_fraction + split.validation_fraction
    part = (
        F.when(bucket < holdout, "holdout")
        .when(bucket < validation, "validation")
        .otherwise("train")
    )
    return df.withColumn("part", part)


PARTS = ("train", "validation", "holdout")


def check_split(data: DataFrame, settings: Settings, cohort: str | None = None) -> dict[str, int]:
    """The labelled rows of each part of ``data`` (a ``part`` and a ``label`` column), before
    any trial: refused when the train part holds fewer than ``split.min_train_rows`` (a
    ConfigError naming the split's keys; a DataError when there are not that many labelled
    rows in all), or a part lacks one of the two classes (a DataError). ``cohort``: the cohort
    the rows were kept for (feature_selection_config.yml), named in the messages."""
    split, source = settings.split, settings.label.source
    if cohort:
        source = f"{source}, cohort {cohort!r}"
    found = data.groupBy("part", "label").count().collect()
    counts = {
        (r["part"], int(r["label"])): int(r["count"]) for r in found if r["label"] is not None
    }
    sizes = {p: sum(n for (part, _), n in counts.items() if part == p) for p in PARTS}
    total, least = sum(sizes.values()), split.min_train_rows
    if sizes["train"] < least and total < least:
        raise DataError(
            [
                f"labels (source {source}): {total:,} labelled rows in all, fewer than the "
                f"{least:,} the train part needs alone (split.min_train_rows): more labelled "
                "data needed"
            ]
        )
    if sizes["train"] < least:
        where = settings.source_of("split", "holdout_fraction")
        raise ConfigError(
            [
                f"{where}: split.holdout_fraction, split.validation_fraction: leave "
                f"{sizes['train']:,} of {total:,} labelled rows to train on, fewer than "
                f"split.min_train_rows ({least:,}): lower the fractions (or min_train_rows)"
            ]
        )
    problems = []
    for part in PARTS:
        missing = [c for c in (0, 1) if not counts.get((part, c))]
        if missing:
            held = f"only class {1 - missing[0]}" if len(missing) == 1 else "no rows"
            problems.append(
                f"labels (source {source}): the {part} part ({sizes[part]:,} of {total:,} "
                f"labelled rows) holds {held}; tuning and judging a model need both classes in "
                "each part: more labelled data needed"
            )
    if problems:
        raise DataError(problems)
    return sizes
