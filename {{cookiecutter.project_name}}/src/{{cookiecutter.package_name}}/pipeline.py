"""The order of the pipeline's steps and the wiring of each step to its adapters; nothing else."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import date
from functools import cached_property

from pyspark.sql import functions as F

from . import validation
from .adapters import registry, tracking
from .adapters.feature_store import DatabricksFeatureStore, FeatureStore, LocalFeatureStore
from .adapters.spark import get_spark
from .adapters.tables import DatabricksTables, LocalTables, Tables, read_source
from .config import TABLES, Settings
from .evaluation import importance_figure, metrics, pr_figure, roc_figure
from .features import supermarket
from .features.snapshots import dates_to_process, eligible_snapshots, snapshot_dates
from .ingest import synthetic_tables, to_our_names
from .selection import Cart, load_cart
from .training import hyperopt_space, model_requirements, train_model, with_part


def preflight(settings: Settings) -> Cart:
    """Everything that can be checked without Spark, checked before any step runs."""
    cart = load_cart(settings)
    hyperopt_space(settings.training.search_spaces[settings.training.estimator])
    return cart


class Platform:
    """The adapters of one run, each made on first use: no Spark until a step needs it."""

    def __init__(self, settings: Settings, cart: Cart):
        self.settings, self.cart = settings, cart

    @cached_property
    def spark(self):
        return get_spark(self.settings.spark, self.settings.storage, self.settings.project.name)

    @cached_property
    def tables(self) -> Tables:
        storage = self.settings.storage
        if storage.catalog is None:
            return LocalTables(self.spark, storage.warehouse_dir / storage.schema_name)
        return DatabricksTables(self.spark, storage.catalog, storage.schema_name)

    @cached_property
    def store(self) -> FeatureStore:
        features = self.settings.features
        if features.store == "databricks":
            from databricks.feature_engineering import FeatureEngineeringClient

            return DatabricksFeatureStore(
                FeatureEngineeringClient(), self.tables, features.table, features.max_staleness_days
            )
        return LocalFeatureStore(self.tables, features.table, features.max_staleness_days)

    @cached_property
    def experiment_id(self) -> str:
        return tracking.configure_tracking(self.settings.tracking)

    def start_run(self, name: str, tags: dict[str, str]):
        """A new MLflow run in the project's experiment (a context manager)."""
        return tracking.start_run(self.experiment_id, name, tags)


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


def _data_snapshot(p: Platform) -> dict[str, str]:
    """What identifies the data a model was trained on."""
    parts = {
        "features": json.dumps(p.store.state(), sort_keys=True),
        "labels": p.tables.metadata("labels").get("fingerprint", ""),
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
    return {
        "data_snapshot": digest,
        "data.features": parts["features"],
        "data.labels": parts["labels"],
    }


def train(p: Platform) -> None:
    """labels + supermarket -> a tuned model, registered and given the alias `challenger`."""
    settings, cart = p.settings, p.cart
    spine = p.tables.read("labels").select("member_id", "as_of_date", "label")
    data = with_part(p.store.training_set(spine, list(cart.features)), settings.split).cache()
    lineage = {"git_commit": tracking.git_commit(settings.root), **_data_snapshot(p)}
    name, estimator = settings.registry.model_name, settings.training.estimator
    with p.start_run(f"train-{estimator}", {"step": "train", **lineage}) as run:
        fitted = train_model(data, cart, settings.training, p.spark)
        tracking.log_trials(run.info.run_id, fitted.tuned.trials)
        scores = metrics(fitted.holdout_label, fitted.holdout_score)
        tracking.log_run_contents(
            params={
                "estimator": estimator,
                "max_evals": settings.training.max_evals,
                "n_features": len(cart.features),
                **{f"best.{k}": v for k, v in fitted.tuned.best_params.items()},
                **{f"rows.{k}": v for k, v in fitted.sizes.items()},
            },
            metrics={
                **{f"holdout_{k}": v for k, v in scores.items()},
                "best_val_roc_auc": fitted.tuned.best_validation_auc,
            },
            tags={},
            figures={
                "plots/roc.png": roc_figure(
                    fitted.holdout_label, fitted.holdout_score, "Holdout ROC"
                ),
                "plots/precision_recall.png": pr_figure(
                    fitted.holdout_label, fitted.holdout_score, "Holdout precision-recall"
                ),
                "plots/feature_importance.png": importance_figure(
                    fitted.importance, "Feature importance"
                ),
            },
            documents={
                "feature_list.json": cart.as_dict(),
                "config.json": settings.model_dump(mode="json"),
                "feature_importance.json": fitted.importance,
            },
        )
        version = p.store.log_model(
            fitted.model, fitted.kind, name, fitted.example, model_requirements(fitted.kind)
        )
    p.spark.catalog.clearCache()  # steps hand data on through tables only
    registry.tag_version(name, version, {"run_id": run.info.run_id, **lineage})
    registry.set_alias(name, "challenger", version)
    print(
        f"  {len(fitted.tuned.trials)} trials; holdout ROC AUC {scores['roc_auc']:.3f}; "
        f"registered {name} version {version} as @challenger"
    )


STEPS: dict[str, Callable[[Platform], None]] = {
    "ingest": ingest,
    "validate-data": validate_data,
    "features": features,
    "train": train,
}


def run(settings: Settings, steps: list[str]) -> dict[str, float]:
    """Check everything that needs no Spark, then run ``steps`` in order, timing each."""
    platform = Platform(settings, preflight(settings))
    timings: dict[str, float] = {}
    for name in steps:
        print(f"[{name}] env={settings.env}")
        start = time.perf_counter()
        STEPS[name](platform)
        timings[name] = time.perf_counter() - start
        print(f"[{name}] done in {timings[name]:.1f} s")
    return timings
