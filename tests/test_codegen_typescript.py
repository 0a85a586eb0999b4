"""TypeScript clients: GraphQL Code Generator (typescript + typescript-operations) on `schema.graphql` and
the operations in tests/operations, type-checked with `tsc --noEmit --strict`.

Tools: tests/node (package.json, package-lock.json, codegen.yml, tsconfig.json, usage.ts); installed by
`bash tests/install-tools`. A missing tool fails the test with that hint.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.codegen.tools import NODE_DIR, output, require_node_tool, run

MISUSE = """\
import type { CheckoutPageQuery, CreateCheckoutMutationVariables } from "./generated/operations";

// A quantity is an Int, not a string.
export const wrong: CreateCheckoutMutationVariables = { input: { lineItems: [{ sku: "MUG", quantity: "2" }] } };

// `checkout` is null for an unknown id: reading through it unchecked is refused under --strict.
export function unchecked(result: CheckoutPageQuery): string {
  return result.checkout.id;
}
"""


def generate(workdir: Path) -> Path:
    """Run the generator into `workdir/generated`; return that directory."""
    codegen = require_node_tool("graphql-codegen")
    generated = workdir / "generated"
    result = run([codegen, "--config", "codegen.yml"], cwd=NODE_DIR, env={"CODEGEN_OUT": str(generated)})
    assert result.returncode == 0, "graphql-codegen failed:\n" + output(result)
    return generated


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("typescript"))


def project(workdir: Path, generated: Path, usage: str) -> Path:
    """A tsc project: the generated files, `usage` as usage.ts, tests/node/tsconfig.json."""
    shutil.copytree(generated, workdir / "generated")
    (workdir / "usage.ts").write_text(usage)
    shutil.copy(NODE_DIR / "tsconfig.json", workdir / "tsconfig.json")
    return workdir


def typecheck(workdir: Path) -> tuple[int, str]:
    tsc = require_node_tool("tsc")
    result = run([tsc, "-p", workdir / "tsconfig.json", "--noEmit", "--strict"], cwd=workdir)
    return result.returncode, output(result)


def test_generated_typescript_passes_strict_tsc(generated: Path, tmp_path: Path) -> None:
    operations = (generated / "operations.ts").read_text()
    schema_types = (generated / "schema.ts").read_text()
    # Every operation document became typed variables and results.
    for name in (
        "CheckoutPageQuery",
        "CreateCheckoutMutationVariables",
        "AddConsignmentsMutation",
        "UpdateConsignmentMutation",
        "SelectShippingOptionMutationVariables",
        "DeleteConsignmentMutation",
        "SetBillingAddressMutation",
        "CompleteCheckoutMutation",
        "OrderWithShipmentsQuery",
        "CreateShipmentMutation",
    ):
        assert f"export type {name} " in operations, name
    assert "export type Checkout = {" in schema_types
    # Money is an exact decimal string, never a number.
    assert "Decimal: { input: string; output: string; }" in schema_types

    status, report = typecheck(project(tmp_path, generated, (NODE_DIR / "usage.ts").read_text()))
    assert status == 0, "tsc --noEmit --strict refused the generated types or tests/node/usage.ts:\n" + report


def test_strict_tsc_refuses_misuse_of_the_generated_types(generated: Path, tmp_path: Path) -> None:
    """Not vacuous: the same check fails on code that gets the generated types wrong."""
    status, report = typecheck(project(tmp_path, generated, MISUSE))
    assert status != 0, report
    errors = [line for line in report.splitlines() if "error TS" in line]
    assert errors and all(line.startswith("usage.ts(") for line in errors), report
    assert any(line.startswith("usage.ts(4,") and "TS2322" in line for line in errors), report  # "2" is no Int
    assert any(line.startswith("usage.ts(8,") and "TS18047" in line for line in errors), report  # maybe null
