"""The adapters one run uses, chosen by the settings and made on first use."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from functools import cached_property

from pyspark.sql import DataFrame

from .adapters.feature_store import DatabricksFeatureStore, FeatureStore, LocalFeatureStore
from .adapters.folders import Folder, folder_for
from .adapters.registry import Registry
from .adapters.spark import get_spark
from .adapters.tables import DatabricksTables, LocalTables, Tables, read_source
from .adapters.tracking import Run, Tracking
from .config import Settings, SourceSpec
from .features.functions import AisleFunction, registered
from .selection import Cart


class Platform:
    """Everything a step reaches outside its own code, each made on first use (no Spark until a
    step needs it, no MLflow connection until one tracks, unless `pipeline.run` opens tracking
    ahead, in the background): the tables, the feature store, the tracking of runs, the model
    registry, the delivery folder and Spark. Steps import no adapter module; a test may replace
    any of these by setting the attribute."""

    def __init__(self, settings: Settings, cart: Cart):
        self.settings, self.cart = settings, cart
        self._opening: Future | None = None

    def open_tracking_in_background(self) -> None:
        """Open the tracking store in a thread of its own, for the steps about to run: it takes
        seconds (MLflow creates and migrates a new store's schema), and so does starting the
        JVM, which the first step does in this thread meanwhile. Its errors are raised where
        ``tracking`` is first used, as if it had been opened there."""
        if self._opening is None and "tracking" not in self.__dict__:
            pool = ThreadPoolExecutor(1, thread_name_prefix="open-tracking")
            self._opening = pool.submit(self._open_tracking)
            pool.shutdown(wait=False)

    def _open_tracking(self) -> tuple[Tracking, list[str]]:
        tracking = Tracking(self.settings.tracking, self.settings.root)
        return tracking, tracking.fail_orphan_runs()

    @cached_property
    def spark(self):
        return get_spark(self.settings.spark, self.settings.storage, self.settings.project.name)

    @cached_property
    def functions(self) -> dict[str, AisleFunction]:
        """The registered feature functions (features/functions.py)."""
        modules = self.settings.features.modules
        return registered(modules, self.settings.source_of("features", "modules"))

    @cached_property
    def tables(self) -> Tables:
        """The run's tables; locally, what killed writers left is removed first."""
        storage = self.settings.storage
        if storage.catalog is None:
            local = LocalTables(self.spark, storage.warehouse_dir / storage.schema_name)
            for path in local.recover():
                print(f"  removed {path}: a run that did not finish left it")
            return local
        return DatabricksTables(self.spark, storage.catalog, storage.schema_name)

    @cached_property
    def store(self) -> FeatureStore:
        features, entity = self.settings.features, self.settings.entity
        where = (self.tables, features.table, list(entity.key), entity.as_of)
        if features.store == "databricks":
            from databricks.feature_engineering import FeatureEngineeringClient

            return DatabricksFeatureStore(
                FeatureEngineeringClient(), *where, features.max_staleness_days
            )
        return LocalFeatureStore(
            *where, features.max_staleness_days, self.settings.inference.driver_rows
        )

    @cached_property
    def tracking(self) -> Tracking:
        """The project's experiment; runs that dead processes left RUNNING are marked FAILED
        first."""
        opening = self._opening
        tracking, failed = opening.result() if opening else self._open_tracking()
        for line in failed:
            print(f"  {line}")
        return tracking

    @cached_property
    def registry(self) -> Registry:
        """The model registry (its URI is set when tracking is)."""
        _ = self.tracking
        return Registry()

    @cached_property
    def delivery_folder(self) -> Folder:
        """Where deliveries land: a local folder, or a Unity Catalog volume on Databricks."""
        on_databricks = self.settings.storage.catalog is not None
        return folder_for(self.settings.delivery.csv_dir, on_databricks)

    def start_run(
        self, name: str, tags: dict[str, str], started: float | None = None
    ) -> AbstractContextManager[Run]:
        """A new tracked run in the project's experiment (a context manager); ``started``
        (epoch seconds) dates its start back."""
        return self.tracking.start_run(name, tags, started)

    def read_source(self, spec: SourceSpec, label: str) -> DataFrame:
        """A declared source as it is (a file or a table), ``label`` naming it in errors."""
        return read_source(self.spark, spec, label)
