"""Charts rendered on the server as SVG (the dashboard and the PDF draw the same ones).

A masked value is drawn as a hatched, empty bar of fixed width labelled « s »: its length says nothing of the
value. Every chart comes with its figures as a table in the page (the SVG is `role="img"` with a title).
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

from .formatting import number, percent

BAR_COLOR = "#1d4e89"
NOT_APPLICABLE = "—"  # a rate with no denominator: no bar
MASKED_PATTERN = (
    '<defs><pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#8a94a6" stroke-width="2"/></pattern></defs>'
)


def horizontal_bars(chart_id, title, rows, *, rate=False, width=560, label_width=230, color=BAR_COLOR):
    """rows: (label, value or None when masked). Values are counts, or rates (0 to 1) when rate=True."""
    bar_height, gap, top = 18, 8, 6
    height = top + len(rows) * (bar_height + gap) + 4
    plot = width - label_width - 70
    values = [value for _label, value in rows if value not in (None, NOT_APPLICABLE)]
    largest = 1.0 if rate else max(values, default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{chart_id}-title" '
        f'viewBox="0 0 {width} {height}" width="100%" class="chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        MASKED_PATTERN.format(id=chart_id),
    ]
    for index, (label, value) in enumerate(rows):
        y = top + index * (bar_height + gap)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height - 5}" text-anchor="end" font-size="11" '
            f'fill="#1f2933">{escape(_shorten(label))}</text>'
        )
        if value is None:
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="24" height="{bar_height}" fill="url(#{chart_id}-hatch)" '
                f'stroke="#8a94a6"/><text x="{label_width + 30}" y="{y + bar_height - 5}" font-size="11" '
                'fill="#1f2933">s (masqué)</text>'
            )
            continue
        if value == NOT_APPLICABLE:
            parts.append(
                f'<text x="{label_width}" y="{y + bar_height - 5}" font-size="11" fill="#1f2933">'
                "— (aucune échéance échue)</text>"
            )
            continue
        length = max(round(plot * value / largest, 1), 0.5 if value else 0)
        shown = percent(value) if rate else number(value)
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" fill="{color}"/>'
            f'<text x="{label_width + length + 6}" y="{y + bar_height - 5}" font-size="11" '
            f'fill="#1f2933">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def columns(chart_id, title, labels, series, *, rate=False, width=560, height=200):
    """A column chart over periods: series is [(name, color, [value or None per label])]."""
    left, bottom, top = 40, 36, 10
    plot_width, plot_height = width - left - 10, height - bottom - top
    values = [value for _name, _color, points in series for value in points if value is not None]
    largest = 1.0 if rate else max(values, default=0) or 1
    group = plot_width / max(len(labels), 1)
    bar = min(28, (group - 10) / max(len(series), 1))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{chart_id}-title" '
        f'viewBox="0 0 {width} {height}" width="100%" class="chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        MASKED_PATTERN.format(id=chart_id),
        f'<line x1="{left}" y1="{top + plot_height}" x2="{width - 10}" y2="{top + plot_height}" stroke="#52606d"/>',
    ]
    for index, label in enumerate(labels):
        x0 = left + index * group + 5
        parts.append(
            f'<text x="{x0 + group / 2 - 5}" y="{height - bottom + 16}" text-anchor="middle" font-size="11" '
            f'fill="#1f2933">{escape(label)}</text>'
        )
        for position, (_name, color, points) in enumerate(series):
            value = points[index]
            x = x0 + position * bar
            if value is None:
                parts.append(
                    f'<rect x="{x}" y="{top + plot_height - 24}" width="{bar - 2}" height="24" '
                    f'fill="url(#{chart_id}-hatch)" stroke="#8a94a6"/>'
                )
                continue
            bar_height = round(plot_height * value / largest, 1)
            parts.append(
                f'<rect x="{x}" y="{top + plot_height - bar_height}" width="{bar - 2}" height="{bar_height}" '
                f'fill="{color}"/>'
            )
    for position, (name, color, _points) in enumerate(series):
        x = left + position * 170
        parts.append(
            f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="{height - 5}" font-size="11" fill="#1f2933">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _shorten(label, size=38):
    return label if len(label) <= size else label[: size - 1] + "…"
