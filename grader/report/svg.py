"""Charts as inline SVG, drawn here so a page needs neither script nor network to show them.

Hand-written on purpose: no small, maintained Python library renders accessible static SVG
(``<title>``, ``<desc>``, no script) without heavy dependencies, and these few chart shapes are
short to draw. Every chart is ``role="img"`` with a title and a description that says in words
what the picture shows; each mark carries its own ``<title>`` for a tooltip. Colours come from
the page's stylesheet through class names (``pass``, ``fail``, ...), so a chart prints and reads
like the page around it. All text goes through ``escape``: labels can come from students.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

from grader.report.text import plain, shorten

_FONT = 12  # user units; labels are measured with an average glyph width of 0.6 em
_CHAR = _FONT * 0.6
_GOLDEN = 0.6180339887


def _n(value: float) -> str:
    """Coordinates with one decimal at most: small files, no ``-0``."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(attributes: dict[str, object]) -> Markup:
    return Markup("").join(
        Markup(' {}="{}"').format(name.rstrip("_").replace("_", "-"), value)
        for name, value in attributes.items()
        if value is not None
    )


def _el(tag: str, content: str = "", **attributes: object) -> Markup:
    """One element; ``content`` is escaped unless it is already markup."""
    if not content:
        return Markup("<{}{}/>").format(Markup(tag), _attrs(attributes))
    return Markup("<{}{}>{}</{}>").format(Markup(tag), _attrs(attributes), content, Markup(tag))


def _tip(text: str) -> Markup:
    return _el("title", plain(text))


