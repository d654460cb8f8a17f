"""MCP tool approval through the editor: `session/request_permission`.

The MCP tools' approval interface answers once / always / deny (the app's y / a / n);
the editor shows ACP's allow once / allow always / reject. `ask_permission` is the bridge
the tool loop calls with its `approver` once MCP tools run in ACP sessions.
"""

from __future__ import annotations

import json
import logging
from itertools import count
from typing import Any

from acp.schema import AllowedOutcome, PermissionOption, ToolCallUpdate

from app.core.sanitize import clean

log = logging.getLogger(__name__)

ONCE, ALWAYS, DENY = "once", "always", "deny"

OPTIONS = [
    PermissionOption(option_id=ONCE, name="Allow once", kind="allow_once"),
    PermissionOption(option_id=ALWAYS, name="Always allow", kind="allow_always"),
    PermissionOption(option_id=DENY, name="Reject", kind="reject_once"),
]
_ids = count(1)


async def ask_permission(conn: Any, session_id: str, tool_name: str, server: str, arguments: Any) -> str:
    """Ask the editor whether the MCP tool `tool_name` of `server` may run with `arguments`:
    "once", "always" or "deny". Anything but an explicit allow (a cancelled prompt, a client
    that fails or answers an unknown option) is "deny"."""
    title = f"{clean(server)}: {clean(tool_name)}"
    call = ToolCallUpdate(tool_call_id=f"permission-{next(_ids)}", title=title, kind="execute",
                          status="pending", raw_input=_jsonable(arguments))
    try:
        response = await conn.request_permission(session_id=session_id, tool_call=call, options=OPTIONS)
    except Exception as exc:  # noqa: BLE001 - no answer is no permission
        log.warning("permission request for %s failed: %s", title, exc)
        return DENY
    outcome = response.outcome
    if isinstance(outcome, AllowedOutcome) and outcome.option_id in (ONCE, ALWAYS):
        return outcome.option_id
    return DENY


def _jsonable(arguments: Any) -> Any:
    try:
        json.dumps(arguments)
    except (TypeError, ValueError):
        return clean(str(arguments))
    return arguments
