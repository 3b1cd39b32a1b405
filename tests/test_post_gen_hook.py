"""The post-generation hook: every entry of its removal table real, nothing else removed, and
the project's tests given their own copy of the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CHOICES, TEMPLATE_DIR, load_hook

hook = load_hook("post_gen_project")


@pytest.mark.parametrize("pattern", list(hook.ONLY_FOR))
def test_every_entry_names_files_the_template_has(pattern: str) -> None:
    assert list(TEMPLATE_DIR.glob(pattern)), f"{pattern} matches nothing in the template"


def kept_for(keep_when: str | tuple[str, ...]) -> tuple[str, ...]:
    return keep_when if isinstance(keep_when, tuple) else (keep_when,)


ENTRIES = sorted(
    {(prompt, answer) for prompt, keep in hook.ONLY_FOR.values() for answer in kept_for(keep)}
)


@pytest.mark.parametrize(("prompt", "answer"), ENTRIES)
def test_every_entry_names_a_real_choice(prompt: str, answer: str) -> None:
    assert answer in CHOICES[prompt]


def test_each_choice_of_a_pruned_prompt_keeps_something() -> None:
    """A prompt the table prunes by must keep some file for each of its answers."""
    for prompt in {p for p, _ in hook.ONLY_FOR.values()}:
        kept_by = {answer for p, answer in ENTRIES if p == prompt}
        assert kept_by == set(CHOICES[prompt]), prompt


def test_removes_exactly_the_unchosen_paths(tmp_path) -> None:
    for relative in [
        ".azure-pipelines/ci.yml",
        ".github/workflows/ci.yml",
        "terraform/envs/staging/backend_azurerm.tf",
        "terraform/envs/staging/backend_s3.tf",
        "terraform/envs/prod/backend_s3.tf",
        "terraform/envs/prod/main.tf",
        "terraform/modules/ml_jobs/model_unity_catalog.tf",
        "terraform/modules/ml_jobs/model_workspace.tf",
        "tools/cloud_credentials.py",
        "README.md",
    ]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    answers = {"cicd_platform": "github_actions", "cloud": "aws", "model_registry": "workspace"}
    hook.remove(hook.paths_to_remove(tmp_path, answers))
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == [
        ".github/workflows/ci.yml",
        "README.md",
        "terraform/envs/prod/backend_s3.tf",
        "terraform/envs/prod/main.tf",
        "terraform/envs/staging/backend_s3.tf",
        "terraform/modules/ml_jobs/model_workspace.tf",
        "tools/cloud_credentials.py",  # kept for aws and gcp alike
    ]


def test_placeholders_left_to_fill_are_listed() -> None:
    todo = hook.still_to_fill(
        {
            "staging_workspace_host": "https://adb-1.1.azuredatabricks.net",
            "prod_workspace_host": "",
            "notification_email": "team@example.com",
            "cloud": "azure",
        }
    )
    assert len(todo) == 2
    assert todo[0].startswith("prod_workspace_host is empty")
    assert "notification_email" in todo[1]


def test_a_cloud_other_than_azure_is_reminded_of_the_pipeline_sign_in() -> None:
    answers = {
        "staging_workspace_host": "https://dbc-1.cloud.databricks.com",
        "prod_workspace_host": "https://dbc-2.cloud.databricks.com",
        "notification_email": "team@hospital.org",
    }
    assert hook.still_to_fill(answers | {"cloud": "azure"}) == []
    [todo] = hook.still_to_fill(answers | {"cloud": "aws"})
    assert todo.startswith("cloud is aws: the pipelines sign in with OIDC tokens")
    assert 'cloud = "aws"' in todo and "state bucket" in todo


def test_the_projects_tests_get_their_own_copy_of_the_conf_as_generated(
    default_project: Path,
) -> None:
    """tests/example_conf is conf/ as generated, file for file: the team changes conf/, the
    project's tests keep reading the copy."""
    conf, copy = default_project / "conf", default_project / "tests" / "example_conf"
    files = sorted(p.relative_to(conf) for p in conf.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file())
    assert "data.yml" in {f.name for f in files}
    for name in files:
        assert (conf / name).read_bytes() == (copy / name).read_bytes(), name
