"""What the simulated assistant answers, decided from the request's messages.

The prompt is the last user message whose content is not "Any update?". Image requests
start a deferred Agentverse-style job per ``x-session-id`` that is resolved by polls;
giraffes replay the recorded stream; anything else gets a deterministic markdown answer.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .faults import (
    ESCAPE_ALT_TEXT,
    ESCAPE_PAYLOAD,
    SHAPING_TYPES,
    AgentFails,
    AgentNeverFinishes,
    AgentStorage,
    BigManifest,
    BigReply,
    Empty,
    Escapes,
    FaultSet,
    ImageKind,
    PollError,
    Progress,
    ReasoningOnly,
    Status,
    Tokens,
    TwoAgents,
    WebSearch,
    strip_directives,
)
from .images import image_reply_text
from .jobs import ImageJob, JobBook
from .marketplace import IMAGE_AGENT, SECOND_AGENT, agent_by_handle
from .sse import Reply, estimate_tokens, split_events
from .web_search import SEARCH_RE, search_reply

ACK = "I've sent the message"
POLL_TEXT = "Any update?"
NO_PENDING = "There is no pending task."
ASSETS = Path(__file__).parent / "assets"
GIRAFFES_SSE = ASSETS / "asi1-mini-stream-giraffes.sse"
IMAGE_PNG = ASSETS / "monkey-mountain.png"

IMAGE_RE = re.compile(
    r"\b(images?|pictures?|photos?|photographs?|draw|drawing|drawn|paint|painting|"
    r"illustrate|illustration|sketch)\b",
    re.IGNORECASE,
)
GIRAFFE_RE = re.compile(r"giraffe", re.IGNORECASE)
# What real Agentverse agents send before their result, one a poll (several wordings).
PROGRESS_MESSAGES = (
    "Generating…",
    "Still working on it, the image will be ready in about 20 seconds.",
    "Processing your request",
    "Your image is being rendered (60%)",
    "Task in progress, please wait.",
)
HANDLE_RE = re.compile(r"(?<![\w@.])@([A-Za-z0-9_][\w.-]*[\w]|[A-Za-z0-9_])")


def message_text(message: Any) -> str:
    """The text of a message; list-of-parts content is joined, anything odd gives ""."""
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content
                       if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def is_poll(messages: list) -> bool:
    """True when the request's last message is the transient ``Any update?`` poll."""
    if not messages or not isinstance(messages[-1], dict):
        return False
    last = messages[-1]
    return last.get("role") == "user" and message_text(last).strip() == POLL_TEXT


