"""P4: the features step when a few new events arrive, against recomputing every snapshot.

The newest ``new_events_fraction`` of the events (whole days, newest first) play the new data.
The feature table is built once from the older events; then, each run, that table is restored,
the new events are added to `events`, and `features` runs (timed: incremental). The same step
on the same, complete tables with no feature table yet is the full recompute.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import statistics

from .common import Context, measured, target, timed


def _cutoff(events, fraction: float):
    """The earliest date of the newest whole days that hold ``fraction`` of the events."""
    counts = events.groupBy("event_date").count().orderBy("event_date", ascending=False)
    rows = counts.collect()
    total, newest = sum(r["count"] for r in rows), 0
    for row in rows:
        newest += row["count"]
        if newest >= fraction * total:
            return row["event_date"], newest / total
    raise AssertionError("P4: no events")


def run_case(ctx: Context) -> dict:
    from pyspark.sql import functions as F

    from {{ cookiecutter.package_name }}.tasks.data import features
    from {{ cookiecutter.package_name }}.validation import fingerprint

    source = ctx.platform.tables  # the pipeline run's clean tables
    folder = ctx.folder / "incremental"
    shutil.rmtree(folder, ignore_errors=True)
    p = ctx.platform_at(folder)
    settings = p.settings
    for name in ("members", "eligibility"):
        p.tables.write(source.read(name), name, source.metadata(name))
    events = source.read("events")
    cutoff, fraction = _cutoff(events, ctx.size.new_events_fraction)
    older = events.where(F.col("event_date") < cutoff)
    p.tables.write(older, "events", {"fingerprint": fingerprint(older)})
    with contextlib.redirect_stdout(io.StringIO()):
        features(p)
    table = p.tables.path(settings.features.table)
    base = folder / "feature-table-before"
    shutil.copytree(table, base)
    p.tables.write(events, "events", {"fingerprint": fingerprint(events)})

    def run_features() -> str:
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            features(p)
        return output.getvalue().strip()

    incremental, full, said = [], [], ""
    for i in range(ctx.repeat):
        shutil.rmtree(table)
        shutil.copytree(base, table)
        p.spark.catalog.clearCache()
        seconds, said = timed(run_features)
        incremental.append(seconds)
        shutil.rmtree(table)
        p.spark.catalog.clearCache()
        full.append(timed(run_features)[0])
        print(f"  run {i + 1}: incremental {incremental[-1]:.1f} s, full {full[-1]:.1f} s")
    ratios = [a / b for a, b in zip(incremental, full, strict=True)]
    return {
        "new_events": {"fraction": round(fraction, 4), "from": cutoff.isoformat()},
        "incremental_run": said,
        "incremental_seconds": measured(incremental, 1),
        "full_seconds": measured(full, 1),
        "ratio": measured(ratios),
        "targets": [target("ratio", statistics.median(ratios), "<=", 0.15)],
    }
