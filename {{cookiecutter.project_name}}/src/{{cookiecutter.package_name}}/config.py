"""Typed settings: conf/project.yml overlaid by conf/envs/<env>.yml.

Every problem is reported as ``<file>: <key.path>: <reason>``, all of them at once, in a
ConfigError. Loading settings touches neither Spark nor MLflow.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    PrivateAttr,
    field_validator,
    model_validator,
)

from .estimators import ESTIMATORS
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

__all__ = ["ConfigError", "Settings", "Strict", "available_envs", "load_settings"]

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
    shuffle_partitions: PositiveInt = 200
    session_timezone: str = "UTC"


class StorageSettings(Strict):
    catalog: str | None = None  # Databricks: tables are catalog.schema_name.<table>
    schema_name: str
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


class SyntheticSource(Strict):
    """The seeded synthetic health plan, read by sources of format ``synthetic`` (an overlay
    that sets these with no such source changes nothing)."""

    members: PositiveInt = 100_000
    seed: int = 7
    start_date: date = date(2024, 1, 1)
    end_date: date = date(2025, 12, 31)
    label_horizon_days: PositiveInt = 90

    @model_validator(mode="after")
    def _long_enough(self) -> SyntheticSource:
        if (self.end_date - self.start_date).days < 365:
            raise NestedKeyError(("end_date",), "must be at least 365 days after start_date")
        return self


class IngestSettings(Strict):
    synthetic: SyntheticSource | None = None


SOURCE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # each becomes a table of that name
ColumnType = Literal["string", "integer", "long", "double", "boolean", "date"]
NUMERIC_COLUMN_TYPES = ("integer", "long", "double", "boolean")


class Column(Strict):
    """One declared column of a source: its type, and its name in the source if it differs."""

    type: ColumnType
    source_name: str | None = Field(None, alias="from", min_length=1)
    description: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


class SourceSpec(Strict):
    """A named source: where it is, its columns and types, its keys and its time column."""

    format: Literal["synthetic", "csv", "parquet", "delta", "table"]
    path: Path | None = None  # csv, parquet, delta: a file or folder
    table: str | None = None  # table: its name; synthetic: the generated table (default: ours)
    options: dict[str, str] = {}  # passed to the reader (csv: sep, encoding, ...)
    columns: dict[str, Column] = Field(min_length=1)
    key: list[str] | None = None  # the entity key columns it holds; null: the entity's; []: none
    time: str | None = None  # the date each row describes (an event's, a snapshot's)
    unique: bool = False  # one row per key (and time, when it has one)
    required: list[str] = []  # columns that may not be empty, besides key and time
    append_only: bool = False  # rows are only ever added (events): see features.lookback_days
    within_population: bool = False  # drop (and count) rows dated outside the population

    @field_validator("columns", mode="before")
    @classmethod
    def _short_form(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: {"type": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("key", mode="before")
    @classmethod
    def _key_list(cls, value: object) -> object:
        return _one_or_many(value)

    @model_validator(mode="after")
    def _where(self) -> SourceSpec:
        if self.format == "table" and not self.table:
            raise NestedKeyError(("table",), "format 'table' needs the table's name")
        if self.format in ("csv", "parquet", "delta") and self.path is None:
            raise NestedKeyError(("path",), f"format {self.format!r} needs the file or folder")
        if self.format != "synthetic" and self.format != "table" and self.table:
            raise NestedKeyError(("table",), f"format {self.format!r} reads path, not table")
        return self

    def their_name(self, column: str) -> str:
        """The source's own name of our ``column``."""
        return self.columns[column].source_name or column


class EntitySettings(Strict):
    """What one row of the feature table describes, and the columns that say which and when."""

    name: str = Field(min_length=1)  # singular, for messages: "member"
    plural: str = Field(min_length=1)  # "members"
    key: list[str] = Field(min_length=1)  # column(s) that identify one
    as_of: str = Field(min_length=1)  # the as-of column: the date features are known on

    @field_validator("key", mode="before")
    @classmethod
    def _key_list(cls, value: object) -> object:
        return _one_or_many(value)

    @property
    def keys(self) -> list[str]:
        """The feature table's row key: the entity key, then the as-of column."""
        return [*self.key, self.as_of]

    def count(self, n: int) -> str:
        """``n`` with the entity's name: "1 member", "12,345 members"."""
        return f"{n:,} {self.name if n == 1 else self.plural}"


