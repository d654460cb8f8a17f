"""What the simulator records of a request, and the error bodies it answers with."""

from __future__ import annotations

import http
from dataclasses import dataclass, field
from typing import Any

from .faults import ESCAPE_PAYLOAD

AUTH_FAILED = {"message": "failed to authenticate user"}
"""The 401 body seen from the real API (not OpenAI's shape)."""


@dataclass
class RecordedRequest:
    """One chat request as received (header names lower-cased, body parsed or None)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    session_id: str | None
    stream: bool
    messages: list[dict] = field(default_factory=list)


def _invalid(message: str) -> dict:
    return {"error": {"message": message, "type": "invalid_request_error"}}


def _default_error_body(code: int, escapes: bool) -> dict:
    if code == 401:
        return dict(AUTH_FAILED)
    if code == 403:
        return {"error": {"message": "forbidden"}}
    try:
        reason = http.HTTPStatus(code).phrase
    except ValueError:
        reason = "error"
    if escapes:
        reason += " " + ESCAPE_PAYLOAD
    return {"error": {"message": reason, "type": "server_error"}}
