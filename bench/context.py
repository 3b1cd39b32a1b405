"""What the template's benchmarks share: the generated project's benchmark context (its
platform over the P1 pipeline folder, its repeat count, its bench folder), the template's sizes,
and the project's package, whose name only the project knows."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.common import PACKAGE, Context

from .sizes import SIZES, Size


def module(name: str) -> ModuleType:
    """``name`` (e.g. ``training``) of the generated project's package."""
    return importlib.import_module(f"{PACKAGE}.{name}")


@dataclass
class Claims:
    """One run of the template's benchmarks inside a generated project."""

    project: Context
    template: Path | None = None  # the template, to time generation (suite)
    cookiecutter: str | None = None

    @property
    def size(self) -> Size:
        return SIZES[self.project.size_name]

    @property
    def platform(self) -> Any:
        return self.project.platform

    @property
    def repeat(self) -> int:
        return self.project.repeat

    @property
    def folder(self) -> Path:
        return self.project.folder
