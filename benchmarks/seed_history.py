"""Fill a history database with realistic-looking conversations for benchmarking.

    python benchmarks/seed_history.py --db /tmp/bench.db --conversations 10000 --messages 50

The schema comes from the Store's own migrations. Rows go in with executemany in
large transactions while the FTS triggers are dropped; the FTS indexes are then
rebuilt with `rebuild_fts`, which indexes exactly the rows the triggers would have.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlite_utils import Database  # noqa: E402

from app.core.links import image_links  # noqa: E402
from app.core.store.migrations import create_fts_triggers, drop_fts_triggers, rebuild_fts  # noqa: E402
from app.core.store.store import Store, title_from_text  # noqa: E402

COMMON = ("the of and to a in is it you that he was for on are with as I his they be at one have this"
          " from or had by word but what some we can out other were all there when up use your how said"
          " an each she which do their time if will way about many then them write would like so these"
          " her long make thing see him two has look more day could go come did number sound no most"
          " people my over know water than call first who may down side been now find").split()
TOPICS = ("giraffe savanna python function variable recipe tomato garlic weather forecast rainfall"
          " agent booking flight hotel itinerary invoice budget spreadsheet kubernetes cluster deploy"
          " database index query migration guitar chord melody telescope galaxy nebula marathon"
          " training protein espresso grinder bicycle derailleur mortgage interest portfolio image"
          " generate render sunset mountain lighthouse watercolor").split()
MODELS = ("asi1-mini", "asi1-fast", "asi1-extended", "asi1-agentic")
RARE_WORD = "zanzibarite"  # in a handful of messages, for the rare-word search
SYLLABLES = "ka lo mi ne ra su ti vo ba de fi gu ho ja ke lu ma no pi qu re sa to vu we xi yo ze".split()


def word_pool(rng: random.Random, size: int) -> list[str]:
    """A long stream of words with a Zipf-like spread: a few very common, a long tail."""
    tail = sorted({"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(6000)})
    vocabulary = COMMON + TOPICS + tail
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(vocabulary))]
    return rng.choices(vocabulary, weights=weights, k=size)


class TextMaker:
    """Cheap varied text: random windows of a pre-drawn word stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pool = word_pool(rng, 2_000_000)

    def text(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        start = self.rng.randrange(len(self.pool) - count)
        words = self.pool[start:start + count]
        sentences, step = [], self.rng.randint(8, 16)
        for i in range(0, len(words), step):
            sentence = " ".join(words[i:i + step])
            sentences.append(sentence[:1].upper() + sentence[1:] + ".")
        return " ".join(sentences)


def seed(db_path: Path, conversations: int, messages: int, long: int, rng_seed: int) -> dict:
    """Seed the database and return counts and timings."""
    rng = random.Random(rng_seed)
    started = time.perf_counter()
    Store(db_path).close()  # creates the file and applies the real migrations
    maker = TextMaker(rng)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")  # a throwaway benchmark file
    db = Database(conn, execute_plugins=False)
    drop_fts_triggers(db)
    conversation_id = (conn.execute("SELECT max(id) FROM conversations").fetchone()[0] or 0)
    message_id = (conn.execute("SELECT max(id) FROM messages").fetchone()[0] or 0)
    now = time.time()
    counts = {"conversations": 0, "messages": 0, "images": 0, "waits": 0}
    plan = [messages] * conversations + [long]
    rare_left = 12
    waiting = set(rng.sample(range(conversations), min(20, conversations)))
    batch_c, batch_m, batch_i, batch_w = [], [], [], []

    def flush() -> None:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO conversations (id, title, model, session_id, created_at, updated_at,"
                         " archived) VALUES (?, ?, ?, ?, ?, ?, 0)", batch_c)
        conn.executemany("INSERT INTO messages (id, conversation_id, role, content, reasoning, status, model,"
                         " prompt_tokens, completion_tokens, total_tokens, error, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)", batch_m)
        conn.executemany("INSERT INTO images (conversation_id, message_id, url, created_at)"
                         " VALUES (?, ?, ?, ?)", batch_i)
        conn.executemany("INSERT INTO agent_waits (conversation_id, message_id, acknowledgement, attempts_made,"
                         " attempts_total, started_at, next_poll_at) VALUES (?, ?, ?, 0, 20, ?, ?)", batch_w)
        conn.execute("COMMIT")
        for key, batch in (("conversations", batch_c), ("messages", batch_m), ("images", batch_i),
                           ("waits", batch_w)):
            counts[key] += len(batch)
            batch.clear()

    for index, count in enumerate(plan):
        conversation_id += 1
        model = rng.choice(MODELS)
        # Spread over two years; the long conversation is the most recent.
        clock = now - (len(plan) - index) * (2 * 365 * 86400 / len(plan)) - count * 60
        created = clock
        title = None
        for turn in range(count):
            message_id += 1
            clock += rng.uniform(5, 120)
            if turn % 2 == 0:
                content, reasoning, status, usage = maker.text(6, 40), "", "complete", (None, None, None)
                title = title or title_from_text(content)
            else:
                content = maker.text(30, 160)
                reasoning = maker.text(20, 80) if rng.random() < 0.2 else ""
                prompt = rng.randint(50, 4000)
                completion = rng.randint(20, 900)
                usage, status = (prompt, completion, prompt + completion), "complete"
                if rng.random() < 0.02:
                    content += f"\n\n![generated image](https://agents.example.com/files/{uuid.uuid4().hex}.png)"
                    batch_i.extend((conversation_id, message_id, url, clock) for url in image_links(content))
            if rare_left and rng.random() < 0.00005:
                content += f" Something about {RARE_WORD}."
                rare_left -= 1
            if turn == count - 1 and turn % 2 == 1 and index in waiting:
                status = "awaiting-agent"
                batch_w.append((conversation_id, message_id, content, clock, now + 30))
            batch_m.append((message_id, conversation_id, "user" if turn % 2 == 0 else "assistant", content,
                            reasoning, status, None if turn % 2 == 0 else model, *usage, clock, clock))
        batch_c.append((conversation_id, title, model, str(uuid.uuid4()), created, clock))
        if len(batch_m) >= 50_000:
            flush()
    flush()
    loaded = time.perf_counter()
    conn.execute("BEGIN")
    rebuild_fts(db)
    create_fts_triggers(db)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    finished = time.perf_counter()
    return {**counts, "long_conversation_id": conversation_id, "load_s": loaded - started,
            "fts_s": finished - loaded, "total_s": finished - started}


def main() -> None:
    """Parse arguments, seed, and print what was done."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--long", type=int, default=2000, help="messages in one extra long conversation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    args = parser.parse_args()
    if args.db.exists():
        if not args.force:
            parser.error(f"{args.db} exists; pass --force to replace it")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    result = seed(args.db, args.conversations, args.messages, args.long, args.seed)
    size = args.db.stat().st_size / 1e6
    print(f"seeded {args.db}: {result['conversations']} conversations, {result['messages']} messages, "
          f"{result['images']} images, {result['waits']} waits; long conversation id "
          f"{result['long_conversation_id']}; {size:.0f} MB")
    print(f"time: rows {result['load_s']:.1f} s + FTS rebuild {result['fts_s']:.1f} s = {result['total_s']:.1f} s")


if __name__ == "__main__":
    main()
