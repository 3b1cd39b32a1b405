"""Broken configuration stops the run before Spark starts, naming the file, key and reason:
settings, the data's declarations, the feature groups, and every name one of them uses that
another does not declare."""

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


def append(file: str, text: str) -> Callable[[Path], None]:
    def edit(conf: Path) -> None:
        path = conf / file
        path.write_text(path.read_text() + text)

    return edit


LEAK = """
  leak:
    description: The outcome, as a feature.
    columns: labels
    features:
      outcome: {type: integer, description: The label itself., column: label}
"""


def both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(conf: Path) -> None:
        for one in edits:
            one(conf)

    return edit


PROJECT, DATA, LOCAL = "project.yml", "data.yml", "envs/local.yml"
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
        set_key(PROJECT, "features.mappings", "conf/nope.yml"),  # a file elsewhere, named
        ["nope.yml: file not found"],
    ),
    (
        "empty-selection",
        both(
            set_key(SELECTION, "include_groups", ["socioeconomic"]),
            set_key(SELECTION, "include_features", []),
            set_key(SELECTION, "exclude_features", ["deprivation_index", "rural"]),
        ),
        [SELECTION, "the selection keeps no feature"],
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
        replace(MAPPINGS, "groups:", "groups: [oops"),
        [MAPPINGS, "invalid YAML"],
    ),
    (
        "csv-source-without-path",
        set_key(DATA, "sources.events.format", "csv"),
        [DATA, "sources.events.path: format 'csv' needs the file or folder"],
    ),
    (
        "unknown-source-format",
        set_key(DATA, "sources.events.format", "excel"),
        [
            DATA,
            "sources.events.format: Input should be 'synthetic', 'csv', 'parquet', 'delta' or 'table'",
        ],
    ),
    (
        "unknown-column-type",
        set_key(DATA, "sources.members.columns.sex", "text"),
        [DATA, "sources.members.columns.sex.type", "'text'"],
    ),
    (
        "time-column-undeclared",
        set_key(DATA, "sources.events.time", "service_date"),
        [DATA, "sources.events.time: 'service_date' is not a declared column of source 'events'"],
    ),
    (
        "time-column-not-a-date",
        set_key(DATA, "sources.events.time", "code"),
        [DATA, "sources.events.time: column 'code' of source 'events' is string; it must be date"],
    ),
    (
        "entity-key-not-in-source",
        set_key(DATA, "sources.members.key", ["person_id"]),
        [DATA, "sources.members.key: 'person_id' is not a declared column of source 'members'"],
    ),
    (
        "label-column-undeclared",
        set_key(DATA, "label.column", "labels"),
        [
            DATA,
            "label.column: 'labels' is not a declared column of source 'labels'; did you mean 'label'?",
        ],
    ),
    (
        "label-source-unknown",
        set_key(DATA, "label.source", "label"),
        [DATA, "label.source: no source named 'label'; did you mean 'labels'?"],
    ),
    (
        "population-end-undeclared",
        set_key(DATA, "population.end", "stop_date"),
        [DATA, "population.end: 'stop_date' is not a declared column of source 'eligibility'"],
    ),
    (
        "population-half-span",
        drop_key(DATA, "population.end"),
        [DATA, "population.end: spans need both start and end columns"],
    ),
    (
        "within-population-without-spans",
        both(
            drop_key(DATA, "population.start"),
            drop_key(DATA, "population.end"),
            set_key(DATA, "sources.labels.within_population", False),
        ),
        [DATA, "sources.events.within_population: needs a population with spans"],
    ),
    (
        "snapshots-until-unknown-source",
        set_key(DATA, "features.snapshots.last", "claims"),
        [DATA, "features.snapshots.last: no source named 'claims'"],
    ),
    (
        "snapshots-two-ways",
        set_key(DATA, "features.snapshots.dates", ["2025-01-01"]),
        [DATA, "features.snapshots: give exactly one of"],
    ),
    (
        "source-named-like-a-pipeline-table",
        replace(DATA, "  members:\n    format: synthetic", "  supermarket:\n    format: synthetic"),
        [DATA, "sources.supermarket: the name is features.table too"],
    ),
    (
        "synthetic-table-unknown",
        set_key(DATA, "sources.events.table", "claims"),
        [DATA, "sources.events.table: the synthetic health plan has no table 'claims'"],
    ),
    (
        "aggregate-filter-column-undeclared",
        replace(
            MAPPINGS,
            "where: {event_type: ed_visit}\n        days: 90",
            "where: {event_typ: ed_visit}\n        days: 90",
        ),
        [
            MAPPINGS,
            "groups.utilisation.features.ed_visits_90d.where.event_typ: source 'events' declares no column 'event_typ'; did you mean 'event_type'?",
        ],
    ),
    (
        "aggregate-filter-value-of-another-type",
        replace(
            MAPPINGS,
            "where: {event_type: ed_visit}\n        days: 90",
            "where: {event_type: 3}\n        days: 90",
        ),
        [
            MAPPINGS,
            "ed_visits_90d.where.event_type: 3 cannot be compared with column 'event_type', a string",
        ],
    ),
    (
        "aggregate-type-mismatch",
        replace(
            MAPPINGS,
            "type: integer\n        description: Inpatient admissions",
            "type: boolean\n        description: Inpatient admissions",
        ),
        [
            MAPPINGS,
            "groups.utilisation.features.admissions_365d.type: agg count gives integer or long or double, not boolean",
        ],
    ),
    (
        "aggregate-without-agg",
        replace(
            MAPPINGS,
            "        agg: count\n        where: {event_type: admission}",
            "        where: {event_type: admission}",
        ),
        [
            MAPPINGS,
            "groups.utilisation.features.admissions_365d.agg: an aggregate feature needs agg",
        ],
    ),
    (
        "aggregate-over-a-source-without-time",
        replace(MAPPINGS, "aggregate: events", "aggregate: members"),
        [MAPPINGS, "groups.utilisation.aggregate: source 'members' has no time column"],
    ),
    (
        "columns-feature-undeclared",
        replace(MAPPINGS, "      rural: {type: boolean", "      rurality: {type: boolean"),
        [
            MAPPINGS,
            "groups.socioeconomic.features.rurality: source 'members' declares no column 'rurality'; did you mean 'rural'?",
        ],
    ),
    (
        "columns-feature-of-another-type",
        replace(MAPPINGS, "      rural: {type: boolean", "      rural: {type: string"),
        [
            MAPPINGS,
            "groups.socioeconomic.features.rural.type: string, but column 'rural' of source 'members' is boolean",
        ],
    ),
    (
        "columns-group-takes-the-label",
        append(MAPPINGS, LEAK),
        [MAPPINGS, "groups.leak.features.outcome: takes 'label', the label (label.column)"],
    ),
    (
        "feature-named-like-a-training-column",
        replace(
            MAPPINGS,
            "      rural: {type: boolean",
            "      part: {type: integer, description: Dup.}\n      rural: {type: boolean",
        ),
        [MAPPINGS, "groups.socioeconomic.features.part: 'part' is a name the pipeline gives"],
    ),
    (
        "python-function-unknown",
        replace(MAPPINGS, "python: clinical", "python: clinic"),
        [
            MAPPINGS,
            "groups.clinical.python: no function registered as 'clinic'; did you mean 'clinical'?",
        ],
    ),
    (
        "group-without-origin",
        replace(MAPPINGS, "    python: enrolment\n    sources: [members, eligibility]\n", ""),
        [MAPPINGS, "groups.enrolment: say where the features come from with exactly one of"],
    ),
    (
        "listed-features-outside-a-columns-group",
        replace(
            MAPPINGS,
            "      plan_type: {type: string, description: Plan the member is enrolled in.}\n      months_enrolled: {type: integer, description: Months of continuous eligibility.}",
            "      [plan_type, months_enrolled]",
        ),
        [
            MAPPINGS,
            "groups.enrolment.features: a list of names is for a group of `columns: <source>`",
        ],
    ),
    (
        "feature-named-like-a-key",
        replace(
            MAPPINGS,
            "      rural: {type: boolean",
            "      member_id: {type: string, description: Dup.}\n      rural: {type: boolean",
        ),
        [
            MAPPINGS,
            "groups.socioeconomic.features.member_id: 'member_id' is a key column of every row",
        ],
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
        set_key(DATA, "ingest.synthetic.end_date", "2024-06-30"),
        [DATA, "ingest.synthetic.end_date: must be at least 365 days after start_date"],
    ),
    (
        "feature-type-typo",
        replace(MAPPINGS, "age: {type: integer", "age: {type: int"),
        [MAPPINGS, "groups.demographics.features.age.type", "'int'"],
    ),
    (
        "allowed-on-a-double",
        replace(
            DATA,
            "deprivation_index: {type: double,",
            "deprivation_index: {type: double, allowed: [1],",
        ),
        [
            DATA,
            "sources.members.columns.deprivation_index.allowed: applies to strings and integers, not double",
        ],
    ),
    (
        "allowed-of-another-type",
        replace(DATA, "allowed: [F, M, U]", "allowed: [F, M, 1]"),
        [DATA, "sources.members.columns.sex.allowed", "1 (int) is not a string value"],
    ),
    (
        "min-on-a-string",
        replace(DATA, "sex: {type: string,", "sex: {type: string, min: 0,"),
        [DATA, "sources.members.columns.sex.min: applies to numbers and dates, not string"],
    ),
    (
        "min-above-max",
        replace(DATA, "{type: double, min: 0, max: 1}", "{type: double, min: 2, max: 1}"),
        [DATA, "sources.members.columns.deprivation_index.max: is below min 2.0"],
    ),
    (
        "date-bound-not-a-date",
        replace(DATA, "{type: date, min: 1900-01-01}", "{type: date, min: 1900}"),
        [DATA, "sources.members.columns.birth_date.min: a date column's min is a date"],
    ),
    (
        "batch-action-unknown",
        set_key(PROJECT, "validation.batch.on_change", "stop"),
        [PROJECT, "validation.batch.on_change: Input should be 'error' or 'warning'"],
    ),
    (
        "min-rows-negative",
        set_key(DATA, "sources.events.min_rows", -1),
        [DATA, "sources.events.min_rows: Input should be greater than or equal to 0"],
    ),
    (
        "leak-guard-allows-an-unknown-feature",
        set_key(PROJECT, "training.leak_guard", {"allow": ["ages"]}),
        [PROJECT, "training.leak_guard.allow[0]: unknown feature 'ages'; did you mean 'age'?"],
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


def test_there_are_at_least_fifty_cases() -> None:
    assert len({case_id for case_id, _, _ in CASES}) == len(CASES) >= 50


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
