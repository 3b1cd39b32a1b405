"""The feature store port and its two adapters.

`LocalFeatureStore` keeps the supermarket as a partitioned local table and looks features up
as of each row's date itself; `DatabricksFeatureStore` uses Databricks Feature Engineering in
Unity Catalog (a time-series feature table, FeatureLookup with a timestamp key, training sets and
models logged with their feature lookups).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Protocol

import mlflow
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ..features.lookup import as_of_join
from ..scoring import LoadedModel, score
from .tables import DatabricksTables, Tables


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
    ) -> str:
        """Log ``model`` to the active MLflow run, register it as ``name``; the new version."""


def _flavor(kind: str):
    return mlflow.spark if kind == "spark" else mlflow.sklearn


class LocalFeatureStore:
    """The supermarket as a table of the run's `Tables`, partitioned by as-of date."""

    def __init__(
        self,
        tables: Tables,
        table: str,
        key: list[str],
        as_of: str,
        max_staleness_days: int | None = None,
    ):
        self.tables, self.table, self.max_staleness_days = tables, table, max_staleness_days
        self.key, self.as_of = key, as_of
        self.keys = [*key, as_of]

    def state(self) -> dict:
        return self.tables.metadata(self.table) if self.tables.exists(self.table) else {}

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
        return score(model, self.lookup(spine, model.columns.all), self.keys)

    def log_model(
        self, model: Any, kind: str, name: str, example: Any, requirements: list[str]
    ) -> str:
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
            "registered_model_name": name,
            "signature": signature,
            "input_example": example,
            "pip_requirements": requirements,
        }
        if kind == "spark":
            info = mlflow.spark.log_model(model, "model", **common)
        else:  # cloudpickle: skops, the default, refuses tree models outside Databricks
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                serialization_format="cloudpickle",
                pyfunc_predict_fn="predict_proba",
                **common,
            )
        return str(info.registered_model_version)


class DatabricksFeatureStore:
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
        self.key, self.as_of = key, as_of
        self.keys = [*key, as_of]
        self.max_staleness_days = max_staleness_days
        self._training_set = None

    def state(self) -> dict:
        return self.tables.metadata(self.table) if self.tables.exists(self.table) else {}

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
    ) -> str:
        """Log the model with its feature lookups, so that scoring finds the features itself.

        Feature Engineering infers the signature from the training set and writes the model's
        environment itself (adding its own lookup client), so ``requirements`` are not passed.
        """
        if self._training_set is None:
            raise RuntimeError("training_set() must be called before log_model()")
        self.client.log_model(
            model=model,
            artifact_path="model",
            flavor=_flavor(kind),
            training_set=self._training_set,
            registered_model_name=name,
            infer_input_example=True,
            **({"pyfunc_predict_fn": "predict_proba"} if kind == "sklearn" else {}),
        )
        versions = mlflow.MlflowClient().search_model_versions(f"name = '{name}'")
        return str(max(int(v.version) for v in versions))
