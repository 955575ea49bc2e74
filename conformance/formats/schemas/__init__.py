"""JSON Schemas (draft 2020-12) of ``dialcheck-trace/1`` and ``dialcheck-wire/1``.

``common.schema.json`` holds the shared values (IDs, nodes, flags, tasks,
config); the others refer to it by its ``$id`` (``urn:dialcheck:common``).
``scheduler.schema.json`` holds the dialScheduler family's values (config,
events, responses, expectations, its traces), which the trace and wire schemas
admit beside dialstate's.
They describe shape only: what JSON Schema cannot say (IP and CIDR syntax,
results only for discover tasks, handles unique among outstanding tasks) is
in ``docs/trace-format.md`` and ``docs/wire-protocol.md`` and checked by dialcheck.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["SCHEMA_DIR", "SCHEMA_FILES", "load_schemas"]

SCHEMA_DIR = Path(__file__).parent
#: Each schema's ``$id`` and file name.
SCHEMA_FILES = {
    "urn:dialcheck:common": "common.schema.json",
    "urn:dialcheck:trace": "trace.schema.json",
    "urn:dialcheck:wire-request": "wire-request.schema.json",
    "urn:dialcheck:wire-answer": "wire-answer.schema.json",
    "urn:dialcheck:scheduler": "scheduler.schema.json",
}


def load_schemas() -> dict[str, dict[str, object]]:
    """Return every schema by its ``$id``."""
    return {uri: json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8")) for uri, name in SCHEMA_FILES.items()}
