"""The whole local pipeline on a small synthetic plan: it learns, it does not leak, and MLflow
holds what an audit needs. The last test changes state (it shuffles the labels)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import mlflow
import numpy as np
import pytest

from {{ cookiecutter.package_name }}.adapters.tables import LocalTables
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.selection import load_cart
from {{ cookiecutter.package_name }}.validation import fingerprint

from conftest import PROJECT_ROOT, TINY, add_env

FLOOR = 0.75  # the synthetic signal reaches about 0.8; chance is 0.5


@pytest.fixture(scope="module")
def project(spark, tmp_path_factory):
    """A private copy of conf/ with a small environment `tiny`: (settings, conf folder)."""
    root = tmp_path_factory.mktemp("pipeline")
    shutil.copytree(PROJECT_ROOT / "conf", root / "conf")
    add_env(root / "conf", "tiny", TINY)
    settings = load_settings("tiny", root / "conf")
    return settings, root / "conf"


@pytest.fixture(scope="module")
def first_run(project):
    """`run` once, end to end: (the training run, an MLflow client, what `run` printed)."""
    settings, conf = project
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run", "--env", "tiny", "--conf-dir", str(conf)])
    assert code == 0, out.getvalue()
    mlflow.set_tracking_uri(settings.tracking.tracking_uri)
    client = mlflow.MlflowClient(settings.tracking.tracking_uri, settings.tracking.registry_uri)
    [parent] = client.search_runs(
        [client.get_experiment_by_name(settings.tracking.experiment_name).experiment_id],
        "tags.step = 'train'",
    )
    return parent, client, out.getvalue()


def test_run_prints_each_step_and_its_time(first_run) -> None:
    *_, out = first_run
    for step in ("ingest", "validate-data", "features", "train"):
        assert f"[{step}] done in " in out


def test_the_model_learns(first_run) -> None:
    parent, *_ = first_run
    assert parent.data.metrics["holdout_roc_auc"] >= FLOOR
    assert parent.data.metrics["best_val_roc_auc"] >= FLOOR - 0.05


def test_mlflow_holds_trials_plots_features_config_and_lineage(project, first_run) -> None:
    settings, _ = project
    parent, client, _ = first_run
    run_id = parent.info.run_id
    assert parent.data.params["estimator"] == settings.training.estimator
    assert any(key.startswith("best.") for key in parent.data.params)
    assert {"git_commit", "data_snapshot", "data.labels", "data.features"} <= set(parent.data.tags)
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'"
    )
    assert len(children) == settings.training.max_evals
    assert all("val_roc_auc" in child.data.metrics for child in children)
    artifacts = {a.path for a in client.list_artifacts(run_id)} | {
        a.path for a in client.list_artifacts(run_id, "plots")
    }
    assert {
        "plots/roc.png",
        "plots/precision_recall.png",
        "plots/feature_importance.png",
    } <= artifacts
    assert {"feature_list.json", "config.json", "feature_importance.json"} <= artifacts
    features = json.loads(Path(client.download_artifacts(run_id, "feature_list.json")).read_text())
    assert features == load_cart(settings).as_dict()


def test_model_is_registered_as_challenger_with_its_lineage(project, first_run) -> None:
    settings, _ = project
    parent, client, _ = first_run
    version = client.get_model_version_by_alias(settings.registry.model_name, "challenger")
    assert version.run_id == parent.info.run_id
    assert version.tags["run_id"] == parent.info.run_id
    assert version.tags["data_snapshot"] == parent.data.tags["data_snapshot"]
    model = mlflow.pyfunc.load_model(f"models:/{settings.registry.model_name}@challenger")
    example = model.input_example
    scores = np.asarray(model.predict(example))
    assert scores.shape == (len(example), 2) and ((scores >= 0) & (scores <= 1)).all()
    requirements = Path(
        client.download_artifacts(parent.info.run_id, "model/requirements.txt")
    ).read_text()
    assert "scikit-learn==" in requirements


def test_validation_counts_are_tracked(project, first_run) -> None:
    settings, _ = project
    _, client, _ = first_run
    experiment = client.get_experiment_by_name(settings.tracking.experiment_name)
    [run] = client.search_runs([experiment.experiment_id], "tags.step = 'validate-data'")
    assert run.data.metrics["members.rows"] == TINY["ingest"]["synthetic"]["members"]
    assert run.data.metrics["events.outside_eligibility"] > 0


def test_features_rerun_without_new_data_changes_nothing(project, first_run, capsys) -> None:
    settings, conf = project
    table = settings.storage.warehouse_dir / settings.storage.schema_name / "supermarket"
    before = {p.name: p.stat().st_ino for p in table.iterdir()}
    assert main(["features", "--env", "tiny", "--conf-dir", str(conf)]) == 0
    assert "nothing processed" in capsys.readouterr().out
    assert {p.name: p.stat().st_ino for p in table.iterdir()} == before


def test_shuffled_labels_land_near_chance(spark, project, first_run) -> None:
    """Same pipeline, labels shuffled across rows: a model that learned rather than leaked
    can do no better than chance. (Changes the project's labels: keep this test last.)"""
    settings, conf = project
    _, client, _ = first_run
    tables = LocalTables(spark, settings.storage.warehouse_dir / settings.storage.schema_name)
    labels = tables.read("labels").toPandas()
    labels["label"] = np.random.default_rng(0).permutation(labels["label"].to_numpy())
    shuffled = spark.createDataFrame(labels).selectExpr(
        "member_id", "as_of_date", "CAST(label AS INT) AS label"
    )
    tables.write(shuffled, "labels", {"fingerprint": fingerprint(shuffled)})
    assert main(["train", "--env", "tiny", "--conf-dir", str(conf)]) == 0
    experiment = client.get_experiment_by_name(settings.tracking.experiment_name)
    latest = client.search_runs(
        [experiment.experiment_id], "tags.step = 'train'", order_by=["start_time DESC"]
    )[0]
    assert 0.40 <= latest.data.metrics["holdout_roc_auc"] <= 0.60
    version = client.get_model_version_by_alias(settings.registry.model_name, "challenger")
    assert version.run_id == latest.info.run_id  # each training registers a new challenger
