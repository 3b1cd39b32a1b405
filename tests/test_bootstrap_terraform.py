"""The platform bootstrap in terraform/: formatted, parseable, checkov-clean, and keeping the
security policies of a regulated deployment (no secrets, federated sign-in only, protected state,
an approval before prod) on every cloud.

Terraform cannot plan here (no provider can be downloaded), so `Bootstrap` below evaluates the
configuration offline for a given cloud and CI platform: variables, locals, `count`/`for_each`,
conditionals, for-expressions and the functions the bootstrap uses, and each resource
instance's own arguments (what a provider computes, such as an id, stays unknown). Anything it
cannot read raises `Unsupported`, so a new construct fails these tests instead of being skipped.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from functools import cache
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from conftest import PROMPTS, REPO, TEMPLATE_DIR, checkov_reports
from provider_schema import file_problems, schema
from terraform_render import load

BOOTSTRAP = REPO / "terraform"
TF_FILES = sorted(BOOTSTRAP.glob("*.tf"))
EXAMPLES = sorted(BOOTSTRAP.glob("*.example"))
TARGET_LISTS = {
    ci: BOOTSTRAP / "targets" / f"{ci}.txt" for ci in ("azure_devops", "github_actions")
}
ENVIRONMENTS = ("staging", "prod")
CLOUDS = ("azure", "aws", "gcp")
CI_PLATFORMS = ("azure_devops", "github_actions")
ACCOUNT_CLOUDS = ("aws", "gcp")
SECRET_RESOURCES = {
    "azuread_application_password",
    "azuread_service_principal_password",
    "azuread_application_certificate",
    "azuread_service_principal_certificate",
    "databricks_obo_token",
    "databricks_token",
    "databricks_secret",
    "databricks_service_principal_secret",
    "databricks_git_credential",
    "azuredevops_personal_access_token",
    "github_actions_secret",
    "github_actions_environment_secret",
    "github_actions_organization_secret",
    "azurerm_storage_account_sas",
}
SECRET_ATTRIBUTES = {
    "personal_access_token",
    "client_secret",
    "client_secret_path",
    "azure_client_secret",
    "serviceprincipalkey",
    "serviceprincipalcertificate",
    "client_certificate",
    "client_certificate_password",
    "secret_value",
    "plaintext_value",
    "encrypted_value",
    "password",
    "token",
    "oidc_token",
    "access_key",
    "sas_token",
    "jwks_json",
}
# Text that names a secret-bearing credential or looks like one, anywhere in terraform/ (the
# README included, where only the token-shaped patterns apply: it explains there is no secret).
SECRET_NAMES = re.compile(
    r"client_secret|personal_access_token|\bARM_CLIENT_SECRET\b|\bDATABRICKS_CLIENT_SECRET\b"
    r"|\bDATABRICKS_TOKEN\b|\bAZDO_PERSONAL_ACCESS_TOKEN\b|\bGITHUB_TOKEN\s*=|\bsecrets\.|"
    r"auth_type\s*=\s*\"(pat|basic|oauth-m2m|azure-client-secret)\"|\bpassword\s*=|\btoken\s*=",
    re.IGNORECASE,
)
SECRET_SHAPES = re.compile(
    r"\bdapi[0-9a-f]{32}\b|\bdose[0-9a-f]{32}\b|\bgh[pousr]_[A-Za-z0-9]{36}\b"
    r"|\bgithub_pat_[A-Za-z0-9_]{22,}|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
SKIP_COMMENT = re.compile(r"checkov:skip=([^:\s]*)(?::(.*))?")

GITHUB_OWNER = "contoso-health"
REPOSITORIES = ["admission-risk", "Churn.Model"]
ADO_ORG = "contoso-health"
ADO_PROJECT = "ml-models"
ADO_ORG_ID = "7f1078d6-b20d-4a20-9d88-05a2f0d645a3"
ACCOUNT_ID = "11111111-2222-3333-4444-555555555555"
WIF_PROVIDER = "projects/123456789012/locations/global/workloadIdentityPools/ci/providers/ci"

# The variables each cloud's CD stage must receive, beyond those of every cloud.
COMMON_VARIABLES = {"DATABRICKS_HOST", "DATABRICKS_AUTH_TYPE", "DATABRICKS_CLIENT_ID"}
CLOUD_VARIABLES = {
    "azure": {
        "ARM_TENANT_ID",
        "ARM_CLIENT_ID",
        "ARM_SUBSCRIPTION_ID",
        "TF_STATE_RESOURCE_GROUP",
        "TF_STATE_STORAGE_ACCOUNT",
        "TF_STATE_CONTAINER",
    },
    "aws": {"TF_STATE_BUCKET", "TF_STATE_REGION", "AWS_ROLE_ARN"},
    "gcp": {"TF_STATE_BUCKET", "GCP_WORKLOAD_IDENTITY_PROVIDER", "GCP_SERVICE_ACCOUNT"},
}
CI_VARIABLES = {
    ("azure", "azure_devops"): {"SERVICE_CONNECTION"},
    ("azure", "github_actions"): set(),
    ("aws", "azure_devops"): set(),
    ("gcp", "azure_devops"): set(),
    ("aws", "github_actions"): {"DATABRICKS_TOKEN_AUDIENCE"},
    ("gcp", "github_actions"): {"DATABRICKS_TOKEN_AUDIENCE"},
}
AUTH_TYPES = {
    ("azure", "azure_devops"): "azure-cli",
    ("azure", "github_actions"): "azure-cli",
    ("aws", "azure_devops"): "azure-devops-oidc",
    ("gcp", "azure_devops"): "azure-devops-oidc",
    ("aws", "github_actions"): "github-oidc",
    ("gcp", "github_actions"): "github-oidc",
}


# ---------------------------------------------------------------------------------------------
# Reading the files


@cache
def parsed() -> dict[str, dict[str, Any]]:
    return {path.name: load(path) for path in TF_FILES}


def labelled(kind: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every `resource` or `data` block."""
    for document in parsed().values():
        for entry in document.get(kind, []):
            for type_, named in entry.items():
                for name, body in named.items():
                    yield type_, name, body


def resources(type_: str) -> dict[str, dict[str, Any]]:
    return {name: body for t, name, body in labelled("resource") if t == type_}


def named_blocks(kind: str) -> dict[str, dict[str, Any]]:
    """`variable`, `output` and similar one-label blocks, by name."""
    found = {}
    for document in parsed().values():
        for entry in document.get(kind, []):
            found.update(entry)
    return found


def locals_() -> dict[str, Any]:
    merged = {}
    for document in parsed().values():
        for entry in document.get("locals", []):
            merged.update({k: v for k, v in entry.items() if not k.startswith("__")})
    return merged


def providers() -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, body)
        for d in parsed().values()
        for p in d.get("provider", [])
        for name, body in p.items()
    ]


def first(blocks: list[dict[str, Any]] | dict[str, Any]) -> dict[str, Any]:
    return blocks[0] if isinstance(blocks, list) else blocks


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair at any depth, comments left out."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "__comments__":
                continue
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


# ---------------------------------------------------------------------------------------------
# An offline evaluator of the bootstrap


class Unsupported(Exception):
    """An HCL construct this evaluator does not read."""


class EvalError(Exception):
    """What Terraform itself would report as an error (a missing key, a regex with no match)."""


class Unknown:
    """A value only known after apply (an id, a client id)."""

    def __init__(self, path: str):
        self.path = path

    def __repr__(self) -> str:
        return f"(known after apply: {self.path})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)


Expr = Callable[[dict], Any]
META_ARGUMENTS = {"count", "for_each", "provider", "depends_on", "lifecycle", "dynamic"}


def _regex(pattern: str, text: Any) -> Any:
    if not isinstance(text, str):
        raise EvalError(f"regex() of {text!r}")
    match = re.search(pattern, text)
    if not match:
        raise EvalError(f"regex {pattern!r} does not match {text!r}")
    if match.re.groupindex:
        return match.groupdict()
    return list(match.groups()) if match.re.groups else match.group()


def _replace(text: str, search: str, replacement: str) -> str:
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        return re.sub(search[1:-1], replacement.replace("$", "\\"), text)
    return text.replace(search, replacement)


def _set(items: list) -> list:
    unique: list = []
    for item in items:
        if item not in unique:
            unique.append(item)
    return sorted(unique, key=json.dumps)


def _one(items: list) -> Any:
    if len(items) > 1:
        raise EvalError("one() of more than one element")
    return items[0] if items else None


