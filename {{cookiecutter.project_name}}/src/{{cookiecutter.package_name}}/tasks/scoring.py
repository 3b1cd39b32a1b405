"""Scoring steps: the champion scores the population of a date; the best scores become a
worklist."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

from pyspark.sql import functions as F

from .. import faults
from ..caching import cached, uncache
from ..commands import STEPS
from ..context import Platform
from ..delivery import report, worklist
from ..errors import DataError, StorageError
from ..features.snapshots import eligible
from ..scoring import cohort_problems, definition_problems, feature_problems
from ..yamlfiles import show
from .data import clean_tables, feature_state_id, in_population


def score_date(p: Platform) -> date:
    """The configured (or --score-date) date, else the feature table's latest snapshot."""
    if p.settings.inference.score_date:
        return p.settings.inference.score_date
    watermark = p.store.state().get("watermark")
    if not watermark:
        raise DataError(["the feature table has no snapshot yet: run features first"])
    return date.fromisoformat(watermark)


def to_score(p: Platform, day: date):
    """The key columns and the as-of date of every entity in the population on ``day`` (of
    the cart's cohort, when it is for one)."""
    source = p.settings.population.source
    table = clean_tables(p, [source])[source]
    return in_population(p, eligible(p.spark, p.settings, table, [day]))


