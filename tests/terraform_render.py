"""The jobs an environment root would create, evaluated offline into the Jobs API's shape.

Terraform cannot plan here (no provider binary), so this evaluates the small part of HCL the
generated Terraform uses for its jobs: variable defaults, the root's module arguments and
tfvars, locals, references such as ``var.schedules["features"]`` or ``task.value.key``, string
templates, conditionals, comparisons, the few functions of ``FUNCTIONS``, resource ``for_each``
and ``dynamic`` blocks. Anything else raises
``Unsupported``, so a new construct in the Terraform fails loudly here instead of being skipped.
The result is then renamed from the provider's block names to the API's field names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2

OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)

# The provider's block names -> the Jobs API's field names (where they differ).
RENAMED = {
    "task": "tasks",
    "job_cluster": "job_clusters",
    "library": "libraries",
    "parameter": "parameters",
    "environment": "environments",
}
GIT_SOURCE = {"url": "git_url", "provider": "git_provider", "branch": "git_branch"}
REPEATED = {
    "tasks",
    "job_clusters",
    "environments",
    "libraries",
    "parameters",
    "depends_on",
    "on_failure",
}


class Unsupported(Exception):
    """An HCL expression this evaluator does not handle."""


def load(path: Path) -> dict:
    with path.open() as handle:
        return hcl2.load(handle, serialization_options=OPTIONS)


def load_dir(folder: Path) -> list[dict]:
    return [load(path) for path in sorted(folder.glob("*.tf"))]


class _Parser:
    """A recursive-descent reader of the HCL expressions the generated Terraform uses:
    literals, lists, objects, references (``a.b[c]``), string templates, ``==``/``!=``, the
    conditional ``c ? a : b`` (only the branch taken is evaluated) and the functions of
    ``FUNCTIONS``. Anything else is ``Unsupported``; a reference to what is not defined yet
    raises ``KeyError`` (the locals are evaluated until every one resolves)."""

    def __init__(self, text: str, scope: dict):
        self.text, self.pos, self.scope = text, 0, scope

    def fail(self) -> Unsupported:
        return Unsupported(f"{self.text!r} at {self.pos}")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, *options: str) -> str | None:
        self.skip()
        return next((o for o in options if self.text.startswith(o, self.pos)), None)

    def take(self, token: str) -> None:
        if self.peek(token) is None:
            raise self.fail()
        self.pos += len(token)

    def expression(self, run: bool = True) -> Any:
        condition = self.comparison(run)
        if self.peek("?") is None:
            return condition
        self.take("?")
        if run and not isinstance(condition, bool):
            raise self.fail()
        yes = self.expression(run and condition)
        self.take(":")
        no = self.expression(run and not condition)
        return (yes if condition else no) if run else None

    def comparison(self, run: bool) -> Any:
        left = self.postfix(run)
        operator = self.peek("==", "!=")
        if operator is None:
            return left
        self.take(operator)
        right = self.postfix(run)
        return ((left == right) == (operator == "==")) if run else None

    def postfix(self, run: bool) -> Any:
        value = self.primary(run)
        while True:
            if self.peek(".") and not self.peek(".."):
                self.take(".")
                key = self.name()
            elif self.peek("["):
                self.take("[")
                key = self.expression(run)
                self.take("]")
            else:
                return value
            if run:
                value = value[key]

    def name(self) -> str:
        self.skip()
        match = re.compile(r"[A-Za-z_][\w-]*").match(self.text, self.pos)
        if not match:
            raise self.fail()
        self.pos = match.end()
        return match.group()

    def primary(self, run: bool) -> Any:
        if self.peek('"'):
            return self.string(run)
        if self.peek("["):
            return self.sequence("[", "]", run)
        if self.peek("{"):
            return self.mapping(run)
        if self.peek("("):
            self.take("(")
            value = self.expression(run)
            self.take(")")
            return value
        number = re.compile(r"-?\d+(\.\d+)?").match(self.text, self.pos)
        if number:
            self.pos = number.end()
            return float(number.group()) if number.group(1) else int(number.group())
        word = self.name()
        if word in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[word]
        if self.peek("("):
            arguments = self.sequence("(", ")", run)
            if word not in FUNCTIONS:
                raise Unsupported(f"function {word}() in {self.text!r}")
            return FUNCTIONS[word](*arguments) if run else None
        if word not in self.scope:
            raise Unsupported(f"{word} in {self.text!r}")
        return self.scope[word]

    def sequence(self, opening: str, closing: str, run: bool) -> list:
        self.take(opening)
        items = []
        while self.peek(closing) is None:
            items.append(self.expression(run))
            if self.peek(","):
                self.take(",")
            elif self.peek(closing) is None:
                raise self.fail()
        self.take(closing)
        return items

    def mapping(self, run: bool) -> dict:
        self.take("{")
        items = {}
        while self.peek("}") is None:
            key = self.string(run) if self.peek('"') else self.name()
            self.take("=" if self.peek("=") else ":")
            items[key] = self.expression(run)
            if self.peek(","):
                self.take(",")
        self.take("}")
        return items

    def string(self, run: bool) -> Any:
        self.take('"')
        end = self.template_end('"')
        value = _template(self.text[self.pos : end], self.scope, run)
        self.pos = end + 1
        return value

    def template_end(self, closing: str) -> int:
        """Where the template that starts here ends (at an unescaped ``closing``)."""
        depth, pos = 0, self.pos
        while pos < len(self.text):
            if self.text.startswith("$${", pos):
                pos += 3
            elif self.text.startswith("${", pos):
                depth, pos = depth + 1, pos + 2
            elif depth and self.text[pos] == '"':  # a string inside an interpolation
                inner = _Parser(self.text, self.scope)
                inner.pos = pos + 1
                pos = inner.template_end('"') + 1
            elif depth and self.text[pos] == "}":
                depth, pos = depth - 1, pos + 1
            elif not depth and self.text[pos] == closing:
                return pos
            else:
                pos += 1
        if closing:
            raise self.fail()
        return pos


FUNCTIONS = {
    "join": lambda separator, items: separator.join(items),
    "compact": lambda items: [item for item in items if item not in ("", None)],
    "merge": lambda *maps: {k: v for m in maps for k, v in m.items()},
    "strcontains": lambda text, part: part in text,
}


def _template(text: str, scope: dict, run: bool = True) -> Any:
    """A string template's value: one interpolation alone keeps its type; ``$${`` is ``${``."""
    parts, pos = [], 0
    while pos < len(text):
        if text.startswith("$${", pos):
            parts.append("${")
            pos += 3
        elif text.startswith("${", pos):
            parser = _Parser(text, scope)
            parser.pos = pos + 2
            value = parser.expression(run)
            parser.take("}")
            parts.append(value)
            pos = parser.pos
        else:
            literal = re.compile(r"(?:[^$]|\$(?![${]))+").match(text, pos)
            parts.append(literal.group())
            pos = literal.end()
    if not run:
        return None
    if len(parts) == 1 and not isinstance(parts[0], str):
        return parts[0]
    return "".join(str(p).lower() if isinstance(p, bool) else str(p) for p in parts)


