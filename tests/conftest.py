"""Shared helpers: generating projects from this template, and running commands in them."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from cookiecutter.main import cookiecutter

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = REPO / "{{cookiecutter.project_name}}"
PROMPTS: dict = json.loads((REPO / "cookiecutter.json").read_text())
CHOICES: dict[str, list[str]] = {
    k: v for k, v in PROMPTS.items() if isinstance(v, list) and not k.startswith("_")
}

Bake = Callable[..., Path]

# The generated projects' report test must run here, not be skipped: `make test` installs the
# browser it needs (see the Makefile's `browser`).
os.environ.setdefault("REPORT_BROWSER_REQUIRED", "1")


def load_hook(name: str) -> ModuleType:
    """A hook script imported as a module, unrendered: its checks are plain functions."""
    spec = importlib.util.spec_from_file_location(name, REPO / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def cookiecutter_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cookiecutter user config that keeps replay files out of the home folder."""
    root = tmp_path_factory.mktemp("cookiecutter-home")
    config = root / "config.yaml"
    config.write_text(f"replay_dir: {root / 'replay'}\ncookiecutters_dir: {root / 'templates'}\n")
    return config


@pytest.fixture(scope="session")
def bake(cookiecutter_config: Path) -> Bake:
    """Generate a project with no prompts: ``bake(output_dir, **answers)`` returns its folder."""

    def _bake(output_dir: Path, **answers: str) -> Path:
        return Path(
            cookiecutter(
                str(REPO),
                no_input=True,
                extra_context=answers,
                output_dir=str(output_dir),
                config_file=str(cookiecutter_config),
            )
        )

    return _bake


@pytest.fixture(scope="session")
def default_project(bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project `cookiecutter --no-input` makes, generated once per test run."""
    return bake(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="session")
def projects(bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """One generated project per option set of combinations.OPTION_SETS, made once per run."""
    from combinations import OPTION_SETS

    root = tmp_path_factory.mktemp("combinations")
    return [bake(root / str(i), **answers) for i, answers in enumerate(OPTION_SETS)]


CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"


def checkov_reports(folders: list[Path], framework: str = "terraform") -> list[dict]:
    """checkov's JSON report on each folder, in order (offline, no platform calls)."""
    assert CHECKOV.exists(), f"{CHECKOV} is missing: `make test` installs it"
    args = [str(CHECKOV), *(arg for folder in folders for arg in ("-d", str(folder)))]
    result = subprocess.run(
        [*args, "--framework", framework, "-o", "json", "--compact"],
        cwd=REPO,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        timeout=900,
        check=False,
    )
    decoder, reports, position = json.JSONDecoder(), [], 0
    while result.stdout[position:].strip():  # one JSON document per folder
        position += len(result.stdout[position:]) - len(result.stdout[position:].lstrip())
        report, position = decoder.raw_decode(result.stdout, position)
        reports.append(report)
    assert len(reports) == len(folders), result.stdout[-2000:]
    return reports


def schema_errors(files: list[Path], schema: str | Path) -> str:
    """check-jsonschema's report on ``files`` ('' when every file is valid) against a built-in
    schema (its name) or a schema file (its path)."""
    if isinstance(schema, Path):
        chosen = ["--schemafile", str(schema)]
    else:
        chosen = ["--builtin-schema", schema]
        if schema == "vendor.azure-pipelines":
            chosen += ["--regex-variant", "nonunicode"]
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *chosen, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if result.returncode == 0 else result.stdout + result.stderr


def clean_env() -> dict[str, str]:
    """This process's environment without the template's virtualenv or make's state in it."""
    drop = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def run(args: list[str], cwd: Path, timeout: float = 1800, **kwargs) -> subprocess.CompletedProcess:
    """Run a command, capturing text output (stderr folded into stdout unless given)."""
    kwargs.setdefault("stderr", subprocess.STDOUT)
    return subprocess.run(
        args, cwd=cwd, stdout=subprocess.PIPE, text=True, timeout=timeout, check=False, **kwargs
    )


def tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])