class LabelSettings(Strict):
    source: str  # the source that holds the label (one row per entity and as-of date)
    column: str  # 0/1, or true/false
    positive_class: str = Field(min_length=1)  # what a score is the probability of, in words


class PopulationSettings(Strict):
    """Who has a row in the feature table on an as-of date, and who is scored on it."""

    source: str
    start: str | None = None  # with end: spans; an entity belongs on dates within one
    end: str | None = None
    max_age_days: PositiveInt | None = None  # without spans: seen this recently (null: ever)

    @model_validator(mode="after")
    def _both_ends(self) -> PopulationSettings:
        if (self.start is None) != (self.end is None):
            missing = "end" if self.end is None else "start"
            raise NestedKeyError((missing,), "spans need both start and end columns")
        if self.start is not None and self.max_age_days is not None:
            raise NestedKeyError(("max_age_days",), "applies to a population without spans")
        return self

    @property
    def spans(self) -> bool:
        return self.start is not None


class SnapshotSettings(Strict):
    """The as-of dates: a schedule (first, every, last), a list, or the dates of a source."""

    first: date | None = None
    every: Literal["day", "week", "month"] | None = None
    last: date | str | None = None  # a date, or a source's name: its newest date
    dates: list[date] | None = Field(None, min_length=1)
    dates_of: str | None = None  # a source's name: every date of its time column

    @field_validator("last", mode="before")
    @classmethod
    def _quoted_date(cls, value: object) -> object:
        """A date written in quotes is a date, not a source's name."""
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                return value
        return value

    @model_validator(mode="after")
    def _one_way(self) -> SnapshotSettings:
        schedule = (self.first, self.every, self.last)
        ways = [any(v is not None for v in schedule), self.dates is not None, bool(self.dates_of)]
        if sum(ways) != 1:
            raise NestedKeyError(
                (), "give exactly one of: first, every and last (a schedule); dates; dates_of"
            )
        if ways[0] and None in schedule:
            missing = ("first", "every", "last")[schedule.index(None)]
            raise NestedKeyError((missing,), "a schedule needs first, every and last")
        return self

    def key_of(self) -> str:
        """The settings key that says where the dates end or come from (for messages)."""
        return "dates_of" if self.dates_of else "last"

    @property
    def source(self) -> str | None:
        """The source the dates come from (dates_of) or end at (last), if one is named."""
        return self.dates_of or (self.last if isinstance(self.last, str) else None)


class ValidationSettings(Strict):
    today: date | None = None  # rows dated after this are "in the future"; null: run date
    max_dropped_fraction: float = Field(0.05, ge=0, le=1)
    strict: bool = False  # true: a source column that is not declared is an error


class FeatureSettings(Strict):
    mappings: Path | None = None  # null: feature_mappings.yml beside data.yml
    selection: Path | None = None  # null: feature_selection_config.yml beside data.yml
    store: Literal["tables", "databricks"]
    table: str = "supermarket"
    snapshots: SnapshotSettings
    lookback_days: NonNegativeInt = 31  # new rows of append-only sources: snapshots this close redo
    max_staleness_days: PositiveInt | None = None  # as-of lookups older than this find nothing
    modules: list[str] = []  # more modules holding @aisle functions (beside the package's own)


class SplitSettings(Strict):
    holdout_fraction: float = Field(gt=0, le=0.5)
    validation_fraction: float = Field(gt=0, le=0.5)
    salt: str = "split-v1"  # change it and every entity lands in a new part


class Distribution(Strict):
    """One hyperparameter's search range, as Hyperopt samples it."""

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


class TrainingSettings(Strict):
    estimator: str
    max_evals: PositiveInt
    parallelism: PositiveInt = 1  # > 1: SparkTrials, for single-node (sklearn) estimators
    seed: int = 7
    search_spaces: dict[str, dict[str, Distribution]]

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


