"""Every answer the hook accepts generates a working project: a property test draws whole answer
sets from each prompt's accepted language (tests/answer_strategies.py) and checks that every
file of the project parses, that the answers arrive in it as the text they were, and that its
configuration loads. The hook's tables are checked against what they stand for: Java's time
zones (by running Java), Quartz's schedules (by running Quartz when it is installed, and
against fire times Quartz computed), and the project's dependencies."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import datetime
from pathlib import Path

import answer_strategies as strategies
import hcl2
import pytest
import yaml
from conftest import TEMPLATE_DIR, Bake, run, tail
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from terraform_render import load as load_hcl
from test_pre_gen_hook import answers_for

hook = strategies.hook
EXAMPLES = 25  # each generates, parses and loads a whole project (~1.5 s)
ENVS = ("local", "ci", "dev", "staging", "prod")


def leaves(node, path=()):
    """(path, type) of every scalar in a YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, index))
    else:
        yield path, type(node)


def yaml_types(project: Path) -> dict[tuple, type]:
    types = {}
    for path in sorted([*project.rglob("*.yml"), *project.rglob("*.yaml")]):
        document = yaml.safe_load(path.read_text())
        for where, kind in leaves(document):
            types[(str(path.relative_to(project)), *where)] = kind
    return types


@pytest.fixture(scope="session")
def default_yaml_types(default_project: Path) -> dict[tuple, type]:
    return yaml_types(default_project)


def quiet_bake(bake: Bake, out: Path, answers: dict) -> Path:
    with contextlib.redirect_stdout(io.StringIO()):  # the post-generation hook's to-do list
        return bake(out, **answers)


CONFIG_LOADS = """
import sys
from {package}.config import load_settings, uses_developer
for env in sys.argv[2:]:
    # dev is per developer: its jobs pass --developer
    developer = "a_developer" if uses_developer(env, sys.argv[1]) else None
    settings = load_settings(env, sys.argv[1], developer=developer)
"""


