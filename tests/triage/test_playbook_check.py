"""`playbook check`: every section validated, errors (refused) apart from warnings (loaded, said)."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialdesk.services.playbook import load_playbook
from socialdesk.services.playbook_check import CheckReport, check_playbook

GOOD_MACRO = '[[macro]]\nname = "ack"\nkey = "a"\ntext = "Hi {customer.name}"\n'
GOOD_QUEUE = '[[queue]]\nname = "Outages"\nkey = 1\nquery = "tag:outage is:open"\n'
GOOD_RULE = '[[rule]]\nname = "outage"\nkeywords = ["outage"]\nqueue = "outages"\n'


def check(tmp_path: Path, text: str, **kw: object) -> CheckReport:
    path = tmp_path / "pb.toml"
    path.write_text(text, encoding="utf-8")
    return check_playbook(load_playbook(path), **kw)  # type: ignore[arg-type]


def test_a_good_playbook_has_no_findings(tmp_path: Path) -> None:
    report = check(tmp_path, GOOD_MACRO + GOOD_QUEUE + GOOD_RULE)
    assert report.ok and report.errors == [] and report.warnings == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[macro]]\nname = "m"\ntext = "Hi {customer.first_name}"\n',
            "unknown variable {customer.first_name}",
        ),
        (GOOD_MACRO + '[[macro]]\nname = "ack"\ntext = "again"\n', "macro 'ack': the name is used twice"),
        (GOOD_MACRO + '[[macro]]\nname = "b"\nkey = "a"\ntext = "x"\n', "key 'a' is used twice"),
        ('[[macro]]\nname = "m"\ntext = "order {prompt:}"\n', "{prompt:} needs a label"),
        ('[[macro]]\nname = "m"\ntext = "a { b"\n', "lone '{'"),
        (
            '[[queue]]\nname = "Open"\nkey = 1\nquery = "is:opne"\n',
            "queue 'Open': query 'is:opne': is: unknown value 'opne'",
        ),
        ('[[queue]]\nname = "Ten"\nkey = 10\nquery = ""\n', "key must be a number 1-9, got 10"),
        (GOOD_QUEUE + '[[queue]]\nname = "B"\nkey = 1\nquery = ""\n', "key 1 is used twice"),
        ('[[rule]]\nname = "es"\nlang = "spanish"\n', "'spanish' is not a language code"),
        ('[[rule]]\nname = "f"\nfollowers_min = 500\nfollowers_max = 100\n', "followers_min 500 is above"),
        (
            "[[rule]]\nname = \"r\"\nregex = ['ok', '(unclosed']\n",
            "'(unclosed' is not a valid regular expression",
        ),
        ('[[rule]]\nname = "k"\nkeyword = "refund"\n', "unknown key 'keyword'"),
    ],
)
def test_errors_name_the_file_and_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    report = check(tmp_path, text)
    assert not report.ok
    assert any(message in e and "pb.toml" in e for e in report.errors), report.errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD_QUEUE + '[[rule]]\nname = "b"\nkeywords = ["refund"]\nqueue = "billing"\n',
            "routes to queue 'billing'",
        ),
        ('[[rule]]\nname = "t"\nnetwork = "twiter"\nkeywords = ["x"]\n', "network 'twiter' is not"),
        ('[[rule]]\nname = "a"\nkeywords = ["refund"]\nassign = "dnaa"\n', "assigns to 'dnaa'"),
        ('[[rule]]\nkeywords = ["refund"]\n', "rule 1 has no name"),
        ('[[rule]]\nname = "all"\npriority = 3\n', "rule 'all' has no conditions: it matches every post"),
    ],
)
def test_warnings_load_but_are_said(tmp_path: Path, text: str, message: str) -> None:
    report = check(tmp_path, text, networks={"x", "mastodon"}, agents={"dana"})
    assert report.ok, report.errors
    assert any(message in w for w in report.warnings), report.warnings


def test_every_section_is_checked_not_only_the_first_error(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        '[[macro]]\nname = "m"\ntext = "{nope}"\n'
        '[[queue]]\nname = "Q"\nkey = 1\nquery = "is:opne"\n'
        '[[rule]]\nname = "a"\nkeyword = "x"\n'
        '[[rule]]\nname = "b"\nlang = "spanish"\n'
        "[vip]\nx = 3\n",
    )
    joined = "\n".join(report.errors)
    for part in ("{nope}", "is:opne", "unknown key 'keyword'", "'spanish'", "vip.x"):
        assert part in joined, joined


def test_the_bundled_playbook_has_no_errors() -> None:
    report = check_playbook(load_playbook(None))
    assert report.ok, report.errors


def test_a_mastodon_vip_without_a_server_is_warned_about(tmp_path: Path) -> None:
    report = check(tmp_path, '[vip]\nmastodon = ["@chefmarta", "@ana@mastodon.example"]\n')
    assert report.ok
    assert report.warnings == [
        f"{tmp_path / 'pb.toml'}: vip.mastodon: '@chefmarta' has no server, so it matches nobody: "
        "Mastodon authors are @user@server (write '@chefmarta@your.server')"
    ]
