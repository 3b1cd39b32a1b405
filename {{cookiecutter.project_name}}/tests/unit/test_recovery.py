"""Crashes that need no Spark: `deploy` stopped past its commit point, MLflow runs left RUNNING
by a killed process, and staged files of a delivery. Each crash is injected at a named point
(faults.py): in this process by raising, or in a child process by ending it there with
os._exit, as a kill would, never by timing a kill."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import mlflow
import pytest

from {{ cookiecutter.package_name }} import faults
from {{ cookiecutter.package_name }}.adapters import files, tracking
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.context import Platform
from {{ cookiecutter.package_name }}.pipeline import preflight
from {{ cookiecutter.package_name }}.tasks.model import deploy

from conftest import PROJECT_ROOT


class Crash(BaseException):
    """A crash: not an Exception, so no `except Exception` cleans up after it."""


def crash_at(point: str):
    def hook(name: str, **where) -> None:
        if name == point:
            raise Crash(name)

    return hook


def run_killed_at(point: str, code: str, *args: str) -> subprocess.CompletedProcess:
    """``code`` in a child process (``args`` in its sys.argv) that ends itself at ``point``
    with os._exit: no cleanup runs, as after a kill."""
    script = textwrap.dedent(
        """
        import os, sys
        from pathlib import Path
        from {{ cookiecutter.package_name }} import faults
        point = sys.argv.pop(1)
        faults.hook = lambda name, **where: os._exit(137) if name == point else None
        """
    ) + textwrap.dedent(code)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-c", script, point, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture
def p(conf_dir: Path) -> Platform:
    settings = load_settings("local", conf_dir)
    platform = Platform(settings, preflight(settings))
    _ = platform.tracking  # points MLflow at the project's stores
    mlflow.MlflowClient().create_registered_model(settings.registry.model_name)
    return platform


def challenger(p: Platform, against: str = "none") -> str:
    """A new version aliased @challenger, tagged as `validate` tags one it would promote."""
    name = p.settings.registry.model_name
    version = str(
        mlflow.MlflowClient().create_model_version(name, source="file:///nowhere").version
    )
    p.registry.set_alias(name, "challenger", version)
    p.registry.tag_version(
        name,
        version,
        {
            "gate.decision": "PROMOTE",
            "gate.champion_version": against,
            "gate.reasons": "roc_auc 0.8 >= floor 0.7",
            "gate.run_id": f"validate-run-of-{version}",
        },
    )
    return version


def aliases(p: Platform) -> dict[str, str | None]:
    name = p.settings.registry.model_name
    return {
        a: p.registry.alias_version(name, a)
        for a in ("champion", "previous_champion", "challenger")
    }


def deploy_runs(p: Platform) -> list:
    return mlflow.MlflowClient().search_runs(
        [p.tracking.experiment_id], "tags.step = 'deploy'", order_by=["start_time DESC"]
    )


def deploy_again(conf_dir: Path, capsys) -> tuple[int, str]:
    """`deploy` through the command line, in a new Platform as a new process would have."""
    capsys.readouterr()
    code = main(["deploy", "--env", "local", "--conf-dir", str(conf_dir)])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out + out.err


@pytest.mark.parametrize("point", ["deploy:champion-moved", "deploy:challenger-cleared"])
def test_deploy_run_again_after_its_commit_point_says_it_is_promoted_and_exits_0(
    p: Platform, conf_dir: Path, monkeypatch, capsys, point: str
) -> None:
    first = challenger(p)
    deploy(p)
    second = challenger(p, against=first)
    monkeypatch.setattr(faults, "hook", crash_at(point))
    with pytest.raises(Crash):
        deploy(p)
    monkeypatch.setattr(faults, "hook", faults._nothing)
    assert aliases(p)["champion"] == second  # past the commit point
    crashed = deploy_runs(p)[0]
    assert crashed.info.status == "FAILED"

    code, out = deploy_again(conf_dir, capsys)
    assert code == 0, out
    name = p.settings.registry.model_name
    assert f"already PROMOTED: {name} version {second} is @champion since deploy run" in out
    assert "run validate again" not in out
    assert aliases(p) == {"champion": second, "previous_champion": first, "challenger": None}
    tags = p.registry.version_tags(name, second)
    assert tags["deployed_by_run"] == crashed.info.run_id
    finishing = deploy_runs(p)[0]
    assert finishing.data.tags["outcome"] == "already promoted"
    assert finishing.data.tags["promoted_by_run"] == crashed.info.run_id
    # Once finished, a further deploy is an ordinary one: nothing to deploy.
    code, out = deploy_again(conf_dir, capsys)
    assert code == 4 and "has no @challenger to deploy" in out


def test_deploy_killed_past_its_commit_point_is_finished_and_its_run_marked_failed(
    p: Platform, conf_dir: Path, capsys
) -> None:
    version = challenger(p)
    child = run_killed_at(
        "deploy:champion-moved",
        """
        from {{ cookiecutter.package_name }}.cli import main
        sys.exit(main(["deploy", "--env", "local", "--conf-dir", sys.argv[1]]))
        """,
        str(conf_dir),
    )
    assert child.returncode == 137, child.stderr
    killed = deploy_runs(p)[0]
    assert killed.info.status == "RUNNING"  # nobody ended it
    assert killed.data.tags[tracking.PID_TAG] != str(os.getpid())

    code, out = deploy_again(conf_dir, capsys)
    assert code == 0, out
    assert f"MLflow run {killed.info.run_id} (deploy) was left RUNNING by process" in out
    assert "which has ended: marked FAILED" in out
    assert "already PROMOTED" in out
    killed = mlflow.MlflowClient().get_run(killed.info.run_id)
    assert (
        killed.info.status == "FAILED"
        and "ended during the run" in killed.data.tags["mlops.failed"]
    )
    assert aliases(p) == {"champion": version, "previous_champion": None, "challenger": None}


def test_a_new_challenger_after_an_unfinished_promotion_is_deployed_too(
    p: Platform, monkeypatch, capsys
) -> None:
    first = challenger(p)
    monkeypatch.setattr(faults, "hook", crash_at("deploy:challenger-cleared"))
    with pytest.raises(Crash):
        deploy(p)
    monkeypatch.setattr(faults, "hook", faults._nothing)
    second = challenger(p, against=first)  # trained and validated before deploy ran again
    deploy(p)
    out = capsys.readouterr().out
    assert (
        "already PROMOTED" in out
        and f"PROMOTED: {p.settings.registry.model_name} version {second}" in out
    )
    assert aliases(p) == {"champion": second, "previous_champion": first, "challenger": None}


def test_a_crash_before_the_commit_point_leaves_an_ordinary_deploy(
    p: Platform, monkeypatch
) -> None:
    first = challenger(p)
    deploy(p)
    second = challenger(p, against=first)
    real = p.registry.set_alias

    def crash_on_champion(name: str, alias: str, version: str) -> None:
        if alias == "champion":
            raise Crash(alias)
        real(name, alias, version)

    monkeypatch.setattr(p.registry, "set_alias", crash_on_champion)
    with pytest.raises(Crash):
        deploy(p)
    monkeypatch.setattr(p.registry, "set_alias", real)
    assert aliases(p)["champion"] == first
    deploy(p)  # the decision still stands against the same champion
    assert aliases(p) == {"champion": second, "previous_champion": first, "challenger": None}


def test_runs_left_running_by_a_dead_process_are_marked_failed_and_no_others(
    p: Platform, conf_dir: Path, capsys
) -> None:
    experiment = p.tracking.experiment_id
    child = run_killed_at(
        "test:inside-the-run",
        """
        from {{ cookiecutter.package_name }}.adapters.tracking import Tracking
        from {{ cookiecutter.package_name }}.config import load_settings
        settings = load_settings("local", Path(sys.argv[1]))
        with Tracking(settings.tracking, settings.root).start_run("infer", dict(step="infer")):
            faults.point("test:inside-the-run")
        """,
        str(conf_dir),
    )
    assert child.returncode == 137, child.stderr
    client = mlflow.MlflowClient()
    [orphan] = client.search_runs([experiment], "tags.step = 'infer'")
    assert orphan.info.status == "RUNNING"
    elsewhere = client.create_run(
        experiment, tags={tracking.HOST_TAG: "another-host", tracking.PID_TAG: "1"}
    )
    with p.tracking.start_run("alive", {"step": "alive"}) as alive:  # this process
        lines = p.tracking.fail_orphan_runs()
    assert lines == [
        f"MLflow run {orphan.info.run_id} (infer) was left RUNNING by process "
        f"{orphan.data.tags[tracking.PID_TAG]}, which has ended: marked FAILED"
    ]
    assert client.get_run(orphan.info.run_id).info.status == "FAILED"
    assert client.get_run(alive.id).info.status == "FINISHED"  # ended by its own with
    assert client.get_run(elsewhere.info.run_id).info.status == "RUNNING"  # cannot be judged


def dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


def test_staged_files_are_committed_all_or_recovered(tmp_path: Path) -> None:
    csv, report = tmp_path / "list.csv", tmp_path / "list_report.json"
    csv.write_text("old")
    staged = files.stage({csv: b"new", report: b"{}"})
    assert csv.read_text() == "old" and not report.exists()  # nothing final touched
    assert all(Path(s).name.startswith(".") and s.endswith(".partial") for s in staged.values())
    # The commit was recorded (in a table's metadata) but the process died before moving them.
    finished, removed = files.recover(tmp_path, staged)
    assert sorted(finished) == [csv, report] and removed == []
    assert csv.read_text() == "new" and report.read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.csv", "list_report.json"]

    mine = files.stage({csv: b"newer"})  # a live writer's, not committed yet
    theirs = files.stage({csv: b"lost"})  # staged by a process that then died
    [path] = theirs.values()
    dead = Path(path.replace(f".{os.getpid()}.", f".{dead_pid()}."))
    os.rename(path, dead)
    finished, removed = files.recover(tmp_path, {})
    assert finished == [] and removed == [dead]
    assert Path(next(iter(mine.values()))).exists() and csv.read_text() == "new"