def _coalesce(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    raise EvalError("coalesce() of no non-null argument")


def _keys(value: Any) -> list:
    if not isinstance(value, dict):
        raise EvalError(f"keys() of {value!r}")
    return sorted(value)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "keys": _keys,
    "values": lambda m: [m[k] for k in sorted(m)],
    "setproduct": lambda *lists: [list(p) for p in product(*lists)],
    "toset": _set,
    "tolist": list,
    "distinct": lambda items: [x for i, x in enumerate(items) if x not in items[:i]],
    "contains": lambda items, value: value in items,
    "coalesce": _coalesce,
    "length": len,
    "merge": lambda *maps: {k: v for m in maps for k, v in m.items()},
    "concat": lambda *lists: [x for items in lists for x in items],
    "flatten": lambda items: [
        x for sub in items for x in (sub if isinstance(sub, list) else [sub])
    ],
    "replace": _replace,
    "lower": lambda text: text.lower(),
    "trimsuffix": lambda text, suffix: (
        text[: -len(suffix)] if suffix and text.endswith(suffix) else text
    ),
    "startswith": lambda text, prefix: text.startswith(prefix),
    "regex": _regex,
    "alltrue": lambda items: all(items),
    "anytrue": lambda items: any(items),
    "tonumber": lambda value: value if isinstance(value, (int, float, Unknown)) else int(value),
    "tostring": lambda value: value if isinstance(value, (str, Unknown)) else json.dumps(value),
    "one": _one,
    "lookup": lambda m, key, default: m.get(key, default),
    "max": max,
    "min": min,
}


def _attribute(value: Any, key: Any) -> Any:
    """``value.key`` or ``value[key]``."""
    if isinstance(value, Unknown):
        return Unknown(f"{value.path}.{key}")
    if isinstance(value, Instance):
        return value.attribute(key)
    if isinstance(value, dict):
        if key not in value:
            raise EvalError(f"no key {key!r} in {sorted(value)}")
        return value[key]
    if isinstance(value, list):
        if not isinstance(key, int) or not 0 <= key < len(value):
            raise EvalError(f"index {key!r} of a list of {len(value)}")
        return value[key]
    raise EvalError(f"{key!r} of {value!r}")


class _Parser:
    """Reads one HCL expression (as python-hcl2 prints it) into a function of the scope."""

    def __init__(self, text: str, pos: int = 0):
        self.text, self.pos = text, pos

    def fail(self, what: str = "") -> Unsupported:
        return Unsupported(f"{what} in {self.text!r} at {self.pos}")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, *options: str) -> str | None:
        self.skip()
        for option in options:
            if self.text.startswith(option, self.pos):
                if option.isalpha() and re.match(r"[\w-]", self.text[self.pos + len(option) :][:1]):
                    continue  # a longer name
                return option
        return None

    def take(self, token: str) -> None:
        if self.peek(token) is None:
            raise self.fail(f"expected {token!r}")
        self.pos += len(token)

    def expression(self) -> Expr:
        condition = self.binary(0)
        if self.peek("?") is None:
            return condition
        self.take("?")
        yes = self.expression()
        self.take(":")
        no = self.expression()

        def conditional(scope: dict) -> Any:
            test = condition(scope)
            if not isinstance(test, bool):
                raise EvalError(f"condition is {test!r}, not a bool")
            return yes(scope) if test else no(scope)

        return conditional

    LEVELS = (("||",), ("&&",), ("==", "!="), ("<=", ">=", "<", ">"), ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int) -> Expr:
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            operator = self.peek(*self.LEVELS[level])
            if operator is None or (operator == "-" and self.peek("->")):
                return left
            self.take(operator)
            right = self.binary(level + 1)
            left = self._combine(operator, left, right)

    @staticmethod
    def _combine(operator: str, left: Expr, right: Expr) -> Expr:
        def boolean(value: Any) -> bool:
            if not isinstance(value, bool):
                raise EvalError(f"{value!r} is not a bool")
            return value

        # HCL evaluates both operands of || and && (no short circuit): so does this.
        if operator == "||":
            return lambda s: (boolean(left(s)), boolean(right(s))) != (False, False)
        if operator == "&&":
            return lambda s: (boolean(left(s)), boolean(right(s))) == (True, True)
        operations = {
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<=": lambda a, b: a <= b,
            ">=": lambda a, b: a >= b,
            "<": lambda a, b: a < b,
            ">": lambda a, b: a > b,
            "+": lambda a, b: a + b,
            "-": lambda a, b: a - b,
            "*": lambda a, b: a * b,
            "/": lambda a, b: a / b,
            "%": lambda a, b: a % b,
        }
        operation = operations[operator]
        return lambda s: operation(left(s), right(s))

    def unary(self) -> Expr:
        if self.peek("!") and not self.peek("!="):
            self.take("!")
            inner = self.unary()

            def negation(scope: dict) -> bool:
                value = inner(scope)
                if not isinstance(value, bool):
                    raise EvalError(f"!{value!r}")
                return not value

            return negation
        if self.peek("-") and re.match(r"-\s*[A-Za-z(]", self.text[self.pos :]):
            self.take("-")
            inner = self.unary()
            return lambda s: -inner(s)
        return self.postfix()

    def postfix(self) -> Expr:
        value = self.primary()
        while True:
            if self.peek("[*]") or self.peek(".*"):
                self.pos += 3 if self.peek("[*]") else 2
                steps = self.traversal()
                base = value

                def splat(scope: dict, base: Expr = base, steps: list = steps) -> list:
                    items = base(scope)
                    if items is None:
                        items = []
                    elif not isinstance(items, list):
                        items = [items]
                    return [self._follow(item, steps, scope) for item in items]

                value = splat
                continue
            step = self.step()
            if step is None:
                return value
            base = value
            value = lambda s, base=base, step=step: self._follow(base(s), [step], s)  # noqa: E731

    def step(self) -> Callable[[dict], Any] | None:
        """One `.name` or `[key]`, as a function of the scope giving the key."""
        if self.peek(".") and not self.peek("..."):
            self.take(".")
            self.skip()
            number = re.compile(r"\d+").match(self.text, self.pos)
            if number:
                self.pos = number.end()
                key: Any = int(number.group())
            else:
                key = self.name()
            return lambda s, key=key: key
        if self.peek("[") and not self.peek("[*]"):
            self.take("[")
            key_expr = self.expression()
            self.take("]")
            return key_expr
        return None

    def traversal(self) -> list:
        steps = []
        while (step := self.step()) is not None:
            steps.append(step)
        return steps

    @staticmethod
    def _follow(value: Any, steps: list, scope: dict) -> Any:
        for step in steps:
            value = _attribute(value, step(scope))
        return value

    def name(self) -> str:
        self.skip()
        match = re.compile(r"[A-Za-z_][\w-]*").match(self.text, self.pos)
        if not match:
            raise self.fail("expected a name")
        self.pos = match.end()
        return match.group()

    def primary(self) -> Expr:
        self.skip()
        if self.peek('"'):
            return self.string()
        if self.peek("<<"):
            raise self.fail("heredoc")
        if self.peek("("):
            self.take("(")
            inner = self.expression()
            self.take(")")
            return inner
        if self.peek("["):
            return self.sequence()
        if self.peek("{"):
            return self.mapping()
        number = re.compile(r"\d+(\.\d+)?").match(self.text, self.pos)
        if number:
            self.pos = number.end()
            literal = float(number.group()) if number.group(1) else int(number.group())
            return lambda s: literal
        word = self.name()
        if word in ("true", "false", "null"):
            constant = {"true": True, "false": False, "null": None}[word]
            return lambda s: constant
        if self.peek("("):
            return self.call(word)

        def reference(scope: dict) -> Any:
            if word not in scope:
                raise Unsupported(f"unknown name {word!r} in {self.text!r}")
            return scope[word]

        return reference

    def call(self, function: str) -> Expr:
        self.take("(")
        arguments, expand = [], False
        while self.peek(")") is None:
            arguments.append(self.expression())
            if self.peek("..."):
                self.take("...")
                expand = True
            if self.peek(","):
                self.take(",")
        self.take(")")
        if function in ("try", "can"):

            def attempt(scope: dict) -> Any:
                for argument in arguments:
                    try:
                        value = argument(scope)
                    except EvalError:
                        continue
                    return True if function == "can" else value
                if function == "can":
                    return False
                raise EvalError("try(): every argument failed")

            return attempt
        if function not in FUNCTIONS:
            raise self.fail(f"function {function}()")

        def invoke(scope: dict) -> Any:
            values = [argument(scope) for argument in arguments]
            if expand:
                values = values[:-1] + list(values[-1])
            if any(v is None for v in values) and function not in ("coalesce", "one", "lookup"):
                raise EvalError(f"{function}() of null")
            return FUNCTIONS[function](*values)

        return invoke

    def for_header(self) -> tuple[str | None, str, Expr]:
        self.take("for")
        first_name = self.name()
        second = None
        if self.peek(","):
            self.take(",")
            second = self.name()
        self.take("in")
        collection = self.expression()
        self.take(":")
        return (first_name, second, collection) if second else (None, first_name, collection)

    @staticmethod
    def _pairs(value: Any) -> list[tuple[Any, Any]]:
        if isinstance(value, dict):
            return sorted(value.items())
        if isinstance(value, list):
            return list(enumerate(value))
        raise EvalError(f"for over {value!r}")

    def sequence(self) -> Expr:
        self.take("[")
        if self.peek("for"):
            key_name, value_name, collection = self.for_header()
            element = self.expression()
            condition = None
            if self.peek("if"):
                self.take("if")
                condition = self.expression()
            self.take("]")

            def list_for(scope: dict) -> list:
                out = []
                for k, v in self._pairs(collection(scope)):
                    inner = {**scope, value_name: v} | ({key_name: k} if key_name else {})
                    if condition is None or condition(inner) is True:
                        out.append(element(inner))
                return out

            return list_for
        items = []
        while self.peek("]") is None:
            items.append(self.expression())
            if self.peek(","):
                self.take(",")
            elif self.peek("]") is None:
                raise self.fail("expected , or ]")
        self.take("]")
        return lambda s: [item(s) for item in items]

    def mapping(self) -> Expr:
        self.take("{")
        if self.peek("for"):
            key_name, value_name, collection = self.for_header()
            key = self.expression()
            self.take("=>")
            value = self.expression()
            if self.peek("..."):
                raise self.fail("grouping")
            condition = None
            if self.peek("if"):
                self.take("if")
                condition = self.expression()
            self.take("}")

            def map_for(scope: dict) -> dict:
                out = {}
                for k, v in self._pairs(collection(scope)):
                    inner = {**scope, value_name: v} | ({key_name: k} if key_name else {})
                    if condition is None or condition(inner) is True:
                        out[key(inner)] = value(inner)
                return out

            return map_for
        items = []
        while self.peek("}") is None:
            if self.peek('"'):
                key_expr = self.string()
            elif self.peek("("):
                key_expr = self.primary()
            else:
                literal = self.name()
                key_expr = lambda s, literal=literal: literal  # noqa: E731
            self.take("=" if self.peek("=") and not self.peek("==") else ":")
            items.append((key_expr, self.expression()))
            if self.peek(","):
                self.take(",")
        self.take("}")
        return lambda s: {k(s): v(s) for k, v in items}

    def string(self) -> Expr:
        self.take('"')
        parts: list[Expr | str] = []
        literal = ""
        while True:
            if self.pos >= len(self.text):
                raise self.fail("unterminated string")
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                break
            if char == "\\":
                escaped = self.text[self.pos + 1]
                literal += {"n": "\n", "t": "\t", "r": "\r"}.get(escaped, escaped)
                self.pos += 2
            elif self.text.startswith("$${", self.pos):
                literal += "${"
                self.pos += 3
            elif self.text.startswith("${", self.pos):
                if literal:
                    parts.append(literal)
                    literal = ""
                self.pos += 2
                parts.append(self.expression())
                self.take("}")
            else:
                literal += char
                self.pos += 1
        if literal:
            parts.append(literal)
        return _joined(parts)