def slug(text: str) -> str:
    """An id fragment from any text, for ``aria-labelledby`` within one page."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def _frame(
    chart_id: str,
    size: tuple[float, float],
    body: Sequence[Markup],
    *,
    title: str,
    desc: str,
    css: str = "chart",
) -> Markup:
    width, height = size
    ident = slug(chart_id)
    head = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="{css}" viewBox="0 0 {w} {h}" '
        'width="{w}" height="{h}" role="img" aria-labelledby="{i}-t {i}-d" '
        'font-size="{font}" preserveAspectRatio="xMinYMin meet">'
        '<title id="{i}-t">{title}</title><desc id="{i}-d">{desc}</desc>'
    ).format(
        css=css,
        w=_n(width),
        h=_n(height),
        i=ident,
        font=_FONT,
        title=plain(title),
        desc=plain(desc),
    )
    return head + Markup("").join(body) + Markup("</svg>")


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", css: str | None = None
) -> Markup:
    return _el("text", plain(text), x=_n(x), y=_n(y), text_anchor=anchor, class_=css)


@dataclass(frozen=True)
class Bin:
    """One bar of a histogram."""

    label: str
    count: int


def histogram(
    bins: Sequence[Bin], *, chart_id: str, title: str, desc: str, x_label: str, y_label: str
) -> Markup:
    """Vertical bars with their counts written on top, so no value needs reading off an axis."""
    width, height = 760.0, 260.0
    left, right, top, bottom = 44.0, 10.0, 16.0, 48.0
    plot_w, plot_h = width - left - right, height - top - bottom
    most = max((b.count for b in bins), default=0)
    step = _nice_step(most)
    ceiling = max(step * math.ceil(most / step), step)
    slot = plot_w / max(len(bins), 1)
    body: list[Markup] = []
    tick = 0
    while tick <= ceiling:
        y = top + plot_h - plot_h * tick / ceiling
        body.append(
            _el("line", x1=_n(left), x2=_n(width - right), y1=_n(y), y2=_n(y), class_="grid")
        )
        body.append(_text(left - 6, y + 4, str(tick), anchor="end", css="tick"))
        tick += step
    for index, item in enumerate(bins):
        x = left + index * slot
        bar_h = plot_h * item.count / ceiling
        noun = "submission" if item.count == 1 else "submissions"
        tip = _tip(f"{item.label}: {item.count} {noun}")
        if item.count:
            body.append(
                _el(
                    "rect",
                    tip,
                    x=_n(x + 3),
                    y=_n(top + plot_h - bar_h),
                    width=_n(slot - 6),
                    height=_n(bar_h),
                    class_="bar",
                )
            )
            body.append(
                _text(x + slot / 2, top + plot_h - bar_h - 4, str(item.count), anchor="middle")
            )
        body.append(_text(x + slot / 2, top + plot_h + 16, item.label, anchor="middle", css="tick"))
    body.append(
        _el(
            "line",
            x1=_n(left),
            x2=_n(width - right),
            y1=_n(top + plot_h),
            y2=_n(top + plot_h),
            class_="axis",
        )
    )
    body.append(_text(left + plot_w / 2, height - 8, x_label, anchor="middle", css="label"))
    body.append(
        _el(
            "text",
            plain(y_label),
            x="0",
            y="0",
            text_anchor="middle",
            class_="label",
            transform=f"translate(12 {_n(top + plot_h / 2)}) rotate(-90)",
        )
    )
    return _frame(chart_id, (width, height), body, title=title, desc=desc)


def _nice_step(most: int) -> int:
    """Gridline spacing giving at most about five lines: 1, 2, 5, 10, 20, 50, ..."""
    for magnitude in (1, 10, 100, 1000, 10000):
        for factor in (1, 2, 5):
            if most <= 5 * factor * magnitude:
                return factor * magnitude
    return int(10 ** max(len(str(most)) - 1, 0))


@dataclass(frozen=True)
class RateRow:
    """One criterion across the class: how many passed, got part of the points, or failed."""

    label: str
    passed: int
    partial: int
    failed: int

    @property
    def total(self) -> int:
        """Submissions in which the criterion was checked."""
        return self.passed + self.partial + self.failed


def rate_bars(rows: Sequence[RateRow], *, chart_id: str, title: str, desc: str) -> Markup:
    """Horizontal stacked bars, one per criterion: pass, partial, fail, and the pass rate."""
    label_w, bar_w, value_w, row_h = 330.0, 470.0, 60.0, 22.0
    width = label_w + bar_w + value_w
    axis_y = row_h * len(rows) + 4
    height = axis_y + 24
    body: list[Markup] = []
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        x = label_w + bar_w * fraction
        body.append(_el("line", x1=_n(x), x2=_n(x), y1="0", y2=_n(axis_y), class_="grid"))
        body.append(
            _text(x, axis_y + 14, f"{round(fraction * 100)} %", anchor="middle", css="tick")
        )
    max_chars = int((label_w - 10) / _CHAR)
    for index, row in enumerate(rows):
        y = index * row_h
        body.append(
            _el(
                "text",
                _tip(row.label) + escape(shorten(plain(row.label), max_chars)),
                x=_n(label_w - 8),
                y=_n(y + 15),
                text_anchor="end",
            )
        )
        x = label_w
        total = max(row.total, 1)
        if not row.total:
            body.append(
                _el(
                    "rect",
                    x=_n(label_w),
                    y=_n(y + 4),
                    width=_n(bar_w),
                    height=_n(row_h - 8),
                    class_="none",
                )
            )
        for count, css, word in (
            (row.passed, "pass", "passed"),
            (row.partial, "partial", "partly passed"),
            (row.failed, "fail", "failed"),
        ):
            if not count:
                continue
            seg = bar_w * count / total
            body.append(
                _el(
                    "rect",
                    _tip(f"{row.label}: {count} of {row.total} {word}"),
                    x=_n(x),
                    y=_n(y + 4),
                    width=_n(seg),
                    height=_n(row_h - 8),
                    class_=f"{css} seg",
                )
            )
            x += seg
        rate = f"{round(100 * row.passed / row.total)} %" if row.total else "n/a"
        body.append(_text(label_w + bar_w + 8, y + 15, rate))
    return _frame(chart_id, (width, height), body, title=title, desc=desc)


@dataclass(frozen=True)
class StripPoint:
    """One student's value in a strip."""

    value: float
    label: str
    ok: bool | None  # None: the task sets no limit


@dataclass(frozen=True)
class StripRow:
    """One task: every student's image size, and the threshold they were held to."""

    label: str
    points: Sequence[StripPoint]
    limit: float | None


