"""Typed settings: conf/project.yml, overlaid by data.yml, overlaid by conf/envs/<env>.yml.

Every problem is reported as ``<file>: <key.path>: <reason>``, all of them at once, in a
ConfigError. Loading settings touches neither Spark nor MLflow. The data's declarations are in
declarations.py, the checks of what they say of each other in references.py.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    NonNegativeInt,
    PositiveInt,
    PrivateAttr,
    field_validator,
    model_validator,
)

from .declarations import (
    NUMERIC_COLUMN_TYPES,
    CohortSettings,
    Column,
    EntitySettings,
    IngestSettings,
    LabelSettings,
    PopulationSettings,
    SnapshotSettings,
    SourceSpec,
    SyntheticSource,
)
from .estimators import ESTIMATORS
from .names import ENV_NAME, TableName, UCName
from .references import reference_problems, source_keys
from .yamlfiles import (
    ConfigError,
    NestedKeyError,
    Origins,
    Strict,
    as_mapping,
    dotted,
    load_yaml,
    overlay,
    record_origins,
    show,
    suggest,
    validate,
)

__all__ = [
    "NUMERIC_COLUMN_TYPES",
    "Column",
    "ConfigError",
    "EntitySettings",
    "LabelSettings",
    "PopulationSettings",
    "Settings",
    "SnapshotSettings",
    "SourceSpec",
    "Strict",
    "SyntheticSource",
    "available_envs",
    "as_score_date",
    "load_settings",
    "source_keys",
]

PROJECT_FILE = "project.yml"
DATA_FILE = "data.yml"
MAPPINGS_FILE = "feature_mappings.yml"
SELECTION_FILE = "feature_selection_config.yml"
ENVS_DIR = "envs"


class ProjectInfo(Strict):
    name: str
    package: str


class SparkSettings(Strict):
    master: str | None = None  # None: the session the platform provides (Databricks)
    # What the Databricks jobs run on (with master null): classic clusters or serverless
    # compute, which has no sparkContext and caches no DataFrame.
    compute: Literal["classic", "serverless"] = "classic"
    shuffle_partitions: PositiveInt = 200
    session_timezone: str = "UTC"
    # Settings of the local session a master starts (any spark.* key, as in spark-defaults.conf),
    # applied before its JVM starts: conf/envs/ci.yml gives its small run a JVM for short jobs.
    # With master null the cluster's own configuration decides, so they are refused there.
    local_conf: dict[str, str] = {}
    # A local session's JVM loads Spark's classes from an archive made by an earlier one
    # (adapters/spark.py), seconds faster at every start; false: every JVM loads them anew.
    class_archive: bool = True

    @model_validator(mode="after")
    def _local_conf_needs_a_local_master(self) -> SparkSettings:
        if self.local_conf and self.master is None:
            raise NestedKeyError(
                ("local_conf",),
                "applies only to a local session: set spark.master (e.g. local[2]) or remove "
                "spark.local_conf; on Databricks set Spark options on the cluster or job",
            )
        for key in self.local_conf:
            if not key.startswith("spark."):
                raise NestedKeyError(
                    ("local_conf", key), "not a Spark setting: its keys start with 'spark.'"
                )
        return self


class StorageSettings(Strict):
    catalog: UCName | None = None  # Databricks: tables are catalog.schema_name.<table>
    schema_name: UCName  # names: see names.py
    warehouse_dir: Path | None = None  # local: tables are folders under warehouse_dir/schema_name

    @model_validator(mode="after")
    def _one_place(self) -> StorageSettings:
        if (self.catalog is None) == (self.warehouse_dir is None):
            raise NestedKeyError(
                ("catalog",), "set exactly one of catalog (Databricks) and warehouse_dir (local)"
            )
        return self


class TrackingSettings(Strict):
    tracking_uri: str
    registry_uri: str | None = None
    experiment_name: str
    artifact_location: str | None = None
    require_clean_git: bool = False  # true: refuse to run from a tree with uncommitted changes


class RegistrySettings(Strict):
    model_name: str


class BatchSettings(Strict):
    """How far a source's batch may move from the last accepted one (see batches.py)."""

    on_change: Literal["error", "warning"] = "error"
    max_row_drop: float = Field(0.5, ge=0, le=1)  # share of rows that may vanish
    max_row_growth: float = Field(1.0, ge=0)  # 1.0: up to twice the rows
    max_key_drop: float = Field(0.5, ge=0, le=1)  # share of distinct entities that may vanish
    max_share_shift: float = Field(0.25, gt=0, le=1)  # change in a value's share of a column
    max_values: PositiveInt = 50  # columns with more distinct values are not followed


