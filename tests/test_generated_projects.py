"""Generated projects are green on day one: installed from their own pyproject into a fresh
virtualenv, their own `make test`, `make lint` and `make run` pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Bake, clean_env, run, tail


@pytest.fixture(scope="session")
def installed_default(default_project: Path) -> Path:
    """The default project after its own `make install` made its own .venv."""
    result = run(["make", "install"], cwd=default_project, env=clean_env())
    assert result.returncode == 0, tail(result.stdout)
    return default_project


def test_the_virtualenv_is_fresh_and_isolated(installed_default: Path) -> None:
    config = (installed_default / ".venv" / "pyvenv.cfg").read_text()
    assert re.search(r"include-system-site-packages\s*=\s*false", config)
    python = installed_default / ".venv" / "bin" / "python"
    imports = "import pyspark, mlflow, hyperopt, databricks.sdk, databricks.feature_engineering"
    result = run(
        [str(python), "-c", f"{imports}, yaml, pydantic, sklearn, pytest"], cwd=installed_default
    )
    assert result.returncode == 0, result.stdout
    result = run([str(python), "-m", "pip", "show", "cookiecutter"], cwd=installed_default)
    assert result.returncode != 0, "cookiecutter is not a dependency of generated projects"


def test_default_project_make_test_passes(installed_default: Path) -> None:
    result = run(["make", "test"], cwd=installed_default, env=clean_env())
    assert result.returncode == 0, tail(result.stdout)
    summary = result.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 150, summary
    assert not re.search(r"failed|error|skipped", summary), summary


def test_default_project_make_lint_passes(installed_default: Path) -> None:
    result = run(["make", "lint"], cwd=installed_default, env=clean_env())
    assert result.returncode == 0, tail(result.stdout)
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_default_project_make_run_runs_the_local_pipeline(installed_default: Path) -> None:
    """The README's `make run`: the whole local pipeline at its default size, all eight steps."""
    result = run(["make", "run"], cwd=installed_default, env=clean_env())
    assert result.returncode == 0, tail(result.stdout)
    steps = (
        "ingest",
        "validate-data",
        "features",
        "train",
        "validate",
        "deploy",
        "infer",
        "deliver",
    )
    for step in steps:
        assert re.search(rf"\[{step}\] done in \d+\.\d s", result.stdout), tail(result.stdout)
    auc = re.search(
        r"holdout ROC AUC (0\.\d+); registered (\S+) version 1 as @challenger", result.stdout
    )
    assert auc and float(auc.group(1)) > 0.75, tail(result.stdout)
    assert "PROMOTED" in result.stdout and "Where to look:" in result.stdout
    delivered = re.search(r"1,000 of [\d,]+ members delivered for \S+: (\S+\.csv)", result.stdout)
    assert delivered and Path(delivered.group(1)).is_file(), tail(result.stdout)


def test_another_option_set_passes_its_own_unit_suite(
    installed_default: Path, bake: Bake, tmp_path: Path
) -> None:
    """Options change configuration, not code: the unit suite (every environment's settings,
    the feature files, the CLI) runs here; the integration suite ran for the default project."""
    project = bake(
        tmp_path,
        project_name="claims-cost",
        cloud="aws",
        cicd_platform="github_actions",
        workspace_layout="single_workspace",
        model_registry="workspace",
        databricks_feature_store="no",
        python_version="3.12",
        default_branch="develop",
        release_branch="release/prod",
    )
    python = installed_default / ".venv" / "bin" / "python"
    result = run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit"], cwd=project
    )
    assert result.returncode == 0, tail(result.stdout)
    assert re.search(r"\d+ passed", result.stdout.strip().splitlines()[-1])
