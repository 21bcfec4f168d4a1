"""The Shocks page's figures: requirements along a shock sweep, the sweep heatmap, a risk unit's
scenario grid, and the simulated P&L histogram with its VaR lines.

Take :func:`margin.shock_sweep` / :func:`margin.detect_jumps` tables, scenario grids and simulated
P&L; never call the engine. Style from :mod:`charts.style`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale, sample_colorscale

from charts.style import (
    CROSS_COLOR,
    EQUITY_COLOR,
    FONT_SIZE,
    HEIGHT,
    MODE_COLORS,
    MODE_LABELS,
    MUTED_COLOR,
    NEUTRAL_COLOR,
    PORTFOLIO_COLOR,
    USD_FORMAT,
    figure,
    ink_on,
    margins,
    vline,
)
from views.text import money

#: What a correlation shock does (margin.market.shock_correlation): toward 0 below 0, toward 1 above.
CORR_SHOCK_TITLE = "Correlation shock (−1 = hedges break: every correlation falls to 0; +1 = all rise to 1)"
#: The same on the charts' axis, over three lines: on one line it ran off a phone's 358 px chart (where
#: ui/compact.py draws axis titles a little smaller, so the middle line fits).
CORR_SHOCK_AXIS = "Correlation shock<br>−1 = hedges break: every correlation falls to 0<br>+1 = all rise to 1"
#: px the axis title's two extra lines add to the bottom margin.
_AXIS_EXTRA_LINES = round(2 * 1.3 * FONT_SIZE)
#: The colour bar of a heatmap lies under the x axis (px: its own height, its title and ticks):
#: upright on the right it took 160 px of a phone's 358 px chart, leaving the cells ~70 px.
_COLOR_BAR_BAND = 70


def _color_bar(height: int) -> dict:
    """A horizontal colour bar across the bottom of a ``height`` px figure, under the x-axis title.

    Untitled: its ticks are dollar amounts, and the chart's title says what the colour is. (Plotly
    draws a horizontal bar's title over the bar when the bar is placed in the figure's px.)
    """
    return {"tickformat": "$~s", "orientation": "h",  # "$20k": a phone's bar is ~200 px long
            "x": 0.5, "xanchor": "center", "xref": "paper", "y": 8 / height, "yanchor": "bottom",
            "yref": "container", "thickness": 14, "len": 1, "lenmode": "fraction", "nticks": 5}


def _heatmap_margin(traces: list[dict], axis_lines: int = 0) -> dict:
    """The fitted margins (charts.style.margins) with the colour bar below rather than on the right."""
    margin = margins(traces, False)
    return {**margin, "r": margins([], False)["r"], "b": margin["b"] + _COLOR_BAR_BAND + axis_lines}


def _shock_tick(shock: float) -> str:
    """'−1.0', '0', '+0.4': a correlation shock as the heatmap's column label (a true minus)."""
    return "0" if round(shock, 6) == 0 else f"{shock:+.1f}".replace("-", "−")


def short_label(label: str | None) -> str:
    """A scenario label trimmed for a chart annotation: its driving move only ('ETH +27.7%')."""
    if not label:
        return ""
    return label.split(",")[0].split(" with the others")[0].strip()


_SWEEP_AXES = {
    "vol_mult": ("Volatility multiplier (×, 1 = today)", "×%{x:~g}"),  # ~g: "×3", not "×3.00000"
    "corr_shock": (CORR_SHOCK_AXIS, "correlation shock %{x:+.1f}"),
}


