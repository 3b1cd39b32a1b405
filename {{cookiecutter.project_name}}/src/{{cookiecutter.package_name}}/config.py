"""Typed settings: conf/project.yml overlaid by conf/envs/<env>.yml.

Every problem is reported as ``<file>: <key.path>: <reason>``, all of them at once, in a
ConfigError. Loading settings touches neither Spark nor MLflow.
"""

from __future__ import annotations

import difflib
import types
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, PositiveInt, PrivateAttr, ValidationError

PROJECT_FILE = "project.yml"
ENVS_DIR = "envs"


class ConfigError(Exception):
    """Configuration that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class Strict(BaseModel):
    """Base of every settings model: unknown keys are errors, values are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectInfo(Strict):
    name: str
    package: str


class SparkSettings(Strict):
    master: str | None = None  # None: the session the platform provides (Databricks)
    shuffle_partitions: PositiveInt = 200
    session_timezone: str = "UTC"


class StorageSettings(Strict):
    catalog: str | None = None
    schema_name: str
    warehouse_dir: Path | None = None


class TrackingSettings(Strict):
    tracking_uri: str
    registry_uri: str | None = None
    experiment_name: str
    artifact_location: str | None = None


class RegistrySettings(Strict):
    model_name: str


class FeatureSettings(Strict):
    mappings: Path
    selection: Path
    store: Literal["tables", "databricks"]


class Settings(Strict):
    project: ProjectInfo
    spark: SparkSettings
    storage: StorageSettings
    tracking: TrackingSettings
    registry: RegistrySettings
    features: FeatureSettings

    _env: str = PrivateAttr(default="")
    _root: Path = PrivateAttr(default=Path())

    @property
    def env(self) -> str:
        """The environment these settings are for (the overlay's file name)."""
        return self._env

    @property
    def root(self) -> Path:
        """The project folder: relative paths in the YAML files are relative to it."""
        return self._root


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} is given twice (first on line {seen[key] + 1}); keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def show(path: Path) -> str:
    """A path as messages show it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file (anchors and merge keys allowed), or raise a ConfigError naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{show(path)}: file not found"]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{show(path)}:{mark.line + 1}:{mark.column + 1}" if mark else show(path)
        raise ConfigError([f"{where}: invalid YAML: {error.problem}"]) from None


# Which file set each key path, so that an error in the merged settings names the right file.
Origins = dict[tuple, str]


def _record(value: Any, path: tuple, source: str, origins: Origins) -> None:
    for known in [p for p in origins if p[: len(path)] == path]:
        del origins[known]
    origins[path] = source
    if isinstance(value, dict):
        for key, item in value.items():
            _record(item, (*path, key), source, origins)


def overlay(base: dict, top: dict, source: str, origins: Origins, path: tuple = ()) -> dict:
    """``top`` merged over ``base``: mappings key by key, anything else replaced whole."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = overlay(merged[key], value, source, origins, (*path, key))
        else:
            merged[key] = value
            _record(value, (*path, key), source, origins)
    return merged


def _as_mapping(data: Any, path: Path) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{show(path)}: the file must hold a mapping of keys, not a {type(data).__name__}"]
        )
    return data


def _dotted(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _unwrap(annotation: Any) -> Any:
    """The model or container inside ``X | None``."""
    if get_origin(annotation) in (Union, types.UnionType):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def _keys_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys the model accepts at ``loc``; empty when that place is not a model."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        elif get_origin(current) in (dict, list, tuple):
            current = get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def suggest(name: str, known: list[str] | tuple[str, ...]) -> str:
    """'; did you mean X?' for the closest known name, else the known names."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; valid: {', '.join(map(str, known))}" if known else ""


def _describe(error: dict, model: type[BaseModel], origins: Origins) -> str:
    loc = tuple(error["loc"])
    source = next(origins[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in origins)
    if error["type"] == "extra_forbidden":
        reason = "unknown key" + suggest(str(loc[-1]), _keys_at(model, loc[:-1]))
    else:
        reason = error["msg"]
        value = error.get("input")
        if isinstance(value, str | int | float | bool) or value is None:
            reason += f" (got {value!r})"
    return f"{source}: {_dotted(loc)}: {reason}"


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any, origins: Origins) -> M:
    """``data`` as ``model``, or a ConfigError with one line per problem, each naming its file."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError([_describe(e, model, origins) for e in error.errors()]) from None


def load_model(model: type[M], path: Path) -> M:
    """One YAML file validated as ``model``."""
    return validate(model, load_yaml(path), {(): show(path)})


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
    return sorted(p.stem for p in (conf_dir / ENVS_DIR).glob("*.yml"))


def load_settings(env: str, conf_dir: Path | str = "conf") -> Settings:
    """The settings of ``env``: project.yml overlaid by envs/<env>.yml, validated.

    Relative paths are resolved against the folder that holds ``conf_dir``.
    """
    conf_dir = Path(conf_dir)
    base_path, env_path = conf_dir / PROJECT_FILE, conf_dir / ENVS_DIR / f"{env}.yml"
    if not env_path.is_file():
        known = ", ".join(available_envs(conf_dir)) or "none"
        raise ConfigError([f"{show(env_path)}: no such environment {env!r}; environments: {known}"])
    origins: Origins = {}
    base = _as_mapping(load_yaml(base_path), base_path)
    _record(base, (), show(base_path), origins)
    merged = overlay(base, _as_mapping(load_yaml(env_path), env_path), show(env_path), origins)
    root = conf_dir.resolve().parent
    settings = _anchor(validate(Settings, merged, origins), root)
    settings._env, settings._root = env, root
    return settings
