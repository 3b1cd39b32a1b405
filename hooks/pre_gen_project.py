"""Validate every answer before cookiecutter writes the project.

Runs inside the Python that runs cookiecutter (or cruft), so it uses the standard library only.
Each problem is one line naming the prompt, the value and the rule; any problem exits 1, and
cookiecutter then removes the project folder it had just created. A project name with several
path components (a/b) also makes the folders above it (a); cookiecutter removes only a/b, so
the hook leaves behind a small detached process that removes those folders once they are empty
(see remove_created_folders_later). The checks are plain functions so the template's tests can
call them directly.
"""

from __future__ import annotations

import contextlib
import json
import keyword
import os
import re
import subprocess
import sys
import zoneinfo
from urllib.parse import urlsplit

# Import names of the generated project's dependencies: a package with one of these names
# would shadow the library it needs.
DEPENDENCY_IMPORTS = frozenset(
    {
        "databricks",
        "hyperopt",
        "mlflow",
        "numpy",
        "pandas",
        "pip",
        "pydantic",
        "pyspark",
        "pytest",
        "setuptools",
        "sklearn",
        "yaml",
    }
)

# The host suffixes of Databricks workspaces on each cloud (commercial and sovereign clouds).
HOST_SUFFIXES = {
    "azure": (".azuredatabricks.net", ".databricks.azure.cn", ".databricks.azure.us"),
    "aws": (".cloud.databricks.com", ".cloud.databricks.us"),
    "gcp": (".gcp.databricks.com",),
}

# Catalogs that are not the project's to write: built-in read-only ones and the legacy metastore.
RESERVED_CATALOGS = frozenset({"system", "samples", "hive_metastore"})

PROJECT_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
PACKAGE_NAME = re.compile(r"[a-z][a-z0-9_]*")
UC_NAME = re.compile(r"[a-z_][a-z0-9_]*")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}")
DNS_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}")


def _problem(prompt: str, value: object, rule: str) -> str:
    return f"prompt '{prompt}': {value!r} {rule}"


def check_project_name(value: str) -> str | None:
    """A folder and repository name: lowercase words joined by single '-' or '_'."""
    if not PROJECT_NAME.fullmatch(value) or len(value) > 64:
        return _problem(
            "project_name",
            value,
            "is not a valid project name: start with a lowercase letter, then lowercase letters "
            "or digits, words joined by a single '-' or '_', at most 64 characters "
            "(e.g. admission-risk)",
        )
    return None


def check_package_name(value: str) -> str | None:
    """An importable, lowercase Python name that shadows neither the stdlib nor a dependency."""
    if not PACKAGE_NAME.fullmatch(value) or len(value) > 40:
        return _problem(
            "package_name",
            value,
            "is not a valid package name: use lowercase letters, digits and '_', starting with "
            "a letter, at most 40 characters (e.g. admission_risk)",
        )
    if keyword.iskeyword(value):
        return _problem("package_name", value, "is a Python keyword: choose another name")
    if value in sys.stdlib_module_names:
        return _problem(
            "package_name",
            value,
            "clashes with the standard-library module of that name: choose another name",
        )
    if value in DEPENDENCY_IMPORTS:
        return _problem(
            "package_name",
            value,
            "would shadow a library the project depends on: choose another name",
        )
    return None


def check_description(value: str) -> str | None:
    """One non-empty line: it is written into pyproject.toml and the README title."""
    if not value.strip() or "\n" in value or "\r" in value:
        return _problem("description", value, "must be one non-empty line of text")
    return None


