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


# Bounds on one configuration file, far above what a real one holds: its size, the values it
# holds once every alias is expanded (each mapping, list and scalar counts one) and their
# characters, and how deeply they nest. A file past one is refused before anything walks it,
# so a small file of nested aliases (a "billion laughs") cannot make loading run for minutes
# or exhaust memory.
MAX_FILE_BYTES = 1 << 20
MAX_VALUES = 100_000
MAX_TEXT = 4 * MAX_FILE_BYTES  # characters of all scalars, expanded
MAX_DEPTH = 50


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


class _TooDeepError(Exception):
    """Values nest more than MAX_DEPTH levels deep (raised while composing, before building)."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last one),
    and values nested more than MAX_DEPTH levels deep."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeepError
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

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


def _read_text(path: Path) -> str:
    """The file's text, or a ConfigError naming it: missing, a folder, unreadable, too large,
    or not UTF-8."""
    where = show(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError([f"{where}: file not found"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{where}: is a folder, not a YAML file"]) from None
    except OSError as error:
        raise ConfigError([f"{where}: cannot be read ({error.strerror or error})"]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(
            [
                f"{where}: is larger than {MAX_FILE_BYTES:,} bytes, too large for a "
                "configuration file"
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError(
            [
                f"{where}: is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
                f"{error.start}); save it as UTF-8"
            ]
        ) from None


def _check_expansion(root: yaml.Node, where: str) -> None:
    """Refuse a document whose aliases expand past MAX_VALUES values, MAX_TEXT characters or
    MAX_DEPTH levels, or refer to a mapping or list that holds them. Linear in the document's
    nodes: each node's expanded size is computed once, however many aliases share it."""
    sizes: dict[int, tuple[int, int, int]] = {}  # id(node) -> (values, characters, levels)
    open_nodes: set[int] = set()
    too_large = (
        f"{where}: holds more than {MAX_VALUES:,} values or {MAX_TEXT:,} characters once its "
        "aliases are expanded; a configuration file is far smaller (an alias of a mapping of "
        "aliases multiplies it)"
    )

    def children(node: yaml.Node) -> list[yaml.Node]:
        if isinstance(node, yaml.MappingNode):
            return [n for pair in node.value for n in pair]
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        return []

    def measure(node: yaml.Node, level: int) -> tuple[int, int, int]:
        known = sizes.get(id(node))
        if known is not None:  # an alias: the same values again, perhaps deeper down
            if level + known[2] - 1 > MAX_DEPTH:
                raise _TooDeepError
            return known
        if id(node) in open_nodes:
            line = node.start_mark.line + 1
            raise ConfigError(
                [f"{where}:{line}: an alias refers to a mapping or list that holds it"]
            )
        if level > MAX_DEPTH:
            raise _TooDeepError
        open_nodes.add(id(node))
        values, text, depth = 1, len(node.value) if isinstance(node, yaml.ScalarNode) else 0, 1
        for child in children(node):
            more, chars, below = measure(child, level + 1)
            values, text, depth = values + more, text + chars, max(depth, below + 1)
            if values > MAX_VALUES or text > MAX_TEXT:
                raise ConfigError([too_large])
        open_nodes.discard(id(node))
        sizes[id(node)] = (values, text, depth)
        return values, text, depth

    measure(root, 0)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file (anchors and merge keys allowed), or raise a ConfigError naming it.

    The file is bounded (MAX_FILE_BYTES, MAX_VALUES, MAX_DEPTH) before its values are built."""
    text = _read_text(path)
    where = show(path)
    try:
        loader = _StrictLoader(text)  # a SafeLoader subclass: no arbitrary objects
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        reason = f"character #x{error.character:04x} is not allowed in YAML (line {line})"
        raise ConfigError([f"{where}: {reason}"]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, where)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        raise ConfigError([f"{where}: invalid YAML: {error.problem or error.context}"]) from None
    except yaml.YAMLError as error:
        raise ConfigError([f"{where}: invalid YAML: {' '.join(str(error).split())}"]) from None
    except (_TooDeepError, RecursionError):
        raise ConfigError([f"{where}: values nest more than {MAX_DEPTH} levels deep"]) from None
    finally:
        loader.dispose()


# Which file set each key path, so that an error in the merged settings names the right file:
# the file of the longest recorded prefix of a key path. Only the paths where a file set a
# value are recorded (not every key below them), so recording is linear in the overlays.
Origins = dict[tuple, str]


def record_origins(path: tuple, source: str, origins: Origins) -> None:
    """Record that ``source`` set the value at ``path``, replacing what was recorded below it."""
    size = len(path)
    for known in [p for p in origins if len(p) >= size and p[:size] == path]:
        del origins[known]
    origins[path] = source


def overlay(base: dict, top: dict, source: str, origins: Origins, path: tuple = ()) -> dict:
    """``top`` merged over ``base``: mappings key by key, anything else replaced whole."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = overlay(merged[key], value, source, origins, (*path, key))
        else:
            merged[key] = value
            record_origins((*path, key), source, origins)
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
