"""Every invalid answer stops generation with one clear line, and nothing is left behind."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PROMPTS, REPO, load_hook, run
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

hook = load_hook("pre_gen_project")

AZURE_A = "https://adb-1111111111111111.1.azuredatabricks.net"
AZURE_B = "https://adb-2222222222222222.2.azuredatabricks.net"

# (answers, the prompt the error must name, a fragment of the rule it must state)
INVALID = [
    (
        {"project_name": "Admission-Risk", "package_name": "risk"},
        "project_name",
        "start with a lowercase letter",
    ),
    (
        {"project_name": "1risk", "package_name": "risk"},
        "project_name",
        "start with a lowercase letter",
    ),
    (
        {"project_name": "admission risk", "package_name": "risk"},
        "project_name",
        "single '-' or '_'",
    ),
    ({"project_name": "risk-", "package_name": "risk"}, "project_name", "single '-' or '_'"),
    ({"project_name": "r" * 65, "package_name": "risk"}, "project_name", "at most 64 characters"),
    (
        {"package_name": "admission-risk", "schema_name": "risk"},
        "package_name",
        "lowercase letters, digits and '_'",
    ),
    ({"package_name": "class"}, "package_name", "Python keyword"),
    ({"package_name": "json"}, "package_name", "standard-library module"),
    ({"package_name": "mlflow"}, "package_name", "shadow a library the project depends on"),
    ({"package_name": "p" * 41}, "package_name", "at most 40 characters"),
    ({"description": "two\nlines"}, "description", "one non-empty line"),
    (
        {"staging_workspace_host": "http://adb-1.2.azuredatabricks.net"},
        "staging_workspace_host",
        "https://",
    ),
    (
        {"staging_workspace_host": "adb-1.2.azuredatabricks.net"},
        "staging_workspace_host",
        "https://",
    ),
    (
        {"prod_workspace_host": AZURE_A + "/?o=1"},
        "prod_workspace_host",
        "without a path, port or query",
    ),
    (
        {"prod_workspace_host": AZURE_A + ":8443"},
        "prod_workspace_host",
        "without a path, port or query",
    ),
    (
        {"staging_workspace_host": "https://dbc-1234.cloud.databricks.com"},
        "staging_workspace_host",
        "not a Databricks workspace on cloud 'azure'",
    ),
    (
        {"cloud": "gcp", "staging_workspace_host": AZURE_A},
        "staging_workspace_host",
        "must end in .gcp.databricks.com",
    ),
    ({"staging_catalog": "my.catalog"}, "staging_catalog", "Unity Catalog name"),
    ({"prod_catalog": "prod-catalog"}, "prod_catalog", "Unity Catalog name"),
    ({"dev_catalog": "Dev"}, "dev_catalog", "lowercase letters"),
    ({"schema_name": "my schema"}, "schema_name", "no '.', space, '/' or '-'"),
    ({"dev_catalog": "hive_metastore"}, "dev_catalog", "built-in catalog"),
    ({"default_branch": "feature..x"}, "default_branch", "contains '..' or '//'"),
    ({"release_branch": "release.lock"}, "release_branch", "ending with '.lock'"),
    ({"release_branch": "rel ease"}, "release_branch", "a character other than"),
    ({"default_branch": "-main"}, "default_branch", "starts with '-' or '/'"),
    ({"release_branch": "main"}, "release_branch", "same as default_branch"),
    ({"feature_schedule": "0 6 * * *"}, "feature_schedule", "6 or 7 fields"),
    (
        {"inference_schedule": "0 0 25 * * ?"},
        "inference_schedule",
        "hours value '25' is outside 0-23",
    ),
    ({"training_schedule": "0 0 8 * * MON"}, "training_schedule", "exactly one of day-of-month"),
    ({"training_schedule": "0 */0 * ? * *"}, "training_schedule", "step '0'"),
    ({"feature_schedule": "0 0 6 ? JANUARY *"}, "feature_schedule", "month value 'JANUARY'"),
    ({"schedule_timezone": "Mars/Olympus"}, "schedule_timezone", "IANA time-zone id"),
    ({"notification_email": "ml-alerts"}, "notification_email", "not an e-mail address"),
    ({"notification_email": "a@b"}, "notification_email", "not an e-mail address"),
    ({"read_group": ""}, "read_group", "not a usable group name"),
    ({"read_group": "data${x}"}, "read_group", "not a usable group name"),
    (
        {
            "workspace_layout": "single_workspace",
            "staging_workspace_host": AZURE_A,
            "prod_workspace_host": AZURE_B,
        },
        "prod_workspace_host",
        "use the same host, or choose workspace_per_env",
    ),
    (
        {"staging_workspace_host": AZURE_A, "prod_workspace_host": AZURE_A.upper() + "/"},
        "prod_workspace_host",
        "give the prod workspace, or choose single_workspace",
    ),
    (
        {"model_registry": "workspace"},
        "databricks_feature_store",
        "needs model_registry 'unity_catalog'",
    ),
    ({"staging_catalog": "dev"}, "staging_catalog", "is also dev_catalog"),
]

# Answers the hook once took although the project they made did not work (issue 14): text the
# files cannot hold, names YAML reads as another type, names that shadow an import, time zones
# Java does not know, schedules that never fire, and Jinja, which cookiecutter would run.
JINJA = "{{ cycler.__init__.__globals__.os.system('id') }}"
NOT_TEXT = "read by YAML as a boolean, null, number or date"
NEVER = "never fires"
JAVA = "IANA time-zone id that Java knows"
BROKEN_BEFORE = [
    ({"description": "tab\tseparated"}, "description", "printable text"),
    ({"description": "delete\x7fcharacter"}, "description", "printable text"),
    ({"description": "line\u2028separator"}, "description", "printable text"),
    ({"description": "bad \udcff byte"}, "description", "printable text"),
    ({"description": " Predicts admissions"}, "description", "must not start or end with a space"),
    ({"description": "see %(prog)s"}, "description", "'%('"),
    ({"description": "入院" * 20}, "description", "longer than 77 columns"),
    ({"description": "x" * 78}, "description", "longer than 77 columns"),
    ({"description": "\\" * 40}, "description", "longer than 77 columns"),
    ({"description": JINJA}, "description", "holds Jinja template syntax"),
    ({"description": "{% if true %}x{% endif %}"}, "description", "holds Jinja template syntax"),
    ({"description": "{# note #}"}, "description", "holds Jinja template syntax"),
    (
        {"project_name": "{{ 7 * 7 }}", "package_name": "risk"},
        "project_name",
        "holds Jinja template syntax",
    ),
    ({"project_name": "no", "package_name": "risk"}, "project_name", NOT_TEXT),
    ({"project_name": "on", "package_name": "risk"}, "project_name", NOT_TEXT),
    ({"project_name": "con", "package_name": "risk"}, "project_name", "device name on Windows"),
    ({"package_name": "null", "schema_name": "risk"}, "package_name", NOT_TEXT),
    ({"package_name": "requests"}, "package_name", "shadow a library the project depends on"),
    ({"package_name": "numpy"}, "package_name", "shadow a library the project depends on"),
    ({"package_name": "tomllib"}, "package_name", "standard-library module"),
    ({"package_name": "benchmarks"}, "package_name", "the project's own folders"),
    ({"package_name": "conftest"}, "package_name", "the project's own folders"),
    ({"package_name": "test_config"}, "package_name", "test modules"),
    ({"dev_catalog": "on"}, "dev_catalog", NOT_TEXT),
    ({"prod_catalog": "true"}, "prod_catalog", NOT_TEXT),
    ({"schema_name": "off"}, "schema_name", NOT_TEXT),
    ({"schema_name": "y"}, "schema_name", NOT_TEXT),
    ({"release_branch": "1.0"}, "release_branch", NOT_TEXT),
    ({"release_branch": "2026-01-01"}, "release_branch", NOT_TEXT),
    ({"release_branch": "0o12"}, "release_branch", NOT_TEXT),
    ({"release_branch": "1e3"}, "release_branch", NOT_TEXT),
    ({"default_branch": "0123"}, "default_branch", NOT_TEXT),
    ({"default_branch": "Yes"}, "default_branch", NOT_TEXT),
    ({"release_branch": "rel.lock/1"}, "release_branch", "ending with '.lock'"),
    ({"feature_schedule": "0 0 0 30 2 ?"}, "feature_schedule", NEVER),
    ({"training_schedule": "0 0 0 31 4,6,9,11 ?"}, "training_schedule", NEVER),
    ({"inference_schedule": "0 0 0 L-30 2 ?"}, "inference_schedule", NEVER),
    ({"inference_schedule": "0 0 6 * * ? 2020"}, "inference_schedule", NEVER),
    ({"inference_schedule": "0 0 6 ? * 2#5 2026-2026"}, "inference_schedule", NEVER),
    ({"training_schedule": "0 0 8 ? * MON/2"}, "training_schedule", "a step cannot follow a name"),
    ({"training_schedule": "0 0 8 1,L * ?"}, "training_schedule", "stand alone"),
    ({"training_schedule": "0 0 8 30W * ?"}, "training_schedule", "nW takes a day from 1 to 28"),
    ({"feature_schedule": "0 0/90 * * * ?"}, "feature_schedule", "from 1 to 59"),
    ({"feature_schedule": "0 0 6  * * ?"}, "feature_schedule", "single spaces"),
    ({"feature_schedule": "0 0 6 * * ? 2030-2027"}, "feature_schedule", "must go upwards"),
    ({"feature_schedule": "0 0 6 * * ?\n"}, "feature_schedule", "single spaces"),
    ({"schedule_timezone": "Factory"}, "schedule_timezone", JAVA),
    ({"schedule_timezone": "localtime"}, "schedule_timezone", JAVA),
    ({"schedule_timezone": "posixrules"}, "schedule_timezone", JAVA),
    ({"schedule_timezone": "posix/Europe/London"}, "schedule_timezone", JAVA),
    ({"schedule_timezone": "right/UTC"}, "schedule_timezone", JAVA),
    ({"schedule_timezone": "GMT+0"}, "schedule_timezone", JAVA),
    ({"schedule_timezone": "europe/london"}, "schedule_timezone", JAVA),
    ({"schedule_timezone": "SystemV/EST5"}, "schedule_timezone", JAVA),
    (
        {"staging_workspace_host": "https://adb-1.2.azuredata\nbricks.net"},
        "staging_workspace_host",
        "without a path, port or query",
    ),
    (
        {"staging_workspace_host": AZURE_A + "#"},
        "staging_workspace_host",
        "without a path, port or query",
    ),
    ({"read_group": "data\tscience"}, "read_group", "not a usable group name"),
    ({"notification_email": "a" * 250 + "@b.co"}, "notification_email", "not an e-mail address"),
]
INVALID += BROKEN_BEFORE


IDS = [f"{prompt}-{i}" for i, (_, prompt, _) in enumerate(INVALID)]


def answers_for(overrides: dict) -> dict:
    """The full answers cookiecutter computes from the defaults plus ``overrides``."""
    context = generate_context(str(REPO / "cookiecutter.json"), extra_context=overrides)
    return dict(prompt_for_config(context, no_input=True))


def test_there_are_at_least_twenty_distinct_invalid_answers() -> None:
    distinct = {tuple(sorted(overrides.items())) for overrides, _, _ in INVALID}
    assert len(distinct) == len(INVALID) >= 20
    assert len(BROKEN_BEFORE) >= 20


def test_default_answers_are_valid() -> None:
    assert hook.check_answers(answers_for({})) == []


@pytest.mark.parametrize(("overrides", "prompt", "rule"), INVALID, ids=IDS)
def test_invalid_answer_is_one_line_naming_prompt_value_and_rule(overrides, prompt, rule) -> None:
    [line] = hook.check_answers(answers_for(overrides))
    value = overrides.get(prompt, answers_for(overrides)[prompt])
    assert line.startswith(f"prompt '{prompt}': {value!r} ")
    assert rule in line
    assert "\n" not in line


@pytest.mark.parametrize(("overrides", "prompt", "rule"), INVALID, ids=IDS)
def test_cookiecutter_stops_and_leaves_nothing(tmp_path: Path, overrides, prompt, rule) -> None:
    out = tmp_path / "out"
    args = [f"{key}={value}" for key, value in overrides.items()]
    result = run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(out), str(REPO), *args],
        cwd=tmp_path,
        stderr=subprocess.PIPE,  # the hook writes its lines to stderr
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: prompt '{prompt}': ")
    assert rule in errors[0]
    assert not out.exists() or not any(out.iterdir())


def refuse(out: Path, project_name: str) -> None:
    """Run cookiecutter as a user would with ``project_name``; it must refuse the name."""
    result = run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(out), str(REPO)]
        + [f"project_name={project_name}"],
        cwd=out.parent,
        stderr=subprocess.PIPE,
        timeout=120,
    )
    assert result.returncode != 0
    assert any(
        line.startswith(f"error: prompt 'project_name': {project_name!r} ")
        for line in result.stderr.splitlines()
    ), result.stderr


def wait_for(condition: Callable[[], bool], seconds: float = 5) -> bool:
    """Whether ``condition`` holds within ``seconds``: the hook's clean-up runs after it exits."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.parametrize("project_name", ["a/b", "x/y/z", "a/../b"])
