"""The suite's skip policy: on CI a skip for a missing tool fails the run (tests/conftest.py
applies it; scripts/test installs every such tool)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

# Skip reasons that mean "a tool is missing" (an etcd version, tmux, age, ssh-keygen):
# scripts/test installs every one of them, so on CI such a skip hides a broken install.
MISSING_TOOL = re.compile(
    r"not installed|is not available|no etcd fetched|fetch-etcd|tmux|age CLI|ssh-keygen", re.I
)


def missing_tool_on_ci(reason: str, env: Mapping[str, str] = os.environ) -> bool:
    """A skip for a missing tool, on CI (CI set): it should fail the run instead."""
    return bool(env.get("CI")) and bool(MISSING_TOOL.search(reason))
