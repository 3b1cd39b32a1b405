"""Feature functions registered by name: the Python escape hatch for what YAML cannot say.

A group of conf/feature_mappings.yml with ``python: <name>`` is computed by the function
registered under that name::

    from .functions import AisleInputs, aisle

    @aisle("demographics")
    def demographics(inputs: AisleInputs) -> DataFrame:
        members = inputs.sources["members"]
        return inputs.spine.join(members, inputs.key).select(*inputs.keys, "sex", ...)

The function gets the snapshots to compute (``inputs.spine``: the entity key columns and the
as-of date) and the clean tables the group names under ``sources``; it returns one row per
spine row with the keys and exactly the group's features. Every module in this package is
imported to find the functions, and so is each module named in ``features.modules``.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame

from ..errors import ConfigError


@dataclass(frozen=True)
class AisleInputs:
    spine: DataFrame  # the key columns and the as-of date: one row per snapshot to compute
    sources: dict[str, DataFrame]  # the clean tables the group names, by source name
    key: list[str]  # the entity key columns
    as_of: str  # the as-of column
    params: dict[str, Any] = field(default_factory=dict)  # the group's params, as written

    @property
    def keys(self) -> list[str]:
        """The columns every returned row must carry: the entity key, then the as-of date."""
        return [*self.key, self.as_of]


AisleFunction = Callable[[AisleInputs], DataFrame]
_REGISTRY: dict[str, AisleFunction] = {}


def aisle(name: str) -> Callable[[AisleFunction], AisleFunction]:
    """Register the decorated function as the feature function ``name``."""

    def register(function: AisleFunction) -> AisleFunction:
        known = _REGISTRY.get(name)
        if known is not None and known.__qualname__ != function.__qualname__:
            raise ValueError(
                f"feature function {name!r} is registered twice: {_where(known)} and "
                f"{_where(function)}"
            )
        _REGISTRY[name] = function
        return function

    return register


def _where(function: AisleFunction) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def registered(modules: list[str] = (), where: str = "conf") -> dict[str, AisleFunction]:
    """Every registered function, once this package's modules and ``modules`` (named in the
    settings file ``where``, key features.modules) are imported."""
    package = importlib.import_module(__package__)
    own = [f"{__package__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]
    for module in own:
        importlib.import_module(module)
    problems = []
    for i, module in enumerate(modules):
        try:
            importlib.import_module(module)
        except ImportError as error:
            problems.append(f"{where}: features.modules[{i}]: cannot import {module!r}: {error}")
    if problems:
        raise ConfigError(problems)
    return dict(_REGISTRY)


def code_fingerprint(function: AisleFunction) -> str:
    """A hash of the source of the module that defines ``function``: its helpers and constants
    count as its definition too."""
    module = inspect.getmodule(function)
    try:
        text = inspect.getsource(module) if module else inspect.getsource(function)
    except (OSError, TypeError):  # no source (a compiled module): its name stands in
        text = _where(function)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
