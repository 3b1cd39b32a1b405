"""Both feature store adapters. The Databricks one runs against an autospec of the real
FeatureEngineeringClient, so every call is checked against the library's own signatures."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from unittest.mock import MagicMock, create_autospec, patch

import mlflow
import pytest
from databricks.feature_engineering import FeatureEngineeringClient

from {{ cookiecutter.package_name }}.adapters import feature_store
from {{ cookiecutter.package_name }}.adapters.feature_store import (
    DatabricksFeatureStore,
    LocalFeatureStore,
    LoggedVersion,
)
from {{ cookiecutter.package_name }}.adapters.tables import (
    DatabricksTables,
    LocalTables,
)
from {{ cookiecutter.package_name }}.errors import TrainingError
from {{ cookiecutter.package_name }}.model_inputs import Columns
from {{ cookiecutter.package_name }}.scoring import LoadedModel

NAME = "staging.{{ cookiecutter.package_name }}.supermarket"


def databricks_store(exists: bool, staleness: int | None = None):
    client = create_autospec(FeatureEngineeringClient, instance=True)
    tables = create_autospec(DatabricksTables, instance=True)
    tables.describe.return_value = NAME
    tables.exists.return_value = exists
    store = DatabricksFeatureStore(
        client, tables, "supermarket", ["member_id"], "as_of_date", staleness
    )
    return store, client, tables


def test_first_write_creates_a_time_series_table() -> None:
    store, client, tables = databricks_store(exists=False)
    df = MagicMock(name="features")
    store.write(df, [date(2024, 7, 1)], {"watermark": "2024-07-01"})
    client.create_table.assert_called_once_with(
        name=NAME,
        primary_keys=["member_id", "as_of_date"],
        timeseries_column="as_of_date",
        partition_columns=["as_of_date"],
        df=df,
        description="Features by entity and as-of date (the supermarket).",
    )
    client.write_table.assert_not_called()
    tables.set_metadata.assert_called_once_with("supermarket", {"watermark": "2024-07-01"})


def test_later_writes_replace_exactly_their_dates_in_one_commit() -> None:
    """A merge would keep the rows of entities no longer in a recomputed date's population."""
    store, client, tables = databricks_store(exists=True)
    df = MagicMock(name="features")
    dates = [date(2024, 8, 1), date(2024, 9, 1)]
    store.write(df, dates, {"watermark": "2024-09-01"})
    tables.overwrite_partitions.assert_called_once_with(
        df, "supermarket", "as_of_date", dates, {"watermark": "2024-09-01"}
    )
    client.write_table.assert_not_called()
    client.create_table.assert_not_called()


def test_a_composite_key_is_the_tables_primary_key_and_the_lookup_key() -> None:
    client = create_autospec(FeatureEngineeringClient, instance=True)
    tables = create_autospec(DatabricksTables, instance=True)
    tables.describe.return_value, tables.exists.return_value = NAME, False
    store = DatabricksFeatureStore(client, tables, "supermarket", ["shop", "till"], "on")
    store.write(MagicMock(), [date(2024, 8, 1)], {})
    call = client.create_table.call_args.kwargs
    assert (call["primary_keys"], call["timeseries_column"]) == (["shop", "till", "on"], "on")
    store.lookup(MagicMock(), ["x"])
    [lookup] = client.create_training_set.call_args.kwargs["feature_lookups"]
    assert (lookup.lookup_key, lookup.timestamp_lookup_key) == (["shop", "till"], "on")


def test_training_set_looks_features_up_as_of_each_row() -> None:
    store, client, _ = databricks_store(exists=True, staleness=45)
    spine = MagicMock(name="spine")
    result = store.training_set(spine, ["age", "rx_fills_90d"])
    call = client.create_training_set.call_args.kwargs
    assert call["df"] is spine and call["label"] == "label"
    [lookup] = call["feature_lookups"]
    assert (lookup.table_name, lookup.lookup_key, lookup.timestamp_lookup_key) == (
        NAME,
        ["member_id"],
        "as_of_date",
    )
    assert lookup.feature_names == ["age", "rx_fills_90d"]
    assert lookup.lookback_window == timedelta(days=45)
    assert result is client.create_training_set.return_value.load_df.return_value