def _quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        position = q * (len(ordered) - 1)
        low = math.floor(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return at(0.25), at(0.5), at(0.75)


def strip_plot(
    rows: Sequence[StripRow],
    *,
    chart_id: str,
    title: str,
    desc: str,
    fmt: Callable[[float], str],
    x_label: str,
) -> Markup:
    """One strip per task on a shared log axis: dots, a box from quartile to quartile, the limit.

    A log axis because sizes span 1 MB (scratch) to 1 GB (a toolchain image); the box appears
    from five values up, where it starts to say more than the dots.
    """
    label_w, plot_w, right, row_h, top = 150.0, 680.0, 30.0, 64.0, 8.0
    width = label_w + plot_w + right
    height = top + row_h * len(rows) + 40
    values = [p.value for r in rows for p in r.points] + [r.limit for r in rows if r.limit]
    positive = [v for v in values if v > 0] or [1.0]
    low = 10 ** math.floor(math.log10(min(positive)))
    high = 10 ** math.ceil(math.log10(max(positive)))
    if high <= low:
        high = low * 10

    def x_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return label_w + plot_w * (math.log10(clamped) - math.log10(low)) / math.log10(high / low)

    body: list[Markup] = []
    axis_y = top + row_h * len(rows)
    decade = low
    while decade <= high * 1.0001:
        x = x_of(decade)
        body.append(_el("line", x1=_n(x), x2=_n(x), y1=_n(top), y2=_n(axis_y), class_="grid"))
        body.append(_text(x, axis_y + 16, fmt(decade), anchor="middle", css="tick"))
        decade *= 10
    max_chars = int((label_w - 10) / _CHAR)
    for index, row in enumerate(rows):
        band = top + index * row_h
        middle = band + row_h / 2 + 6
        body.append(
            _el(
                "text",
                _tip(row.label) + escape(shorten(plain(row.label), max_chars)),
                x=_n(label_w - 10),
                y=_n(middle + 4),
                text_anchor="end",
            )
        )
        body.append(
            _el(
                "line",
                x1=_n(label_w),
                x2=_n(label_w + plot_w),
                y1=_n(band + row_h),
                y2=_n(band + row_h),
                class_="grid",
            )
        )
        sizes = [p.value for p in row.points if p.value > 0]
        if len(sizes) >= 5:
            q1, median, q3 = _quartiles(sizes)
            box_tip = f"{row.label}: middle half {fmt(q1)} to {fmt(q3)}, median {fmt(median)}"
            body.append(
                _el(
                    "rect",
                    _tip(box_tip),
                    x=_n(x_of(q1)),
                    y=_n(middle - 15),
                    width=_n(max(x_of(q3) - x_of(q1), 1)),
                    height="30",
                    class_="box",
                )
            )
            body.append(
                _el(
                    "line",
                    x1=_n(x_of(median)),
                    x2=_n(x_of(median)),
                    y1=_n(middle - 15),
                    y2=_n(middle + 15),
                    class_="median",
                )
            )
        if row.limit:
            x = x_of(row.limit)
            body.append(
                _el(
                    "line",
                    _tip(f"{row.label}: limit {fmt(row.limit)}"),
                    x1=_n(x),
                    x2=_n(x),
                    y1=_n(band + 17),
                    y2=_n(band + row_h - 3),
                    class_="limit",
                )
            )
            label = f"limit {fmt(row.limit)}"
            anchor = "end" if x + len(label) * _CHAR > label_w + plot_w else "start"
            shift = -3 if anchor == "end" else 3
            body.append(_text(x + shift, band + 13, label, anchor=anchor, css="limit-label"))
        for number, point in enumerate(row.points):
            jitter = ((number * _GOLDEN) % 1 - 0.5) * 20 if len(row.points) > 1 else 0
            verdict = (
                "" if point.ok is None else ", within the limit" if point.ok else ", over the limit"
            )
            css = "dot score" if point.ok is None else "dot pass" if point.ok else "dot fail"
            body.append(
                _el(
                    "circle",
                    _tip(f"{point.label}: {fmt(point.value)}{verdict}"),
                    cx=_n(x_of(point.value)),
                    cy=_n(middle + jitter),
                    r="4.5",
                    class_=css,
                )
            )
    body.append(
        _el(
            "line",
            x1=_n(label_w),
            x2=_n(label_w + plot_w),
            y1=_n(axis_y),
            y2=_n(axis_y),
            class_="axis",
        )
    )
    body.append(_text(label_w + plot_w / 2, height - 6, x_label, anchor="middle", css="label"))
    return _frame(chart_id, (width, height), body, title=title, desc=desc)


def gauge(
    measured: float,
    limit: float,
    *,
    better: Literal["lower", "higher"],
    fmt: Callable[[float], str],
    chart_id: str,
    title: str,
) -> Markup:
    """A bar for the measured value against a marked threshold, coloured by which side it is."""
    width, height, track_y, track_h = 480.0, 40.0, 18.0, 16.0
    scale_max = max(measured, limit, 1e-9) * 1.12
    ok = measured <= limit if better == "lower" else measured >= limit
    bar = width * max(measured, 0) / scale_max
    limit_x = width * limit / scale_max
    if better == "lower":
        limit_text = f"limit {fmt(limit)}"
        relation = "within" if ok else "over"
        desc = f"{fmt(measured)}, {relation} the limit of {fmt(limit)}"
    else:
        limit_text = f"at least {fmt(limit)}"
        desc = f"{fmt(measured)}; at least {fmt(limit)} was asked for"
    body = [
        _el("rect", x="0", y=_n(track_y), width=_n(width), height=_n(track_h), class_="track"),
        _el(
            "rect",
            _tip(fmt(measured)),
            x="0",
            y=_n(track_y),
            width=_n(max(bar, 1.5)),
            height=_n(track_h),
            class_="pass" if ok else "fail",
        ),
        _el(
            "line",
            x1=_n(limit_x),
            x2=_n(limit_x),
            y1=_n(track_y - 5),
            y2=_n(track_y + track_h + 4),
            class_="limit",
        ),
    ]
    limit_anchor = "end" if limit_x + len(limit_text) * _CHAR > width else "start"
    body.append(
        _text(
            limit_x + (-4 if limit_anchor == "end" else 4),
            track_y - 6,
            limit_text,
            anchor=limit_anchor,
            css="limit-label",
        )
    )
    value_text = fmt(measured)
    if bar > len(value_text) * _CHAR + 12:
        body.append(_text(bar - 6, track_y + track_h - 4, value_text, anchor="end", css="on-bar"))
    else:
        body.append(_text(bar + 6, track_y + track_h - 4, value_text))
    return _frame(chart_id, (width, height), body, title=title, desc=desc, css="chart gauge")


@dataclass(frozen=True)
class Segment:
    """One part of a stacked bar; ``short`` is written on it when it is wide enough."""

    value: float
    css: str
    label: str
    short: str = ""


def stacked_bar(segments: Sequence[Segment], *, chart_id: str, title: str, desc: str) -> Markup:
    """One bar split into parts in proportion, each part with its own tooltip."""
    width, height = 860.0, 30.0
    total = sum(max(s.value, 0) for s in segments) or 1.0
    body: list[Markup] = [_el("rect", x="0", y="2", width=_n(width), height="26", class_="track")]
    x = 0.0
    for segment in segments:
        seg_w = width * max(segment.value, 0) / total
        if seg_w < 0.5:
            continue
        body.append(
            _el(
                "rect",
                _tip(segment.label),
                x=_n(x),
                y="2",
                width=_n(seg_w),
                height="26",
                class_=f"seg {segment.css}",
            )
        )
        if segment.short and seg_w > len(segment.short) * _CHAR + 12:
            body.append(_text(x + 6, 19, segment.short, css="on-bar"))
        x += seg_w
    return _frame(chart_id, (width, height), body, title=title, desc=desc, css="chart stacked")


def meter(fraction: float, css: str = "pass", *, width: float = 120.0) -> Markup:
    """A small decorative bar for table cells; the number beside it is what a reader hears."""
    fraction = min(max(fraction, 0.0), 1.0)
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="meter" viewBox="0 0 {w} 10" width="{w}" '
        'height="10" aria-hidden="true" focusable="false"><rect class="track" x="0" y="1" '
        'width="{w}" height="8"/><rect class="{css}" x="0" y="1" width="{f}" height="8"/></svg>'
    ).format(w=_n(width), f=_n(width * fraction), css=css)