def evaluate(expression: str, scope: dict) -> Any:
    """The value of an expression such as ``var.x[each.key]``."""
    parser = _Parser(expression, scope)
    value = parser.expression()
    parser.skip()
    if parser.pos != len(expression):
        raise parser.fail()
    return value


def resolve(value: Any, scope: dict) -> Any:
    """``value`` (from python-hcl2) with every ``${...}`` evaluated and dynamic blocks expanded."""
    if isinstance(value, str):
        return _template(value, scope)
    if isinstance(value, list):
        return [resolve(item, scope) for item in value]
    if isinstance(value, dict):
        body: dict = {}
        for key, item in value.items():
            if key.startswith("__"):  # python-hcl2's comments
                continue
            if key == "dynamic":
                for dynamic in item:
                    for name, spec in dynamic.items():
                        body.setdefault(name, []).extend(_expand(name, spec, scope))
            else:
                body[key] = resolve(item, scope)
        return body
    return value


def _expand(name: str, spec: dict, scope: dict) -> list[dict]:
    items = resolve(spec["for_each"], scope)
    pairs = items.items() if isinstance(items, dict) else enumerate(items)
    iterator = spec.get("iterator", name)
    [content] = spec["content"]
    return [resolve(content, {**scope, iterator: {"key": k, "value": v}}) for k, v in pairs]


