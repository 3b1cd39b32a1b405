"""An answer holding Jinja is never run: not by cookiecutter, not by cruft create, not by
`cruft update` or `cruft diff` from an edited .cruft.json. It is refused by name instead, and
nothing is written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, load_hook, run
from jinja2 import Environment
from test_cruft import GIT, NOT_TEMPLATE, commit, cruft

guard = load_hook("jinja_guard")
REFUSED = "holds Jinja template syntax"


def payload(marker: Path) -> str:
    """An answer that, rendered by cookiecutter's Jinja, creates ``marker``."""
    return "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"


def cookiecutter_cli(template: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(out), str(template), *args],
        cwd=out.parent,
        stderr=subprocess.PIPE,
    )


def template_copy(tmp_path: Path, guarded: bool = True) -> Path:
    """A git repository holding this template (cruft needs one), with or without the guard."""
    template = tmp_path / "template"
    shutil.copytree(REPO, template, ignore=NOT_TEMPLATE)
    if not guarded:
        context = json.loads((template / "cookiecutter.json").read_text())
        del context["_extensions"]
        (template / "cookiecutter.json").write_text(json.dumps(context, indent=2))
    run(["git", "init", "-q"], cwd=template)
    commit(template, "template")
    return template


def test_without_the_guard_cookiecutter_runs_the_answer(tmp_path: Path) -> None:
    """What the guard is for: the same answer, rendered without it, runs a command."""
    template, marker = template_copy(tmp_path, guarded=False), tmp_path / "ran"
    (tmp_path / "out").mkdir()
    cookiecutter_cli(template, tmp_path / "out", f"description={payload(marker)}")
    assert marker.exists()


@pytest.mark.parametrize("prompt", ["description", "project_name", "read_group", "__node_type"])
def test_cookiecutter_does_not_run_an_answer_and_refuses_it(tmp_path: Path, prompt: str) -> None:
    marker, out = tmp_path / "ran", tmp_path / "out"
    out.mkdir()
    extra = {"package_name": "risk"} if prompt == "project_name" else {}
    args = [f"{k}={v}" for k, v in {**extra, prompt: payload(marker)}.items()]
    result = cookiecutter_cli(REPO, out, *args)
    assert not marker.exists()
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: prompt '{prompt}': {payload(marker)!r} {REFUSED}")
    assert list(out.iterdir()) == []


def test_a_user_config_default_is_not_run_either(tmp_path: Path) -> None:
    marker, out = tmp_path / "ran", tmp_path / "out"
    out.mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(
        json.dumps(
            {
                "default_context": {"description": payload(marker)},
                "replay_dir": str(tmp_path / "replay"),
            }
        )
    )
    result = cookiecutter_cli(REPO, out, "--config-file", str(config))
    assert not marker.exists()
    assert result.returncode == 1
    assert f"error: prompt 'description': {payload(marker)!r} {REFUSED}" in result.stderr
    assert list(out.iterdir()) == []


def test_cruft_create_does_not_run_an_answer(tmp_path: Path) -> None:
    template, marker, out = template_copy(tmp_path), tmp_path / "ran", tmp_path / "out"
    result = cruft(
        "create",
        "--no-input",
        "--output-dir",
        str(out),
        "--extra-context",
        json.dumps({"description": payload(marker)}),
        str(template),
        cwd=tmp_path,
    )
    assert not marker.exists()
    assert result.returncode == 1
    assert f"error: prompt 'description': {payload(marker)!r} {REFUSED}" in result.stdout
    assert not out.exists() or list(out.iterdir()) == []


def make_edited_project(tmp_path: Path, guarded: bool = True) -> tuple[Path, Path, Path]:
    """A project made with cruft whose .cruft.json someone edited to hold a payload (committed,
    so the tree is clean), and a template that has moved on since: (project, template, marker)."""
    template, marker = template_copy(tmp_path, guarded), tmp_path / "ran"
    result = cruft(
        "create", "--no-input", "--output-dir", str(tmp_path / "out"), str(template), cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout
    project = tmp_path / "out" / "admission-risk"
    state = json.loads((project / ".cruft.json").read_text())
    state["context"]["cookiecutter"]["description"] = payload(marker)
    (project / ".cruft.json").write_text(json.dumps(state, indent=2))
    run(["git", "init", "-q"], cwd=project)
    commit(project, "generated, then .cruft.json edited")
    readme = template / "{{cookiecutter.project_name}}" / "README.md"
    readme.write_text(readme.read_text() + "\nA line the template gained later.\n")
    commit(template, "template change")
    return project, template, marker


@pytest.fixture
def edited_project(tmp_path: Path) -> tuple[Path, Path, Path]:
    return make_edited_project(tmp_path)


def test_without_the_guard_cruft_update_runs_an_edited_cruft_json(tmp_path: Path) -> None:
    """The risk that remains for a project made from a template without the guard: its first
    `cruft update` renders that old commit, which runs what .cruft.json holds (docs/prompts.md)."""
    project, _, marker = make_edited_project(tmp_path, guarded=False)
    cruft("update", "-y", cwd=project)
    assert marker.exists()


def tree(project: Path) -> dict[str, str]:
    return {
        str(p.relative_to(project)): p.read_text()
        for p in sorted(project.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(project).parts
    }


@pytest.mark.parametrize("command", [["update", "-y"], ["diff"]])
def test_cruft_update_and_diff_from_an_edited_cruft_json_do_not_run_it(
    edited_project: tuple[Path, Path, Path], command: list[str]
) -> None:
    project, _, marker = edited_project
    before = tree(project)
    result = cruft(*command, cwd=project)
    assert not marker.exists()
    assert result.returncode == 1
    assert f"error: prompt 'description': {payload(marker)!r} {REFUSED}" in result.stdout
    assert tree(project) == before  # .cruft.json included: nothing was updated
    status = run([*GIT, "status", "--porcelain"], cwd=project)
    assert status.stdout == ""


@pytest.mark.parametrize(
    "text",
    [
        "{{ 7 * 7 }}",
        '{% raw %}x{% endraw %}{{ "a" }}',
        "{%- endraw -%}{{ 1 }}",
        "\"'\\ \\U0001f600 😀 \n\t{#",
        "\udcff",
        "",
    ],
)
def test_as_text_renders_the_text_exactly_and_nothing_else(text: str) -> None:
    assert Environment().from_string(guard.as_text(text)).render() == text


def test_the_templates_own_defaults_are_still_rendered() -> None:
    own = guard.own_defaults()
    assert "{{ cookiecutter.project_name | lower | replace('-', '_') }}" in own["package_name"]
    assert all(any("{{" in s for s in own[key]) for key in ("schema_name", "__model_name"))