def test_a_project_name_with_folders_leaves_no_folder_behind(
    tmp_path: Path, project_name: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    refuse(out, project_name)
    assert wait_for(lambda: not any(out.iterdir())), sorted(out.rglob("*"))
    assert sorted(tmp_path.iterdir()) == [out]  # nothing above the output folder either


def test_a_refused_project_name_keeps_a_folder_that_was_there(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / "keep.txt").write_text("mine\n")
    refuse(out, "a/b")
    time.sleep(0.3)  # time for the clean-up to have run
    refuse(out, "a/x/b")  # the same, but with a folder (a/x) whose removal shows it has run
    assert wait_for(lambda: not (out / "a" / "x").exists())
    assert sorted(out.rglob("*")) == [out / "a", out / "a" / "keep.txt"]
    assert (out / "a" / "keep.txt").read_text() == "mine\n"


def test_created_folders_are_below_the_output_folder_deepest_first(tmp_path: Path) -> None:
    out = tmp_path.resolve()
    (out / "x" / "y" / "z").mkdir(parents=True)
    project = str(out / "x" / "y" / "z")
    expected = [str(out / "x" / "y"), str(out / "x")]
    assert hook.created_folders("x/y/z", project, None) == expected
    assert hook.created_folders("x/y/z", project, str(out)) == expected
    assert hook.created_folders("x//y/./z", project, str(out)) == expected
    assert hook.created_folders("y/z", project, str(out / "x")) == [str(out / "x" / "y")]
    assert hook.created_folders("z", project, str(out / "x" / "y")) == []
    assert hook.created_folders("x/y/z", project, str(out / "x")) == []  # not its output folder
    assert hook.created_folders("q/z", project, None) == []  # not where this name leads
    assert hook.created_folders(project, project, None) == []  # absolute
    assert hook.created_folders("../z", project, str(out / "x" / "y" / "w")) == []
    (out / "a").mkdir()  # cookiecutter makes out/a and out/b for a/../b
    (out / "b").mkdir()
    assert hook.created_folders("a/../b", str(out / "b"), None) == []  # needs the output folder
    assert hook.created_folders("a/../b", str(out / "b"), str(out)) == [str(out / "a")]
    (out / "link").symlink_to(out / "x")
    linked = str(out / "link" / "y" / "z")
    assert hook.created_folders("link/y/z", linked, None) == []  # the folders are elsewhere


def test_every_problem_is_reported_at_once() -> None:
    problems = hook.check_answers(
        answers_for(
            {
                "project_name": "Bad Name",
                "package_name": "bad_name",
                "notification_email": "nobody",
                "dev_catalog": "a.b",
            }
        )
    )
    assert [p.split("'")[1] for p in problems] == [
        "project_name",
        "notification_email",
        "dev_catalog",
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "0 0 11 * * ?",
        "0 0 8 ? * MON",
        "0 0 8 ? * MON-FRI",
        "0 15 10 ? * 6L",
        "0 0 0 ? * 6#3",
        "0 0 12 1/5 * ?",
        "0 0 0 L * ?",
        "0 0 0 L-2 * ?",
        "0 0 0 15W * ?",
        "0 0 0 LW * ?",
        "0 0/30 9-17 ? JAN,JUL MON",
        "0 0 6 * * ? 2027",
        "0 0 6 * * ? *",
    ],
)
def test_valid_quartz_expressions_pass(expression: str) -> None:
    assert hook.check_quartz_cron("feature_schedule", expression) is None


