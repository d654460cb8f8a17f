"""Tool names as the model sees them: unique across servers, and mapped back.

OpenAI function names allow `[A-Za-z0-9_-]{1,64}`. A tool keeps its own name unless
another server offers one with the same name; then each becomes `server__tool`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
MAX_NAME = 64
DESCRIPTION_CAP = 2_000


@dataclass(frozen=True, slots=True)
class OfferedTool:
    """One MCP tool offered to the model: its offered name, its server, its own name."""

    name: str
    server: str
    tool: str
    description: str
    parameters: dict

    def spec(self) -> dict[str, Any]:
        """The OpenAI `tools` entry."""
        return {"type": "function", "function": {
            "name": self.name, "description": self.description, "parameters": self.parameters}}


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name)[:MAX_NAME] or "tool"


def offer(tools: list[tuple[str, str, str, dict]]) -> dict[str, OfferedTool]:
    """`(server, tool, description, schema)` rows as offered tools, by offered name."""
    counts = Counter(_safe(tool) for _, tool, _, _ in tools)
    offered: dict[str, OfferedTool] = {}
    for server, tool, description, schema in tools:
        name = _safe(tool)
        if counts[name] > 1:
            name = _safe(f"{server}__{tool}")
        while name in offered:  # still taken (a server listing one name twice): number it
            name = _safe(f"{name[:MAX_NAME - 3]}_{len(offered)}")
        parameters = schema if isinstance(schema, dict) and schema.get("type") == "object" else {
            "type": "object", "properties": {}}
        offered[name] = OfferedTool(name, server, tool, (description or "")[:DESCRIPTION_CAP], parameters)
    return offered