def sweep_lines(line: pd.DataFrame, along: str, jumps: pd.DataFrame | None = None, title: str = "") -> go.Figure:
    """Requirements of both modes (USD) along one axis of a shock sweep, jumps annotated.

    ``line`` holds the sweep rows of one line (fixed other shock), ``jumps`` the matching rows of
    :func:`margin.detect_jumps`; each jump gets a marker and the scenario that became binding.
    """
    x_title, x_hover = _SWEEP_AXES[along]
    line = line.sort_values(along)
    x = line[along].to_numpy(dtype=float)
    traces = []
    for mode in ("cross", "portfolio"):
        for kind, dash, width in (("initial", "dot", 3), ("maintenance", "solid", 4)):
            name = f"{MODE_LABELS[mode]} {kind}"
            traces.append({
                "type": "scatter", "x": x, "y": line[f"{mode}_{kind}"].to_numpy(dtype=float), "name": name,
                "mode": "lines+markers", "meta": {"mode": mode}, "marker": {"size": 7},
                "line": {"color": MODE_COLORS[mode], "dash": dash, "width": width},
                "hovertemplate": f"{x_hover}: %{{y:$,.0f}}<extra>{name}</extra>",
            })
    traces.append({"type": "scatter", "x": x, "y": line["equity"].to_numpy(dtype=float), "name": "Equity",
                   "mode": "lines", "meta": {"mode": "equity"},
                   "line": {"color": EQUITY_COLOR, "dash": "dash", "width": 3},
                   "hovertemplate": f"{x_hover}: %{{y:$,.0f}}<extra>Equity</extra>"})
    if jumps is not None and not jumps.empty:
        scenarios = [f"→ {short_label(s)}" for s in jumps["scenario_after"]]
        # Each marker carries its number (text on the trace), matching the numbered list the page
        # prints under the chart; the scenario shows on hover. Arrowed, boxed annotations cost a
        # browser ~15 ms each on every redraw and pile up where jumps are close together.
        traces.append({
            "type": "scatter", "x": jumps[along].to_numpy(dtype=float), "y": jumps["value"].to_numpy(dtype=float),
            "name": "Jump (numbered as in the list below)", "mode": "markers+text", "meta": {"mode": "portfolio"},
            # A white rim parts the diamond from the blue line under it, on a light or a dark page.
            "marker": {"color": PORTFOLIO_COLOR, "size": 16, "symbol": "diamond",
                       "line": {"color": "white", "width": 2}},
            "text": [str(i + 1) for i in range(len(scenarios))], "customdata": scenarios,
            # Below the marker: the initial-margin line runs just above the maintenance line.
            "textposition": "bottom center", "textfont": {"size": FONT_SIZE + 2},  # the theme's text colour
            "hovertemplate": f"jump %{{text}} at {x_hover}: %{{y:$,.0f}}<br>%{{customdata}}<extra></extra>",
        })
    pad = 0.04 * (x.max() - x.min()) if x.size > 1 else 0.5
    if along == "corr_shock":
        # Hedges breaking to the right; a tick every 0.4 from 0 (every 0.2 stood on end on a phone).
        xaxis = {"range": [x.max() + pad, x.min() - pad], "dtick": 0.4, "tick0": 0}
    else:
        xaxis = {"range": [x.min() - pad, x.max() + pad]}
    margin = margins(traces, True)
    if along == "corr_shock":
        margin["b"] += _AXIS_EXTRA_LINES
    return figure(traces, title or "Requirement under shocks", x_title, "Requirement (USD)", margin=margin,
                   height=HEIGHT + (_AXIS_EXTRA_LINES if along == "corr_shock" else 0),
                   xaxis=xaxis, yaxis={"tickformat": USD_FORMAT, "rangemode": "tozero"})


def sweep_heatmap(sweep: pd.DataFrame, column: str = "portfolio_maintenance") -> go.Figure:
    """Heatmap of one sweep column (USD) over vol multiplier (rows) x correlation shock (columns)."""
    table = sweep.pivot_table(index="vol_mult", columns="corr_shock", values=column, aggfunc="first")
    table = table.sort_index().sort_index(axis=1)
    heatmap = {
        "type": "heatmap", "z": table.to_numpy(dtype=float), "x": [_shock_tick(c) for c in table.columns],
        "y": [f"×{v:g}" for v in table.index], "colorscale": get_colorscale("Blues"),
        "colorbar": _color_bar(HEIGHT + _COLOR_BAR_BAND + _AXIS_EXTRA_LINES),
        "meta": {"mode": "portfolio" if column.startswith("portfolio") else "cross"},
        "hovertemplate": "vol %{y}, correlation shock %{x}: %{z:$,.0f}<extra></extra>",
    }
    label = column.replace("_", " ")
    return figure([heatmap], f"{label.capitalize()} over both shocks", CORR_SHOCK_AXIS,
                   "Volatility multiplier (×)", height=HEIGHT + _COLOR_BAR_BAND + _AXIS_EXTRA_LINES,
                   margin=_heatmap_margin([heatmap], _AXIS_EXTRA_LINES),
                   xaxis={"type": "category"}, yaxis={"type": "category"})


_GRID_HEIGHT = 380


