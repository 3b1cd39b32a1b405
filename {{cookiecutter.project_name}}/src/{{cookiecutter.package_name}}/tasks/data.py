"""Data steps: sources -> raw tables -> clean tables -> the feature table."""

from __future__ import annotations

from datetime import date

from pyspark.sql import functions as F

from .. import validation
from ..adapters import tracking
from ..adapters.tables import read_source
from ..config import TABLES
from ..context import Platform
from ..features import supermarket
from ..features.snapshots import dates_to_process, eligible_snapshots, snapshot_dates
from ..ingest import synthetic_tables, to_our_names


def ingest(p: Platform) -> None:
    """Sources -> raw_<table>, in our column names."""
    source = p.settings.ingest
    if source.source == "synthetic":
        frames = synthetic_tables(p.spark, source.synthetic)
        origin = dict.fromkeys(frames, f"synthetic (seed {source.synthetic.seed})")
    else:
        frames, origin = {}, {}
        for name, spec in source.files.items():
            origin[name] = str(spec.table or spec.path)
            frames[name] = to_our_names(read_source(p.spark, spec, origin[name]), spec)
    for name, df in frames.items():
        p.tables.write(df, f"raw_{name}", {"source": origin[name]})
        print(f"  raw_{name}: {p.tables.read(f'raw_{name}').count():,} rows from {origin[name]}")


def validate_data(p: Platform) -> None:
    """raw_<table> -> <table>: typed, checked, rows outside eligibility dropped and counted."""
    raw = {name: p.tables.read(f"raw_{name}") for name in TABLES}
    sources = {name: p.tables.metadata(f"raw_{name}").get("source", name) for name in TABLES}
    files = p.settings.ingest.files or {}
    checked = validation.validate(
        raw,
        sources,
        {name: spec.columns for name, spec in files.items()},
        p.settings.validation.today or date.today(),
        p.settings.validation.max_dropped_fraction,
    )
    for name, df in checked.tables.items():
        p.tables.write(
            df, name, {"fingerprint": validation.fingerprint(df), "source": sources[name]}
        )
    for key, value in checked.counts.items():
        print(f"  {key}: {value:,}")
    p.spark.catalog.clearCache()  # steps hand data on through tables only
    tags = {"step": "validate-data", **{f"source.{n}": s for n, s in sources.items()}}
    with p.start_run("validate-data", tags):
        tracking.log_run_contents({}, {k: float(v) for k, v in checked.counts.items()}, {}, {}, {})


def features(p: Platform) -> None:
    """members, eligibility, events -> the supermarket, only for the snapshots that need it."""
    settings = p.settings.features
    members, eligibility, events = (p.tables.read(n) for n in ("members", "eligibility", "events"))
    inputs = "|".join(
        p.tables.metadata(n).get("fingerprint", "") for n in ("members", "eligibility", "events")
    )
    state = p.store.state()
    watermark = date.fromisoformat(state["watermark"]) if state.get("watermark") else None
    if watermark and state.get("inputs") == inputs:  # the inputs are what they were
        print(f"  up to date: no new data since the snapshot of {watermark}; nothing processed")
        return
    latest = events.agg(F.max("event_date")).collect()[0][0]
    dates = snapshot_dates(settings.first_snapshot, latest, settings.snapshot_every)
    todo = dates_to_process(dates, watermark, settings.lookback_days)
    if not todo:
        print(
            f"  no snapshot date falls in the new data (latest event {latest}); nothing processed"
        )
        return
    table = supermarket(eligible_snapshots(p.spark, eligibility, todo), members, events)
    p.store.write(table, todo, {"watermark": max(todo).isoformat(), "inputs": inputs})
    print(f"  {len(todo)} of {len(dates)} snapshots computed ({todo[0]} to {todo[-1]})")
