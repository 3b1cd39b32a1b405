"""Lineage of the code: the commit and whether the tree had uncommitted changes; staging and
prod run committed code only."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.adapters.tracking import (
    GitError,
    git_output,
    git_state,
)
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.pipeline import preflight

from conftest import add_env


def git(root: Path, *args: str) -> str:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    done = subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True)
    return done.stdout.decode().strip()


@pytest.fixture
def repository(conf_dir: Path, monkeypatch) -> Path:
    """The copied conf as a committed git repository (and no GIT_COMMIT from outside)."""
    monkeypatch.delenv("GIT_COMMIT", raising=False)
    root = conf_dir.parent
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "conf")
    return root


def test_a_clean_tree_a_dirty_one_and_no_repository(repository: Path, tmp_path_factory) -> None:
    head = git(repository, "rev-parse", "HEAD")
    assert git_state(repository) == (head, "false")
    (repository / "conf" / "feature_selection_config.yml").write_text("include_groups: all\n")
    assert git_state(repository) == (head, "true")
    elsewhere = tmp_path_factory.mktemp("no-repository")
    assert git_state(elsewhere) == ("unknown", "unknown")


def test_a_commit_given_by_the_job_is_clean_by_definition(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GIT_COMMIT", "0123abc")
    assert git_state(tmp_path) == ("0123abc", "false")


def test_an_environment_that_requires_committed_code_refuses_a_dirty_tree(
    repository: Path, capsys
) -> None:
    conf = repository / "conf"
    add_env(conf, "guarded", {"tracking": {"require_clean_git": True}})
    git(repository, "add", "-A")
    git(repository, "commit", "-qm", "guarded")
    preflight(load_settings("guarded", conf))  # clean: accepted
    (repository / "notes.txt").write_text("uncommitted\n")
    assert main(["train", "--env", "guarded", "--conf-dir", str(conf)]) == 2
    err = capsys.readouterr().err
    assert (
        "guarded.yml: tracking.require_clean_git: the working tree has uncommitted changes" in err
    )
    assert "notes.txt" in err and "guarded runs committed code only" in err
    preflight(load_settings("local", conf))  # other environments record the state and go on


def test_staging_and_prod_require_committed_code(conf_dir: Path) -> None:
    assert load_settings("staging", conf_dir).tracking.require_clean_git
    assert load_settings("prod", conf_dir).tracking.require_clean_git
    assert not load_settings("dev", conf_dir, developer="ada").tracking.require_clean_git


def test_one_git_helper_keeps_output_as_printed_and_names_a_refusal(
    repository: Path, tmp_path_factory
) -> None:
    (repository / "conf" / "project.yml").write_text("changed: true\n")
    assert git_output(repository, "status", "--porcelain").startswith(" M conf/project.yml")
    outside = tmp_path_factory.mktemp("not-a-repository")  # beside the repository, not in it
    with pytest.raises(GitError, match=r"^git rev-parse HEAD: fatal: not a git repository"):
        git_output(outside, "rev-parse", "HEAD")
