"""What a team desk shares beyond statuses: notes, tags, assignments, corrections; online or journalled.

`SharedActions` is a mixin of `services.team_desk.TeamDesk` (whose connection, clock and claim checks
it uses). A note is journalled in the cache's transaction that stores it, under a key it keeps to the
team, then sent: a note is never lost (the journal replays it) and never doubled (the team stores a
key once; the cache knows its own key when the feed brings the note back). Tags and assignments go to
the team first, like a status, and wait in the journal while the team database is unreachable; so
does a correction of a post's sentiment or intent (team/corrections.py), which never conflicts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from socialdesk.errors import UserError
from socialdesk.store import team_cache

if TYPE_CHECKING:
    import sqlite3

    import psycopg

    from socialdesk.store import Store

T = TypeVar("T")
SHARED = ("note", "tag", "assign", "correct", "fields")  # the journal's actions this module replays


class SharedActions:
    """Mixin: notes, tags, assignments and corrections for the team (`self` is a TeamDesk)."""

    store: Store
    agent: str
    held: dict[int, float]

    if TYPE_CHECKING:

        def _call(self, op: Callable[[psycopg.Connection], T]) -> T: ...
        def server_now(self) -> float: ...
        def refuse_if_held(self, post_id: int) -> int | None: ...

    # -- notes -----------------------------------------------------------------------------------------

    def keep_note(self, conn: sqlite3.Connection, post_id: int, note_id: int, text: str) -> int | None:
        """Journal a note just stored in the cache, in the caller's transaction; the entry to `flush`.

        Returns:
            None when the post is not in the team's data (the note stays on this desk).
        """
        found = team_cache.conversation_of(conn, post_id)
        if found is None:
            return None
        key = uuid.uuid4().hex
        team_cache.own_note(conn, key, note_id)
        post = conn.execute("SELECT network, native_id FROM posts WHERE id = ?", (post_id,)).fetchone()
        at = self.server_now()
        detail = {"key": key, "text": text, "at": at, "post": list(post) if post else None}
        return team_cache.journal_keep(conn, at, self.agent, "note", found[0], detail)

    def flush(self, entry: int) -> bool:
        """Send a journalled note to the team now.

        Returns:
            False when the team database is unreachable (the entry waits for the replay).

        Raises:
            UserError: the team refused it (the agent is no member, say): it stays on this desk only.
        """
        from socialdesk.services.team_desk import TeamOffline

        try:
            line = self.replay_shared(entry)
        except TeamOffline:
            return False
        if line:
            raise UserError(line)
        return True

    # -- tags and assignments --------------------------------------------------------------------------

    def push_tag(self, post_ids: Sequence[int], tag: str, remove: bool = False) -> int:
        """Add (or remove) a tag on the posts' team conversations; how many went to the journal.

        A colleague's claim does not stop a tag: tags are a set that both agents' changes keep.
        """
        from socialdesk.services.team_desk import TeamOffline

        journalled = 0
        for conversation_id in self._conversations(post_ids):
            try:
                self._call(
                    partial(_tag, conversation_id=conversation_id, agent=self.agent, tag=tag, remove=remove)
                )
                with self.store.transaction() as conn:
                    team_cache.tag_seen(conn, conversation_id, tag, remove)
            except TeamOffline:
                self._journal("tag", conversation_id, {"tag": tag, "remove": remove})
                journalled += 1
        return journalled

    def push_assign(self, post_ids: Sequence[int], to: str) -> int:
        """Assign the posts' team conversations to `to` ("" unassigns); how many went to the journal.

        Every conversation is checked against colleagues' claims first: all of them change or none.

        Raises:
            ClaimConflict: a colleague holds one of them (nothing is changed).
        """
        from socialdesk.services.team_desk import TeamOffline

        conversations = list(dict.fromkeys(c for p in post_ids if (c := self.refuse_if_held(p)) is not None))
        journalled = 0
        for conversation_id in conversations:
            try:
                self._call(partial(_assign, conversation_id=conversation_id, agent=self.agent, to=to))
            except TeamOffline:
                self._journal("assign", conversation_id, {"to": to})
                journalled += 1
            if to != self.agent:
                self.held.pop(conversation_id, None)
        return journalled

    def push_correction(self, post_id: int, sentiment_label: str | None, intent: str | None) -> bool:
        """Correct a post's sentiment label and/or intent for the team; whether it went to the journal.

        A post the team never stored keeps its correction on this desk only (False, as when sent).
        """
        from socialdesk.services.team_desk import TeamOffline

        conn = self.store.conn
        found = team_cache.conversation_of(conn, post_id)
        post = conn.execute("SELECT network, native_id FROM posts WHERE id = ?", (post_id,)).fetchone()
        if found is None or post is None:
            return False
        detail = {"post": [str(post[0]), str(post[1])], "sentiment": sentiment_label, "intent": intent}
        try:
            self._call(
                partial(_apply, action="correct", conversation_id=found[0], agent=self.agent, detail=detail)
            )
        except TeamOffline:
            self._journal("correct", found[0], detail)
            return True
        return False

    # -- customer fields -------------------------------------------------------------------------------

    def push_fields(self, customer_id: int, values: dict[str, str]) -> bool:
        """Write a cached customer's changed fields ("" removes one) for the team, on each of its
        identities; whether they went to the journal (the team database unreachable).

        Never conflicts: the last value written wins. A customer with no identity stays on this desk.

        Raises:
            UserError: the team refused them (the agent is no member): they stay on this desk only.
        """
        from socialdesk.services.team_desk import TeamOffline
        from socialdesk.store import team_customers

        identities = team_customers.identities(self.store.conn, customer_id)
        if not identities or not values:
            return False
        detail = {"identities": [list(i) for i in identities], "values": values}
        try:
            self._call(partial(_apply, action="fields", conversation_id=0, agent=self.agent, detail=detail))
        except TeamOffline:
            self._journal("fields", 0, detail)  # no conversation: a customer's, not a conversation's
            return True
        return False

    def _conversations(self, post_ids: Sequence[int]) -> list[int]:
        conn = self.store.conn
        return list(dict.fromkeys(f[0] for p in post_ids if (f := team_cache.conversation_of(conn, p))))

    def _journal(self, action: str, conversation_id: int, detail: dict[str, Any]) -> None:
        at = self.server_now()  # an assignment replays only if nobody changed the conversation since
        with self.store.transaction() as conn:
            team_cache.journal_keep(conn, at, self.agent, action, conversation_id, detail | {"at": at})

    # -- replaying -------------------------------------------------------------------------------------

    def replay_shared(self, entry: int) -> str | None:
        """Send one journalled note, tag, assignment or correction now.

        A note, a tag and a correction never conflict (a note is stored once per key; tags are set
        operations; the last correction wins). An assignment whose conversation a colleague changed or
        claimed meanwhile is not applied, and the cache goes back to the team's assignee.

        Returns:
            "" when the team took it; why not, in one line (the entry is closed as a conflict); None
            when the entry was closed already (the desk's other worker sent it meanwhile).

        Raises:
            TeamOffline: the entry waits for the next replay.
        """
        from socialdesk.services.team_desk import TeamOffline
        from socialdesk.team.claims import ClaimConflict

        found = team_cache.journal_entry(self.store.conn, entry)
        if found is None or found[4] != "waiting":
            return None
        agent, action, conversation_id, detail, _ = found
        try:
            if action == "assign":
                status, who = team_cache.changed_since(self.store.conn, conversation_id, detail["at"], agent)
                if who:
                    raise ClaimConflict(f"{who} changed it ({status}) while you were offline")
            self._call(
                partial(_apply, action=action, conversation_id=conversation_id, agent=agent, detail=detail)
            )
        except TeamOffline:
            raise
        except UserError as exc:
            what = {"note": "note", "tag": "tag", "assign": "assignment", "correct": "correction"}.get(action)
            where = f"Your {what} on conversation {conversation_id}" if what else "Your customer fields"
            line = f"{where} did not reach the team: {exc}"
            with self.store.transaction() as conn:
                team_cache.journal_done(conn, entry, "conflict", line)
                if action == "assign":
                    team_cache.reapply(conn, conversation_id)
            return line
        with self.store.transaction() as conn:
            team_cache.journal_done(conn, entry, "done")
            if action == "tag":
                team_cache.tag_seen(conn, conversation_id, detail["tag"], bool(detail["remove"]))
        return ""


def _tag(conn: psycopg.Connection, conversation_id: int, agent: str, tag: str, remove: bool) -> bool:
    from socialdesk.team import conversations

    return conversations.tag(conn, conversation_id, agent, tag, remove)


def _assign(conn: psycopg.Connection, conversation_id: int, agent: str, to: str) -> None:
    from socialdesk.team import conversations

    conversations.assign(conn, conversation_id, agent, to)


def _apply(
    conn: psycopg.Connection, action: str, conversation_id: int, agent: str, detail: dict[str, Any]
) -> None:
    """Apply a journalled note, tag, assignment, correction or customer fields on the team database."""
    from socialdesk.team import corrections, customers, notes

    if action == "fields":
        identities = [(str(n), str(i)) for n, i in detail["identities"]]
        customers.set_fields(conn, agent, identities, detail["values"])
    elif action == "correct":
        network, native_id = (str(p) for p in detail["post"])
        corrections.correct(conn, network, native_id, agent, detail["sentiment"], detail["intent"])
    elif action == "note":
        post = (str(p[0]), str(p[1])) if (p := detail.get("post")) else None
        notes.add(conn, conversation_id, agent, detail["text"], detail["key"], detail["at"], post)
    elif action == "tag":
        _tag(conn, conversation_id, agent, detail["tag"], bool(detail["remove"]))
    else:
        _assign(conn, conversation_id, agent, detail["to"])
