"""The feature store port and its two adapters.

`LocalFeatureStore` keeps the supermarket as a partitioned local table and looks features up
as of each row's date itself; `DatabricksFeatureStore` uses Databricks Feature Engineering in
Unity Catalog (a time-series feature table, FeatureLookup with a timestamp key, training sets and
models logged with their feature lookups).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import mlflow
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ..errors import TrainingError
from ..features.lookup import as_of_join
from ..scoring import LoadedModel, score
from .tables import DatabricksTables, Tables


@dataclass(frozen=True)
class LoggedVersion:
    """A model logged and registered: its version, and MLflow 3's id of the logged model ("" where
    the registry does not say)."""

    version: str
    model_id: str


class FeatureStore(Protocol):
    def state(self) -> dict: ...
    def write(self, df: DataFrame, dates: list[date], state: dict) -> None: ...
    def read(self) -> DataFrame: ...
    def lookup(self, spine: DataFrame, features: list[str]) -> DataFrame:
        """``spine`` (key columns, as-of date, ...) with ``features`` as known on each date."""

    def training_set(self, spine: DataFrame, features: list[str]) -> DataFrame:
        """Like ``lookup`` for rows with a label; remembered for ``log_model``."""

    def score(self, spine: DataFrame, model: LoadedModel) -> DataFrame:
        """The key columns, the as-of date and the model's score for each ``spine`` row."""

    def log_model(
        self, model: Any, kind: str, name: str, example: Any, requirements: list[str]
    ) -> LoggedVersion:
        """Log ``model`` to the active MLflow run, register it as ``name``; the new version."""


def _flavor(kind: str):
    return mlflow.spark if kind == "spark" else mlflow.sklearn


def _log_spark_model(model: Any, name: str, **saved: Any) -> LoggedVersion:
    """A Spark ML model as a LoggedModel of the active run, registered as ``name``.

    ``mlflow.spark.log_model`` still logs under a run's artifact path and makes no LoggedModel
    (MLflow 3.x), so the model is saved as the flavor saves it, then logged to a LoggedModel of
    its own: it gets a ``model_id``, as a scikit-learn model does."""
    from mlflow.entities import LoggedModelStatus

    run_id = mlflow.active_run().info.run_id
    logged = mlflow.initialize_logged_model(name="model", source_run_id=run_id, model_type="spark")
    client = mlflow.MlflowClient()
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model"
            mlflow.spark.save_model(model, str(path), **saved)
            client.log_model_artifacts(logged.model_id, str(path))
    except BaseException:
        mlflow.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
        raise
    mlflow.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    version = mlflow.register_model(f"models:/{logged.model_id}", name)
    return LoggedVersion(str(version.version), logged.model_id)


class _Snapshots:
    """What both stores share: rows keyed by the entity key and an as-of date, and the state
    recorded with the table (its watermark, dates and fingerprints)."""

    tables: Tables
    table: str

    def _keyed(self, key: list[str], as_of: str, max_staleness_days: int | None) -> None:
        self.key, self.as_of, self.max_staleness_days = key, as_of, max_staleness_days
        self.keys = [*key, as_of]

    def state(self) -> dict:
        return self.tables.metadata(self.table) if self.tables.exists(self.table) else {}


class LocalFeatureStore(_Snapshots):
    """The supermarket as a table of the run's `Tables`, partitioned by as-of date."""

    def __init__(
        self,
        tables: Tables,
        table: str,
        key: list[str],
        as_of: str,
        max_staleness_days: int | None = None,
        driver_rows: int = 0,
    ):
        self.tables, self.table, self.driver_rows = tables, table, driver_rows
        self._keyed(key, as_of, max_staleness_days)

    def write(self, df: DataFrame, dates: list[date], state: dict) -> None:
        self.tables.overwrite_partitions(df, self.table, self.as_of, dates, state)

    def read(self) -> DataFrame:
        return self.tables.read(self.table)

    def lookup(self, spine: DataFrame, features: list[str]) -> DataFrame:
        return as_of_join(
            spine, self.read(), features, self.key, self.as_of, None, self.max_staleness_days
        )

    def training_set(self, spine: DataFrame, features: list[str]) -> DataFrame:
        return self.lookup(spine, features)

    def score(self, spine: DataFrame, model: LoadedModel) -> DataFrame:
        """On the driver when ``spine`` has at most ``driver_rows`` rows (scoring.score)."""
        return score(model, self.lookup(spine, model.columns.all), self.keys, self.driver_rows)

    def log_model(
        self, model: Any, kind: str, name: str, example: Any, requirements: list[str]
    ) -> LoggedVersion:
        """Log with a signature inferred from ``example`` (a few input rows), the example
        itself and exactly ``requirements``; register as ``name``. Returns the new version."""
        output = model.transform(example) if kind == "spark" else model.predict_proba(example)
        if kind == "spark":  # integers may be missing when scored: declare them as floats
            example = example.toPandas()
            whole = [c for c in example.columns if pd.api.types.is_integer_dtype(example[c])]
            example = example.astype(dict.fromkeys(whole, "float64"))
            output = output.select("prediction").toPandas()
        signature = mlflow.models.infer_signature(example, output)
        common = {
            "signature": signature,
            "input_example": example,
            "pip_requirements": requirements,
        }
        if kind == "spark":
            return _log_spark_model(model, name, **common)
        # cloudpickle: skops, the default, refuses tree models outside Databricks
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=name,
            serialization_format="cloudpickle",
            pyfunc_predict_fn="predict_proba",
            **common,
        )
        return LoggedVersion(str(info.registered_model_version), info.model_id or "")


