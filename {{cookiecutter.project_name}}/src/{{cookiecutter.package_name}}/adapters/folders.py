"""Where deliveries land: a folder of files written all or none (staged under names of their
own, then moved onto their final names). A local folder writes through the file system; a
Unity Catalog volume (``/Volumes/<catalog>/<schema>/<volume>/...``) through the Files API of
the workspace, which needs no mount on the compute.

Both take files by name, so a step never joins paths itself:
``staged = folder.stage({name: bytes})`` then ``folder.commit(staged)`` (or
``folder.discard(staged)``); ``folder.recover(committed)`` after a crash finishes the
deliveries whose commit was recorded and removes files staged by writers that are gone.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any, Protocol

from .. import faults
from . import files

VOLUMES = "/Volumes/"


class Folder(Protocol):
    where: str  # the folder, as the settings name it

    def stage(self, outputs: dict[str, bytes]) -> dict[str, str]: ...
    def discard(self, staged: dict[str, str]) -> None: ...
    def commit(self, staged: dict[str, str]) -> None: ...
    def recover(self, committed: dict[str, str]) -> tuple[list[str], list[str]]: ...
    def refusal(self, error: BaseException) -> str | None: ...


class LocalFolder:
    """A folder of this machine's file system: staged files are written durably, then each
    is moved onto its final name with ``os.replace``."""

    def __init__(self, path: Path):
        self.path, self.where = path, str(path)

    def stage(self, outputs: dict[str, bytes]) -> dict[str, str]:
        """Write each file under a staged name: {final path: staged path}. A refusal of the
        disk propagates as the OSError; nothing final is touched."""
        self.path.mkdir(parents=True, exist_ok=True)
        return files.stage({self.path / name: data for name, data in outputs.items()})

    def discard(self, staged: dict[str, str]) -> None:
        files.discard(staged)

    def commit(self, staged: dict[str, str]) -> None:
        files.commit(staged)

    def recover(self, committed: dict[str, str]) -> tuple[list[str], list[str]]:
        finished, removed = files.recover(self.path, committed)
        return [str(p) for p in finished], [str(p) for p in removed]

    def refusal(self, error: BaseException) -> str | None:
        refused = files.refusal(error, self.path)
        return refused[0] if refused else None


class VolumeFolder:
    """A folder of a Unity Catalog volume, written through the workspace's Files API
    (``WorkspaceClient().files``). A staged file is uploaded under its staged name; committing
    uploads it under its final name (one upload replaces a file whole) and deletes the staged
    one, so a commit interrupted midway can be run again."""

    def __init__(self, api: Any, path: str):
        if not path.startswith(VOLUMES):
            raise ValueError(f"{path} is not a Unity Catalog volume path (/Volumes/...)")
        self.api, self.where = api, path.rstrip("/")

    def _path(self, name: str) -> str:
        return f"{self.where}/{name}"

    def stage(self, outputs: dict[str, bytes]) -> dict[str, str]:
        names = files.staged_names(list(outputs))
        self.api.create_directory(self.where)
        staged: dict[str, str] = {}
        try:
            for name, data in outputs.items():
                partial = self._path(names[name])
                staged[self._path(name)] = partial
                faults.point("files:staging", path=partial)
                self.api.upload(partial, io.BytesIO(data), overwrite=True)
        except Exception:
            self.discard(staged)
            raise
        return staged

    def _read(self, path: str) -> bytes | None:
        from databricks.sdk.errors import NotFound

        try:
            return self.api.download(path).contents.read()
        except NotFound:
            return None

    def discard(self, staged: dict[str, str]) -> None:
        from databricks.sdk.errors import NotFound

        for partial in staged.values():
            with contextlib.suppress(NotFound):
                self.api.delete(partial)

    def commit(self, staged: dict[str, str]) -> None:
        for final, partial in staged.items():
            data = self._read(partial)
            if data is None:  # moved by an earlier commit
                continue
            self.api.upload(final, io.BytesIO(data), overwrite=True)
            self.discard({final: partial})

    def recover(self, committed: dict[str, str]) -> tuple[list[str], list[str]]:
        from databricks.sdk.errors import NotFound

        finished = [final for final, partial in committed.items() if self._exists(partial)]
        self.commit(committed)
        pending, removed = set(committed.values()), []
        try:
            entries = list(self.api.list_directory_contents(self.where))
        except NotFound:  # the folder is not there yet
            return finished, removed
        for entry in entries:
            path = entry.path or self._path(entry.name or "")
            name = path.rsplit("/", 1)[-1]
            modified = (entry.last_modified or 0) / 1000
            if entry.is_directory or path in pending or not files.abandoned(name, modified):
                continue
            self.discard({path: path})
            removed.append(path)
        return finished, removed

    def _exists(self, path: str) -> bool:
        from databricks.sdk.errors import NotFound

        try:
            self.api.get_metadata(path)
        except NotFound:
            return False
        return True

    def refusal(self, error: BaseException) -> str | None:
        from databricks.sdk.errors import DatabricksError

        if isinstance(error, DatabricksError):
            detail = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
            return f"the workspace refused ({type(error).__name__}): {detail}"
        return None


def folder_for(path: Path | str, on_databricks: bool) -> Folder:
    """The folder adapter for ``path``: a volume through the Files API on Databricks, else the
    local file system."""
    if on_databricks and str(path).startswith(VOLUMES):
        from databricks.sdk import WorkspaceClient

        return VolumeFolder(WorkspaceClient().files, str(path))
    return LocalFolder(Path(path))
