"""The pipeline on data that looks nothing like the health plan: one wide table, no events, no
eligibility, no code of its own. First the one-table example as shipped (no date column), then
a variant with a composite entity key, a date per row, the snapshots taken from those dates
and the population of whoever was seen lately."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.adapters.tables import LocalTables
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import load_settings

from conftest import add_env

STEPS = ["ingest", "validate-data", "features", "train", "validate", "deploy", "infer", "deliver"]
FAST = {"training": {"max_evals": 3}, "gate": {"floors": {"roc_auc": 0.6}}}


def run(conf: Path, data: Path, env: str, *steps: str) -> str:
    out = io.StringIO()
    for name in steps:
        with contextlib.redirect_stdout(out):
            code = main([name, "--env", env, "--conf-dir", str(conf), "--data-dir", str(data)])
        assert code == 0, out.getvalue()
    return out.getvalue()


def logged_features(settings) -> dict:
    client = mlflow.MlflowClient(settings.tracking.tracking_uri, settings.tracking.registry_uri)
    version = client.get_model_version_by_alias(settings.registry.model_name, "champion")
    return json.loads(
        Path(client.download_artifacts(version.run_id, "feature_list.json")).read_text()
    )


def test_the_one_table_example_runs_end_to_end(spark, one_table) -> None:
    conf, data = one_table
    add_env(conf, "one", FAST)
    out = run(conf, data, "one", *STEPS, "verify")
    assert "raw_discharges: 1,500 rows from " in out and "one_table/data/discharges.csv" in out
    assert "warning" not in out  # every column of the table is declared
    assert "1 of 1 snapshots computed (2025-06-30 to 2025-06-30)" in out
    assert "1,500 patients scored for 2025-06-30" in out
    assert "verified: features as mapped;" in out
    settings = load_settings("one", conf, data)
    listed = logged_features(settings)
    assert listed["groups"] == ["vitals", "labs", "history"]
    assert {f["group"] for f in listed["features"]} == {"vitals", "labs", "history"}
    assert len(listed["features"]) == 15
    worklist = pd.read_csv(settings.delivery.csv_dir / f"{settings.project.name}_2025-06-30.csv")
    assert list(worklist.columns[:4]) == ["rank", "patient_id", "score", "score_is_probability_of"]
    assert set(worklist["score_is_probability_of"]) == {"a readmission within 30 days of discharge"}
    report = json.loads(
        (settings.delivery.csv_dir / f"{settings.project.name}_2025-06-30_report.json").read_text()
    )
    assert report["entity"] == "patients"
    assert report["score_is_probability_of"] == "a readmission within 30 days of discharge"


DATED = """
entity: {name: stay, plural: stays, key: [hospital, patient_id], as_of: seen_on}
label: {source: stays, column: readmitted_30d, positive_class: a readmission within 30 days}
sources:
  stays:
    format: parquet
    path: stays.parquet
    columns: {hospital: string, patient_id: {type: string, from: PATIENT_ID}, month: date,
              readmitted_30d: integer, heart_rate: double, creatinine: double, albumin: double,
              age: integer, prior_admissions_1y: integer}
    time: month
    unique: true
population: {source: stays, max_age_days: 20}   # seen in the last 20 days
features:
  snapshots: {dates_of: stays}
"""
DATED_GROUPS = {
    "groups": {
        "clinical": {
            "description": "At discharge.",
            "columns": "stays",
            "features": ["heart_rate", "creatinine", "albumin"],
        },
        "history": {
            "description": "Before the stay.",
            "columns": "stays",
            "features": ["age", "prior_admissions_1y"],
        },
    }
}


@pytest.fixture
def dated(one_table) -> tuple[Path, Path]:
    """The example's rows spread over three hospitals and three months, as Parquet."""
    conf, data = one_table
    rows = pd.read_csv(data / "data" / "discharges.csv")
    rows["hospital"] = ["north", "south", "east"] * (len(rows) // 3)
    rows["month"] = pd.to_datetime(
        pd.Series(["2025-04-30", "2025-05-31", "2025-06-30"]).repeat(len(rows) // 3).to_numpy()
    ).date
    rows.to_parquet(conf.parent / "stays.parquet", index=False)
    folder = conf.parent / "dated"
    folder.mkdir()
    (folder / "data.yml").write_text(DATED)
    (folder / "feature_mappings.yml").write_text(yaml.safe_dump(DATED_GROUPS))
    (folder / "feature_selection_config.yml").write_text("include_groups: [clinical, history]\n")
    add_env(conf, "dated", FAST)
    return conf, folder


def test_a_composite_key_and_a_date_per_row(spark, dated) -> None:
    conf, data = dated
    out = run(conf, data, "dated", *STEPS, "verify")
    assert "3 of 3 snapshots computed (2025-04-30 to 2025-06-30)" in out
    assert "500 stays scored for 2025-06-30" in out  # seen within 20 days: June's rows only
    settings = load_settings("dated", conf, data)
    assert logged_features(settings)["keys"] == ["hospital", "patient_id", "seen_on"]
    storage = settings.storage
    tables = LocalTables(spark, storage.warehouse_dir / storage.schema_name)
    predictions = tables.read("predictions")
    assert {"hospital", "patient_id", "score_date"} <= set(predictions.columns)
    assert predictions.select("hospital", "patient_id").distinct().count() == 500


def test_a_feature_that_leaks_the_label_stops_train(spark, one_table, capsys) -> None:
    """A code written because of the outcome, declared and mapped like any other column, is
    named by the leak guard: train exits 3 and registers nothing, until conf allows it."""
    conf, data = one_table
    rows = pd.read_csv(data / "data" / "discharges.csv")
    rows["discharge_code"] = rows["readmitted_30d"].map({1: "RA", 0: "HOME"})
    rows.to_csv(data / "data" / "discharges.csv", index=False)
    declared = (data / "data.yml").read_text()
    (data / "data.yml").write_text(
        declared.replace("ed_visits_6m: integer}", "ed_visits_6m: integer, discharge_code: string}")
    )
    mappings = yaml.safe_load((data / "feature_mappings.yml").read_text())
    mappings["groups"]["history"]["features"].append("discharge_code")
    (data / "feature_mappings.yml").write_text(yaml.safe_dump(mappings))
    add_env(conf, "one", FAST)
    run(conf, data, "one", "ingest", "validate-data", "features")
    argv = ["train", "--env", "one", "--conf-dir", str(conf), "--data-dir", str(data)]
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "feature 'discharge_code' (group 'history' of " in err
    assert (
        "feature_mappings.yml) alone has holdout ROC AUC 1.000, far above the others (median "
    ) in err
    assert "training.leak_guard.allow: [discharge_code]" in err and "Traceback" not in err
    settings = load_settings("one", conf, data)
    client = mlflow.MlflowClient(settings.tracking.tracking_uri, settings.tracking.registry_uri)
    assert not client.search_model_versions(f"name='{settings.registry.model_name}'")
    add_env(conf, "one", {"training": {"leak_guard": {"allow": ["discharge_code"]}}}, base="one")
    assert main(argv) == 0
