"""The metrics screen (`M`): the period's figures against the previous one, charts, and a breakdown."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from socialdesk.errors import UserError
from socialdesk.services import metrics_format as fmt
from socialdesk.services.metrics import GROUPINGS, Metrics, Period, Report, parse_period, parse_range

if TYPE_CHECKING:
    from socialdesk.context import Context

PERIODS = (("today", "Today"), ("7d", "7 days"), ("30d", "30 days"))
MAX_LABELS = 8  # time labels under the volume chart
CUSTOM = len(PERIODS)  # the period index of the one the agent typed (`c`)


class MetricsLoaded(Message):
    """A report was computed in a worker."""

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report


class MetricsScreen(Screen[None]):
    """Figures for today, 7 or 30 days (`d` `w` `m`) or a period typed in (`c`), broken down by `b`;
    `escape` back to the desk."""

    DEFAULT_CSS = """
    MetricsScreen {
        & #metrics-title { height: 1; padding: 0 1; background: $primary; color: $text; text-style: bold; }
        & #metrics-body { height: 1fr; }
        & #metrics-figures { width: 64; padding: 0 1; }
        & #metrics-charts { width: 1fr; }
        & PlotextPlot { height: 1fr; }
        & #metrics-groups { height: auto; max-height: 12; padding: 0 1; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "period(0)", "Today", id="metrics.today"),
        Binding("w", "period(1)", "7 days", id="metrics.week"),
        Binding("m", "period(2)", "30 days", id="metrics.month"),
        Binding("c", "custom", "Custom", id="metrics.custom"),
        Binding("b", "breakdown", "Breakdown", id="metrics.breakdown"),
        Binding("escape,M", "close", "Back", id="metrics.close"),
    ]

    def __init__(self, ctx: Context, metrics: Metrics) -> None:
        super().__init__()
        self.ctx = ctx
        self.metrics = metrics
        self.period_index = 1
        self.by: str | None = None
        self.custom: Period | None = None
        self.report: Report | None = None

    def compose(self) -> ComposeResult:
        yield Static("Metrics", id="metrics-title")
        with Horizontal(id="metrics-body"):
            yield Static("Reading the cache…", id="metrics-figures")
            with Vertical(id="metrics-charts"):
                yield PlotextPlot(id="metrics-volume")
                yield PlotextPlot(id="metrics-sentiment")
        yield Static("", id="metrics-groups")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def action_period(self, index: int) -> None:
        self.period_index = index
        self.load()

    def action_custom(self) -> None:
        """Ask for a period ("2026-11-01 .. 2026-11-08", "2026-11-20T09:00", "48h") and show it."""
        from socialdesk.screens.note import PromptScreen

        def period_of(text: str) -> Period:
            return parse_range(text, self.metrics.clock(), self.metrics.hours)

        def validate(text: str) -> str | None:
            try:
                period_of(text)
            except UserError as exc:
                return str(exc)
            return None

        def done(text: str | None) -> None:
            if text:
                self.custom, self.period_index = period_of(text), CUSTOM
                self.load()

        title = "Period: a start, or start .. end, in the team's time zone (dates, date and time, 48h, 2w)"
        self.app.push_screen(PromptScreen(title, "2026-11-01 .. 2026-11-08", validate), done)

    def action_breakdown(self) -> None:
        options: list[str | None] = [None, *GROUPINGS]
        self.by = options[(options.index(self.by) + 1) % len(options)]
        self.load()

    def action_close(self) -> None:
        self.dismiss()

    @work(thread=True, group="metrics", exclusive=True, exit_on_error=False, description="Computing metrics")
    def load(self) -> None:
        if self.period_index == CUSTOM and self.custom is not None:
            period = self.custom
        else:
            since, _ = PERIODS[self.period_index]
            period = parse_period(since, None, self.metrics.clock(), self.metrics.hours)
        self.post_message(MetricsLoaded(self.metrics.report(period, by=self.by)))

    def on_metrics_loaded(self, message: MetricsLoaded) -> None:
        report = self.report = message.report
        label = report.period.label if self.period_index == CUSTOM else PERIODS[self.period_index][1]
        breakdown = f" · by {report.by}" if report.by else ""
        before = report.period.previous()
        self.query_one("#metrics-title", Static).update(
            Text(f"Metrics · {label}{breakdown} · compared with {self._span(before.since, before.until)}")
        )
        self.query_one("#metrics-figures", Static).update(self._figures(report))
        self._volume_chart(report)
        self._sentiment_chart(report)
        self.query_one("#metrics-groups", Static).update(self._groups(report))

    # -- drawing ---------------------------------------------------------------------------------

    def _span(self, since: float, until: float) -> str:
        """A stretch of time in the team's zone: "10 Nov 00:00 – 17 Nov 00:00"."""
        zone = self.metrics.hours.zone
        return " – ".join(dt.datetime.fromtimestamp(t, zone).strftime("%d %b %H:%M") for t in (since, until))

    @staticmethod
    def _figures(report: Report) -> Table:
        table = Table(expand=True, box=None, header_style="bold")
        table.add_column("Figure")
        for name in ("Now", "Before", "Change"):
            table.add_column(name, justify="right")
        for row in fmt.as_table_rows(report):
            table.add_row(*(Text(cell) for cell in row))
        backlog = report.backlog
        table.add_row(Text("Backlog now"), Text(f"{backlog.size:,}"), Text(""), Text(""))
        table.add_row(Text("  older than 1 h"), Text(f"{backlog.older_than_hour:,}"), Text(""), Text(""))
        return table

    def _volume_chart(self, report: Report) -> None:
        widget = self.query_one("#metrics-volume", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        buckets = report.volume.buckets
        zone = self.metrics.hours.zone
        pattern = "%H:%M" if report.volume.bucket == "hour" else "%d %b"
        labels = [dt.datetime.fromtimestamp(start, zone).strftime(pattern) for start, _ in buckets]
        networks = sorted({name for _, counts in buckets for name in counts})
        if networks:
            series = [[counts.get(name, 0) for _, counts in buckets] for name in networks]
            plt.stacked_bar(labels, series, labels=networks)  # type: ignore[call-arg]  # stub lags the code
            # Our own choice of labels (bars sit at 1..n): plotext's thinning of 30 hourly labels came
            # out differently from one drawing to the next.
            step = math.ceil(len(labels) / MAX_LABELS)
            plt.xticks(list(range(1, len(labels) + 1, step)), labels[::step])
        plt.title(f"Posts per {report.volume.bucket}")
        widget.refresh()

    def _sentiment_chart(self, report: Report) -> None:
        widget = self.query_one("#metrics-sentiment", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        names = ["positive", "neutral", "negative"]
        plt.bar(names, [report.figures.sentiment.get(n, 0) for n in names], orientation="horizontal")
        plt.title("Sentiment")
        widget.refresh()

    @staticmethod
    def _groups(report: Report) -> Table | Text:
        if not report.groups:
            return Text("b: break down by agent, network, saved queue or tag", style="dim")
        header, rows = fmt.group_rows(report)
        table = Table(expand=True, box=None, header_style="bold")
        table.add_column(header[0], no_wrap=True)
        for name in header[1:]:
            table.add_column(name, justify="right")
        for cells in rows:
            table.add_row(*(Text(cell) for cell in cells))
        return table
