"""Hypothesis strategies for every prompt's accepted language, built from the hook's own rules:
the same patterns (from_regex), the same tables (time zones, host suffixes, Quartz fields) and
the same checks as filters, so whatever is drawn is an answer the hook takes."""

from __future__ import annotations

from conftest import CHOICES, load_hook
from hypothesis import strategies as st

hook = load_hook("pre_gen_project")


def accepted(strategy: st.SearchStrategy[str], check) -> st.SearchStrategy[str]:
    """``strategy`` less what ``check`` (a hook check returning a problem or None) refuses."""
    return strategy.filter(lambda value: check(value) is None)


def regex(pattern, max_size: int) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True).filter(lambda v: len(v) <= max_size)


project_names = accepted(regex(hook.PROJECT_NAME, 64), hook.check_project_name)
package_names = accepted(regex(hook.PACKAGE_NAME, 40), hook.check_package_name)
uc_names = accepted(regex(hook.UC_NAME, 40), lambda v: hook.check_uc_name("schema_name", v))
catalogs = accepted(regex(hook.UC_NAME, 40), lambda v: hook._catalog_problem("dev_catalog", v))
branches = accepted(regex(hook.BRANCH_CHARS, 40), lambda v: hook.check_branch("default_branch", v))
emails = accepted(regex(hook.EMAIL, 80), hook.check_email)
timezones = st.sampled_from(sorted(hook.JAVA_ZONE_IDS))
# Text of any script: letters, marks, digits, punctuation, symbols and spaces, with the ASCII
# punctuation a file format could trip on made likely.
TEXT = st.characters(categories=("L", "M", "N", "P", "S", "Zs")) | st.sampled_from(
    "'\"\\%(){}#$<>&`*_[]:;,!?@=+|~^ "
)
descriptions = accepted(st.text(TEXT, min_size=1, max_size=60), hook.check_description)
groups = accepted(st.text(TEXT, min_size=1, max_size=40), hook.check_group)


@st.composite
def hosts(draw, cloud: str) -> str:
    labels = draw(
        st.lists(
            st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
            min_size=1,
            max_size=3,
        )
    )
    suffix = draw(st.sampled_from(hook.HOST_SUFFIXES[cloud]))
    host = ".".join(labels) + suffix
    if draw(st.booleans()):
        host = host.upper()
    return "https://" + host + draw(st.sampled_from(["", "/"]))


# Quartz: each field drawn from the hook's field table.
def _number(field) -> st.SearchStrategy[str]:
    values = st.integers(field.low, field.high)
    if field.names:
        return values.map(str) | st.sampled_from(field.names)
    return values.map(str)


@st.composite
def _item(draw, field) -> str:
    kind = draw(st.sampled_from(["*", "n", "range", "*/s", "n/s", "range/s"]))
    step = draw(st.integers(1, min(field.max_step, 15)))
    if kind == "*":
        return "*"
    if kind == "*/s":
        return f"*/{step}"
    if kind in ("n", "n/s"):
        number = (
            draw(st.integers(field.low, field.high).map(str))
            if kind == "n/s"
            else draw(_number(field))
        )
        return number if kind == "n" else f"{number}/{step}"
    if field.names and draw(st.booleans()) and kind == "range":
        first, last = draw(st.sampled_from(field.names)), draw(st.sampled_from(field.names))
    else:
        first, last = (str(draw(st.integers(field.low, field.high))) for _ in range(2))
    if field.name == "year" and int(last) < int(first):
        first, last = last, first
    return f"{first}-{last}" if kind == "range" else f"{first}-{last}/{step}"


def _field(field) -> st.SearchStrategy[str]:
    return st.lists(_item(field), min_size=1, max_size=3).map(",".join)


F = hook.CRON_FIELDS
_dom_special = (
    st.sampled_from(["L", "LW"])
    | st.integers(0, 30).map(lambda n: f"L-{n}")
    | st.integers(1, 28).map(lambda n: f"{n}W")
)
_dow_special = (
    st.just("L")
    | _number(F[5]).map(lambda d: f"{d}L")
    | st.tuples(_number(F[5]), st.integers(1, 5)).map(lambda t: f"{t[0]}#{t[1]}")
)


@st.composite
def quartz_any(draw) -> str:
    """A Quartz expression of the hook's grammar; it may or may not fire."""
    head = [draw(_field(F[i])) for i in range(3)]
    month = draw(_field(F[4]))
    if draw(st.booleans()):
        dom, dow = draw(_field(F[3]) | _dom_special), "?"
    else:
        dom, dow = "?", draw(_field(F[5]) | _dow_special)
    fields = [*head, dom, month, dow]
    if draw(st.booleans()):
        fields.append(draw(st.just("*") | _field(F[6])))
    text = " ".join(fields)
    return text.lower() if draw(st.integers(0, 9)) == 0 else text


quartz = accepted(quartz_any(), lambda v: hook.check_quartz_cron("feature_schedule", v))


@st.composite
def answers(draw) -> dict[str, str]:
    """A full set of answers (as extra_context) that the hook takes together."""
    choice = {prompt: draw(st.sampled_from(values)) for prompt, values in CHOICES.items()}
    if choice["model_registry"] != "unity_catalog":
        choice["databricks_feature_store"] = "no"
    staging = draw(st.just("") | hosts(choice["cloud"]))
    if choice["workspace_layout"] == "single_workspace":
        prod = staging
    else:
        prod = draw(st.just("") | hosts(choice["cloud"]))
    catalogs_ = draw(st.lists(catalogs, min_size=3, max_size=3, unique=True))
    default_branch = draw(branches)
    release_branch = draw(branches.filter(lambda b: b != default_branch))
    drawn = {
        **choice,
        "project_name": draw(project_names),
        "package_name": draw(package_names),
        "description": draw(descriptions),
        "staging_workspace_host": staging,
        "prod_workspace_host": prod,
        "dev_catalog": catalogs_[0],
        "staging_catalog": catalogs_[1],
        "prod_catalog": catalogs_[2],
        "schema_name": draw(uc_names),
        "default_branch": default_branch,
        "release_branch": release_branch,
        "feature_schedule": draw(quartz),
        "training_schedule": draw(quartz),
        "inference_schedule": draw(quartz),
        "schedule_timezone": draw(timezones),
        "notification_email": draw(emails),
        "read_group": draw(groups),
    }
    return drawn
