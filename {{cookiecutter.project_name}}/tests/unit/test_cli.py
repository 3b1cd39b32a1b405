"""The command line reports configuration errors in one place, without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main


def test_unknown_environment_exits_2_with_a_message(conf_dir: Path, capsys) -> None:
    assert main(["check", "--env", "qa", "--conf-dir", str(conf_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("configuration error (1):")
    assert "no such environment 'qa'" in err
    assert "Traceback" not in err


def test_bad_selection_stops_before_spark_starts(conf_dir: Path, capsys) -> None:
    (conf_dir / "feature_selection_config.yml").write_text("include_groups: [nope]\n")
    assert main(["run", "--conf-dir", str(conf_dir)]) == 2
    captured = capsys.readouterr()
    assert "unknown group 'nope'" in captured.err
    assert "spark" not in captured.out


def test_unknown_step_is_refused(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["trian"])
    assert caught.value.code == 2
    assert "invalid choice: 'trian'" in capsys.readouterr().err
