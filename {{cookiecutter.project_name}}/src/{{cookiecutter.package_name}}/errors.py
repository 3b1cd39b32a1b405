"""The failures a run reports without a traceback, each with its own exit code."""

from __future__ import annotations


class ProblemsError(Exception):
    """Something unusable; ``problems`` holds one line per problem, each naming where it is."""

    exit_code = 1
    kind = "error"

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class ConfigError(ProblemsError):
    """Configuration that cannot be used: each line names the file and the key path."""

    exit_code, kind = 2, "configuration error"


class DataError(ProblemsError):
    """Data that cannot be used: each line names the table (or file) and the column."""

    exit_code, kind = 3, "data error"


class RegistryError(ProblemsError):
    """The model registry is not in a state the step can act on (no champion, not validated)."""

    exit_code, kind = 4, "registry error"


class RejectedError(ProblemsError):
    """The gate rejected the challenger and ``gate.fail_on_reject`` asks for a failing exit."""

    exit_code, kind = 5, "challenger rejected"


class CheckError(ProblemsError):
    """A finished run did not leave what it must (a gated model, a champion, predictions)."""

    exit_code, kind = 6, "check failed"


class BusyError(ProblemsError):
    """Another run is writing the same table: nothing was written; run again once it is done."""

    exit_code, kind = 7, "busy"


class TrainingError(ProblemsError):
    """Training could not make a model (every tuning trial failed): nothing was registered."""

    exit_code, kind = 9, "training error"


class StorageError(ProblemsError):
    """The disk refused a write (full, read-only, no permission): each line names the path;
    nothing was replaced."""

    exit_code, kind = 8, "storage error"