def assert_config_loads(project: Path, package: str) -> None:
    """Every environment's settings load with the generated package's own loader (it needs
    pydantic and PyYAML only, which the template's virtualenv has)."""
    result = run(
        [sys.executable, "-c", CONFIG_LOADS.format(package=package), "conf", *ENVS],
        cwd=project,
        env={"PYTHONPATH": str(project / "src"), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, tail(result.stdout)


def assert_files_parse(project: Path) -> None:
    for path in project.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".py":
            compile(text, str(path), "exec")
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix in (".tf", ".tfvars", ".hcl"):
            hcl2.loads(text)


def assert_answers_arrive_as_text(project: Path, a: dict) -> None:
    """Where an answer lands, parsing the file gives back the answer itself."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == a["description"]
    assert pyproject["project"]["name"] == a["project_name"]
    package = project / "src" / a["package_name"]
    init = ast.parse((package / "__init__.py").read_text())
    assert ast.literal_eval(init.body[0].value) == a["description"]
    cli = (package / "cli.py").read_text()
    [description] = [
        k.value
        for n in ast.walk(ast.parse(cli))
        for k in getattr(n, "keywords", ())
        if k.arg == "description"
    ]
    assert ast.literal_eval(description) == a["description"]
    assert f"description={hook.python_string(a['description'])}," in cli  # the hook's width rule
    conf = yaml.safe_load((project / "conf" / "project.yml").read_text())
    assert conf["project"]["name"] == a["project_name"]
    assert conf["project"]["package"] == a["package_name"]
    for env, branch in (("staging", "default_branch"), ("prod", "release_branch")):
        catalog = yaml.safe_load((project / "conf" / "envs" / f"{env}.yml").read_text())
        assert catalog["storage"]["catalog"] == a[f"{env}_catalog"]
        module = load_hcl(project / "terraform" / "envs" / env / "main.tf")["module"][0]
        arguments = module["ml_jobs"]
        assert arguments["git_branch"] == a[branch]
        assert arguments["read_group"] == a["read_group"]
        assert arguments["timezone"] == a["schedule_timezone"]
        assert arguments["schema"] == a["schema_name"]
        assert arguments["catalog"] == a[f"{env}_catalog"]
        assert arguments["schedules"] == {
            "features": a["feature_schedule"],
            "training": a["training_schedule"],
            "inference": a["inference_schedule"],
        }
        tfvars = load_hcl(project / "terraform" / "envs" / env / "terraform.tfvars")
        assert tfvars["workspace_host"] == a[f"{env}_workspace_host"]
        assert tfvars["notification_email"] == a["notification_email"]


def assert_python_passes_ruff(project: Path) -> None:
    """The project's own `make lint` (ruff check, ruff format --check) on the files answers
    land in."""
    files = [
        str(p)
        for p in (project / "src").rglob("*.py")
        if p.name in ("__init__.py", "cli.py") and p.parent.parent.name == "src"
    ]
    for command in (["check"], ["format", "--check"]):
        result = run([sys.executable, "-m", "ruff", *command, "--no-cache", *files], cwd=project)
        assert result.returncode == 0, result.stdout


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(drawn=strategies.answers())
def test_every_accepted_answer_set_generates_a_project_that_parses_and_loads(
    drawn: dict, bake: Bake, default_yaml_types: dict
) -> None:
    full = answers_for(drawn)
    assume(hook.check_answers(full) == [])  # pairs the strategies do not avoid (same hosts)
    with tempfile.TemporaryDirectory() as out:
        project = quiet_bake(bake, Path(out), drawn)
        assert_files_parse(project)
        types = yaml_types(project)
        changed = {k: (v, types[k]) for k, v in default_yaml_types.items() if types.get(k, v) != v}
        assert changed == {}, "YAML values whose type an answer changed"
        assert_answers_arrive_as_text(project, full)
        assert_python_passes_ruff(project)
        assert_config_loads(project, full["package_name"])


@pytest.mark.parametrize(
    "description",
    [
        'Risk of "readmission" \\ for members\' care; 100% <local> & """ \'\'\'',
        "Prédit les réadmissions 😀 入院リスク",
        "it's \"quoted\" and 'single'",
        "C:\\data\\risk",
        "x" * 77,
    ],
)
def test_a_description_with_quotes_backslashes_or_emoji_survives_every_file(
    bake: Bake, tmp_path: Path, description: str
) -> None:
    assert hook.check_description(description) is None
    full = answers_for({"description": description})
    project = quiet_bake(bake, tmp_path, {"description": description})
    assert_files_parse(project)
    assert_answers_arrive_as_text(project, full)
    assert_python_passes_ruff(project)


# Quartz: first fire after 2026-01-01 00:00:00 as Quartz 2.3.2 computes it (CronExpression.
# getNextValidTimeAfter, UTC), or None when it never fires.
QUARTZ_FIRST_FIRE = {
    "0 0 6 * * ?": "2026-01-01 06:00:00",
    "0 0 8 ? * MON": "2026-01-05 08:00:00",
    "0 0 11 * * ?": "2026-01-01 11:00:00",
    "0 0 0 L * ?": "2026-01-31 00:00:00",
    "0 0 0 29 2 ?": "2028-02-29 00:00:00",  # leap years only
    "0 0 0 L-2 * ?": "2026-01-29 00:00:00",
    "0 0 0 LW * ?": "2026-01-30 00:00:00",
    "0 0 0 15W * ?": "2026-01-15 00:00:00",
    "0 0 0 1W 8 ?": "2026-08-03 00:00:00",  # Sat 1 August: Monday the 3rd
    "0 15 10 ? * 6L": "2026-01-30 10:15:00",
    "0 0 0 ? * 6#3": "2026-01-16 00:00:00",
    "0 0 0 ? * 2#5": "2026-03-30 00:00:00",
    "0 0 0 ? * L": "2026-01-03 00:00:00",
    "0 0 22-2 * * ?": "2026-01-01 00:00:00",
    "0 0 0 ? * FRI-MON": "2026-01-02 00:00:00",
    "0 0 0 28-2 * ?": "2026-01-01 00:00:00",
    "0 0 0 ? 11-2 *": "2026-01-01 00:00:00",
    "0 0/30 9-17 ? JAN,JUL MON": "2026-01-05 09:00:00",
    "0 0 12 1/5 * ?": "2026-01-01 12:00:00",
    "0 0 6 * * ? 2027": "2027-01-01 06:00:00",
    "30 45 23 31 12 ? 2026/3": "2026-12-31 23:45:30",
    "0 0 0 ? * sun": "2026-01-04 00:00:00",
    "0 0 0 30 2 ?": None,
    "0 0 0 31 4,6,9,11 ?": None,
    "0 0 0 L-30 2 ?": None,
    "0 0 0 * * ? 2020": None,
}
START = datetime(2025, 12, 31, 23, 59, 59)


