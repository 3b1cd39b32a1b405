"""Scoring steps: the champion scores every eligible member; the best scores become a worklist."""

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
from ..scoring import feature_problems


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


def infer(p: Platform) -> None:
    """@champion scores every member eligible on the score date, with features as of that
    date; the date's partition of the predictions table is replaced, lineage on every row."""
    settings, name = p.settings, p.settings.registry.model_name
    day = score_date(p)
    with p.start_run("infer", {"step": "infer", "score_date": day.isoformat()}) as run:
        champion = registry.load(name, "champion")
        table = p.store.read()
        problems = feature_problems(champion, table.schema, "the feature table")
        first = table.agg(F.min("as_of_date")).collect()[0][0]
        if first is None or first > day:
            problems.append(
                f"the feature table starts at {first}: there are no features as of {day}"
            )
        spine = (
            p.tables.read("eligibility")
            .where(F.lit(day).between(F.col("start_date"), F.col("end_date")))
            .select("member_id", F.lit(day).alias("as_of_date"))
            .distinct()
        )
        if not problems and spine.isEmpty():
            problems.append(f"no member is eligible on {day}: nothing to score")
        if problems:
            raise DataError(problems)
        lineage = {
            "model_name": name,
            "model_version": champion.version,
            "run_id": champion.run_id,
            "git_commit": tracking.git_commit(settings.root),
            "feature_snapshot": feature_snapshot(p),
        }
        scored = p.store.score(spine, champion).select(
            "member_id",
            F.col("as_of_date").alias("score_date"),
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
    print(f"  {count:,} members scored for {day} by {name} version {champion.version}")
    print(f"  predictions: {p.tables.describe(target)} (run {run.info.run_id})")


def deliver(p: Platform) -> None:
    """The score date's worklist: a table and a CSV, ranked, with extra columns for the care
    team, and a report of counts and the score distribution."""
    settings, cut = p.settings, p.settings.delivery
    day = score_date(p)
    predictions = p.tables.read(settings.inference.table).where(F.col("score_date") == day)
    if predictions.isEmpty():
        where = p.tables.describe(settings.inference.table)
        raise DataError([f"{where} has no predictions for {day}: run infer first"])
    listed = worklist(predictions, cut.top_n, cut.threshold)
    extras = p.store.lookup(
        listed.select("member_id", F.col("score_date").alias("as_of_date")), cut.extra_columns
    ).drop("as_of_date")
    table = listed.join(extras, "member_id", "left").select(
        "rank",
        "member_id",
        "score",
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
    print(f"  {len(rows):,} of {summary['scored']:,} members delivered for {day}: {csv}")
