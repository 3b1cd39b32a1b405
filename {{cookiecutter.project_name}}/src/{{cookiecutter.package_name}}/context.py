"""The adapters one run uses, chosen by the settings and made on first use."""

from __future__ import annotations

from functools import cached_property

from .adapters import tracking
from .adapters.feature_store import DatabricksFeatureStore, FeatureStore, LocalFeatureStore
from .adapters.spark import get_spark
from .adapters.tables import DatabricksTables, LocalTables, Tables
from .config import Settings
from .features.functions import AisleFunction, registered
from .selection import Cart


class Platform:
    """The adapters of one run, each made on first use: no Spark until a step needs it."""

    def __init__(self, settings: Settings, cart: Cart):
        self.settings, self.cart = settings, cart
        self.timings: dict[str, float] = {}  # seconds per step run so far

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
        return LocalFeatureStore(*where, features.max_staleness_days)

    @cached_property
    def _experiment_id(self) -> str:
        """The experiment; runs that dead processes left RUNNING are marked FAILED first."""
        experiment_id = tracking.configure_tracking(self.settings.tracking)
        for line in tracking.fail_orphan_runs(experiment_id):
            print(f"  {line}")
        return experiment_id

    def connect_tracking(self) -> str:
        """Point MLflow's runs and registry at the project's stores; the experiment id."""
        return self._experiment_id

    def start_run(self, name: str, tags: dict[str, str]):
        """A new MLflow run in the project's experiment (a context manager)."""
        return tracking.start_run(self.connect_tracking(), name, tags)