def test_lookup_without_a_label() -> None:
    store, client, _ = databricks_store(exists=True)
    spine = MagicMock(name="spine")
    result = store.lookup(spine, ["age"])
    call = client.create_training_set.call_args.kwargs
    assert call["label"] is None and call["df"] is spine
    assert result is client.create_training_set.return_value.load_df.return_value


def test_single_node_models_score_through_score_batch(spark) -> None:
    store, client, _ = databricks_store(exists=True)
    model = LoadedModel("m", "4", "r", "sklearn", None, Columns(["age"], []), "models:/m/4")
    spine = MagicMock(name="spine")
    store.score(spine, model)
    client.score_batch.assert_called_once_with(
        model_uri="models:/m/4", df=spine, result_type="array<double>"
    )
    client.create_training_set.assert_not_called()


def test_spark_models_score_natively_after_the_lookup(monkeypatch) -> None:
    store, client, _ = databricks_store(exists=True)
    model = LoadedModel("m", "4", "r", "spark", None, Columns(["age"], []), "models:/m/4")
    scored = []
    monkeypatch.setattr(
        feature_store, "score", lambda m, df, keep: scored.append((m, df, keep)) or "scores"
    )
    assert store.score(MagicMock(name="spine"), model) == "scores"
    [(used, features, keep)] = scored
    assert used is model and keep == ["member_id", "as_of_date"]
    assert features is client.create_training_set.return_value.load_df.return_value
    client.score_batch.assert_not_called()


def test_log_model_packages_the_feature_lookups() -> None:
    store, client, _ = databricks_store(exists=True)
    with pytest.raises(TrainingError, match="training_set"):
        store.log_model(object(), "sklearn", "m", None, [])
    store.training_set(MagicMock(), ["age"])
    model = object()
    registry = MagicMock()
    registry.search_model_versions.return_value = [
        MagicMock(version="3", model_id="m-3"),  # Unity Catalog's versions know their model
        MagicMock(version="1", model_id="m-1"),
    ]
    with patch.object(mlflow, "MlflowClient", return_value=registry):
        logged = store.log_model(model, "sklearn", "staging.s.model", None, ["x==1"])
    assert logged == LoggedVersion("3", "m-3")
    client.log_model.assert_called_once_with(
        model=model,
        artifact_path="model",
        flavor=mlflow.sklearn,
        training_set=client.create_training_set.return_value,
        registered_model_name="staging.s.model",
        infer_input_example=True,
        pyfunc_predict_fn="predict_proba",  # scores are probabilities, also through score_batch
    )


def test_local_store_writes_partitions_and_looks_up_as_of(spark, tmp_path: Path) -> None:
    store = LocalFeatureStore(
        LocalTables(spark, tmp_path), "supermarket", ["member_id"], "as_of_date"
    )
    assert store.state() == {}
    table = spark.createDataFrame(
        [("A", date(2024, 1, 1), 1), ("A", date(2024, 2, 1), 2)],
        "member_id string, as_of_date date, x int",
    )
    store.write(table, [date(2024, 1, 1), date(2024, 2, 1)], {"watermark": "2024-02-01"})
    assert store.state() == {"watermark": "2024-02-01"}
    assert store.read().count() == 2
    spine = spark.createDataFrame(
        [("A", date(2024, 1, 20), 1)], "member_id string, as_of_date date, label int"
    )
    [row] = store.training_set(spine, ["x"]).collect()
    assert row.x == 1


def test_a_deprecation_mlflow_only_logs_is_caught(no_mlflow_deprecations) -> None:
    # what the suite's autouse fixture listens for: MLflow says `artifact_path=` is
    # deprecated in its log, not as a warning
    import logging

    handler = no_mlflow_deprecations
    logging.getLogger("mlflow.models.model").warning(
        "`artifact_path` is deprecated. Please use `name` instead."
    )
    logging.getLogger("mlflow.models.model").warning("an unrelated warning")
    assert handler.found == [
        "mlflow.models.model: `artifact_path` is deprecated. Please use `name` instead."
    ]
    handler.found.clear()  # made on purpose here: the fixture must not fail this test
