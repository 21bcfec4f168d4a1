"""The workbench's figure: the book's payoff against one asset's price, at expiry and at T+n days,
with today's price and each mode's liquidation prices marked.

Takes :func:`margin.payoff.payoff_frame` output and liquidation prices (numbers); never calls the
engine. Style from :mod:`charts.style`, drawn as the Liquidation page's chart is (labels on a text
trace, lines as plain shapes).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.liquidation import label_band
from charts.style import (
    EQUITY_COLOR,
    MODE_COLORS,
    NEUTRAL_COLOR,
    USD_FORMAT,
    figure,
    label_side,
    line_label,
    price_format,
    vline,
)
from views.text import price


def payoff_chart(frame: pd.DataFrame, asset: str, today: float, days_ahead: float,
                 liquidations: Mapping[str, float | None] | None = None, now: Collection[str] = ()) -> go.Figure:
    """P&L (USD) against the price of ``asset``: the book at expiry (grey, dashed) and after
    ``days_ahead`` days (green), a zero line, today's price, and each mode's nearest liquidation price
    (``liquidations``: mode -> USD or None) as a dashed line in the mode's colour when it is on the axis;
    ``now``: the modes whose account is already below maintenance at today's price (labelled "now").
    """
    prices = frame["price"].to_numpy(dtype=float)
    hover = "%{x:$,.6~g}: %{y:$,.0f}<extra>%{fullData.name}</extra>"
    days = "day" if days_ahead == 1 else "days"
    when = "Today (T+0)" if days_ahead == 0 else f"In {days_ahead:g} {days} (T+{days_ahead:g})"
    traces = [
        {"type": "scatter", "x": prices, "y": frame["pnl_expiry"].to_numpy(dtype=float), "name": "At expiry",
         "mode": "lines", "line": {"color": NEUTRAL_COLOR, "width": 3, "dash": "dash"}, "hovertemplate": hover},
        {"type": "scatter", "x": prices, "y": frame["pnl_now"].to_numpy(dtype=float), "name": when, "mode": "lines",
         "line": {"color": EQUITY_COLOR, "width": 4}, "meta": {"mode": "equity"}, "hovertemplate": hover},
    ]
    low, high = float(prices.min()), float(prices.max())
    values = frame[["pnl_expiry", "pnl_now"]].to_numpy(dtype=float)
    bottom, top = float(np.nanmin(values)), float(np.nanmax(values))
    span = max(top - bottom, 1.0)
    bottom, top = bottom - 0.08 * span, top + 0.12 * span
    zero = {"type": "line", "x0": 0, "x1": 1, "xref": "paper", "y0": 0, "y1": 0, "yref": "y",
            "line": {"color": NEUTRAL_COLOR, "width": 1}}
    lines = [(float(value), mode) for mode, value in (liquidations or {}).items()
             if value is not None and low <= value <= high]
    price_lines = [vline(today, NEUTRAL_COLOR, 2)] + [vline(value, MODE_COLORS[mode], 3, "dash") for value, mode in lines]
    annotations = [line_label(today, f"today {price(today)}", None, f"bottom {label_side(today, low, high)}")]
    # The liquidation labels sit in a band above the plot, each in its own row (as on the Liquidation page).
    height, domain, band = label_band(traces, lines, low, high, 500, now)
    if lines:  # the price lines stop at the plot's top, under the labels
        price_lines = [{**shape, "yref": "y domain"} for shape in price_lines]
    return figure(traces, f"Payoff as {asset} moves", f"{asset} price (USD)", "P&L (USD)", height=height,
                  shapes=[zero, *price_lines], annotations=annotations,
                  xaxis={"tickformat": price_format(today), "range": [low, high]},
                  yaxis={"tickformat": USD_FORMAT, "range": [bottom, top], "domain": domain}, **band)
