"""The delivery folder adapters: all or none on a local folder and on a Unity Catalog volume.

The volume's Files API cannot be reached from here: it is the SDK's own class, autospecced (so
every call is checked against the library's signatures) over an in-memory store of files."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from unittest.mock import create_autospec

import pytest
from databricks.sdk.errors import NotFound, PermissionDenied
from databricks.sdk.mixins.files import FilesExt
from databricks.sdk.service.files import DirectoryEntry, DownloadResponse

from {{ cookiecutter.package_name }}.adapters import folders

VOLUME = "/Volumes/prod/risk/delivery"


def files_api(store: dict[str, tuple[bytes, float]], refuse: set[str] = frozenset()):
    """The workspace's Files API over ``store`` ({path: (bytes, modified epoch seconds)})."""
    api = create_autospec(FilesExt, instance=True)

    def upload(path, contents, *, overwrite=None, **_):
        if any(path.endswith(name) for name in refuse):
            raise PermissionDenied(f"User does not have WRITE VOLUME on {path}")
        store[path] = (contents.read(), time.time())

    def download(path):
        if path not in store:
            raise NotFound(f"{path} not found")
        return DownloadResponse(contents=io.BytesIO(store[path][0]))

    def delete(path):
        if store.pop(path, None) is None:
            raise NotFound(f"{path} not found")

    def metadata(path):
        if path not in store:
            raise NotFound(f"{path} not found")

    def listing(folder, **_):
        return iter(
            DirectoryEntry(path=p, name=p.rsplit("/", 1)[1], last_modified=int(m * 1000))
            for p, (_, m) in store.items()
            if p.rsplit("/", 1)[0] == folder
        )

    api.upload.side_effect = upload
    api.download.side_effect = download
    api.delete.side_effect = delete
    api.get_metadata.side_effect = metadata
    api.list_directory_contents.side_effect = listing
    return api


def dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


def names(store) -> list[str]:
    return sorted(p.rsplit("/", 1)[1] for p in store)


def test_a_volume_folder_stages_then_commits_all_or_none() -> None:
    store = {f"{VOLUME}/list.csv": (b"old", time.time())}
    folder = folders.VolumeFolder(files_api(store), VOLUME + "/")
    staged = folder.stage({"list.csv": b"new", "list_report.json": b"{}"})
    assert store[f"{VOLUME}/list.csv"][0] == b"old"  # nothing final touched
    assert f"{VOLUME}/list_report.json" not in store
    assert all(Path(s).name.startswith(".") and s.endswith(".partial") for s in staged.values())
    folder.commit(staged)
    assert names(store) == ["list.csv", "list_report.json"]
    assert store[f"{VOLUME}/list.csv"][0] == b"new"
    folder.commit(staged)  # a commit run again (after a crash midway) changes nothing
    assert names(store) == ["list.csv", "list_report.json"]


def test_a_volume_folder_recovers_what_a_crash_left() -> None:
    store: dict[str, tuple[bytes, float]] = {}
    folder = folders.VolumeFolder(files_api(store), VOLUME)
    committed = folder.stage({"list.csv": b"committed"})  # recorded in the table, not moved
    live = folder.stage({"list.csv": b"a live writer's"})
    lost = folder.stage({"list.csv": b"lost"})
    [(_, partial)] = lost.items()
    dead = partial.replace(f".{os.getpid()}.", f".{dead_pid()}.")
    store[dead] = store.pop(partial)
    elsewhere = f"{VOLUME}/.list.csv.other-host.7.abcd1234.partial"
    store[elsewhere] = (b"old", time.time() - 2 * 24 * 3600)  # another host's, two days old
    finished, removed = folder.recover(committed)
    assert finished == [f"{VOLUME}/list.csv"] and store[f"{VOLUME}/list.csv"][0] == b"committed"
    assert sorted(removed) == sorted([dead, elsewhere])
    assert set(live.values()) <= set(store)  # not judged: its writer still runs


def test_a_volume_that_refuses_a_file_leaves_nothing_staged_and_says_so() -> None:
    store: dict[str, tuple[bytes, float]] = {}
    folder = folders.VolumeFolder(files_api(store, refuse={".partial"}), VOLUME)
    with pytest.raises(PermissionDenied) as error:
        folder.stage({"list.csv": b"new"})
    assert store == {}
    why = folder.refusal(error.value)
    assert why.startswith("the workspace refused (PermissionDenied): ")
    assert "WRITE VOLUME" in why and "\n" not in why
    assert folder.refusal(ValueError("not the workspace")) is None


def test_a_volume_folder_that_does_not_exist_yet_has_nothing_to_recover() -> None:
    api = files_api({})
    api.list_directory_contents.side_effect = NotFound("no such directory")
    assert folders.VolumeFolder(api, VOLUME).recover({}) == ([], [])


def test_the_folder_is_chosen_by_where_it_is(tmp_path: Path, monkeypatch) -> None:
    assert isinstance(folders.folder_for(tmp_path, on_databricks=False), folders.LocalFolder)
    assert isinstance(folders.folder_for(tmp_path, on_databricks=True), folders.LocalFolder)
    made = []

    class Workspace:  # the SDK's client needs a workspace; only its `files` is used
        def __init__(self):
            made.append(self)
            self.files = files_api({})

    monkeypatch.setattr("databricks.sdk.WorkspaceClient", Workspace)
    volume = folders.folder_for(Path(VOLUME), on_databricks=True)
    assert isinstance(volume, folders.VolumeFolder) and volume.where == VOLUME and len(made) == 1
    with pytest.raises(ValueError, match="not a Unity Catalog volume"):
        folders.VolumeFolder(files_api({}), "/dbfs/tmp")
    assert folders.VOLUMES == "/Volumes/"


def test_a_local_folder_refusal_names_the_reason(tmp_path: Path) -> None:
    folder = folders.LocalFolder(tmp_path / "out")
    staged = folder.stage({"a.csv": b"x"})
    folder.commit(staged)
    assert (tmp_path / "out" / "a.csv").read_bytes() == b"x"
    refused = OSError(errno.EROFS, "Read-only file system", str(tmp_path))
    assert folder.refusal(refused) == "the file system is read-only (EROFS)"
    assert folder.refusal(ValueError("no")) is None
