"""The Build page's market-data figures: volatilities and correlations estimated from a price history.

Input is a :class:`margin.history.EstimateResult` (vols as annualised fractions, a correlation
matrix); nothing here calls the engine. Style from :mod:`charts.style`, as every chart: fonts of at
least 16 px, axis titles with units, SVG traces, no background or text colour fixed. The colours are
not the margin-mode colours (these charts are about the market, not a margin mode): sky blue for the
estimate, grey for the market today, and a red-white-blue diverging scale for correlations (−1 red,
0 white, +1 blue; each cell's value in black or white, whichever reads on it).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from charts.style import CORRELATION_SCALE, ESTIMATE_COLOR, FONT_SIZE, MUTED_COLOR, NEUTRAL_COLOR, figure

#: Above this many assets the heatmap cells are too small to print their values.
MAX_ANNOTATED = 15
#: Room (px) around the plot: these charts carry short labels.
MARGIN = {"l": 80, "r": 30, "t": 70, "b": 90}


def _percent(fraction: float | None) -> str:
    return "" if fraction is None else f"{fraction * 100:.0f} %"


def vol_bars(estimate, market_vols: Mapping[str, float] | None = None) -> go.Figure:
    """Bars of annualised volatility (% a year) per asset: the estimate beside the market's today.

    Args:
        estimate: an EstimateResult (anything with ``.vols``: asset -> annualised fraction).
        market_vols: the current market's vols (asset -> fraction). Assets of the estimate missing
            from it get no grey bar. None: only the estimate is drawn.

    Returns:
        A figure with one trace per series (``meta={"series": "market" | "estimate"}``), one bar per
        asset of the estimate, in the estimate's order; y values in % a year.
    """
    assets = list(estimate.vols)
    current = [market_vols.get(a) for a in assets] if market_vols is not None else []
    traces = []
    if market_vols is not None:
        traces.append({
            "type": "bar", "x": assets, "y": [None if v is None else v * 100 for v in current], "name": "Market today",
            "marker": {"color": MUTED_COLOR}, "meta": {"series": "market"},
            "text": [_percent(v) for v in current], "textposition": "outside", "textfont": {"size": FONT_SIZE},
            "hovertemplate": "%{x}: %{y:.1f} % a year<extra>Market today</extra>",
        })
    values = [estimate.vols[a] for a in assets]
    traces.append({
        "type": "bar", "x": assets, "y": [v * 100 for v in values], "name": "Estimated from the history",
        "marker": {"color": ESTIMATE_COLOR, "line": {"color": NEUTRAL_COLOR, "width": 1}},
        "meta": {"series": "estimate"}, "text": [_percent(v) for v in values], "textposition": "outside",
        "textfont": {"size": FONT_SIZE}, "hovertemplate": "%{x}: %{y:.1f} % a year<extra>Estimate</extra>",
    })
    shown = values + [v for v in current if v is not None]
    top = max([*shown, 0.01])
    # A percentage that would have to shrink below FONT_SIZE to fit its bar (a phone) is left to the hover.
    return figure(traces, "Volatility: estimate vs market today", "", "Volatility (% a year)", height=420,
                  margin=MARGIN, xaxis={"type": "category"}, yaxis={"range": [0, top * 100 * 1.2], "ticksuffix": " %"},
                  barmode="group", bargap=0.3, uniformtext={"mode": "hide", "minsize": FONT_SIZE})


def correlation_heatmap(estimate) -> go.Figure:
    """The estimated correlation matrix as an annotated heatmap, colours pinned to [−1, 1].

    Args:
        estimate: an EstimateResult (anything with ``.correlation``, a square DataFrame indexed by
            asset on both axes).

    Returns:
        A figure with one heatmap whose ``z`` is the n x n matrix (rows top to bottom in the
        matrix's order), ``zmin=-1``, ``zmax=1``; each cell is labelled with its value (``+0.85``)
        when there are at most :data:`MAX_ANNOTATED` assets.
    """
    frame = estimate.correlation
    values = frame.to_numpy(dtype=float)
    labels = [str(a) for a in frame.index]
    n = len(labels)
    heatmap = {
        "type": "heatmap", "z": values, "x": labels, "y": labels, "zmin": -1.0, "zmax": 1.0, "zmid": 0.0,
        "colorscale": CORRELATION_SCALE, "text": [[f"{v:+.2f}" for v in row] for row in values],
        "texttemplate": "%{text}" if n <= MAX_ANNOTATED else None,
        "textfont": {"size": FONT_SIZE + 2 if n <= 6 else FONT_SIZE},
        "colorbar": {"title": {"text": "ρ"}, "tickvals": [-1, -0.5, 0, 0.5, 1], "tickfont": {"size": FONT_SIZE}},
        "hovertemplate": "%{y} / %{x}: ρ = %{text}<extra></extra>", "xgap": 2, "ygap": 2,
    }
    height = int(np.clip(140 + 70 * n, 380, 900))
    return figure([heatmap], "Correlation of daily returns", "", "", height=height, margin=MARGIN,
                  xaxis={"type": "category", "side": "bottom", "showgrid": False, "zeroline": False},
                  yaxis={"type": "category", "autorange": "reversed", "scaleanchor": "x", "showgrid": False,
                         "zeroline": False})