def infer(p: Platform) -> None:
    """@champion scores every entity in the population on the score date, with features as of
    that date; the date's partition of the predictions table is replaced, lineage on every
    row."""
    settings, name, entity = p.settings, p.settings.registry.model_name, p.settings.entity
    day = score_date(p)
    with p.start_run("infer", {"step": "infer", "score_date": day.isoformat()}) as run:
        champion = p.registry.load(name, "champion", p.spark)
        table = p.store.read()
        problems = feature_problems(champion, table.schema, "the feature table")
        problems += [
            f"{line}: train, validate and deploy a model on today's definitions"
            for line in definition_problems(champion, p.store.state().get("definitions", {}))
        ]
        problems += [
            f"{line}: train, validate and deploy a model for it, or set cohort: back"
            for line in cohort_problems(
                champion, p.cart.cohort_tag, show(p.settings.features.selection)
            )
        ]
        first = table.agg(F.min(entity.as_of)).collect()[0][0]
        if first is None or first > day:
            problems.append(
                f"the feature table starts at {first}: there are no features as of {day}"
            )
        spine = to_score(p, day) if not problems else None
        if not problems and spine.isEmpty():
            of = f" of cohort {p.cart.population.name!r}" if p.cart.population else ""
            problems.append(f"no {entity.name}{of} is in the population on {day}: nothing to score")
        if problems:
            raise DataError(problems)
        commit, dirty = p.tracking.code_state()
        lineage = {
            "model_name": name,
            "model_version": champion.version,
            "model_id": champion.model_id,
            "run_id": champion.run_id,
            "git_commit": commit,
            "git_dirty": dirty,
            "feature_snapshot": feature_state_id(p),
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
        p.tracking.log_run_contents(
            {"model_version": champion.version}, {"scored": float(count)}, lineage, {}, {}
        )
    print(f"  {entity.count(count)} scored for {day} by {name} version {champion.version}")
    print(f"  predictions: {p.tables.describe(target)} (run {run.id})")


def _unwritable(p: Platform, error: Exception) -> StorageError | None:
    """The delivery folder refusing the files, as one line naming it; None for other errors."""
    folder = p.delivery_folder
    why = folder.refusal(error)
    if why is None:
        return None
    where = p.settings.source_of("delivery", "csv_dir")
    return StorageError(
        [
            f"{where}: delivery.csv_dir {folder.where}: cannot write the worklist there: {why}; "
            "nothing was replaced"
        ]
    )


def _finish_delivery(p: Platform) -> None:
    """What a deliver that crashed left: the files of a delivery whose table was committed are
    moved into place (the table's metadata names them); files staged by a run that ended
    before its commit are removed."""
    cut = p.settings.delivery
    committed = p.tables.metadata(cut.table).get("files", {}) if p.tables.exists(cut.table) else {}
    finished, removed = p.delivery_folder.recover(committed)
    for path in finished:
        print(f"  finished {path}: the delivery that wrote it stopped after its commit")
    for path in removed:
        print(f"  removed {path}: the delivery that staged it stopped before its commit")


def _calibration(p: Platform, version: str | None) -> str:
    """How well the delivering version's scores matched the observed rates at validation."""
    if version is None:
        return "no rows delivered"
    tags = p.registry.version_tags(p.settings.registry.model_name, version)
    return tags.get("gate.calibration", "not measured when this version was validated")


def deliver(p: Platform) -> None:
    """The score date's worklist: a table and a CSV, ranked, with extra columns for the people
    who act on it, and a report of counts and the score distribution. Both say what the score
    is the probability of (label.positive_class).

    All three or none: the CSV and the report are staged beside their final names first (an
    unwritable folder stops the step here), then the table is committed with their staged
    names in its metadata, then they are moved into place; a crash after the table's commit is
    finished by the next deliver."""
    settings, cut, entity = p.settings, p.settings.delivery, p.settings.entity
    day = score_date(p)
    _finish_delivery(p)
    predictions = p.tables.read(settings.inference.table).where(F.col("score_date") == day)
    if predictions.isEmpty():
        where = p.tables.describe(settings.inference.table)
        raise DataError([f"{where} has no predictions for {day}: run infer first"])
    listed = worklist(predictions, list(entity.key), cut.top_n, cut.threshold)
    extras = p.store.lookup(
        listed.select(*entity.key, F.col("score_date").alias(entity.as_of)), cut.extra_columns
    ).drop(entity.as_of)
    table = cached(  # read once for the CSV and the table
        listed.join(extras, list(entity.key), "left").select(
            "rank",
            *entity.key,
            "score",
            F.lit(settings.label.positive_class).alias("score_is_probability_of"),
            *cut.extra_columns,
            "model_name",
            "model_version",
            "score_date",
        )
    )
    rows = table.orderBy("rank").toPandas()
    csv = f"{settings.project.name}_{day.isoformat()}.csv"
    folder = p.delivery_folder
    version = str(rows["model_version"].iloc[0]) if len(rows) else None
    summary = {
        "score_date": day.isoformat(),
        "entity": entity.plural,
        "score_is_probability_of": settings.label.positive_class,
        "score_means": (
            f"each score is the model's probability of {settings.label.positive_class!r} "
            f"(label.positive_class) for the {entity.name}, as of the score date"
        ),
        "calibration_at_validation": _calibration(p, version),
        **report(predictions, len(rows)),
        "model": {"name": settings.registry.model_name, "version": version},
        "cut": {"top_n": cut.top_n, "threshold": cut.threshold},
        "csv": f"{folder.where}/{csv}",
        "step_seconds": p.tracking.step_seconds([s for s in STEPS if s != "deliver"]),
    }
    outputs = {
        csv: rows.to_csv(index=False).encode(),
        csv.removesuffix(".csv") + "_report.json": json.dumps(summary, indent=2).encode(),
    }
    try:
        staged = folder.stage(outputs)
    except Exception as error:
        refused = _unwritable(p, error)
        if refused is None:
            raise
        raise refused from error
    faults.point("deliver:files-staged", paths=list(staged.values()))
    metadata = {"latest": day.isoformat(), "files": staged}
    try:
        p.tables.overwrite_partitions(table, cut.table, "score_date", [day], metadata)  # commit
    except Exception:
        folder.discard(staged)
        raise
    faults.point("deliver:table-committed", paths=list(staged.values()))
    folder.commit(staged)
    uncache(table)
    with p.start_run("deliver", {"step": "deliver", "score_date": day.isoformat()}):
        p.tracking.log_run_contents(
            {},
            {"scored": float(summary["scored"]), "delivered": float(len(rows))},
            {},
            {},
            {"report.json": summary},
        )
    delivered = f"{len(rows):,} of {entity.count(summary['scored'])} delivered for {day}"
    print(f"  {delivered}: {summary['csv']}")