class DatabricksFeatureStore(_Snapshots):
    """A Feature Engineering time-series table in Unity Catalog, ``catalog.schema.table``."""

    def __init__(
        self,
        client,
        tables: DatabricksTables,
        table: str,
        key: list[str],
        as_of: str,
        max_staleness_days: int | None = None,
    ):
        self.client, self.tables, self.table = client, tables, table
        self.name = tables.describe(table)
        self._keyed(key, as_of, max_staleness_days)
        self._training_set = None

    def write(self, df: DataFrame, dates: list[date], state: dict) -> None:
        """Create the time-series table on the first run; later, replace exactly the as-of
        dates ``dates`` in one Delta commit (a table with a primary key in Unity Catalog is a
        feature table however it is written), so no row of an earlier run survives in them."""
        if self.tables.exists(self.table):
            self.tables.overwrite_partitions(df, self.table, self.as_of, dates, state)
            return
        self.client.create_table(
            name=self.name,
            primary_keys=self.keys,
            timeseries_column=self.as_of,
            partition_columns=[self.as_of],
            df=df,
            description="Features by entity and as-of date (the supermarket).",
        )
        self.tables.set_metadata(self.table, state)

    def read(self) -> DataFrame:
        return self.client.read_table(name=self.name)

    def _lookups(self, features: list[str]) -> list:
        from databricks.feature_engineering import FeatureLookup

        lookback = self.max_staleness_days and timedelta(days=self.max_staleness_days)
        return [
            FeatureLookup(
                table_name=self.name,
                lookup_key=self.key,
                timestamp_lookup_key=self.as_of,
                feature_names=features,
                lookback_window=lookback or None,
            )
        ]

    def lookup(self, spine: DataFrame, features: list[str]) -> DataFrame:
        found = self.client.create_training_set(
            df=spine, feature_lookups=self._lookups(features), label=None, exclude_columns=[]
        )
        return found.load_df()

    def training_set(self, spine: DataFrame, features: list[str]) -> DataFrame:
        self._training_set = self.client.create_training_set(
            df=spine, feature_lookups=self._lookups(features), label="label", exclude_columns=[]
        )
        return self._training_set.load_df()

    def score(self, spine: DataFrame, model: LoadedModel) -> DataFrame:
        """score_batch for single-node models (logged with their lookups and predict_proba);
        Spark ML models score natively after the lookup, for score_batch gives their class."""
        if model.kind == "spark":
            return score(model, self.lookup(spine, model.columns.all), self.keys)
        scored = self.client.score_batch(model_uri=model.uri, df=spine, result_type="array<double>")
        return scored.select(*self.keys, F.col("prediction")[1].alias("score"))

    def log_model(
        self, model: Any, kind: str, name: str, example: Any, requirements: list[str]
    ) -> LoggedVersion:
        """Log the model with its feature lookups, so that scoring finds the features itself.

        Feature Engineering infers the signature from the training set and writes the model's
        environment itself (adding its own lookup client), so ``requirements`` are not passed.
        """
        if self._training_set is None:
            raise TrainingError(
                [
                    "the Feature Engineering store was asked to log a model before it made the "
                    "training set the model is logged with: call training_set() first (a "
                    "custom step that logs a model must do both)"
                ]
            )
        self.client.log_model(
            model=model,
            artifact_path="model",
            flavor=_flavor(kind),
            training_set=self._training_set,
            registered_model_name=name,
            infer_input_example=True,
            **({"pyfunc_predict_fn": "predict_proba"} if kind == "sklearn" else {}),
        )
        # Feature Engineering returns nothing: the newest version is this one (Unity Catalog's
        # versions carry the logged model's id)
        versions = mlflow.MlflowClient().search_model_versions(f"name = '{name}'")
        newest = max(versions, key=lambda v: int(v.version))
        return LoggedVersion(str(newest.version), getattr(newest, "model_id", None) or "")
