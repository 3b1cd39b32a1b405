"""Validate every answer before cookiecutter writes the project.

Runs inside the Python that runs cookiecutter (or cruft), so it uses the standard library only.
Each problem is one line naming the prompt, the value and the rule; any problem exits 1, and
cookiecutter then removes the project folder it had just created. A project name with several
path components (a/b) also makes the folders above it (a); cookiecutter removes only a/b, so
the hook leaves behind a small detached process that removes those folders once they are empty
(see remove_created_folders_later). The checks are plain functions so the template's tests can
call them directly.

An accepted answer must give a project whose every file parses and whose configuration loads, so
each answer is checked against every place it lands: TOML and Python strings (description),
YAML read by YAML 1.1 and 1.2 parsers (names, branches), Terraform strings, Python import names
(package_name), Java's time-zone ids and Quartz schedules that fire (the Databricks scheduler).
Answers holding Jinja syntax are refused: hooks/jinja_guard.py keeps cookiecutter from running
them, and this hook keeps them out of the project (and so out of .cruft.json).
"""

from __future__ import annotations

import calendar
import contextlib
import json
import keyword
import os
import re
import subprocess
import sys
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

# Jinja's delimiters: an answer holding one would be run as template code by cookiecutter/cruft.
JINJA_MARKERS = ("{" + "{", "{" + "%", "{" + "#")  # written so that cookiecutter leaves them be

# Import names a package_name must not take, because the generated project imports a module of
# that name. The top-level names of a generated project's installed virtualenv (its dependencies,
# their dependencies, its dev tools), as listed from an installed project on 2026-12-01
# (tests/test_answers.py checks that every declared dependency is here).
DEPENDENCY_IMPORTS = frozenset(
    """
    aiohappyeyeballs aiohttp aiosignal alembic annotated_doc annotated_types anyio attr attrs azure
    blinker boto3 botocore cachetools certifi cffi charset_normalizer click cloudpickle colorlog
    contourpy
    cryptography cycler databricks dataclasses_json dateutil detect_secrets distutils docker dotenv
    execnet
    fastapi flask flask_cors fonttools frozenlist git gitdb google google_crc32c graphene graphql
    graphql_relay grimp gunicorn h11 huey hyperopt hypothesis idna importlib_metadata importlinter
    iniconfig isodate itsdangerous jinja2 jmespath joblib kiwisolver mako markdown_it markupsafe
    marshmallow matplotlib mdurl mlflow mpl_toolkits multidict mypy_extensions narwhals networkx
    numpy opentelemetry optuna packaging pandas pil pip pkg_resources pluggy prettytable propcache
    proto
    psutil py py4j pyarrow pyasn1 pyasn1_modules pycparser pydantic pydantic_core pygments pylab
    pyparsing pyspark pytest pytz regex requests rich ruff s3transfer scipy setuptools six sklearn
    skops smmap sortedcontainers sqlalchemy sqlparse starlette tempo tenacity threadpoolctl tiktoken
    tiktoken_ext tqdm typing_extensions typing_inspect typing_inspection tzdata urllib3 uvicorn
    wcwidth werkzeug wheel xdist yaml yarl zipp
    """.split()
)

# Top-level names the generated project itself puts on sys.path (pytest's pythonpath is src and
# the project folder; tests/ folders are inserted by pytest): a package of one of these names
# would be shadowed by, or shadow, the project's own folder or module.
PROJECT_IMPORTS = frozenset(
    "benchmarks conf conftest docs examples jobs notebooks reports src terraform tests "
    "tools".split()
)

# Standard-library modules of Python versions newer than the one that may run this hook.
NEWER_STDLIB = frozenset({"tomllib", "annotationlib", "compression"})

# Names Windows cannot give a folder (the project folder is named after project_name).
WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)]
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
DNS_NAME = r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}"
HOST_URL = re.compile(rf"https://(?P<host>{DNS_NAME})/?", re.IGNORECASE)
# Git allows more (see `git check-ref-format`), but branch names are written unquoted into
# pipeline YAML, Terraform and shell, so only characters that are plain in all three are taken.
BRANCH_CHARS = re.compile(r"[A-Za-z0-9._/-]+")
# A description is written as a string into pyproject.toml and the package's Python
# (__description_toml, __description_python in cookiecutter.json); argparse would format '%('.
DESCRIPTION_FORBIDDEN = re.compile(r"%\(")
DESCRIPTION_WIDTH = 77  # as a Python string, less its quotes: cli.py holds it on one line of 100

