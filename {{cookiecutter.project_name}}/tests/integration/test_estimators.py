"""Every estimator the config can name trains, registers, and beats chance on the holdout."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import mlflow
import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.estimators import ESTIMATORS

from conftest import EXAMPLE_CONF, add_env

SMALL = {"ingest": {"synthetic": {"members": 3_000}}, "split": {"holdout_fraction": 0.3}}
FAST = {  # small models: this test proves each estimator works, not how well it can do
    "spark_gbt": {"maxIter": {"distribution": "quniform", "low": 5, "high": 10, "q": 5}},
    "spark_random_forest": {"numTrees": {"distribution": "quniform", "low": 5, "high": 10, "q": 5}},
}


@pytest.fixture(scope="module")
def prepared(spark, tmp_path_factory):
    """A small project with its features built once; each test trains on it."""
    root = tmp_path_factory.mktemp("estimators")
    shutil.copytree(EXAMPLE_CONF, root / "conf")
    add_env(root / "conf", "small", SMALL)
    for step in ("ingest", "validate-data", "features"):
        with contextlib.redirect_stdout(io.StringIO()):
            assert main([step, "--env", "small", "--conf-dir", str(root / "conf")]) == 0
    return root / "conf"


# Single-node: two trials at once through SparkTrials. Spark ML: one trial, fits are slow locally.
@pytest.mark.parametrize(
    ("estimator", "trials"),
    [(name, 2 if spec.kind == "sklearn" else 1) for name, spec in ESTIMATORS.items()],
)
def test_estimator_trains_and_registers(prepared, estimator: str, trials: int) -> None:
    env = f"small_{estimator}"
    training = {
        "estimator": estimator,
        "max_evals": trials,
        "parallelism": trials,
        "search_spaces": FAST,
    }
    add_env(prepared, env, {**SMALL, "training": training})
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["train", "--env", env, "--conf-dir", str(prepared)]) == 0, out.getvalue()
    settings = load_settings(env, prepared)
    client = mlflow.MlflowClient(settings.tracking.tracking_uri, settings.tracking.registry_uri)
    version = client.get_model_version_by_alias(settings.registry.model_name, "challenger")
    run = client.get_run(version.run_id)
    assert run.data.params["estimator"] == estimator
    assert run.data.metrics["holdout_roc_auc"] > 0.65
    children = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert len(children) == trials
    flavors = Path(client.download_artifacts(run.info.run_id, "model/MLmodel")).read_text()
    assert ("spark" if ESTIMATORS[estimator].kind == "spark" else "sklearn") in flavors
    # an MLflow 3 LoggedModel of the train run, its id on the version and the run, the
    # holdout metrics linked to it
    model_id = version.tags["model_id"]
    logged = client.get_logged_model(model_id)
    assert model_id.startswith("m-") and run.data.tags["model_id"] == model_id
    assert (logged.source_run_id, logged.name, logged.status.name) == (
        run.info.run_id,
        "model",
        "READY",
    )
    assert {m.key for m in logged.metrics} >= {"holdout_roc_auc", "holdout_log_loss"}
    importance = json.loads(
        Path(client.download_artifacts(run.info.run_id, "feature_importance.json")).read_text()
    )
    assert (importance["method"], importance["metric"], importance["repeats"]) == (
        "permutation",
        "roc_auc",
        5,
    )
    assert any(not f["within_noise"] for f in importance["features"].values())
    assert (importance["native"] is None) == (estimator != "spark_logistic_regression")


def test_scoring_without_a_champion_is_refused(spark, prepared, capsys) -> None:
    assert main(["infer", "--env", "small", "--conf-dir", str(prepared)]) == 4
    assert "has no version aliased @champion" in capsys.readouterr().err
    storage = load_settings("small", prepared).storage
    assert not (storage.warehouse_dir / storage.schema_name / "predictions").exists()
