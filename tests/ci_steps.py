"""The script steps of a generated project's pull-request pipeline, in the order the platform
runs them, ready to execute on this machine.

Azure DevOps: stages, jobs and steps of .azure-pipelines/ci.yml with step templates expanded
(`${{ parameters.x }}` filled in) and `$(macro)` references replaced; GitHub Actions: jobs and
steps of .github/workflows/ci.yml with the local composite action expanded and `${{ env.x }}`
filled in. A macro or expression this module does not know is an error, never passed through.
Built-in tasks and marketplace actions are returned as steps too (``run`` is None), so a caller
can decide about each of them explicitly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ADO_PARAMETER = re.compile(r"\$\{\{\s*parameters\.(\w+)\s*\}\}")
ADO_MACRO = re.compile(r"\$\(([A-Za-z_][\w.]*)\)")
GITHUB_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


class UnknownReference(Exception):
    """A macro or expression the local run cannot give a value to."""


@dataclass
class Step:
    job: str  # "<stage>/<job>" or "<job>"
    name: str  # displayName / name, else the command or task
    run: str | None  # the shell script; None for a task or an action
    uses: str | None = None  # the task or action
    inputs: dict = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    condition: str | None = None  # the step's own `if` (GitHub)
    id: str | None = None  # `name` (Azure DevOps) or `id` (GitHub): how later steps refer to it


def _ado_steps(steps: list[dict], here: Path, parameters: dict, job: str) -> list[Step]:
    out: list[Step] = []
    for raw in steps:
        if "template" in raw:
            template = here / raw["template"]
            doc = yaml.safe_load(template.read_text())
            defaults = {p["name"]: p.get("default") for p in doc.get("parameters", [])}
            given = {**defaults, **raw.get("parameters", {})}
            out += _ado_steps(doc["steps"], template.parent, given, job)
            continue
        step = yaml.safe_load(
            ADO_PARAMETER.sub(lambda m: str(parameters[m.group(1)]), yaml.safe_dump(raw))
        )
        if "checkout" in step:
            continue
        run = step.get("script") or step.get("bash")
        out.append(
            Step(
                job=job,
                name=step.get("displayName") or run or step["task"],
                run=run,
                uses=step.get("task"),
                inputs=step.get("inputs", {}),
                env={k: str(v) for k, v in step.get("env", {}).items()},
                id=step.get("name"),
            )
        )
    return out


def azure_devops(project: Path) -> tuple[dict[str, str], list[tuple[str, dict, list[Step]]]]:
    """(pipeline variables, [(stage/job, job definition, steps)]) of .azure-pipelines/ci.yml."""
    path = project / ".azure-pipelines" / "ci.yml"
    doc = yaml.safe_load(path.read_text())
    variables = doc.get("variables", {})
    jobs = []
    for stage in doc["stages"]:
        for job in stage["jobs"]:
            name = f"{stage['stage']}/{job['job']}"
            jobs.append((name, job, _ado_steps(job["steps"], path.parent, {}, name)))
    return {k: str(v) for k, v in variables.items()}, jobs


def ado_script(text: str, macros: dict[str, str]) -> str:
    """``text`` with every $(macro) replaced, as the agent does before running a script."""

    def value(match: re.Match) -> str:
        if match.group(1) not in macros:
            raise UnknownReference(f"$({match.group(1)}) has no local value")
        return macros[match.group(1)]

    return ADO_MACRO.sub(value, text)


def github(project: Path) -> tuple[dict[str, str], list[tuple[str, dict, list[Step]]]]:
    """(workflow env, [(job, job definition, steps)]) of .github/workflows/ci.yml."""
    doc = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    jobs = []
    for name, job in doc["jobs"].items():
        steps: list[Step] = []
        for raw in job["steps"]:
            uses = raw.get("uses", "")
            if uses.startswith("./"):
                action = yaml.safe_load((project / uses / "action.yml").read_text())
                for inner in action["runs"]["steps"]:
                    steps.append(_github_step(name, inner, raw.get("if")))
            else:
                steps.append(_github_step(name, raw, None))
        jobs.append((name, job, steps))
    return {k: str(v) for k, v in doc.get("env", {}).items()}, jobs


def _github_step(job: str, raw: dict, outer_if: str | None) -> Step:
    return Step(
        job=job,
        name=raw.get("name") or raw.get("run") or raw["uses"],
        run=raw.get("run"),
        uses=raw.get("uses"),
        inputs=raw.get("with", {}),
        env={k: str(v) for k, v in raw.get("env", {}).items()},
        condition=raw.get("if") or outer_if,
        id=raw.get("id"),
    )


def github_script(text: str, values: dict[str, str]) -> str:
    """``text`` with each ${{ expression }} replaced by its value in ``values``."""

    def value(match: re.Match) -> str:
        if match.group(1) not in values:
            raise UnknownReference(f"${{{{ {match.group(1)} }}}} has no local value")
        return values[match.group(1)]

    return GITHUB_EXPRESSION.sub(value, text)
