"""Satisfaction: survey answers import from CSV and JSONL, bad lines are quarantined with the reason,
a re-import adds nothing, and the answers show in the metrics per agent, network and period."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socialdesk.cli import main
from socialdesk.errors import UserError
from socialdesk.services.metrics import Metrics, Period
from socialdesk.services.survey_io import import_survey
from socialdesk.store import Store
from tests.metrics.fixtures import DAY, T0, a_day, reply


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


def iso(ts: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


def answers(store: Store) -> list[tuple[int, int, str, float]]:
    return list(
        store.conn.execute("SELECT post_id, score, comment, answered_at FROM survey_answers ORDER BY id")
    )


def test_csv_answers_import_and_bad_lines_are_quarantined_with_the_reason(
    store: Store, tmp_path: Path
) -> None:
    ids = a_day(store)
    path = tmp_path / "answers.csv"
    path.write_text(
        "conversation,score,comment,answered_at\n"
        f'{ids["p1"]},5,"Quick, and kind\nthanks",{iso(T0 + 5000)}\n'
        f"{ids['p2']},2,,{T0 + 13000}\n"
        f"{ids['p1']},9,too high,{iso(T0 + 6000)}\n"
        f"999999,4,unknown,{iso(T0 + 6000)}\n"
        f"abc,4,,{iso(T0 + 6000)}\n"
        f"{ids['p2']},3,,yesterday\n"
        f"{ids['p2']},3,no time,\n",
        encoding="utf-8",
    )
    report = import_survey(store, path)
    assert (report.imported, report.already, report.quarantined) == (2, 0, 5)
    assert answers(store) == [
        (ids["p1"], 5, "Quick, and kind\nthanks", T0 + 5000),
        (ids["p2"], 2, "", T0 + 13000),
    ]
    sql = "SELECT error FROM quarantine WHERE source = 'survey:answers.csv' ORDER BY id"
    errors = [e for (e,) in store.conn.execute(sql)]
    assert errors == [
        "line 5: score '9' is not a whole number from 1 to 5",
        "line 6: conversation 999999 is not in the cache",
        "line 7: conversation 'abc' is not a conversation id (a number)",
        "line 8: answered_at 'yesterday' is not an ISO 8601 time or unix seconds",
        "line 9: no answered_at (an ISO 8601 time or unix seconds)",
    ]  # the quoted comment spans lines 2 and 3: numbers are the file's lines

    again = import_survey(store, path)
    assert (again.imported, again.already, again.quarantined) == (0, 2, 5)
    assert len(answers(store)) == 2
    assert store.conn.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 5


def test_jsonl_answers_import_and_comments_are_sanitised(store: Store, tmp_path: Path) -> None:
    ids = a_day(store)
    path = tmp_path / "answers.jsonl"
    lines = [
        {
            "conversation_id": str(ids["p4"]),
            "score": 4,
            "comment": "ok\x1b[2J\u202e",
            "answered_at": T0 + 2e4,
        },
        {"conversation": ids["p5"], "score": "1", "answered_at": iso(T0 + 81000)},
        ["not", "an", "object"],
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{broken\n", encoding="utf-8")
    report = import_survey(store, path)
    assert (report.imported, report.quarantined) == (2, 2)
    assert [(p, s, c) for p, s, c, _ in answers(store)] == [(ids["p4"], 4, "ok"), (ids["p5"], 1, "")]


def test_satisfaction_shows_per_agent_network_and_period(store: Store) -> None:
    ids = a_day(store)
    reply(store, ids["p4"], "bluesky", "bob", T0 + 16000)  # bob's survey invitation on p4
    rows = [
        (ids["p1"], 5, T0 + 5000),  # ann replied to p1
        (ids["p2"], 2, T0 + 13000),  # bob replied to p2
        (ids["p4"], 4, T0 + 20000),  # bob, on bluesky
        (ids["p6"], 1, T0 - 1000),  # the previous day
    ]
    store.conn.executemany(
        "INSERT INTO survey_answers (post_id, score, comment, answered_at, imported_at) "
        "VALUES (?, ?, '', ?, 0)",
        rows,
    )
    result = Metrics(store, clock=lambda: T0 + DAY).report(Period(T0, T0 + DAY, "day"), by="agent")
    figures = result.figures.as_dict()
    assert (figures["csat_responses"], figures["csat_average"], figures["csat_share_satisfied"]) == (
        3, round(11 / 3, 4), round(2 / 3, 4),
    )  # fmt: skip
    previous = result.previous.as_dict()
    csat = ("csat_responses", "csat_average", "csat_share_satisfied")
    assert tuple(previous[k] for k in csat) == (1, 1.0, 0.0)
    ann, bob = result.groups["ann"].as_dict(), result.groups["bob"].as_dict()
    assert (ann["csat_responses"], ann["csat_average"]) == (1, 5.0)
    assert (bob["csat_responses"], bob["csat_average"], bob["csat_share_satisfied"]) == (2, 3.0, 0.5)

    by_network = Metrics(store, clock=lambda: T0 + DAY).report(Period(T0, T0 + DAY, "day"), by="network")
    assert {name: f.csat_responses for name, f in by_network.groups.items()} == {
        "x": 1, "mastodon": 1, "bluesky": 1,
    }  # fmt: skip
    assert by_network.groups["bluesky"].csat_average == 4.0


def test_no_answers_is_no_figure_not_zero(store: Store) -> None:
    a_day(store)
    figures = Metrics(store, clock=lambda: T0 + DAY).report(Period(T0, T0 + DAY, "day")).figures.as_dict()
    csat = ("csat_responses", "csat_average", "csat_share_satisfied")
    assert tuple(figures[k] for k in csat) == (0, None, None)


def test_import_survey_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cache.db"
    setup = Store(db)
    ids = a_day(setup)
    setup.close()
    path = tmp_path / "answers.csv"
    text = f"conversation,score,answered_at\n{ids['p1']},4,{iso(T0 + 5000)}\n,4,\n"
    path.write_text(text, encoding="utf-8")
    base = ["--db", str(db), "--config", "/dev/null", "import"]
    main([*base, "--survey", str(path)])
    out = capsys.readouterr().out
    assert "imported 1 survey answers, 0 already imported; 1 lines quarantined" in out
    with pytest.raises(SystemExit) as exc:
        main([*base, "--survey", str(tmp_path / "missing.csv")])
    assert exc.value.code != 0 and "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(base)
    assert "--survey FILE" in capsys.readouterr().err


def test_a_csv_without_its_header_is_refused_whole(store: Store, tmp_path: Path) -> None:
    ids = a_day(store)
    path = tmp_path / "answers.csv"
    path.write_text(f"{ids['p1']},5,,{iso(T0 + 5000)}\n", encoding="utf-8")
    with pytest.raises(UserError, match="the first line must name the columns conversation, score"):
        import_survey(store, path)
    assert answers(store) == []