def _joined(parts: list) -> Expr:
    def template(scope: dict) -> Any:
        values = [part if isinstance(part, str) else part(scope) for part in parts]
        if len(values) == 1 and not isinstance(parts[0], str):
            return values[0]
        if any(v is None for v in values):
            raise EvalError("null in a string template")
        return "".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)

    return template


@cache
def compile_template(text: str) -> Expr:
    """A python-hcl2 string value (a template: literal text and ${...} interpolations)."""
    parser = _Parser(f'"{_escape(text)}"')
    expr = parser.string()
    if parser.pos != len(parser.text):
        raise parser.fail("trailing text")
    return expr


def _escape(text: str) -> str:
    """python-hcl2 keeps a value's escapes inside ${...} but unescapes plain text: escape that."""
    out, pos, depth = "", 0, 0
    while pos < len(text):
        if depth == 0 and text.startswith("${", pos):
            depth, pos, out = 1, pos + 2, out + "${"
            in_string = False
            while pos < len(text) and depth:
                char = text[pos]
                if char == "\\" and in_string:
                    out, pos = out + text[pos : pos + 2], pos + 2
                    continue
                if char == '"':
                    in_string = not in_string
                elif not in_string and char == "{":
                    depth += 1
                elif not in_string and char == "}":
                    depth -= 1
                out, pos = out + char, pos + 1
            continue
        char = text[pos]
        out += {'"': '\\"', "\\": "\\\\", "\n": "\\n"}.get(char, char)
        pos += 1
    return out


class Instance:
    """One resource or data source instance: its arguments as configured, the rest unknown."""

    def __init__(self, bootstrap: Bootstrap, address: str, body: dict, each: dict):
        self.bootstrap, self.address, self.body, self.each = bootstrap, address, body, each

    def attribute(self, name: str) -> Any:
        if name in self.body and name not in META_ARGUMENTS:
            return self.bootstrap.resolve(self.body[name], self.each)
        return Unknown(f"{self.address}.{name}")

    def resolved(self) -> dict:
        """Every argument and block, `dynamic` blocks expanded."""
        found = {
            k: self.attribute(k)
            for k in self.body
            if k not in META_ARGUMENTS and not k.startswith("__")
        }
        return found | self.bootstrap.dynamic_blocks(self.body.get("dynamic", []), self.each)

    def preconditions(self) -> list[tuple[bool, str]]:
        """(holds, error message) of each lifecycle precondition."""
        return [
            (self.bootstrap.resolve(rule["condition"], self.each), rule["error_message"])
            for lifecycle in self.body.get("lifecycle", [])
            for rule in lifecycle.get("precondition", [])
        ]


class Bootstrap:
    """The configuration in terraform/ for one set of variable values."""

    def __init__(self, values: dict[str, Any]):
        declared = named_blocks("variable")
        self.variables = {name: spec.get("default") for name, spec in declared.items()} | values
        unknown = set(values) - set(declared)
        assert not unknown, f"not variables of the bootstrap: {unknown}"
        self.local_exprs = locals_()
        self.local_values: dict[str, Any] = {}
        self.blocks = {("resource", t, n): b for t, n, b in labelled("resource")} | {
            ("data", t, n): b for t, n, b in labelled("data")
        }
        self.instance_cache: dict[tuple, Any] = {}

    # scope -----------------------------------------------------------------------------------
    def scope(self, extra: dict | None = None) -> dict:
        bootstrap = self

        class Locals(dict):
            def __missing__(self, name: str) -> Any:
                return bootstrap.local(name)

            def __contains__(self, name: object) -> bool:
                return name in bootstrap.local_exprs

        class Kind(dict):
            def __init__(self, kind: str, type_: str | None = None):
                super().__init__()
                self.kind, self.type_ = kind, type_

            def __contains__(self, name: object) -> bool:
                return True

            def __missing__(self, name: str) -> Any:
                if self.kind == "data" and self.type_ is None:
                    return Kind("data", name)
                return bootstrap.instances(self.kind, self.type_, name)

        scope: dict[str, Any] = {"var": self.variables, "local": Locals(), "data": Kind("data")}
        for kind, type_, _ in self.blocks:
            if kind == "resource":
                scope[type_] = Kind("resource", type_)
        return scope | (extra or {})

    def resolve(self, value: Any, extra: dict | None = None) -> Any:
        if isinstance(value, str):
            return compile_template(value)(self.scope(extra))
        if isinstance(value, list):
            return [self.resolve(item, extra) for item in value]
        if isinstance(value, dict):
            body = {
                k: self.resolve(v, extra)
                for k, v in value.items()
                if not k.startswith("__") and k != "dynamic"
            }
            return body | self.dynamic_blocks(value.get("dynamic", []), extra or {})
        return value

    def dynamic_blocks(self, dynamics: list, extra: dict) -> dict[str, list]:
        """The blocks `dynamic "name" { for_each, content }` makes, by name."""
        found: dict[str, list] = {}
        for dynamic in dynamics:
            for name, spec in dynamic.items():
                items = self.resolve(spec["for_each"], extra)
                pairs = sorted(items.items()) if isinstance(items, dict) else list(enumerate(items))
                iterator = spec.get("iterator", name)
                [content] = spec["content"]
                found.setdefault(name, []).extend(
                    self.resolve(content, extra | {iterator: {"key": k, "value": v}})
                    for k, v in pairs
                )
        return found

    def local(self, name: str) -> Any:
        if name not in self.local_exprs:
            raise EvalError(f"no local {name!r}")
        if name not in self.local_values:
            self.local_values[name] = _PENDING
            self.local_values[name] = self.resolve(self.local_exprs[name])
        if self.local_values[name] is _PENDING:
            raise Unsupported(f"local {name} refers to itself")
        return self.local_values[name]

    # instances -------------------------------------------------------------------------------
    def instances(self, kind: str, type_: str, name: str) -> Any:
        """What `type.name` (or `data.type.name`) denotes: a map (for_each), a list (count) or
        one instance."""
        key = (kind, type_, name)
        if key not in self.blocks:
            raise Unsupported(f"no {kind} {type_}.{name}")
        if key in self.instance_cache:
            return self.instance_cache[key]
        body = self.blocks[key]
        prefix = ("data." if kind == "data" else "") + f"{type_}.{name}"
        if "for_each" in body:
            items = self.resolve(body["for_each"])
            if isinstance(items, list):
                items = {item: item for item in items}
            if not isinstance(items, dict):
                raise EvalError(f"{prefix}: for_each is {items!r}")
            value: Any = {
                k: Instance(self, f'{prefix}["{k}"]', body, {"each": {"key": k, "value": v}})
                for k, v in items.items()
            }
        elif "count" in body:
            count = self.resolve(body["count"])
            value = [
                Instance(self, f"{prefix}[{i}]", body, {"count": {"index": i}})
                for i in range(count)
            ]
        else:
            value = Instance(self, prefix, body, {})
        self.instance_cache[key] = value
        return value

    def active(self, kind: str = "resource") -> dict[str, list[Instance]]:
        """Every block's instances, by address (data sources as data.<type>.<name>)."""
        found = {}
        for k, type_, name in self.blocks:
            if k != kind:
                continue
            value = self.instances(k, type_, name)
            listed = (
                list(value.values())
                if isinstance(value, dict)
                else value
                if isinstance(value, list)
                else [value]
            )
            address = ("data." if k == "data" else "") + f"{type_}.{name}"
            found[address] = listed
        return found


