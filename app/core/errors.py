"""Typed errors, each carrying a one-line message a person can act on.

`exit_code` is what an `asi-chat` command exits with when the error ends it (README,
"Exit codes": 2 usage, configuration or something that does not exist, 6 storage).
"""

from __future__ import annotations

from app.core.wire.events import Completion


class AsiChatError(Exception):
    """Base of every error asi-chat reports to a user (never shown as a traceback)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(AsiChatError):
    """Settings are missing or invalid (no key, bad config file, unknown model)."""

    exit_code = 2


class ApiError(AsiChatError):
    """Talking to the ASI:One API failed."""

    exit_code = 4
    retryable = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthenticationError(ApiError):
    """401/403: the key was rejected."""

    exit_code = 3


class BadRequestError(ApiError):
    """400 and other 4xx the server will not accept again as it is."""


class UnknownModel(BadRequestError):
    """400/404 naming the model: the server does not offer it."""

    def __init__(self, model: str, detail: str, known: list[str], *, status: int | None = 400) -> None:
        names = ", ".join(known) if known else "asi1"
        super().__init__(
            f"ASI:One does not offer the model {model!r} ({status}: {detail}). Switch with f2 in "
            f"the app or --model in the shell; known models: {names}.", status=status)
        self.model = model


class RateLimitedError(ApiError):
    """429: too many requests; `retry_after` is the server's advice in seconds."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = 429, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ServerError(ApiError):
    """408, 409 or 5xx: the server or something in front of it failed."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ConnectionFailed(ApiError):
    """The server could not be reached at all."""

    retryable = True


class RequestTimedOut(ApiError):
    """No reply (or no further reply bytes) within the read timeout.

    Not retried: the server may still be working on the request, and sending it again
    could start the same agent task twice.
    """


class StreamCutOff(ApiError):
    """The reply stopped before it was complete; `partial` keeps what arrived."""

    def __init__(self, message: str, partial: Completion | None = None) -> None:
        super().__init__(message)
        self.partial = partial or Completion()


class StreamErrorEvent(ApiError):
    """The server sent an error event in the middle of a 200 stream."""

    def __init__(self, message: str, partial: Completion | None = None) -> None:
        super().__init__(message)
        self.partial = partial or Completion()


class EmptyReply(ApiError):
    """The reply finished without any answer text (its reasoning, if any, is kept)."""


class ProtocolError(ApiError):
    """The server's reply could not be understood."""


class AgentWaitExhausted(AsiChatError):
    """The agent did not answer within the poll budget; the wait can be resumed later."""

    exit_code = 5


class AgentWaitLost(AsiChatError):
    """ASI:One no longer knows the agent's task (it answered a poll with "no pending task"):
    the wait ends without a result and is not resumed."""

    exit_code = 5
    ends_wait = True


class StoreError(AsiChatError):
    """The history database cannot be opened or written."""

    # Its own code: a script can tell "fix the disk or the file" from a failed request.
    exit_code = 6


class NotFound(AsiChatError):
    """What the user named (a conversation, an image) does not exist: a usage error."""

    exit_code = 2


class ConversationNotFound(NotFound):
    """No conversation with that id."""


class TurnBusy(AsiChatError):
    """A reply is still running in that conversation (edit, regenerate and send must wait)."""

    exit_code = 2


class TurnCancelled(AsiChatError):
    """The user cancelled the reply; what arrived is kept, marked interrupted."""

    exit_code = 130


class WaitStopped(AsiChatError):
    """The user stopped waiting for the agent; the wait is kept, stopped, and can be resumed."""

    exit_code = 5


def failure_status(error: Exception) -> str:
    """The stored status of a reply that ended with `error`: cut off or cancelled replies are
    `interrupted` (the partial text stands), anything else is an `error`."""
    if isinstance(error, (StreamCutOff, RequestTimedOut, TurnCancelled)):
        return "interrupted"
    if isinstance(error, WaitStopped):
        return "wait-stopped"
    return "error"


class AgentverseError(AsiChatError):
    """The Agentverse marketplace could not answer a search (one line, says why)."""

    exit_code = 4

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
