"""Charts drawn on the server as SVG, so that a page and its PDF show the same chart, each with the
table of its figures beside it (the table is the chart's accessible form, and what `pdftotext` reads).

Plain SVG written here, not a charting library: the two kinds needed (a line over time and
horizontal bars for splits) are about a hundred lines, and a library would cost more than it saves.
- pygal draws its charts with an inline <style> element and script-driven tooltips: the
  Content-Security-Policy (style-src 'self' + the page's nonce, script-src 'self') blocks both on
  the page, so its output would need rewriting anyway; matplotlib is a large dependency (numpy,
  fonts, a rendering backend) for two simple shapes, writes style attributes as well, and its SVG
  carries generated ids and metadata that differ between runs.
- What is drawn here uses SVG presentation attributes only (fill, stroke, stroke-dasharray,
  font-size): CSP's style-src governs <style> elements and style="" attributes, not presentation
  attributes, so the chart needs neither a nonce nor 'unsafe-inline'; there is no <script>.
- WeasyPrint renders inline SVG with these attributes (it ignores what CSP would block anyway).
- The output is a pure function of the figures: the same input gives byte-for-byte the same SVG,
  ids included (derived from the content), which keeps tests exact.
Colours come from a fixed palette that reads on white (contrast ≥ 4.5:1); lines differ by dash
pattern, the bars of a group by lightness and their fixed order, so no series is told apart by
colour alone; the table beside the chart has every figure.
"""
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Dark enough on white for text and thin lines (WCAG contrast ≥ 4.5:1).
PALETTE = ("#1f5fa8", "#b3461a", "#2e7031", "#6a3d9a")
# Solid, dashed, dotted, dash-dot: the second line differs from the first without colour.
DASHES = ("", "8 4", "2 3", "8 3 2 3")
WIDTH = 640
LINE_HEIGHT = 320
FONT = 'font-family="sans-serif"'
# At most this many labels under a line chart's x axis: a month's days would overlap.
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]


@dataclass(frozen=True)
class Chart:
    title: str
    svg: SafeString
    headers: list[str]
    rows: list[list[str]]


def nice_ticks(low: int, high: int, *, count: int = 5) -> list[int]:
    """Round axis ticks from at most `low` to at least `high`, 0 among them: steps of 1, 2 or 5
    times a power of ten, about `count` of them. Whole numbers, as the values are."""
    low, high = min(low, 0), max(high, 0)
    if low == high:
        return [0, 1] if high == 0 else [0, high]
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(factor * power for factor in (1, 2, 5, 10) if factor * power >= raw)
    step = max(1, int(step))
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    return list(range(first, last + step, step))


def _number(value: float) -> str:
    """A coordinate with at most one decimal, written the same way every time."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _ids(kind: str, title: str, labels: list[str], series: list[Series]) -> str:
    content = repr((kind, title, labels, [(s.label, s.values) for s in series]))
    return "chart-" + hashlib.sha256(content.encode()).hexdigest()[:10]


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, fill: str = "#333333",
          extra: str = "") -> str:
    return (f'<text x="{_number(x)}" y="{_number(y)}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{fill}"{extra}>{escape(text)}</text>')


def _open(chart_id: str, title: str, description: str, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="{chart_id}-title" '
        f'aria-describedby="{chart_id}-desc" {FONT}>',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def _legend(series: list[Series], *, y: float, lines: bool) -> list[str]:
    """One entry per series: a sample of its line (with its dash) or bar, and its name."""
    parts, x = [], 16.0
    if len(series) < 2:
        return parts
    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        if lines:
            dash = DASHES[index % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<line x1="{_number(x)}" y1="{_number(y - 4)}" x2="{_number(x + 28)}" '
                         f'y2="{_number(y - 4)}" stroke="{colour}" stroke-width="3"{dash_attr}/>')
        else:
            parts.append(f'<rect x="{_number(x + 8)}" y="{_number(y - 10)}" width="12" height="12" '
                         f'fill="{colour}" opacity="{_bar_opacity(index)}"/>')
        parts.append(_text(x + 34, y, one.label))
        # Room for the name also where a phone shows the words larger (charts.css).
        x += 34 + 11 * len(one.label) + 24
    return parts


def _bar_opacity(index: int) -> str:
    # Grouped bars also differ in lightness, for readers who do not tell the colours apart.
    return ("1", "0.6", "0.85", "0.45")[index % 4]


def _empty(parts: list[str], height: int) -> SafeString:
    parts.append(f'<rect x="1" y="1" width="{WIDTH - 2}" height="{height - 2}" fill="none" stroke="#cccccc"/>')
    parts.append(_text(WIDTH / 2, height / 2, _("No data for this period"), anchor="middle", size=14,
                       fill="#555555"))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _table(label_header: str, labels: list[str], series: list[Series],
           value_text: Callable[[int], str]) -> tuple[list[str], list[list[str]]]:
    headers = [label_header, *(one.label for one in series)]
    rows = [[label, *(value_text(one.values[index]) for one in series)] for index, label in enumerate(labels)]
    return headers, rows


def _has_data(labels: list[str], series: list[Series]) -> bool:
    return bool(labels) and any(value for one in series for value in one.values)


def _check(labels: list[str], series: list[Series]) -> None:
    for one in series:
        if len(one.values) != len(labels):
            raise ValueError(f"series {one.label!r} has {len(one.values)} values for {len(labels)} labels")


def line_chart(*, title: str, labels: list[str], series: list[Series], value_text: Callable[[int], str],
               label_header: str | None = None) -> Chart:
    """Values over time: one line per series (the period and the previous one beside it), each
    with its own dash pattern and point markers; the y axis on round ticks in value_text's format."""
    _check(labels, series)
    headers, rows = _table(label_header or _("Period"), labels, series, value_text)
    chart_id = _ids("line", title, labels, series)
    description = "; ".join(f"{one.label}: " + ", ".join(f"{label} {value_text(value)}"
                                                         for label, value in zip(labels, one.values, strict=True))
                            for one in series) or _("No data for this period")
    height = LINE_HEIGHT
    parts = _open(chart_id, title, description, height)
    if not _has_data(labels, series):
        return Chart(title, _empty(parts, height), headers, rows)

    values = [value for one in series for value in one.values]
    ticks = nice_ticks(min(values), max(values))
    left, right, top, bottom = 96.0, WIDTH - 16.0, 36.0 if len(series) > 1 else 16.0, height - 40.0
    span = ticks[-1] - ticks[0]

    def y_of(value: int) -> float:
        return bottom - (value - ticks[0]) / span * (bottom - top)

    def x_of(index: int) -> float:
        return (left + right) / 2 if len(labels) == 1 else left + index * (right - left) / (len(labels) - 1)

    parts += _legend(series, y=20, lines=True)
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line x1="{_number(left)}" y1="{_number(y)}" x2="{_number(right)}" y2="{_number(y)}" '
                     f'stroke="{"#888888" if tick == 0 else "#e0e0e0"}" stroke-width="1"/>')
        parts.append(_text(left - 6, y + 4, value_text(tick), anchor="end", size=11))
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for index, label in enumerate(labels):
        if index % every == 0 or index == len(labels) - 1 and len(labels) <= MAX_X_LABELS:
            parts.append(_text(x_of(index), bottom + 20, label, anchor="middle", size=11))
    for number, one in enumerate(series):
        colour, dash = PALETTE[number % len(PALETTE)], DASHES[number % len(DASHES)]
        points = " ".join(f"{_number(x_of(index))},{_number(y_of(value))}" for index, value in enumerate(one.values))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline class="chart-series" data-series={quoteattr(one.label)} points="{points}" '
                     f'fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr} stroke-linejoin="round"/>')
        for index, value in enumerate(one.values):
            parts.append(f'<circle cx="{_number(x_of(index))}" cy="{_number(y_of(value))}" r="3" fill="{colour}"/>')
    parts.append("</svg>")
    return Chart(title, mark_safe("".join(parts)), headers, rows)


