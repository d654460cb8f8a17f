"""Recognise the short acknowledgement an agentic model sends when an agent will answer later."""

from __future__ import annotations

import re

# The transient poll message. It is sent, never stored as part of the conversation.
ANY_UPDATE: dict[str, str] = {"role": "user", "content": "Any update?"}

_MAX_LENGTH = 200
_ACK = re.compile(
    r"""^I\s?(?:'|’|‘|`)?\s?ve\s+sent\s+(?:the|your|a)\s+(?:message|request)
        (?:\s+to\s+(?:[^\n:;.!?…]|\.(?=\S)){1,80}?)?                      # "... to Image Generation HiDream-I1"
        (?:\s*[,;.–—-]?\s*(?:and\s+)?(?:I(?:'|’)m\s+|I\s+am\s+|am\s+)?(?:now\s+)?
            (?:waiting|awaiting)\s+(?:for\s+)?(?:the\s+|a\s+)?(?:result|response|reply|answer)s?)?
        \s*(?:\.\.\.|…|\.|!)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def is_acknowledgement(text: str) -> bool:
    """True when `text` is only a deferral acknowledgement ("I've sent the message", ...).

    Only short one-line replies count: an answer that merely mentions having sent
    something and goes on to say more is a real answer.
    """
    stripped = text.strip()
    if not stripped or len(stripped) > _MAX_LENGTH or "\n" in stripped:
        return False
    return _ACK.match(stripped) is not None


_OPENINGS = tuple(f"{i}{q}ve sent {d} {n}" for i, q in (("i", "'"), ("i", ""), ("i ", ""))
                  for d in ("the", "your", "a") for n in ("message", "request"))


def may_be_acknowledgement(text: str) -> bool:
    """True while a reply that has begun with `text` could still turn out to be only an
    acknowledgement (so a front end that must print only the answer holds it back).
    Exactly the replies `is_acknowledgement` accepts pass this at every prefix."""
    probe = " ".join(text.replace("’", "'").replace("‘", "'").replace("`", "'").split()).lower()
    if len(probe) > _MAX_LENGTH or "\n" in text.strip():
        return False
    return any(opening.startswith(probe) or probe.startswith(opening) for opening in _OPENINGS)


def agent_finished(reply: str, acknowledgement: str) -> bool:
    """True when a poll reply is the agent's result rather than the same wait again."""
    stripped = reply.strip()
    return (bool(stripped) and stripped != acknowledgement.strip() and not is_acknowledgement(stripped)
            and not nothing_pending(stripped))


_NOTHING_PENDING = re.compile(
    r"""^(?:there\s+is\s+|there's\s+|i\s+have\s+|i've\s+got\s+)?no\s+(?:pending|running|active|open)\s+
        (?:task|request|job|message)s?\b""",
    re.IGNORECASE | re.VERBOSE,
)


def nothing_pending(reply: str) -> bool:
    """True when a poll reply says the agent's task is gone ("There is no pending task.").

    ASI:One answers so when the session lost its task (a restart, an expired session):
    the reply is not the agent's result and must never be announced as one.
    """
    stripped = reply.strip()
    return len(stripped) <= _MAX_LENGTH and _NOTHING_PENDING.match(stripped) is not None


# Progress lines agents send before their result ("Generating...", "processing",
# "still working on it", "will be ready in ~30 s"); Fetch's own image skill once took the
# first of them for the answer.
_PROGRESS = re.compile(
    r"""\b(?:generating|processing|rendering|working\s+on|still\s+working|in\s+progress|
        (?:will|should)\s+be\s+ready|being\s+(?:generated|processed|created|rendered|prepared)|
        in\s+the\s+queue|queued|please\s+wait|hang\s+tight|almost\s+(?:done|ready|there)|
        not\s+(?:ready|done|finished)\s+yet|(?:still\s+)?waiting\s+for\s+the\s+(?:agent|result|model))\b""",
    re.IGNORECASE | re.VERBOSE,
)
# Anything that carries a result rather than a status: a link, an image, a code block, a table.
_RESULT_MARKS = re.compile(r"https?://|agent-storage://|data:[\w/+.-]+;base64,|!\[|```|\|\s*-{3}|www\.", re.IGNORECASE)
_PROGRESS_MAX = 160


def is_progress(text: str) -> bool:
    """True when a poll reply is only a progress message, not the agent's answer.

    Short (at most two lines, 160 characters), says it is generating / processing /
    working / will be ready / in progress, and carries no link, image or other result.
    "It is 12°C in Paris." is an answer: it says none of that.
    """
    stripped = text.strip()
    if not stripped or len(stripped) > _PROGRESS_MAX or stripped.count("\n") > 1:
        return False
    if _RESULT_MARKS.search(stripped):
        return False
    return _PROGRESS.search(stripped) is not None