def module_scope(root: Path, root_values: dict[str, Any]) -> tuple[Path, dict]:
    """The module the root calls, and the scope (var, local) its resources see."""
    root_docs = load_dir(root)
    tfvars = load(root / "terraform.tfvars") if (root / "terraform.tfvars").is_file() else {}
    root_vars = _variables(root_docs) | tfvars | root_values
    missing = [name for name, value in root_vars.items() if value is _REQUIRED]
    assert not missing, f"{root}: the root needs values for {missing}"
    root_scope = _with_locals(root_docs, {"var": root_vars, "local": {}})
    [call] = [m["ml_jobs"] for d in root_docs for m in d.get("module", [])]
    module = (root / call["source"]).resolve()
    arguments = {k: resolve(v, root_scope) for k, v in call.items() if k != "source"}
    docs = load_dir(module)
    variables = _variables(docs) | arguments
    missing = [name for name, value in variables.items() if value is _REQUIRED]
    assert not missing, f"{root}: module {module.name} needs values for {missing}"
    return module, _with_locals(docs, {"var": variables, "local": {}})


def _with_locals(docs: list[dict], scope: dict) -> dict:
    """``scope`` with the locals of ``docs`` evaluated, in whatever order they depend."""
    pending = {
        k: v
        for d in docs
        for block in d.get("locals", [])
        for k, v in block.items()
        if not k.startswith("__")
    }
    while pending:
        progress = False
        for name, raw in list(pending.items()):
            try:
                scope["local"][name] = resolve(raw, scope)
            except KeyError:
                continue
            del pending[name]
            progress = True
        if not progress:
            raise Unsupported(f"locals {sorted(pending)}")
    return scope


_REQUIRED = object()


def _variables(docs: list[dict]) -> dict[str, Any]:
    return {
        name: spec.get("default", _REQUIRED)
        for d in docs
        for block in d.get("variable", [])
        for name, spec in block.items()
    }


def jobs(root: Path, root_values: dict[str, Any]) -> dict[str, dict]:
    """Every databricks_job the root would create, keyed by Terraform address, in API shape."""
    module, scope = module_scope(root, root_values)
    rendered = {}
    for doc in load_dir(module):
        for entry in doc.get("resource", []):
            for name, body in entry.get("databricks_job", {}).items():
                instances = resolve(body["for_each"], scope) if "for_each" in body else {None: None}
                for key, value in instances.items():
                    each = {"each": {"key": key, "value": value}} if key is not None else {}
                    spec = resolve({k: v for k, v in body.items() if k != "for_each"}, scope | each)
                    address = f"databricks_job.{name}" + (f'["{key}"]' if key is not None else "")
                    rendered[address] = to_api(spec)
    return rendered


def to_api(body: Any, parent: str = "") -> Any:
    """A resolved databricks_job body renamed to the Jobs API: blocks become objects or lists."""
    if isinstance(body, list):
        return [to_api(item, parent) for item in body]
    if not isinstance(body, dict):
        return body
    shaped = {}
    for key, value in body.items():
        if value is None:  # null: the attribute is left unset
            continue
        name = GIT_SOURCE.get(key, key) if parent == "git_source" else RENAMED.get(key, key)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            value = to_api(value, key) if name in REPEATED else to_api(value[0], key)
        elif isinstance(value, list) and not value:
            if name not in REPEATED:
                continue  # a dynamic block with nothing to iterate: absent
        elif isinstance(value, dict) and key not in {"tags", "custom_tags", "base_parameters"}:
            value = to_api(value, key)
        shaped[name] = value
    return shaped
