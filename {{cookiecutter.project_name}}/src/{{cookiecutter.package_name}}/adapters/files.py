"""Local files written so that a crash leaves the old or the new ones: staging under names of
their own, ``os.replace`` to commit, the writer's host and pid in what it leaves, and the disk's
refusals (full, read-only, no permission) as one line naming the path."""

from __future__ import annotations

import errno
import os
import socket
import uuid
from datetime import datetime, timezone
from pathlib import Path

from .. import faults

REFUSALS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}
# What Java's IOException says for them, as it reaches Python inside a Spark error.
_JAVA = {
    "No space left on device": errno.ENOSPC,
    "Disk quota exceeded": errno.EDQUOT,
    "Read-only file system": errno.EROFS,
    "Permission denied": errno.EACCES,
}
STALE_AFTER_SECONDS = 24 * 3600  # staged files of another host: removed when older than this


def refusal(error: BaseException, target: Path) -> tuple[str, str | None] | None:
    """(why, the path the system named) when ``error`` is the file system refusing a write
    under ``target``: an OSError of ours, or a Spark error whose Java cause is a refusal (a full
    disk wherever it is; a read-only one or a permission only where the message names
    ``target``, for Spark may have been reading when it failed). None for anything else."""
    if isinstance(error, OSError):
        why = REFUSALS.get(error.errno) or error.strerror or str(error)
        code = errno.errorcode.get(error.errno)
        return (f"{why} ({code})" if code else why), error.filename
    text = str(error)
    for said, code in _JAVA.items():
        if said in text and (code in (errno.ENOSPC, errno.EDQUOT) or str(target) in text):
            return f"{REFUSALS[code]} ({errno.errorcode[code]})", None
    return None


def this_host() -> str:
    return socket.gethostname()


def alive(pid: int) -> bool:
    """Whether process ``pid`` of this host still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's, but there
        return True
    return True


def owner() -> dict[str, str | int]:
    """Who is writing: this host and process, and since when."""
    since = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    return {"host": this_host(), "pid": os.getpid(), "since": since}


def gone(host: str | None, pid: int | str | None) -> bool:
    """Whether the process ``pid`` of ``host`` is known to have ended (only this host's can be
    known)."""
    return host == this_host() and str(pid).isdigit() and not alive(int(pid))


def fsync_dir(folder: Path) -> None:
    """Make the names in ``folder`` durable (where the platform allows a folder to be synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Make every file under ``folder`` durable, then the folders' names."""
    for where, _, names in os.walk(folder):
        for name in names:
            fd = os.open(os.path.join(where, name), os.O_RDONLY)
            try:
                _fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(where))


def _fsync(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as error:  # some mounts (FUSE) cannot sync a file; they still write it
        if error.errno in REFUSALS:
            raise


def write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as file:
        file.write(data)
        file.flush()
        _fsync(file.fileno())


# Staged files: ".<final name>.<host>.<pid>.<token>.partial" beside their final name.
_SUFFIX = ".partial"
STAGED_GLOB = f".*{_SUFFIX}"


def _host_tag() -> str:
    return this_host().replace(".", "_")


def staged_names(names: list[str]) -> dict[str, str]:
    """{final name: staged name} for files written together by this process."""
    host, pid, token = _host_tag(), os.getpid(), uuid.uuid4().hex[:8]
    return {name: f".{name}.{host}.{pid}.{token}{_SUFFIX}" for name in names}


def abandoned(name: str, modified: float) -> bool:
    """Whether ``name`` is a staged file whose writer is gone: this host's, its process ended;
    another host's, last modified (epoch seconds) more than a day ago."""
    if not (name.startswith(".") and name.endswith(_SUFFIX)):
        return False
    parts = name[: -len(_SUFFIX)].rsplit(".", 3)
    if len(parts) != 4:
        return False
    _, host, pid, _ = parts
    if host == _host_tag():
        return pid.isdigit() and not alive(int(pid))
    return modified < datetime.now().timestamp() - STALE_AFTER_SECONDS


def stage(files: dict[Path, bytes]) -> dict[str, str]:
    """Write each file under a staged name beside its final one: {final path: staged path}.
    Nothing final is touched; a refusal of the disk propagates as the OSError."""
    names = staged_names([path.name for path in files])
    staged = {}
    try:
        for path, data in files.items():
            partial = path.with_name(names[path.name])
            staged[str(path)] = str(partial)
            faults.point("files:staging", path=partial)
            write_durably(partial, data)
    except Exception:
        discard(staged)
        raise
    return staged


def discard(staged: dict[str, str]) -> None:
    """Remove staged files that will not be committed."""
    for partial in staged.values():
        Path(partial).unlink(missing_ok=True)


def commit(staged: dict[str, str]) -> None:
    """Move every staged file onto its final name (each an atomic replace); one already moved
    is skipped, so a commit interrupted midway can be run again."""
    for final, partial in staged.items():
        if Path(partial).exists():
            os.replace(partial, final)
    for folder in {Path(final).parent for final in staged}:
        fsync_dir(folder)


def recover(folder: Path, committed: dict[str, str]) -> tuple[list[Path], list[Path]]:
    """After a crash: finish ``committed`` (staged files whose commit was recorded elsewhere,
    e.g. in a table's metadata) and remove the staged files in ``folder`` whose writer is gone
    (see ``abandoned``). (finished, removed)."""
    finished = [Path(final) for final, partial in committed.items() if Path(partial).exists()]
    commit(committed)
    removed = []
    pending = set(committed.values())
    if not folder.is_dir():
        return finished, removed
    for path in folder.glob(STAGED_GLOB):
        if str(path) in pending:
            continue
        try:
            modified = path.stat().st_mtime
        except FileNotFoundError:
            continue
        if abandoned(path.name, modified):
            path.unlink(missing_ok=True)
            removed.append(path)
    return finished, removed
