"""Terminal habits: ctrl+e edits the draft in $EDITOR (desk suspended), `|` pipes the thread to a command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Input, Static

from socialdesk.app import SocialDeskApp
from socialdesk.screens.note import PromptScreen
from socialdesk.screens.pipe_output import PipeOutputScreen
from socialdesk.widgets.composer import Composer
from socialdesk.widgets.reply_editor import ReplyEditor
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle

EDITED = "Thanks for waiting, we have refunded order 1234 today."


@pytest.fixture
def fake_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An $EDITOR that records the file it was given and replaces its text, as a real one saves it."""
    log = tmp_path / "editor.log"
    script = tmp_path / "fake_editor.py"
    script.write_text(
        "import pathlib, sys\n"
        "path = pathlib.Path(sys.argv[-1])\n"
        f"pathlib.Path({str(log)!r}).write_text(path.read_text() + '|' + sys.argv[1])\n"
        f"path.write_text({EDITED!r} + '\\n')\n"
    )
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script} --flag")
    return log


@pytest.fixture
def suspendable(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The headless driver lets itself be suspended, as a terminal's does; records each suspension."""
    seen: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "can_suspend", property(lambda self: True))
    monkeypatch.setattr(HeadlessDriver, "stop_application_mode", lambda self: seen.append("suspended"))
    monkeypatch.setattr(HeadlessDriver, "start_application_mode", lambda self: seen.append("resumed"))
    return seen


async def test_ctrl_e_edits_the_draft_in_the_editor_and_counts_it_again(
    desk_app: SocialDeskApp, fake_editor: Path, suspendable: list[str]
) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("r")
        await pilot.press(*"draft")
        await settle(pilot)
        assert isinstance(desk_app.focused, ReplyEditor)
        await pilot.press("ctrl+e")
        await settle(pilot)
        # The editor got the draft, its own options, and ran while the desk was suspended.
        assert fake_editor.read_text() == "draft|--flag"
        assert suspendable[-2:] == ["suspended", "resumed"]
        composer = desk_app.desk.query_one(Composer)
        assert composer.text == EDITED  # the editor's final newline dropped
        counter = str(composer.query_one("#composer-counter", Static).render())
        assert f"{composer.measure().count}/" in counter and composer.measure().count > len(EDITED)
        assert isinstance(desk_app.focused, ReplyEditor)
        post_id = desk_app.desk.selected_post.id  # type: ignore[union-attr]
        await settle(pilot)
        assert desk_app.desk.ctx.store.draft(post_id) == EDITED


async def test_ctrl_e_from_the_feed_and_an_editor_that_fails_leaves_the_draft(
    desk_app: SocialDeskApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suspendable: list[str]
) -> None:
    monkeypatch.setenv("VISUAL", f"{sys.executable} -c 'import sys; sys.exit(3)'")
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("r", *"keep me", "escape")
        await settle(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert desk_app.desk.query_one(Composer).text == "keep me"
        errors = [n.message for n in desk_app._notifications if n.severity == "error"]
        assert any("exited with status 3" in m and "unchanged" in m for m in errors)


async def pipe(pilot, command: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("|")
    await settle(pilot, until=lambda: isinstance(pilot.app.screen, PromptScreen))
    pilot.app.screen.query_one(Input).value = command
    await pilot.press("enter")
    await settle(pilot)


async def test_pipe_sends_the_thread_as_text_and_shows_the_output(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot, until=lambda: desk_app.desk.shown_thread() is not None)
        focus = desk_app.desk.shown_thread().thread.focus  # type: ignore[union-attr]
        await pipe(pilot, "tr a-z A-Z")
        screen = desk_app.screen
        assert isinstance(screen, PipeOutputScreen) and screen.command == "tr a-z A-Z"
        assert f"@{focus.author_handle.upper()}" in screen.output
        assert focus.text.upper().split()[0] in screen.output
        await pilot.press("escape")
        assert not isinstance(desk_app.screen, PipeOutputScreen)


async def test_pipe_with_j_sends_json(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot, until=lambda: desk_app.desk.shown_thread() is not None)
        focus = desk_app.desk.shown_thread().thread.focus  # type: ignore[union-attr]
        script = (
            "import json,sys; d=json.load(sys.stdin);"
            " print(d['focus'], [p['text'] for p in d['posts'] if p['focus']][0])"
        )
        await pipe(pilot, f'-j {sys.executable} -c "{script}"')
        screen = desk_app.screen
        assert isinstance(screen, PipeOutputScreen)
        assert screen.output == f"{focus.id} {focus.text}\n"
        assert json.dumps(focus.id) in screen.output


async def test_a_failing_command_gives_one_line(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot, until=lambda: desk_app.desk.shown_thread() is not None)
        await pipe(pilot, "echo 'no such thing' >&2; exit 4")
        assert not isinstance(desk_app.screen, PipeOutputScreen | PromptScreen)
        errors = [n.message for n in desk_app._notifications if n.severity == "error"]
        assert errors and "exited with status 4: no such thing" in errors[-1] and "\n" not in errors[-1]