_PENDING = object()


def environments(cloud: str) -> dict[str, dict[str, Any]]:
    """`environments` as Terraform sees it: every optional attribute present (null if unset)."""
    hosts = {
        "azure": "https://adb-{n}.11.azuredatabricks.net",
        "aws": "https://dbc-{n}.cloud.databricks.com",
        "gcp": "https://{n}.1.gcp.databricks.com",
    }
    found = {}
    for number, (env, branch) in enumerate((("staging", "main"), ("prod", "release")), start=1):
        account = cloud != "azure"
        found[env] = {
            "workspace_host": hosts[cloud].format(n=str(number) * 16),
            "git_branch": branch,
            "pull_requests": None,
            "workspace_id": int(str(number) * 16) if account else None,
            "state_bucket": f"contoso-tfstate-{env}" if account else None,
            "aws_role_arn": f"arn:aws:iam::123456789012:role/ci-{env}" if cloud == "aws" else None,
            "gcp_service_account": f"ci-{env}@contoso.iam.gserviceaccount.com"
            if cloud == "gcp"
            else None,
        }
    return found


def values(cloud: str, ci: str) -> dict[str, Any]:
    """A complete, valid set of inputs for one cloud and CI platform."""
    chosen: dict[str, Any] = {
        "cloud": cloud,
        "ci_platform": ci,
        "environments": environments(cloud),
        "model_repositories": REPOSITORIES,
    }
    if cloud == "azure":
        chosen |= {
            "subscription_id": "00000000-0000-0000-0000-000000000001",
            "location": "westeurope",
            "platform_admin_object_ids": ["00000000-0000-0000-0000-000000000002"],
            "state_storage_account_name": "stmlopstfstate001",
        }
    else:
        chosen["databricks_account_id"] = ACCOUNT_ID
    if cloud == "aws":
        chosen["state_bucket_region"] = "eu-west-1"
    if cloud == "gcp":
        chosen["gcp_workload_identity_provider"] = WIF_PROVIDER
    if ci == "azure_devops":
        chosen |= {
            "azure_devops_org_url": f"https://dev.azure.com/{ADO_ORG}",
            "azure_devops_project": ADO_PROJECT,
            "prod_approver_groups": ["ML Release Approvers"],
        }
        if cloud != "azure":
            chosen["azure_devops_organization_id"] = ADO_ORG_ID
    else:
        chosen |= {
            "github_owner": GITHUB_OWNER,
            "github_prod_reviewer_teams": ["ml-release-approvers"],
        }
    return chosen


@cache
def bootstrap(cloud: str, ci: str) -> Bootstrap:
    return Bootstrap(values(cloud, ci))


def active_addresses(cloud: str, ci: str, kind: str = "resource") -> set[str]:
    return {address for address, found in bootstrap(cloud, ci).active(kind).items() if found}


def resolved(cloud: str, ci: str, address: str) -> list[dict]:
    return [i.resolved() for i in bootstrap(cloud, ci).active()[address]]


ALL = list(product(CLOUDS, CI_PLATFORMS))
ALL_IDS = [f"{c}-{ci}" for c, ci in ALL]


# ---------------------------------------------------------------------------------------------
# What the generated project's pipelines present and read


def workflow_texts() -> dict[str, str]:
    folder = TEMPLATE_DIR / ".github" / "workflows"
    return {path.name: path.read_text() for path in sorted(folder.glob("*.yml"))}


def github_environments_used() -> set[str]:
    """Every literal GitHub environment a generated workflow job runs in or passes to deploy.yml."""
    found = set()
    for text in workflow_texts().values():
        for match in re.finditer(r"^\s*(?:plan-)?environment:\s*([A-Za-z0-9_-]+)\s*$", text, re.M):
            found.add(match.group(1))
    return found


def variables_read() -> dict[str, set[str]]:
    """The variables each CI platform's generated pipelines read from the environment / group."""
    github = {
        m for t in workflow_texts().values() for m in re.findall(r"\bvars\.([A-Z][A-Z0-9_]*)", t)
    }
    ado_texts = [p.read_text() for p in (TEMPLATE_DIR / ".azure-pipelines").rglob("*.yml")]
    own = {m for t in ado_texts for m in re.findall(r"-\s*name:\s*([A-Z][A-Z0-9_]*)\s*$", t, re.M)}
    agent = re.compile(r"JAVA_HOME_\w+|AGENT_\w+|BUILD_\w+|SYSTEM_\w+")
    ado = {m for t in ado_texts for m in re.findall(r"\$\(([A-Z][A-Z0-9_]*)\)", t)} - own
    ado = {m for m in ado if not agent.fullmatch(m)}
    return {"github_actions": github, "azure_devops": ado}


def backend_variables(cloud: str) -> set[str]:
    """The TF_STATE_* variables the generated Makefile passes to `terraform init` on ``cloud``."""
    setting = PROMPTS["__tf_state_settings"]
    table = ast.literal_eval(re.search(r"\{'azure'.*?\}(?=\[)", setting).group())
    return {pair.split("=")[1] for pair in table[cloud].split()}


def ci_variables(cloud: str, ci: str) -> dict[str, dict[str, Any]]:
    """Per GitHub environment / variable group, the variables the bootstrap hands out."""
    found: dict[str, dict[str, Any]] = {}
    if ci == "github_actions":
        for address in (
            "github_actions_environment_variable.env",
            "github_actions_environment_variable.account",
        ):
            for variable in resolved(cloud, ci, address):
                if variable["repository"] == REPOSITORIES[0]:
                    found.setdefault(variable["environment"], {})[variable["variable_name"]] = (
                        variable["value"]
                    )
    else:
        for address in ("azuredevops_variable_group.env", "azuredevops_variable_group.account"):
            for group in resolved(cloud, ci, address):
                found[group["name"]] = {v["name"]: v["value"] for v in group["variable"]}
    return found


# ---------------------------------------------------------------------------------------------
# Files, formatting, parsing, checkov


def test_the_bootstrap_has_its_files() -> None:
    names = {path.name for path in BOOTSTRAP.iterdir()}
    required = {
        "versions.tf",
        "variables.tf",
        "outputs.tf",
        "README.md",
        "terraform.tfvars.example",
    }
    assert (
        required | {"backend.tf.example", "backend-s3.tf.example", "backend-gcs.tf.example"}
        <= names
    )
    assert len(TF_FILES) >= 5
    assert all(path.is_file() for path in TARGET_LISTS.values())


