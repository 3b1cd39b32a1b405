"""The benchmark harness: where it writes, what it refuses, and how it measures a process tree.

The benchmarks themselves are not tests (`make bench`); this checks the parts that decide
whether their figures can be trusted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks import __main__ as bench
from benchmarks.common import SIZES, BenchError, bench_settings, measured, run_sampled, target

from conftest import add_env


def test_settings_are_moved_under_the_bench_folder(conf_dir: Path, tmp_path: Path) -> None:
    from {{ cookiecutter.package_name }}.config import load_settings

    folder = tmp_path / "bench"
    configured = load_settings("local", conf_dir)
    tiny = bench_settings("local", folder, SIZES["tiny"], conf_dir)
    assert tiny.storage.warehouse_dir == folder.resolve() / "warehouse"
    assert tiny.tracking.tracking_uri == f"sqlite:///{folder.resolve() / 'mlflow.db'}"
    assert tiny.tracking.registry_uri == tiny.tracking.tracking_uri
    assert tiny.tracking.artifact_location == (folder.resolve() / "mlartifacts").as_uri()
    assert tiny.delivery.csv_dir == folder.resolve() / "delivery"
    assert (tiny.ingest.synthetic.members, tiny.training.max_evals) == (3_000, 2)
    assert tiny.gate.floors == {}
    default = bench_settings("local", folder, SIZES["default"], conf_dir)
    assert default.ingest.synthetic.members == configured.ingest.synthetic.members
    assert default.training.max_evals == configured.training.max_evals
    assert default.gate == configured.gate
    assert default.features == configured.features  # the same mappings, selection and table


def test_a_cloud_environment_is_refused_by_name(conf_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(BenchError, match=r"conf/envs/staging\.yml: the benchmarks run on this"):
        bench_settings("staging", tmp_path, SIZES["tiny"], conf_dir)
    add_env(conf_dir, "uc", {"features": {"store": "databricks"}})
    with pytest.raises(BenchError, match=r"conf/envs/uc\.yml: features\.store must be 'tables'"):
        bench_settings("uc", tmp_path, SIZES["tiny"], conf_dir)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--cases", "pipeline,tunning"],
            "--cases: unknown tunning; choose from pipeline, inference",
        ),
        (["--repeat", "2"], "--repeat 2: a median needs at least 3 runs"),
        (["--env", "staging"], "conf/envs/staging.yml: the benchmarks run on this machine"),
    ],
)
def test_bad_arguments_stop_before_anything_runs(args, message, tmp_path: Path, capsys) -> None:
    out = tmp_path / "bench.json"
    assert bench.main([*args, "--out", str(out)]) in (1, 2)
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()


def test_the_peak_counts_every_process_of_the_tree(tmp_path: Path) -> None:
    hold = "import time; b = b'x' * ({mib} * 2**20); time.sleep(1.5)"
    child = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {hold.format(mib=300)!r}]).wait()"
    parent = f"import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', {child!r}]); {hold.format(mib=200)}; p.wait()"
    seconds, peak = run_sampled([sys.executable, "-c", parent], tmp_path, tmp_path / "log")
    assert seconds >= 1.5
    assert peak >= 500 * 2**20  # the grandchild's 300 MiB and the parent's 200 MiB, together


def test_a_failing_process_raises_with_the_end_of_its_output(tmp_path: Path) -> None:
    script = "import sys; print('step one'); print('the real reason'); sys.exit(3)"
    with pytest.raises(BenchError, match=r"exited 3 \(log: .*\):\nstep one\nthe real reason"):
        run_sampled([sys.executable, "-c", script], tmp_path, tmp_path / "log")


def test_figures_are_medians_and_targets_say_whether_they_are_met() -> None:
    assert measured([3.0, 1.0, 10.0]) == {"median": 3.0, "runs": [3.0, 1.0, 10.0]}
    assert target("wall_seconds", 181.0, "<=", 180)["met"] is False
    assert target("wall_seconds", 180.0, "<=", 180)["met"] is True
    assert target("speedup", 1.49, ">=", 1.5)["met"] is False
