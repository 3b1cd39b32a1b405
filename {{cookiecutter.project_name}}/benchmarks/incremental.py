"""P3: the features step when a few new rows arrive, against recomputing every snapshot.

The new rows are the newest ``new_events_fraction`` of the first append-only source the feature
table reads (whole days, newest first; `events` in the health-plan example). The feature table
is built once from the older rows; then, each run, that table is restored, the new rows are
added, and `features` runs (timed: incremental). The same step on the same, complete tables
with no feature table yet is the full recompute.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import statistics

from .common import BenchError, Context, measured, target, timed


def _cutoff(events, time: str, fraction: float):
    """The earliest date of the newest whole days that hold ``fraction`` of the rows."""
    counts = events.groupBy(time).count().orderBy(time, ascending=False)
    rows = counts.collect()
    total, newest = sum(r["count"] for r in rows), 0
    for row in rows:
        newest += row["count"]
        if newest >= fraction * total:
            return row[time], newest / total
    raise BenchError("P3: the append-only source has no rows")


def run_case(ctx: Context) -> dict:
    from pyspark.sql import functions as F

    from {{ cookiecutter.package_name }}.tasks.data import feature_sources, features
    from {{ cookiecutter.package_name }}.validation import fingerprint

    source = ctx.platform.tables  # the pipeline run's clean tables
    folder = ctx.folder / "incremental"
    shutil.rmtree(folder, ignore_errors=True)
    p = ctx.platform_at(folder)
    settings = p.settings
    names = feature_sources(settings, p.cart.mappings.groups)
    appended = [n for n in names if settings.sources[n].append_only and settings.sources[n].time]
    if not appended:
        raise BenchError(
            "P3: no source the feature table reads is append-only with a time column; "
            "leave the incremental case out (CASES=...)"
        )
    grows, time = appended[0], settings.sources[appended[0]].time
    for name in names:
        if name != grows:
            p.tables.write(source.read(name), name, source.metadata(name))
    events, metadata = source.read(grows), source.metadata(grows)
    cutoff, fraction = _cutoff(events, time, ctx.size.new_events_fraction)
    older = events.where(F.col(time) < cutoff)
    p.tables.write(older, grows, {**metadata, "fingerprint": fingerprint(older)})
    with contextlib.redirect_stdout(io.StringIO()):
        features(p)
    table = p.tables.path(settings.features.table)
    base = folder / "feature-table-before"
    shutil.copytree(table, base)
    p.tables.write(events, grows, metadata)

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
