"""The command line: errors reported in one place with their own exit codes, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import cli, commands, jobs, pipeline
from {{ cookiecutter.package_name }}.cli import main


def test_unknown_environment_exits_2_with_a_message(conf_dir: Path, capsys) -> None:
    assert main(["train", "--env", "qa", "--conf-dir", str(conf_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("configuration error (1), nothing more was done:")
    assert "no such environment 'qa'" in err
    assert "Traceback" not in err


def test_data_errors_exit_3(conf_dir: Path, capsys, monkeypatch) -> None:
    from {{ cookiecutter.package_name }}.errors import DataError

    def bad_data(platform) -> None:
        raise DataError(["events.csv (events): column 'event_date': 2 values are not date"])

    monkeypatch.setitem(pipeline.STEPS, "ingest", bad_data)
    assert main(["ingest", "--conf-dir", str(conf_dir)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("data error (1), nothing more was done:")
    assert "events.csv (events): column 'event_date'" in err


@pytest.mark.parametrize("env", ["../project", "envs/local", "/etc/hosts", "local.yml", " ", ""])
def test_an_environment_is_a_name_not_a_path(conf_dir: Path, capsys, env: str) -> None:
    assert main(["train", "--env", env, "--conf-dir", str(conf_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("configuration error (1), nothing more was done:")
    assert f"environment {env!r} is not a name" in err and "not a path" in err
    assert "environments: ci, dev, local, prod, staging" in err
    assert "Traceback" not in err
    assert not (conf_dir.parent / ".local").exists()


def test_a_configuration_folder_that_is_not_one_is_named(conf_dir: Path, capsys) -> None:
    assert main(["train", "--conf-dir", str(conf_dir / "project.yml")]) == 2
    err = capsys.readouterr().err
    assert "project.yml: is a file, not a folder (the configuration folder)" in err
    missing = conf_dir.parent / "elsewhere"
    assert main(["train", "--conf-dir", str(conf_dir), "--data-dir", str(missing)]) == 2
    assert f"{missing}: no such folder (the folder of data.yml)" in capsys.readouterr().err


def test_a_score_date_is_parsed_once_for_the_command_and_the_job_task(
    conf_dir: Path, capsys, monkeypatch
) -> None:
    seen = []
    monkeypatch.setitem(
        pipeline.STEPS, "infer", lambda p: seen.append(p.settings.inference.score_date)
    )
    assert main(["infer", "--conf-dir", str(conf_dir), "--score-date", "2025-06-30"]) == 0
    assert str(seen.pop()) == "2025-06-30"
    assert main(["infer", "--conf-dir", str(conf_dir), "--score-date", "30/06/2025"]) == 2
    err = capsys.readouterr().err
    assert "--score-date: '30/06/2025' is not a date; use YYYY-MM-DD" in err
    assert "Traceback" not in err and seen == []
    jobs.run_task("infer", "local", conf_dir, score_date=" 2025-07-01 ")
    assert str(seen.pop()) == "2025-07-01"


def test_run_means_every_step_in_order(conf_dir: Path, monkeypatch) -> None:
    # the Spark ML ranges are asked of the JVM before a run that trains: no Spark here
    monkeypatch.setattr(pipeline, "spark_space_problems", lambda settings, spark: [])
    monkeypatch.setattr(pipeline.Platform, "spark", None)
    done = []
    for name in pipeline.STEPS:
        monkeypatch.setitem(pipeline.STEPS, name, lambda platform, name=name: done.append(name))
    assert main(["run", "--conf-dir", str(conf_dir)]) == 0
    assert done == [
        "ingest",
        "validate-data",
        "features",
        "train",
        "validate",
        "deploy",
        "infer",
        "deliver",
    ]


def test_isolated_runs_each_step_in_its_own_process_and_stops_at_a_failure(
    conf_dir: Path, monkeypatch
) -> None:
    commands = []

    def process(command, check):
        commands.append(command)
        return subprocess.CompletedProcess(command, 3 if command[3] == "features" else 0)

    monkeypatch.setattr(cli.subprocess, "run", process)
    argv = ["run", "--isolated", "--env", "local", "--conf-dir", str(conf_dir)]
    assert main(argv) == 3  # the failing step's own exit code
    assert [c[3] for c in commands] == ["ingest", "validate-data", "features"]
    assert commands[0] == [
        sys.executable,
        "-m",
        "{{ cookiecutter.package_name }}",
        "ingest",
        "--env",
        "local",
        "--conf-dir",
        str(conf_dir),
    ]


def test_isolated_checks_the_whole_configuration_before_any_process(
    conf_dir: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(cli.subprocess, "run", lambda *a, **k: pytest.fail("a process started"))
    (conf_dir / "feature_selection_config.yml").write_text("include_groups: [nope]\n")
    assert main(["run", "--isolated", "--conf-dir", str(conf_dir)]) == 2
    assert "unknown group 'nope'" in capsys.readouterr().err


def test_the_parser_names_every_step_and_command_of_the_pipeline() -> None:
    # one list (commands.py) names them for the parser, the pipeline and the job tasks
    choices = next(a.choices for a in cli.build_parser()._actions if a.dest == "step")
    assert choices == [*pipeline.STEPS, *pipeline.OTHER_COMMANDS, "run", "ui"]
    assert tuple(pipeline.STEPS) == commands.STEPS
    assert set(jobs.TASKS.values()) == {*pipeline.STEPS, "rollback"}


def test_a_broken_configuration_is_reported_before_spark_or_mlflow_is_imported(
    conf_dir: Path,
) -> None:
    (conf_dir / "envs" / "local.yml").write_text("spark: [unclosed\n")
    script = (
        "import sys; from {{ cookiecutter.package_name }}.cli import main; "
        f"code = main(['run', '--conf-dir', {str(conf_dir)!r}]); "
        "heavy = [m for m in ('pyspark', 'mlflow', 'sklearn') if m in sys.modules]; "
        "print(code, heavy)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "2 []", done.stdout + done.stderr
    assert "invalid YAML" in done.stderr


def test_unknown_step_is_refused(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["trian"])
    assert caught.value.code == 2
    assert "invalid choice: 'trian'" in capsys.readouterr().err
