"""Every step works as its own process, as each Databricks job task is one: no Spark session,
MLflow connection or Python state is shared with the step before. The data steps run once; the
model steps run for a Spark ML estimator and for a single-node one, each chain with its own
registry, side by side. A data problem met by a step alone is an exit code and a message."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import EXAMPLE_CONF, PROJECT_ROOT, add_env

DATA_STEPS = ["ingest", "validate-data", "features"]
MODEL_STEPS = ["train", "validate", "deploy", "infer", "deliver"]
ESTIMATORS = {"spark": "spark_logistic_regression", "single_node": "hist_gradient_boosting"}
SMALL = {
    "ingest": {"synthetic": {"members": 2_000}},
    "split": {"holdout_fraction": 0.3},
    "gate": {"floors": {}},  # a tiny plan need not meet the real floors: this is about processes
    "delivery": {"top_n": 50},
}


def step(conf: Path, name: str, env: str) -> subprocess.CompletedProcess:
    """``python -m <package> <name>`` in a process of its own, as a job task runs it."""
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", name, "--env", env, "--conf-dir", str(conf)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=900,
    )


def chain(conf: Path, env: str) -> dict[str, subprocess.CompletedProcess]:
    done = {}
    for name in MODEL_STEPS:
        done[name] = step(conf, name, env)
        if done[name].returncode:
            break
    return done


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> tuple[Path, dict[str, dict[str, subprocess.CompletedProcess]]]:
    """(conf folder, {chain: {step: its finished process}}): the data steps once, then both
    chains of model steps, each step a process."""
    root = tmp_path_factory.mktemp("alone")
    conf = root / "conf"
    shutil.copytree(EXAMPLE_CONF, conf)
    add_env(conf, "alone", SMALL)
    results = {"data": {}}
    for name in DATA_STEPS:
        results["data"][name] = step(conf, name, "alone")
        assert results["data"][name].returncode == 0, results["data"][name].stderr[-3000:]
    for kind, estimator in ESTIMATORS.items():
        store = f"sqlite:///{root / kind / 'mlflow.db'}"
        add_env(
            conf,
            kind,
            {
                **SMALL,
                "tracking": {"tracking_uri": store, "registry_uri": store},
                "training": {"estimator": estimator, "max_evals": 2},
                "inference": {"table": f"predictions_{kind}"},
                "delivery": {**SMALL["delivery"], "table": f"delivery_{kind}", "csv_dir": str(root / kind / "delivery")},
            },
            base="alone",
        )
    with ThreadPoolExecutor(max_workers=2) as pool:
        chains = dict(zip(ESTIMATORS, pool.map(lambda kind: chain(conf, kind), ESTIMATORS)))
    return conf, {**results, **chains}


@pytest.mark.parametrize("kind", list(ESTIMATORS))
def test_each_model_step_runs_alone(ran, kind: str) -> None:
    _, results = ran
    done = results[kind]
    for name in MODEL_STEPS:
        assert name in done, f"{kind}: stopped before {name}"
        assert done[name].returncode == 0, f"{kind} {name}:\n{done[name].stderr[-3000:]}"
        assert "Traceback" not in done[name].stderr
    assert "registered" in done["train"].stdout and "@challenger" in done["train"].stdout
    assert "PROMOTE" in done["validate"].stdout and "PROMOTED" in done["deploy"].stdout
    assert "members scored for" in done["infer"].stdout
    assert "50 of " in done["deliver"].stdout


def test_each_data_step_runs_alone(ran) -> None:
    _, results = ran
    out = {name: p.stdout for name, p in results["data"].items()}
    assert "raw_events:" in out["ingest"] and "events.rows:" in out["validate-data"]
    assert "snapshots computed" in out["features"]


def test_a_data_problem_in_a_step_alone_is_exit_3_and_one_line(ran) -> None:
    conf, _ = ran
    add_env(conf, "broken", {**SMALL, "sources": {"events": {"required": ["code"]}}}, base="alone")
    again = step(conf, "features", "broken")  # the declaration changed; the table did not
    assert again.returncode == 3, again.stderr
    assert "table 'events' was validated against another declaration of source 'events'" in again.stderr
    assert "run ingest and validate-data again" in again.stderr
    assert "Traceback" not in again.stderr
