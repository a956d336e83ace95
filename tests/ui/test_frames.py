"""The desk's frame cap is set where the desk starts: importing socialdesk changes nothing in Textual."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from socialdesk.app import SocialDeskApp
from socialdesk.frames import DESK_FPS


def test_importing_the_package_or_a_connector_leaves_textual_alone() -> None:
    code = (
        "import os, socialdesk, socialdesk.connectors.base, socialdesk.store, textual.constants as c;"
        "print(os.environ.get('TEXTUAL_FPS'), c.MAX_FPS)"
    )
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "60"]


async def test_the_desk_screen_updates_at_the_desk_rate(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert pilot.app.screen._update_timer._interval == pytest.approx(1 / DESK_FPS)


def test_a_frame_rate_the_user_set_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    from textual import constants, screen

    from socialdesk.frames import pace_frames

    monkeypatch.setenv("TEXTUAL_FPS", "30")
    monkeypatch.setattr(constants, "MAX_FPS", 30)
    monkeypatch.setattr(screen, "UPDATE_PERIOD", 1 / 30)
    pace_frames()
    assert (constants.MAX_FPS, screen.UPDATE_PERIOD) == (30, 1 / 30)
