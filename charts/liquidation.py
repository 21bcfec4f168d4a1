"""The Liquidation page's figure: equity and each mode's maintenance against one asset's price.

Takes :func:`margin.margin_curves` and :func:`margin.liquidation_prices` output; never calls the
engine. Style from :mod:`charts.style`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import (
    FONT_SIZE,
    MODE_COLORS,
    MODE_LABELS,
    NEUTRAL_COLOR,
    USD_FORMAT,
    figure,
    label_side,
    line_label,
    margins,
    price_format,
    vline,
)
from views.text import price

#: The chart's height (px) without liquidation labels; each label adds a row of this many px above the
#: plot: two 16 px lines (plotly spaces them 1.3 em apart) and a gap.
LIQUIDATION_HEIGHT = 540
LABEL_ROW = 48


def liquidation_chart(curves: pd.DataFrame, asset: str, today: float,
                      liquidations: Mapping[str, Mapping[str, object]] | None = None) -> go.Figure:
    """Equity and each mode's maintenance (USD) against the price of ``asset``.

    ``curves`` is :func:`margin.margin_curves` output (price, equity_<mode>, maintenance_<mode>);
    ``liquidations`` maps a mode to :func:`margin.liquidation_prices` output; crossings inside the
    plotted range are drawn as labelled vertical lines in the mode's colour.
    """
    prices = curves["price"].to_numpy(dtype=float)
    hover = "%{x:$,.6~g}: %{y:$,.0f}<extra>%{fullData.name}</extra>"

    def line(column: str, name: str, mode: str, width: float, dash: str = "solid") -> dict:
        return {"type": "scatter", "x": prices, "y": curves[column].to_numpy(dtype=float), "name": name,
                "mode": "lines", "line": {"color": MODE_COLORS[mode], "width": width, "dash": dash},
                "meta": {"mode": mode}, "hovertemplate": hover}

    traces = [line("equity_cross", "Equity", "equity", 4)]
    if "equity_portfolio" in curves and np.max(np.abs(curves["equity_portfolio"] - curves["equity_cross"])) > 0.5:
        traces.append(line("equity_portfolio", "Equity (portfolio haircuts)", "equity", 3, "dot"))
    for mode in ("cross", "portfolio", "isolated"):
        if f"maintenance_{mode}" not in curves:
            continue
        traces.append(line(f"maintenance_{mode}", f"{MODE_LABELS[mode]} maintenance", mode, 3))
        if mode == "isolated":
            traces.append(line("equity_isolated", "Isolated sub-account equity", "isolated", 3, "dot"))
    low, high = float(prices.min()), float(prices.max())
    shapes = [vline(today, NEUTRAL_COLOR, 2)]
    annotations = [line_label(today, f"today {price(today)}", None, f"bottom {label_side(today, low, high)}")]
    bottom, top = focus_range(curves, today)
    found_lines = []
    for mode, found in (liquidations or {}).items():
        for side in ("below", "above"):
            value = found.get(side)
            if value is None or not low <= value <= high or (found.get("already") and side == "above"):
                continue
            shapes.append(vline(value, MODE_COLORS[mode], 3, "dash"))
            found_lines.append((float(value), mode))
    now = {mode for mode, found in (liquidations or {}).items() if found.get("already")}
    height, domain, band = label_band(traces, found_lines, low, high, LIQUIDATION_HEIGHT, now)
    if found_lines:  # today's and the liquidation prices' lines stop at the plot's top, under the labels
        shapes = [{**shape, "yref": "y domain"} for shape in shapes]
    return figure(traces, f"Equity and maintenance as {asset} moves", f"{asset} price (USD)", "USD", height=height,
                   shapes=shapes, annotations=annotations,
                   xaxis={"tickformat": price_format(today), "range": [low, high]},
                   yaxis={"tickformat": USD_FORMAT, "range": [bottom, top], "domain": domain}, **band)


def label_band(traces: list[dict], lines: list[tuple[float, str]], low: float, high: float,
               height: int, now: Collection[str] = ()) -> tuple[int, list[float], dict]:
    """Room for the labels of liquidation ``lines`` ((price, mode)) in a band above the plot: a second
    y axis over the top of the plotting area, the price axis shared, the plot itself as tall as
    without labels. Appends the labels' trace to ``traces``; returns (figure height, the y axis's
    domain, the layout's ``yaxis2``) for :func:`charts.style.figure`. ``now``: the modes whose account is
    already below maintenance at today's price (their line is today's; the label says "now")."""
    if not lines:
        return height, [0.0, 1.0], {}
    rows = len(lines)
    height += LABEL_ROW * rows
    plot = height - sum(margins(traces, True)[side] for side in ("t", "b"))
    domain = [0.0, 1.0 - LABEL_ROW * rows / plot]
    traces.append(liquidation_labels(lines, low, high, now))
    return height, domain, {"yaxis2": {"domain": [domain[1], 1.0], "range": [0, rows], "visible": False,
                                       "fixedrange": True, "anchor": "x"}}


def liquidation_labels(lines: list[tuple[float, str]], low: float, high: float, now: Collection[str] = ()) -> dict:
    """The liquidation prices' labels, one row each in a band above the plot (y axis 2, one unit a row;
    the caller makes the band :data:`LABEL_ROW` px a row).

    Inside the plot a label crossed the other liquidation lines and the curves wherever lines lie
    closer together than a label is wide (always on a phone's ~200 px plot, often on a laptop).
    Above it, each label starts at its line's top, in its own row, so it meets no line, no curve and
    no other label. The band is a share of the plotting area: :func:`charts.style.scale_spec` grows
    that area with the fonts in presenter mode, so the rows keep their room. Lines sorted by price,
    the lowest nearest the plot. Text on a trace, not layout annotations: a browser lays out each
    annotation's box on every redraw (~4 ms apiece), and this chart redraws at every slider move.
    """
    labels: dict[str, list] = {"x": [], "y": [], "text": [], "color": [], "position": []}
    for row, (value, mode) in enumerate(sorted(lines)):
        side = label_side(value, low, high)
        labels["x"].append(value)
        labels["y"].append(row + 0.5)
        # Two lines (name, price): one line ran off a phone's ~200 px plot. An account already below
        # maintenance is liquidated "now", not at a price that happens to be today's (a user walk).
        words = (f"{MODE_LABELS[mode]} liq.", "now" if mode in now else price(value))
        labels["text"].append("<br>".join(f" {word}" if side == "right" else f"{word} " for word in words))
        labels["position"].append(f"middle {side}")
        labels["color"].append(MODE_COLORS[mode])
    # Not clipped at the plot's edge: a label near it runs on into the margin rather than being cut off.
    return {"type": "scatter", "mode": "text", "x": labels["x"], "y": labels["y"], "yaxis": "y2",
            "text": labels["text"], "textposition": labels["position"],
            "textfont": {"size": FONT_SIZE, "color": labels["color"]}, "cliponaxis": False, "showlegend": False,
            "hoverinfo": "skip", "name": "liquidation prices"}


def focus_range(curves: pd.DataFrame, today: float) -> tuple[float, float]:
    """A y range (USD) that keeps today's equity and every maintenance curve readable.

    Equity runs far off in both directions on a 0.3x-2x price axis; the crossing with
    maintenance, the part that matters, happens near today's equity level. Zoom out by
    double-clicking the chart.
    """
    prices = curves["price"].to_numpy(dtype=float)
    i = int(np.argmin(np.abs(prices - today)))
    equity_today = abs(float(curves["equity_cross"].iloc[i]))
    maintenance = curves[[c for c in curves if c.startswith("maintenance_")]].to_numpy(dtype=float)
    top = max(equity_today * 2.0, float(np.nanmax(maintenance)) * 1.1 if maintenance.size else 0.0, 1.0)
    bottom = min(-0.4 * max(equity_today, 1.0), float(np.nanmin(maintenance)) if maintenance.size else 0.0)
    return bottom, top
