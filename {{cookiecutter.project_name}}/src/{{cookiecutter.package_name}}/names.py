"""What a catalog, schema or table name may be, and how a name goes into SQL.

The rule is Spark SQL's unquoted identifier, narrowed to ASCII: letters, digits and ``_``, not
starting with a digit. Unity Catalog allows more when a name is quoted, but such a name is also
a folder of the local warehouse, a Feature Engineering table name and part of MLflow filters,
and needs quoting in each. A Unity Catalog name is at most 255 characters; the pipeline's own
table names at most 128, which leaves room for the ``raw_`` tables and the local warehouse's
staging folders. Unity Catalog ignores case, so two names that differ only in case are one
table. Wherever SQL is built the names are quoted all the same (``quote``), so a name never
reaches SQL as anything but a name.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
UC_NAME_LENGTH = 255  # Unity Catalog's limit for a catalog, schema or table name
TABLE_NAME_LENGTH = 128  # the pipeline's own tables (raw_<source>, staging folders beside them)
# One part of a qualified name as a source's `table` may give it: plain, or `quoted` (`` for `).
_PART = r"(?:[A-Za-z_][A-Za-z0-9_]*|`(?:[^`]|``)+`)"
QUALIFIED = re.compile(_PART + (r"(?:\." + _PART + ")?") * 2)  # one to three parts
ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
RULE = "letters, digits and _, not starting with a digit"


def name_problem(value: str, limit: int) -> str | None:
    """Why ``value`` cannot be a catalog, schema or table name, or None."""
    if not IDENTIFIER.fullmatch(value):
        return f"{value!r} is not a usable name: {RULE}"
    if len(value) > limit:
        return f"is {len(value)} characters long; at most {limit}"
    return None


def _checked(limit: int):
    def check(value: str) -> str:
        problem = name_problem(value, limit)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


UCName = Annotated[str, _checked(UC_NAME_LENGTH)]  # a catalog or schema
TableName = Annotated[str, _checked(TABLE_NAME_LENGTH)]  # one of the pipeline's own tables


def quote(name: str) -> str:
    """``name`` as a SQL identifier: in backticks, a backtick inside doubled."""
    return "`" + name.replace("`", "``") + "`"


def qualified(*parts: str) -> str:
    """``catalog.schema.table`` with every part quoted, for SQL and the table APIs that parse
    a multi-part name (``saveAsTable``, ``spark.table``, ``tableExists``)."""
    return ".".join(quote(p) for p in parts)


def sql_string(text: str) -> str:
    """``text`` as a Spark SQL string literal: in single quotes, ``\\`` and ``'`` escaped."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def parts_of(name: str) -> list[str]:
    """The parts of a qualified name that matches ``QUALIFIED``, unquoted."""
    found = re.findall(r"`((?:[^`]|``)+)`|([^.`]+)", name)
    return [quoted.replace("``", "`") if quoted else plain for quoted, plain in found]
