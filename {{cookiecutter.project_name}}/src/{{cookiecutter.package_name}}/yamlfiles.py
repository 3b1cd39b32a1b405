"""Reading YAML configuration strictly; every problem reported as ``<file>: <key.path>: <reason>``.

Generic machinery shared by the settings and the feature files: a loader that refuses duplicate
keys, a deep overlay that remembers which file set each key, and pydantic errors rewritten so
that they name the file, the key path and the closest valid key.
"""

from __future__ import annotations

import difflib
import types
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import ConfigError

__all__ = [
    "ConfigError",
    "NestedKeyError",
    "Strict",
    "dotted",
    "load_model",
    "load_yaml",
    "show",
    "suggest",
]


class NestedKeyError(ValueError):
    """Raised by a validator to blame a key below the one being validated.

    ``path`` continues the validated model's key path, so the message names the exact key.
    """

    def __init__(self, path: tuple, reason: str):
        self.path, self.reason = path, reason
        super().__init__(reason)


class Strict(BaseModel):
    """Base of every settings model: unknown keys are errors, values are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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


def record_origins(value: Any, path: tuple, source: str, origins: Origins) -> None:
    for known in [p for p in origins if p[: len(path)] == path]:
        del origins[known]
    origins[path] = source
    if isinstance(value, dict):
        for key, item in value.items():
            record_origins(item, (*path, key), source, origins)


def overlay(base: dict, top: dict, source: str, origins: Origins, path: tuple = ()) -> dict:
    """``top`` merged over ``base``: mappings key by key, anything else replaced whole."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = overlay(merged[key], value, source, origins, (*path, key))
        else:
            merged[key] = value
            record_origins(value, (*path, key), source, origins)
    return merged


def as_mapping(data: Any, path: Path) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{show(path)}: the file must hold a mapping of keys, not a {type(data).__name__}"]
        )
    return data


def dotted(loc: tuple) -> str:
    """A key path as messages show it: ``features.snapshots.dates[2]``."""
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
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, NestedKeyError):
        loc = (*loc, *cause.path)
    source = next(origins[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in origins)
    if error["type"] == "extra_forbidden":
        reason = "unknown key" + suggest(str(loc[-1]), _keys_at(model, loc[:-1]))
    elif isinstance(cause, ValueError):  # our own validators' words, without pydantic's prefix
        reason = cause.reason if isinstance(cause, NestedKeyError) else str(cause)
    else:
        reason = error["msg"]
        value = error.get("input")
        if isinstance(value, str | int | float | bool) or value is None:
            reason += f" (got {value!r})"
    return f"{source}: {dotted(loc)}: {reason}"


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