def check_host(prompt: str, value: str, cloud: str) -> str | None:
    """Empty (set it later), or https:// and a workspace host of the chosen cloud, nothing more."""
    if value == "":
        return None
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:  # a non-numeric port
        port = -1
    if parts.scheme != "https":
        return _problem(
            prompt, value, "must start with https:// (e.g. https://adb-123.4.azuredatabricks.net)"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or port or parts.username:
        return _problem(
            prompt,
            value,
            "must be only https:// and the workspace host, without a path, port or query",
        )
    host = parts.hostname or ""
    if not DNS_NAME.fullmatch(host):
        return _problem(prompt, value, "does not contain a valid host name")
    suffixes = HOST_SUFFIXES[cloud]
    if not host.endswith(suffixes):
        return _problem(
            prompt,
            value,
            f"is not a Databricks workspace on cloud '{cloud}': its host must end in "
            + " or ".join(suffixes),
        )
    return None


def check_uc_name(prompt: str, value: str) -> str | None:
    """A Unity Catalog name that needs no quoting: lowercase letters, digits, '_'; <= 255 chars."""
    if not UC_NAME.fullmatch(value) or len(value) > 255:
        return _problem(
            prompt,
            value,
            "is not a usable Unity Catalog name: use lowercase letters, digits and '_' "
            "(no '.', space, '/' or '-'), at most 255 characters",
        )
    return None


# Git allows more (see `git check-ref-format`), but branch names are written unquoted into
# pipeline YAML, Terraform and shell, so only characters that are plain in all three are taken.
BRANCH_CHARS = re.compile(r"[A-Za-z0-9._/-]+")


def check_branch(prompt: str, value: str) -> str | None:
    """A git branch name made of letters, digits, '.', '_', '-' and '/'."""
    rule = None
    if not value:
        rule = "is empty"
    elif not BRANCH_CHARS.fullmatch(value):
        rule = "contains a character other than letters, digits, '.', '_', '-' and '/'"
    elif ".." in value or "//" in value:
        rule = "contains '..' or '//'"
    elif value.startswith(("-", "/")) or value.endswith(("/", ".", ".lock")):
        rule = "starts with '-' or '/', or ends with '/', '.' or '.lock'"
    elif any(part.startswith(".") for part in value.split("/")):
        rule = "has a path component starting with '.'"
    if rule:
        return _problem(prompt, value, f"is not a valid git branch name: it {rule}")
    return None


# Quartz cron: seconds minutes hours day-of-month month day-of-week [year].
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_DAYS = "SUN MON TUE WED THU FRI SAT".split()
_FIELDS = (
    ("seconds", 0, 59, ()),
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2099, ()),
)
_DOM_SPECIAL = re.compile(r"L(?:-(?:[1-9]|[12]\d|30))?|LW|(?:[1-9]|[12]\d|3[01])W")
_DOW_SPECIAL = re.compile(r"L|[1-7A-Z]{1,3}L|[1-7A-Z]{1,3}#[1-5]")


