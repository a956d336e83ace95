"""The team's canned replies on a desk: publishing a playbook file's set, and the set a team desk uses.

A team desk uses the team's set only (the newest version its cache holds, offline too), never its
own playbook file's `[[macro]]`s: one set for everyone, never two mixed. A supervisor publishes a
file's `[[macro]]` tables and `[dm_template]` with `socialdesk team playbook push FILE`; the file's
other sections (rules, queues, automations ...) stay each desk's and the hub's own playbook's.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from socialdesk.errors import UserError
from socialdesk.services.macros import Macros, parse_macros
from socialdesk.services.playbook import PlaybookFile, load_playbook
from socialdesk.store.team_playbooks import latest_playbook, latest_version

if TYPE_CHECKING:
    import psycopg

    from socialdesk.store import Store

SHARED_SECTIONS = ("macro", "dm_template")  # what the team's set holds of a playbook
NONE_YET = "the team playbook (none published yet: a supervisor runs `socialdesk team playbook push FILE`)"


class Pushed(msgspec.Struct, frozen=True):
    """What `push_file` did: the new version (None: the team's set is this one already), what it holds."""

    version: int | None
    current: int
    macros: int
    dm_template: bool
    left_out: tuple[str, ...]


def push_file(conn: psycopg.Connection, agent: str, path: str | Path) -> Pushed:
    """Publish the canned replies of the playbook at `path` as the team's set (a supervisor's action).

    Raises:
        UserError: the file is missing or broken (one line naming it and the macro), or holds no
            canned replies; NotAllowed: `agent` is no active supervisor. Nothing is published then.
    """
    from socialdesk.team import playbook

    file = Path(path).expanduser()
    found = load_playbook(file)
    parse_macros(found)  # refused here, with the file and macro named, never on every desk
    raw, template = found.section("macro", []), found.section("dm_template", {})
    # parse_macros checked their shapes: a list of tables of strings, a table of strings
    macros = [dict(t) for t in raw if isinstance(t, dict)] if isinstance(raw, list) else []
    if not macros:
        raise UserError(f"{file} has no canned replies ([[macro]] tables): nothing to publish")
    dm_template = dict(template) if isinstance(template, dict) else {}
    content = json.dumps({"macros": macros, "dm_template": dm_template}, sort_keys=True, ensure_ascii=False)
    sha = hashlib.sha256(content.encode("utf-8")).hexdigest()
    version = playbook.publish(conn, agent, macros, dm_template, str(file), sha)
    now = playbook.current(conn)
    left_out = tuple(s for s in found.sections if s not in SHARED_SECTIONS)
    return Pushed(version, now.version if now else 0, len(macros), bool(dm_template), left_out)


def team_version(store: Store) -> int:
    """The version of the team's set this desk's cache holds now (0: none yet); one indexed read."""
    return latest_version(store.conn)


def team_macros(store: Store) -> Macros:
    """The team's canned replies as this desk's cache last read them (no network, so offline too).

    Raises:
        UserError: this socialdesk cannot read the set (a newer one published it): one line saying why.
    """
    cached = latest_playbook(store.conn)
    if cached is None:
        return Macros(source=NONE_YET)
    source = f"the team playbook v{cached.version} ({cached.pushed_by})"
    return parse_macros(PlaybookFile(source, {"macro": cached.macros, "dm_template": cached.dm_template}))