class ValidationSettings(Strict):
    today: date | None = None  # rows dated after this are "in the future"; null: run date
    max_dropped_fraction: float = Field(0.05, ge=0, le=1)
    strict: bool = False  # true: a source column that is not declared is an error
    batch: BatchSettings = BatchSettings()


class FeatureSettings(Strict):
    mappings: Path | None = None  # null: feature_mappings.yml beside data.yml
    selection: Path | None = None  # null: feature_selection_config.yml beside data.yml
    store: Literal["tables", "databricks"]
    table: TableName = "supermarket"
    snapshots: SnapshotSettings
    lookback_days: NonNegativeInt = 31  # new rows of append-only sources: snapshots this close redo
    max_staleness_days: PositiveInt | None = None  # as-of lookups older than this find nothing
    modules: list[str] = []  # more modules holding @aisle functions (beside the package's own)


class SplitSettings(Strict):
    holdout_fraction: float = Field(gt=0, le=0.5)
    validation_fraction: float = Field(gt=0, le=0.5)
    salt: str = "split-v1"  # change it and every entity lands in a new part
    min_train_rows: PositiveInt = 100  # fewer labelled rows in the train part stop `train`

    @model_validator(mode="after")
    def _rows_left_to_train(self) -> SplitSettings:
        if self.holdout_fraction + self.validation_fraction >= 1:
            total = self.holdout_fraction + self.validation_fraction
            raise NestedKeyError(
                ("validation_fraction",),
                f"holdout_fraction + validation_fraction is {total:g}, which leaves no rows to "
                "train on; their sum must be below 1",
            )
        return self


class Distribution(Strict):
    """One hyperparameter's search range, in the vocabulary both tuners are given (what each
    distribution means: tuners.py)."""

    distribution: Literal["uniform", "loguniform", "quniform", "choice"]
    low: float | None = None
    high: float | None = None
    q: float | None = Field(None, gt=0)
    options: list[Any] | None = None

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        if self.distribution == "choice":
            if not self.options:
                raise NestedKeyError(("options",), "choice needs a non-empty list of options")
            return self
        if self.low is None or self.high is None:
            missing = "low" if self.low is None else "high"
            raise NestedKeyError((missing,), f"{self.distribution} needs both low and high")
        if self.low >= self.high:
            raise NestedKeyError(("low",), f"must be below high (got {self.low} >= {self.high})")
        if self.distribution == "loguniform" and self.low <= 0:
            raise NestedKeyError(("low",), f"loguniform needs low > 0 (got {self.low})")
        if self.distribution == "quniform" and self.q is None:
            raise NestedKeyError(("q",), "quniform needs a step q")
        return self


class LeakGuardSettings(Strict):
    """A feature whose own holdout ROC AUC is at least ``max_auc`` and ``min_gap`` above the
    median of the others stops `train`, unless it is in ``allow`` (see leakage.py)."""

    max_auc: float = Field(0.98, gt=0.5, le=1)
    min_gap: float = Field(0.15, ge=0, le=0.5)
    allow: list[str] = []


class ImportanceSettings(Strict):
    """Permutation importance of the trained model (see importance.py): each feature shuffled
    ``repeats`` times on a random sample of at most ``rows`` holdout rows."""

    repeats: int = Field(5, ge=2, le=100)  # at least 2: the spread needs two
    rows: int = Field(5_000, ge=100)


