"""Pilot tests of the customer profile: i edits the fields, the pane shows them, L opens the CRM link."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from socialdesk.app import SocialDeskApp
from socialdesk.screens.profile import ProfileScreen
from socialdesk.store import customer_fields
from socialdesk.widgets.customer_pane import CustomerPane
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


async def open_profile(pilot) -> ProfileScreen:  # type: ignore[no-untyped-def]
    desk = pilot.app.desk
    await settle(pilot, until=lambda: desk.query_one(CustomerPane).data is not None)
    await pilot.press("i")
    await settle(pilot, until=lambda: isinstance(pilot.app.screen, ProfileScreen))
    return pilot.app.screen  # type: ignore[no-any-return]


async def test_i_edits_the_fields_and_l_opens_the_crm(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk_app.ctx.settings.customers.crm_link = "https://crm.example.com/c/{crm_id}"
    desk_app.desk.model.crm_template = desk_app.ctx.settings.customers.crm_link
    opened: list[str] = []
    monkeypatch.setattr(desk_app, "open_url", lambda url, **kw: opened.append(url))
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("L")
        assert opened == [] and any("No CRM link" in n.message for n in desk_app._notifications)
        form = await open_profile(pilot)
        form.query_one("#profile-email", Input).value = "not an address"
        await pilot.press("ctrl+s")
        assert "not an e-mail address" in str(form.query_one("#profile-error", Static).render())
        form.query_one("#profile-email", Input).value = "chloe@example.org"
        form.query_one("#profile-crm_id", Input).value = "C-77"
        await pilot.press("ctrl+s")
        await settle(pilot)
        pane = desk_app.desk.query_one(CustomerPane)
        await settle(pilot, until=lambda: pane.data is not None and bool(pane.data.fields))
        assert pane.data is not None
        assert pane.data.fields == (("E-mail", "chloe@example.org"), ("CRM id", "C-77"))
        assert pane.data.crm_url == "https://crm.example.com/c/C-77"
        customer = pane.data.customer.id
        assert customer_fields.read(desk_app.ctx.store.conn, customer)["email"] == "chloe@example.org"
        await pilot.press("L")
        assert opened == ["https://crm.example.com/c/C-77"]


async def test_escape_leaves_the_profile_unchanged(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        form = await open_profile(pilot)
        form.query_one("#profile-order", Input).value = "123"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(desk_app.screen, ProfileScreen)
        count = desk_app.ctx.store.conn.execute("SELECT COUNT(*) FROM customer_fields").fetchone()[0]
        assert count == 0