# Plain scalars that YAML reads as something other than a string: null, booleans (YAML 1.1,
# which PyYAML reads conf/ with, and 1.2, the pipelines' parsers), integers (binary, octal with
# 0 or 0o, hex, decimal with '_', base 60), floats (with a dot, 1e3, .inf, .nan), dates, and the
# merge and value keys. Each answer written unquoted into YAML must be none of them.
YAML_NOT_A_STRING = re.compile(
    r"""
    ~ | null | Null | NULL
    | y | Y | yes | Yes | YES | n | N | no | No | NO | true | True | TRUE | false | False | FALSE
    | on | On | ON | off | Off | OFF
    | [-+]? (?: 0b[01_]+ | 0o?[0-7_]+ | 0x[0-9a-fA-F_]+ | [0-9][0-9_]* (?: :[0-5]?[0-9] )* )
    | [-+]? (?: [0-9][0-9_]* )? \. [0-9_]* (?: [eE][-+]?[0-9]+ )?
    | [-+]? [0-9][0-9_]* (?: :[0-5]?[0-9] )* [eE][-+]?[0-9]+
    | [-+]? \. (?: inf | Inf | INF ) | \. (?: nan | NaN | NAN )
    | [0-9]{4} - [0-9]{1,2} - [0-9]{1,2} (?: (?: [Tt] | [ \t]+ ) .* )?
    | << | =
    """,
    re.VERBOSE,
)


def _problem(prompt: str, value: object, rule: str) -> str:
    return f"prompt '{prompt}': {value!r} {rule}"


def yaml_reads_as_other_type(value: str) -> bool:
    """Whether YAML (1.1 or 1.2) reads ``value``, written unquoted, as anything but a string."""
    return value == "" or YAML_NOT_A_STRING.fullmatch(value) is not None


def _yaml_problem(prompt: str, value: str) -> str | None:
    if yaml_reads_as_other_type(value):
        return _problem(
            prompt,
            value,
            "is read by YAML as a boolean, null, number or date, not as text "
            "(it is written unquoted into YAML files): choose another name",
        )
    return None


def check_jinja(answers: dict) -> dict[str, str]:
    """The answers that hold Jinja syntax, by prompt: cookiecutter and cruft render every answer
    as a template, so such an answer would run as code (hooks/jinja_guard.py renders it as text
    instead), and it would run again on `cruft update` from .cruft.json. Derived values (``__``)
    are named only when no prompt is."""
    found: dict[str, str] = {}
    for derived in (False, True):
        if found:
            break
        for prompt, value in answers.items():
            if prompt.startswith("__") != derived or (not derived and prompt.startswith("_")):
                continue
            if isinstance(value, str) and any(marker in value for marker in JINJA_MARKERS):
                found[prompt] = _problem(
                    prompt,
                    value,
                    "holds Jinja template syntax ('{' followed by '{', '%' or '#'), which "
                    "cookiecutter and cruft would run as code: remove it",
                )
    return found


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
    if value in WINDOWS_DEVICES:
        return _problem("project_name", value, "is a device name on Windows: choose another name")
    return _yaml_problem("project_name", value)


def check_package_name(value: str) -> str | None:
    """An importable, lowercase Python name that shadows no module the project imports."""
    if not PACKAGE_NAME.fullmatch(value) or len(value) > 40:
        return _problem(
            "package_name",
            value,
            "is not a valid package name: use lowercase letters, digits and '_', starting with "
            "a letter, at most 40 characters (e.g. admission_risk)",
        )
    if keyword.iskeyword(value):
        return _problem("package_name", value, "is a Python keyword: choose another name")
    if value in sys.stdlib_module_names or value in NEWER_STDLIB:
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
    if value in PROJECT_IMPORTS or value.startswith("test_"):
        return _problem(
            "package_name",
            value,
            "is the name of one of the project's own folders or test modules: choose another name",
        )
    return _yaml_problem("package_name", value)