class TrainingSettings(Strict):
    estimator: str
    tuner: Literal["hyperopt", "optuna"] = "hyperopt"
    max_evals: PositiveInt
    # > 1: single-node (sklearn) trials side by side: SparkTrials (hyperopt), threads (optuna)
    parallelism: PositiveInt = 1
    seed: int = 7
    search_spaces: dict[str, dict[str, Distribution]]
    leak_guard: LeakGuardSettings = LeakGuardSettings()
    max_categories: PositiveInt = 255  # distinct values a categorical feature may have in training
    importance: ImportanceSettings = ImportanceSettings()

    @field_validator("estimator")
    @classmethod
    def _known_estimator(cls, value: str) -> str:
        if value not in ESTIMATORS:
            raise ValueError(f"unknown estimator {value!r}" + suggest(value, list(ESTIMATORS)))
        return value

    @model_validator(mode="after")
    def _spaces_fit_estimators(self) -> TrainingSettings:
        for name, space in self.search_spaces.items():
            if name not in ESTIMATORS:
                reason = "unknown estimator" + suggest(name, list(ESTIMATORS))
                raise NestedKeyError(("search_spaces", name), reason)
            known = list(ESTIMATORS[name].params)
            for param in space:
                if param not in known:
                    reason = f"not a hyperparameter of {name}" + suggest(param, known)
                    raise NestedKeyError(("search_spaces", name, param), reason)
        if not self.search_spaces.get(self.estimator):
            reason = f"needs a non-empty search space for the estimator {self.estimator!r}"
            raise NestedKeyError(("search_spaces", self.estimator), reason)
        return self


Metric = Literal["roc_auc", "pr_auc", "log_loss", "brier"]


class IntervalSettings(Strict):
    """The paired bootstrap of the challenger's gain over the champion (uncertainty.py)."""

    level: float = Field(0.90, ge=0.5, le=0.999)  # two-sided; 0.90: a one-sided 95 % lower bound
    resamples: int = Field(1000, ge=100, le=100_000)
    cohort_resamples: int = Field(300, ge=100, le=100_000)  # each cohort's (informative) interval
    seed: int = 0


class CohortGate(Strict):
    """What each cohort big enough to judge must meet (cohorts: in data.yml), on the holdout's
    values as measured: at least (roc_auc, pr_auc) / at most (log_loss, brier) each floor, and
    in the primary metric no worse than the champion by more than max_drop."""

    floors: dict[Metric, float] = {}
    max_drop: float | None = Field(None, ge=0)


class GateSettings(Strict):
    primary_metric: Metric = "roc_auc"
    # lower_bound: the gain's interval must lie above min_delta; point: the gain as measured
    decide_on: Literal["lower_bound", "point"] = "lower_bound"
    min_delta: float = Field(0.0, ge=0)  # how much better than the champion a challenger must be
    relative: bool = False  # true: min_delta is a share of the champion's value
    interval: IntervalSettings = IntervalSettings()
    cohorts: CohortGate = CohortGate()
    floors: dict[Metric, float] = {}  # at least this (roc_auc, pr_auc) / at most (log_loss, brier)
    fail_on_reject: bool = False  # true: `deploy` exits non-zero on a rejected challenger


class InferenceSettings(Strict):
    score_date: date | None = None  # null: the latest feature snapshot
    table: TableName = "predictions"
    # A date of at most this many entities is scored on the driver, where the model is loaded
    # already; more are scored in Python workers. 0: always in workers. Spark ML models score in
    # Spark, and the Databricks feature store's score_batch decides for itself.
    driver_rows: NonNegativeInt = 100_000


class DeliverySettings(Strict):
    top_n: PositiveInt | None = None  # the highest scores, or
    threshold: float | None = Field(None, ge=0, le=1)  # every score at or above it
    extra_columns: list[str] = []  # joined from the feature table; need not be model inputs
    table: TableName = "delivery"
    csv_dir: Path

    @model_validator(mode="after")
    def _one_cut(self) -> DeliverySettings:
        if (self.top_n is None) == (self.threshold is None):
            raise NestedKeyError(("top_n",), "set exactly one of top_n and threshold")
        return self


class Settings(Strict):
    project: ProjectInfo
    spark: SparkSettings
    storage: StorageSettings
    tracking: TrackingSettings
    registry: RegistrySettings
    entity: EntitySettings
    label: LabelSettings
    ingest: IngestSettings = IngestSettings()
    sources: dict[str, SourceSpec] = Field(min_length=1)
    population: PopulationSettings
    validation: ValidationSettings
    features: FeatureSettings
    split: SplitSettings
    training: TrainingSettings
    gate: GateSettings
    inference: InferenceSettings
    delivery: DeliverySettings
    cohorts: CohortSettings = CohortSettings()

    _env: str = PrivateAttr(default="")
    _root: Path = PrivateAttr(default=Path())
    _files: dict[str, Path] = PrivateAttr(default_factory=dict)
    _origins: Origins = PrivateAttr(default_factory=dict)
    _developer: str | None = PrivateAttr(default=None)

    @property
    def env(self) -> str:
        """The environment these settings are for (the overlay's file name)."""
        return self._env

    @property
    def developer(self) -> str | None:
        """Whose per-developer environment these settings are (None: a shared one)."""
        return self._developer

    @property
    def root(self) -> Path:
        """The project folder: relative paths in the YAML files are relative to it."""
        return self._root

    @property
    def files(self) -> dict[str, Path]:
        """The YAML files these settings were read from, by role (project, data, env)."""
        return dict(self._files)

    def scoring_on(self, day: date) -> Settings:
        """These settings with ``inference.score_date`` set to ``day`` (a backfill or a resend)."""
        inference = self.inference.model_copy(update={"score_date": day})
        return self.model_copy(update={"inference": inference})

    def source_of(self, *keys: str) -> str:
        """The file that set the key path ``keys`` (for messages about checks made later)."""
        return origin_of(keys, self._origins)


