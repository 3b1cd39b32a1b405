"""Answers are text, never template code.

Cookiecutter renders every answer as a Jinja template before any hook runs (so that defaults
such as package_name's can be computed from other answers), in an environment that is not
sandboxed: an answer holding ``{{ cycler.__init__.__globals__.os.system('...') }}`` would run a
command on the machine that generates the project. That applies to answers given with
--no-input or extra context, to ~/.cookiecutterrc defaults, and to the answers cruft reads back
from .cruft.json on `cruft update` and `cruft diff`.

This Jinja extension (cookiecutter.json's "_extensions") sees every source before Jinja parses
it. When the source is an answer being rendered (cookiecutter.prompt.render_variable is on the
stack) and holds Jinja syntax, but is not the template's own default for that prompt, it is
replaced by a template that prints the answer unchanged: one string literal made only of
``\\U`` escapes, so nothing in it can end the literal or reach Jinja. The answer then reaches
the pre-generation hook as the text it was, and the hook refuses it by name.

Cookiecutter and cruft put the template's folder on sys.path while they render, which is how
``hooks.jinja_guard`` is found (``hooks`` is a namespace package: no __init__.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import FrameType

from jinja2 import Environment
from jinja2.ext import Extension

CONTEXT_FILE = Path(__file__).resolve().parents[1] / "cookiecutter.json"


def own_defaults(context_file: Path = CONTEXT_FILE) -> dict[str, frozenset[str]]:
    """Every string of each prompt's value in the template's cookiecutter.json: the only
    sources with Jinja syntax that may be rendered as a prompt's value. Read when an environment
    is made, so `cruft update` (which renders two commits of the template from one folder) reads
    the commit being rendered."""
    try:
        context = json.loads(context_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}

    def strings(value: object) -> set[str]:
        if isinstance(value, str):
            return {value}
        if isinstance(value, list):
            return {s for item in value for s in strings(item)}
        if isinstance(value, dict):
            return {s for k, v in value.items() for s in strings(k) | strings(v)}
        return set()

    return {key: frozenset(strings(value)) for key, value in context.items()}


def answer_being_rendered(frame: FrameType | None) -> tuple[bool, str | None]:
    """Whether cookiecutter is rendering a prompt's value (render_variable is on the stack),
    and which prompt (the ``key`` of the cookiecutter.prompt function that called it)."""
    rendering = False
    while frame is not None:
        if frame.f_globals.get("__name__") == "cookiecutter.prompt":
            if frame.f_code.co_name == "render_variable":
                rendering = True
            elif rendering and isinstance(frame.f_locals.get("key"), str):
                return True, frame.f_locals["key"]
        frame = frame.f_back
    return rendering, None


def as_text(value: str) -> str:
    """Jinja source that renders to exactly ``value`` and runs nothing."""
    return '{{ "' + "".join(f"\\U{ord(c):08x}" for c in value) + '" }}'


class AnswersAreText(Extension):
    """Renders an answer that holds Jinja syntax as the text it is (see the module's doc)."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.own = own_defaults()
        self.markers = tuple(
            marker
            for marker in (
                environment.block_start_string,
                environment.variable_start_string,
                environment.comment_start_string,
                environment.line_statement_prefix,
                environment.line_comment_prefix,
            )
            if marker
        )

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is not None or not any(marker in source for marker in self.markers):
            return source  # a template file (named), or nothing for Jinja to run
        rendering, key = answer_being_rendered(sys._getframe(1))
        if rendering and source not in self.own.get(key or "", ()):
            return as_text(source)
        return source