class GateSettings(Strict):
    primary_metric: Metric = "roc_auc"
    min_delta: float = Field(0.0, ge=0)  # how much better than the champion a challenger must be
    relative: bool = False  # true: min_delta is a share of the champion's value
    floors: dict[Metric, float] = {}  # at least this (roc_auc, pr_auc) / at most (log_loss, brier)
    fail_on_reject: bool = False  # true: `deploy` exits non-zero on a rejected challenger


class InferenceSettings(Strict):
    score_date: date | None = None  # null: the latest feature snapshot
    table: str = "predictions"


class DeliverySettings(Strict):
    top_n: PositiveInt | None = None  # the highest scores, or
    threshold: float | None = Field(None, ge=0, le=1)  # every score at or above it
    extra_columns: list[str] = []  # joined from the feature table; need not be model inputs
    table: str = "delivery"
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

    _env: str = PrivateAttr(default="")
    _root: Path = PrivateAttr(default=Path())
    _files: dict[str, Path] = PrivateAttr(default_factory=dict)
    _origins: Origins = PrivateAttr(default_factory=dict)

    @property
    def env(self) -> str:
        """The environment these settings are for (the overlay's file name)."""
        return self._env

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
        prefixes = (keys[:n] for n in range(len(keys), -1, -1))
        return next((self._origins[k] for k in prefixes if k in self._origins), "conf")


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


def _column_problem(
    settings: Settings, keys: tuple, source: str, column: str, kinds: tuple[str, ...] = ()
) -> str | None:
    """Why ``column`` cannot be used from ``source`` at the key path ``keys``, or None."""
    where = f"{settings.source_of(*keys)}: {dotted(keys)}"
    spec = settings.sources.get(source)
    if spec is None:
        return None  # reported where the source is named
    if column not in spec.columns:
        declared = list(spec.columns)
        return f"{where}: {column!r} is not a declared column of source {source!r}" + suggest(
            column, declared
        )
    kind = spec.columns[column].type
    if kinds and kind not in kinds:
        return (
            f"{where}: column {column!r} of source {source!r} is {kind}; "
            f"it must be {' or '.join(kinds)}"
        )
    return None


def _source_problem(settings: Settings, keys: tuple, name: str, timed: bool = False) -> str | None:
    """Why ``name`` (at key path ``keys``) is not a usable source, or None."""
    where = f"{settings.source_of(*keys)}: {dotted(keys)}"
    if name not in settings.sources:
        return f"{where}: no source named {name!r}" + suggest(name, list(settings.sources))
    if timed and settings.sources[name].time is None:
        return f"{where}: source {name!r} has no time column (sources.{name}.time)"
    return None


def source_keys(settings: Settings, name: str) -> list[str]:
    """The entity key columns source ``name`` holds: its own ``key``, else the entity's."""
    spec = settings.sources[name]
    return list(settings.entity.key if spec.key is None else spec.key)


