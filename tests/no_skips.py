"""A pytest plugin (loaded by tests/conftest.py) that turns every skipped test into a failure.

The suite must prove every behaviour on every run: a test that cannot run here (a tool missing, a service
down, a `pytest.skip` left in) fails loudly with the reason instead of reporting green. `scripts/test`
installs the tools (tests/install-tools), so on a working machine nothing would skip anyway.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} skipped, and no test may skip in this suite: {reason}"
