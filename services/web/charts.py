"""Bar charts drawn on the server as SVG, for the follow-up report: no script and no library, so the strict
Content-Security-Policy holds (presentation attributes, no style). Each chart is an image with a title and a
description for screen readers; the page's tables beside it hold the same figures."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

SUPPRESSED = "suppressed"
COLOURS = ("#1d70b8", "#a64b00")  # blue and dark orange: each over 4.5:1 against white
WIDTH, LABEL_WIDTH, BAR_HEIGHT, GAP = 680, 260, 14, 10


@dataclass(frozen=True)
class Group:
    label: str
    values: tuple[float | str | None, ...]  # one for each series: a figure, SUPPRESSED, or None (no answers)


def _value_text(value: float | str | None, hidden: str, none: str, percent: bool) -> str:
    if value == SUPPRESSED:
        return hidden
    if value is None or isinstance(value, str):
        return none
    return f"{value * 100:.0f} %" if percent else f"{value:.2f}".rstrip("0").rstrip(".")


def bar_chart(name: str, title: str, description: str, series: tuple[str, ...], groups: list[Group], *,
              scale: float, hidden: str, none: str, percent: bool = False) -> Markup:
    """Horizontal bars, a row of ``len(series)`` bars a group, against an axis from 0 to ``scale``; ``name``
    makes the ids of its title and description unique on the page."""
    plot = WIDTH - LABEL_WIDTH - 60
    row = len(series) * BAR_HEIGHT + GAP
    legend_height = 24
    height = legend_height + len(groups) * row + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{name}-title {name}-desc">',
             f'<title id="{name}-title">{escape(title)}</title>',
             f'<desc id="{name}-desc">{escape(description)}</desc>']
    for at, name in enumerate(series):
        x = LABEL_WIDTH + at * 160
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{COLOURS[at % len(COLOURS)]}"/>'
                     f'<text x="{x + 18}" y="15" font-size="13" fill="#0b0c0c">{escape(name)}</text>')
    for at, group in enumerate(groups):
        top = legend_height + at * row
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{top + len(series) * BAR_HEIGHT / 2 + 4:.0f}" font-size="13" '
                     f'text-anchor="end" fill="#0b0c0c">{escape(group.label)}</text>')
        for index, value in enumerate(group.values):
            y = top + index * BAR_HEIGHT
            length = plot * float(value) / scale if isinstance(value, (int, float)) else 0
            shown = _value_text(value, hidden, none, percent)
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT - 2}" '
                         f'fill="{COLOURS[index % len(COLOURS)]}"/>'
                         f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + BAR_HEIGHT - 3}" font-size="11" '
                         f'fill="#0b0c0c">{escape(shown)}</text>')
    axis = legend_height + len(groups) * row
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="{axis}" x2="{LABEL_WIDTH + plot}" y2="{axis}" stroke="#505a5f"/>')
    for tick in range(6):
        tick_x = LABEL_WIDTH + plot * tick / 5
        label = f"{tick * 20} %" if percent else f"{scale * tick / 5:g}"
        parts.append(f'<text x="{tick_x:.1f}" y="{axis + 16}" font-size="11" text-anchor="middle" '
                     f'fill="#505a5f">{label}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
