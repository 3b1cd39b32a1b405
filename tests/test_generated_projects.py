"""Generated projects are green on day one. One project (the default, or the option set in
TEMPLATE_E2E_OPTIONS, which the template's CI varies) runs its own pull-request pipeline here:
every script step of its CI file, in order, from a fresh virtualenv installed from its own
pyproject; the steps that need the cloud are listed below and skipped by name. Then its
`make run`, a planted token against its secret scan, its `make bench` at the tiny size, and
another option set's unit suite."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import ci_steps
import pytest
from conftest import PROMPTS, REPO, Bake, clean_env, run, schema_errors, tail

# (job, step name) -> why it cannot run on this machine. Every other step runs or is checked.
CLOUD_ONLY = {
    ("test/unit", "Python {python}"): "the agent's Python; here the machine's python3",
    ("test/unit", "pip cache"): "a hosted-agent cache service",
    ("integration/pipeline", "Python {python}"): "the agent's Python; here the machine's python3",
    ("integration/pipeline", "pip cache"): "a hosted-agent cache service",
    (
        "terraform/validate",
        "Terraform $(TERRAFORM_VERSION)",
    ): "downloads Terraform; the machine's is used",
    (
        "terraform/validate",
        "terraform validate (staging)",
    ): "init downloads the Databricks provider",
    ("terraform/validate", "terraform validate (prod)"): "init downloads the Databricks provider",
    (
        "terraform/validate",
        "terraform validate (dev, the root of make dev-deploy)",
    ): "init downloads the Databricks provider",
    # GitHub Actions
    ("test", "actions/checkout@v4"): "the generated folder is the checkout",
    ("test", "actions/setup-python@v5"): "the runner's Python; here the machine's python3",
    ("test", "actions/setup-java@v4"): "the runner's Java; here the machine's Java 17",
    ("integration", "actions/checkout@v4"): "the generated folder is the checkout",
    ("integration", "actions/setup-python@v5"): "the runner's Python; here the machine's python3",
    ("integration", "actions/setup-java@v4"): "the runner's Java; here the machine's Java 17",
    ("terraform", "actions/checkout@v4"): "the generated folder is the checkout",
    ("terraform", "hashicorp/setup-terraform@v3"): "downloads Terraform; the machine's is used",
    ("terraform", "terraform validate (staging)"): "init downloads the Databricks provider",
    ("terraform", "terraform validate (prod)"): "init downloads the Databricks provider",
    (
        "terraform",
        "terraform validate (dev, the root of make dev-deploy)",
    ): "init downloads the Databricks provider",
}
# Azure DevOps jobs that sign in to staging; they run only when its host is set. Here it is
# not, so the pipeline itself must skip them (GitHub: the steps' `if`), with a warning.
STAGING_JOBS = {"staging/plan", "staging/training_run"}
SET_OUTPUT = re.compile(r"##vso\[task\.setvariable variable=(\w+);isOutput=true\](\w+)")
SET_VARIABLE = re.compile(r"##vso\[task\.setvariable variable=(\w+)\](\S+)")
STEP_OUTPUT_IS = re.compile(r"^steps\.(\w+)\.outputs\.(\w+) == '(\w+)'$")


PIPELINE_STEPS = (
    "ingest",
    "validate-data",
    "features",
    "train",
    "validate",
    "deploy",
    "infer",
    "deliver",
)


def assert_steps_done(output: str, steps) -> None:
    """Each step printed that it was done, with its time (what `run` prints per step)."""
    for step in steps:
        assert re.search(rf"\[{step}\] done in \d+\.\d s", output), tail(output)


@dataclass
class Ran:
    step: ci_steps.Step
    status: str  # ran | cloud-only | skipped by the pipeline | report checked
    returncode: int = 0
    output: str = ""


def e2e_answers() -> dict[str, str]:
    """TEMPLATE_E2E_OPTIONS="cicd_platform=github_actions,cloud=aws" picks another option set."""
    pairs = [p for p in os.environ.get("TEMPLATE_E2E_OPTIONS", "").split(",") if p.strip()]
    return dict(p.strip().split("=", 1) for p in pairs)


@pytest.fixture(scope="session")
def e2e_project(bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project whose CI runs here, committed to a fresh git repository (CI checks one out)."""
    project = bake(tmp_path_factory.mktemp("e2e"), **e2e_answers())
    identity = ["-c", "user.name=ci", "-c", "user.email=ci@example.invalid"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-qm", "generated"]):
        subprocess.run(["git", *args], cwd=project, check=True)
    return project


def java_home() -> str:
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = subprocess.run(["which", "java"], capture_output=True, text=True, check=True)
    return str(Path(java.stdout.strip()).resolve().parents[1])


def junit_totals(path: Path) -> dict[str, int]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    keys = ("tests", "failures", "errors", "skipped")
    return {key: sum(int(s.get(key, 0)) for s in suites) for key in keys}


def check_report(project: Path, path: str) -> tuple[int, str]:
    """What publishing a JUnit report would show: it exists, has tests, none failed."""
    report = project / path
    if not report.is_file():
        return 1, f"{path} is missing"
    totals = junit_totals(report)
    ok = totals["tests"] > 0 and totals["failures"] == totals["errors"] == 0
    return (0 if ok else 1), f"{path}: {totals}"


def run_script(project: Path, script: str, env: dict[str, str]) -> tuple[int, str]:
    result = run(["bash", "-e", "-c", script], cwd=project, env=env, timeout=2400)
    return result.returncode, result.stdout


def cloud_only(python: str) -> set[tuple[str, str]]:
    return {(job, name.format(python=python)) for job, name in CLOUD_ONLY}


def run_azure_devops(project: Path, workspace: Path, python: str) -> list[Ran]:
    variables, jobs = ci_steps.azure_devops(project)
    macros = {
        "Pipeline.Workspace": str(workspace),
        "Agent.TempDirectory": str(workspace / "tmp"),
        "Agent.OS": "Linux",
        "JAVA_HOME_17_X64": java_home(),
    }
    macros |= {k: ci_steps.ado_script(v, macros) for k, v in variables.items()}
    env = clean_env() | {k.upper().replace(".", "_"): macros[k] for k in variables}
    env.pop("DATABRICKS_HOST", None)  # no staging variable group on this machine
    outputs: dict[str, str] = {}
    ran: list[Ran] = []
    for job_name, job, steps in jobs:
        if job_name in STAGING_JOBS:
            assert "dependencies.ready.outputs['host.ready'], 'true'" in job["condition"]
            if outputs.get("staging/ready.host.ready") != "true":
                ran += [Ran(step, "skipped by the pipeline") for step in steps]
                continue
        for step in steps:
            if (job_name, step.name) in cloud_only(python):
                ran.append(Ran(step, "cloud-only"))
            elif step.uses == "PublishTestResults@2":
                ran.append(
                    Ran(
                        step,
                        "report checked",
                        *check_report(project, step.inputs["testResultsFiles"]),
                    )
                )
            elif step.run is None:
                raise AssertionError(
                    f"{job_name}: {step.uses} neither runs nor is listed as cloud-only"
                )
            else:
                code, out = run_script(
                    project, ci_steps.ado_script(step.run, macros), env | step.env
                )
                outputs |= {f"{job_name}.{step.id}.{k}": v for k, v in SET_OUTPUT.findall(out)}
                env |= dict(SET_VARIABLE.findall(out))  # e.g. JAVA_HOME, for the steps after it
                ran.append(Ran(step, "ran", code, out))
    return ran


def run_github(project: Path, workspace: Path, python: str) -> list[Ran]:
    workflow_env, jobs = ci_steps.github(project)
    values = {f"env.{k}": v for k, v in workflow_env.items()} | {
        "github.server_url": "https://github.com",
        "github.repository": f"example/{project.name}",
    }
    ran: list[Ran] = []
    for job_name, job, steps in jobs:
        # configuration variables (vars.*) of a GitHub environment: none on this machine
        job_values = values | {e: "" for e in re.findall(r"\$\{\{\s*(vars\.\w+)", str(job))}
        env = clean_env() | workflow_env
        env |= {
            k: ci_steps.github_script(str(v), job_values) for k, v in job.get("env", {}).items()
        }
        outputs: dict[str, str] = {}
        for step in steps:
            condition = (step.condition or "").removeprefix("${{").removesuffix("}}").strip()
            wanted = STEP_OUTPUT_IS.match(condition)
            if wanted and outputs.get(f"{wanted[1]}.{wanted[2]}") != wanted[3]:
                ran.append(Ran(step, "skipped by the pipeline"))
            elif condition not in ("", "!cancelled()") and not wanted:
                raise AssertionError(f"{job_name}: no local meaning for `if: {step.condition}`")
            elif (job_name, step.name) in cloud_only(python):
                ran.append(Ran(step, "cloud-only"))
            elif step.uses == "actions/upload-artifact@v4":
                ran.append(Ran(step, "report checked", *check_report(project, step.inputs["path"])))
            elif step.run is None:
                raise AssertionError(
                    f"{job_name}: {step.uses} neither runs nor is listed as cloud-only"
                )
            else:
                output_file = workspace / "github_output"
                output_file.write_text("")
                script = ci_steps.github_script(step.run, job_values)
                step_env = {k: ci_steps.github_script(v, job_values) for k, v in step.env.items()}
                code, out = run_script(
                    project, script, env | step_env | {"GITHUB_OUTPUT": str(output_file)}
                )
                for line in output_file.read_text().splitlines():
                    key, _, value = line.partition("=")
                    outputs[f"{step.id}.{key}"] = value
                ran.append(Ran(step, "ran", code, out))
    return ran


@pytest.fixture(scope="session")
def ci_run(e2e_project: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Ran]:
    """The pull-request pipeline of the e2e project, run here step by step, in order."""
    workspace = tmp_path_factory.mktemp("agent")
    (workspace / "tmp").mkdir()
    pip_cache = Path.home() / ".cache" / "pip"  # the agent's restored pip cache
    if pip_cache.is_dir():
        (workspace / ".pip").symlink_to(pip_cache)
    python = e2e_answers().get("python_version", PROMPTS["python_version"][0])
    if (e2e_project / ".azure-pipelines").is_dir():
        return run_azure_devops(e2e_project, workspace, python)
    return run_github(e2e_project, workspace, python)


@pytest.fixture(scope="session")
def installed_default(e2e_project: Path, ci_run: list[Ran]) -> Path:
    """The e2e project after its pipeline's `make install` made its own .venv."""
    assert (e2e_project / ".venv" / ".installed").is_file()
    return e2e_project


def outputs_of(ci_run: list[Ran], command: str) -> str:
    return "\n".join(r.output for r in ci_run if r.step.run and command in r.step.run)


def test_every_ci_step_runs_here_in_order_or_is_listed(ci_run: list[Ran]) -> None:
    failed = [(r.step.job, r.step.name, tail(r.output, 40)) for r in ci_run if r.returncode]
    assert failed == []
    ran = [r.step.run.strip() for r in ci_run if r.status == "ran"]
    commands = [c for c in ran if c.startswith("make ")]
    assert commands[:4] == ["make install", "make lint", "make scan-secrets", "make unit"], ran
    assert {"make integration", "make pipeline-check", "make tf-fmt"} <= set(commands)
    assert commands.index("make integration") < commands.index("make pipeline-check")
    reports = [r.output for r in ci_run if r.status == "report checked"]
    assert any("junit-unit" in o for o in reports) and any(
        "junit-integration" in o for o in reports
    )


def test_only_cloud_steps_are_skipped(ci_run: list[Ran]) -> None:
    skipped = {(r.step.job, r.step.name) for r in ci_run if r.status == "cloud-only"}
    python = e2e_answers().get("python_version", PROMPTS["python_version"][0])
    assert skipped and skipped <= cloud_only(python)
    by_pipeline = [r for r in ci_run if r.status == "skipped by the pipeline"]
    assert by_pipeline, "without a staging host the staging plan and run must be skipped"
    assert all("staging" in r.step.job for r in by_pipeline)
    assert any(
        "make pr-run" in (r.step.run or r.step.inputs.get("inlineScript", "")) for r in by_pipeline
    )


def test_the_staging_skip_is_announced(ci_run: list[Ran]) -> None:
    announced = outputs_of(ci_run, "DATABRICKS_HOST")
    assert re.search(
        r"(##vso\[task\.logissue type=warning\]|::warning).*Skipped the staging plan", announced
    )


def test_ci_reports_hold_the_whole_suite(installed_default: Path) -> None:
    """Unit and integration reports together are exactly what `make test` collects."""
    totals = [
        junit_totals(installed_default / "reports" / f"junit-{k}.xml")
        for k in ("unit", "integration")
    ]
    assert all(t["skipped"] == t["failures"] == t["errors"] == 0 for t in totals), totals
    collected = run(
        [".venv/bin/python", "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=installed_default,
        env=clean_env(),
    )
    count = re.search(r"(\d+) tests? collected", collected.stdout)
    assert count, tail(collected.stdout)
    assert sum(t["tests"] for t in totals) == int(count.group(1)) >= 150


def test_the_pipeline_check_ran_the_pipeline_and_verified_it(ci_run: list[Ran]) -> None:
    out = outputs_of(ci_run, "make pipeline-check")
    assert_steps_done(out, [*PIPELINE_STEPS, "verify"])
    assert "PROMOTED" in out
    verified = r"verified: features as mapped; \S+ version 1: gate PROMOTE; @champion 1; [\d,]+ "
    assert re.search(verified + "predictions", out), tail(out)


def test_lint_keeps_the_import_contract(ci_run: list[Ran]) -> None:
    assert "Contracts: 2 kept, 0 broken." in outputs_of(ci_run, "make lint")


def test_the_secret_scan_fails_on_a_planted_databricks_token(installed_default: Path) -> None:
    planted = installed_default / "notebooks" / "scratch.py"
    planted.write_text(
        'host = "https://adb-1.1.azuredatabricks.net"\ntoken = "dapi'
        + "0123456789abcdef" * 2
        + '"\n'
    )
    try:
        result = run(["make", "scan-secrets"], cwd=installed_default, env=clean_env())
    finally:
        planted.unlink()
    assert result.returncode != 0, tail(result.stdout)
    assert "Databricks token" in result.stdout and "notebooks/scratch.py:2" in result.stdout
    again = run(["make", "scan-secrets"], cwd=installed_default, env=clean_env())
    assert again.returncode == 0, tail(again.stdout)


def test_the_virtualenv_is_fresh_and_isolated(installed_default: Path) -> None:
    config = (installed_default / ".venv" / "pyvenv.cfg").read_text()
    assert re.search(r"include-system-site-packages\s*=\s*false", config)
    python = installed_default / ".venv" / "bin" / "python"
    imports = "import pyspark, mlflow, hyperopt, databricks.sdk, databricks.feature_engineering"
    result = run(
        [str(python), "-c", f"{imports}, yaml, pydantic, sklearn, pytest"], cwd=installed_default
    )
    assert result.returncode == 0, result.stdout
    result = run([str(python), "-m", "pip", "show", "cookiecutter"], cwd=installed_default)
    assert result.returncode != 0, "cookiecutter is not a dependency of generated projects"


def test_default_project_make_run_runs_the_local_pipeline(installed_default: Path) -> None:
    """The README's `make run`: the whole local pipeline at its default size, all eight steps."""
    result = run(["make", "run"], cwd=installed_default, env=clean_env())
    assert result.returncode == 0, tail(result.stdout)
    assert_steps_done(result.stdout, PIPELINE_STEPS)
    auc = re.search(
        r"holdout ROC AUC (0\.\d+); registered (\S+) version 1 as @challenger", result.stdout
    )
    assert auc and float(auc.group(1)) > 0.75, tail(result.stdout)
    assert "PROMOTED" in result.stdout and "Where to look:" in result.stdout
    delivered = re.search(r"1,000 of [\d,]+ members delivered for \S+: (\S+\.csv)", result.stdout)
    assert delivered and Path(delivered.group(1)).is_file(), tail(result.stdout)


def test_make_bench_runs_every_benchmark_at_the_tiny_size(
    installed_default: Path, tmp_path: Path
) -> None:
    """Benchmarks are not timed tests: this runs what the template's `make bench` runs, in the
    installed project (its own `make bench`, then the template's bench/ with its virtualenv),
    and checks that each writes one JSON file its schema accepts. No figure is judged: at the
    tiny size they mean nothing. ENV=ci: its Spark settings are for short jobs, and every run of
    P1 and every step alone starts a JVM."""
    own = tmp_path / "project.json"
    command = ["make", "bench", "SIZE=tiny", "ENV=ci", f"BENCH_OUT={own}"]
    result = run(command, installed_default, env=clean_env())
    assert result.returncode == 0, tail(result.stdout)
    own_schema = installed_default / "benchmarks" / "schema.json"
    assert schema_errors([own], own_schema) == ""
    report = json.loads(own.read_text())
    assert (report["size"], report["repeat"], report["targets_apply"]) == ("tiny", 3, False)
    assert {k: v["name"] for k, v in report["results"].items()} == {
        "P1": "pipeline",
        "P2": "inference",
        "P3": "incremental",
    }
    p1, p2 = report["results"]["P1"], report["results"]["P2"]
    assert p1["members"] == 3000 and set(p1["step_seconds"]) == set(PIPELINE_STEPS)
    assert set(p1["alone_seconds"]) == {"validate", "deploy"}  # each ran in its own process
    assert p2["rows"] == 20_000 and p2["rows_per_second"] > 0

    claims, cookiecutter = tmp_path / "bench.json", Path(sys.executable).parent / "cookiecutter"
    python = str(installed_default / ".venv" / "bin" / "python")
    command = [python, "-m", "bench", "--size", "tiny", "--project-report", str(own)]
    env = {**clean_env(), "PYTHONPATH": str(REPO)}
    stale = run([*command, "--size", "default", "--out", str(claims)], installed_default, env=env)
    assert stale.returncode == 1 and "is for size 'tiny', not 'default'" in stale.stdout
    assert not claims.exists()
    command += ["--cookiecutter", str(cookiecutter), "--out", str(claims)]
    result = run(command, installed_default, env=env)
    assert result.returncode == 0, tail(result.stdout)
    schema = REPO / "bench" / "schema.json"
    assert schema_errors([claims], schema) == ""
    measured = json.loads(claims.read_text())
    assert measured["project"] == report
    assert {k: v["name"] for k, v in measured["results"].items()} == {
        "T1": "tuning",
        "T2": "scoring",
        "T3": "suite",
    }
    t2, t3 = measured["results"]["T2"], measured["results"]["T3"]
    assert set(t2["rows_per_second"]) == {"ours", "spark_udf"}  # both paths scored every row
    assert t3["generation_seconds"] is not None and t3["tests"].split()[1] == "passed"
    # The schemas are real checks: a figure from fewer than three runs is refused.
    measured["results"]["T1"]["overhead"]["harness_seconds_per_trial"]["runs"] = [1.0, 2.0]
    claims.write_text(json.dumps(measured))
    assert "is too short" in schema_errors([claims], schema)
    report["results"]["P1"]["wall_seconds"]["runs"] = [1.0, 2.0]
    own.write_text(json.dumps(report))
    assert "is too short" in schema_errors([own], own_schema)


def test_another_option_set_passes_its_own_unit_suite(
    installed_default: Path, bake: Bake, tmp_path: Path
) -> None:
    """Options change configuration, not code: the unit suite (every environment's settings,
    the feature files, the CLI) runs here; the integration suite ran for the default project."""
    project = bake(
        tmp_path,
        project_name="claims-cost",
        cloud="aws",
        cicd_platform="github_actions",
        workspace_layout="single_workspace",
        model_registry="workspace",
        databricks_feature_store="no",
        python_version="3.12",
        default_branch="develop",
        release_branch="release/prod",
    )
    python = installed_default / ".venv" / "bin" / "python"
    result = run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit"], cwd=project
    )
    assert result.returncode == 0, tail(result.stdout)
    assert re.search(r"\d+ passed", result.stdout.strip().splitlines()[-1])


# A second dataset, written for this test and shaped nothing like the health plan: one wide
# table of numeric lab results per visit (no events, no eligibility, no member attributes), a
# boolean label, a composite key, weekly dates.
WIDE_DATA_YML = """
entity: {name: visit, plural: visits, key: [site, visit_id], as_of: observed_on}
label: {source: panels, column: deteriorated, positive_class: a deterioration within 48 hours}
sources:
  panels:
    format: parquet
    path: data/panels.parquet
    columns: {site: {type: string, from: SITE}, visit_id: string, week: date,
              deteriorated: boolean, %(columns)s}
    time: week
    unique: true
population: {source: panels, max_age_days: 7}
features:
  snapshots: {dates_of: panels}
"""
WIDE_GROUPS = {"chemistry": "chem", "haematology": "haem", "gases": "gas"}  # 8 columns each
WIDE_SELECTED = ["chemistry", "gases"]  # haematology is left out


WIDE_ROWS = """
import numpy as np, pandas as pd, sys
rng = np.random.default_rng(7)
rows, weeks = 3_000, pd.date_range("2025-01-06", periods=6, freq="7D").date
frame = pd.DataFrame({
    "SITE": rng.choice(["north", "south"], rows),
    "visit_id": [f"V{i:05d}" for i in range(rows)],
    "week": rng.choice(weeks, rows),
})
signal = np.zeros(rows)
for prefix in sys.argv[2:]:
    for i in range(8):
        frame[f"{prefix}_{i}"] = rng.normal(0, 1, rows).round(3)
        if prefix != "haem" and i % 3 == 0:  # haematology carries no signal
            signal += 0.6 * frame[f"{prefix}_{i}"]
frame["deteriorated"] = rng.random(rows) < 1 / (1 + np.exp(-(signal - 1.2)))
frame.to_parquet(sys.argv[1], index=False)
"""


def write_wide_dataset(project: Path) -> None:
    """conf/data.yml, the feature files and data/panels.parquet of the wide dataset (written
    by the project's own Python, which has pandas)."""
    import yaml

    (project / "data").mkdir(exist_ok=True)
    python = project / ".venv" / "bin" / "python"
    parquet = project / "data" / "panels.parquet"
    written = run([str(python), "-c", WIDE_ROWS, str(parquet), *WIDE_GROUPS.values()], cwd=project)
    assert written.returncode == 0, tail(written.stdout)
    conf = project / "conf"
    listed = ", ".join(f"{p}_{i}: double" for p in WIDE_GROUPS.values() for i in range(8))
    (conf / "data.yml").write_text(WIDE_DATA_YML % {"columns": listed})
    groups = {
        group: {
            "description": f"The {group} panel.",
            "columns": "panels",
            "features": [f"{prefix}_{i}" for i in range(8)],
        }
        for group, prefix in WIDE_GROUPS.items()
    }
    (conf / "feature_mappings.yml").write_text(yaml.safe_dump({"groups": groups}))
    (conf / "feature_selection_config.yml").write_text(
        yaml.safe_dump({"include_groups": WIDE_SELECTED, "exclude_features": ["gas_7"]})
    )
    project_yml = conf / "project.yml"
    text = project_yml.read_text()
    text = text.replace("estimator: hist_gradient_boosting", "estimator: spark_logistic_regression")
    text = text.replace("max_evals: 20", "max_evals: 4").replace("top_n: 1000", "top_n: 100")
    project_yml.write_text(text.replace("roc_auc: 0.70", "roc_auc: 0.60"))


@pytest.fixture(scope="session")
def own_data_project(installed_default: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of the e2e project, with its virtualenv, whose conf/ and data are replaced by
    the wide dataset, as a team would replace them: no file under src/ changes."""
    project = tmp_path_factory.mktemp("own-data") / installed_default.name
    subprocess.run(["git", "clone", "-q", str(installed_default), str(project)], check=True)
    venv = [str(installed_default / ".venv"), str(project / ".venv")]
    subprocess.run(["cp", "-a", *venv], check=True)
    python = project / ".venv" / "bin" / "python"
    install = run([str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", "."], cwd=project)
    assert install.returncode == 0, tail(install.stdout)
    (project / ".venv" / ".installed").touch()
    write_wide_dataset(project)
    changed = run(["git", "status", "--porcelain", "--", "src"], cwd=project)
    assert changed.stdout == "", changed.stdout
    return project


def test_with_its_own_data_the_projects_suite_passes(own_data_project: Path) -> None:
    """The project's `make test` after conf/ and the data were replaced: the mechanism and
    example tests read their own configuration; test_your_conf checks the new conf/."""
    result = run(["make", "test"], cwd=own_data_project, env=clean_env(), timeout=3000)
    assert result.returncode == 0, tail(result.stdout, 80)
    summary = result.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 200 and "failed" not in summary, summary


def test_with_its_own_data_make_run_trains_on_exactly_the_selected_groups(
    own_data_project: Path,
) -> None:
    result = run(["make", "run"], cwd=own_data_project, env=clean_env())
    assert result.returncode == 0, tail(result.stdout, 80)
    assert_steps_done(result.stdout, PIPELINE_STEPS)
    assert "6 of 6 snapshots computed" in result.stdout
    assert re.search(r"[\d,]+ visits scored for 2025-02-10", result.stdout), tail(result.stdout)
    assert "PROMOTED" in result.stdout
    [package] = [p.parent.name for p in (own_data_project / "src").glob("*/__init__.py")]
    script = (
        "import mlflow\n"
        f"from {package}.config import load_settings\n"
        "s = load_settings('local', 'conf')\n"
        "c = mlflow.MlflowClient(s.tracking.tracking_uri, s.tracking.registry_uri)\n"
        "v = c.get_model_version_by_alias(s.registry.model_name, 'champion')\n"
        "print(open(c.download_artifacts(v.run_id, 'feature_list.json')).read())\n"
    )
    python = own_data_project / ".venv" / "bin" / "python"
    listed = run([str(python), "-c", script], cwd=own_data_project, stderr=subprocess.DEVNULL)
    assert listed.returncode == 0, listed.stdout
    features = json.loads(listed.stdout)
    assert features["keys"] == ["site", "visit_id", "observed_on"]
    assert features["groups"] == WIDE_SELECTED
    names = [f["name"] for f in features["features"]]
    expected = [f"{WIDE_GROUPS[g]}_{i}" for g in WIDE_SELECTED for i in range(8)]
    assert names == [n for n in expected if n != "gas_7"]
