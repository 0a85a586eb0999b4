"""The import arrows of shared/DESIGN.md, enforced by parsing every module under `gateway/` with `ast`.

    gateway/app.py ──► gateway/api ──► gateway/domain ──► gateway/storage

Every import counts wherever it sits: at module level, inside a function, under `if TYPE_CHECKING:`, and
`importlib.import_module("...")` / `__import__("...")` with a literal name.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

GATEWAY = Path(__file__).resolve().parent.parent / "gateway"
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted and absolute
    line: int

    def __str__(self) -> str:
        path = self.module.replace(".", "/")
        return f"{self.module} ({path}.py:{self.line}) imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(GATEWAY.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, *([name] if name else [])])


def imports_of(module: str, source: str, *, is_package: bool = False) -> Iterator[Import]:
    """Every module `source` imports, as absolute dotted names."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(module, is_package, node.level, node.module)
            else:
                base = node.module or ""
            # `from gateway import api` imports gateway.api; `from x.y import name` imports x.y (or x.y.name).
            for alias in node.names:
                target = f"{base}.{alias.name}" if base == "gateway" and alias.name != "*" else base
                yield Import(module, target, node.lineno)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield Import(module, node.args[0].value, node.lineno)


def _within(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def _top(target: str) -> str:
    return target.split(".")[0]


def violation(imp: Import) -> str | None:
    """Why `imp` breaks the arrows, or None when it is allowed."""
    module, target = imp.module, imp.target
    if _within(module, "gateway.storage"):
        if _within(target, "gateway.storage"):
            return None
        # orjson: the engines decode JSON columns with it (a serialiser, nothing of the web or GraphQL).
        if _top(target) in STDLIB | {"sqlalchemy", "sqlmodel", "alembic", "orjson"}:
            return None
        return (
            "gateway.storage may import only sqlalchemy, sqlmodel, alembic, orjson, the standard library "
            "and itself"
        )
    if _within(module, "gateway.domain"):
        for forbidden in ("strawberry", "starlette", "graphql"):
            if _top(target) == forbidden:
                return f"gateway.domain must never import {forbidden}"
        for forbidden in ("gateway.api", "gateway.app", "gateway.cli"):
            if _within(target, forbidden):
                return f"gateway.domain must never import {forbidden}"
        if _within(target, "gateway.domain") or _within(target, "gateway.storage"):
            return None
        if _top(target) in STDLIB | {"sqlalchemy", "pycountry"}:
            return None
        return "gateway.domain may import only itself, gateway.storage, sqlalchemy, pycountry and the stdlib"
    if _within(module, "gateway.api"):
        for forbidden in ("gateway.app", "gateway.cli"):
            if _within(target, forbidden):
                return f"gateway.api must never import {forbidden}"
    return None


def gateway_modules() -> list[tuple[str, Path]]:
    return sorted((module_name(path), path) for path in GATEWAY.rglob("*.py"))


def all_imports() -> list[Import]:
    found: list[Import] = []
    for module, path in gateway_modules():
        found += imports_of(module, path.read_text(encoding="utf-8"), is_package=path.name == "__init__.py")
    return found


def test_every_layer_is_scanned() -> None:
    """Guard against a vacuous pass: the walk finds modules (and imports) in each layer."""
    modules = [module for module, _ in gateway_modules()]
    for layer in ("gateway.storage", "gateway.domain", "gateway.api"):
        assert any(_within(module, layer) for module in modules), f"no modules found under {layer}"
    assert "gateway.app" in modules
    imports = all_imports()
    assert any(
        imp.module.startswith("gateway.storage.") and _top(imp.target) == "sqlalchemy" for imp in imports
    )
    assert any(
        imp.module.startswith("gateway.api.") and _within(imp.target, "gateway.domain") for imp in imports
    )


def test_imports_follow_the_layer_arrows() -> None:
    offences = [f"{imp}: {reason}" for imp in all_imports() if (reason := violation(imp)) is not None]
    assert not offences, "imports against the layer arrows (shared/DESIGN.md):\n  " + "\n  ".join(offences)


def _violations(module: str, source: str, *, is_package: bool = False) -> list[str]:
    return [
        f"{imp}: {why}"
        for imp in imports_of(module, source, is_package=is_package)
        if (why := violation(imp))
    ]


def test_checker_catches_forbidden_imports() -> None:
    """The checker itself: each kind of offence is reported with the module and the import."""
    cases = {
        ("gateway.domain.checkout", "import strawberry\n"): "strawberry",
        ("gateway.domain.checkout", "from starlette.requests import Request\n"): "starlette",
        ("gateway.domain.checkout", "from graphql import GraphQLError\n"): "graphql",
        ("gateway.domain.checkout", "from gateway.api.errors import UserError\n"): "gateway.api",
        ("gateway.domain.checkout", "from gateway import app\n"): "gateway.app",
        ("gateway.domain.checkout", "from ..api import errors\n"): "gateway.api",
        ("gateway.domain.checkout", "import httpx\n"): "httpx",
        ("gateway.domain.checkout", "def f():\n    from gateway.api import schema\n"): "gateway.api",
        (
            "gateway.domain.checkout",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import strawberry\n",
        ): "strawberry",
        (
            "gateway.domain.checkout",
            "import importlib\nimportlib.import_module('gateway.app')\n",
        ): "gateway.app",
        ("gateway.storage.queries", "from gateway.domain.errors import NotFound\n"): "gateway.domain",
        ("gateway.storage.queries", "import pycountry\n"): "pycountry",
        ("gateway.storage.queries", "from . import models\nfrom .. import settings\n"): "gateway.settings",
        ("gateway.api.schema", "from gateway.app import create_app\n"): "gateway.app",
        ("gateway.api.checkout.types", "from ... import cli\n"): "gateway.cli",
    }
    for (module, source), target in cases.items():
        found = _violations(module, source)
        assert found, f"not caught: {module}: {source!r}"
        assert any(module in line and target in line for line in found), found

    allowed = {
        "gateway.storage.db": (
            "import os\nfrom sqlalchemy import event\nfrom gateway.storage.types import X\n"
            "from alembic import command\nfrom sqlmodel import SQLModel\nfrom . import types\n"
        ),
        "gateway.domain.addresses": (
            "import pycountry\nfrom sqlalchemy.engine import Row\nfrom gateway.storage import queries\n"
            "from gateway.domain.errors import Problem\nfrom .inputs import A\n"
        ),
        "gateway.api.schema": (
            "import strawberry\nfrom gateway.domain import checkout\nfrom gateway.storage import db\n"
        ),
        "gateway.app": (
            "from gateway.api.schema import schema\nfrom starlette.applications import Starlette\n"
        ),
    }
    for module, source in allowed.items():
        assert _violations(module, source) == [], module
    assert _violations("gateway.storage", "from . import models\n", is_package=True) == []
