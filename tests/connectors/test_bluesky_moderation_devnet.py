"""Bluesky block, mute and spam report against the AT Protocol dev network (the real PDS and AppView)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from socialdesk.connectors.base import ConnectorError, ModerationTarget
from socialdesk.connectors.bluesky import BlueskyConnector
from tests.connectors.test_bluesky_devnet import (  # noqa: F401 - fixtures
    Pds,
    app_password,
    brand,
    connect,
    conversation,
    customer,
    devnet,
    eventually,
)

pytestmark = pytest.mark.atproto_devnet


def target(author: Pds, posts: dict[str, Any]) -> ModerationTarget:
    mention = posts["mention"]
    return ModerationTarget(
        author.did, author.handle, mention["uri"], {"uri": mention["uri"], "cid": mention["cid"]}, "spam"
    )


def test_block_writes_a_block_record_in_our_repo(
    connect: Callable[..., BlueskyConnector],  # noqa: F811
    brand: Pds,  # noqa: F811
    customer: Pds,  # noqa: F811
    conversation: dict[str, Any],  # noqa: F811
) -> None:
    assert connect().moderate("block", target(customer, conversation)) == f"@{customer.handle} blocked"
    records = brand.call(
        "GET", "com.atproto.repo.listRecords", repo=brand.did, collection="app.bsky.graph.block"
    )
    assert customer.did in {r["value"]["subject"] for r in records["records"]}
    for record in records["records"]:  # leave the dev network as the other tests expect it
        if record["value"]["subject"] == customer.did:
            rkey = record["uri"].rsplit("/", 1)[-1]
            brand.call(
                "POST",
                "com.atproto.repo.deleteRecord",
                {"repo": brand.did, "collection": "app.bsky.graph.block", "rkey": rkey},
            )


def test_mute_is_kept_by_the_appview(
    connect: Callable[..., BlueskyConnector],  # noqa: F811
    brand: Pds,  # noqa: F811
    customer: Pds,  # noqa: F811
    conversation: dict[str, Any],  # noqa: F811
) -> None:
    assert connect().moderate("mute", target(customer, conversation)) == f"@{customer.handle} muted"
    muted = eventually(
        lambda: [
            a for a in brand.call("GET", "app.bsky.graph.getMutes")["mutes"] if a["did"] == customer.did
        ],
        "the mute in getMutes",
    )
    assert muted
    headers = {"Authorization": f"Bearer {brand.token}"}  # no output: an empty body, not JSON
    brand.http.post("/xrpc/app.bsky.graph.unmuteActor", json={"actor": customer.did}, headers=headers)


def test_report_reaches_the_moderation_service_or_says_why_not(
    connect: Callable[..., BlueskyConnector],  # noqa: F811
    customer: Pds,  # noqa: F811
    conversation: dict[str, Any],  # noqa: F811
) -> None:
    try:
        result = connect().moderate("report", target(customer, conversation))
    except ConnectorError as exc:  # a dev network without a moderation service refuses, in one line
        assert "\n" not in str(exc) and str(exc)
        pytest.skip(f"the dev network has no moderation service: {exc}")
    assert result.startswith(f"@{customer.handle} reported as spam")
