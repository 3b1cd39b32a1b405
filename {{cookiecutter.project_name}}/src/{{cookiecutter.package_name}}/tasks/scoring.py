"""Scoring steps: the champion scores the population of a date; the best scores become a
worklist."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime, timezone

from pyspark.sql import functions as F

from ..adapters import registry, tracking
from ..context import Platform
from ..delivery import report, worklist
from ..errors import DataError
from ..features.snapshots import population
from ..scoring import definition_problems, feature_problems
from .data import clean_tables


def score_date(p: Platform) -> date:
    """The configured (or --score-date) date, else the feature table's latest snapshot."""
    if p.settings.inference.score_date:
        return p.settings.inference.score_date
    watermark = p.store.state().get("watermark")
    if not watermark:
        raise DataError(["the feature table has no snapshot yet: run features first"])
    return date.fromisoformat(watermark)


def feature_snapshot(p: Platform) -> str:
    """An id of the feature table's state: its watermark and the fingerprints of its inputs."""
    state = json.dumps(p.store.state(), sort_keys=True)
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def to_score(p: Platform, day: date):
    """The key columns and the as-of date of every entity in the population on ``day``."""
    settings = p.settings
    pop, entity = settings.population, settings.entity
    table = clean_tables(p, [pop.source])[pop.source]
    time = settings.sources[pop.source].time
    return population(p.spark, table, list(entity.key), entity.as_of, pop, time, [day])


def infer(p: Platform) -> None:
    """@champion scores every entity in the population on the score date, with features as of
    that date; the date's partition of the predictions table is replaced, lineage on every
    row."""
    settings, name, entity = p.settings, p.settings.registry.model_name, p.settings.entity
    day = score_date(p)
    with p.start_run("infer", {"step": "infer", "score_date": day.isoformat()}) as run:
        champion = registry.load(name, "champion", p.spark)
        table = p.store.read()
        problems = feature_problems(champion, table.schema, "the feature table")
        problems += [
            f"{line}: train, validate and deploy a model on today's definitions"
            for line in definition_problems(champion, p.store.state().get("definitions", {}))
        ]
        first = table.agg(F.min(entity.as_of)).collect()[0][0]
        if first is None or first > day:
            problems.append(
                f"the feature table starts at {first}: there are no features as of {day}"
            )
        spine = to_score(p, day)
        if not problems and spine.isEmpty():
            problems.append(f"no {entity.name} is in the population on {day}: nothing to score")
        if problems:
            raise DataError(problems)
        commit, dirty = tracking.git_state(settings.root)
        lineage = {
            "model_name": name,
            "model_version": champion.version,
            "run_id": champion.run_id,
            "git_commit": commit,
            "git_dirty": dirty,
            "feature_snapshot": feature_snapshot(p),
        }
        scored = p.store.score(spine, champion).select(
            *entity.key,
            F.col(entity.as_of).alias("score_date"),
            "score",
            *[F.lit(v).alias(k) for k, v in lineage.items()],
            F.lit(datetime.now(timezone.utc)).alias("scored_at"),
        )
        target = settings.inference.table
        p.tables.overwrite_partitions(
            scored, target, "score_date", [day], {"latest": day.isoformat()}
        )
        count = p.tables.read(target).where(F.col("score_date") == day).count()
        tracking.log_run_contents(
            {"model_version": champion.version}, {"scored": float(count)}, lineage, {}, {}
        )
    print(f"  {entity.count(count)} scored for {day} by {name} version {champion.version}")
    print(f"  predictions: {p.tables.describe(target)} (run {run.info.run_id})")


def deliver(p: Platform) -> None:
    """The score date's worklist: a table and a CSV, ranked, with extra columns for the people
    who act on it, and a report of counts and the score distribution. Both say what the score
    is the probability of (label.positive_class)."""
    settings, cut, entity = p.settings, p.settings.delivery, p.settings.entity
    day = score_date(p)
    predictions = p.tables.read(settings.inference.table).where(F.col("score_date") == day)
    if predictions.isEmpty():
        where = p.tables.describe(settings.inference.table)
        raise DataError([f"{where} has no predictions for {day}: run infer first"])
    listed = worklist(predictions, list(entity.key), cut.top_n, cut.threshold)
    extras = p.store.lookup(
        listed.select(*entity.key, F.col("score_date").alias(entity.as_of)), cut.extra_columns
    ).drop(entity.as_of)
    table = listed.join(extras, list(entity.key), "left").select(
        "rank",
        *entity.key,
        "score",
        F.lit(settings.label.positive_class).alias("score_is_probability_of"),
        *cut.extra_columns,
        "model_name",
        "model_version",
        "score_date",
    )
    p.tables.overwrite_partitions(
        table, cut.table, "score_date", [day], {"latest": day.isoformat()}
    )
    rows = p.tables.read(cut.table).where(F.col("score_date") == day).orderBy("rank").toPandas()
    cut.csv_dir.mkdir(parents=True, exist_ok=True)
    csv = cut.csv_dir / f"{settings.project.name}_{day.isoformat()}.csv"
    partial = csv.with_suffix(".csv.partial")
    rows.to_csv(partial, index=False)
    os.replace(partial, csv)  # readers see the old file or the new one, never half of one
    summary = {
        "score_date": day.isoformat(),
        "entity": entity.plural,
        "score_is_probability_of": settings.label.positive_class,
        **report(predictions, len(rows)),
        "model": {
            "name": settings.registry.model_name,
            "version": str(rows["model_version"].iloc[0]) if len(rows) else None,
        },
        "cut": {"top_n": cut.top_n, "threshold": cut.threshold},
        "csv": str(csv),
        "step_seconds": {k: round(v, 1) for k, v in p.timings.items()},
    }
    csv.with_name(csv.stem + "_report.json").write_text(json.dumps(summary, indent=2))
    with p.start_run("deliver", {"step": "deliver", "score_date": day.isoformat()}):
        tracking.log_run_contents(
            {},
            {"scored": float(summary["scored"]), "delivered": float(len(rows))},
            {},
            {},
            {"report.json": summary},
        )
    print(f"  {len(rows):,} of {entity.count(summary['scored'])} delivered for {day}: {csv}")