def scenario_grid_heatmap(grid: pd.DataFrame, unit: str) -> go.Figure:
    """The price x vol scenario P&L grid of one risk unit (USD), the worst cell outlined.

    ``grid`` is ``MarginResult.scenario_grids[unit]``: rows = vol scenario, columns = price move
    as a fraction of spot, values = P&L in USD (negative = loss).
    """
    values = grid.to_numpy(dtype=float)
    # "−16 %", "+2.5 %": no ".0" (shorter ticks stay level on a phone); 0 without a sign; a true minus.
    x = [f"{round(m * 100, 1):+g} %".replace("+0 %", "0 %").replace("-0 %", "0 %").replace("-", "−")
         for m in grid.columns.astype(float)]
    y = [str(v) for v in grid.index]
    bound = max(float(np.abs(values).max()), 1.0)
    heatmap = {
        "type": "heatmap", "z": values, "x": x, "y": y, "colorscale": get_colorscale("RdBu"), "zmid": 0, "zmin": -bound,
        "zmax": bound, "text": [[money(v) for v in row] for row in values], "texttemplate": "%{text}",
        "textfont": {"size": FONT_SIZE}, "colorbar": _color_bar(_GRID_HEIGHT + _COLOR_BAR_BAND),
        "hovertemplate": "price %{x}, %{y}: %{text}<extra></extra>", "meta": {"mode": "portfolio"},
    }
    row, col = np.unravel_index(int(np.argmin(values)), values.shape)
    cell = sample_colorscale("RdBu", [float(np.clip((values[row, col] + bound) / (2 * bound), 0, 1))])[0]
    worst = {"type": "rect", "x0": col - 0.5, "x1": col + 0.5, "y0": row - 0.5, "y1": row + 0.5, "xref": "x",
             "yref": "y", "line": {"color": ink_on(cell), "width": 5}, "fillcolor": "rgba(0,0,0,0)"}
    # A unit without options loses the same in every vol row: the title says so, as the page's reading does.
    same_rows = len(values) > 1 and bool(np.all(np.ptp(values, axis=0) <= 1e-6 * bound))
    title = f"Scenario P&L of the {unit} risk unit (worst cell outlined{'; every vol row the same' if same_rows else ''})"
    return figure([heatmap], title, "Price move (% of spot)", "Volatility scenario",
                   height=_GRID_HEIGHT + _COLOR_BAR_BAND, margin=_heatmap_margin([heatmap]), shapes=[worst],
                   xaxis={"type": "category"},
                   yaxis={"type": "category", "autorange": "reversed"})


def pnl_histogram(pnl: np.ndarray, var_delta_normal: float | None, var_monte_carlo: float | None,
                  bins: int = 80) -> go.Figure:
    """Histogram of simulated 1-day P&L (USD), pre-binned into ``bins`` bars, VaR lines marked."""
    pnl = np.asarray(pnl, dtype=float)
    if pnl.size and np.ptp(pnl) > 0:
        counts, edges = np.histogram(pnl, bins=bins)
        centres, width = (edges[:-1] + edges[1:]) / 2.0, float(edges[1] - edges[0])
    else:
        centres, counts, width = np.array([float(pnl[0]) if pnl.size else 0.0]), np.array([pnl.size]), 1.0
    threshold = -var_monte_carlo if var_monte_carlo is not None else -np.inf
    colors = [CROSS_COLOR if c < threshold else MUTED_COLOR for c in centres]
    bars = {"type": "bar", "x": centres, "y": counts, "width": width, "marker": {"color": colors},
            "name": "Simulated days", "hovertemplate": "P&L %{x:$,.0f}: %{y} paths<extra></extra>", "showlegend": False}
    traces, shapes = [bars], []
    # Each VaR line is named in the legend (a line sample in its dash), not by a label beside it: the
    # two lines are often a few dollars apart, and on a phone a label beside one ran off the chart
    # or over the bars whichever side it took. The legend wraps at any width.
    for value, label, dash in ((var_monte_carlo, "Monte Carlo", "solid"), (var_delta_normal, "delta-normal", "dash")):
        if value is None:
            continue
        shapes.append(vline(-value, NEUTRAL_COLOR, 3, dash))
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines", "hoverinfo": "skip",
                       "name": f"99 % VaR {label}: {money(value)}",
                       "line": {"color": NEUTRAL_COLOR, "width": 3, "dash": dash}})
    return figure(traces, "Simulated one-day P&L (Monte Carlo)", "One-day P&L (USD)", "Number of paths", height=420,
                   shapes=shapes, xaxis={"tickformat": USD_FORMAT}, showlegend=len(traces) > 1, bargap=0)
