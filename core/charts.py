"""Small server-side SVG charts for the dashboard (the machine is offline: no CDN, no JS library)."""

from html import escape


def _fmt(value, money=False):
    if money:
        if value >= 10000:
            return f"¥{value / 10000:,.1f}万"
        return f"¥{value:,.0f}"
    return f"{value:,}"


def bar_chart(items, *, title, width=460, bar_h=20, gap=6, label_w=120, money=False, css_class="", hot=()):
    """Horizontal bars: items = [(label, value)]; `hot` labels are drawn in the warning colour."""
    items = list(items)
    top = 8
    height = top * 2 + max(1, len(items)) * (bar_h + gap)
    peak = max([v for _l, v in items] + [0]) or 1
    span = width - label_w - 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="wq-chart {css_class}" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    if not items:
        out.append(f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" class="wq-chart-empty">—</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        w = max(1.5, span * float(value) / float(peak)) if value else 0
        cls = "wq-bar hot" if label in hot else "wq-bar"
        out.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.72:.1f}" text-anchor="end" class="wq-chart-label">{escape(str(label))}</text>'
            f'<rect class="{cls}" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3"><title>{escape(str(label))}: {_fmt(value, money)}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.72:.1f}" class="wq-chart-value">{_fmt(value, money)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def column_chart(items, *, title, width=460, height=200, money=False, series_class="wq-col"):
    """Vertical columns over time: items = [(label, value)] in order (e.g. months)."""
    items = list(items)
    left, bottom, top = 8, 34, 22
    n = max(1, len(items))
    slot = (width - left * 2) / n
    peak = max([v for _l, v in items] + [0]) or 1
    span = height - bottom - top
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="wq-chart" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" class="wq-axis"/>']
    for i, (label, value) in enumerate(items):
        h = span * float(value) / float(peak) if value else 0
        x = left + i * slot + slot * 0.18
        w = slot * 0.64
        y = height - bottom - h
        out.append(f'<rect class="{series_class}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="2">'
                   f'<title>{escape(str(label))}: {_fmt(value, money)}</title></rect>')
        if value:
            out.append(f'<text x="{x + w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="wq-chart-value small">{_fmt(value, money)}</text>')
        out.append(f'<text x="{x + w / 2:.1f}" y="{height - bottom + 14:.1f}" text-anchor="middle" class="wq-chart-label small">{escape(str(label))}</text>')
    out.append("</svg>")
    return "".join(out)