def _absolute(root: Path, value: Path | None) -> Path | None:
    return None if value is None else (root / value).resolve()


def _absolute_uri(root: Path, uri: str | None) -> str | None:
    """A ``sqlite:///relative/path`` URI made absolute; other URIs unchanged."""
    prefix = "sqlite:///"
    if uri and uri.startswith(prefix) and not uri.startswith(prefix + "/"):
        return prefix + str((root / uri[len(prefix) :]).resolve())
    return uri


def _anchor(settings: Settings, root: Path) -> Settings:
    """Settings with every local path and SQLite URI made absolute under the project folder."""
    tracking = settings.tracking
    location = tracking.artifact_location
    if location and "://" not in location:
        location = (root / location).resolve().as_uri()
    sources = {
        name: spec.model_copy(update={"path": _absolute(root, spec.path)})
        for name, spec in settings.sources.items()
    }
    return settings.model_copy(
        update={
            "storage": settings.storage.model_copy(
                update={"warehouse_dir": _absolute(root, settings.storage.warehouse_dir)}
            ),
            "tracking": tracking.model_copy(
                update={
                    "tracking_uri": _absolute_uri(root, tracking.tracking_uri),
                    "registry_uri": _absolute_uri(root, tracking.registry_uri),
                    "artifact_location": location,
                }
            ),
            "sources": sources,
            "delivery": settings.delivery.model_copy(
                update={"csv_dir": _absolute(root, settings.delivery.csv_dir)}
            ),
            "features": settings.features.model_copy(
                update={
                    "mappings": _absolute(root, settings.features.mappings),
                    "selection": _absolute(root, settings.features.selection),
                }
            ),
        }
    )


def available_envs(conf_dir: Path) -> list[str]:
    """The environments that have an overlay in ``conf_dir/envs``."""
    return sorted(p.stem for p in (Path(conf_dir) / ENVS_DIR).glob("*.yml"))


# An environment one developer deploys for themselves (conf/envs/dev.yml) writes ${developer}
# into its names; `--developer NAME` fills it in, so two developers never share a table, an
# experiment or a model. A name: it goes into schema, job, experiment and model names.
DEVELOPER = "${developer}"
DEVELOPER_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def uses_developer(env: str, conf_dir: Path | str = "conf") -> bool:
    """Whether the overlay of ``env`` names its tables, experiment or model per developer (a
    value of it holds ${developer}; a comment that mentions it does not count)."""
    path = Path(conf_dir) / ENVS_DIR / f"{env}.yml"

    def holds(value: Any) -> bool:
        if isinstance(value, dict):
            return any(holds(item) for item in value.values())
        if isinstance(value, list):
            return any(holds(item) for item in value)
        return isinstance(value, str) and DEVELOPER in value

    return path.is_file() and holds(load_yaml(path))


