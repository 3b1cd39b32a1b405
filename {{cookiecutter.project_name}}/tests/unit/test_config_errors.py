"""Broken configuration stops the run before Spark starts, naming the file, key and reason:
settings, the data's declarations, the feature groups, and every name one of them uses that
another does not declare."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }} import context, pipeline
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.errors import ConfigError, DataError
from {{ cookiecutter.package_name }}.estimators import space_problems, spark_space_problems
from {{ cookiecutter.package_name }}.split import check_split
from {{ cookiecutter.package_name }}.yamlfiles import overlay


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


def write_bytes(file: str, old: str, new: bytes) -> Callable[[Path], None]:
    """Replace the text ``old`` of ``file`` with raw bytes (what an editor in another encoding
    might save)."""

    def edit(conf: Path) -> None:
        path = conf / file
        data = path.read_bytes()
        assert old.encode() in data, f"{old!r} not in {file}"
        path.write_bytes(data.replace(old.encode(), new, 1))

    return edit


def add_source(name: str, like: str) -> Callable[[Path], None]:
    """A source ``name`` declared as ``like`` is, reading the same synthetic table."""

    def edit(conf: Path) -> None:
        path = conf / DATA
        data = yaml.safe_load(path.read_text())
        data["sources"][name] = {**data["sources"][like], "table": like}
        path.write_text(yaml.safe_dump(data))

    return edit


def make_folder(file: str) -> Callable[[Path], None]:
    def edit(conf: Path) -> None:
        path = conf / file
        path.unlink()
        path.mkdir()

    return edit


# A "billion laughs": nine mappings of nine aliases each, six levels deep, in under 1 KB;
# expanded, 9**6 keys.
BOMB = "\n".join(
    [
        "laughs:",
        "  l0: &l0 {" + ", ".join(f"k{i}: 1" for i in range(9)) + "}",
        *(
            f"  l{n}: &l{n} " + "{" + ", ".join(f"k{i}: *l{n - 1}" for i in range(9)) + "}"
            for n in range(1, 7)
        ),
        "",
    ]
)
DEEP = "deep: " + "{a: " * 60 + "1" + "}" * 60 + "\n"
# 30 levels, and an alias of them 30 levels down: 60 levels once expanded.
DEEP_ALIAS = "\n".join(
    [
        "tower: &tower " + "{a: " * 30 + "1" + "}" * 30,
        "deeper: " + "{b: " * 30 + "*tower" + "}" * 30,
        "",
    ]
)


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
        "importance-needs-two-repeats",
        set_key(PROJECT, "training.importance.repeats", 1),
        [PROJECT, "training.importance.repeats: Input should be greater than or equal to 2"],
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
    # The gate's interval and the cohorts.
    (
        "gate-decides-on-an-unknown-rule",
        set_key(PROJECT, "gate.decide_on", "median"),
        [PROJECT, "gate.decide_on: Input should be 'lower_bound' or 'point'"],
    ),
    (
        "interval-level-above-one",
        set_key(PROJECT, "gate.interval.level", 1.5),
        [PROJECT, "gate.interval.level: Input should be less than or equal to 0.999"],
    ),
    (
        "interval-with-too-few-resamples",
        set_key(PROJECT, "gate.interval.resamples", 10),
        [PROJECT, "gate.interval.resamples: Input should be greater than or equal to 100"],
    ),
    (
        "cohort-max-drop-negative",
        set_key(PROJECT, "gate.cohorts.max_drop", -0.1),
        [PROJECT, "gate.cohorts.max_drop: Input should be greater than or equal to 0"],
    ),
    (
        "cohort-floor-on-an-unknown-metric",
        set_key(PROJECT, "gate.cohorts.floors", {"auc": 0.6}),
        [PROJECT, "gate.cohorts.floors.auc.[key]: Input should be 'roc_auc', 'pr_auc'"],
    ),
    (
        "cohort-by-column-and-filter",
        set_key(DATA, "cohorts.slices.sex", {"column": "sex", "where": "age > 1"}),
        [DATA, "cohorts.slices.sex.column: set exactly one of column and where"],
    ),
    (
        "cohort-bins-not-rising",
        set_key(DATA, "cohorts.slices.age_band", {"column": "age", "bins": [65, 18]}),
        [DATA, "cohorts.slices.age_band.bins: must rise strictly, e.g. [18, 45, 65]"],
    ),
    (
        "cohort-bins-of-a-filter",
        set_key(DATA, "cohorts.slices.frequent_ed", {"where": "age > 1", "bins": [1]}),
        [DATA, "cohorts.slices.frequent_ed.bins: cuts a column's values: set column"],
    ),
    (
        "cohort-of-an-unknown-feature",
        set_key(DATA, "cohorts.slices.sex", {"column": "sexe"}),
        [DATA, "cohorts.slices.sex.column: unknown feature 'sexe'; did you mean 'sex'?"],
    ),
    (
        "cart-for-an-unknown-cohort",
        set_key(SELECTION, "cohort", "frequent"),
        [SELECTION, "cohort: 'frequent' is not a cohort: name a where slice (frequent_ed) or"],
    ),
    (
        "cart-for-a-bin-a-slice-does-not-make",
        set_key(SELECTION, "cohort", "age_band=65-75"),
        [SELECTION, "cohort: 'age_band=65-75': slice 'age_band' cuts 'age' into <18, [18, 45)"],
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
    # Every table of the pipeline has a name of its own, and a name is a name.
    (
        "delivery-table-is-the-predictions-table",
        set_key(PROJECT, "delivery.table", "predictions"),
        [PROJECT, "delivery.table: the name is inference.table too", "a name of its own"],
    ),
    (
        "delivery-table-differs-from-predictions-only-in-case",
        set_key(PROJECT, "delivery.table", "Predictions"),
        [PROJECT, "delivery.table: the name is inference.table too", "table names ignore case"],
    ),
    (
        "features-table-is-the-delivery-table",
        set_key(LOCAL, "features.table", "delivery"),
        [PROJECT, "delivery.table: the name is features.table too (in ", LOCAL],
    ),
    (
        "features-table-is-a-raw-table",
        set_key(PROJECT, "features.table", "raw_events"),
        [PROJECT, "features.table: the name is the raw table of sources.events too"],
    ),
    (
        "inference-table-is-a-source-table",
        set_key(PROJECT, "inference.table", "labels"),
        [DATA, "sources.labels: the name is inference.table too (in ", PROJECT],
    ),
    (
        "two-sources-differ-only-in-case",
        add_source("Events", "events"),
        [DATA, "sources.events: the name is sources.Events too", "table names ignore case"],
    ),
    (
        "source-named-like-a-raw-table",
        add_source("raw_members", "members"),
        [DATA, "sources.raw_members: the name starts with raw_"],
    ),
    (
        "table-name-with-a-dash",
        set_key(PROJECT, "delivery.table", "work-list"),
        [PROJECT, "delivery.table: 'work-list' is not a usable name: letters, digits and _"],
    ),
    (
        "table-name-that-is-a-path",
        set_key(PROJECT, "inference.table", "../predictions"),
        [PROJECT, "inference.table: '../predictions' is not a usable name"],
    ),
    (
        "table-name-with-sql-in-it",
        set_key(PROJECT, "features.table", "supermarket; DROP TABLE predictions"),
        [PROJECT, "features.table: 'supermarket; DROP TABLE predictions' is not a usable name"],
    ),
    (
        "table-name-too-long",
        set_key(PROJECT, "features.table", "f" * 129),
        [PROJECT, "features.table: is 129 characters long; at most 128"],
    ),
    (
        "schema-name-with-a-space",
        set_key(PROJECT, "storage.schema_name", "admission risk"),
        [PROJECT, "storage.schema_name: 'admission risk' is not a usable name"],
    ),
    (
        "local-spark-settings-without-a-local-master",
        both(
            set_key(LOCAL, "spark.master", None),
            set_key(LOCAL, "spark.local_conf", {"spark.driver.memory": "2g"}),
        ),
        [LOCAL, "spark.local_conf: applies only to a local session: set spark.master"],
    ),
    (
        "local-spark-setting-that-is-not-spark",
        set_key(LOCAL, "spark.local_conf", {"driver.memory": "2g"}),
        [LOCAL, "spark.local_conf.driver.memory: not a Spark setting: its keys start with"],
    ),
    (
        "catalog-name-with-a-backtick",
        both(
            set_key(LOCAL, "storage.catalog", "dev`x"),
            set_key(LOCAL, "storage.warehouse_dir", None),
        ),
        [LOCAL, "storage.catalog: 'dev`x' is not a usable name"],
    ),
    (
        "table-source-that-is-not-a-table-name",
        both(
            set_key(DATA, "sources.events.format", "table"),
            set_key(DATA, "sources.events.table", "main.claims.events 2024"),
        ),
        [DATA, "sources.events.table: 'main.claims.events 2024' is not a table name"],
    ),
    (
        "model-name-with-a-quote",
        set_key(LOCAL, "registry.model_name", "admission'risk"),
        [LOCAL, 'registry.model_name: "admission\'risk" is not a usable model name'],
    ),
    # Splits that leave rows to train on.
    (
        "split-leaves-no-rows-to-train-on",
        both(
            set_key(PROJECT, "split.holdout_fraction", 0.5),
            set_key(PROJECT, "split.validation_fraction", 0.5),
        ),
        [PROJECT, "split.validation_fraction: holdout_fraction + validation_fraction is 1"],
    ),
    (
        "split-min-train-rows-zero",
        set_key(PROJECT, "split.min_train_rows", 0),
        [PROJECT, "split.min_train_rows: Input should be greater than 0"],
    ),
    # Search spaces inside what the estimator accepts, before any trial runs.
    (
        "search-bound-outside-the-estimators-range",
        set_key(PROJECT, f"{HGB}.l2_regularization.low", -1.0),
        [
            PROJECT,
            f"{HGB}.l2_regularization.low: -1.0 is outside what "
            "HistGradientBoostingClassifier's l2_regularization accepts: a float in the range "
            "[0.0, inf)",
        ],
    ),
    (
        "search-upper-bound-outside-the-estimators-range",
        set_key(
            PROJECT, f"{HGB}.max_features", {"distribution": "uniform", "low": 0.5, "high": 1.5}
        ),
        [PROJECT, f"{HGB}.max_features.high: 1.5 is outside", "(0.0, 1.0]"],
    ),
    (
        "search-quniform-rounds-a-bound-out-of-range",
        set_key(PROJECT, f"{HGB}.max_iter.low", 1),
        [
            PROJECT,
            f"{HGB}.max_iter.low: draws 0 (low 1 rounded to a multiple of q 25), which is outside",
            "an int in the range [1, inf)",
        ],
    ),
    (
        "search-integer-bound-rounds-out-of-range",
        set_key(
            PROJECT,
            f"{HGB}.min_samples_leaf",
            {"distribution": "uniform", "low": 0.4, "high": 50},
        ),
        [PROJECT, f"{HGB}.min_samples_leaf.low: draws 0 (low 0.4 rounded to an int)"],
    ),
    (
        "search-choice-of-a-str-for-an-int",
        set_key(PROJECT, f"{HGB}.max_depth", {"distribution": "choice", "options": [3, "deep"]}),
        [
            PROJECT,
            f"{HGB}.max_depth.options[1]: 'deep' is not an int: max_depth of "
            "HistGradientBoostingClassifier takes an int",
        ],
    ),
    (
        "search-choice-of-a-yaml-boolean",
        replace(
            PROJECT,
            "max_leaf_nodes: {distribution: quniform, low: 8, high: 64, q: 4}",
            "max_leaf_nodes: {distribution: choice, options: [yes, 31]}",
        ),
        [PROJECT, f"{HGB}.max_leaf_nodes.options[0]: True is not an int"],
    ),
    (
        "search-choice-of-a-fraction-for-an-int",
        set_key(PROJECT, f"{HGB}.max_iter", {"distribution": "choice", "options": [100, 2.5]}),
        [PROJECT, f"{HGB}.max_iter.options[1]: 2.5 is not an int"],
    ),
    (
        "search-choice-of-none-where-the-estimator-needs-a-value",
        set_key(
            PROJECT, f"{HGB}.min_samples_leaf", {"distribution": "choice", "options": [None, 20]}
        ),
        [PROJECT, f"{HGB}.min_samples_leaf.options[0]: None is outside", "[1, inf)"],
    ),
    (
        "search-spark-choice-of-a-number-for-a-str",
        set_key(
            PROJECT,
            "training.search_spaces.spark_random_forest.featureSubsetStrategy.options",
            ["sqrt", 0.5],
        ),
        [
            PROJECT,
            "featureSubsetStrategy.options[1]: 0.5 is not a str: featureSubsetStrategy of "
            "RandomForestClassifier takes a str (in quotes)",
        ],
    ),
    (
        "search-spark-str-hyperparameter-drawn-from-numbers",
        set_key(
            PROJECT,
            "training.search_spaces.spark_random_forest.featureSubsetStrategy",
            {"distribution": "uniform", "low": 0.2, "high": 0.8},
        ),
        [PROJECT, "featureSubsetStrategy.distribution: featureSubsetStrategy of", "choice"],
    ),
    (
        "search-spark-choice-of-a-str-for-an-int",
        set_key(
            PROJECT,
            "training.search_spaces.spark_gbt.maxDepth",
            {"distribution": "choice", "options": [3, "5"]},
        ),
        [PROJECT, "spark_gbt.maxDepth.options[1]: '5' is not an int"],
    ),
    # Files that are not small YAML text.
    (
        "yaml-alias-bomb",
        append(LOCAL, BOMB),
        [LOCAL, "holds more than 100,000 values", "once its aliases are expanded"],
    ),
    (
        "yaml-alias-that-holds-itself",
        append(LOCAL, "loop: &loop {again: *loop}\n"),
        [LOCAL, "an alias refers to a mapping or list that holds it"],
    ),
    (
        "yaml-nested-too-deep",
        append(DATA, DEEP),
        [DATA, "values nest more than 50 levels deep"],
    ),
    (
        "yaml-alias-nested-too-deep",
        append(DATA, DEEP_ALIAS),
        [DATA, "values nest more than 50 levels deep"],
    ),
    (
        "yaml-file-too-large",
        append(MAPPINGS, "# " + "x" * (1 << 20) + "\n"),
        [MAPPINGS, "is larger than 1,048,576 bytes"],
    ),
    (
        "yaml-not-utf8",
        write_bytes(DATA, "an unplanned", b"an unpl\xe4nned"),
        [DATA, "is not UTF-8 text (byte 0xe4 at offset", "save it as UTF-8"],
    ),
    (
        "yaml-control-character",
        write_bytes(PROJECT, "  max_evals: 20", b"  max_evals: 20\x07"),
        [PROJECT, "character #x0007 is not allowed in YAML (line"],
    ),
    (
        "yaml-folder-instead-of-a-file",
        make_folder(SELECTION),
        [SELECTION, "is a folder, not a YAML file"],
    ),
    (
        "yaml-overlay-is-a-folder",
        make_folder(LOCAL),
        [LOCAL, "is a folder, not a YAML file"],
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


def test_an_alias_bomb_is_refused_in_under_a_second(conf_dir: Path, capsys, no_spark) -> None:
    assert len(BOMB.encode()) < 1024
    append(LOCAL, BOMB)(conf_dir)
    start = time.perf_counter()
    assert main(["run", "--conf-dir", str(conf_dir)]) == 2
    assert time.perf_counter() - start < 1
    assert "once its aliases are expanded" in capsys.readouterr().err


def test_recording_which_file_set_a_key_does_not_walk_what_it_set() -> None:
    tree: dict = {f"k{i}": 1 for i in range(9)}
    for _ in range(5):  # 9**6 key paths, as a file of aliases builds them
        tree = {f"k{i}": tree for i in range(9)}
    origins = {(): "project.yml", ("tree", "old"): "data.yml"}
    start = time.perf_counter()
    merged = overlay({"tree": 1}, {"tree": tree}, "envs/local.yml", origins)
    assert time.perf_counter() - start < 0.1
    assert merged["tree"] is tree
    assert origins == {(): "project.yml", ("tree",): "envs/local.yml"}


# Checks that need the data or the JVM: the split (made in `train`), and Spark ML's own
# validators of its hyperparameters (asked before the first step of a run that trains).


def parts(spark, rows: dict[tuple[str, int], int]):
    """A frame of ``part`` and ``label`` with ``rows[(part, label)]`` rows of each."""
    data = [(part, label) for (part, label), n in rows.items() for _ in range(n)]
    return spark.createDataFrame(data, "part string, label int")


def balanced(train: int, validation: int, holdout: int) -> dict[tuple[str, int], int]:
    sizes = {"train": train, "validation": validation, "holdout": holdout}
    return {(p, c): n // 2 for p, n in sizes.items() for c in (0, 1)}


def test_a_split_that_leaves_too_few_rows_to_train_on_names_its_keys(spark, local_settings) -> None:
    with pytest.raises(ConfigError) as caught:
        check_split(parts(spark, balanced(10, 100, 120)), local_settings)
    [line] = caught.value.problems
    assert (
        "project.yml: split.holdout_fraction, split.validation_fraction: leave 10 of 230 " in line
    )
    assert "fewer than split.min_train_rows (100)" in line


def test_too_few_labelled_rows_for_any_split_is_a_data_error(spark, local_settings) -> None:
    with pytest.raises(DataError) as caught:
        check_split(parts(spark, balanced(40, 10, 10)), local_settings)
    [line] = caught.value.problems
    assert line.startswith("labels (source labels): 60 labelled rows in all, fewer than the 100")
    assert "(split.min_train_rows)" in line


def test_a_part_without_both_classes_is_a_data_error(spark, local_settings) -> None:
    rows = {**balanced(200, 40, 40), ("validation", 1): 0, ("holdout", 0): 0, ("holdout", 1): 0}
    with pytest.raises(DataError) as caught:
        check_split(parts(spark, rows), local_settings)
    assert caught.value.problems == [
        "labels (source labels): the validation part (20 of 220 labelled rows) holds only "
        "class 0; tuning and judging a model need both classes in each part: more labelled "
        "data needed",
        "labels (source labels): the holdout part (0 of 220 labelled rows) holds no rows; "
        "tuning and judging a model need both classes in each part: more labelled data needed",
    ]


def test_a_usable_split_gives_the_size_of_each_part(spark, local_settings) -> None:
    sizes = check_split(parts(spark, balanced(100, 20, 20)), local_settings)
    assert sizes == {"train": 100, "validation": 20, "holdout": 20}


SPARK_SPACES = "training.search_spaces"


def test_spark_ml_ranges_are_the_estimators_own_validators(spark, conf_dir: Path) -> None:
    for key, value in [
        ("spark_gbt.maxDepth", {"distribution": "quniform", "low": 2, "high": 40, "q": 1}),
        ("spark_gbt.stepSize", {"distribution": "uniform", "low": 0.0, "high": 0.3}),
        (
            "spark_logistic_regression.elasticNetParam",
            {"distribution": "uniform", "low": 0.0, "high": 1.5},
        ),
        ("spark_random_forest.featureSubsetStrategy.options", ["most"]),
    ]:
        set_key(PROJECT, f"{SPARK_SPACES}.{key}", value)(conf_dir)
    settings = load_settings("local", conf_dir)
    assert space_problems(settings) == []  # the types are right; the ranges need the JVM
    lines = spark_space_problems(settings, spark)
    assert all(line.startswith(f"{conf_dir / PROJECT}: {SPARK_SPACES}.") for line in lines)
    found = sorted(line.split(f": {SPARK_SPACES}.", 1)[1] for line in lines)
    assert found[:3] == [
        "spark_gbt.maxDepth.high: 40 is outside what GBTClassifier's maxDepth accepts: [0, 30]",
        "spark_gbt.stepSize.low: 0.0 is outside what GBTClassifier's stepSize accepts: (0, 1]",
        "spark_logistic_regression.elasticNetParam.high: 1.5 is outside what "
        "LogisticRegression's elasticNetParam accepts: [0, 1]",
    ]
    assert found[3].startswith(
        "spark_random_forest.featureSubsetStrategy.options[0]: 'most' is outside what "
        "RandomForestClassifier's featureSubsetStrategy accepts: Supported options: 'auto'"
    )
    assert len(found) == 4


def test_the_shipped_spark_ml_spaces_fit_their_estimators(spark, local_settings) -> None:
    assert spark_space_problems(local_settings, spark) == []


def test_a_run_that_trains_checks_spark_ml_ranges_before_its_first_step(
    spark, conf_dir: Path, capsys, monkeypatch
) -> None:
    regularisation = {"distribution": "uniform", "low": -1.0, "high": 1.0}
    set_key(PROJECT, f"{SPARK_SPACES}.spark_logistic_regression.regParam", regularisation)(conf_dir)
    for name in pipeline.STEPS:
        monkeypatch.setitem(pipeline.STEPS, name, lambda p: pytest.fail("a step ran"))
    assert main(["run", "--conf-dir", str(conf_dir)]) == 2
    err = capsys.readouterr().err
    assert "spark_logistic_regression.regParam.low: -1.0 is outside what" in err
    assert "regParam accepts: >= 0" in err
    assert not (conf_dir.parent / ".local").exists(), "nothing may be written"


def test_parallel_hyperopt_trials_on_serverless_compute_are_refused_naming_the_keys(
    conf_dir: Path, capsys, no_spark
) -> None:
    set_key("project.yml", "spark.compute", "serverless")(conf_dir)
    set_key("project.yml", "training.parallelism", 2)(conf_dir)
    assert main(["train", "--env", "staging", "--conf-dir", str(conf_dir)]) == 2
    err = capsys.readouterr().err
    assert "training.parallelism: 2 runs Hyperopt's trials in Spark tasks (SparkTrials)" in err
    assert "spark.compute: serverless" in err and "set training.tuner: optuna" in err
    # where the session is local (master set), SparkTrials works: the local run is allowed
    assert load_settings("local", conf_dir).training.parallelism == 2
    # Optuna's parallel trials are threads: allowed on serverless
    set_key("project.yml", "training.tuner", "optuna")(conf_dir)
    assert load_settings("staging", conf_dir).spark.compute == "serverless"
    # one trial at a time needs no Spark task either
    set_key("project.yml", "training.tuner", "hyperopt")(conf_dir)
    set_key("project.yml", "training.parallelism", 1)(conf_dir)
    assert load_settings("staging", conf_dir).training.tuner == "hyperopt"
