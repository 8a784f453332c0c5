"""The gap chart: one numeric topic's positions over the rounds, as inline SVG drawn on the server.

    gap_chart(row)                     # row = {"topic": NegotiationTopic, "rounds": [...]}
    gap_chart(row, width=480, height=200)

`row` is one item of `selectors.comparison(negotiation)`. The chart shows each side's figure per
round (职工方 solid with round markers, 企业方 dashed with square markers, so it reads in black and
white too), the gap between them as a shaded band with its size written at each round, and the
round where they agreed. No script, no external resource: WeasyPrint draws it in the PDF and the
negotiation's page puts the same string in its HTML. It shows only what both sides said at the
table and the union's published demand, never the union side's internal notes.

Returns "" for a text topic or a topic with no figure recorded yet.
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Unit

UNION_COLOUR = "#b3261e"
EMPLOYER_COLOUR = "#1f4e79"
GAP_COLOUR = "#e8c9a0"
FONT = "Noto Serif CJK SC, Noto Sans CJK SC, serif"


def figure(value, unit="") -> str:
    """A position's figure as printed: 5.5 not 5.50 (but 5.50 for yuan per order), no exponent."""
    if value is None:
        return ""
    value = Decimal(value)
    if unit in (Unit.YUAN_PER_ORDER, Unit.YUAN_PER_HOUR) and value != value.to_integral_value():
        return f"{value:.2f}"
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def unit_label(unit) -> str:
    return "" if unit == Unit.TEXT else str(dict(Unit.choices).get(unit, unit))


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round-numbered ticks (a step of 1, 2, 2.5 or 5 times a power of ten) covering [low, high]."""
    span = high - low
    power = 10 ** math.floor(math.log10(span / max(count - 1, 1)))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if span / step <= count - 1:
            break
    ticks = [math.floor(low / step) * step]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(ticks[-1] + step)
    return [round(t, 10) for t in ticks]


def _num(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def gap_chart(row, *, width: int = 640, height: int = 260) -> SafeString | str:
    """Inline SVG of one numeric topic across the rounds; "" when there is nothing to draw."""
    topic = row["topic"]
    if topic.unit == Unit.TEXT:
        return ""
    rounds = [r for r in row["rounds"] if r["union_value"] is not None or r["employer_value"] is not None]
    if not rounds:
        return ""
    unit = unit_label(topic.unit)
    values = [float(v) for r in rounds for v in (r["union_value"], r["employer_value"]) if v is not None]
    demand = float(topic.demand_value) if topic.demand_value is not None else None
    if demand is not None:
        values.append(demand)
    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    # room for the labels above the highest point and below the lowest
    span = high - low
    low, high = low - span * 0.08, high + span * 0.12
    ticks = _ticks(low, high)
    low, high = min(ticks[0], low), max(ticks[-1], high)

    left, right, top, bottom = 58, 16, 34, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(rounds)
    step = plot_w / n

    def x(i):
        return left + step * (i + 0.5)

    def y(v):
        return top + plot_h * (1 - (float(v) - low) / (high - low))

    name = escape(topic.name)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gap-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="11" role="img" '
        f'aria-label="{name}（{escape(unit)}）：双方立场与差距">',
        f'<title>{name}（{escape(unit)}）：各轮双方立场与差距</title>',
        f'<text x="8" y="16" font-size="12.5" fill="#000">{_fit(topic.name, width - right - 216 - 8)}'
        f'（单位：{escape(unit)}）</text>',
    ]
    # legend, on the title's line, right
    lx, ly = width - right - 200, 12
    out += [
        f'<line x1="{lx}" y1="{ly}" x2="{lx + 22}" y2="{ly}" stroke="{UNION_COLOUR}" stroke-width="2"/>',
        f'<circle cx="{lx + 11}" cy="{ly}" r="3" fill="{UNION_COLOUR}"/>',
        f'<text x="{lx + 27}" y="{ly + 4}" fill="#000">职工方</text>',
        f'<line x1="{lx + 72}" y1="{ly}" x2="{lx + 94}" y2="{ly}" stroke="{EMPLOYER_COLOUR}" stroke-width="2" '
        'stroke-dasharray="5,3"/>',
        f'<rect x="{lx + 80}" y="{ly - 3}" width="6" height="6" fill="{EMPLOYER_COLOUR}"/>',
        f'<text x="{lx + 99}" y="{ly + 4}" fill="#000">企业方</text>',
        f'<rect x="{lx + 146}" y="{ly - 5}" width="18" height="10" fill="{GAP_COLOUR}"/>',
        f'<text x="{lx + 169}" y="{ly + 4}" fill="#000">差距</text>',
    ]
    # grid and y axis
    for t in ticks:
        if low - 1e-9 <= t <= high + 1e-9:
            ty = y(t)
            out.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="#d0d0d0" '
                       'stroke-width="0.6"/>')
            out.append(f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="#333">{_num(t)}</text>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#000" stroke-width="0.8"/>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#000" '
               'stroke-width="0.8"/>')
    # the union's demand in the proposal, as a reference line
    if demand is not None:
        dy = y(demand)
        out.append(f'<line x1="{left}" y1="{dy:.1f}" x2="{width - right}" y2="{dy:.1f}" stroke="{UNION_COLOUR}" '
                   'stroke-width="0.7" stroke-dasharray="1.5,2.5"/>')
        out.append(f'<text x="{left + 3}" y="{dy - 3:.1f}" font-size="9.5" '
                   f'fill="{UNION_COLOUR}">要约诉求 {escape(figure(topic.demand_value, topic.unit))}</text>')
    # the gap band per round
    band = max(min(step * 0.36, 40), 6)
    for i, r in enumerate(rounds):
        if r["union_value"] is None or r["employer_value"] is None:
            continue
        y1, y2 = sorted((y(r["union_value"]), y(r["employer_value"])))
        out.append(f'<rect x="{x(i) - band / 2:.1f}" y="{y1:.1f}" width="{band:.1f}" height="{max(y2 - y1, 0.8):.1f}" '
                   f'fill="{GAP_COLOUR}" fill-opacity="0.8"/>')
    # the two sides' lines and markers
    for key, colour, dash, marker in (("employer_value", EMPLOYER_COLOUR, ' stroke-dasharray="5,3"', "square"),
                                      ("union_value", UNION_COLOUR, "", "circle")):
        points = [(x(i), y(r[key])) for i, r in enumerate(rounds) if r[key] is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for px, py in points:
            if marker == "circle":
                out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{colour}"/>')
            else:
                out.append(f'<rect x="{px - 3.2:.1f}" y="{py - 3.2:.1f}" width="6.4" height="6.4" fill="{colour}"/>')
    # labels: each side's figure right of its marker, the gap left of the band, the round below;
    # with many rounds only the gaps and the last round's figures (the table has them all)
    roomy = step >= 110
    for i, r in enumerate(rounds):
        cx = x(i)
        u, e = r["union_value"], r["employer_value"]
        if not roomy and i < n - 1:
            if u is not None and e is not None and u != e:
                middle = (y(u) + y(e)) / 2
                out.append(f'<text x="{cx - band / 2 - 3:.1f}" y="{middle + 3:.1f}" text-anchor="end" font-size="8.5" '
                           f'fill="#6b4a1a">{escape(figure(abs(Decimal(u) - Decimal(e)), topic.unit))}</text>')
        else:
            out.extend(_value_labels(r, topic, cx, band, y))
        out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#000">第{r["round"]}轮</text>')
        if r.get("held_on"):
            d = r["held_on"]
            out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 30}" text-anchor="middle" font-size="9" fill="#555">'
                       f'{d.month}月{d.day}日</text>')
    out.append("</svg>")
    return mark_safe("".join(out))


def _fit(text: str, room: float, size: float = 12.5) -> str:
    """`text` escaped, cut with an ellipsis to about `room` pixels (CJK glyphs are 1 em wide)."""
    chars = max(int(room / size) - 6, 4)  # leave room for "（单位：…）"
    return escape(text if len(text) <= chars else text[:chars - 1] + "…")


def _value_labels(r, topic, cx, band, y) -> list[str]:
    """One round's figures right of its markers (the higher above), and the gap left of the band."""
    u, e = r["union_value"], r["employer_value"]
    colours = {"union": UNION_COLOUR, "employer": EMPLOYER_COLOUR}
    x = cx + band / 2 + 4
    if u is None or e is None:
        key, value = ("union", u) if u is not None else ("employer", e)
        return [f'<text x="{x:.1f}" y="{y(value) + 4:.1f}" fill="{colours[key]}">{escape(figure(value, topic.unit))}</text>']
    if r["agreed"] or u == e:
        return [f'<text x="{x:.1f}" y="{y(u) - 6:.1f}" fill="#000">'
                f'{escape(figure(u, topic.unit))}{"（一致）" if r["agreed"] else ""}</text>']
    gap = abs(Decimal(u) - Decimal(e))
    middle = (y(u) + y(e)) / 2
    return [
        f'<text x="{x:.1f}" y="{y(u) + 4:.1f}" fill="{UNION_COLOUR}">{escape(figure(u, topic.unit))}</text>',
        f'<text x="{x:.1f}" y="{y(e) + 4:.1f}" fill="{EMPLOYER_COLOUR}">{escape(figure(e, topic.unit))}</text>',
        f'<text x="{cx - band / 2 - 4:.1f}" y="{middle + 4:.1f}" text-anchor="end" font-size="10" '
        f'fill="#6b4a1a">相差 {escape(figure(gap, topic.unit))}</text>',
    ]
