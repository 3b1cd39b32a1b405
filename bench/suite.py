"""T3: the generated project's test suite as `make test` runs it, and how long generating
the project from the template takes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

from benchmarks.common import PROJECT, BenchError, measured, timed

from .context import Claims


def _run(command: list[str], cwd, env: dict | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise BenchError(f"{' '.join(command)} exited {result.returncode}:\n{tail}")
    return result.stdout


def run_case(ctx: Claims) -> dict:
    scope = ctx.size.suite_scope
    # the project's suite as its own `make test` sees it: not this template on its path
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if scope:
        env["PYTEST_ADDOPTS"] = scope
    seconds, summary = [], ""
    for _ in range(ctx.repeat):
        elapsed, output = timed(lambda: _run(["make", "test"], PROJECT, env))
        seconds.append(elapsed)
        found = re.findall(r"(\d+ passed[^\n]*?) in [0-9.]+s", output)
        summary = found[-1] if found else summary
    result: dict = {
        "command": "make test" + (f" (PYTEST_ADDOPTS={scope})" if scope else ""),
        "tests": summary,
        "seconds": measured(seconds, 1),
        "generation_seconds": None,
        "targets": [],
    }
    if ctx.template is not None and ctx.cookiecutter:
        generation = []
        for _ in range(ctx.repeat):
            out = tempfile.mkdtemp(prefix="bench-generate-")
            try:
                command = [ctx.cookiecutter, "--no-input", "-o", out]
                command.append(str(ctx.template))
                generation.append(timed(lambda c=command, o=out: _run(c, o, env))[0])
            finally:
                shutil.rmtree(out, ignore_errors=True)
        result["generation_seconds"] = measured(generation, 2)
    return result
