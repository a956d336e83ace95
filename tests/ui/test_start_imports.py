"""What the desk has imported when its first frame is painted: what only a key or a sync needs waits."""

from __future__ import annotations

from socialdesk.store import Store
from tests.fresh_python import imported_by, printed_by

# Runs the desk headless as the command does, and forgets what was imported after its first frame.
FIRST_FRAME = """
import sys
from pathlib import Path

from textual.app import App

from socialdesk.launcher import build_context, make_app

app = make_app(build_context(db=Path({db!r}), offline=True), sync=False, sources=[])
display = App._display
at_first_frame = set()


def first_frame(self, screen, renderable):
    display(self, screen, renderable)
    if renderable is not None and not at_first_frame:
        at_first_frame.update(sys.modules)
        self.exit()


App._display = first_frame
app.run(headless=True, size=(160, 48))
for name in set(sys.modules) - at_first_frame:
    del sys.modules[name]
"""


def first_frame_imports(store: Store, *modules: str) -> list[str]:
    """Those of `modules` imported by the time the desk's first frame was painted, on `store`'s cache."""
    return imported_by(FIRST_FRAME.format(db=str(store.path)), *modules)


def test_what_only_a_write_a_key_or_the_first_run_needs_is_not_imported_for_the_first_frame(
    demo_store: Store,
) -> None:
    """A cache's writes (rule hits, similarity bands), a reply split into a thread and the first
    run's check of the config need none of the panes the first frame draws."""
    later = (
        "socialdesk.store.playbook_queries",
        "socialdesk.store.similar_index",
        "socialdesk.thread_split",
        "socialdesk.services.desk_config",
        "socialdesk.services.config_edit",
    )
    drawn = "socialdesk.widgets.feed_list"
    assert first_frame_imports(demo_store, drawn, *later) == [drawn]


def test_the_composers_text_area_is_imported_after_the_first_frame(demo_store: Store) -> None:
    """Textual's TextArea (~4 ms to import, and its stylesheet) is drawn blank in the first frame."""
    later = ("textual.widgets._text_area", "textual.document", "socialdesk.widgets.reply_editor")
    drawn = "socialdesk.widgets.composer"
    assert first_frame_imports(demo_store, drawn, *later) == [drawn]


def test_records_the_first_frame_does_not_use_are_not_imported_for_it(demo_store: Store) -> None:
    """The first frame uses none of these (a reply row's 24 fields, a merge's record, a batch write's
    result, the search's vocabulary, a team desk's marks): the thread's replies are read apart from the
    outbox's rows, its ticket apart from merges."""
    later = (
        "socialdesk.store.replies",
        "socialdesk.services.ticket_changes",
        "socialdesk.store.upsert_result",
        "socialdesk.store.vocabulary",
        "socialdesk.presence",
    )
    drawn = ("socialdesk.services.conversations", "socialdesk.widgets.thread_view")
    assert first_frame_imports(demo_store, *drawn, *later) == list(drawn)


def test_the_first_frame_makes_no_dataclass_of_ours_but_the_context(demo_store: Store) -> None:
    """A dataclass compiles its methods as it is defined (about 0.3 ms each on Python 3.11, 35 of them
    were 11 ms of the start); the records are msgspec structs, made in C. The context alone stays a
    dataclass: it holds the store and a lock, which its repr leaves out."""
    code = FIRST_FRAME.format(db=str(demo_store.path)) + (
        "import dataclasses\n"
        "made = sorted(f'{m.__name__}.{n}' for m in list(sys.modules.values())"
        " if m is not None and m.__name__.startswith('socialdesk') for n, c in vars(m).items()"
        " if isinstance(c, type) and c.__module__ == m.__name__ and dataclasses.is_dataclass(c))\n"
        "print(' '.join(made))\n"
    )
    assert printed_by(code) == ["socialdesk.context.Context"]
