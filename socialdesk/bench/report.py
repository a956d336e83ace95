"""Formats a run's results as the table the README and the closing note show."""

from __future__ import annotations

from typing import Any


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    return f"{text} {unit}".strip()


def _loads(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def table(results: dict[str, Any]) -> str:
    """A plain-text table: figure, value, baseline, ratio, target, pass/fail; then the machine."""
    header = ("figure", "value", "baseline", "ratio", "target", "result")
    rows = [header]
    for f in results["figures"]:
        verdict = "-" if f["passed"] is None else "pass" if f["passed"] else "FAIL"
        ratio = "-" if f["ratio"] is None else f"{f['ratio']:.2f}x"
        rows.append(
            (
                f["name"],
                _num(f["value"], f["unit"]),
                _num(f["baseline"], f["unit"]),
                ratio,
                f["target"],
                verdict,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:4], widths[1:4], strict=True)]
        cells += [row[4].ljust(widths[4]), row[5]]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    m = results["machine"]
    corpus = results["corpus"]
    lines.append("")
    lines.append(
        f"machine: {m['cpu_count']} cores, Python {m['python']}, SQLite {m['sqlite']}, "
        f"Textual {m['textual']}, {m['platform']}"
    )
    load = m.get("load")
    if load:
        start, end = load["start"], load["end"]
        lines.append(f"load average (1, 5, 15 min): {_loads(start)} at the start, {_loads(end)} at the end")
    lines.append(
        f"cache: {corpus['posts']:,} posts, {corpus['customers']:,} customers "
        f"({'reused' if corpus['reused'] else 'built'}); run took {results['seconds']:.0f} s"
    )
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    """The same table in Markdown (for notes and pull requests)."""
    out = ["| figure | value | baseline | ratio | target | result |", "| --- | --- | --- | --- | --- | --- |"]
    for f in results["figures"]:
        verdict = "-" if f["passed"] is None else "pass" if f["passed"] else "**FAIL**"
        ratio = "-" if f["ratio"] is None else f"{f['ratio']:.2f}x"
        out.append(
            f"| {f['name']} | {_num(f['value'], f['unit'])} | {_num(f['baseline'], f['unit'])} | {ratio} "
            f"| {f['target']} | {verdict} |"
        )
    return "\n".join(out)
