"""Macros: the sample playbook, strict validation naming file and macro, fuzzy search, filling."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialdesk.errors import UserError
from socialdesk.models import Agent, PostRow
from socialdesk.services.macros import fill, fill_prompts, load_macros, parse_template, values_for


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "playbook.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_sample_playbook_has_the_promised_macros() -> None:
    macros = load_macros(None)
    names = {m.name for m in macros.items}
    assert {"apology", "dm-invite", "outage-ack", "survey"} <= names
    assert macros.get("ORDER-STATUS").prompts == ("Order number", "Delivery date")
    assert "DM" in macros.public_text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[macro]]\nname = "x"\ntext = "hi {customer.nam}"\n', "macro 'x': unknown variable {customer.nam}"),
        ('[[macro]]\nname = "x"\ntext = "hi"\ncolour = "red"\n', "macro 'x': unknown key 'colour'"),
        ('[[macro]]\nname = "x"\ntext = ""\n', "macro 'x': text must not be empty"),
        ('[[macro]]\ntext = "hi"\n', "macro #1: name must be a non-empty string"),
        ('[[macro]]\nname = "x"\ntext = "a {"\n', "macro 'x': lone '{'"),
        ('[[macro]]\nname = "x"\ntext = "{prompt: }"\n', "needs a label"),
        ('[[macro]]\nname = "x"\ntext = "a"\n[[macro]]\nname = "X"\ntext = "b"\n', "used twice"),
        ('[[macro]]\nname = "x"\nkey = "ab"\ntext = "a"\n', "single character"),
        ('[dm_template]\npublic = "hi {nope}"\n', "dm_template.public: unknown variable {nope}"),
    ],
)
def test_invalid_playbook_names_file_and_macro(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(UserError) as err:
        load_macros(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_fill_uses_variables_prompts_and_sanitises_values() -> None:
    post = PostRow(
        id=1,
        network="x",
        native_id="9",
        account="brand",
        author_native_id="u",
        author_handle="maria",
        author_name="Maria\x1b[31m\nRossi",
        customer_id=None,
        text="",
        created_at=0,
        url="https://x.com/maria/9",
        in_reply_to=None,
        conversation_id="9",
        kind="mention",
        lang="",
        is_ours=False,
        content_warning="",
    )
    values = values_for(post, Agent("Ana"))
    text = fill(
        "{customer.name} ({customer.handle}) {{ok}} #{prompt:Order} {post.url} -{agent.name}",
        values,
        {"Order": "42\u202e"},
    )
    assert text == "Maria Rossi (@maria) {ok} #42 https://x.com/maria/9 -Ana"


def test_survey_invitation_links_the_conversation_without_asking() -> None:
    post = PostRow(
        id=4812, network="bluesky", native_id="at://did:plc:abc/app.bsky.feed.post/3k", account="brand",
        author_native_id="did:plc:abc", author_handle="maria.bsky.social", author_name="Maria",
        customer_id=None, text="", created_at=0, url="", in_reply_to=None, conversation_id=None,
        kind="mention", lang="", is_ours=False, content_warning="",
    )  # fmt: skip
    survey = load_macros(None).get("survey")
    assert survey.prompts == ()  # the agent types nothing: the link already names the conversation
    text = fill(survey.text, values_for(post, Agent("Ana")))
    assert "?c=4812" in text and text.startswith("Thanks Maria!")
    assert fill("{conversation.id}", values_for(None, Agent("Ana"))) == ""


def test_fill_prompts_keeps_variables_for_each_post_and_answers_stay_literal() -> None:
    template = fill_prompts(
        "Hi {customer.name}, see {prompt:Link} {{ok}}", {"Link": "https://s.example/{x}}"}
    )
    assert template == "Hi {customer.name}, see https://s.example/{{x}}}} {{ok}}"
    assert fill(template, {"customer.name": "Ana"}) == "Hi Ana, see https://s.example/{x}} {ok}"


def test_search_is_fuzzy_and_ranks_the_best_first() -> None:
    macros = load_macros(None)
    assert macros.search("sory")[0].name == "apology"
    assert macros.search("outage")[0].name == "outage-ack"
    assert macros.search("srvey")[0].name == "survey"
    assert macros.search("xyzzy") == []
    assert len(macros.search("")) == len(macros.items)


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=30))
def test_text_without_fields_fills_to_itself(text: str) -> None:
    assert parse_template(text, "t") == ()
    assert fill(text, {}) == text