@pytest.mark.parametrize(("expression", "first"), QUARTZ_FIRST_FIRE.items())
def test_quartz_fire_times_are_quartzs(expression: str, first: str | None) -> None:
    fire = hook.next_fire(hook.parse_quartz(expression), START)
    assert (fire.isoformat(sep=" ") if fire else None) == first
    problem = hook.check_quartz_cron("feature_schedule", expression, now=START)
    assert (problem is None) == (first is not None), problem


QUARTZ_JAR = Path("/usr/share/java/quartz2.jar")  # Debian's libquartz2-java
ORACLE = """
import org.quartz.CronExpression;
import java.io.*;
import java.util.*;
public class Oracle {
  public static void main(String[] a) throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
    TimeZone utc = TimeZone.getTimeZone("UTC");
    Date start = new Date(Long.parseLong(a[0]) * 1000);
    String line;
    while ((line = r.readLine()) != null) {
      try {
        CronExpression e = new CronExpression(line); e.setTimeZone(utc);
        StringBuilder out = new StringBuilder();
        Date d = start;
        for (int i = 0; i < 3 && (d = e.getNextValidTimeAfter(d)) != null; i++)
          out.append(d.getTime() / 1000).append(' ');
        System.out.println(out.length() == 0 ? "NEVER" : out.toString().trim());
      } catch (Exception ex) { System.out.println("INVALID"); }
    }
  }
}
"""


