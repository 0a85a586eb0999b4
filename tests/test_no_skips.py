"""No test may skip: the suite's plugin turns a skip (for a missing tool or anything else) into a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.servers import REPO


def test_a_skipped_test_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_tool.py").write_text(
        "import shutil, pytest\n\n"
        "def test_needs_a_tool():\n"
        "    if shutil.which('no-such-tool') is None:\n"
        "        pytest.skip('no-such-tool is not installed')\n\n"
        "def test_runs():\n"
        "    assert True\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.no_skips", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 failed, 1 passed" in output, output
    assert "no test may skip in this suite: no-such-tool is not installed" in output, output
