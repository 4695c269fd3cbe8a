"""Charts as PNG (matplotlib, the Agg renderer, no display needed): the confirmation rate
by department, and the confirmations over the days of the window.

A Figure is built directly (not through pyplot), so nothing is shared between calls and
the charts can be drawn from any thread. DejaVu Sans, which matplotlib ships, has every
Vietnamese letter.
"""

from __future__ import annotations

import io
from collections import defaultdict

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.domain.dates import format_date_short_vi
from bot.domain.texts import t
from bot.services.report_data import Report

WIDTH_INCHES = 10
DPI = 100  # 1000 px wide: well inside Telegram's photo limits (width + height ≤ 10,000, ratio ≤ 20)
MAX_BARS = 40  # departments drawn at most (about 2,300 px high in all)


def department_rates(report: Report) -> list[tuple[str, float]]:
    """Share of members who confirmed every section, by department, over every campaign of the report."""
    members: dict[str, int] = defaultdict(int)
    complete: dict[str, int] = defaultdict(int)
    for item in report.campaigns:
        for row in item.counts.rows:
            members[row.department] += row.members
            complete[row.department] += row.all_confirmed
    return sorted(((d, complete[d] / members[d] if members[d] else 0.0) for d in members), key=lambda x: x[0])


def to_png(report: Report) -> bytes:
    rates = department_rates(report)
    hidden = max(len(rates) - MAX_BARS, 0)
    if hidden:  # the lowest rates, where attention is needed; the image stays within Telegram's limits
        rates = sorted(sorted(rates, key=lambda x: x[1])[:MAX_BARS], key=lambda x: x[0])
    height = 3.0 + 0.35 * max(len(rates), 3) + 3.5
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    by_department, over_days = figure.subplots(2, 1, height_ratios=[max(len(rates), 3), 8])

    names = [name for name, _ in rates][::-1]
    values = [100 * rate for _, rate in rates][::-1]
    bars = by_department.barh(names, values, color="#2b6cb0")
    by_department.bar_label(bars, labels=[f"{v:.0f}%" for v in values], padding=3, fontsize=9)
    by_department.set_xlim(0, 110)
    by_department.set_xlabel(t("rpt.chart.rate_axis"))
    by_department.set_title(
        t("rpt.chart.by_department_lowest", shown=MAX_BARS, total=MAX_BARS + hidden) if hidden
        else t("rpt.chart.by_department"), loc="left", fontweight="bold")

    for item in report.campaigns:
        if not item.daily:
            continue
        labels = [format_date_short_vi(day) for day, _ in item.daily]
        counts = [count for _, count in item.daily]
        if len(report.campaigns) == 1:
            over_days.bar(range(len(counts)), counts, color="#38a169")
            over_days.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
        else:
            over_days.plot(range(len(counts)), counts, marker="o", label=t("rpt.chart.campaign", id=item.campaign.id))
    if len(report.campaigns) > 1:
        over_days.set_xlabel(t("rpt.chart.day_of_window"))
        over_days.legend(fontsize=8)
    over_days.yaxis.set_major_locator(MaxNLocator(integer=True))
    over_days.set_ylabel(t("rpt.chart.confirmations_axis"))
    over_days.set_title(t("rpt.chart.over_days"), loc="left", fontweight="bold")
    if len(report.campaigns) == 1:
        title = report.campaigns[0].title
    else:
        title = t("rpt.period_title", period=report.period.label if report.period else "")
    figure.suptitle(title[:110], fontsize=11)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
