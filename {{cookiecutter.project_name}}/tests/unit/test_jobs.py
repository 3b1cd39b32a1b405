"""The Databricks notebooks (classic compute) and the task script (serverless) are shells: each
notebook declares its widgets and calls ``run_task`` once; the script passes its arguments.

The notebooks are executed here as Databricks runs them (from notebooks/, with a ``dbutils``
holding the task's parameters), the script as a Python-script task runs it (from any folder,
with its arguments); ``run_task`` is then tested on its own.
"""

from __future__ import annotations

import runpy
import sys
from datetime import date
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import jobs, pipeline
from {{ cookiecutter.package_name }}.errors import ConfigError

from conftest import add_env

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.py"))
SCRIPT = PROJECT_ROOT / "jobs" / "run_task.py"
DATED = {"infer", "deliver"}  # the tasks that take a score_date


class Widgets:
    """``dbutils.widgets`` as a job task sees it: declared widgets, values from the job."""

    def __init__(self, values: dict[str, str]):
        self.values, self.declared = values, []

    def text(self, name: str, default: str, label: str | None = None) -> None:
        self.declared.append(name)

    def get(self, name: str) -> str:
        assert name in self.declared, f"widget {name!r} read before it was declared"
        return self.values[name]


class DbUtils:
    def __init__(self, values: dict[str, str]):
        self.widgets = Widgets(values)


def test_one_notebook_per_task() -> None:
    assert [path.stem for path in NOTEBOOKS] == sorted(jobs.TASKS)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_passes_its_widgets_to_run_task(notebook: Path, monkeypatch) -> None:
    source = notebook.read_text()
    assert source.startswith("# Databricks notebook source\n")
    calls = []
    monkeypatch.setattr(jobs, "run_task", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(notebook.parent)  # a job runs a notebook in its own folder
    values = {"env": "dev", "developer": "ada", "score_date": "2025-06-30"}
    dbutils = DbUtils(values)

    exec(compile(source, str(notebook), "exec"), {"dbutils": dbutils, "__name__": "__main__"})

    expected = {"env", "developer"} | ({"score_date"} if notebook.stem in DATED else set())
    assert set(dbutils.widgets.declared) == expected
    assert sys.path[0] == str(PROJECT_ROOT / "src")
    [(args, kwargs)] = calls
    assert args == (notebook.stem,)
    assert kwargs.pop("env") == "dev"
    assert kwargs.pop("developer") == "ada"
    assert (notebook.parent / kwargs.pop("conf_dir")).resolve() == PROJECT_ROOT / "conf"
    assert kwargs == ({"score_date": "2025-06-30"} if notebook.stem in DATED else {})


def run_script(args: list[str], monkeypatch, folder: Path) -> list:
    calls = []
    monkeypatch.setattr(jobs, "run_task", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *args])
    monkeypatch.chdir(folder)  # serverless: the working directory is not the repository's
    runpy.run_path(str(SCRIPT), run_name="__main__")
    return calls


@pytest.mark.parametrize("task", sorted(jobs.TASKS))
def test_the_task_script_passes_its_arguments_to_run_task(
    task: str, monkeypatch, tmp_path: Path
) -> None:
    dated = ["--score-date", "2025-06-30"] if task in DATED else []
    # as the jobs pass them: --developer empty in staging and prod, a name in a dev deployment
    for developer in ("", "ada"):
        argv = [task, "--env", "staging", "--developer", developer, *dated]
        [(args, kwargs)] = run_script(argv, monkeypatch, tmp_path)
        assert sys.path[0] == str(PROJECT_ROOT / "src")
        assert args == (task,)
        assert kwargs == {
            "env": "staging",
            "conf_dir": PROJECT_ROOT / "conf",
            "score_date": "2025-06-30" if dated else "",
            "developer": developer,
        }


def test_the_task_script_needs_an_environment(monkeypatch, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        run_script(["train"], monkeypatch, tmp_path)
    assert stopped.value.code == 2
    assert "--env" in capsys.readouterr().err


@pytest.fixture
def ran(monkeypatch) -> list:
    calls = []
    monkeypatch.setattr(pipeline, "run", lambda settings, steps: calls.append((settings, steps)))
    return calls


def test_run_task_runs_the_step_of_its_task(conf_dir: Path, ran: list) -> None:
    jobs.run_task("validate_data", "local", conf_dir)
    [(settings, steps)] = ran
    assert steps == ["validate-data"]
    assert settings.env == "local"
    assert settings.inference.score_date is None


def test_run_task_runs_in_the_developers_namespace(conf_dir: Path, ran: list) -> None:
    add_env(conf_dir, "mine", {"storage": {"schema_name": "tables_${developer}"}})
    jobs.run_task("train", "mine", conf_dir, developer=" ada ")
    [(settings, _)] = ran
    assert (settings.developer, settings.storage.schema_name) == ("ada", "tables_ada")
    with pytest.raises(ConfigError, match="environment 'mine' is per developer"):
        jobs.run_task("train", "mine", conf_dir)  # a job without its --developer runs nothing
    assert len(ran) == 1


def test_run_task_scores_the_given_date(conf_dir: Path, ran: list) -> None:
    jobs.run_task("infer", " local ", conf_dir, score_date="2025-06-30")
    [(settings, steps)] = ran
    assert steps == ["infer"]
    assert settings.inference.score_date == date(2025, 6, 30)


@pytest.mark.parametrize(
    ("task", "env", "score_date", "message"),
    [
        ("score", "local", "", "task 'score': no such step; tasks: ingest, validate_data"),
        ("train", "  ", "", "widget env is empty"),
        ("infer", "local", "30/06/2025", "widget score_date: '30/06/2025' is not a date"),
        ("train", "qa", "", "no such environment 'qa'"),
    ],
)
def test_run_task_refuses_bad_widgets_before_running(
    conf_dir: Path, ran: list, task: str, env: str, score_date: str, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        jobs.run_task(task, env, conf_dir, score_date=score_date)
    assert message in str(error.value)
    assert ran == []
