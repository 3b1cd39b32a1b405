"""Projects made with cruft can take template updates: check sees them, update brings them in."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from conftest import REPO, run

GIT = ["git", "-c", "user.name=template-tests", "-c", "user.email=tests@example.com"]
NOT_TEMPLATE = shutil.ignore_patterns(".git", ".venv", "build", "__pycache__", ".*_cache")


def commit(repo: Path, message: str) -> None:
    for command in (["add", "-A"], ["commit", "-q", "-m", message]):
        result = run([*GIT, *command], cwd=repo)
        assert result.returncode == 0, result.stdout


def cruft(*args: str, cwd: Path):
    return run([sys.executable, "-m", "cruft", *args], cwd=cwd)


def test_cruft_create_check_update(tmp_path: Path) -> None:
    template = tmp_path / "template"
    shutil.copytree(REPO, template, ignore=NOT_TEMPLATE)
    run(["git", "init", "-q"], cwd=template)
    commit(template, "template")

    result = cruft(
        "create", "--no-input", "--output-dir", str(tmp_path / "out"), str(template), cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout
    project = tmp_path / "out" / "admission-risk"
    assert (project / ".cruft.json").is_file()
    run(["git", "init", "-q"], cwd=project)
    commit(project, "generated")
    assert cruft("check", cwd=project).returncode == 0

    readme = template / "{{cookiecutter.project_name}}" / "README.md"
    readme.write_text(readme.read_text() + "\nA line the template gained later.\n")
    prompts = template / "cookiecutter.json"  # a derived value changes too
    prompts.write_text(prompts.read_text().replace("Standard_D4ds_v5", "Standard_D8ds_v5"))
    commit(template, "template change")

    result = cruft("check", cwd=project)
    assert result.returncode == 1, result.stdout
    assert "out of date" in result.stdout
    result = cruft("update", "-y", cwd=project)
    assert result.returncode == 0, result.stdout
    assert "A line the template gained later." in (project / "README.md").read_text()
    assert '"Standard_D8ds_v5"' in (project / "terraform/envs/staging/main.tf").read_text()
    assert cruft("check", cwd=project).returncode == 0
