"""Credentials detect-secrets has no built-in plugin for, loaded through .secrets.baseline.

A Databricks personal access token is `dapi` and 32 hex digits (an optional `-<n>` suffix on
Azure); OAuth secrets of Databricks service principals start with `dose`.
"""

from __future__ import annotations

import re

from detect_secrets.plugins.base import RegexBasedDetector


class DatabricksTokenDetector(RegexBasedDetector):
    """Databricks personal access tokens and service-principal OAuth secrets."""

    secret_type = "Databricks token"  # pragma: allowlist secret (a label)
    denylist = (
        re.compile(r"\bdapi[0-9a-f]{32}(?:-\d+)?\b"),
        re.compile(r"\bdose[0-9a-f]{32}\b"),
    )
