"""Short, human timestamps for the conversation list: "now", "5m", "3h", "yesterday"…"""

from __future__ import annotations

import time
from datetime import datetime

# Fixed English month names: the list must not change with the user's locale
# (and `%b` would make snapshot tests depend on it).
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_YEAR = 365 * _DAY


def relative_time(timestamp: float, now: float | None = None) -> str:
    """How long ago `timestamp` (epoch seconds) was, as a few characters.

    Under a minute (or in the future, from a skewed clock) is "now"; then "5m",
    "3h" for the last 24 hours; "yesterday" and "4d" by local calendar day within
    a week; "Mar 3" within a year; older is "2024-03-03".
    """
    now = time.time() if now is None else now
    delta = now - timestamp
    if delta < _MINUTE:
        return "now"
    if delta < _HOUR:
        return f"{int(delta // _MINUTE)}m"
    if delta < _DAY:
        return f"{int(delta // _HOUR)}h"
    then = datetime.fromtimestamp(timestamp)
    # Calendar days, not 24-hour blocks: at 09:00, 23:00 two evenings ago is "2d".
    days = (datetime.fromtimestamp(now).date() - then.date()).days
    if days <= 1:
        return "yesterday"
    if days < 7:
        return f"{days}d"
    if delta < _YEAR:
        return f"{_MONTHS[then.month - 1]} {then.day}"
    return then.strftime("%Y-%m-%d")