def display_width(text: str) -> int:
    """Columns ``text`` takes in an editor, as ruff counts them: wide (East Asian, emoji)
    characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def python_string(text: str) -> str:
    """``text`` as the Python string literal ruff would write (what __description_python in
    cookiecutter.json renders): double quotes unless the text holds more of them than single
    quotes, backslashes and the chosen quote escaped."""
    quote = "'" if text.count("'") < text.count('"') else '"'
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def check_description(value: str) -> str | None:
    """One line of printable text, written as a string into pyproject.toml, the package's
    docstring and its command's help, and into the README."""
    rule = None
    if not value.strip():
        rule = "must be one non-empty line of text"
    elif not value.isprintable():
        rule = (
            "must be one non-empty line of printable text (no line breaks, tabs or control "
            "characters)"
        )
    elif value != value.strip():
        rule = "must not start or end with a space"
    elif DESCRIPTION_FORBIDDEN.search(value):
        rule = "must not contain '%(' (the command's help would format it)"
    elif display_width(python_string(value)) - 2 > DESCRIPTION_WIDTH:
        rule = (
            f"is longer than {DESCRIPTION_WIDTH} columns as a Python string (it sits on one line "
            "of cli.py; wide characters count twice, \\ and quotes may take a \\ each): "
            "shorten it"
        )
    return _problem("description", value, rule) if rule else None


def check_host(prompt: str, value: str, cloud: str) -> str | None:
    """Empty (set it later), or https:// and a workspace host of the chosen cloud, nothing more."""
    if value == "":
        return None
    if not value.lower().startswith("https://"):
        return _problem(
            prompt, value, "must start with https:// (e.g. https://adb-123.4.azuredatabricks.net)"
        )
    match = HOST_URL.fullmatch(value)
    if not match:
        return _problem(
            prompt,
            value,
            "must be only https:// and a workspace host name, without a path, port or query "
            "(nor any other character)",
        )
    host = match["host"].lower()
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
    return _yaml_problem(prompt, value)


def check_branch(prompt: str, value: str) -> str | None:
    """A git branch name made of letters, digits, '.', '_', '-' and '/', that YAML reads as text."""
    rule = None
    parts = value.split("/")
    if not value:
        rule = "is empty"
    elif not BRANCH_CHARS.fullmatch(value):
        rule = "contains a character other than letters, digits, '.', '_', '-' and '/'"
    elif ".." in value or "//" in value:
        rule = "contains '..' or '//'"
    elif value.startswith(("-", "/")) or value.endswith(("/", ".")):
        rule = "starts with '-' or '/', or ends with '/' or '.'"
    elif any(part.startswith(".") or part.endswith(".lock") for part in parts):
        rule = "has a path component starting with '.' or ending with '.lock'"
    elif len(value) > 200:
        rule = "is longer than 200 characters"
    if rule:
        return _problem(prompt, value, f"is not a valid git branch name: it {rule}")
    if yaml_reads_as_other_type(value):
        return _problem(
            prompt,
            value,
            "is read by YAML as a boolean, null, number or date, not as a branch name (the "
            "pipelines list it unquoted): choose another name",
        )
    return None


# Quartz cron, as Databricks job schedules take it: seconds minutes hours day-of-month month
# day-of-week [year]. The expression is parsed into the values each field allows, as Quartz
# does, then evaluated: one that is valid syntax but never fires (Feb 30) is refused too.
# Taken: *, a number or name, a-b (Quartz wraps b < a past the field's end, as in FRI-MON),
# any of them /step, lists of those with ',', and alone in their field: ? and L, L-n, LW, nW in
# day-of-month; L, nL, n#k in day-of-week. Left out, because Quartz handles them oddly: a step
# after a name (MON/2 runs only on Mondays), nW after the 28th (Quartz moves it into the next
# month or skips it), and L, W or # inside a list (Quartz refuses most of them).
class CronField(NamedTuple):
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()

    @property
    def max_step(self) -> int:
        return 129 if self.name == "year" else self.high