def reference_problems(settings: Settings) -> list[str]:
    """Every name one part of the settings uses that another part does not declare."""
    problems: list[str | None] = []
    entity = settings.entity
    taken = {
        settings.features.table: "features.table",
        settings.inference.table: "inference.table",
        settings.delivery.table: "delivery.table",
    }
    for name, spec in settings.sources.items():
        base = ("sources", name)
        if not SOURCE_NAME.fullmatch(name) or name.startswith("raw_") or name in taken:
            why = (
                f"is {taken[name]} too"
                if name in taken
                else "starts with raw_, which ingest's tables use"
                if name.startswith("raw_")
                else "is not a table name: letters, digits and _, not starting with a digit"
            )
            problems.append(f"{settings.source_of(*base)}: sources.{name}: the name {why}")
        for column in source_keys(settings, name):
            problems.append(_column_problem(settings, (*base, "key"), name, column))
        if spec.time is not None:
            problems.append(_column_problem(settings, (*base, "time"), name, spec.time, ("date",)))
        for i, column in enumerate(spec.required):
            problems.append(_column_problem(settings, (*base, "required", i), name, column))
        where = settings.source_of(*base)
        if spec.key and len(spec.key) != len(entity.key):
            problems.append(
                f"{settings.source_of(*base, 'key')}: sources.{name}.key: names "
                f"{len(spec.key)} column(s); the entity key (entity.key) has {len(entity.key)}"
            )
        if spec.unique and not source_keys(settings, name):
            problems.append(f"{where}: sources.{name}.unique: needs a key to be unique by")
        if spec.format == "synthetic" and settings.ingest.synthetic is None:
            problems.append(
                f"{where}: sources.{name}.format: 'synthetic' needs the ingest.synthetic settings"
            )
        if spec.within_population:
            if spec.time is None:
                reason = "needs a time column to place each row in or out of the population"
            elif not settings.population.spans:
                reason = "needs a population with spans (population.start and population.end)"
            elif name == settings.population.source:
                reason = "the population's own source cannot be filtered by itself"
            else:
                reason = ""
            if reason:
                problems.append(f"{where}: sources.{name}.within_population: {reason}")
    label = settings.label
    problems.append(_source_problem(settings, ("label", "source"), label.source))
    problems.append(
        _column_problem(
            settings,
            ("label", "column"),
            label.source,
            label.column,
            ("integer", "long", "boolean"),
        )
    )
    population = settings.population
    problems.append(_source_problem(settings, ("population", "source"), population.source))
    for end in ("start", "end"):
        column = getattr(population, end)
        if column is not None:
            keys = ("population", end)
            problems.append(_column_problem(settings, keys, population.source, column, ("date",)))
    for role, name in (("label", label.source), ("population", population.source)):
        if name in settings.sources and not source_keys(settings, name):
            where = settings.source_of(role, "source")
            problems.append(f"{where}: {role}.source: source {name!r} holds no entity key")
    snapshots = settings.features.snapshots
    named = snapshots.source
    if named:
        keys = ("features", "snapshots", snapshots.key_of())
        problems.append(_source_problem(settings, keys, named, timed=True))
    if entity.as_of in entity.key:
        where = settings.source_of("entity", "as_of")
        problems.append(f"{where}: entity.as_of: {entity.as_of!r} is also a key column")
    return [p for p in problems if p]


def available_envs(conf_dir: Path) -> list[str]:
    """The environments that have an overlay in ``conf_dir/envs``."""
    return sorted(p.stem for p in (conf_dir / ENVS_DIR).glob("*.yml"))


def load_settings(
    env: str, conf_dir: Path | str = "conf", data_dir: Path | str | None = None
) -> Settings:
    """The settings of ``env``: project.yml, overlaid by data.yml, overlaid by envs/<env>.yml,
    validated, with every name one part uses checked against what another declares.

    data.yml and the two feature files come from ``data_dir`` (default: ``conf_dir``).
    Relative paths are resolved against the folder that holds ``conf_dir``.
    """
    conf_dir = Path(conf_dir)
    data_dir = Path(data_dir) if data_dir is not None else conf_dir
    base_path, env_path = conf_dir / PROJECT_FILE, conf_dir / ENVS_DIR / f"{env}.yml"
    data_path = data_dir / DATA_FILE
    if not env_path.is_file():
        known = ", ".join(available_envs(conf_dir)) or "none"
        raise ConfigError([f"{show(env_path)}: no such environment {env!r}; environments: {known}"])
    origins: Origins = {}
    base = as_mapping(load_yaml(base_path), base_path)
    record_origins(base, (), show(base_path), origins)
    merged = overlay(base, as_mapping(load_yaml(data_path), data_path), show(data_path), origins)
    merged = overlay(merged, as_mapping(load_yaml(env_path), env_path), show(env_path), origins)
    for key, file in (("mappings", MAPPINGS_FILE), ("selection", SELECTION_FILE)):
        features = merged.get("features")
        if isinstance(features, dict) and features.get(key) is None:
            features[key] = str(data_dir.resolve() / file)
    root = conf_dir.resolve().parent
    settings = _anchor(validate(Settings, merged, origins), root)
    settings._env, settings._root, settings._origins = env, root, origins
    settings._files = {"project": base_path, "data": data_path, "env": env_path}
    problems = reference_problems(settings)
    if problems:
        raise ConfigError(problems)
    return settings
