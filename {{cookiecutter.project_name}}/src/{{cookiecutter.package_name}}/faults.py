"""A seam for fault-injection tests: the instants at which a crash would matter, by name.

The adapters and the steps that commit something call ``point(name, **where)`` at each such
instant; in production ``hook`` does nothing. A test replaces ``hook`` (``monkeypatch.setattr(
faults, "hook", ...)``) with a callable that raises, or ends the process with ``os._exit``, at
the point it names, so that a crash happens at exactly that instant rather than after a timed
kill. Nothing else may use it.

The points, in the order they are passed:

- tables (local): ``table:locked`` (the writer's lock is taken, nothing written yet),
  ``table:data-written`` (Spark wrote the new rows into a version folder of their own),
  ``table:version-complete`` (the untouched partitions are linked in: the new version is whole),
  ``table:pointer-staged`` (the new pointer file is written beside the current one),
  ``table:committed`` (the pointer is replaced: the new version is the table; superseded
  versions are not removed yet). Each passes ``table`` (its name) and ``path``.
- ``files:staging`` (a file is about to be written under its staged name; ``path``),
  ``deliver:files-staged`` (the CSV and the report are written under staged names, the table
  not yet) and ``deliver:table-committed`` (the table is committed, the files not yet moved
  into place).
- ``deploy:champion-moved`` (the commit point: `champion` points at the challenger) and
  ``deploy:challenger-cleared`` (the `challenger` alias is removed, the version not yet tagged).
"""

from __future__ import annotations

from collections.abc import Callable


def _nothing(point: str, **where: object) -> None:
    """Production: no fault."""


hook: Callable[..., None] = _nothing


def point(name: str, **where: object) -> None:
    """Reached the instant ``name``; a test's hook may crash here."""
    hook(name, **where)
