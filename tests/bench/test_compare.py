"""`socialdesk bench --compare`: figures lined up across runs and judged against the measured noise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from socialdesk.bench import compare


def cli() -> Any:
    from socialdesk import cli as cli_module

    cli_module._register_commands()
    return cli_module.app


def figure(name: str, value: float, baseline: float | None = None, target: str = "<= 1.5x") -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "unit": "s",
        "target": target,
        "passed": True,
        "baseline": baseline,
        "ratio": None if baseline is None else value / baseline,
        "detail": {},
    }


def run(*figures: dict[str, Any], commit: str = "abc") -> dict[str, Any]:
    return {
        "commit": commit,
        "machine": {"cpu_count": 2},
        "corpus": {"posts": 1000},
        "figures": list(figures),
    }


def test_counts_in_names_do_not_split_a_figure() -> None:
    assert compare.figure_key("peak RSS, cache open, 10,008 rows scrolled") == compare.figure_key(
        "peak RSS, cache open, 10,050 rows scrolled"
    )
    assert compare.figure_key(
        "complete first screen in a terminal, 1,000,000-post cache"
    ) == compare.figure_key("complete first screen in a terminal, 10,000,000-post cache")
    assert compare.figure_key("search p95") != compare.figure_key("thread p95")


def test_a_figure_with_a_baseline_is_judged_by_its_ratio_not_its_value() -> None:
    # The machine was twice as slow the second time, for the desk and its baseline alike: no change.
    old = run(figure("cold start", 0.3, 0.2))
    new = run(figure("cold start", 0.6, 0.4))
    (row,) = compare.compare(old, new, {})
    assert row.old == pytest.approx(1.5) and row.new == pytest.approx(1.5)
    assert row.verdict == "within noise"


def test_a_change_beyond_twice_the_noise_is_a_regression_and_within_it_is_not() -> None:
    noise = {compare.figure_key("key p99"): 0.10}  # 10% between two runs of one commit: band 20%
    old = run(figure("key p99", 10.0))
    assert compare.compare(old, run(figure("key p99", 11.9)), noise)[0].verdict == "within noise"
    assert compare.compare(old, run(figure("key p99", 12.5)), noise)[0].verdict == "regression"
    assert compare.compare(old, run(figure("key p99", 8.0)), noise)[0].verdict == "improvement"


def test_the_band_never_goes_below_the_floor_and_unknown_figures_get_a_wide_one() -> None:
    old = run(figure("steady", 10.0), figure("unmeasured", 10.0))
    new = run(figure("steady", 10.4), figure("unmeasured", 12.0))
    rows = {r.name: r for r in compare.compare(old, new, {"steady": 0.0})}
    assert rows["steady"].allowed == compare.FLOOR and rows["steady"].verdict == "within noise"
    assert rows["unmeasured"].allowed == compare.FACTOR * compare.UNKNOWN
    assert rows["unmeasured"].verdict == "within noise"


def test_a_throughput_regresses_when_it_falls() -> None:
    old = run(figure("sync ingest", 8000.0, 10000.0, target=">= 0.8x"))
    new = run(figure("sync ingest", 6000.0, 10000.0, target=">= 0.8x"))
    (row,) = compare.compare(old, new, {"sync ingest": 0.05})
    assert row.worse is not None and row.worse > 0 and row.verdict == "regression"


def test_new_and_gone_figures_are_listed_not_judged() -> None:
    rows = compare.compare(run(figure("old one", 1.0)), run(figure("new one", 1.0)), {})
    assert [(r.name, r.verdict) for r in rows] == [("new one", "new"), ("old one", "gone")]
    assert not compare.regressed(rows)


def test_the_noise_model_is_each_figures_relative_difference_between_two_runs() -> None:
    first = run(figure("a", 0.30, 0.20), figure("b", 10.0))
    second = run(figure("a", 0.33, 0.20), figure("b", 9.0))
    model = compare.noise_between(first, second)
    assert model["figures"] == {"a": pytest.approx(0.1), "b": pytest.approx(1 / 9, abs=1e-4)}
    assert model["runs"][0]["commit"] == "abc"


def test_the_stored_noise_model_covers_the_suites_figures() -> None:
    noise = compare.load_noise()
    assert noise, "socialdesk/data/bench_noise.json is missing"
    for key in ("cold start to first feed page", "sync ingest of # posts"):
        assert key in noise


def test_the_command_compares_two_files_and_exits_1_on_a_regression(tmp_path: Path) -> None:
    app = cli()
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(run(figure("key p99", 10.0))))
    new.write_text(json.dumps(run(figure("key p99", 30.0))))
    result = CliRunner().invoke(app, ["bench", "--compare", str(old), "--to", str(new)])
    assert result.exit_code == 1, result.output
    assert "REGRESSION" in result.output and "old.json" in result.output
    same = CliRunner().invoke(app, ["bench", "--compare", str(old), "--to", str(old)])
    assert same.exit_code == 0 and "0 regression(s)" in same.output


def test_the_noise_is_saved_only_from_runs_of_one_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = cli()
    monkeypatch.setattr(compare, "NOISE_FILE", tmp_path / "noise.json")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(run(figure("x", 1.0), commit="c1")))
    b.write_text(json.dumps(run(figure("x", 1.1), commit="c2")))
    refused = CliRunner().invoke(app, ["bench", "--compare", str(a), "--to", str(b), "--save-noise"])
    assert refused.exit_code != 0 and not (tmp_path / "noise.json").exists()
    b.write_text(json.dumps(run(figure("x", 1.1), commit="c1")))
    saved = CliRunner().invoke(app, ["bench", "--compare", str(a), "--to", str(b), "--save-noise"])
    assert saved.exit_code == 0, saved.output
    assert json.loads((tmp_path / "noise.json").read_text())["figures"] == {"x": pytest.approx(0.1)}
