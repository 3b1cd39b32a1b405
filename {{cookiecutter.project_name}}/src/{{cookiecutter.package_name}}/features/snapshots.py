"""As-of dates: which snapshots exist, which a run must (re)compute, and who is in each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ..config import PopulationSettings, Settings, SnapshotSettings
from ..names import quote


def schedule(first: date, last: date, every: str) -> list[date]:
    """Dates from ``first`` up to ``last``: every day, week, or month on first's day (a day
    after the 28th becomes the 28th, so that every month has it)."""
    dates, current, step = [], first, 0
    while current <= last:
        dates.append(current)
        step += 1
        if every == "day":
            current = first + timedelta(days=step)
        elif every == "week":
            current = first + timedelta(weeks=step)
        else:
            month = first.month - 1 + step
            current = date(first.year + month // 12, month % 12 + 1, min(first.day, 28))
    return dates


def snapshot_dates(
    settings: SnapshotSettings, dates_of: DataFrame | None, time: str | None
) -> list[date]:
    """The configured as-of dates. ``dates_of`` is the source the settings name (``dates_of``
    or ``last``), and ``time`` its time column."""
    if settings.dates is not None:
        return sorted(set(settings.dates))
    if settings.dates_of:
        rows = dates_of.select(F.col(time).alias("d")).where("d IS NOT NULL").distinct().collect()
        return sorted(r["d"] for r in rows)
    last = settings.last
    if isinstance(last, str):
        last = dates_of.agg(F.max(time)).collect()[0][0]
        if last is None:
            return []
    return schedule(settings.first, last, settings.every)


@dataclass(frozen=True)
class Plan:
    """What a features run must do, and why."""

    compute: list[date]  # snapshots to (re)compute
    remove: list[date] = field(default_factory=list)  # snapshots no longer configured
    reasons: list[str] = field(default_factory=list)

    @property
    def todo(self) -> list[date]:
        """Every partition the run replaces (removed ones are replaced by nothing)."""
        return sorted({*self.compute, *self.remove})


def plan(
    dates: list[date],
    state: dict,
    definitions: dict[str, str],
    inputs: dict[str, str],
    append_only: dict[str, bool],
    lookback_days: int,
) -> Plan:
    """The snapshots a run must compute, given what the feature table holds (``state``).

    Everything, when there is no table yet, when a definition changed (``definitions``: a
    fingerprint per group) or a source that is not append-only changed (``inputs``: a
    fingerprint per source). Otherwise dates newly configured, and, when an append-only source
    got new rows, the snapshots within ``lookback_days`` of the newest one and after it.
    Snapshots no longer configured are removed.
    """
    if not state.get("dates"):
        return Plan(list(dates), reasons=["no feature table yet: every snapshot computed"])
    stored = [date.fromisoformat(d) for d in state["dates"]]
    remove = sorted(set(stored) - set(dates))
    reasons = []
    if remove:
        reasons.append(f"{len(remove)} snapshot(s) no longer configured, removed")
    old = state.get("definitions", {})
    changed = sorted(g for g in {*old, *definitions} if old.get(g) != definitions.get(g))
    if changed:
        reasons.insert(0, f"definitions changed ({', '.join(changed)}): every snapshot recomputed")
        return Plan(list(dates), remove, reasons)
    before = state.get("inputs", {})
    moved = [n for n in inputs if before.get(n) != inputs[n]]
    rewritten = [n for n in moved if not append_only.get(n)]
    if rewritten:
        reasons.insert(
            0,
            f"source(s) {', '.join(rewritten)} changed and are not append-only: every "
            "snapshot recomputed",
        )
        return Plan(list(dates), remove, reasons)
    compute = set(dates) - set(stored)
    if compute:
        reasons.append(f"{len(compute)} new snapshot date(s)")
    if moved:
        since = max(stored) - timedelta(days=lookback_days)
        recent = {d for d in dates if d > since}
        reasons.append(
            f"append-only source(s) {', '.join(moved)} got new rows: snapshots after {since} "
            f"(features.lookback_days {lookback_days} before {max(stored)}) recomputed"
        )
        compute |= recent
    return Plan(sorted(compute), remove, reasons)


def population(
    spark: SparkSession,
    table: DataFrame,
    key: list[str],
    as_of: str,
    settings: PopulationSettings,
    time: str | None,
    dates: list[date],
) -> DataFrame:
    """(key..., as_of) for every entity in the population on each of ``dates``: within one of
    its spans; else seen in ``table`` on or before the date (within ``max_age_days``); or, in a
    table without a time column, on every date."""
    grid = F.broadcast(spark.createDataFrame([(d,) for d in dates], f"{quote(as_of)} date"))
    if settings.spans:
        inside = F.col(as_of).between(F.col(settings.start), F.col(settings.end))
        return table.join(grid, inside).select(*key, as_of).distinct()
    if time is None:
        return table.select(*key).distinct().crossJoin(grid)
    seen = F.col(time) <= F.col(as_of)
    if settings.max_age_days is not None:
        seen &= F.col(time) > F.date_sub(F.col(as_of), settings.max_age_days)
    return table.join(grid, seen).select(*key, as_of).distinct()


def eligible(spark: SparkSession, settings: Settings, table: DataFrame, dates: list[date]):
    """(key..., as_of) of every entity in the configured population on each of ``dates``:
    ``population`` over the population's source (``table``, clean), as the features and the
    scoring both ask for it."""
    pop, entity = settings.population, settings.entity
    time = settings.sources[pop.source].time
    return population(spark, table, list(entity.key), entity.as_of, pop, time, dates)


def within_days(time: str, as_of: str, days: int | None) -> F.Column:
    """Rows dated on or before the as-of date and, with ``days``, less than that many days
    before it (the as-of day counts). Nothing after an as-of date is ever paired with it."""
    condition = F.col(time) <= F.col(as_of)
    if days is not None:
        condition &= F.col(time) > F.date_sub(F.col(as_of), days)
    return condition