def _fill_developer(
    merged: dict, env: str, developer: str | None, origins: Origins
) -> tuple[dict, list[str]]:
    """``merged`` with ${developer} replaced by ``developer``, and the problems of doing so."""
    used: list[tuple] = []

    def fill(value: Any, path: tuple) -> Any:
        if isinstance(value, dict):
            return {key: fill(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item, (*path, i)) for i, item in enumerate(value)]
        if isinstance(value, str) and DEVELOPER in value:
            used.append(path)
            return value.replace(DEVELOPER, developer or "")
        return value

    filled = fill(merged, ())
    if developer is not None and not DEVELOPER_NAME.fullmatch(developer):
        return filled, [
            f"developer {developer!r} is not a usable name: lowercase letters, digits and _, "
            "starting with a letter, at most 40 characters (make dev-deploy derives one from "
            "your Databricks user name; set DEVELOPER=... to choose)"
        ]
    if used and developer is None:
        by_file: dict[str, list[str]] = {}
        for path in used:
            by_file.setdefault(origin_of(path, origins), []).append(dotted(path))
        keys = "; ".join(f"{file}: {', '.join(keys)}" for file, keys in by_file.items())
        return filled, [
            f"environment {env!r} is per developer ({keys} use {DEVELOPER}): pass --developer "
            "NAME, as the jobs of make dev-deploy do"
        ]
    if developer is not None and not used:
        return filled, [
            f"--developer {developer!r}: environment {env!r} is shared, not per developer (no "
            f"key of its settings uses {DEVELOPER}), so a developer's runs would write where "
            "everyone's do; leave --developer out, or use a per-developer environment such as dev"
        ]
    return filled, []


def origin_of(path: tuple, origins: Origins) -> str:
    """The file that set the key path ``path``, or that set the nearest mapping above it."""
    prefixes = (path[:n] for n in range(len(path), -1, -1))
    return next((origins[k] for k in prefixes if k in origins), "conf")


def load_settings(
    env: str,
    conf_dir: Path | str = "conf",
    data_dir: Path | str | None = None,
    developer: str | None = None,
    score_date: date | None = None,
) -> Settings:
    """The settings of ``env``: project.yml, overlaid by data.yml, overlaid by envs/<env>.yml,
    validated, with every name one part uses checked against what another declares; with
    ``score_date`` (see `as_score_date`) in place of ``inference.score_date``.

    data.yml and the two feature files come from ``data_dir`` (default: ``conf_dir``).
    Relative paths are resolved against the folder that holds ``conf_dir``. ``developer``
    fills in the ${developer} of a per-developer environment (dev); it is refused for any
    other, and a per-developer environment refuses to load without one.
    """
    conf_dir = Path(conf_dir)
    data_dir = Path(data_dir) if data_dir is not None else conf_dir
    base_path, env_path = conf_dir / PROJECT_FILE, conf_dir / ENVS_DIR / f"{env}.yml"
    data_path = data_dir / DATA_FILE
    for folder, role in (
        (conf_dir, "the configuration folder"),
        (data_dir, "the folder of data.yml"),
    ):
        if not folder.is_dir():
            what = "is a file, not a folder" if folder.exists() else "no such folder"
            raise ConfigError([f"{show(folder)}: {what} ({role})"])
    known = ", ".join(available_envs(conf_dir)) or "none"
    if not ENV_NAME.fullmatch(env):
        raise ConfigError(
            [
                f"environment {env!r} is not a name (letters, digits, '-' and '_', as the files "
                f"of {show(conf_dir / ENVS_DIR)} are named), not a path; environments: {known}"
            ]
        )
    if not env_path.exists():
        raise ConfigError([f"{show(env_path)}: no such environment {env!r}; environments: {known}"])
    origins: Origins = {}
    base = as_mapping(load_yaml(base_path), base_path)
    record_origins((), show(base_path), origins)
    merged = overlay(base, as_mapping(load_yaml(data_path), data_path), show(data_path), origins)
    merged = overlay(merged, as_mapping(load_yaml(env_path), env_path), show(env_path), origins)
    merged, problems = _fill_developer(merged, env, developer, origins)
    if problems:
        raise ConfigError(problems)
    for key, file in (("mappings", MAPPINGS_FILE), ("selection", SELECTION_FILE)):
        features = merged.get("features")
        if isinstance(features, dict) and features.get(key) is None:
            features[key] = str(data_dir.resolve() / file)
    root = conf_dir.resolve().parent
    settings = _anchor(validate(Settings, merged, origins), root)
    settings._env, settings._root, settings._origins = env, root, origins
    settings._developer = developer
    settings._files = {"project": base_path, "data": data_path, "env": env_path}
    problems = reference_problems(settings)
    if problems:
        raise ConfigError(problems)
    return settings.scoring_on(score_date) if score_date else settings


def as_score_date(text: str | None, named: str) -> date | None:
    """A score date as a command (``--score-date``) or a job task (its widget) is given it:
    YYYY-MM-DD, or empty for none (the configured one holds). Anything else is a
    ConfigError naming ``named``."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            [f"{named}: {text!r} is not a date; use YYYY-MM-DD, or leave it empty"]
        ) from None
