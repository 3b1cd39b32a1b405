"""The two kinds of failure a run reports without a traceback: bad configuration, bad data."""

from __future__ import annotations


class ProblemsError(Exception):
    """Something unusable; ``problems`` holds one line per problem, each naming where it is."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class ConfigError(ProblemsError):
    """Configuration that cannot be used: each line names the file and the key path."""


class DataError(ProblemsError):
    """Data that cannot be used: each line names the table (or file) and the column."""