BAR_HEIGHT = 14
BAR_GAP = 10


def bar_chart(*, title: str, labels: list[str], series: list[Series], value_text: Callable[[int], str],
              label_header: str | None = None) -> Chart:
    """Horizontal bars for a split (gender, age band, postcode area, terminal, staff member): one
    row per label, a bar per series in it, its length proportional to the value, the value written
    at its end."""
    _check(labels, series)
    headers, rows = _table(label_header or _("Group"), labels, series, value_text)
    chart_id = _ids("bar", title, labels, series)
    description = "; ".join(f"{label}: " + ", ".join(
        f"{one.label} {value_text(one.values[index])}" if len(series) > 1 else value_text(one.values[index])
        for one in series) for index, label in enumerate(labels)) or _("No data for this period")
    top = 36.0 if len(series) > 1 else 12.0
    group = BAR_HEIGHT * max(1, len(series)) + BAR_GAP
    if not _has_data(labels, series):
        parts = _open(chart_id, title, description, 160)
        return Chart(title, _empty(parts, 160), headers, rows)
    height = int(top + group * len(labels) + 28)
    parts = _open(chart_id, title, description, height)
    values = [value for one in series for value in one.values]
    ticks = nice_ticks(min(values), max(values), count=4)
    left, right = 170.0, WIDTH - 96.0
    span = ticks[-1] - ticks[0]

    def x_of(value: int) -> float:
        return left + (value - ticks[0]) / span * (right - left)

    parts += _legend(series, y=20, lines=False)
    axis_bottom = top + group * len(labels)
    for tick in ticks:
        x = x_of(tick)
        parts.append(f'<line x1="{_number(x)}" y1="{_number(top - 4)}" x2="{_number(x)}" '
                     f'y2="{_number(axis_bottom)}" stroke="{"#888888" if tick == 0 else "#e0e0e0"}" stroke-width="1"/>')
        parts.append(_text(x, axis_bottom + 16, value_text(tick), anchor="middle", size=11))
    zero = x_of(0)
    for index, label in enumerate(labels):
        row_top = top + index * group
        shown = label if len(label) <= 24 else label[:23] + "…"
        parts.append(_text(left - 8, row_top + group / 2, shown, anchor="end",
                           extra=' dominant-baseline="middle"'))
        for number, one in enumerate(series):
            value = one.values[index]
            y = row_top + number * BAR_HEIGHT
            x, width = (zero, x_of(value) - zero) if value >= 0 else (x_of(value), zero - x_of(value))
            parts.append(f'<rect class="chart-bar" data-series={quoteattr(one.label)} data-value="{value}" '
                         f'x="{_number(x)}" y="{_number(y)}" width="{_number(width)}" '
                         f'height="{BAR_HEIGHT - 2}" fill="{PALETTE[number % len(PALETTE)]}" '
                         f'opacity="{_bar_opacity(number)}"/>')
            parts.append(_text(max(x + width, zero) + 4, y + BAR_HEIGHT / 2, value_text(value), size=11,
                               extra=' dominant-baseline="middle"'))
    parts.append("</svg>")
    return Chart(title, mark_safe("".join(parts)), headers, rows)
