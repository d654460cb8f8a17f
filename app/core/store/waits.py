"""Agent waits in the history: pending agent replies, the lease that serialises polling
them, and waits the user stopped (kept, so they can be started again).

A mixin of `Store`: it uses the store's `_q` and `_write`.
"""

from __future__ import annotations

import time

from app.core.store.records import WAIT_COLUMNS, AgentWait


class WaitStore:
    """The `agent_waits` methods of `Store`."""

    def add_wait(self, conversation_id: int, message_id: int | None, acknowledgement: str,
                 attempts_total: int, next_poll_at: float, deadline: float | None = None) -> AgentWait:
        """Record that an agent reply is pending; `message_id` holds the acknowledgement."""
        now = time.time()
        with self._write() as conn:
            wait_id = conn.execute(
                "INSERT INTO agent_waits (conversation_id, message_id, acknowledgement, attempts_total,"
                " started_at, next_poll_at, deadline) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, message_id, acknowledgement, attempts_total, now, next_poll_at,
                 deadline)).lastrowid
        return AgentWait(wait_id, conversation_id, message_id, acknowledgement, 0, attempts_total,
                         now, next_poll_at, deadline, None, None, None, None)

    def update_wait(self, wait_id: int, *, attempts_made: int | None = None, next_poll_at: float | None = None,
                    last_error: str | None | object = ..., attempts_total: int | None = None) -> None:
        """Record polling progress on a wait (None leaves a field as it is; for `last_error`,
        None clears it, after a poll that went through, and leaving it out keeps it)."""
        changes = {k: v for k, v in (("attempts_made", attempts_made), ("next_poll_at", next_poll_at),
                                     ("attempts_total", attempts_total)) if v is not None}
        if last_error is not ...:
            changes["last_error"] = last_error
        if changes:
            with self._write() as conn:
                conn.execute(f"UPDATE agent_waits SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                             (*changes.values(), wait_id))

    def clear_wait(self, wait_id: int) -> None:
        """Forget a wait (the reply arrived, or the user gave up)."""
        with self._write() as conn:
            conn.execute("DELETE FROM agent_waits WHERE id = ?", (wait_id,))

    def pending_waits(self, conversation_id: int | None = None) -> list[AgentWait]:
        """Pending waits (not stopped), of one conversation or all, soonest poll first."""
        where = "WHERE stopped_at IS NULL" + ("" if conversation_id is None else " AND conversation_id = ?")
        return [AgentWait(*row) for row in self._q(
            f"SELECT {WAIT_COLUMNS} FROM agent_waits {where} ORDER BY next_poll_at, id",
            () if conversation_id is None else (conversation_id,))]

    def get_wait(self, wait_id: int) -> AgentWait | None:
        """The wait, or None once it was cleared."""
        rows = self._q(f"SELECT {WAIT_COLUMNS} FROM agent_waits WHERE id = ?", (wait_id,))
        return AgentWait(*rows[0]) if rows else None

    def claim_wait(self, wait_id: int, owner: str, lease_seconds: float) -> bool:
        """Take or renew the lease on a wait; False while another owner's lease is live."""
        now = time.time()
        with self._write() as conn:  # one UPDATE decides, so two processes cannot both win
            return conn.execute("UPDATE agent_waits SET claimed_by = ?, claimed_until = ? WHERE id = ?"
                                " AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?)",
                                (owner, now + lease_seconds, wait_id, now, owner)).rowcount == 1

    def release_wait(self, wait_id: int, owner: str) -> None:
        """Give the lease back, if `owner` holds it."""
        with self._write() as conn:
            conn.execute("UPDATE agent_waits SET claimed_by = NULL, claimed_until = NULL"
                         " WHERE id = ? AND claimed_by = ?", (wait_id, owner))

    def stopped_waits(self, conversation_id: int | None = None) -> list[AgentWait]:
        """Waits the user stopped, of one conversation or all, newest first."""
        where = "WHERE stopped_at IS NOT NULL" + ("" if conversation_id is None else " AND conversation_id = ?")
        return [AgentWait(*row) for row in self._q(
            f"SELECT {WAIT_COLUMNS} FROM agent_waits {where} ORDER BY stopped_at DESC, id DESC",
            () if conversation_id is None else (conversation_id,))]

    def waits_of(self, conversation_id: int) -> list[AgentWait]:
        """Every wait of the conversation, pending or stopped (for export)."""
        return [AgentWait(*row) for row in self._q(
            f"SELECT {WAIT_COLUMNS} FROM agent_waits WHERE conversation_id = ? ORDER BY id", (conversation_id,))]

    def stop_wait(self, wait_id: int) -> None:
        """The user stopped waiting: keep the wait, stopped, and give up its lease."""
        with self._write() as conn:
            conn.execute("UPDATE agent_waits SET stopped_at = ?, claimed_by = NULL, claimed_until = NULL"
                         " WHERE id = ?", (time.time(), wait_id))

    def restart_wait(self, wait_id: int, attempts_total: int) -> AgentWait | None:
        """Wait again for a stopped (or exhausted) wait, with a fresh budget of polls."""
        now = time.time()
        with self._write() as conn:
            conn.execute("UPDATE agent_waits SET stopped_at = NULL, attempts_made = 0, attempts_total = ?,"
                         " started_at = ?, next_poll_at = ?, last_error = NULL WHERE id = ?",
                         (attempts_total, now, now, wait_id))
        return self.get_wait(wait_id)

