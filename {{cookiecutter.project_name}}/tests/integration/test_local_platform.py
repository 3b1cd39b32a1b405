"""The embedded default: local Spark with a warehouse, and MLflow on SQLite."""

from __future__ import annotations

from pathlib import Path

import mlflow

from {{ cookiecutter.package_name }}.adapters.tracking import configure_tracking
from {{ cookiecutter.package_name }}.config import Settings


def test_local_session_follows_the_settings(spark, local_settings: Settings) -> None:
    assert spark.conf.get("spark.sql.shuffle.partitions") == str(
        local_settings.spark.shuffle_partitions
    )
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.ui.enabled") == "false"
    assert spark.conf.get("spark.driver.bindAddress") == "127.0.0.1"  # not reachable from outside


def test_tables_land_in_the_project_warehouse(spark, local_settings: Settings) -> None:
    spark.createDataFrame([(1, "a"), (2, "b")], "id int, v string").write.saveAsTable("smoke")
    assert spark.table("smoke").count() == 2
    assert (local_settings.storage.warehouse_dir / "smoke").is_dir()
    spark.sql("DROP TABLE smoke")


def test_tracking_is_created_once_and_reused(local_settings: Settings) -> None:
    first = configure_tracking(local_settings.tracking)
    assert configure_tracking(local_settings.tracking) == first
    experiment = mlflow.get_experiment(first)
    assert experiment.artifact_location == local_settings.tracking.artifact_location
    with mlflow.start_run() as run:
        mlflow.log_param("probe", 1)
    assert mlflow.get_run(run.info.run_id).data.params == {"probe": "1"}
    db = Path(local_settings.tracking.tracking_uri.removeprefix("sqlite:///"))
    assert db.is_file()
    assert db.parent == local_settings.root / ".local"
