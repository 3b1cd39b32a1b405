"""Data steps: sources -> raw tables -> clean tables -> the feature table."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import date

from .. import validation
from ..caching import clear
from ..config import Settings
from ..context import Platform
from ..errors import ConfigError, DataError
from ..features import build, entity_view
from ..features.definitions import definitions, digest, source_declaration
from ..features.snapshots import eligible, plan, snapshot_dates
from ..ingest import synthetic_tables, to_our_names
from ..yamlfiles import show


def tracked(step: str) -> Callable[[Callable[[Platform], None]], Callable[[Platform], None]]:
    """The data step recorded as one tracked run named ``step`` (tag ``step``) once it has done
    its work, dated from when it began: a step stopped by bad input leaves nothing in tracking
    (its error says what was wrong), and how long a step took is read back from its run (the
    delivery report)."""

    def wrap(action: Callable[[Platform], None]) -> Callable[[Platform], None]:
        @functools.wraps(action)
        def run(p: Platform) -> None:
            started = time.time()
            action(p)
            with p.start_run(step, {"step": step}, started):
                pass

        return run

    return wrap


@tracked("ingest")
def ingest(p: Platform) -> None:
    """Each declared source -> raw_<source>, in our column names."""
    settings, generated = p.settings, None
    for name, spec in settings.sources.items():
        if spec.format == "synthetic":
            generated = generated or synthetic_tables(p.spark, settings.ingest.synthetic)
            table = spec.table or name
            df = generated[table]
            origin = f"synthetic {table} (seed {settings.ingest.synthetic.seed})"
        else:
            origin = spec.table or show(spec.path)
            df = p.read_source(spec, f"sources.{name}: {origin}")
        p.tables.write(to_our_names(df, spec), f"raw_{name}", {"source": origin})
        print(f"  raw_{name}: {p.tables.read(f'raw_{name}').count():,} rows from {origin}")


def validate_data(p: Platform) -> None:
    """raw_<source> -> <source>: declared columns, typed, checked; rows dated outside the
    population dropped and counted where a source asks for it. Its tracked run opens once the
    data has passed (bad data leaves nothing in tracking) and is dated from the step's start."""
    started = time.time()
    settings = p.settings
    names = list(settings.sources)
    raw = {name: p.tables.read(f"raw_{name}") for name in names}
    origins = {name: p.tables.metadata(f"raw_{name}").get("source", name) for name in names}
    today = settings.validation.today or date.today()
    checked = validation.validate(raw, origins, settings, today, accepted_profiles(p))
    for line in checked.warnings:
        print(f"  warning: {line}")
    with p.start_run("validate-data", {"step": "validate-data"}, started):
        for name, df in checked.tables.items():
            metadata = {
                "fingerprint": checked.fingerprints[name],
                "source": origins[name],
                "declared": source_declaration(settings, name),
                "profile": checked.profiles[name],
            }
            p.tables.write(df, name, metadata)
        for key, value in checked.counts.items():
            print(f"  {key}: {value:,}")
        clear(p.spark)  # steps hand data on through tables only
        tags = {f"source.{n}": s for n, s in origins.items()}
        counts = {k: float(v) for k, v in checked.counts.items()}
        p.tracking.log_run_contents({}, counts, tags, {}, {"warnings.json": checked.warnings})


def accepted_profiles(p: Platform) -> dict[str, dict]:
    """The profile of each source's last accepted batch, where it was validated against the
    declaration that holds today (a changed declaration starts afresh)."""
    found = {}
    for name in p.settings.sources:
        recorded = p.tables.metadata(name) if p.tables.exists(name) else {}
        if recorded.get("declared") == source_declaration(p.settings, name):
            found[name] = recorded.get("profile")
    return {n: f for n, f in found.items() if f}


def feature_sources(settings: Settings, groups) -> list[str]:
    """The sources the feature table is computed from: the groups', the population's and the
    one the snapshot dates come from."""
    named = settings.features.snapshots.source
    found = [s for g in groups.values() for s in g.reads]
    return list(dict.fromkeys([*found, settings.population.source, *([named] if named else [])]))


