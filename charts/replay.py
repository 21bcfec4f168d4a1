"""The Replay page's figure: equity against each mode's maintenance and initial margin, day by day,
over the lead asset's move and EWMA volatility.

Takes a :func:`margin.replay.replay` frame; never calls the engine. The lines are drawn up to the
day shown, on axes fixed to the whole replay, so stepping through the days unfolds the crash
without the axes jumping. Style from :mod:`charts.style`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import (
    ESTIMATE_COLOR,
    FONT_SIZE,
    MODE_COLORS,
    MODE_LABELS,
    NEUTRAL_COLOR,
    USD_FORMAT,
    figure,
)

MODES = ("cross", "portfolio")
HEIGHT = 640
#: The money panel's share of the plot height (the move and volatility panel gets the rest, less a gap).
_TOP_SHARE = 0.64
_GAP = 0.1


def _span(values: np.ndarray, pad: float = 0.06) -> list[float]:
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    room = max(high - low, 1.0) * pad
    return [low - room, high + room]


def replay_chart(frame: pd.DataFrame, upto: int, lead: str | None) -> go.Figure:
    """Equity, maintenance and initial margin (USD) of both modes up to day ``upto`` (0-based row), and
    below them ``lead``'s move since day 0 and its EWMA volatility (%), on axes fixed to the whole replay.

    A mode's liquidation day, once reached, is marked on its maintenance line.
    """
    upto = int(min(max(upto, 0), len(frame) - 1))
    dates = frame.index
    shown = frame.iloc[: upto + 1]
    x = list(shown.index)
    hover = "%{x|%d %b %Y}: %{y:$,.0f}<extra>%{fullData.name}</extra>"
    # On day 0 a line has one point, which only a marker shows; after it, lines alone: a marker on every
    # day of every line was a fifth of the chart's drawing (23 -> 19 ms a newPlot) at each move of the day slider.
    with_markers = "lines+markers" if upto == 0 else "lines"
    traces = [{"type": "scatter", "x": x, "y": shown["equity_cross"].to_numpy(), "name": "Equity",
               "mode": with_markers, "marker": {"size": 7}, "line": {"color": MODE_COLORS["equity"], "width": 4},
               "hovertemplate": hover}]
    money_columns = ["equity_cross"]
    if np.max(np.abs(frame["equity_portfolio"] - frame["equity_cross"])) > 0.5:
        traces.append({"type": "scatter", "x": x, "y": shown["equity_portfolio"].to_numpy(),
                       "name": "Equity (portfolio haircuts)", "mode": "lines",
                       "line": {"color": MODE_COLORS["equity"], "width": 3, "dash": "dot"}, "hovertemplate": hover})
        money_columns.append("equity_portfolio")
    labels: dict[str, list] = {"x": [], "y": [], "text": [], "color": []}
    for mode in MODES:
        color = MODE_COLORS[mode]
        traces.append({"type": "scatter", "x": x, "y": shown[f"maintenance_{mode}"].to_numpy(),
                       "name": f"{MODE_LABELS[mode]} maintenance", "mode": with_markers, "marker": {"size": 6},
                       "line": {"color": color, "width": 3}, "hovertemplate": hover})
        traces.append({"type": "scatter", "x": x, "y": shown[f"initial_{mode}"].to_numpy(),
                       "name": f"{MODE_LABELS[mode]} initial", "mode": "lines",
                       "line": {"color": color, "width": 1.5, "dash": "dash"}, "hovertemplate": hover})
        money_columns += [f"maintenance_{mode}", f"initial_{mode}"]
        day = frame.attrs.get("liquidation_day", {}).get(mode)
        if day is not None and day <= dates[upto]:
            labels["x"].append(day)
            labels["y"].append(float(frame.loc[day, f"maintenance_{mode}"]))
            labels["text"].append(f"{MODE_LABELS[mode]} liquidated")
            labels["color"].append(color)
    if labels["x"]:
        traces.append({"type": "scatter", "mode": "markers+text", "x": labels["x"], "y": labels["y"],
                       "text": labels["text"], "textposition": "top center", "cliponaxis": False,
                       "marker": {"symbol": "x", "size": 16, "color": labels["color"], "line": {"width": 2}},
                       "textfont": {"size": FONT_SIZE, "color": labels["color"]}, "showlegend": False,
                       "hoverinfo": "skip", "name": "liquidation days"})
    axes = {}
    if lead is not None:
        move = frame[f"price_{lead}"].to_numpy() / float(frame[f"price_{lead}"].iloc[0]) - 1.0
        vol = frame[f"vol_{lead}"].to_numpy()
        percent_hover = "%{x|%d %b %Y}: %{y:.1%}<extra>%{fullData.name}</extra>"
        traces.append({"type": "scatter", "x": x, "y": move[: upto + 1], "name": f"{lead} since day 0",
                       "mode": with_markers, "line": {"color": NEUTRAL_COLOR, "width": 3}, "marker": {"size": 6},
                       "xaxis": "x2", "yaxis": "y2", "hovertemplate": percent_hover})
        traces.append({"type": "scatter", "x": x, "y": vol[: upto + 1], "name": f"{lead} EWMA volatility",
                       "mode": with_markers, "marker": {"size": 5}, "line": {"color": ESTIMATE_COLOR, "width": 3}, "xaxis": "x2", "yaxis": "y2",
                       "hovertemplate": percent_hover})
        axes = {"xaxis2": {"domain": [0, 1], "anchor": "y2", "matches": "x", "type": "date",
                           "tickfont": {"size": FONT_SIZE}},
                "yaxis2": {"domain": [0, 1 - _TOP_SHARE - _GAP], "anchor": "x2", "tickformat": ".0%",
                           "range": _span(np.concatenate([move, vol, [0.0]])), "tickfont": {"size": FONT_SIZE},
                           "title": {"text": "%", "font": {"size": FONT_SIZE}}, "zeroline": True}}
    first, last = dates[0], dates[-1]
    pad = pd.Timedelta(hours=12)
    current = dates[upto]
    shapes = [{"type": "line", "x0": current, "x1": current, "xref": "x", "y0": 0, "y1": 1, "yref": "paper",
               "line": {"color": NEUTRAL_COLOR, "width": 2, "dash": "dot"}}]
    title = f"Day {int(frame['day'].iloc[upto])}: {current.day} {current:%b %Y}"
    return figure(traces, title, "", "USD", height=HEIGHT, shapes=shapes,
                  xaxis={"type": "date", "range": [first - pad, last + pad], "anchor": "y",
                         "showticklabels": lead is None},
                  yaxis={"tickformat": USD_FORMAT, "range": _span(frame[money_columns].to_numpy()),
                         "domain": [1 - _TOP_SHARE, 1] if lead is not None else [0, 1]},
                  **axes)
