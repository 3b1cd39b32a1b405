"""Broken configuration stops the run before Spark starts, naming the file, key and reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }} import context
from {{ cookiecutter.package_name }}.cli import main


def set_key(file: str, dotted: str, value) -> Callable[[Path], None]:
    def edit(conf: Path) -> None:
        path = conf / file
        data = yaml.safe_load(path.read_text()) or {}
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
        path.write_text(yaml.safe_dump(data))

    return edit


def drop_key(file: str, dotted: str) -> Callable[[Path], None]:
    def edit(conf: Path) -> None:
        path = conf / file
        data = yaml.safe_load(path.read_text())
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]
        path.write_text(yaml.safe_dump(data))

    return edit


def replace(file: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(conf: Path) -> None:
        path = conf / file
        text = path.read_text()
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1))

    return edit


def both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(conf: Path) -> None:
        for one in edits:
            one(conf)

    return edit


PROJECT, LOCAL = "project.yml", "envs/local.yml"
MAPPINGS, SELECTION = "feature_mappings.yml", "feature_selection_config.yml"
HGB = "training.search_spaces.hist_gradient_boosting"

# (id, edit of conf/, fragments the one error line must hold)
CASES = [
    (
        "unknown-group",
        set_key(SELECTION, "include_groups", ["demographic"]),
        [SELECTION, "include_groups[0]: unknown group 'demographic'; did you mean 'demographics'?"],
    ),
    (
        "unknown-feature",
        set_key(SELECTION, "include_features", ["ed_visit_90d"]),
        [
            SELECTION,
            "include_features[0]: unknown feature 'ed_visit_90d'; did you mean 'ed_visits_90d'?",
        ],
    ),
    (
        "typo-key-project",
        replace(PROJECT, "  parallelism: 1", "  paralelism: 1"),
        [PROJECT, "training.paralelism: unknown key; did you mean 'parallelism'?"],
    ),
    (
        "typo-key-overlay",
        replace(LOCAL, "shuffle_partitions", "shufle_partitions"),
        [LOCAL, "spark.shufle_partitions: unknown key; did you mean 'shuffle_partitions'?"],
    ),
    (
        "feature-in-two-groups",
        replace(
            MAPPINGS,
            "      rural: {type: boolean",
            "      age: {type: integer, description: Dup.}\n      rural: {type: boolean",
        ),
        [MAPPINGS, "groups.socioeconomic.features.age: 'age' is also in group 'demographics'"],
    ),
    (
        "wrong-type",
        set_key(PROJECT, "training.max_evals", "twenty"),
        [PROJECT, "training.max_evals: Input should be a valid integer", "'twenty'"],
    ),
    (
        "missing-file",
        set_key(PROJECT, "features.mappings", "conf/nope.yml"),
        ["nope.yml: file not found"],
    ),
    (
        "empty-selection",
        both(
            set_key(SELECTION, "include_groups", ["socioeconomic"]),
            set_key(SELECTION, "include_features", []),
            set_key(SELECTION, "exclude_features", ["deprivation_index", "rural"]),
        ),
        [SELECTION, "keeps no feature besides the keys"],
    ),
    (
        "search-low-above-high",
        set_key(PROJECT, f"{HGB}.learning_rate.low", 0.5),
        [PROJECT, f"{HGB}.learning_rate.low: must be below high (got 0.5 >= 0.3)"],
    ),
    (
        "search-loguniform-zero",
        set_key(PROJECT, f"{HGB}.learning_rate.low", 0),
        [PROJECT, f"{HGB}.learning_rate.low: loguniform needs low > 0"],
    ),
    (
        "search-unknown-hyperparameter",
        set_key(
            PROJECT, f"{HGB}.learnig_rate", {"distribution": "uniform", "low": 0.1, "high": 0.2}
        ),
        [
            PROJECT,
            f"{HGB}.learnig_rate: not a hyperparameter of hist_gradient_boosting; did you mean 'learning_rate'?",
        ],
    ),
    (
        "search-unknown-distribution",
        set_key(PROJECT, f"{HGB}.max_iter.distribution", "normal"),
        [
            PROJECT,
            f"{HGB}.max_iter.distribution: Input should be 'uniform', 'loguniform', 'quniform' or 'choice'",
        ],
    ),
    (
        "search-quniform-without-q",
        drop_key(PROJECT, f"{HGB}.max_iter.q"),
        [PROJECT, f"{HGB}.max_iter.q: quniform needs a step q"],
    ),
    (
        "search-choice-without-options",
        set_key(
            PROJECT, "training.search_spaces.spark_random_forest.featureSubsetStrategy.options", []
        ),
        [PROJECT, "featureSubsetStrategy.options: choice needs a non-empty list of options"],
    ),
    (
        "unknown-estimator",
        set_key(PROJECT, "training.estimator", "xgboost"),
        [PROJECT, "training.estimator: unknown estimator 'xgboost'"],
    ),
    (
        "estimator-without-space",
        both(
            set_key(PROJECT, "training.estimator", "spark_gbt"),
            drop_key(PROJECT, "training.search_spaces.spark_gbt"),
        ),
        [PROJECT, "training.search_spaces.spark_gbt: needs a non-empty search space"],
    ),
    (
        "holdout-zero",
        set_key(PROJECT, "split.holdout_fraction", 0),
        [PROJECT, "split.holdout_fraction: Input should be greater than 0"],
    ),
    (
        "validation-too-large",
        set_key(PROJECT, "split.validation_fraction", 0.7),
        [PROJECT, "split.validation_fraction: Input should be less than or equal to 0.5"],
    ),
    (
        "date-feature-selected",
        both(
            replace(
                MAPPINGS,
                "      sex: {type: string",
                "      birth_date: {type: date, description: Born.}\n      sex: {type: string",
            ),
            set_key(SELECTION, "include_groups", ["demographics"]),
        ),
        [SELECTION, "selects 'birth_date' (group 'demographics'), a date"],
    ),
    (
        "duplicate-yaml-key",
        replace(PROJECT, "  max_evals: 20", "  max_evals: 20\n  max_evals: 30"),
        [PROJECT, "'max_evals' is given twice"],
    ),
    (
        "yaml-syntax-error",
        replace(MAPPINGS, "key_group: keys", "key_group: [keys"),
        [MAPPINGS, "invalid YAML"],
    ),
    (
        "files-source-without-path",
        set_key(
            LOCAL,
            "ingest",
            {
                "source": "files",
                "files": {
                    "members": {"format": "csv", "path": "members.csv"},
                    "eligibility": {"format": "csv", "path": "eligibility.csv"},
                    "events": {"format": "csv"},
                    "labels": {"format": "csv", "path": "labels.csv"},
                },
            },
        ),
        [LOCAL, "ingest.files.events.path: format 'csv' needs the file or folder"],
    ),
    (
        "files-source-missing-table",
        set_key(
            LOCAL,
            "ingest",
            {"source": "files", "files": {"members": {"format": "parquet", "path": "m"}}},
        ),
        [LOCAL, "ingest.files: source 'files' needs eligibility, events, labels"],
    ),
    (
        "storage-both-places",
        set_key(LOCAL, "storage.catalog", "dev"),
        [
            LOCAL,
            "storage.catalog: set exactly one of catalog (Databricks) and warehouse_dir (local)",
        ],
    ),
    (
        "synthetic-too-short",
        set_key(PROJECT, "ingest.synthetic.end_date", "2024-06-30"),
        [PROJECT, "ingest.synthetic.end_date: must be at least 365 days after start_date"],
    ),
    (
        "feature-type-typo",
        replace(MAPPINGS, "age: {type: integer", "age: {type: int"),
        [MAPPINGS, "groups.demographics.features.age.type", "'int'"],
    ),
    (
        "selection-groups-empty",
        set_key(SELECTION, "include_groups", None),
        [SELECTION, "include_groups: give a list of groups, or 'all'"],
    ),
    (
        "negative-lookback",
        set_key(PROJECT, "features.lookback_days", -1),
        [PROJECT, "features.lookback_days: Input should be greater than or equal to 0"],
    ),
]


@pytest.fixture
def no_spark(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("Spark was started although the configuration is broken")

    monkeypatch.setattr(context, "get_spark", refuse)


def test_there_are_at_least_twenty_cases() -> None:
    assert len({case_id for case_id, _, _ in CASES}) == len(CASES) >= 20


@pytest.mark.parametrize(("edit", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_config_stops_before_spark(
    conf_dir: Path, capsys, no_spark, edit, fragments
) -> None:
    edit(conf_dir)
    assert main(["run", "--conf-dir", str(conf_dir)]) == 2
    err = capsys.readouterr().err
    lines = [line.strip() for line in err.splitlines()[1:]]
    assert err.startswith("configuration error (1), nothing more was done:"), err
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert not (conf_dir.parent / ".local").exists(), "nothing may be written"
