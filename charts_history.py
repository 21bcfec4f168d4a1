"""Pure chart builders for the price-history estimates (Build page, "Market data"). No streamlit here.

Input is a :class:`margin.history.EstimateResult` (vols as annualised fractions, a correlation
matrix). Same conventions as :mod:`charts`: fonts of at least 16 px for a projector, axis titles
with units, SVG traces only, and the same light/dark convention: charts' slim light template, drawn
by ``ui.page.chart`` with Streamlit's theme, no background or text colour fixed here. The colours
are not the margin-mode colours (these charts are about the market, not a margin mode): Okabe-Ito
sky blue for the estimate, grey for the market today, and a red-white-blue diverging scale for
correlations (−1 red, 0 white, +1 blue; each cell's value in black or white, whichever reads on it).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from charts import FONT_SIZE, NEUTRAL_COLOR, STANDOFF, TEMPLATE, legend

ESTIMATE_COLOR = "#56B4E9"  # Okabe-Ito sky blue
MARKET_COLOR = "#9AA5B1"  # light grey, as the histogram's ordinary bars
#: Diverging scale pinned to [−1, 1]: strong negative red, zero white, strong positive blue.
CORRELATION_SCALE = [
    [0.0, "#B2182B"],
    [0.25, "#EF8A62"],
    [0.5, "#F7F7F7"],
    [0.75, "#67A9CF"],
    [1.0, "#2166AC"],
]
#: Above this many assets the heatmap cells are too small to print their values.
MAX_ANNOTATED = 15


def _style(fig: go.Figure, title: str, x_title: str, y_title: str, height: int) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "font": {"size": FONT_SIZE + 4}},
        font={"size": FONT_SIZE},
        hoverlabel={"font": {"size": FONT_SIZE}},
        legend=legend(height),
        margin={"l": 80, "r": 30, "t": 70, "b": 90, "pad": 0},
        height=height,
    )
    fig.update_xaxes(title={"text": x_title, "font": {"size": FONT_SIZE}, "standoff": STANDOFF},
                     tickfont={"size": FONT_SIZE})
    fig.update_yaxes(title={"text": y_title, "font": {"size": FONT_SIZE}, "standoff": STANDOFF},
                     tickfont={"size": FONT_SIZE})
    return fig


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
    fig = go.Figure()
    if market_vols is not None:
        fig.add_trace(go.Bar(
            x=assets, y=[None if v is None else v * 100 for v in current], name="Market today",
            marker_color=MARKET_COLOR, meta={"series": "market"},
            text=[_percent(v) for v in current], textposition="outside", textfont={"size": FONT_SIZE},
            hovertemplate="%{x}: %{y:.1f} % a year<extra>Market today</extra>",
        ))
    values = [estimate.vols[a] for a in assets]
    fig.add_trace(go.Bar(
        x=assets, y=[v * 100 for v in values], name="Estimated from the history",
        marker_color=ESTIMATE_COLOR, marker_line={"color": NEUTRAL_COLOR, "width": 1}, meta={"series": "estimate"},
        text=[_percent(v) for v in values], textposition="outside", textfont={"size": FONT_SIZE},
        hovertemplate="%{x}: %{y:.1f} % a year<extra>Estimate</extra>",
    ))
    shown = values + [v for v in current if v is not None]
    top = max([*shown, 0.01])
    # A percentage that would have to shrink below FONT_SIZE to fit its bar (a phone) is left to the hover.
    fig.update_layout(barmode="group", bargap=0.3, uniformtext={"mode": "hide", "minsize": FONT_SIZE})
    fig.update_yaxes(range=[0, top * 100 * 1.2], ticksuffix=" %")
    fig.update_xaxes(type="category")
    return _style(fig, "Volatility: estimate vs market today", "", "Volatility (% a year)", height=420)


def correlation_heatmap(estimate) -> go.Figure:
    """The estimated correlation matrix as an annotated heatmap, colours pinned to [−1, 1].

    Args:
        estimate: an EstimateResult (anything with ``.correlation``, a square DataFrame indexed by
            asset on both axes).

    Returns:
        A figure with one go.Heatmap whose ``z`` is the n x n matrix (rows top to bottom in the
        matrix's order), ``zmin=-1``, ``zmax=1``; each cell is labelled with its value (``+0.85``)
        when there are at most :data:`MAX_ANNOTATED` assets.
    """
    frame = estimate.correlation
    values = frame.to_numpy(dtype=float)
    labels = [str(a) for a in frame.index]
    n = len(labels)
    text = [[f"{v:+.2f}" for v in row] for row in values]
    annotate = n <= MAX_ANNOTATED
    fig = go.Figure(go.Heatmap(
        z=values, x=labels, y=labels, zmin=-1.0, zmax=1.0, zmid=0.0, colorscale=CORRELATION_SCALE,
        text=text, texttemplate="%{text}" if annotate else None,
        textfont={"size": FONT_SIZE + 2 if n <= 6 else FONT_SIZE},
        colorbar={"title": {"text": "ρ"}, "tickvals": [-1, -0.5, 0, 0.5, 1], "tickfont": {"size": FONT_SIZE}},
        hovertemplate="%{y} / %{x}: ρ = %{text}<extra></extra>", xgap=2, ygap=2,
    ))
    fig.update_xaxes(type="category", side="bottom", showgrid=False, zeroline=False)
    fig.update_yaxes(type="category", autorange="reversed", scaleanchor="x", showgrid=False, zeroline=False)
    height = int(np.clip(140 + 70 * n, 380, 900))
    return _style(fig, "Correlation of daily returns", "", "", height=height)
