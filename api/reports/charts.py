"""Charts drawn on the server as inline SVG: no script, no external service.

The content security policy forbids inline styles, so every colour, size and font is an SVG
presentation attribute. Each chart carries a <title> and <desc> for screen readers and a <title>
per bar for the exact figure on hover; the page shows the same figures in a table.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from markupsafe import Markup, escape

# USWDS system colours, readable next to each other and in print.
PALETTE = ("#005ea2", "#00a91c", "#e5a000", "#d83933", "#8168b3", "#00bde3", "#71767a", "#936f38")
INK, GRID, FONT = "#1b1b1b", "#dfe1e2", "Source Sans Pro, Helvetica, Arial, sans-serif"
_ids = itertools.count(1)


def _svg(width: int, height: int, title: str, desc: str, body: list[str], testid: str) -> Markup:
    n = next(_ids)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="connect-chart" role="img" '
            f'data-testid="{escape(testid)}" viewBox="0 0 {width} {height}" width="100%" '
            f'preserveAspectRatio="xMinYMin meet" aria-labelledby="chart-t{n} chart-d{n}" '
            f'font-family="{FONT}" font-size="13" fill="{INK}">'
            f'<title id="chart-t{n}">{escape(title)}</title><desc id="chart-d{n}">{escape(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 x 10^n); at least 4, so the four
    grid steps of a count are whole numbers."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _two_lines(label: str) -> list[str]:
    """A label split near its middle word boundary ("24 hours to 2 days" -> two lines)."""
    words = label.split()
    if len(label) <= 12 or len(words) < 2:
        return [label]
    best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(label) / 2))
    return [" ".join(words[:best]), " ".join(words[best:])]


def _amount(value: float, unit: str) -> str:
    """'1 referral', '3 referrals': the unit is given in the plural."""
    return f"{_fmt(value)} {unit[:-1] if value == 1 and unit.endswith('s') else unit}"


def bar_chart(items: Sequence[tuple[str, float]], title: str, *, unit: str = "referrals",
              testid: str = "bar-chart") -> Markup:
    """Horizontal bars, one per (label, value), largest scale at the right."""
    label_w, bar_w, row_h, top = 300, 380, 26, 8
    width, height = label_w + bar_w + 80, top + row_h * max(len(items), 1) + 24
    top_value = _nice_max(max((v for _, v in items), default=0))
    body = []
    for i in range(5):  # vertical grid lines
        x = label_w + bar_w * i / 4
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 22}" stroke="{GRID}"/>')
        body.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" font-size="11">'
                    f'{_fmt(top_value * i / 4)}</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = bar_w * value / top_value
        body.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>')
        body.append(f'<rect class="connect-chart__bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" '
                    f'height="{row_h - 8}" fill="{PALETTE[0]}"><title>{escape(label)}: '
                    f'{escape(_amount(value, unit))}</title></rect>')
        body.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 17}">{_fmt(value)}</text>')
    desc = "; ".join(f"{label}: {_fmt(value)}" for label, value in items) or "No data."
    return _svg(width, height, title, desc, body, testid)


def column_chart(labels: Sequence[str], values: Sequence[float], title: str, *,
                 unit: str = "referrals", testid: str = "histogram") -> Markup:
    """Vertical columns side by side: a histogram when the labels are bins."""
    return stacked_columns(labels, [("", PALETTE[0], list(values))], title, unit=unit, testid=testid,
                           legend=False)


def stacked_columns(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float]]],
                    title: str, *, unit: str = "referrals", testid: str = "stacked-chart",
                    legend: bool = True) -> Markup:
    """One column per label, each split into ``series`` (name, colour, one value per label)."""
    few = len(labels) <= 12  # few columns: labels upright on two lines; many: slanted
    left, plot_h, top = 70, 240, 12
    col_w = max(86, 720 // max(len(labels), 1)) if few else max(18, min(60, 720 // len(labels)))
    legend_h = 24 if legend else 0
    width = max(left + col_w * max(len(labels), 1) + 20, 420)
    height = top + plot_h + (44 if few else 70) + legend_h
    totals = [sum(s[2][i] for s in series) for i in range(len(labels))]
    top_value = _nice_max(max(totals, default=0))
    body = []
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                    f'{_fmt(top_value * i / 4)}</text>')
    for i, label in enumerate(labels):
        x = left + i * col_w
        base = top + plot_h
        for name, colour, values in series:
            h = plot_h * values[i] / top_value
            if h <= 0:
                continue
            base -= h
            what = f"{label}{' — ' + name if name else ''}: {_amount(values[i], unit)}"
            body.append(f'<rect class="connect-chart__bar" x="{x + 3}" y="{base:.1f}" '
                        f'width="{col_w - 6}" height="{h:.1f}" fill="{colour}">'
                        f'<title>{escape(what)}</title></rect>')
        centre, anchor_y = x + col_w / 2, top + plot_h + 16
        if few:
            body.append(f'<text x="{centre:.1f}" y="{anchor_y}" text-anchor="middle" font-size="11">'
                        + "".join(f'<tspan x="{centre:.1f}" dy="{0 if i == 0 else 13}">{escape(part)}</tspan>'
                                  for i, part in enumerate(_two_lines(label))) + "</text>")
        else:
            body.append(f'<text x="{centre:.1f}" y="{anchor_y}" text-anchor="end" font-size="11" '
                        f'transform="rotate(-45 {centre:.1f} {anchor_y})">{escape(label)}</text>')
    if legend:
        x = left
        for name, colour, _ in series:
            y = height - 10
            body.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
            body.append(f'<text x="{x + 16}" y="{y}">{escape(name)}</text>')
            x += 24 + 7 * len(name)
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{name or unit} {_fmt(values[i])}" for name, _, values in series)
        for i, label in enumerate(labels)) or "No data."
    return _svg(width, height, title, desc, body, testid)
