"""The volatility smile: implied vol against strike, one line per expiry, the book's options marked. Pure."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts import style

_DASHES = ("solid", "dash", "dot", "dashdot", "longdash")


def smile_chart(curves: pd.DataFrame, points: pd.DataFrame, asset: str, today: float) -> go.Figure:
    """Implied vol (% a year) against strike (USD) for each expiry in ``curves`` (columns expiry_days,
    strike, vol), the book's options (``points``: label, strike, vol) as markers, today's price as a line."""
    traces = []
    for n, (days, curve) in enumerate(curves.groupby("expiry_days", sort=True)):
        traces.append({"type": "scatter", "mode": "lines", "x": curve["strike"].tolist(),
                       "y": (curve["vol"] * 100).tolist(), "name": f"{days:g} days",
                       "hovertemplate": f"strike %{{x:$,.0f}}: %{{y:.1f}} % a year<extra>{days:g} days</extra>",
                       "line": {"color": style.PORTFOLIO_COLOR, "dash": _DASHES[n % len(_DASHES)], "width": 2}})
    if not points.empty:
        traces.append({"type": "scatter", "mode": "markers", "x": points["strike"].tolist(),
                       "y": (points["vol"] * 100).tolist(), "name": "the book's options",
                       "text": points["label"].tolist(), "hovertemplate": "%{text}: %{y:.1f} %<extra></extra>",
                       "marker": {"color": style.CROSS_COLOR, "size": 11}})
    return style.figure(traces, f"{asset} volatility smile", "Strike (USD)", "Implied vol (% a year)",
                        height=360, shapes=[style.vline(today, style.NEUTRAL_COLOR, 1.5, "dot")],
                        annotations=[style.line_label(today, "today", style.NEUTRAL_COLOR)],
                        xaxis={"tickformat": style.price_format(today)})