@pytest.mark.skipif(
    not (QUARTZ_JAR.is_file() and shutil.which("java")),
    reason="needs Java and Quartz (apt-get install libquartz2-java)",
)
def test_the_hooks_quartz_is_quartz(tmp_path: Path) -> None:
    """Expressions drawn from the hook's grammar: Quartz takes each, and fires at the same
    three first moments as the hook computes (or, like the hook, never before 2100)."""
    drawn: set[str] = set()

    @settings(max_examples=1000, deadline=None, database=None)
    @given(strategies.quartz_any())
    def collect(expression: str) -> None:
        drawn.add(expression)

    collect()
    expressions = sorted(drawn)
    (tmp_path / "Oracle.java").write_text(ORACLE)
    epoch = int((START - datetime(1970, 1, 1)).total_seconds())
    result = subprocess.run(
        ["java", "-cp", str(QUARTZ_JAR), str(tmp_path / "Oracle.java"), str(epoch)],
        input="\n".join(expressions) + "\n",
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    limit = datetime(2100, 1, 1)
    differ = []
    for expression, quartz in zip(expressions, result.stdout.splitlines(), strict=True):
        cron, fires, moment = hook.parse_quartz(expression), [], START
        while len(fires) < 3 and (moment := hook.next_fire(cron, moment)) is not None:
            fires.append(moment)
        theirs = [] if quartz in ("NEVER", "INVALID") else quartz.split()
        theirs = [datetime.utcfromtimestamp(int(s)) for s in theirs]
        if quartz == "INVALID" or [t for t in theirs if t < limit] != fires:
            differ.append((expression, quartz, fires))
    assert differ == [], differ[:10]
    assert len(expressions) > 700


JAVA_ZONES = """
public class Zones {
  public static void main(String[] a) {
    for (String id : new java.util.TreeSet<>(java.time.ZoneId.getAvailableZoneIds()))
      System.out.println(id);
  }
}
"""


def test_the_time_zone_table_is_this_machines_java(tmp_path: Path) -> None:
    """Every id the hook takes is one Java knows, and the table holds all of Java's but the
    deprecated SystemV/* ones. On a failure: regenerate JAVA_ZONE_IDS_BY_AREA from this list."""
    assert shutil.which("java"), "Java is on this machine (the generated projects' Spark needs it)"
    (tmp_path / "Zones.java").write_text(JAVA_ZONES)
    result = run(["java", str(tmp_path / "Zones.java")], cwd=tmp_path, timeout=120)
    java = {line for line in result.stdout.split() if not line.startswith("SystemV/")}
    assert result.returncode == 0 and len(java) > 500, result.stdout[-2000:]
    assert sorted(hook.JAVA_ZONE_IDS - java) == []
    assert sorted(java - hook.JAVA_ZONE_IDS) == []


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata"])
def test_common_time_zones_are_taken(zone: str) -> None:
    assert hook.check_timezone(zone) is None


# Each distribution the generated project declares -> the import name it provides.
IMPORT_NAME = {
    "databricks-feature-engineering": "databricks",
    "databricks-sdk": "databricks",
    "detect-secrets": "detect_secrets",
    "hyperopt": "hyperopt",
    "hypothesis": "hypothesis",
    "import-linter": "importlinter",
    "jinja2": "jinja2",
    "matplotlib": "matplotlib",
    "mlflow": "mlflow",
    "optuna": "optuna",
    "pandas": "pandas",
    "psutil": "psutil",
    "pydantic": "pydantic",
    "pyspark": "pyspark",
    "pytest": "pytest",
    "pytest-xdist": "xdist",
    "pyyaml": "yaml",
    "ruff": "ruff",
    "scikit-learn": "sklearn",
    "setuptools": "setuptools",
}


def test_every_declared_dependency_is_a_name_the_package_cannot_take(
    default_project: Path,
) -> None:
    pyproject = tomllib.loads((default_project / "pyproject.toml").read_text())
    declared = [
        *pyproject["build-system"]["requires"],
        *pyproject["project"]["dependencies"],
        *(r for group in pyproject["project"]["optional-dependencies"].values() for r in group),
    ]
    names = {re.match(r"[A-Za-z0-9._-]+", r)[0].lower() for r in declared}
    assert names == set(IMPORT_NAME), "map each new dependency to its import name here"
    assert {n for n in IMPORT_NAME.values() if n not in hook.DEPENDENCY_IMPORTS} == set()
    for name in IMPORT_NAME.values():
        assert hook.check_package_name(name) is not None


def test_the_projects_own_module_names_are_refused() -> None:
    """Top-level folders of the project and the modules pytest imports from tests/."""
    top = {p.name for p in TEMPLATE_DIR.iterdir() if p.is_dir() and not p.name.startswith(".")}
    modules = {p.stem for p in (TEMPLATE_DIR / "tests").rglob("*.py")}
    own = {n for n in top | modules if hook.PACKAGE_NAME.fullmatch(n)}
    assert {n for n in own if hook.check_package_name(n) is None} == set()


@given(st.from_regex(r"[a-z][a-z0-9_]{0,20}|[A-Za-z0-9._/-]{1,12}", fullmatch=True))
@settings(max_examples=300, deadline=None, database=None)
def test_what_the_yaml_rule_lets_through_both_yaml_versions_read_as_text(value: str) -> None:
    """PyYAML (YAML 1.1, how conf/ is read) and ruamel in its default YAML 1.2 mode."""
    assume(not hook.yaml_reads_as_other_type(value))
    assume(not value.startswith(("-", "/", ".")) and not value.endswith((".", "/")))
    assume(".." not in value and "//" not in value)
    assert isinstance(yaml.safe_load(f"key: {value}")["key"], str)
    ruamel = pytest.importorskip("ruamel.yaml")  # check-jsonschema's, in the template's venv
    assert isinstance(ruamel.YAML(typ="safe", pure=True).load(f"key: {value}")["key"], str)


@pytest.mark.parametrize(
    "value",
    [
        "no",
        "Yes",
        "ON",
        "null",
        "~",
        "1.0",
        "1e3",
        "0o12",
        "012",
        "08",
        "1_000",
        "2026-01-01",
        ".inf",
    ],
)
def test_the_yaml_rule_catches_what_yaml_reads_as_another_type(value: str) -> None:
    assert hook.yaml_reads_as_other_type(value)


def test_the_hook_runs_its_checks_quickly() -> None:
    """The Quartz evaluation scans to 2099: a never-firing schedule must still be quick."""
    started = time.monotonic()
    for _ in range(20):
        hook.check_quartz_cron("feature_schedule", "0 0 0 30 2 ?")
    assert time.monotonic() - started < 2
