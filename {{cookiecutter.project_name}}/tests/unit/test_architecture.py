"""The import contracts of pyproject.toml ([tool.importlinter]) hold for the package, and they
are not decoration: an import that breaks a layer, planted in a copy of the package, makes
`lint-imports` fail and name the contract and the import; and what Python workers import to
score stays light."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT

PACKAGE = "{{ cookiecutter.package_name }}"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` over the package under ``root``/src, with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(root / "src")}  # the copy before the installed one
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package and its contracts, copied: plant imports here, never in the project."""
    shutil.copytree(
        PROJECT_ROOT / "src" / PACKAGE,
        tmp_path / "src" / PACKAGE,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(copy: Path, module: str, line: str) -> None:
    path = copy / "src" / PACKAGE / module
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("from __future__ import annotations\n")
    path.write_text(f"{head}from __future__ import annotations\n{line}\n{rest}", encoding="utf-8")


def test_the_package_keeps_its_contracts(copy: Path) -> None:
    result = lint_imports(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # a task reaching an adapter itself, not through the platform
        ("tasks/data.py", "from ..adapters import tracking", "Tasks reach the adapters only"),
        # the domain reaching up into the adapters
        ("training.py", "from .adapters import registry", "Layers:"),
        # configuration reaching up into the domain
        ("config.py", "from . import gate", "Layers:"),
    ],
)
def test_an_import_against_the_layers_breaks_a_contract(
    copy: Path, module: str, line: str, broken: str
) -> None:
    plant(copy, module, line)
    result = lint_imports(copy)
    assert result.returncode != 0
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout, result.stdout
    imported = line.split()[-1]
    assert f"-> {PACKAGE}." in result.stdout and imported in result.stdout


def test_a_new_module_must_be_placed_in_a_layer(copy: Path) -> None:
    (copy / "src" / PACKAGE / "helpers.py").write_text('"""Unplaced."""\n', encoding="utf-8")
    result = lint_imports(copy)
    assert result.returncode != 0
    assert f"{PACKAGE}.helpers" in result.stdout + result.stderr


def test_what_python_workers_load_to_score_stays_light() -> None:
    """A single-node model scores in Python workers (scoring.score's pandas UDF), each of which
    imports the scoring module: plotting, the feature selection and MLflow stay out of it."""
    heavy = ["matplotlib", "mlflow", "sklearn", f"{PACKAGE}.selection", f"{PACKAGE}.evaluation"]
    probe = f"import sys, {PACKAGE}.scoring; print([m for m in {heavy!r} if m in sys.modules])"
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "[]", f"the scoring module imports {found}"