def last_prompt(messages: list) -> str:
    """The last user message that is not a poll, or "" when there is none."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            text = message_text(message)
            if text.strip() != POLL_TEXT:
                return text
    return ""


def split_words(text: str) -> list[str]:
    """Split into word-sized pieces (each keeps its trailing whitespace); joins back exactly."""
    lead = re.match(r"\s*", text).group(0)
    pieces = re.findall(r"\S+\s*", text[len(lead):])
    if lead:
        if pieces:
            pieces[0] = lead + pieces[0]
        else:
            pieces = [lead]
    return pieces


@functools.lru_cache(maxsize=1)
def giraffe_parts() -> tuple[str, str, dict]:
    """Reasoning, content and usage parsed out of the recorded giraffes stream."""
    thought, content, usage = [], [], {}
    for event in split_events(GIRAFFES_SSE.read_bytes()):
        payload = event.strip()[len(b"data: "):]
        if payload == b"[DONE]":
            break
        obj = json.loads(payload)
        if isinstance(obj.get("thought"), str):
            thought.append(obj["thought"])
        elif obj.get("usage"):
            usage = obj["usage"]
        elif obj.get("created") and obj["choices"][0].get("finish_reason") is None:
            content.append(obj["choices"][0]["delta"].get("content", ""))
    return "".join(thought), "".join(content), usage


_THOUGHTS = [
    "\nThe user is asking about “{topic}”.",
    " I should give a clear, well-structured answer.",
    " A short heading first, then a summary paragraph.",
    " A bullet list will make the key points easy to scan.",
    " A small code example could help here.",
    " I will keep it concise and accurate.",
    " Let me double-check the wording.",
    " Finally, I will offer to go into more detail.\n",
]
_BULLETS = [
    "**Context**: this reply comes from the local ASI:One simulator.",
    "**Determinism**: the same prompt always gets the same answer.",
    "**Streaming**: the text arrives a word or so per chunk.",
    "**Reasoning**: the thought stream is sent before the answer.",
    "**Markdown**: headings, lists and code blocks are all exercised.",
    "**Agents**: ask for an image to see the deferred-reply flow.",
]
_CODE = (
    "```python\n"
    "def answer(question: str) -> str:\n"
    '    """Echo the question back, tidied."""\n'
    "    return \" \".join(question.split())\n\n"
    'print(answer("{topic}"))\n'
    "```\n"
)
_VOCAB = ("agents coordinate tasks across a decentralised network while the model "
          "streams its reasoning and then the final answer in small markdown pieces").split()


def generic_reply(prompt: str) -> Reply:
    """A deterministic markdown answer derived from `prompt` (3-8 thought pieces)."""
    clean = " ".join(prompt.split())
    digest = hashlib.sha256(clean.encode("utf-8")).digest()
    topic = " ".join(re.findall(r"[\w'-]+", clean)[:6]) or "your question"
    trimmed = clean if len(clean) <= 160 else clean[:157].rstrip() + "…"
    count = 3 + digest[0] % 6
    thoughts = [t.format(topic=topic) for t in _THOUGHTS[: count - 1]] + [_THOUGHTS[-1]]
    start = digest[1] % len(_BULLETS)
    bullets = [_BULLETS[(start + i) % len(_BULLETS)] for i in range(3)]
    text = (f"## {topic[:1].upper() + topic[1:]}\n\n"
            f"You asked: “{trimmed}”. Here is a short answer from the simulator.\n\n"
            + "".join(f"- {b}\n" for b in bullets))
    if digest[2] % 2 == 0 or re.search(r"\b(code|python|function|script)\b", clean, re.I):
        text += "\n" + _CODE.format(topic=topic)
    text += "\nAsk a follow-up to continue the conversation."
    return Reply(reasoning=thoughts, content=split_words(text))


def _token_blocks() -> Iterator[str]:
    # Shaped like a long model answer: mostly paragraphs under headings, a short list
    # every other section and a code block every fourth.
    for section in itertools.count(1):
        yield f"## Section {section}\n\n"
        for paragraph in range(2):
            words = " ".join(_VOCAB[(section + paragraph + i) % len(_VOCAB)] for i in range(40))
            yield f"Paragraph {section}.{paragraph + 1}: {words}.\n\n"
        if section % 2 == 0:
            yield "".join(f"- item {section}.{i} {_VOCAB[i]}\n" for i in range(1, 4)) + "\n"
        if section % 4 == 0:
            yield f"```python\nfor step in range({section}):\n    print(step)\n```\n\n"


def tokens_reply(n: int) -> Reply:
    """Markdown of exactly `n` word-ish pieces (headings, paragraphs, lists, code)."""
    pieces: list[str] = []
    for block in _token_blocks():
        tokens = split_words(block)
        if len(pieces) + len(tokens) > n:
            break
        pieces += tokens
    # Fill the rest with plain words so the markdown never ends inside a code fence.
    fill = [f"{_VOCAB[i % len(_VOCAB)]} " for i in range(n - len(pieces))]
    if fill:
        fill[-1] = fill[-1].rstrip() + ".\n"
    return Reply(reasoning=["\nBenchmark reply requested.", " Streaming tokens.\n"],
                 content=pieces + fill, completion_tokens=max(n, 0), fast=True)


def big_reply(size_bytes: int, chunk: int = 65536) -> Reply:
    """About `size_bytes` bytes of ASCII markdown, in chunks of `chunk` bytes."""
    blocks, total = [], 0
    for index in itertools.count(1):
        if total >= size_bytes:
            break
        block = (f"## Part {index}\n\n" + " ".join(_VOCAB) + ".\n\n"
                 + "".join(f"- point {index}.{i}\n" for i in range(1, 4)) + "\n")
        blocks.append(block)
        total += len(block)
    text = "".join(blocks)[:max(size_bytes, 0)]
    return Reply(reasoning=["\nA very long answer was requested.\n"],
                 content=[text[i:i + chunk] for i in range(0, len(text), chunk)])


class Scenarios:
    """Chooses replies and keeps the per-session image jobs (thread-safe).

    A job answers its first `agent_polls` polls with the acknowledgement and the next
    one with the image (so ``agent_polls=0`` means the first poll gets the image).
    """

    def __init__(self, agent_polls: int = 2, *, jobs_file: Path | None = None) -> None:
        """`jobs_file`: keep the jobs there, so they outlive this simulator (`JobBook`)."""
        self.agent_polls = agent_polls
        self.progress_messages = 0
        """How many progress messages every agent sends before its result (the demo: 2)."""
        self.jobs = JobBook(jobs_file)
        self._lock = threading.Lock()

    def respond(self, messages: list, session_id: str | None, faults: FaultSet,
                origin: str, stream: bool) -> Reply | Status:
        """The reply for one validated request, or a `Status` to send instead."""
        prompt_tokens = sum(estimate_tokens(message_text(m)) + 3 for m in messages)
        escapes = Escapes in faults
        exact = False
        if is_poll(messages):
            result = self._poll(session_id, faults, origin)
            if isinstance(result, Status):
                return result
            reply, exact, escapes = result
        else:
            prompt = strip_directives(last_prompt(messages))
            tokens, big = faults.get(Tokens), faults.get(BigReply)
            image = faults.get(ImageKind)
            if image is not None:
                reply = Reply(reasoning=["\nA test image was requested.\n"],
                              content=split_words(image_reply_text(image.kind, origin)))
                exact = True
            elif tokens is not None:
                reply = tokens_reply(tokens.n)
            elif big is not None:
                reply = big_reply(big.size_bytes)
            elif (agent := addressed_agent(prompt)) is not None:
                ack = agent_acknowledgement(agent)
                self._start_job(session_id, faults, agent, ack)
                reply, exact = _ack(f"\nThe user addressed @{agent['handle']} directly.",
                                    " I'll pass the request on to that agent.\n", text=ack), True
                reply.executable_data = [manifest(agent)]
            elif IMAGE_RE.search(prompt):
                self._start_job(session_id, faults)
                reply, exact = _ack("\nThe user wants an image.",
                                    " I'll ask the image generation agent on Agentverse.\n"), True
                reply.executable_data = [manifest(agent_by_handle(IMAGE_AGENT[1]))]
                if (big_manifest := faults.get(BigManifest)) is not None:
                    reply.executable_data.append({"type": "agent_manifest", "name": "Bulky Agent",
                                                  "protocols": ["x" * big_manifest.size_bytes]})
            elif GIRAFFE_RE.search(prompt):
                reply = self._giraffes(stream, faults)
            else:
                reply = generic_reply(prompt)
            search = faults.get(WebSearch) or (WebSearch() if SEARCH_RE.search(prompt) else None)
            if search is not None and not exact and reply.replay is None:
                reply = search_reply(prompt, search.style, reply.reasoning, reply.content)
            system = next((message_text(m) for m in messages
                           if isinstance(m, dict) and m.get("role") == "system"), "")
            if system.strip() and not exact and reply.replay is None:
                # Visible proof the system prompt arrived (first, as the API expects).
                shown = " ".join(system.split())
                shown = shown if len(shown) <= 80 else shown[:79] + "…"
                reply.content.insert(0, f"(Following the system prompt: “{shown}”)\n\n")
        reply.prompt_tokens = prompt_tokens
        return _shape(reply, faults, escapes, exact)

    def _giraffes(self, stream: bool, faults: FaultSet) -> Reply:
        if stream and not faults.has_any(SHAPING_TYPES):
            return Reply(replay=GIRAFFES_SSE.read_bytes())
        thought, content, usage = giraffe_parts()
        return Reply(reasoning=split_words(thought), content=split_words(content),
                     completion_tokens=usage.get("completion_tokens"))

    def _start_job(self, session_id: str | None, faults: FaultSet, agent: dict | None = None,
                   acknowledgement: str = ACK) -> None:
        progress = faults.get(Progress)
        count = progress.n if progress is not None else self.progress_messages
        job = ImageJob(never=AgentNeverFinishes in faults, escapes=Escapes in faults, agent=agent,
                       acknowledgement=acknowledgement,
                       progress=[PROGRESS_MESSAGES[i % len(PROGRESS_MESSAGES)] for i in range(count)],
                       handover=agent_by_handle(SECOND_AGENT[1]) if TwoAgents in faults else None,
                       fails=AgentFails in faults, storage_link=AgentStorage in faults or TwoAgents in faults)
        poll_error = faults.get(PollError)
        if poll_error is not None:
            job.poll_errors.append(poll_error.status)
        with self._lock, self.jobs.locked():
            self.jobs[session_id] = job

    def _poll(self, session_id: str | None, faults: FaultSet,
              origin: str) -> tuple[Reply, bool, bool] | Status:
        with self._lock, self.jobs.locked():
            job = self.jobs.get(session_id)
            if job is None:
                reply = Reply(reasoning=["\nThe user asks for an update,",
                                         " but nothing is pending.\n"],
                              content=split_words(NO_PENDING))
                return reply, False, Escapes in faults
            job.never = job.never or AgentNeverFinishes in faults
            job.escapes = job.escapes or Escapes in faults
            poll_error = faults.get(PollError)
            if poll_error is not None:
                self.jobs[session_id] = job  # (a job read from a file is a copy: store it back)
                return Status(poll_error.status)
            if job.poll_errors:
                status = Status(job.poll_errors.pop(0))
                self.jobs[session_id] = job
                return status
            if job.handover is not None:
                # The first agent is done and hands over: a new acknowledgement naming the next one.
                second, job.handover = job.handover, None
                job.acknowledgement, job.agent = agent_acknowledgement(second), second
                self.jobs[session_id] = job
                reply = _ack("\nThe first agent finished its part.", " Passing it on.\n", text=job.acknowledgement)
                reply.executable_data = [manifest(second)]
                return reply, True, job.escapes
            if job.never or job.polls_seen < max(self.agent_polls, len(job.progress)):
                job.polls_seen += 1
                self.jobs[session_id] = job
                if job.progress:
                    text = job.progress[(job.polls_seen - 1) % len(job.progress)]
                    if job.never or job.polls_seen <= len(job.progress):
                        return _ack("\nThe agent reports progress.\n", text=text), True, job.escapes
                ack = _ack("\nThe agent is still working.", " Waiting for it.\n", text=job.acknowledgement)
                return ack, True, job.escapes
            del self.jobs[session_id]
        if job.fails:
            name = (job.agent or {}).get("name") or IMAGE_AGENT[0]
            text = f"Sorry, {name} failed to complete the request: the upstream model returned an error."
            return Reply(reasoning=["\nThe agent reported a failure.\n"], content=split_words(text)), True, False
        if job.agent is not None and job.agent["category"] != "Image Generation":
            text = f"**{job.agent['name']}** answered:\n\n- your request was handled\n- all done"
            reply = Reply(reasoning=["\nThe agent has finished.\n"], content=split_words(text))
            return reply, True, False
        url = f"{origin}/agentverse/production/storage/{uuid.uuid4()}"
        if job.storage_link:
            url = "agent-storage://" + url  # Agentverse's own form: the web link after the prefix
        if job.escapes:
            text = f"Here is your image {ESCAPE_PAYLOAD}:\n\n![{ESCAPE_ALT_TEXT}]({url})"
        else:
            text = f"Here is your image:\n\n![generated-image]({url})"
        reply = Reply(reasoning=["\nThe image agent has finished.", " Sharing the result.\n"],
                      content=split_words(text))
        return reply, True, False  # escapes already placed in the text


def _ack(*reasoning: str, text: str = ACK) -> Reply:
    return Reply(reasoning=list(reasoning), content=split_words(text))


def addressed_agent(prompt: str) -> dict | None:
    """The marketplace agent of the first known `@handle` in the prompt, if any."""
    for handle in HANDLE_RE.findall(prompt):
        agent = agent_by_handle(handle)
        if agent is not None:
            return agent
    return None


def agent_acknowledgement(agent: dict) -> str:
    """What the model says when it hands the request to an addressed agent."""
    return f"I've sent the message to {agent['name']} (@{agent['handle']}), waiting for result…"


def manifest(agent: dict | None) -> dict:
    """The agent manifest carried in `executable_data` on a deferral."""
    agent = agent or {}
    return {"type": "agent_manifest", "name": agent.get("name"), "handle": agent.get("handle"),
            "address": agent.get("address"), "category": agent.get("category")}


def _shape(reply: Reply, faults: FaultSet, escapes: bool, exact: bool) -> Reply:
    """Apply content-level faults. `exact` keeps content untouched (acks, image links)."""
    if escapes and reply.replay is None:
        reply.reasoning.insert(min(1, len(reply.reasoning)), f" {ESCAPE_PAYLOAD} ")
        if not exact:
            reply.content.insert(0, f"{ESCAPE_PAYLOAD}\n\n")
    if Empty in faults:
        reply.reasoning, reply.content, reply.completion_tokens = [], [], 0
    elif ReasoningOnly in faults:
        reply.content, reply.completion_tokens = [], None
    return reply
