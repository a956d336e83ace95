"""Compares a run of the suite with an earlier one, figure by figure, against the noise between runs.

A figure with a same-run baseline is compared by its ratio (the baseline absorbs the machine's speed
and load), any other by its value. The noise model holds, per figure, the relative difference seen
between two runs of the same commit (`noise_between`); a change counts as a regression or an
improvement only beyond `FACTOR` times that difference, and never below `FLOOR`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec

NOISE_FILE = Path(__file__).resolve().parent.parent / "data" / "bench_noise.json"
FACTOR = 2.0  # one pair of same-commit runs is one sample of the difference: allow twice it
FLOOR = 0.05  # no figure is trusted to move less than 5% between runs
UNKNOWN = 0.25  # a figure the noise model has not seen


def figure_key(name: str) -> str:
    """A figure's name without its counts, so runs at other sizes line up (`10,008 rows` -> `# rows`)."""
    return re.sub(r"\d[\d,.]*", "#", name)


def measured(figure: dict[str, Any]) -> float:
    """What is compared: the ratio to the same-run baseline when there is one, else the value."""
    ratio = figure.get("ratio")
    return float(ratio if ratio is not None else figure["value"])


def higher_is_better(figure: dict[str, Any]) -> bool:
    """Throughputs (targets such as `>= 0.8x`) get better as they grow; times and sizes as they shrink."""
    return str(figure.get("target", "")).lstrip().startswith(">=")


def worse_by(old: float, new: float, higher_better: bool) -> float:
    """How much worse `new` is than `old`, relative to the better of the two (negative: better)."""
    if old <= 0 or new <= 0:
        return 0.0
    change = (new - old) / min(old, new)
    return -change if higher_better else change


def noise_between(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """The noise model from two runs of the same commit: each figure's relative difference."""
    a = {figure_key(f["name"]): f for f in first["figures"]}
    b = {figure_key(f["name"]): f for f in second["figures"]}
    figures = {}
    for key in a.keys() & b.keys():
        x, y = measured(a[key]), measured(b[key])
        if x > 0 and y > 0:
            figures[key] = round(abs(x - y) / min(x, y), 4)
    return {
        "how": "each figure's relative difference (ratio, else value) between two runs of one commit",
        "runs": [_describe_run(first), _describe_run(second)],
        "figures": dict(sorted(figures.items())),
    }


def _describe_run(results: dict[str, Any]) -> dict[str, Any]:
    machine = results.get("machine", {})
    return {
        "commit": results.get("commit", ""),
        "posts": results.get("corpus", {}).get("posts"),
        "cpu_count": machine.get("cpu_count"),
        "load": machine.get("load"),
    }


def load_noise(path: Path = NOISE_FILE) -> dict[str, float]:
    """The stored noise model's figures (empty when none is stored)."""
    if not path.exists():
        return {}
    return {str(k): float(v) for k, v in json.loads(path.read_text())["figures"].items()}


class Row(msgspec.Struct, frozen=True):
    """One figure of the comparison."""

    name: str
    old: float | None
    new: float | None
    unit: str  # "x" for ratios
    worse: float | None  # relative, positive when worse
    allowed: float  # the noise band
    verdict: str  # regression, improvement, within noise, new, gone


def compare(old: dict[str, Any], new: dict[str, Any], noise: dict[str, float]) -> list[Row]:
    """Each figure of `new` beside `old`'s, judged against the noise band; then figures `new` lacks."""
    before = {figure_key(f["name"]): f for f in old["figures"]}
    rows = []
    seen = set()
    for figure in new["figures"]:
        key = figure_key(figure["name"])
        seen.add(key)
        allowed = max(FLOOR, FACTOR * noise.get(key, UNKNOWN))
        unit = "x" if figure.get("ratio") is not None else str(figure["unit"])
        previous = before.get(key)
        if previous is None:
            rows.append(Row(figure["name"], None, measured(figure), unit, None, allowed, "new"))
            continue
        if (previous.get("ratio") is None) != (figure.get("ratio") is None):
            rows.append(Row(figure["name"], None, measured(figure), unit, None, allowed, "new"))
            continue
        worse = worse_by(measured(previous), measured(figure), higher_is_better(figure))
        verdict = "regression" if worse > allowed else "improvement" if -worse > allowed else "within noise"
        rows.append(Row(figure["name"], measured(previous), measured(figure), unit, worse, allowed, verdict))
    for key, figure in before.items():
        if key not in seen:
            unit = "x" if figure.get("ratio") is not None else str(figure["unit"])
            rows.append(Row(figure["name"], measured(figure), None, unit, None, 0.0, "gone"))
    return rows


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "x":
        return f"{value:.2f}x"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}"


def render(rows: list[Row], old_label: str, new_label: str) -> str:
    """A plain-text table: figure, earlier, now, change (+ worse), noise band, verdict."""
    table = [("figure", old_label, new_label, "change", "noise", "verdict")]
    for r in rows:
        change = "-" if r.worse is None else f"{r.worse:+.0%} {'worse' if r.worse > 0 else 'better'}"
        noise = f"±{r.allowed:.0%}" if r.allowed else "-"
        verdict = r.verdict.upper() if r.verdict == "regression" else r.verdict
        table.append((r.name, _num(r.old, r.unit), _num(r.new, r.unit), change, noise, verdict))
    widths = [max(len(row[i]) for row in table) for i in range(6)]
    lines = []
    for n, row in enumerate(table):
        cells = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:5], widths[1:5], strict=True))]
        lines.append("  ".join([*cells, row[5]]))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    regressions = sum(r.verdict == "regression" for r in rows)
    lines.append("")
    lines.append(
        f"{regressions} regression(s) beyond the noise between two runs of one commit "
        f"({FACTOR:g}x the difference seen, at least {FLOOR:.0%})"
    )
    return "\n".join(lines)


def regressed(rows: list[Row]) -> bool:
    """Whether any figure got worse beyond its noise band."""
    return any(r.verdict == "regression" for r in rows)
