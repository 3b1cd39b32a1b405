"""The whole local pipeline on a small synthetic plan, all eight steps: it learns without
leaking, the gate decides, the champion scores, the worklist is delivered, and MLflow holds
what an audit needs. Tests run in file order; the later ones change the project's state."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml
from pyspark.sql import functions as F

from {{ cookiecutter.package_name }}.adapters.feature_store import LocalFeatureStore
from {{ cookiecutter.package_name }}.adapters.tables import LocalTables
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.selection import load_cart
from {{ cookiecutter.package_name }}.validation import fingerprint

from conftest import EXAMPLE_CONF, TINY, add_env, rendered

FLOOR = 0.75  # the synthetic signal reaches about 0.8; chance is 0.5
SCORE_DATE = date(2025, 12, 1)  # the latest feature snapshot of the synthetic plan
STEPS = ["ingest", "validate-data", "features", "train", "validate", "deploy", "infer", "deliver"]


def quietly(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def project(spark, tmp_path_factory):
    """A private copy of the example's conf with a small environment `tiny`: (settings, conf
    folder)."""
    root = tmp_path_factory.mktemp("pipeline")
    shutil.copytree(EXAMPLE_CONF, root / "conf")
    add_env(root / "conf", "tiny", {**TINY, "delivery": {"top_n": 100}})
    return load_settings("tiny", root / "conf"), root / "conf"


@pytest.fixture(scope="module")
def first_run(project):
    """`run` once, end to end: (an MLflow client, what `run` printed)."""
    settings, conf = project
    code, out = quietly("run", "--env", "tiny", "--conf-dir", str(conf))
    assert code == 0, out
    mlflow.set_tracking_uri(settings.tracking.tracking_uri)
    return mlflow.MlflowClient(settings.tracking.tracking_uri, settings.tracking.registry_uri), out


def runs(project, client, step: str) -> list:
    settings, _ = project
    experiment = client.get_experiment_by_name(settings.tracking.experiment_name)
    return client.search_runs(
        [experiment.experiment_id], f"tags.step = '{step}'", order_by=["start_time DESC"]
    )


def tables(spark, project) -> LocalTables:
    settings, _ = project
    return LocalTables(spark, settings.storage.warehouse_dir / settings.storage.schema_name)


def test_run_prints_each_step_its_time_and_where_to_look(first_run) -> None:
    _, out = first_run
    for step in STEPS:
        assert f"[{step}] done in " in out
    assert "PROMOTED" in out and "Where to look:" in out
    assert re.search(r"\n  report: runs:/\w+/reports/validate-\w+\.html\n", out), out


def test_the_model_learns(project, first_run) -> None:
    [train] = runs(project, first_run[0], "train")
    assert train.data.metrics["holdout_roc_auc"] >= FLOOR
    assert train.data.metrics["best_val_roc_auc"] >= FLOOR - 0.05


def test_mlflow_holds_trials_plots_features_config_and_lineage(project, first_run) -> None:
    settings, _ = project
    client = first_run[0]
    [parent] = runs(project, client, "train")
    run_id = parent.info.run_id
    assert parent.data.params["estimator"] == settings.training.estimator
    assert any(key.startswith("best.") for key in parent.data.params)
    lineage = {"git_commit", "git_dirty", "data_snapshot", "data.labels", "data.features"}
    assert lineage | {"features.groups", "features.definitions"} <= set(parent.data.tags)
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
    assert {
        "feature_list.json",
        "config.json",
        "feature_importance.json",
        "tuning.json",
    } <= artifacts
    tuning = json.loads(Path(client.download_artifacts(run_id, "tuning.json")).read_text())
    assert sorted(t["number"] for t in tuning) == list(range(settings.training.max_evals))
    best = max(t["val_roc_auc"] for t in tuning if t["status"] == "ok")
    assert best == pytest.approx(parent.data.metrics["best_val_roc_auc"])
    features = json.loads(Path(client.download_artifacts(run_id, "feature_list.json")).read_text())
    cart = load_cart(settings)
    assert features.pop("definitions").keys() == set(cart.selected_groups)
    assert features == cart.as_dict()
    # The configuration files as written, not only their paths.
    logged = {a.path: a for a in client.list_artifacts(run_id, "conf")}
    for role, path in (("mappings", settings.features.mappings), ("data", settings.files["data"])):
        name = f"conf/{role}-{path.name}"
        assert Path(client.download_artifacts(run_id, name)).read_text() == path.read_text()
        assert name in logged


def test_the_first_model_is_promoted_on_its_floors_with_a_record(project, first_run) -> None:
    settings, _ = project
    client, _ = first_run
    name = settings.registry.model_name
    champion = client.get_model_version_by_alias(name, "champion")
    [train] = runs(project, client, "train")
    assert (str(champion.version), champion.run_id) == ("1", train.info.run_id)
    assert (
        champion.tags["gate.decision"] == "PROMOTE"
        and champion.tags["gate.champion_version"] == "none"
    )
    assert champion.tags["data_snapshot"] == train.data.tags["data_snapshot"]
    [gate] = runs(project, client, "validate")
    comparison = json.loads(
        Path(client.download_artifacts(gate.info.run_id, "gate/comparison.json")).read_text()
    )
    assert comparison["decision"] == "PROMOTE"
    assert "no champion: floors only" in comparison["reasons"]
    assert {
        "gate/roc_overlay.png",
        "gate/pr_overlay.png",
        "gate/calibration.png",
        "gate/calibration.json",
        "gate/report.html",
    } <= {a.path for a in client.list_artifacts(gate.info.run_id, "gate")}
    [(named, found)] = comparison["calibration"].items()
    assert named == "challenger v1" and found["rows"] == comparison["challenger"]["rows"]
    assert 0 <= found["expected_calibration_error"] <= 1
    assert champion.tags["gate.calibration"].startswith("mean score ")
    [deploy] = runs(project, client, "deploy")
    assert deploy.data.tags["alias.champion"] == "none -> 1"
    # MLflow 3's id of the logged model, on the version and on every audit run that used it
    model_id = champion.tags["model_id"]
    assert model_id == train.data.tags["model_id"] == gate.data.tags["challenger_model_id"]
    assert deploy.data.tags["challenger_model_id"] == model_id
    model = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    scores = np.asarray(model.predict(model.input_example))
    assert scores.shape[1] == 2 and ((scores >= 0) & (scores <= 1)).all()


def test_validation_counts_are_tracked(project, first_run) -> None:
    [run] = runs(project, first_run[0], "validate-data")
    assert run.data.metrics["members.rows"] == TINY["ingest"]["synthetic"]["members"]
    assert run.data.metrics["events.outside_population"] > 0


def test_predictions_carry_lineage_one_row_per_eligible_member(spark, project, first_run) -> None:
    client, _ = first_run
    t = tables(spark, project)
    day = t.read("predictions").where(F.col("score_date") == SCORE_DATE).toPandas()
    eligible = t.read("eligibility").where(
        F.lit(SCORE_DATE).between(F.col("start_date"), F.col("end_date"))
    )
    assert len(day) == eligible.select("member_id").distinct().count() == day["member_id"].nunique()
    assert day["score"].between(0, 1).all()
    [train] = runs(project, client, "train")
    lineage = day[
        ["model_name", "model_version", "model_id", "run_id", "git_commit", "feature_snapshot"]
    ].drop_duplicates()
    assert len(lineage) == 1 and lineage.iloc[0]["model_version"] == "1"
    assert lineage.iloc[0]["run_id"] == train.info.run_id
    assert lineage.iloc[0]["model_id"] == train.data.tags["model_id"] != ""
    # the feature table is as training found it, and both name its state by the same id
    assert lineage.iloc[0]["feature_snapshot"] == train.data.tags["data.features"]
    assert day["scored_at"].notna().all()


def test_verify_confirms_what_the_run_left(project, first_run) -> None:
    _, conf = project
    code, out = quietly("verify", "--env", "tiny", "--conf-dir", str(conf))
    assert code == 0, out
    assert "verified: features as mapped; " in out
    assert "version 1: gate PROMOTE; @champion 1;" in out


def test_verify_lists_every_missing_result(project, tmp_path, capsys) -> None:
    """An environment where nothing ran: no model, no champion, no predictions, exit 6."""
    _, conf = project
    add_env(
        conf,
        "empty",
        {
            **TINY,
            "storage": {"warehouse_dir": str(tmp_path / "warehouse")},
            "tracking": {
                "tracking_uri": f"sqlite:///{tmp_path}/mlflow.db",
                "registry_uri": f"sqlite:///{tmp_path}/mlflow.db",
            },
        },
        base="tiny",
    )
    code, _ = quietly("verify", "--env", "empty", "--conf-dir", str(conf))
    err = capsys.readouterr().err
    assert code == 6, err
    assert "check failed (3)" in err
    assert "features: the feature table does not exist: run features" in err
    assert "has no version: train registered nothing" in err
    assert "predictions: the feature table has no snapshot yet" in err


def test_the_worklist_is_delivered_as_table_csv_and_report(project, first_run) -> None:
    settings, _ = project
    client, _ = first_run
    csv = settings.delivery.csv_dir / f"{settings.project.name}_{SCORE_DATE}.csv"
    listed = pd.read_csv(csv)
    assert len(listed) == 100 and listed["rank"].tolist() == list(range(1, 101))
    assert listed["score"].is_monotonic_decreasing
    assert {"plan_type", "months_enrolled", "model_version"} <= set(listed.columns)
    summary = json.loads(csv.with_name(csv.stem + "_report.json").read_text())
    assert summary["delivered"] == 100 and summary["scored"] > 100
    assert summary["model"]["version"] == "1" and {"p50", "p90", "max"} <= set(summary["score"])
    assert set(summary["step_seconds"]) == set(STEPS[:-1])
    assert settings.label.positive_class in summary["score_means"]
    champion = client.get_model_version(settings.registry.model_name, "1")
    assert summary["calibration_at_validation"] == champion.tags["gate.calibration"]


def test_rescoring_a_date_replaces_it(spark, project, first_run) -> None:
    _, conf = project
    before = tables(spark, project).read("predictions").toPandas()
    code, _ = quietly("infer", "--env", "tiny", "--conf-dir", str(conf))
    assert code == 0
    after = tables(spark, project).read("predictions").toPandas()
    assert len(after) == len(before) and after["member_id"].is_unique
    assert after["scored_at"].min() > before["scored_at"].max()


def test_a_crash_while_writing_predictions_keeps_the_previous_ones(
    spark, project, first_run, monkeypatch
) -> None:
    _, conf = project
    before = tables(spark, project).read("predictions").toPandas()
    real = LocalFeatureStore.score

    def score_then_fail(self, spine, model):
        boom = F.udf(lambda score: 1 / 0 if score > 0.5 else score, "double")
        return real(self, spine, model).withColumn("score", boom("score"))

    monkeypatch.setattr(LocalFeatureStore, "score", score_then_fail)
    with pytest.raises(Exception, match="ZeroDivisionError"):
        quietly("infer", "--env", "tiny", "--conf-dir", str(conf))
    after = tables(spark, project).read("predictions").toPandas()
    pd.testing.assert_frame_equal(
        after.sort_values("member_id", ignore_index=True),
        before.sort_values("member_id", ignore_index=True),
    )


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2030-01-01", "no member is in the population on 2030-01-01: nothing to score"),
        (
            "2023-01-01",
            "the feature table starts at 2024-07-01: there are no features as of 2023-01-01",
        ),
    ],
)
def test_scoring_a_date_without_members_or_features_writes_nothing(
    spark, project, first_run, capsys, day, message
) -> None:
    _, conf = project
    assert main(["infer", "--env", "tiny", "--conf-dir", str(conf), "--score-date", day]) == 3
    assert message in capsys.readouterr().err
    assert tables(spark, project).read("predictions").where(F.col("score_date") == day).isEmpty()


def test_a_feature_retyped_since_training_stops_scoring(spark, project, first_run, capsys) -> None:
    settings, conf = project
    t = tables(spark, project)
    kept = t.path("supermarket").with_name("supermarket.kept")
    shutil.copytree(t.path("supermarket"), kept)
    try:
        retyped = t.read("supermarket").withColumn("age", F.col("age").cast("string"))
        t.write(retyped, "supermarket", t.metadata("supermarket"))
        assert main(["infer", "--env", "tiny", "--conf-dir", str(conf)]) == 3
        err = capsys.readouterr().err
        assert (
            f"column 'age' is string now; {settings.registry.model_name} version 1 was trained with it as a number"
            in err
        )
    finally:
        shutil.rmtree(t.path("supermarket"))
        kept.rename(t.path("supermarket"))
        spark.catalog.refreshByPath(str(t.path("supermarket")))


def test_a_second_run_faces_the_first_champion(project, first_run) -> None:
    settings, conf = project
    client, _ = first_run
    for step in ("train", "validate", "deploy"):
        code, out = quietly(step, "--env", "tiny", "--conf-dir", str(conf))
        assert code == 0, out
    assert "REJECTED" in out  # the same data gives the same model: no gain over the champion
    # ... in every resample of the holdout: the gain's interval is the single point 0
    assert "gain +0.0000, 90% interval +0.0000 to +0.0000 (paired stratified bootstrap" in out
    assert "its lower bound +0.0000 does not exceed the required 0.0000" in out
    name = settings.registry.model_name
    second = client.get_model_version_by_alias(name, "challenger")
    assert str(second.version) == "2" and second.tags["gate.champion_version"] == "1"
    assert second.tags["gate.decision"] == "REJECT"
    assert second.tags["gate.gain_low"] == second.tags["gate.gain_high"] == "0.000000"
    rows, positives = (int(second.tags[f"gate.holdout_{k}"]) for k in ("rows", "positives"))
    assert 0 < positives < rows
    [gate, *_] = runs(project, client, "validate")
    comparison = json.loads(
        Path(client.download_artifacts(gate.info.run_id, "gate/comparison.json")).read_text()
    )["comparison"]
    assert (comparison["rows"], comparison["positives"]) == (rows, positives)
    assert comparison["method"] == "paired stratified bootstrap"
    assert comparison["resamples"] == settings.gate.interval.resamples
    assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    assert (
        main(["rollback", "--env", "tiny", "--conf-dir", str(conf)]) == 4
    )  # nothing to roll back to
    [rejected, *_] = runs(project, client, "deploy")  # a rejected attempt leaves a record too
    assert (rejected.data.tags["outcome"], rejected.data.tags["challenger_version"]) == (
        "rejected",
        "2",
    )
    # verify names the champion it checked, not the newest version
    code, out = quietly("verify", "--env", "tiny", "--conf-dir", str(conf))
    assert code == 0 and "version 2: gate REJECT; @champion 1;" in out, out


def test_the_challenger_links_its_validation_report(project, first_run, browser, tmp_path) -> None:
    settings, _ = project
    client, _ = first_run
    second = client.get_model_version_by_alias(settings.registry.model_name, "challenger")
    [gate, *_] = runs(project, client, "validate")
    path = f"reports/validate-{gate.info.run_id}.html"
    assert second.tags["gate.report"] == f"runs:/{second.run_id}/{path}"
    html = Path(client.download_artifacts(second.run_id, path)).read_text(encoding="utf-8")
    on_gate = Path(client.download_artifacts(gate.info.run_id, "gate/report.html"))
    assert on_gate.read_text(encoding="utf-8") == html
    for shown in ("REJECT", "champion v1", "challenger v2", second.tags["data_snapshot"]):
        assert shown in html
    for cohort in settings.cohorts.slices:
        assert cohort in html
    layout, _ = rendered(browser, html, tmp_path)
    assert all(s["height"] > 40 for s in layout["sections"]), layout["sections"]
    # ROC, precision-recall, calibration and the training run's importance plot
    assert len(layout["images"]) == 4 and all(i["width"] > 100 for i in layout["images"])


def test_both_models_are_judged_in_every_declared_cohort(project, first_run, capsys) -> None:
    settings, conf = project
    client, _ = first_run
    [gate, *_] = runs(project, client, "validate")
    comparison = json.loads(
        Path(client.download_artifacts(gate.info.run_id, "gate/comparison.json")).read_text()
    )
    cohorts, slices = comparison["cohorts"], settings.cohorts.slices
    assert {c["slice"] for c in cohorts} == set(slices)  # none dropped, small or not
    rows = comparison["challenger"]["rows"]
    for name, spec in slices.items():
        if spec.column:  # every holdout row in exactly one cohort of a column's slice
            assert sum(c["rows"] for c in cohorts if c["slice"] == name) == rows
    judged = [c for c in cohorts if c["judged"]]
    assert judged and all(set(c["metrics"]) == {"challenger", "champion"} for c in judged)
    assert all(c["gain"]["low"] <= c["gain"]["high"] for c in judged)
    assert all(not c["metrics"] for c in cohorts if not c["judged"])
    [summary] = [r for r in comparison["reasons"] if r.startswith("cohorts: ")]
    assert summary.startswith(f"cohorts: {len(judged)} judged, 0 failing the cohort rules")
    # a filter Spark cannot read: exit 2 naming the key; the decision on the version stays
    challenger = client.get_model_version_by_alias(settings.registry.model_name, "challenger")
    odd = {"cohorts": {"slices": {"odd": {"where": "no_such_column > 1"}}}}
    add_env(conf, "odd_cohort", odd, base="tiny")
    capsys.readouterr()
    assert main(["validate", "--env", "odd_cohort", "--conf-dir", str(conf)]) == 2
    err = capsys.readouterr().err
    assert "cohorts.slices.odd.where: 'no_such_column > 1' is not a boolean expression" in err
    assert "Traceback" not in err
    again = client.get_model_version(challenger.name, challenger.version)
    assert again.tags["gate.run_id"] == challenger.tags["gate.run_id"]


@pytest.mark.parametrize(
    ("split", "code", "words"),
    [
        (
            {"holdout_fraction": 0.5, "validation_fraction": 0.4999},
            2,
            ["split.holdout_fraction, split.validation_fraction: leave ", "min_train_rows (100)"],
        ),
        (
            {"min_train_rows": 10**9},
            3,
            ["labels (source labels): ", "labelled rows in all, fewer than the 1,000,000,000"],
        ),
    ],
    ids=["fractions", "labels"],
)
def test_too_few_rows_to_train_on_stop_train_before_any_trial(
    project, first_run, capsys, split, code, words
) -> None:
    settings, conf = project
    client, _ = first_run
    name = settings.registry.model_name
    versions = {v.version for v in client.search_model_versions(f"name = '{name}'")}
    trained = len(runs(project, client, "train"))
    add_env(conf, "starved", {"split": split}, base="tiny")
    capsys.readouterr()
    assert quietly("train", "--env", "starved", "--conf-dir", str(conf))[0] == code
    err = capsys.readouterr().err
    assert "error (1), nothing more was done:" in err and "Traceback" not in err, err
    assert all(w in err for w in words), err
    assert {v.version for v in client.search_model_versions(f"name = '{name}'")} == versions
    assert len(runs(project, client, "train")) == trained


def test_a_cart_for_one_cohort_learns_is_judged_and_scores_only_that_cohort(
    spark, project, first_run, capsys
) -> None:
    """feature_selection_config.yml `cohort: plan_type=medicare_advantage`: a model for those
    members alone, under a model name of its own (its first version: floors only)."""
    settings, conf = project
    client, _ = first_run
    selection = yaml.safe_load((conf / "feature_selection_config.yml").read_text())
    cohort = "plan_type=medicare_advantage"
    (conf / "selection_cohort.yml").write_text(yaml.safe_dump({**selection, "cohort": cohort}))
    name = f"{settings.registry.model_name}_medicare"
    add_env(
        conf,
        "for_cohort",
        {
            "features": {"selection": "conf/selection_cohort.yml"},
            "registry": {"model_name": name},
            "inference": {"table": "predictions_medicare"},
        },
        base="tiny",
    )
    for step in ("train", "validate", "deploy", "infer"):
        code, out = quietly(step, "--env", "for_cohort", "--conf-dir", str(conf))
        assert code == 0, out
    [train, everyone, *_] = runs(project, client, "train")
    assert 0 < int(train.data.params["rows.train"]) < int(everyone.data.params["rows.train"]) / 2
    listed = json.loads(
        Path(client.download_artifacts(train.info.run_id, "feature_list.json")).read_text()
    )
    where = "CAST(`plan_type` AS STRING) = 'medicare_advantage'"
    assert listed["cohort"] == {"name": cohort, "where": where}
    champion = client.get_model_version_by_alias(name, "champion")
    assert champion.tags["features.cohort"] == f"{cohort}: {where}"
    [gate, *_] = runs(project, client, "validate")
    comparison = json.loads(
        Path(client.download_artifacts(gate.info.run_id, "gate/comparison.json")).read_text()
    )
    [plans] = [{c["cohort"] for c in comparison["cohorts"] if c["slice"] == "plan_type"}]
    assert plans == {cohort}  # the holdout holds the cohort's members only
    # Scored: exactly the cohort's members of the population on the date, by this model
    t = tables(spark, project)
    predicted = t.read("predictions_medicare").where(F.col("model_name") == name)
    day = predicted.agg(F.max("score_date")).collect()[0][0]
    ours = predicted.where(F.col("score_date") == day)
    everyone = t.read("predictions").where(F.col("score_date") == day)
    features = t.read(settings.features.table).where(F.col(settings.entity.as_of) == day)
    medicare = everyone.join(features.where(F.expr(where)), "member_id", "left_semi")
    assert 0 < ours.count() == medicare.count() < everyone.count()
    assert ours.join(medicare, "member_id", "left_anti").isEmpty()
    # The cart back to everyone: inference refuses the cohort's champion, naming the file
    add_env(conf, "cohort_dropped", {"registry": {"model_name": name}}, base="tiny")
    capsys.readouterr()
    assert main(["infer", "--env", "cohort_dropped", "--conf-dir", str(conf)]) == 3
    err = capsys.readouterr().err
    assert f"was trained for cohort {cohort}: {where}, and " in err, err
    assert "feature_selection_config.yml (cohort:) now asks for every row (no cohort)" in err, err
    assert "set cohort: back" in err and "Traceback" not in err
    # ... and validate refuses to judge a challenger of the cohort on everyone's holdout
    assert quietly("train", "--env", "for_cohort", "--conf-dir", str(conf))[0] == 0
    assert main(["validate", "--env", "cohort_dropped", "--conf-dir", str(conf)]) == 3
    err = capsys.readouterr().err
    assert f"version 2 was trained for cohort {cohort}: {where}, and " in err, err
    assert err.rstrip().endswith("now asks for every row (no cohort): run train again"), err


def test_a_worse_challenger_is_not_promoted(spark, project, first_run) -> None:
    """Labels shuffled across rows: the model can do no better than chance, and the gate keeps
    the champion. (Changes the project's labels: keep this test last.)"""
    settings, conf = project
    client, _ = first_run
    t = tables(spark, project)
    labels = t.read("labels").toPandas()
    labels["label"] = np.random.default_rng(0).permutation(labels["label"].to_numpy())
    shuffled = spark.createDataFrame(labels).selectExpr(
        "member_id", "as_of_date", "CAST(label AS INT) AS label"
    )
    t.write(shuffled, "labels", {"fingerprint": fingerprint(shuffled)})
    for step in ("train", "validate", "deploy"):
        code, out = quietly(step, "--env", "tiny", "--conf-dir", str(conf))
        assert code == 0, out
    assert 0.40 <= runs(project, client, "train")[0].data.metrics["holdout_roc_auc"] <= 0.60
    [latest, *_] = runs(project, client, "validate")
    assert latest.data.tags["gate.decision"] == "REJECT"
    name = settings.registry.model_name
    assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    add_env(
        conf, "tiny_strict", {**TINY, "delivery": {"top_n": 100}, "gate": {"fail_on_reject": True}}
    )
    assert main(["deploy", "--env", "tiny_strict", "--conf-dir", str(conf)]) == 5
