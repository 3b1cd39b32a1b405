"""Every option set: the exact files, nothing left unrendered, and every file valid of its kind."""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import hcl2
import pytest
import yaml
from combinations import IDS, OPTION_SETS, pairwise, uncovered_pairs
from conftest import CHOICES, PROMPTS, TEMPLATE_DIR, Bake, run
from expected_files import expected_files
from terraform_render import load

NODE_TYPES = {"azure": "Standard_D4ds_v5", "aws": "m5d.xlarge", "gcp": "n2-standard-4"}
# `${{ ... }}` is the expression syntax of both pipeline platforms, and `{{task.name}}` a Databricks
# job's dynamic value reference (the serverless tasks' arguments): neither is a template leftover.
LEFTOVER = re.compile(r"(?<!\$)\{\{(?!task\.name\}\})|\{%|\{#|cookiecutter\.")


PACKAGE_DIR = "{{cookiecutter.package_name}}"


def template_source(project: Path, path: Path) -> Path | None:
    """The template's file that ``path`` was copied from unrendered (cookiecutter.json's
    `_copy_without_render`: templates of their own, rendered at run time), or None."""
    parts = path.relative_to(project).parts
    if parts[:1] == ("src",) and len(parts) > 2:
        parts = ("src", PACKAGE_DIR, *parts[2:])
    source = "/".join(parts)
    if any(fnmatch(source, pattern) for pattern in PROMPTS["_copy_without_render"]):
        return TEMPLATE_DIR.joinpath(*parts)
    return None


def files_of(project: Path) -> set[str]:
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


def test_every_value_and_every_pair_of_choices_is_covered() -> None:
    for prompt, values in CHOICES.items():
        assert {o[prompt] for o in OPTION_SETS} == set(values), prompt
    assert uncovered_pairs(pairwise()) == []


@pytest.mark.parametrize("index", range(len(OPTION_SETS)), ids=IDS)
def test_exact_file_list(projects: list[Path], index: int) -> None:
    actual, expected = files_of(projects[index]), expected_files(OPTION_SETS[index])
    assert (sorted(expected - actual), sorted(actual - expected)) == ([], [])


@pytest.mark.parametrize("index", range(len(OPTION_SETS)), ids=IDS)
def test_no_template_syntax_left(projects: list[Path], index: int) -> None:
    project = projects[index]
    files = [p for p in sorted(project.rglob("*")) if p.is_file()]
    as_is = {p: template_source(project, p) for p in files}
    found = [
        f"{path.relative_to(project)}:{n}: {line.strip()}"
        for path in files
        if as_is[path] is None
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if LEFTOVER.search(line)
    ]
    assert found == []
    # Run-time templates (the validation report's Jinja2 page) arrive exactly as written.
    copied = {p: s for p, s in as_is.items() if s is not None}
    assert any(p.name == "report.html.j2" for p in copied)
    assert all(p.read_bytes() == s.read_bytes() for p, s in copied.items())
    assert not any("{{" in part or "{%" in part for p in project.rglob("*") for part in p.parts)


@pytest.mark.parametrize("index", range(len(OPTION_SETS)), ids=IDS)
def test_python_compiles_and_passes_ruff(projects: list[Path], index: int) -> None:
    project = projects[index]
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    for command in (["check"], ["format", "--check"]):
        result = run([sys.executable, "-m", "ruff", *command, "--no-cache", "."], cwd=project)
        assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("index", range(len(OPTION_SETS)), ids=IDS)
def test_yaml_and_toml_parse(projects: list[Path], index: int) -> None:
    project = projects[index]
    for path in [*project.rglob("*.yml"), *project.rglob("*.yaml")]:
        yaml.safe_load(path.read_text())
    tomllib.loads((project / "pyproject.toml").read_text())


@pytest.mark.parametrize("index", range(len(OPTION_SETS)), ids=IDS)
def test_pipelines_match_their_schema(projects: list[Path], index: int) -> None:
    project = projects[index]
    if OPTION_SETS[index]["cicd_platform"] == "azure_devops":
        schema = ["--builtin-schema", "vendor.azure-pipelines", "--regex-variant", "nonunicode"]
        files = sorted((project / ".azure-pipelines").rglob("*.yml"))
    else:
        schema = ["--builtin-schema", "vendor.github-workflows"]
        files = sorted((project / ".github" / "workflows").rglob("*.yml"))
    assert files
    check = [sys.executable, "-m", "check_jsonschema", *schema, *map(str, files)]
    result = run(check, cwd=project)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("index", range(len(OPTION_SETS)), ids=IDS)
