"""The Compare page's figure: cross vs portfolio requirement, initial and maintenance, with equity.

Takes engine results (anything with ``.initial``, ``.maintenance``, ``.equity``); never calls the
engine. Style from :mod:`charts.style`.
"""

from __future__ import annotations

import plotly.graph_objects as go

from charts.style import EQUITY_COLOR, FONT_SIZE, MODE_COLORS, MODE_LABELS, USD_FORMAT, figure, margins
from views.text import money


def requirement_bars(cross, portfolio) -> go.Figure:
    """Paired bars: cross vs portfolio, initial and maintenance (USD), with equity as a line.

    ``cross`` and ``portfolio`` are MarginResults (anything with .initial, .maintenance, .equity).
    """
    categories = ["Initial margin", "Maintenance margin"]
    traces = []
    for mode, result in (("cross", cross), ("portfolio", portfolio)):
        values = [result.initial, result.maintenance]
        name = f"{MODE_LABELS[mode]} margin"
        if getattr(result, "params_name", ""):
            name += f" ({result.params_name})"
        traces.append({
            "type": "bar", "x": categories, "y": values, "name": name, "marker": {"color": MODE_COLORS[mode]},
            "meta": {"mode": mode}, "text": [money(v) for v in values], "textposition": "outside",
            "textfont": {"size": FONT_SIZE}, "hovertemplate": "%{x}: %{y:$,.0f}<extra>" + name + "</extra>",
        })
    equity_line = {"type": "line", "y0": cross.equity, "y1": cross.equity, "yref": "y", "x0": 0, "x1": 1,
                   "xref": "paper", "line": {"color": EQUITY_COLOR, "width": 3, "dash": "dash"}}
    equity_label = {"y": cross.equity, "yref": "y", "x": 1, "xref": "paper", "text": f"Equity {money(cross.equity)}",
                    "showarrow": False, "xanchor": "right", "yanchor": "bottom",
                    "font": {"size": FONT_SIZE, "color": EQUITY_COLOR}}
    top = max(cross.initial, cross.maintenance, portfolio.initial, portfolio.maintenance, cross.equity, 1.0)
    # On a phone (a ~200 px plot) one-line category names were turned on their side and ran off the
    # chart, and the amounts shrank to fit their bars: break the names over two lines, and hide an
    # amount that would need shrinking below FONT_SIZE (the cards above and the hover still give it).
    margin = margins(traces, True)
    margin["b"] += round(FONT_SIZE * 1.25)  # the names' second line
    return figure(traces, "Requirement: cross vs portfolio", "", "Requirement (USD)",
                  shapes=[equity_line], annotations=[equity_label], margin=margin,
                  xaxis={"tickvals": categories, "ticktext": [c.replace(" ", "<br>") for c in categories]},
                  yaxis={"range": [0, top * 1.18], "tickformat": USD_FORMAT}, barmode="group", bargap=0.3,
                  uniformtext={"mode": "hide", "minsize": FONT_SIZE})