@pytest.mark.parametrize(
    ("cloud", "host"),
    [
        ("azure", AZURE_A),
        ("azure", AZURE_A + "/"),
        ("azure", "https://adb-1.2.databricks.azure.cn"),
        ("aws", "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com"),
        ("gcp", "https://1234567890123456.7.gcp.databricks.com"),
        ("aws", ""),
    ],
)
def test_valid_hosts_pass(cloud: str, host: str) -> None:
    assert hook.check_host("staging_workspace_host", host, cloud) is None


def test_single_workspace_accepts_the_same_host_written_differently() -> None:
    answers = answers_for(
        {
            "workspace_layout": "single_workspace",
            "staging_workspace_host": AZURE_A,
            "prod_workspace_host": AZURE_A + "/",
        }
    )
    assert hook.check_answers(answers) == []


@pytest.mark.parametrize("branch", ["main", "release", "release/2026.1", "dev_ops-2"])
def test_valid_branches_pass(branch: str) -> None:
    assert hook.check_branch("release_branch", branch) is None


@pytest.mark.parametrize("value", ["ml.alerts+prod@health-plan.example.org", "a@b.co"])
def test_valid_emails_pass(value: str) -> None:
    assert hook.check_email(value) is None


def test_hook_has_no_template_syntax_outside_its_one_context_line() -> None:
    text = (REPO / "hooks/pre_gen_project.py").read_text()
    assert [line for line in text.splitlines() if "{{" in line or "{%" in line or "{#" in line] == [
        '    sys.exit(main(json.loads(r"""{{ cookiecutter | tojson }}""")))'
    ]


class _Recording(dict):
    def __init__(self, *args):
        super().__init__(*args)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def test_every_free_text_answer_is_checked() -> None:
    """Choice answers are checked by cookiecutter itself; every other answer must be read here."""
    answers = _Recording(answers_for({}))
    hook.check_answers(answers)
    free_text = {k for k, v in PROMPTS.items() if not k.startswith("_") and not isinstance(v, list)}
    assert free_text - answers.read == set()
