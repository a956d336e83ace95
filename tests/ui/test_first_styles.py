"""The desk's first frame styles each widget once, with the styles a full restyle would give it."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from textual.app import App
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode

from socialdesk.app import SocialDeskApp
from socialdesk.widgets.feed_list import FeedList


def styles_of(node: DOMNode) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A node's rules and its components' rules, as the stylesheet set them."""
    parts = {name: dict(styles.get_rules()) for name, styles in node._component_styles.items()}
    return dict(node.styles.get_rules()), parts


async def test_each_widget_is_styled_once_before_the_first_frame_but_the_focused_feed(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual restyles a screen whenever it is made active. The desk is made active as it starts,
    after each widget was styled as it was mounted: every widget and component was styled a second
    time on the way to the first frame (80 stylings where 46 do). The feed is styled again when it
    takes the focus, its `:focus` rules then apply."""
    styled: Counter[DOMNode] = Counter()
    painted: list[bool] = []
    apply = Stylesheet.apply
    display = App._display

    def counted(self: Stylesheet, node: DOMNode, *args: Any, **kwargs: Any) -> Any:
        if not painted and type(node) is not DOMNode:  # a bare DOMNode stands for a component class
            styled[node] += 1
        return apply(self, node, *args, **kwargs)

    def first_frame(app: App[Any], screen: Any, renderable: Any) -> None:
        display(app, screen, renderable)
        if renderable is not None and not app._batch_count:
            painted.append(True)

    monkeypatch.setattr(Stylesheet, "apply", counted)
    monkeypatch.setattr(App, "_display", first_frame)
    async with desk_app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        feed = desk_app.screen.query_one(FeedList)
    assert painted and len(styled) > 10
    assert {type(node).__name__ for node, times in styled.items() if times > 1 and node is not feed} == set()


async def test_the_first_frames_styles_are_those_of_a_full_restyle(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No class or pseudo-class changed between a widget's styling and the first frame unseen: styling
    the whole screen again at that frame changes no rule of any widget or component."""
    changed: list[str] = []
    checked: list[int] = []
    display = App._display

    def first_frame(app: App[Any], screen: Any, renderable: Any) -> None:
        display(app, screen, renderable)
        if renderable is not None and not app._batch_count and not checked:
            nodes = list(app.screen.walk_children(with_self=True))
            before = [styles_of(node) for node in nodes]
            app.stylesheet.update_nodes(nodes, animate=False)
            changed.extend(
                repr(node) for node, old in zip(nodes, before, strict=True) if styles_of(node) != old
            )
            checked.append(len(nodes))

    monkeypatch.setattr(App, "_display", first_frame)
    async with desk_app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
    assert checked and checked[0] > 10
    assert changed == []
