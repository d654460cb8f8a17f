"""A structured-output schema from a file: what `ask --schema FILE` and the app's palette read."""

from __future__ import annotations

import json
from pathlib import Path


def read_schema(path: Path) -> dict:
    """The file's JSON schema as stored with a conversation: `{"name": <stem>, "schema": …}`.
    ValueError with a one-line reason when it cannot be read or is not a JSON object."""
    try:
        schema = json.loads(path.expanduser().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except ValueError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from None
    if not isinstance(schema, dict):
        raise ValueError(f"{path} must hold a JSON schema object")
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in path.stem)[:64] or "response"
    return {"name": name, "schema": schema}
