"""Where the client generators and the browser are, and a loud failure (never a skip) when one is missing.

`bash tests/install-tools` installs all of them; `scripts/test` runs it before pytest:
- Debian's chromium at /usr/bin/chromium (driven by Python Playwright; never a browser download);
- tests/node/node_modules from tests/node/package-lock.json (`npm ci`): GraphQL Code Generator, tsc;
- tests/codegen/.venv with ariadne-codegen (its own virtualenv: it pins graphql-core < 3.3, which the
  gateway's strawberry cannot run with).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schema.graphql"
OPERATIONS_DIR = REPO / "tests" / "operations"
NODE_DIR = REPO / "tests" / "node"
CODEGEN_VENV = REPO / "tests" / "codegen" / ".venv"
CHROMIUM = Path(os.environ.get("GATEWAY_TEST_CHROMIUM", "/usr/bin/chromium"))
INSTALL_HINT = "run `bash tests/install-tools` (`scripts/test` does so before pytest)"


def require_chromium() -> Path:
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: the GraphiQL browser test needs Debian's chromium "
        f"(apt-get install chromium); {INSTALL_HINT}"
    )
    return CHROMIUM


def require_node_tool(name: str) -> Path:
    assert shutil.which("node"), f"node is not on PATH: the TypeScript codegen test needs Node.js 20+; {INSTALL_HINT}"
    tool = NODE_DIR / "node_modules" / ".bin" / name
    assert tool.exists(), f"{tool.relative_to(REPO)} is missing (npm ci in tests/node); {INSTALL_HINT}"
    return tool


def require_ariadne_codegen() -> Path:
    tool = CODEGEN_VENV / "bin" / "ariadne-codegen"
    assert tool.exists(), f"{tool.relative_to(REPO)} is missing; {INSTALL_HINT}"
    return tool


def run(
    command: Sequence[str | Path], *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a tool; the caller asserts on the exit code with the output in the message."""
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