def clean_tables(p: Platform, names: list[str]) -> dict:
    """The clean tables of ``names``, entity keys under the entity's names; refused when one
    was validated against other declarations than today's."""
    settings, problems = p.settings, []
    for name in names:
        recorded = p.tables.metadata(name).get("declared") if p.tables.exists(name) else None
        if recorded is not None and recorded != source_declaration(settings, name):
            problems.append(
                f"table {name!r} was validated against another declaration of source {name!r} "
                f"than {settings.source_of('sources', name)} holds now: run ingest and "
                "validate-data again"
            )
    if problems:
        raise DataError(problems)
    return {n: entity_view(settings, n, p.tables.read(n)) for n in names}


@tracked("features")
def features(p: Platform) -> None:
    """The clean sources -> the supermarket, only for the snapshots that need it, saying why."""
    settings, mappings = p.settings, p.cart.mappings
    names = feature_sources(settings, mappings.groups)
    tables = clean_tables(p, names)

    def spine_of(dates):
        return eligible(p.spark, settings, tables[settings.population.source], dates)

    # Every group's columns against its declaration first: query plans only, no data read.
    build(spine_of([]), tables, settings, mappings, p.functions, p.cart.mappings_file)
    snapshots = settings.features.snapshots
    named = snapshots.source
    dates = snapshot_dates(
        snapshots, tables.get(named), settings.sources[named].time if named else None
    )
    if not dates:
        where = f"{settings.source_of('features', 'snapshots')}: features.snapshots"
        raise DataError([f"{where}: gives no as-of date (source {named!r} has no dates)"])
    current = definitions(settings, mappings, p.functions)
    inputs = {n: p.tables.metadata(n).get("fingerprint", "") for n in names}
    todo = plan(
        dates,
        p.store.state(),
        current,
        inputs,
        {n: settings.sources[n].append_only for n in names},
        settings.features.lookback_days,
    )
    if not todo.compute and not todo.remove:
        print(
            f"  up to date: {len(dates)} snapshots; sources and definitions unchanged; "
            "nothing processed"
        )
        return
    table = build(
        spine_of(todo.compute), tables, settings, mappings, p.functions, p.cart.mappings_file
    )
    state = {
        "watermark": max(dates).isoformat(),
        "dates": [d.isoformat() for d in dates],
        "inputs": inputs,
        "definitions": current,
    }
    p.store.write(table, todo.todo, state)
    for reason in todo.reasons:
        print(f"  {reason}")
    if todo.compute:
        print(
            f"  {len(todo.compute)} of {len(dates)} snapshots computed "
            f"({todo.compute[0]} to {todo.compute[-1]})"
        )


def feature_state_id(p: Platform) -> str:
    """An id of the feature table's state (its watermark and dates, its inputs' and groups'
    fingerprints): training records it as ``data.features``, scoring as ``feature_snapshot``."""
    return digest(p.store.state())


def with_condition(df, column: str, where: str):
    """``df`` with ``column``: the Spark SQL boolean expression ``where`` on each row, and None;
    or ``df`` unchanged and the first line of why Spark cannot read ``where``."""
    from pyspark.errors import AnalysisException, ParseException
    from pyspark.sql import functions as F

    try:
        return df.withColumn(column, F.expr(where).cast("boolean")), None
    except (AnalysisException, ParseException) as error:
        return df, str(error).strip().splitlines()[0]


def in_population(p: Platform, spine):
    """``spine`` (key columns, as-of date, ...) less its rows outside the cohort the cart is
    for (feature_selection_config.yml `cohort:`), judged on the features as of each row's date;
    ``spine`` itself when the cart is for everyone. An expression Spark cannot read is a
    configuration error naming the key."""
    found = p.cart.population
    if found is None:
        return spine
    looked, why = with_condition(
        p.store.lookup(spine, list(found.columns)), "__in_cohort", found.where
    )
    if why:
        raise ConfigError(
            [
                f"{show(p.settings.features.selection)}: cohort: {found.name!r} keeps the rows "
                f"where {found.where!r}, which is not a boolean expression over the feature "
                f"table's columns ({p.settings.source_of('cohorts')}): {why}"
            ]
        )
    return looked.where("__in_cohort").select(*spine.columns)  # null: out of the cohort