def test_terraform_fmt_finds_nothing_to_change() -> None:
    terraform = shutil.which("terraform")
    assert terraform, "terraform is not on PATH"
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-no-color", "terraform"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"not formatted:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_files_are_formatted(path: Path) -> None:
    terraform = shutil.which("terraform")
    assert terraform, "terraform is not on PATH"
    result = subprocess.run(
        [terraform, "fmt", "-check", "-no-color", "-"],
        input=path.read_text(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{path.name} is not formatted:\n{result.stdout}"


@pytest.mark.parametrize("path", TF_FILES + EXAMPLES, ids=lambda path: path.name)
def test_every_file_parses(path: Path) -> None:
    assert load(path), f"{path.name} parsed to nothing"


def test_the_tfvars_example_sets_only_declared_variables() -> None:
    declared = set(named_blocks("variable"))
    example = BOOTSTRAP / "terraform.tfvars.example"
    assert {k for k in load(example) if not k.startswith("__")} <= declared
    commented = set(re.findall(r"^# ([a-z_]+) *=", example.read_text(), re.M))
    assert commented <= declared, f"commented examples of unknown variables: {commented - declared}"
    for cloud in CLOUDS:
        assert f'cloud = "{cloud}"' in example.read_text()


@pytest.fixture(scope="module")
def checkov_summary() -> dict[str, int]:
    reports = checkov_reports([BOOTSTRAP])
    assert all("summary" in r for r in reports), f"no checkov summary: {reports}"
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    assert not failed, "checkov failed:\n" + "\n".join(
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}" for c in failed
    )
    keys = ("passed", "failed", "skipped", "parsing_errors")
    return {key: sum(r["summary"][key] for r in reports) for key in keys}


def test_checkov_reports_no_failure(checkov_summary: dict[str, int]) -> None:
    assert checkov_summary["failed"] == 0
    assert checkov_summary["parsing_errors"] == 0
    assert checkov_summary["passed"] > 0, "checkov ran no check: it did not read the files"


def skip_comments() -> list[tuple[str, str, str]]:
    """(file, check id, reason) of every inline checkov skip."""
    found = []
    for path in TF_FILES:
        for match in SKIP_COMMENT.finditer(path.read_text()):
            found.append((path.name, match.group(1), (match.group(2) or "").strip()))
    return found


def test_every_checkov_skip_names_a_check_and_gives_a_reason() -> None:
    for file, check, reason in skip_comments():
        assert re.fullmatch(r"CKV2?_[A-Z]+_\d+", check), f"{file}: malformed skip {check!r}"
        assert len(reason.split()) >= 6, f"{file}: skip of {check} needs a written reason"


def test_every_checkov_skip_suppresses_a_real_finding(checkov_summary: dict[str, int]) -> None:
    """A skip whose check no longer applies would hide nothing and should go."""
    assert checkov_summary["skipped"] == len(skip_comments())


# ---------------------------------------------------------------------------------------------
# The Databricks provider's schema


def test_databricks_blocks_match_the_provider_schema() -> None:
    problems = [p for path in TF_FILES for p in file_problems(path, parsed()[path.name])]
    assert not problems, "\n".join(problems)
    used = {t for t, _, _ in labelled("resource") if t.startswith("databricks_")}
    assert used >= {
        "databricks_service_principal",
        "databricks_mws_permission_assignment",
        "databricks_entitlements",
        "databricks_service_principal_federation_policy",
    }


def test_object_attributes_match_the_provider_schema() -> None:
    """`oidc_policy = { ... }` is an object attribute: file_problems does not look inside."""
    found = schema()
    for section, table in (("resource", found.resources), ("data", found.data_sources)):
        for type_, name, body in labelled(section):
            if not type_.startswith("databricks_"):
                continue
            struct = found.structs[table[type_]]
            for key, value in body.items():
                field = struct.fields.get(key)
                if field is None or field.block is None or not isinstance(value, dict):
                    continue
                inner = found.structs[field.block].fields
                unknown = set(value) - set(inner) - {"__comments__"}
                assert not unknown, f"{type_}.{name}.{key}: unknown {sorted(unknown)}"


def test_the_schema_is_the_pinned_provider() -> None:
    settings = first(parsed()["versions.tf"]["terraform"])
    databricks = first(settings["required_providers"])["databricks"]
    assert databricks["version"] == "~> 1.99"
    assert schema().version.startswith("1.99"), schema().version


def test_federation_policies_have_what_the_token_exchange_needs() -> None:
    policies = resources("databricks_service_principal_federation_policy")
    assert set(policies) == {"github", "azure_devops"}
    for name, policy in policies.items():
        assert policy["provider"] == "${databricks.account}", f"{name}: account-level only"
        assert set(policy["oidc_policy"]) == {"issuer", "audiences", "subject_claim", "subject"}
        assert policy["oidc_policy"]["subject_claim"] == "sub"
        assert "jwks_json" not in policy["oidc_policy"], (
            "keys come from the issuer's well-known URL"
        )
        assert policy["service_principal_id"].startswith(
            "${tonumber(databricks_service_principal.account["
        )


# ---------------------------------------------------------------------------------------------
# Which resources exist on which cloud


@pytest.mark.parametrize(("cloud", "ci"), ALL, ids=ALL_IDS)
def test_the_evaluator_reads_every_block(cloud: str, ci: str) -> None:
    """Every resource and data source's count/for_each evaluates, and so does every instance."""
    for kind in ("resource", "data"):
        for address, found in bootstrap(cloud, ci).active(kind).items():
            for instance in found:
                assert isinstance(instance.resolved(), dict), address


@pytest.mark.parametrize(("cloud", "ci"), ALL, ids=ALL_IDS)
def test_every_precondition_holds_for_complete_inputs(cloud: str, ci: str) -> None:
    for kind in ("resource", "data"):
        for found in bootstrap(cloud, ci).active(kind).values():
            for instance in found:
                for holds, message in instance.preconditions():
                    assert holds is True, f"{instance.address}: {message}"


@pytest.mark.parametrize(
    ("cloud", "ci", "missing"),
    [
        ("aws", "github_actions", "databricks_account_id"),
        ("aws", "github_actions", "state_bucket_region"),
        ("gcp", "github_actions", "gcp_workload_identity_provider"),
        ("aws", "azure_devops", "azure_devops_organization_id"),
        ("gcp", "github_actions", "github_owner"),
        ("azure", "github_actions", "subscription_id"),
        ("azure", "azure_devops", "state_storage_account_name"),
    ],
)
def test_a_missing_cloud_input_is_refused_before_anything_is_created(
    cloud: str, ci: str, missing: str
) -> None:
    incomplete = Bootstrap(values(cloud, ci) | {missing: None})
    failed = [
        message
        for kind in ("resource", "data")
        for found in incomplete.active(kind).values()
        for instance in found
        for holds, message in instance.preconditions()
        if holds is not True
    ]
    assert failed, f"nothing refuses {cloud} without {missing}"


def test_an_aws_environment_without_its_prerequisites_is_refused() -> None:
    for attribute in ("workspace_id", "state_bucket", "aws_role_arn"):
        chosen = values("aws", "github_actions")
        chosen["environments"]["prod"][attribute] = None
        [prod] = [
            i
            for i in Bootstrap(chosen).active()["databricks_service_principal.account"]
            if i.each["each"]["key"] == "prod"
        ]
        assert not all(holds for holds, _ in prod.preconditions()), attribute


@pytest.mark.parametrize("ci", CI_PLATFORMS)
@pytest.mark.parametrize("cloud", ACCOUNT_CLOUDS)
def test_no_azure_resource_exists_on_aws_or_gcp(cloud: str, ci: str) -> None:
    active = active_addresses(cloud, ci) | active_addresses(cloud, ci, "data")
    azure = {a for a in active if re.match(r"(data\.)?(azurerm|azuread)_", a)}
    assert not azure, f"{cloud}: {sorted(azure)}"
    assert "azuredevops_serviceendpoint_azurerm.env" not in active
    assert "azuredevops_service_principal_entitlement.env" not in active
    assert {"databricks_service_principal.staging", "databricks_service_principal.prod"}.isdisjoint(
        active
    )
    assert {
        "databricks_service_principal.account",
        "databricks_mws_permission_assignment.env",
        "databricks_entitlements.staging",
        "databricks_entitlements.prod",
    } <= active


@pytest.mark.parametrize("ci", CI_PLATFORMS)
def test_no_databricks_account_resource_exists_on_azure(ci: str) -> None:
    active = active_addresses("azure", ci) | active_addresses("azure", ci, "data")
    account = {
        ("data." if kind == "data" else "") + f"{t}.{n}"
        for (kind, t, n), body in bootstrap("azure", ci).blocks.items()
        if body.get("provider") == "${databricks.account}"
    }
    assert account, "no account-level block found"
    assert not account & active, sorted(account & active)
    assert {
        "azuread_application.env",
        "azurerm_storage_account.state",
        "databricks_service_principal.staging",
    } <= active
    for address in (
        "databricks_entitlements.staging",
        "github_actions_environment_variable.account",
    ):
        assert address not in active


@pytest.mark.parametrize(("cloud", "ci"), ALL, ids=ALL_IDS)
def test_only_the_chosen_ci_platform_has_resources(cloud: str, ci: str) -> None:
    other = "github_" if ci == "azure_devops" else "azuredevops_"
    active = active_addresses(cloud, ci) | active_addresses(cloud, ci, "data")
    assert not {a for a in active if a.removeprefix("data.").startswith(other)}
    for kind in ("resource", "data"):
        for type_, name, body in labelled(kind):
            gate = str(body.get("count", "")) + str(body.get("for_each", ""))
            if type_.startswith("azuredevops_"):
                assert "local.ado" in gate, f"{type_}.{name} is not limited to azure_devops"
            if type_.startswith("github_"):
                assert "local.github" in gate, f"{type_}.{name} is not limited to github_actions"


def test_every_environment_has_its_own_identity() -> None:
    for cloud, ci in ALL:
        address = (
            "azuread_application.env"
            if cloud == "azure"
            else "databricks_service_principal.account"
        )
        found = bootstrap(cloud, ci).active()[address]
        assert sorted(i.each["each"]["key"] for i in found) == sorted(ENVIRONMENTS)
    conditions = " ".join(
        v["condition"] for v in named_blocks("variable")["environments"]["validation"]
    )
    for env in ENVIRONMENTS:
        assert f'contains(keys(var.environments), "{env}")' in conditions


# ---------------------------------------------------------------------------------------------
# Targeted applies on aws and gcp: azurerm and azuread are never configured


def _references(text: str) -> set[tuple[str, str]]:
    """("resource" / "data" / "local", name) of every reference in an expression text."""
    found = {("local", m) for m in re.findall(r"\blocal\.(\w+)", text)}
    found |= {("data", f"{t}.{n}") for t, n in re.findall(r"\bdata\.([a-z]\w*)\.(\w+)", text)}
    types = {t for t, _, _ in labelled("resource")}
    for t, n in re.findall(r"(?<![.\w])([a-z][a-z0-9]*_\w+)\.(\w+)", text):
        if t in types:
            found.add(("resource", f"{t}.{n}"))
    return found


def dependency_closure(addresses: set[str]) -> set[str]:
    """What Terraform keeps in a plan targeted at ``addresses``: them and everything they refer
    to (through locals too), as resource and data addresses."""
    blocks = {f"{t}.{n}": b for t, n, b in labelled("resource")}
    blocks |= {f"data.{t}.{n}": b for t, n, b in labelled("data")}
    exprs = locals_()
    seen_locals: set[str] = set()
    kept, pending = set(), list(addresses)
    while pending:
        address = pending.pop()
        if address in kept:
            continue
        kept.add(address)
        todo = [json.dumps(_uncommented(blocks[address]))]
        while todo:
            for kind, name in _references(todo.pop()):
                if kind == "local":
                    if name not in seen_locals:
                        seen_locals.add(name)
                        todo.append(json.dumps(_uncommented(exprs[name])))
                else:
                    address_of = name if kind == "resource" else f"data.{name}"
                    if address_of not in kept:
                        pending.append(address_of)
    return kept


def _uncommented(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _uncommented(v) for k, v in node.items() if k != "__comments__"}
    if isinstance(node, list):
        return [_uncommented(item) for item in node]
    return node


def target_list(ci: str) -> set[str]:
    lines = TARGET_LISTS[ci].read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")}


@pytest.mark.parametrize("ci", CI_PLATFORMS)
def test_each_target_list_is_exactly_what_aws_and_gcp_create(ci: str) -> None:
    expected = active_addresses("aws", ci) | active_addresses("gcp", ci)
    assert target_list(ci) == expected, (
        f"targets/{ci}.txt: missing {sorted(expected - target_list(ci))}, "
        f"extra {sorted(target_list(ci) - expected)}"
    )


@pytest.mark.parametrize("ci", CI_PLATFORMS)
def test_a_targeted_plan_needs_no_azure_provider(ci: str) -> None:
    kept = dependency_closure(target_list(ci))
    azure = {a for a in kept if re.match(r"(data\.)?(azurerm|azuread)_", a)}
    assert not azure, f"targets/{ci}.txt pulls in {sorted(azure)}"
    other = "azuredevops_" if ci == "github_actions" else "github_"
    assert not {a for a in kept if a.removeprefix("data.").startswith(other)}
    # the closure is complete: every reference inside it is itself in it
    assert kept == dependency_closure(kept)


def test_the_readme_shows_the_targeted_apply() -> None:
    readme = (BOOTSTRAP / "README.md").read_text()
    for ci in CI_PLATFORMS:
        assert f"targets/{ci}.txt" in readme


# ---------------------------------------------------------------------------------------------
# Federation: exactly the identities the generated pipelines present


def expected_github_subjects(env: str) -> set[str]:
    environments_for = {"staging": {"staging"}, "prod": {"prod", "prod-plan"}}[env]
    return {
        f"repo:{GITHUB_OWNER}/{repo}:environment:{ge}"
        for repo in REPOSITORIES
        for ge in environments_for
    }


def expected_ado_subjects(env: str) -> set[str]:
    pipelines = {"staging": {"cd-staging", "ci"}, "prod": {"cd-prod"}}[env]
    return {f"p://{ADO_ORG}/{ADO_PROJECT}/{repo}-{p}" for repo in REPOSITORIES for p in pipelines}


def test_the_github_environments_are_those_the_workflows_run_in() -> None:
    used = github_environments_used()
    assert {"staging", "prod", "prod-plan"} <= used, used
    for cloud in CLOUDS:
        created = {
            e["environment"]
            for e in resolved(cloud, "github_actions", "github_repository_environment.env")
            if e["repository"] == REPOSITORIES[0]
        }
        assert created == used


def test_the_azure_devops_pipelines_are_the_generated_pipeline_files() -> None:
    for cloud in CLOUDS:
        definitions = resolved(cloud, "azure_devops", "azuredevops_build_definition.model")
        for definition in definitions:
            path = definition["repository"][0]["yml_path"]
            assert (TEMPLATE_DIR / path).is_file(), path
        names = {d["name"] for d in definitions}
        assert names == {f"{r}-{p}" for r in REPOSITORIES for p in ("ci", "cd-staging", "cd-prod")}


@pytest.mark.parametrize("cloud", ACCOUNT_CLOUDS)
def test_github_federation_policies_trust_exactly_each_environment(cloud: str) -> None:
    policies = bootstrap(cloud, "github_actions").active()[
        "databricks_service_principal_federation_policy.github"
    ]
    by_env: dict[str, set[str]] = {}
    for policy in policies:
        body = policy.resolved()
        oidc = body["oidc_policy"]
        assert oidc["issuer"] == "https://token.actions.githubusercontent.com"
        env = policy.each["each"]["value"]["env"]
        host = environments(cloud)[env]["workspace_host"]
        assert oidc["audiences"] == [ACCOUNT_ID, f"{host}/oidc/v1/token"]
        assert body["service_principal_id"] == Unknown(
            f'databricks_service_principal.account["{env}"].id'
        )
        assert re.fullmatch(r"[a-z0-9-]+", body["policy_id"]), body["policy_id"]
        by_env.setdefault(env, set()).add(oidc["subject"])
    assert by_env == {env: expected_github_subjects(env) for env in ENVIRONMENTS}
    ids = [(p.each["each"]["value"]["env"], p.resolved()["policy_id"]) for p in policies]
    assert len(ids) == len(set(ids)), "policy ids must be unique per service principal"


@pytest.mark.parametrize("cloud", ACCOUNT_CLOUDS)
def test_azure_devops_federation_policies_trust_exactly_each_pipeline(cloud: str) -> None:
    policies = bootstrap(cloud, "azure_devops").active()[
        "databricks_service_principal_federation_policy.azure_devops"
    ]
    by_env: dict[str, set[str]] = {}
    for policy in policies:
        body = policy.resolved()
        oidc = body["oidc_policy"]
        assert oidc["issuer"] == f"https://vstoken.dev.azure.com/{ADO_ORG_ID}"
        assert oidc["audiences"] == ["api://AzureADTokenExchange"]
        assert re.fullmatch(r"[a-z0-9-]+", body["policy_id"]), body["policy_id"]
        by_env.setdefault(policy.each["each"]["value"]["env"], set()).add(oidc["subject"])
    assert by_env == {env: expected_ado_subjects(env) for env in ENVIRONMENTS}
    ids = [(p.each["each"]["value"]["env"], p.resolved()["policy_id"]) for p in policies]
    assert len(ids) == len(set(ids)), "policy ids must be unique per service principal"


def test_entra_federated_credentials_trust_exactly_each_github_environment() -> None:
    credentials = bootstrap("azure", "github_actions").active()[
        "azuread_application_federated_identity_credential.github"
    ]
    by_env: dict[str, set[str]] = {}
    for credential in credentials:
        body = credential.resolved()
        assert body["issuer"] == "https://token.actions.githubusercontent.com"
        assert body["audiences"] == ["api://AzureADTokenExchange"]
        env = credential.each["each"]["value"]["env"]
        assert body["application_id"] == Unknown(f'azuread_application.env["{env}"].id')
        by_env.setdefault(env, set()).add(body["subject"])
    assert by_env == {env: expected_github_subjects(env) for env in ENVIRONMENTS}
    names = [(c.each["each"]["value"]["env"], c.resolved()["display_name"]) for c in credentials]
    assert len(names) == len(set(names))


def test_azure_devops_federated_credentials_trust_each_service_connection() -> None:
    credential = resources("azuread_application_federated_identity_credential")["azure_devops"]
    assert credential["for_each"] == "${local.azure && local.ado ? var.environments : {}}"
    assert credential["application_id"] == "${azuread_application.env[each.key].id}"
    assert credential["audiences"] == ["api://AzureADTokenExchange"]
    endpoint = "azuredevops_serviceendpoint_azurerm.env[each.key]"
    assert credential["issuer"] == f"${{{endpoint}.workload_identity_federation_issuer}}"
    assert credential["subject"] == f"${{{endpoint}.workload_identity_federation_subject}}"


@pytest.mark.parametrize(("cloud", "ci"), [(c, ci) for c in ACCOUNT_CLOUDS for ci in CI_PLATFORMS])
def test_the_ci_subjects_output_matches_the_policies(cloud: str, ci: str) -> None:
    """The admin configures the state bucket's cloud role to trust these same subjects."""
    subjects = bootstrap(cloud, ci).local("ci_subjects")
    expected = expected_github_subjects if ci == "github_actions" else expected_ado_subjects
    assert {env: set(s) for env, s in subjects.items()} == {
        env: expected(env) for env in ENVIRONMENTS
    }


def test_service_connections_use_workload_identity_federation() -> None:
    connections = resources("azuredevops_serviceendpoint_azurerm")
    assert connections
    for connection in connections.values():
        assert connection["service_endpoint_authentication_scheme"] == "WorkloadIdentityFederation"
        assert set(first(connection["credentials"])) == {"serviceprincipalid"}
    branch_checks = resources("azuredevops_check_branch_control")
    assert any(
        check["target_resource_type"] == "endpoint"
        and check["allowed_branches"] == "refs/heads/${each.value.git_branch}"
        and check["verify_branch_protection"] is True
        for check in branch_checks.values()
    ), "each service connection must be limited to its environment's branch"
    [check] = branch_checks.values()
    assert "!contains(local.pull_request_envs, name)" in check["for_each"]
    checked = {
        i.each["each"]["key"]
        for i in bootstrap("azure", "azure_devops").active()[
            "azuredevops_check_branch_control.service_connection"
        ]
    }
    assert checked == {"prod"}


# ---------------------------------------------------------------------------------------------
# GitHub environments and Azure DevOps authorisations


@pytest.mark.parametrize("cloud", CLOUDS)
def test_github_environments_admit_only_their_branch_and_prod_waits_for_a_reviewer(
    cloud: str,
) -> None:
    ci = "github_actions"
    found = {
        e["environment"]: e
        for e in resolved(cloud, ci, "github_repository_environment.env")
        if e["repository"] == REPOSITORIES[0]
    }
    assert found["prod"]["reviewers"], "prod needs reviewers"
    assert found["prod"]["prevent_self_review"] is True
    for name in ("staging", "prod-plan"):
        assert not found[name].get("reviewers"), f"{name} must not wait for a reviewer"
    assert not found["staging"].get("deployment_branch_policy"), "staging takes pull requests"
    for name in ("prod", "prod-plan"):
        assert found[name]["deployment_branch_policy"] == [
            {"protected_branches": False, "custom_branch_policies": True}
        ]
    policies = {
        (p["environment"], p["branch_pattern"])
        for p in resolved(cloud, ci, "github_repository_environment_deployment_policy.env")
        if p["repository"] == REPOSITORIES[0]
    }
    assert policies == {("prod", "release"), ("prod-plan", "release")}


@pytest.mark.parametrize(("cloud", "ci"), ALL, ids=ALL_IDS)
def test_only_pull_request_environments_are_open_to_pull_request_ci(cloud: str, ci: str) -> None:
    """Staging (by default) is usable by the ci pipeline; prod may never be."""
    assert 'coalesce(env.pull_requests, name == "staging")' in locals_()["pull_request_envs"]
    variable = named_blocks("variable")["environments"]
    assert any(
        'var.environments["prod"].pull_requests' in rule["condition"]
        and "!= true" in rule["condition"]
        for rule in variable["validation"]
    ), "a validation must refuse pull_requests on prod"
    if ci != "azure_devops":
        return
    suffix = "" if cloud == "azure" else "_account"
    ci_auth = resolved(cloud, ci, f"azuredevops_pipeline_authorization.ci{suffix}")
    cd_auth = resolved(cloud, ci, f"azuredevops_pipeline_authorization.cd{suffix}")
    assert ci_auth and cd_auth
    assert {a["type"] for a in ci_auth} == (
        {"endpoint", "variablegroup"} if cloud == "azure" else {"variablegroup"}
    )
    assert "environment" not in {a["type"] for a in ci_auth}, "ci never deploys"
    expected_types = (
        {"endpoint", "variablegroup", "environment"}
        if cloud == "azure"
        else {"variablegroup", "environment"}
    )
    assert {a["type"] for a in cd_auth} == expected_types
    groups = (
        "azuredevops_variable_group.env"
        if cloud == "azure"
        else "azuredevops_variable_group.account"
    )
    for auth in ci_auth:
        assert "staging" in str(auth["resource_id"]) and "prod" not in str(auth["resource_id"]), (
            auth
        )
        if auth["type"] == "variablegroup":
            assert str(auth["resource_id"]).startswith(f"(known after apply: {groups}")


# ---------------------------------------------------------------------------------------------
# The CI's variables


@pytest.mark.parametrize(("cloud", "ci"), ALL, ids=ALL_IDS)
def test_each_environment_gets_exactly_its_sign_in_and_state_variables(cloud: str, ci: str) -> None:
    found = ci_variables(cloud, ci)
    expected_groups = (
        {"staging", "prod", "prod-plan"}
        if ci == "github_actions"
        else {"databricks-staging", "databricks-prod"}
    )
    assert set(found) == expected_groups
    names = COMMON_VARIABLES | CLOUD_VARIABLES[cloud] | CI_VARIABLES[(cloud, ci)]
    for group, variables in found.items():
        assert set(variables) == names, f"{group}: {sorted(set(variables) ^ names)}"
        assert variables["DATABRICKS_AUTH_TYPE"] == AUTH_TYPES[(cloud, ci)]
        env = "staging" if "staging" in group else "prod"
        assert variables["DATABRICKS_HOST"] == environments(cloud)[env]["workspace_host"]
        if cloud == "azure":
            client = Unknown(f'azuread_application.env["{env}"].client_id')
            assert variables["ARM_CLIENT_ID"] == variables["DATABRICKS_CLIENT_ID"] == client
        else:
            assert variables["DATABRICKS_CLIENT_ID"] == Unknown(
                f'databricks_service_principal.account["{env}"].application_id'
            )
            assert variables["TF_STATE_BUCKET"] == f"contoso-tfstate-{env}"
        if "DATABRICKS_TOKEN_AUDIENCE" in variables:
            assert variables["DATABRICKS_TOKEN_AUDIENCE"] == ACCOUNT_ID
        assert backend_variables(cloud) <= set(variables), "terraform init needs these"
    if ci == "github_actions":
        assert found["prod-plan"] == found["prod"], "prod-plan signs in as prod"


@pytest.mark.parametrize("ci", CI_PLATFORMS)
def test_every_variable_the_generated_pipelines_read_is_handed_out(ci: str) -> None:
    handed_out = set().union(*(set().union(*ci_variables(cloud, ci).values()) for cloud in CLOUDS))
    missing = variables_read()[ci] - handed_out
    assert not missing, f"the generated {ci} pipelines read {sorted(missing)}, which no cloud sets"


def test_the_readme_lists_every_variable() -> None:
    readme = (BOOTSTRAP / "README.md").read_text()
    every = (
        COMMON_VARIABLES
        | set().union(*CLOUD_VARIABLES.values())
        | set().union(*CI_VARIABLES.values())
    )
    for name in every:
        assert f"`{name}`" in readme, f"README does not mention {name}"
    for word in (
        "use_azuread_auth",
        "-migrate-state",
        "lease",
        "use_lockfile",
        "github-oidc",
        "azure-devops-oidc",
    ):
        assert word in readme, f"README does not mention {word}"


# ---------------------------------------------------------------------------------------------
# No secret anywhere


def test_no_resource_creates_a_secret() -> None:
    used = {t for kind in ("resource", "data") for t, _, _ in labelled(kind)}
    assert used, "no resources parsed"
    assert not used & SECRET_RESOURCES


def test_no_attribute_carries_a_secret() -> None:
    for file, document in parsed().items():
        keys = {key for key, _ in walk(document)}
        assert not keys & SECRET_ATTRIBUTES, f"{file}: {sorted(keys & SECRET_ATTRIBUTES)}"


def _without_comments(text: str) -> str:
    """HCL text with its # and // comments removed (strings kept)."""
    out, in_string, pos = [], False, 0
    while pos < len(text):
        char = text[pos]
        if in_string:
            if char == "\\":
                out.append(text[pos : pos + 2])
                pos += 2
                continue
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char == "#" or text.startswith("//", pos):
            pos = text.find("\n", pos) if "\n" in text[pos:] else len(text)
            continue
        out.append(char)
        pos += 1
    return "".join(out)


def test_no_secret_name_or_value_anywhere_in_the_bootstrap() -> None:
    for path in sorted(
        p for p in BOOTSTRAP.rglob("*") if p.is_file() and ".terraform" not in p.parts
    ):
        text = path.read_text()
        assert not SECRET_SHAPES.search(text), f"{path.name}: {SECRET_SHAPES.search(text).group()}"
        if path.suffix == ".md":
            continue
        code = _without_comments(text)
        match = SECRET_NAMES.search(code)
        assert not match, f"{path.relative_to(BOOTSTRAP)}: {match.group()!r}"


def test_every_sign_in_is_federated() -> None:
    """Admin sign-ins are CLI logins (no stored credential); the CI's are OIDC exchanges."""
    for name, body in providers():
        if name == "databricks":
            assert body["auth_type"] in ("${local.databricks_admin_auth_type}", "databricks-cli")
    for cloud, ci in ALL:
        auth = bootstrap(cloud, ci).local("databricks_admin_auth_type")
        assert auth == ("azure-cli" if cloud == "azure" else "databricks-cli")
        assert set(ci_variables(cloud, ci)) and all(
            v["DATABRICKS_AUTH_TYPE"] in ("azure-cli", "github-oidc", "azure-devops-oidc")
            for v in ci_variables(cloud, ci).values()
        )


# ---------------------------------------------------------------------------------------------
# State, approvals, providers, descriptions


def test_state_storage_is_versioned_private_and_entra_only() -> None:
    account = resources("azurerm_storage_account")["state"]
    blobs = first(account["blob_properties"])
    assert blobs["versioning_enabled"] is True
    assert "delete_retention_policy" in blobs
    assert "container_delete_retention_policy" in blobs
    assert account["allow_nested_items_to_be_public"] is False
    assert account["shared_access_key_enabled"] is False
    assert account["min_tls_version"] == "TLS1_2"
    assert account["https_traffic_only_enabled"] is True
    containers = resources("azurerm_storage_container")
    assert containers
    assert all(c["container_access_type"] == "private" for c in containers.values())
    azurerm = next(body for name, body in providers() if name == "azurerm")
    assert azurerm["storage_use_azuread"] is True


def test_each_environment_writes_only_its_own_state_container() -> None:
    assignment = resources("azurerm_role_assignment")["env_state"]
    assert assignment["role_definition_name"] == "Storage Blob Data Contributor"
    assert assignment["scope"] == "${azurerm_storage_container.env[each.key].id}"
    assert assignment["principal_id"] == "${azuread_service_principal.env[each.key].object_id}"
    containers = {
        i.each["each"]["key"]
        for i in bootstrap("azure", "github_actions").active()["azurerm_storage_container.env"]
    }
    assert containers == set(ENVIRONMENTS)


@pytest.mark.parametrize("cloud", ACCOUNT_CLOUDS)
def test_each_environment_has_its_own_state_bucket_and_cloud_role(cloud: str) -> None:
    for ci in CI_PLATFORMS:
        found = ci_variables(cloud, ci)
        buckets = {v["TF_STATE_BUCKET"] for v in found.values()}
        assert len(buckets) == 2
        role = "AWS_ROLE_ARN" if cloud == "aws" else "GCP_SERVICE_ACCOUNT"
        assert len({v[role] for v in found.values()}) == 2


def test_prod_deployments_need_an_approval() -> None:
    for cloud in CLOUDS:
        [approval] = resolved(cloud, "azure_devops", "azuredevops_check_approval.prod")
        assert approval["target_resource_type"] == "environment"
        assert approval["target_resource_id"] == Unknown('azuredevops_environment.env["prod"].id')
        assert approval["requester_can_approve"] is False


def test_providers_are_pinned_and_the_account_provider_follows_the_cloud() -> None:
    settings = first(parsed()["versions.tf"]["terraform"])
    assert settings["required_version"] == ">= 1.6"
    pinned = {
        name: (spec["source"], spec["version"])
        for name, spec in first(settings["required_providers"]).items()
    }
    assert pinned == {
        "azurerm": ("hashicorp/azurerm", "~> 4.0"),
        "azuread": ("hashicorp/azuread", "~> 3.0"),
        "azuredevops": ("microsoft/azuredevops", "~> 1.0"),
        "databricks": ("databricks/databricks", "~> 1.99"),
        "github": ("integrations/github", "~> 6.0"),
    }
    databricks = {body["alias"]: body for name, body in providers() if name == "databricks"}
    assert sorted(databricks) == sorted((*ENVIRONMENTS, "account"))
    hosts = {
        "azure": "https://accounts.azuredatabricks.net",
        "aws": "https://accounts.cloud.databricks.com",
        "gcp": "https://accounts.gcp.databricks.com",
    }
    for cloud, host in hosts.items():
        b = bootstrap(cloud, "github_actions")
        assert b.resolve(databricks["account"]["host"]) == host
        assert b.resolve(databricks["account"]["account_id"]) == (
            None if cloud == "azure" else ACCOUNT_ID
        )
    for name, body in providers():
        if name != "databricks" or body["alias"] == "account":
            continue
        assert body["host"] == f'${{var.environments["{body["alias"]}"].workspace_host}}'


def test_every_account_block_uses_the_account_provider() -> None:
    account_only = {
        "databricks_mws_permission_assignment",
        "databricks_service_principal_federation_policy",
    }
    for type_, name, body in labelled("resource"):
        if type_ in account_only or (type_ == "databricks_service_principal" and name == "account"):
            assert body.get("provider") == "${databricks.account}", f"{type_}.{name}"
        elif type_.startswith("databricks_"):
            assert body.get("provider") in ("${databricks.staging}", "${databricks.prod}"), (
                f"{type_}.{name}"
            )


def test_every_variable_has_a_description_and_a_type() -> None:
    variables = named_blocks("variable")
    assert variables
    for name, body in variables.items():
        assert str(body.get("description", "")).strip(), f"variable {name} has no description"
        assert body.get("type"), f"variable {name} has no type"


def test_every_output_has_a_description() -> None:
    outputs = named_blocks("output")
    assert outputs
    for name, body in outputs.items():
        assert str(body.get("description", "")).strip(), f"output {name} has no description"
