"""The README's example session as a program: `gateway demo-flow` (and `scripts/demo-flow`).

The operations live in one document, `gateway/demo_flow.graphql`, which the README shows and GraphiQL's
default tab holds. Its comments carry the only two facts the runner needs besides the operations:

- `#   $name from Operation: path`: after `Operation` answers, variable `$name` takes the value at `path` in
  its `data` (dot-separated keys, `[0]` an index, `[sku=MUG-CERAMIC]` the first element whose field has that
  value). Every later operation that declares `$name` gets it.
- `# Token: server` before an operation: it runs with the server token (the default is the storefront's).

The GraphiQL page reads the same binding lines to fill its Variables pane, so the three can never disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from graphql import OperationDefinitionNode, parse

FLOW_FILE = Path(__file__).resolve().parent / "demo_flow.graphql"
DEFAULT_URL = "http://127.0.0.1:8000/graphql"
DEFAULT_TOKENS_FILE = ".gateway/demo-tokens"

_BINDING = re.compile(r"^#\s*\$(?P<variable>\w+) from (?P<operation>\w+): (?P<path>\S+)\s*$")
_TOKEN = re.compile(r"^#\s*Token: (?P<kind>storefront|server)\s*$")
_STEP = re.compile(
    r"^(?P<key>[^.\[\]]+)|^\[(?P<index>\d+)\]|^\[(?P<field>\w+)=(?P<value>[^\]]+)\]|^\.(?P<dot>[^.\[\]]+)"
)


class FlowError(RuntimeError):
    """The flow cannot go on: a GraphQL error, a userError, or a value a later step needs is missing."""


@dataclass(frozen=True, slots=True)
class Binding:
    """`variable` takes the value at `path` in the data of `operation`'s response."""

    variable: str
    operation: str
    path: str


@dataclass(frozen=True, slots=True)
class FlowOperation:
    name: str
    document: str  # the operation alone, as written in the file (comments before it excluded)
    variables: tuple[str, ...]
    token: str  # "storefront" or "server"


@dataclass(frozen=True, slots=True)
class Flow:
    operations: tuple[FlowOperation, ...]
    bindings: tuple[Binding, ...]


def load_flow(text: str | None = None) -> Flow:
    """The operations of the flow document in order, with their tokens and the variable bindings."""
    text = FLOW_FILE.read_text(encoding="utf-8") if text is None else text
    operations: list[FlowOperation] = []
    previous_end = 0
    for definition in parse(text).definitions:
        if not isinstance(definition, OperationDefinitionNode) or definition.name is None or definition.loc is None:
            raise FlowError("the flow document holds only named operations")
        preamble = text[previous_end : definition.loc.start]
        previous_end = definition.loc.end
        kinds = [m["kind"] for line in preamble.splitlines() if (m := _TOKEN.match(line.strip()))]
        operations.append(
            FlowOperation(
                name=definition.name.value,
                document=text[definition.loc.start : definition.loc.end],
                variables=tuple(v.variable.name.value for v in definition.variable_definitions or ()),
                token=kinds[-1] if kinds else "storefront",
            )
        )
    bindings = tuple(
        Binding(m["variable"], m["operation"], m["path"])
        for line in text.splitlines()
        if (m := _BINDING.match(line.strip()))
    )
    names = [operation.name for operation in operations]
    for binding in bindings:
        if binding.operation not in names:
            raise FlowError(f"${binding.variable} is taken from {binding.operation}, which the flow does not run")
    return Flow(tuple(operations), bindings)


def value_at(data: Any, path: str) -> Any:
    """The value at `path` (`a.b[0].c`, `items[sku=MUG].id`) in a response's data; FlowError if absent."""
    current, rest = data, path
    while rest:
        match = _STEP.match(rest)
        if match is None:
            raise FlowError(f"cannot read path {path!r}")
        rest = rest[match.end() :]
        key = match["key"] or match["dot"]
        if key is not None:
            found = current.get(key) if isinstance(current, dict) else None
        elif match["index"] is not None:
            index = int(match["index"])
            found = current[index] if isinstance(current, list) and index < len(current) else None
        else:
            found = next(
                (
                    item
                    for item in current or []
                    if isinstance(item, dict) and item.get(match["field"]) == match["value"]
                ),
                None,
            )
        if found is None:
            raise FlowError(f"no value at {path!r} (stopped before {rest or 'the end'!r})")
        current = found
    return current


def problems_of(body: Any) -> list[str]:
    """Top-level GraphQL errors and mutation userErrors, as lines; empty when the step succeeded."""
    if not isinstance(body, dict):
        return [f"not a GraphQL response: {body!r}"]
    found = [f"{(e.get('extensions') or {}).get('code')}: {e.get('message')}" for e in body.get("errors") or []]
    for field, payload in (body.get("data") or {}).items():
        if isinstance(payload, dict):
            found += [
                f"{field}: {e.get('code')} {e.get('message')} {e.get('field')}" for e in payload.get("errors") or []
            ]
    if not found and not body.get("data"):
        found.append("the response has no data")
    return found


def read_tokens_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines, as `gateway seed-demo --tokens-file` writes them."""
    tokens = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, separator, value = line.partition("=")
        if separator and value.strip():
            tokens[name.strip()] = value.strip()
    return tokens


def run_flow(
    url: str,
    tokens: Mapping[str, str],
    *,
    flow: Flow | None = None,
    show: Callable[[str], None] = print,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Run every operation in order, threading ids through variables; return each operation's data.

    `tokens` maps "storefront" and "server" to tokens. Raises FlowError at the first failing step.
    """
    flow = flow or load_flow()
    values: dict[str, Any] = {}
    results: dict[str, Any] = {}
    own_client = client is None
    http = client or httpx.Client(timeout=30.0)
    try:
        for step, operation in enumerate(flow.operations, start=1):
            missing = [name for name in operation.variables if name not in values]
            if missing:
                raise FlowError(f"{operation.name} needs {', '.join('$' + m for m in missing)}: no step provides it")
            variables = {name: values[name] for name in operation.variables}
            show(f"=== {step}. {operation.name} ({operation.token} token)")
            show("variables: " + json.dumps(variables, indent=2))
            try:
                response = http.post(
                    url,
                    json={"query": operation.document, "variables": variables, "operationName": operation.name},
                    headers={"X-Auth-Token": tokens[operation.token]},
                )
            except httpx.HTTPError as error:
                raise FlowError(f"{operation.name}: cannot reach {url} ({error}); is scripts/serve running?") from error
            try:
                body = response.json()
            except ValueError:
                body = response.text
            show("response: " + (json.dumps(body, indent=2) if isinstance(body, dict) else str(body)))
            problems = problems_of(body)
            if problems:
                raise FlowError(f"{operation.name} failed (HTTP {response.status_code}): " + "; ".join(problems))
            results[operation.name] = body["data"]
            for binding in flow.bindings:
                if binding.operation == operation.name:
                    values[binding.variable] = value_at(body["data"], binding.path)
    finally:
        if own_client:
            http.close()
    return results
