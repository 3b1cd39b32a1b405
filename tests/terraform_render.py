"""The jobs an environment root would create, evaluated offline into the Jobs API's shape.

Terraform cannot plan here (no provider binary), so this evaluates the small part of HCL the
generated Terraform uses for its jobs: variable defaults, the root's module arguments and
tfvars, locals, references such as ``var.schedules["features"]`` or ``task.value.key``, string
interpolation, resource ``for_each`` and ``dynamic`` blocks. Anything else raises
``Unsupported``, so a new construct in the Terraform fails loudly here instead of being skipped.
The result is then renamed from the provider's block names to the API's field names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2

OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
WHOLE = re.compile(r"^\$\{(.*)\}$", re.DOTALL)
PART = re.compile(r"\$\{([^}]*)\}")
TOKEN = re.compile(
    r'\s*(?:(?P<name>[A-Za-z_][\w-]*)|(?P<string>"[^"]*")|(?P<number>\d+)|(?P<punct>[.\[\]]))'
)

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


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        match = TOKEN.match(text, pos)
        if not match:
            raise Unsupported(text)
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _reference(tokens: list[tuple[str, str]], scope: dict, text: str) -> tuple[Any, list]:
    kind, name = tokens[0]
    if kind != "name" or name not in scope:
        raise Unsupported(text)
    value, rest = scope[name], tokens[1:]
    while rest and rest[0][1] in {".", "["}:
        if rest[0][1] == ".":
            if len(rest) < 2 or rest[1][0] != "name":
                raise Unsupported(text)
            value, rest = value[rest[1][1]], rest[2:]
            continue
        inner = rest[1:]
        if inner and inner[0][0] == "string":
            key, inner = inner[0][1][1:-1], inner[1:]
        elif inner and inner[0][0] == "number":
            key, inner = int(inner[0][1]), inner[1:]
        else:
            key, inner = _reference(inner, scope, text)
        if not inner or inner[0][1] != "]":
            raise Unsupported(text)
        value, rest = value[key], inner[1:]
    return value, rest


def evaluate(expression: str, scope: dict) -> Any:
    """The value of a reference expression such as ``var.x[each.key]``."""
    value, rest = _reference(_tokens(expression), scope, expression)
    if rest:
        raise Unsupported(expression)
    return value


def resolve(value: Any, scope: dict) -> Any:
    """``value`` (from python-hcl2) with every ``${...}`` evaluated and dynamic blocks expanded."""
    if isinstance(value, str):
        whole = WHOLE.match(value)
        if whole and "${" not in whole[1]:
            return evaluate(whole[1], scope)
        return PART.sub(lambda m: str(evaluate(m[1], scope)), value)
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
    root_vars = _variables(root_docs) | load(root / "terraform.tfvars") | root_values
    [call] = [m["ml_jobs"] for d in root_docs for m in d.get("module", [])]
    module = (root / call["source"]).resolve()
    arguments = {k: resolve(v, {"var": root_vars}) for k, v in call.items() if k != "source"}
    docs = load_dir(module)
    variables = _variables(docs) | arguments
    missing = [name for name, value in variables.items() if value is _REQUIRED]
    assert not missing, f"{root}: module {module.name} needs values for {missing}"
    scope: dict = {"var": variables, "local": {}}
    pending = {k: v for d in docs for block in d.get("locals", []) for k, v in block.items()}
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
    return module, scope


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