def test_terraform_is_formatted_and_parses(projects: list[Path], index: int) -> None:
    terraform = shutil.which("terraform")
    assert terraform, "terraform is not on PATH: install Terraform >= 1.6 to run this suite"
    project = projects[index]
    result = run([terraform, "fmt", "-check", "-recursive", "-diff", "terraform"], cwd=project)
    assert result.returncode == 0, result.stdout
    for path in (project / "terraform").rglob("*.tf"):
        with path.open() as handle:
            hcl2.load(handle)


@pytest.mark.parametrize("index", range(len(OPTION_SETS)), ids=IDS)
def test_answers_land_where_they_belong(projects: list[Path], index: int) -> None:
    a, project = OPTION_SETS[index], projects[index]
    package = a["package_name"]
    uc = a["model_registry"] == "unity_catalog"
    project_yml = yaml.safe_load((project / "conf/project.yml").read_text())
    assert project_yml["tracking"]["registry_uri"] == ("databricks-uc" if uc else "databricks")
    expected_store = "databricks" if a["databricks_feature_store"] == "yes" else "tables"
    assert project_yml["features"]["store"] == expected_store
    for env, branch in (("staging", a["default_branch"]), ("prod", a["release_branch"])):
        overlay = yaml.safe_load((project / f"conf/envs/{env}.yml").read_text())
        catalog = env  # the default catalog of each environment has its name
        expected = f"{catalog}.{package}.{package}" if uc else f"{env}-{package}"
        assert overlay["registry"]["model_name"] == expected
        assert overlay["storage"]["catalog"] == catalog
        module = load(project / f"terraform/envs/{env}/main.tf")["module"][0]["ml_jobs"]
        assert module["git_branch"] == branch
        assert module["node_type"] == NODE_TYPES[a["cloud"]]
        tfvars = load(project / f"terraform/envs/{env}/terraform.tfvars")
        assert tfvars["workspace_host"] == a[f"{env}_workspace_host"]
    if a["cicd_platform"] == "azure_devops":
        ci = yaml.safe_load((project / ".azure-pipelines/ci.yml").read_text())
        assert ci["pr"]["branches"]["include"] == [a["default_branch"], a["release_branch"]]
        python = yaml.safe_load((project / ".azure-pipelines/templates/python.yml").read_text())
        assert python["steps"][0]["inputs"]["versionSpec"] == a["python_version"]
        for env, branch in (("staging", a["default_branch"]), ("prod", a["release_branch"])):
            cd = yaml.safe_load((project / f".azure-pipelines/cd-{env}.yml").read_text())
            assert (cd["trigger"]["branches"]["include"], cd["pr"]) == ([branch], "none")
    else:
        ci = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
        assert ci[True]["pull_request"]["branches"] == [a["default_branch"], a["release_branch"]]
        action = yaml.safe_load((project / ".github/actions/python/action.yml").read_text())
        setup = next(s for s in action["runs"]["steps"] if "setup-python" in s.get("uses", ""))
        assert setup["with"]["python-version"] == a["python_version"]
        for env, branch in (("staging", a["default_branch"]), ("prod", a["release_branch"])):
            cd = yaml.safe_load((project / f".github/workflows/cd-{env}.yml").read_text())
            assert cd[True] == {"push": {"branches": [branch]}}
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == a["project_name"]


def test_any_description_survives_python_toml_and_yaml(bake: Bake, tmp_path: Path) -> None:
    description = 'Risk of "readmission" \\ for members\' care; 100% <local> & """ \'\'\''
    project = bake(tmp_path, description=description)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == description
    init = project / "src/admission_risk/__init__.py"
    namespace: dict = {}
    exec(compile(init.read_text(), str(init), "exec"), namespace)
    assert namespace["__doc__"] == description
    assert description in (project / "README.md").read_text()