_MONTHS = tuple("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())
_DAYS = tuple("SUN MON TUE WED THU FRI SAT".split())
CRON_FIELDS = (
    CronField("seconds", 0, 59),
    CronField("minutes", 0, 59),
    CronField("hours", 0, 23),
    CronField("day-of-month", 1, 31),
    CronField("month", 1, 12, _MONTHS),
    CronField("day-of-week", 1, 7, _DAYS),
    CronField("year", 1970, 2099),
)
CRON_SHAPE = re.compile(r"[!-~]+(?: [!-~]+){5,6}")  # printable ASCII fields, single spaces
_NUMBER = re.compile(r"[0-9]{1,4}")
LAST_YEAR = 2099


class CronError(ValueError):
    """Why an expression is not one Quartz takes (or fires on)."""


class Quartz(NamedTuple):
    """A parsed Quartz expression: the values of each field, and the day rules."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    day_of_month: tuple  # ("?",) | ("days", set) | ("L", offset) | ("LW",) | ("W", day)
    day_of_week: tuple  # ("?",) | ("days", set) | ("L", weekday) | ("#", weekday, nth)


def _cron_number(token: str, field: CronField) -> int:
    if token in field.names:
        return field.names.index(token) + field.low
    if _NUMBER.fullmatch(token) and field.low <= int(token) <= field.high:
        return int(token)
    named = f" or {field.names[0]}-{field.names[-1]}" if field.names else ""
    raise CronError(f"{field.name} value {token!r} is outside {field.low}-{field.high}{named}")


def _cron_values(item: str, field: CronField) -> set[int]:
    """The values one list item (*, a, a-b, each with an optional /step) allows."""
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not (_NUMBER.fullmatch(step_text) and 1 <= int(step_text) <= field.max_step):
            raise CronError(
                f"{field.name} step {step_text!r} must be a number from 1 to {field.max_step}"
            )
        step = int(step_text)
    if base == "*":
        start, end = field.low, field.high
    else:
        first, dash, last = base.partition("-")
        tokens = [first, last] if dash else [first]
        if slash and any(t in field.names for t in tokens):
            raise CronError(
                f"{field.name} value {item!r}: a step cannot follow a name (use numbers)"
            )
        if dash and (first in field.names) != (last in field.names):
            raise CronError(f"{field.name} range {base!r} mixes a name and a number")
        start = _cron_number(first, field)
        end = _cron_number(last, field) if dash else (field.high if slash else start)
    span = field.high - field.low + 1
    if end < start:
        if field.name == "year":
            raise CronError(f"year range {base!r} must go upwards")
        end += span  # Quartz wraps the range past the field's end
    return {field.low + (v - field.low) % span for v in range(start, end + 1, step)}


def _cron_list(text: str, field: CronField) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        values |= _cron_values(item, field)
    return frozenset(values)


_DOM_ALONE = re.compile(r"\?|L(?:-(?P<offset>[0-9]{1,2}))?|LW|(?P<weekday>[0-9]{1,2})W")
_DOW_ALONE = re.compile(r"\?|L|(?P<last>[0-9A-Z]{1,3})L|(?P<day>[0-9A-Z]{1,3})#(?P<nth>[0-9])")


def _day_of_month(text: str) -> tuple:
    match = _DOM_ALONE.fullmatch(text)
    if not match:
        if any(c in text for c in "?LW"):
            raise CronError("day-of-month ?, L and W stand alone (no list or range with them)")
        return ("days", _cron_list(text, CRON_FIELDS[3]))
    if text == "?":
        return ("?",)
    if text == "LW":
        return ("LW",)
    if match["weekday"] is not None:
        if not 1 <= int(match["weekday"]) <= 28:
            raise CronError("day-of-month nW takes a day from 1 to 28")
        return ("W", int(match["weekday"]))
    offset = int(match["offset"] or 0)
    if offset > 30:
        raise CronError("day-of-month L-n takes n from 0 to 30")
    return ("L", offset)


def _day_of_week(text: str) -> tuple:
    field = CRON_FIELDS[5]
    match = _DOW_ALONE.fullmatch(text)
    if not match:
        if any(c in text for c in "?L#"):
            raise CronError("day-of-week ?, L and # stand alone (no list or range with them)")
        return ("days", _cron_list(text, field))
    if text == "?":
        return ("?",)
    if text == "L":  # alone, L is the last day of the week: Saturday
        return ("days", frozenset({7}))
    if match["last"] is not None:
        return ("L", _cron_number(match["last"], field))
    nth = int(match["nth"])
    if not 1 <= nth <= 5:
        raise CronError("day-of-week n#k takes k from 1 to 5")
    return ("#", _cron_number(match["day"], field), nth)


def parse_quartz(value: str) -> Quartz:
    """The parsed expression, or CronError saying what Quartz would not take."""
    if not CRON_SHAPE.fullmatch(value):
        count = len(value.split())
        if 6 <= count <= 7:
            raise CronError("its fields must be printable ASCII, separated by single spaces")
        raise CronError(
            f"it needs 6 or 7 fields (seconds first), not {count}; e.g. '0 0 11 * * ?' runs "
            "daily at 11:00"
        )
    fields = value.upper().split(" ")  # Quartz reads names in any case
    if (fields[3] == "?") == (fields[5] == "?"):
        raise CronError(
            "exactly one of day-of-month and day-of-week must be '?' (e.g. '0 0 11 * * ?' or "
            "'0 0 8 ? * MON')"
        )
    for index in (0, 1, 2, 4, 6):
        if index < len(fields) and "?" in fields[index]:
            raise CronError(f"{CRON_FIELDS[index].name} cannot be '?'")
    year_text = fields[6] if len(fields) == 7 else "*"
    return Quartz(
        seconds=_cron_list(fields[0], CRON_FIELDS[0]),
        minutes=_cron_list(fields[1], CRON_FIELDS[1]),
        hours=_cron_list(fields[2], CRON_FIELDS[2]),
        months=_cron_list(fields[4], CRON_FIELDS[4]),
        years=_cron_list(year_text, CRON_FIELDS[6]),
        day_of_month=_day_of_month(fields[3]),
        day_of_week=_day_of_week(fields[5]),
    )


def _quartz_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Quartz: SUN=1 .. SAT=7; Python: MON=0 .. SUN=6


def _days_in_month(cron: Quartz, year: int, month: int) -> list[int]:
    """The days of the month ``cron`` fires on, in order."""
    last = calendar.monthrange(year, month)[1]
    dom, dow = cron.day_of_month, cron.day_of_week
    if dom[0] == "days":
        return sorted(d for d in dom[1] if d <= last)
    if dom[0] == "L":
        return [last - dom[1]] if last - dom[1] >= 1 else []
    if dom[0] in ("LW", "W"):
        day = last if dom[0] == "LW" else dom[1]
        weekday = date(year, month, day).weekday()  # MON=0 .. SUN=6
        if weekday == 5:  # Saturday: the Friday before, or the Monday after the 1st
            day = day + 2 if day == 1 else day - 1
        elif weekday == 6:  # Sunday: the Monday after, or the Friday before the month's end
            day = day - 2 if day == last else day + 1
        return [day]
    days = range(1, last + 1)
    weekdays = {d: _quartz_weekday(date(year, month, d)) for d in days}
    if dow[0] == "days":
        return [d for d in days if weekdays[d] in dow[1]]
    matching = [d for d in days if weekdays[d] == dow[1]]
    if dow[0] == "L":
        return matching[-1:]
    return [matching[dow[2] - 1]] if len(matching) >= dow[2] else []


def _first_time(cron: Quartz, after: time | None) -> time | None:
    """The first time of day ``cron`` fires at, strictly after ``after`` (None: midnight on)."""
    for hour in sorted(cron.hours):
        if after is not None and hour < after.hour:
            continue
        for minute in sorted(cron.minutes):
            if after is not None and (hour, minute) < (after.hour, after.minute):
                continue
            for second in sorted(cron.seconds):
                moment = time(hour, minute, second)
                if after is None or moment > after:
                    return moment
    return None


def next_fire(cron: Quartz, after: datetime) -> datetime | None:
    """The first moment (naive, in the schedule's time zone) after ``after`` that ``cron`` fires
    at, up to the end of Quartz's last year; None when there is none."""
    for year in sorted(y for y in cron.years if after.year <= y <= LAST_YEAR):
        for month in sorted(cron.months):
            if (year, month) < (after.year, after.month):
                continue
            for day in _days_in_month(cron, year, month):
                when = date(year, month, day)
                if when < after.date():
                    continue
                moment = _first_time(cron, after.time() if when == after.date() else None)
                if moment is not None:
                    return datetime.combine(when, moment)
    return None


def check_quartz_cron(prompt: str, value: str, now: datetime | None = None) -> str | None:
    """A Quartz cron expression as Databricks jobs take it (e.g. '0 0 11 * * ?'), that fires."""
    try:
        cron = parse_quartz(value)
    except CronError as error:
        return _problem(prompt, value, f"is not a valid Quartz cron expression: {error}")
    now = now or datetime.now() - timedelta(days=1)
    if next_fire(cron, now) is None:
        return _problem(
            prompt,
            value,
            f"never fires: no date from now until {LAST_YEAR} matches it (e.g. February has no "
            "30th, April no 31st)",
        )
    return None


# The time-zone ids of Java's tz database (java.time.ZoneId.getAvailableZoneIds(), OpenJDK 17
# and 25), without the deprecated SystemV/* ones: Databricks resolves a job's schedule in a Java
# time zone, and Java silently takes GMT for an id it does not know. Python knows more (Factory,
# localtime, posixrules, posix/*, right/*, EST, GMT+0, ROC, and newer zones), so Python's own list
# is not the rule. tests/test_answers.py checks this table against the machine's Java.
JAVA_ZONE_IDS_BY_AREA = {
    "Africa/": (
        "Abidjan Accra Addis_Ababa Algiers Asmara Asmera Bamako Bangui Banjul Bissau Blantyre "
        "Brazzaville Bujumbura Cairo Casablanca Ceuta Conakry Dakar Dar_es_Salaam Djibouti Douala "
        "El_Aaiun Freetown Gaborone Harare Johannesburg Juba Kampala Khartoum Kigali Kinshasa "
        "Lagos Libreville Lome Luanda Lubumbashi Lusaka Malabo Maputo Maseru Mbabane Mogadishu "
        "Monrovia Nairobi Ndjamena Niamey Nouakchott Ouagadougou Porto-Novo Sao_Tome Timbuktu "
        "Tripoli Tunis Windhoek"
    ),
    "America/": (
        "Adak Anchorage Anguilla Antigua Araguaina Argentina/Buenos_Aires Argentina/Catamarca "
        "Argentina/ComodRivadavia Argentina/Cordoba Argentina/Jujuy Argentina/La_Rioja "
        "Argentina/Mendoza Argentina/Rio_Gallegos Argentina/Salta Argentina/San_Juan "
        "Argentina/San_Luis Argentina/Tucuman Argentina/Ushuaia Aruba Asuncion Atikokan Atka "
        "Bahia Bahia_Banderas Barbados Belem Belize Blanc-Sablon Boa_Vista Bogota Boise "
        "Buenos_Aires Cambridge_Bay Campo_Grande Cancun Caracas Catamarca Cayenne Cayman Chicago "
        "Chihuahua Ciudad_Juarez Coral_Harbour Cordoba Costa_Rica Creston Cuiaba Curacao "
        "Danmarkshavn Dawson Dawson_Creek Denver Detroit Dominica Edmonton Eirunepe El_Salvador "
        "Ensenada Fort_Nelson Fort_Wayne Fortaleza Glace_Bay Godthab Goose_Bay Grand_Turk Grenada "
        "Guadeloupe Guatemala Guayaquil Guyana Halifax Havana Hermosillo Indiana/Indianapolis "
        "Indiana/Knox Indiana/Marengo Indiana/Petersburg Indiana/Tell_City Indiana/Vevay "
        "Indiana/Vincennes Indiana/Winamac Indianapolis Inuvik Iqaluit Jamaica Jujuy Juneau "
        "Kentucky/Louisville Kentucky/Monticello Knox_IN Kralendijk La_Paz Lima Los_Angeles "
        "Louisville Lower_Princes Maceio Managua Manaus Marigot Martinique Matamoros Mazatlan "
        "Mendoza Menominee Merida Metlakatla Mexico_City Miquelon Moncton Monterrey Montevideo "
        "Montreal Montserrat Nassau New_York Nipigon Nome Noronha North_Dakota/Beulah "
        "North_Dakota/Center North_Dakota/New_Salem Nuuk Ojinaga Panama Pangnirtung Paramaribo "
        "Phoenix Port-au-Prince Port_of_Spain Porto_Acre Porto_Velho Puerto_Rico Punta_Arenas "
        "Rainy_River Rankin_Inlet Recife Regina Resolute Rio_Branco Rosario Santa_Isabel Santarem "
        "Santiago Santo_Domingo Sao_Paulo Scoresbysund Shiprock Sitka St_Barthelemy St_Johns "
        "St_Kitts St_Lucia St_Thomas St_Vincent Swift_Current Tegucigalpa Thule Thunder_Bay "
        "Tijuana Toronto Tortola Vancouver Virgin Whitehorse Winnipeg Yakutat Yellowknife"
    ),
    "Antarctica/": (
        "Casey Davis DumontDUrville Macquarie Mawson McMurdo Palmer Rothera South_Pole Syowa "
        "Troll Vostok"
    ),
    "Arctic/": ("Longyearbyen"),
    "Asia/": (
        "Aden Almaty Amman Anadyr Aqtau Aqtobe Ashgabat Ashkhabad Atyrau Baghdad Bahrain Baku "
        "Bangkok Barnaul Beirut Bishkek Brunei Calcutta Chita Choibalsan Chongqing Chungking "
        "Colombo Dacca Damascus Dhaka Dili Dubai Dushanbe Famagusta Gaza Harbin Hebron "
        "Ho_Chi_Minh Hong_Kong Hovd Irkutsk Istanbul Jakarta Jayapura Jerusalem Kabul Kamchatka "
        "Karachi Kashgar Kathmandu Katmandu Khandyga Kolkata Krasnoyarsk Kuala_Lumpur Kuching "
        "Kuwait Macao Macau Magadan Makassar Manila Muscat Nicosia Novokuznetsk Novosibirsk Omsk "
        "Oral Phnom_Penh Pontianak Pyongyang Qatar Qostanay Qyzylorda Rangoon Riyadh Saigon "
        "Sakhalin Samarkand Seoul Shanghai Singapore Srednekolymsk Taipei Tashkent Tbilisi Tehran "
        "Tel_Aviv Thimbu Thimphu Tokyo Tomsk Ujung_Pandang Ulaanbaatar Ulan_Bator Urumqi Ust-Nera "
        "Vientiane Vladivostok Yakutsk Yangon Yekaterinburg Yerevan"
    ),
    "Atlantic/": (
        "Azores Bermuda Canary Cape_Verde Faeroe Faroe Jan_Mayen Madeira Reykjavik South_Georgia "
        "St_Helena Stanley"
    ),
    "Australia/": (
        "ACT Adelaide Brisbane Broken_Hill Canberra Currie Darwin Eucla Hobart LHI Lindeman "
        "Lord_Howe Melbourne NSW North Perth Queensland South Sydney Tasmania Victoria West "
        "Yancowinna"
    ),
    "Brazil/": ("Acre DeNoronha East West"),
    "": (
        "CET CST6CDT Cuba EET EST5EDT Egypt Eire GB GB-Eire GMT GMT0 Greenwich Hongkong Iceland "
        "Iran Israel Jamaica Japan Kwajalein Libya MET MST7MDT NZ NZ-CHAT Navajo PRC PST8PDT "
        "Poland Portugal ROK Singapore Turkey UCT UTC Universal W-SU WET Zulu"
    ),
    "Canada/": ("Atlantic Central Eastern Mountain Newfoundland Pacific Saskatchewan Yukon"),
    "Chile/": ("Continental EasterIsland"),
    "Etc/": (
        "GMT GMT+0 GMT+1 GMT+10 GMT+11 GMT+12 GMT+2 GMT+3 GMT+4 GMT+5 GMT+6 GMT+7 GMT+8 GMT+9 "
        "GMT-0 GMT-1 GMT-10 GMT-11 GMT-12 GMT-13 GMT-14 GMT-2 GMT-3 GMT-4 GMT-5 GMT-6 GMT-7 GMT-8 "
        "GMT-9 GMT0 Greenwich UCT UTC Universal Zulu"
    ),
    "Europe/": (
        "Amsterdam Andorra Astrakhan Athens Belfast Belgrade Berlin Bratislava Brussels Bucharest "
        "Budapest Busingen Chisinau Copenhagen Dublin Gibraltar Guernsey Helsinki Isle_of_Man "
        "Istanbul Jersey Kaliningrad Kiev Kirov Kyiv Lisbon Ljubljana London Luxembourg Madrid "
        "Malta Mariehamn Minsk Monaco Moscow Nicosia Oslo Paris Podgorica Prague Riga Rome Samara "
        "San_Marino Sarajevo Saratov Simferopol Skopje Sofia Stockholm Tallinn Tirane Tiraspol "
        "Ulyanovsk Uzhgorod Vaduz Vatican Vienna Vilnius Volgograd Warsaw Zagreb Zaporozhye "
        "Zurich"
    ),
    "Indian/": (
        "Antananarivo Chagos Christmas Cocos Comoro Kerguelen Mahe Maldives Mauritius Mayotte "
        "Reunion"
    ),
    "Mexico/": ("BajaNorte BajaSur General"),
    "Pacific/": (
        "Apia Auckland Bougainville Chatham Chuuk Easter Efate Enderbury Fakaofo Fiji Funafuti "
        "Galapagos Gambier Guadalcanal Guam Honolulu Johnston Kanton Kiritimati Kosrae Kwajalein "
        "Majuro Marquesas Midway Nauru Niue Norfolk Noumea Pago_Pago Palau Pitcairn Pohnpei "
        "Ponape Port_Moresby Rarotonga Saipan Samoa Tahiti Tarawa Tongatapu Truk Wake Wallis Yap"
    ),
    "US/": (
        "Alaska Aleutian Arizona Central East-Indiana Eastern Hawaii Indiana-Starke Michigan "
        "Mountain Pacific Samoa"
    ),
}
JAVA_ZONE_IDS = frozenset(
    f"{area}{name}" for area, names in JAVA_ZONE_IDS_BY_AREA.items() for name in names.split()
)


def check_timezone(value: str) -> str | None:
    """A time-zone id that Java's tz database knows (the Databricks scheduler runs on Java)."""
    if value not in JAVA_ZONE_IDS:
        return _problem(
            "schedule_timezone",
            value,
            "is not an IANA time-zone id that Java knows (Databricks schedules use Java's "
            "tz database; e.g. UTC, Europe/London, America/New_York; case-sensitive)",
        )
    return None


def check_email(value: str) -> str | None:
    """One address of the form name@domain.tld."""
    if not EMAIL.fullmatch(value) or len(value) > 254:
        return _problem(
            "notification_email", value, "is not an e-mail address (e.g. ml-alerts@your-org.com)"
        )
    return None


def check_group(value: str) -> str | None:
    """A Databricks group name that can be written into Terraform and YAML strings as it is."""
    if (
        not value.strip()
        or value != value.strip()
        or not value.isprintable()
        or re.search(r"[\"\\$`{}]", value)
    ):
        return _problem(
            "read_group",
            value,
            "is not a usable group name: give an existing group's name, without surrounding "
            'spaces, control characters or any of " \\ $ ` { }',
        )
    return None


def _hostname(url: str) -> str:
    """The host of a workspace URL, lowercase: how two answers are compared."""
    match = HOST_URL.fullmatch(url)
    return match["host"].lower() if match else ""


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


def _catalog_problem(prompt: str, value: str) -> str | None:
    if value in RESERVED_CATALOGS:
        return _problem(prompt, value, "is a built-in catalog: give the project its own catalog")
    return check_uc_name(prompt, value)


# Every free-text prompt and its check; choice prompts are checked by cookiecutter itself.
CHECKS = {
    "project_name": lambda a: check_project_name(a["project_name"]),
    "package_name": lambda a: check_package_name(a["package_name"]),
    "description": lambda a: check_description(a["description"]),
    "staging_workspace_host": lambda a: check_host(
        "staging_workspace_host", a["staging_workspace_host"], a["cloud"]
    ),
    "prod_workspace_host": lambda a: check_host(
        "prod_workspace_host", a["prod_workspace_host"], a["cloud"]
    ),
    "default_branch": lambda a: check_branch("default_branch", a["default_branch"]),
    "release_branch": lambda a: check_branch("release_branch", a["release_branch"]),
    "feature_schedule": lambda a: check_quartz_cron("feature_schedule", a["feature_schedule"]),
    "training_schedule": lambda a: check_quartz_cron("training_schedule", a["training_schedule"]),
    "inference_schedule": lambda a: check_quartz_cron(
        "inference_schedule", a["inference_schedule"]
    ),
    "schedule_timezone": lambda a: check_timezone(a["schedule_timezone"]),
    "notification_email": lambda a: check_email(a["notification_email"]),
    "read_group": lambda a: check_group(a["read_group"]),
    "dev_catalog": lambda a: _catalog_problem("dev_catalog", a["dev_catalog"]),
    "staging_catalog": lambda a: _catalog_problem("staging_catalog", a["staging_catalog"]),
    "prod_catalog": lambda a: _catalog_problem("prod_catalog", a["prod_catalog"]),
    "schema_name": lambda a: check_uc_name("schema_name", a["schema_name"]),
}


def check_answers(answers: dict) -> list[str]:
    """Every problem with a full set of answers, one line each; empty when generation may go on."""
    jinja = check_jinja(answers)
    problems = list(jinja.values())
    for prompt, check in CHECKS.items():
        if prompt not in jinja:
            problems.append(check(answers))
    found = [p for p in problems if p]
    if not found:  # combinations only make sense between answers that are each valid
        found = check_combinations(answers)
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