def _cron_value(token: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if token.upper() in names:
        return names.index(token.upper()) + low
    if token.isdigit() and low <= int(token) <= high:
        return int(token)
    return None


def _cron_field_error(text: str, index: int) -> str | None:
    name, low, high, names = _FIELDS[index]
    for item in text.split(","):
        if item == "?" and name in ("day-of-month", "day-of-week"):
            continue
        if name == "day-of-month" and _DOM_SPECIAL.fullmatch(item):
            continue
        if name == "day-of-week" and _DOW_SPECIAL.fullmatch(item.upper()):
            day = item.upper().rstrip("L").split("#")[0]
            if day == "" or _cron_value(day, low, high, names) is not None:
                continue
        base, _, step = item.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return f"{name} step {step!r} must be a positive number"
        if base == "*":
            continue
        first, _, last = base.partition("-")
        start = _cron_value(first, low, high, names)
        end = _cron_value(last, low, high, names) if last else start
        if start is None or end is None:
            return f"{name} value {item!r} is outside {low}-{high}"
    return None


def check_quartz_cron(prompt: str, value: str) -> str | None:
    """A Quartz cron expression as Databricks jobs take it, e.g. '0 0 11 * * ?'."""
    fields = value.split()
    if len(fields) not in (6, 7):
        return _problem(
            prompt,
            value,
            f"is not a Quartz cron expression: it needs 6 or 7 fields (seconds first), not "
            f"{len(fields)}; e.g. '0 0 11 * * ?' runs daily at 11:00",
        )
    for index, text in enumerate(fields):
        error = _cron_field_error(text, index)
        if error:
            return _problem(prompt, value, f"is not a valid Quartz cron expression: {error}")
    if (fields[3] == "?") == (fields[5] == "?"):
        return _problem(
            prompt,
            value,
            "is not a valid Quartz cron expression: exactly one of day-of-month and day-of-week "
            "must be '?' (e.g. '0 0 11 * * ?' or '0 0 8 ? * MON')",
        )
    return None


def check_timezone(value: str) -> str | None:
    """An IANA time-zone name (Databricks takes Java zone ids, which use the same names)."""
    known = zoneinfo.available_timezones()
    if known and value not in known:
        return _problem(
            "schedule_timezone", value, "is not an IANA time-zone name (e.g. UTC, Europe/London)"
        )
    return None


def check_email(value: str) -> str | None:
    """One address of the form name@domain.tld."""
    if not EMAIL.fullmatch(value):
        return _problem(
            "notification_email", value, "is not an e-mail address (e.g. ml-alerts@your-org.com)"
        )
    return None


def check_group(value: str) -> str | None:
    """A Databricks group name that can be written into Terraform and YAML strings as it is."""
    if not value.strip() or value != value.strip() or re.search(r"[\x00-\x1f\x7f\"\\$`{}]", value):
        return _problem(
            "read_group",
            value,
            "is not a usable group name: give an existing group's name, without surrounding "
            'spaces, control characters or any of " \\ $ ` { }',
        )
    return None


def _hostname(url: str) -> str:
    """The host of a workspace URL, lowercase: how two answers are compared."""
    return urlsplit(url).hostname or ""


def check_combinations(a: dict) -> list[str]:
    """Answers that are valid alone but make no sense together."""
    problems = []
    if a["default_branch"] == a["release_branch"]:
        problems.append(
            _problem(
                "release_branch",
                a["release_branch"],
                "is the same as default_branch: prod must deploy from its own branch",
            )
        )
    staging, prod = a["staging_workspace_host"], a["prod_workspace_host"]
    same_host = _hostname(staging) == _hostname(prod)
    if a["workspace_layout"] == "single_workspace" and staging and prod and not same_host:
        problems.append(
            _problem(
                "prod_workspace_host",
                prod,
                f"differs from staging_workspace_host {staging!r}, but workspace_layout is "
                "single_workspace: use the same host, or choose workspace_per_env",
            )
        )
    if a["workspace_layout"] == "workspace_per_env" and staging and prod and same_host:
        problems.append(
            _problem(
                "prod_workspace_host",
                prod,
                "is the same as staging_workspace_host, but workspace_layout is "
                "workspace_per_env: give the prod workspace, or choose single_workspace",
            )
        )
    if a["databricks_feature_store"] == "yes" and a["model_registry"] != "unity_catalog":
        problems.append(
            _problem(
                "databricks_feature_store",
                "yes",
                "needs model_registry 'unity_catalog' (Feature Engineering works on Unity "
                "Catalog tables only): answer 'no', or choose unity_catalog",
            )
        )
    seen: dict[str, str] = {}
    for prompt in ("dev_catalog", "staging_catalog", "prod_catalog"):
        value = a[prompt]
        if value in seen:
            rule = f"is also {seen[value]}: each environment needs its own catalog"
            problems.append(_problem(prompt, value, rule))
        seen.setdefault(value, prompt)
    return problems


def check_answers(answers: dict) -> list[str]:
    """Every problem with a full set of answers, one line each; empty when generation may go on."""
    a = answers
    problems = [
        check_project_name(a["project_name"]),
        check_package_name(a["package_name"]),
        check_description(a["description"]),
        check_host("staging_workspace_host", a["staging_workspace_host"], a["cloud"]),
        check_host("prod_workspace_host", a["prod_workspace_host"], a["cloud"]),
        check_branch("default_branch", a["default_branch"]),
        check_branch("release_branch", a["release_branch"]),
        check_quartz_cron("feature_schedule", a["feature_schedule"]),
        check_quartz_cron("training_schedule", a["training_schedule"]),
        check_quartz_cron("inference_schedule", a["inference_schedule"]),
        check_timezone(a["schedule_timezone"]),
        check_email(a["notification_email"]),
        check_group(a["read_group"]),
    ]
    for prompt in ("dev_catalog", "staging_catalog", "prod_catalog", "schema_name"):
        problems.append(check_uc_name(prompt, a[prompt]))
    for prompt in ("dev_catalog", "staging_catalog", "prod_catalog"):
        if a[prompt] in RESERVED_CATALOGS:
            rule = "is a built-in catalog: give the project its own catalog"
            problems.append(_problem(prompt, a[prompt], rule))
    found = [p for p in problems if p]
    if not found:  # combinations only make sense between answers that are each valid
        found = check_combinations(a)
    return found


def created_folders(project_name: str, project_dir: str, output_dir: str | None) -> list[str]:
    """The folders between the output folder and the project folder that generating
    ``project_name`` into ``project_dir`` (the hook's working directory) may have created,
    deepest first; empty when there are none or they cannot be told apart safely.

    The output folder is ``project_dir`` with the name's components stripped from its end, and
    must be cookiecutter's ``_output_dir`` when that is known. Only components before the first
    '..' count (nothing is reached through '..'), none of the folders may be a symlink, and the
    output folder itself and everything above it are never among them.
    """
    if not project_name or os.path.isabs(project_name) or os.path.splitdrive(project_name)[0]:
        return []
    separators = re.escape(os.sep + (os.altsep or ""))
    parts = [p for p in re.split(f"[{separators}]", project_name) if p not in ("", ".")]
    if ".." in parts:
        if output_dir is None:
            return []
        base = os.path.realpath(output_dir)
        head = parts[: parts.index("..")]
        try:
            if not os.path.samefile(os.path.join(output_dir, project_name), project_dir):
                return []
        except OSError:
            return []
    else:
        base = os.path.realpath(project_dir)
        for part in reversed(parts):
            if os.path.normcase(os.path.basename(base)) != os.path.normcase(part):
                return []
            base = os.path.dirname(base)
        head = parts[:-1]
        try:
            if output_dir is not None and not os.path.samefile(base, output_dir):
                return []
        except OSError:
            return []
    folders = [os.path.join(base, *head[:depth]) for depth in range(len(head), 0, -1)]
    if any(os.path.realpath(folder) != folder for folder in folders):  # a symlink on the way
        return []
    return folders


# Run by a detached Python: argv is the project folder, the pid of the process that runs
# cookiecutter, then the folders to remove (deepest first). It waits until cookiecutter has
# removed the project folder (polling; it gives up after 30 s or once that process has ended
# without removing it), then removes each folder that is empty, stopping at the first that is not.
CLEANUP = """
import os, sys, time
project_dir, owner, folders = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def owner_alive():
    if os.name != "posix":
        return True
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True

deadline = time.monotonic() + 30
while os.path.lexists(project_dir) and time.monotonic() < deadline and owner_alive():
    time.sleep(0.02)
if not os.path.lexists(project_dir):
    for folder in folders:
        try:
            os.rmdir(folder)
        except FileNotFoundError:
            continue
        except OSError:
            break
"""


def remove_created_folders_later(project_dir: str, folders: list[str]) -> None:
    """Start the detached process that removes ``folders`` once cookiecutter has removed
    ``project_dir``: cookiecutter removes the project folder only after this hook has exited,
    and removing it here instead would make cookiecutter's own removal fail."""
    if not folders:
        return
    with contextlib.suppress(OSError):  # if it cannot start, the answers are still refused
        subprocess.Popen(
            [sys.executable, "-I", "-c", CLEANUP, project_dir, str(os.getppid()), *folders],
            cwd=os.path.dirname(folders[-1]),  # the output folder: not inside what goes away
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )


def main(answers: dict) -> int:
    problems = check_answers(answers)
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    if problems:
        print("Nothing was generated. Fix the answers above and run again.", file=sys.stderr)
        project_dir = os.getcwd()
        folders = created_folders(
            str(answers.get("project_name", "")), project_dir, answers.get("_output_dir")
        )
        remove_created_folders_later(project_dir, folders)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(json.loads(r"""{{ cookiecutter | tojson }}""")))
