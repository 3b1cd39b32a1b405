"""The template repository itself: prompts, the README's two commands, and its CI entry points."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import CHOICES, PROMPTS, REPO, run, schema_errors
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config


def test_every_prompt_has_human_wording() -> None:
    wording = PROMPTS["__prompts__"]
    visible = [k for k in PROMPTS if not k.startswith("_")]
    assert sorted(wording) == sorted(visible)
    for prompt, values in CHOICES.items():
        assert isinstance(wording[prompt], dict), prompt
        assert set(wording[prompt]) == {"__prompt__", *values}, prompt


@pytest.mark.parametrize(
    ("cloud", "node_type"),
    [("azure", "Standard_D4ds_v5"), ("aws", "m5d.xlarge"), ("gcp", "n2-standard-4")],
)
def test_derived_values_follow_the_answers(cloud: str, node_type: str) -> None:
    context = generate_context(
        str(REPO / "cookiecutter.json"),
        extra_context={
            "cloud": cloud,
            "project_name": "claims-cost",
            "model_registry": "workspace",
        },
    )
    answers = prompt_for_config(context, no_input=True)
    assert answers["__node_type"] == node_type
    assert answers["package_name"] == "claims_cost"
    assert answers["__staging_model_name"] == "staging-claims_cost"
    assert answers["__registry_uri"] == "databricks"


def test_readme_sets_up_with_exactly_the_two_make_targets() -> None:
    readme = (REPO / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", setup, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_ci_runs_the_readme_test_command() -> None:
    script = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", script, re.M)
    pipeline = (REPO / ".azure-pipelines" / "ci.yml").read_text()
    assert "bash .ci/run" in pipeline


@pytest.mark.parametrize(("make_status", "expected"), [(0, 0), (2, 2), (5, 5)])
def test_ci_script_fails_when_make_test_fails(
    tmp_path: Path, make_status: int, expected: int
) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_make = fake_bin / "make"
    fake_make.write_text(f'#!/bin/sh\necho "make $*"\nexit {make_status}\n')
    fake_make.chmod(fake_make.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}"}
    result = run(["bash", str(REPO / ".ci" / "run")], cwd=tmp_path, env=env)
    assert result.returncode == expected
    assert "make test" in result.stdout
    assert ("collected no tests" in result.stdout) == (make_status == 5)


def test_own_pipeline_matches_the_azure_schema() -> None:
    assert schema_errors([REPO / ".azure-pipelines" / "ci.yml"], "vendor.azure-pipelines") == ""


def test_own_pipeline_matrix_names_valid_option_sets() -> None:
    """Each matrix entry's TEMPLATE_E2E_OPTIONS is a set of real answers, and together the
    entries put both CI platforms and every cloud through the end-to-end run."""
    pipeline = yaml.safe_load((REPO / ".azure-pipelines" / "ci.yml").read_text())
    entries = [e["TEMPLATE_E2E_OPTIONS"] for e in pipeline["strategy"]["matrix"].values()]
    answers = [dict(p.split("=", 1) for p in e.split(",") if p) for e in entries]
    for chosen in answers:
        assert set(chosen) <= set(PROMPTS) and not any(k.startswith("_") for k in chosen)
        for key, value in chosen.items():
            assert key not in CHOICES or value in CHOICES[key], (key, value)
    for prompt in ("cicd_platform", "cloud"):
        assert {a.get(prompt, CHOICES[prompt][0]) for a in answers} == set(CHOICES[prompt])
    assert "" in entries, "the default project keeps its end-to-end run"


def build_docs(root: Path, site: Path) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of the mkdocs.yml in ``root`` into ``site``."""
    mkdocs = Path(sys.executable).with_name("mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return run([str(mkdocs), "build", "--strict", "-d", str(site)], cwd=root, env=env)


def test_the_documentation_site_builds_strictly(tmp_path: Path) -> None:
    """`mkdocs build --strict`: every page in the nav, no broken link or anchor, no warning."""
    result = build_docs(REPO, tmp_path / "site")
    assert result.returncode == 0, result.stdout
    for page in ("prompts", "architecture", "ml-guide", "operations", "cicd", "benchmarks"):
        assert (tmp_path / "site" / page / "index.html").is_file(), page
    assert (tmp_path / "site" / "index.html").is_file()


def test_the_prompts_page_documents_every_prompt() -> None:
    page = (REPO / "docs" / "prompts.md").read_text()
    for prompt in (k for k in PROMPTS if not k.startswith("_")):
        assert f"`{prompt}`" in page, prompt


def test_a_broken_link_fails_the_documentation_build(tmp_path: Path) -> None:
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    with (tmp_path / "docs" / "operations.md").open("a") as page:
        page.write("\nSee [the runbook](runbook.md).\n")
    result = build_docs(tmp_path, tmp_path / "site")
    assert result.returncode != 0 and "runbook.md" in result.stdout
