"""Pure chart builders: engine results and DataFrames -> plotly ``go.Figure``. No streamlit here.

Every chart uses the same colour per margin mode (Okabe-Ito palette, readable by colour-blind
viewers), fonts of at least 16 px for a projector, axis titles with units, SVG traces (go.Scatter,
never WebGL) and at most a few hundred points per trace. Each mode's trace carries
``meta={"mode": ...}`` so tests can check the colours.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

CROSS_COLOR = "#D55E00"  # vermillion
PORTFOLIO_COLOR = "#0072B2"  # blue
ISOLATED_COLOR = "#CC79A7"  # reddish purple
EQUITY_COLOR = "#009E73"  # bluish green
NEUTRAL_COLOR = "#555555"
MODE_COLORS = {"cross": CROSS_COLOR, "portfolio": PORTFOLIO_COLOR, "isolated": ISOLATED_COLOR, "equity": EQUITY_COLOR}
MODE_LABELS = {"cross": "Cross", "portfolio": "Portfolio", "isolated": "Isolated"}

FONT_SIZE = 16
MAX_POINTS = 400
_HEIGHT = 480


def _style(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = _HEIGHT) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "font": {"size": FONT_SIZE + 4}},
        font={"size": FONT_SIZE},
        hoverlabel={"font": {"size": FONT_SIZE}},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0, "font": {"size": FONT_SIZE}},
        margin={"l": 80, "r": 30, "t": 70, "b": 90},
        height=height,
    )
    fig.update_xaxes(title={"text": x_title, "font": {"size": FONT_SIZE}}, tickfont={"size": FONT_SIZE})
    fig.update_yaxes(title={"text": y_title, "font": {"size": FONT_SIZE}}, tickfont={"size": FONT_SIZE})
    return fig


def scale_fonts(fig: go.Figure, scale: float) -> go.Figure:
    """A copy of ``fig`` with every font size (titles, axes, ticks, legend, annotations, colour bars,
    cell text) multiplied by ``scale``, margins and height grown to fit: the presenter view.

    ``scale`` 1 returns ``fig`` itself, so the default drawing is unchanged.
    """
    if scale == 1:
        return fig
    spec = fig.to_plotly_json()
    _scale_font_sizes(spec, scale, inside_font=False)
    scaled = go.Figure(spec)
    margin = scaled.layout.margin
    scaled.update_layout(margin={side: round((getattr(margin, side) or 0) * scale) for side in ("l", "r", "t", "b")})
    if scaled.layout.height:
        scaled.update_layout(height=round(scaled.layout.height * (1 + (scale - 1) / 2)))
    return scaled


def _scale_font_sizes(node, scale: float, inside_font: bool) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if inside_font and key == "size" and isinstance(value, (int, float)) and not isinstance(value, bool):
                node[key] = value * scale
            elif isinstance(value, (dict, list)):
                _scale_font_sizes(value, scale, key.endswith("font"))
    elif isinstance(node, list):
        for item in node:
            _scale_font_sizes(item, scale, inside_font)


def short_label(label: str | None) -> str:
    """A scenario label trimmed for a chart annotation: its driving move only ('ETH +27.7%')."""
    if not label:
        return ""
    return label.split(",")[0].split(" with the others")[0].strip()


USD_FORMAT = "$,.0f"  # d3: "−$20,000", never "$−20,000"


def _price_format(today: float) -> str:
    if today >= 100:
        return "$,.0f"
    if today >= 1:
        return "$,.2f"
    return "$.3~g"


def _money(value: float) -> str:
    rounded = round(value)
    return f"−${abs(rounded):,.0f}" if rounded < 0 else f"${rounded:,.0f}"


def _price(value: float) -> str:
    if value >= 1000:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    return f"${value:.4g}"


# -- Compare ---------------------------------------------------------------------------------
def requirement_bars(cross, portfolio) -> go.Figure:
    """Paired bars: cross vs portfolio, initial and maintenance (USD), with equity as a line.

    ``cross`` and ``portfolio`` are MarginResults (anything with .initial, .maintenance, .equity).
    """
    fig = go.Figure()
    categories = ["Initial margin", "Maintenance margin"]
    for mode, result in (("cross", cross), ("portfolio", portfolio)):
        values = [result.initial, result.maintenance]
        name = f"{MODE_LABELS[mode]} margin"
        if getattr(result, "params_name", ""):
            name += f" ({result.params_name})"
        fig.add_trace(go.Bar(
            x=categories, y=values, name=name, marker_color=MODE_COLORS[mode], meta={"mode": mode},
            text=[_money(v) for v in values], textposition="outside", textfont={"size": FONT_SIZE},
            hovertemplate="%{x}: %{y:$,.0f}<extra>" + name + "</extra>",
        ))
    fig.add_hline(y=cross.equity, line_color=EQUITY_COLOR, line_dash="dash", line_width=3,
                  annotation_text=f"Equity {_money(cross.equity)}", annotation_position="top right",
                  annotation_font={"size": FONT_SIZE, "color": EQUITY_COLOR})
    fig.update_layout(barmode="group", bargap=0.3)
    top = max(cross.initial, cross.maintenance, portfolio.initial, portfolio.maintenance, cross.equity, 1.0)
    fig.update_yaxes(range=[0, top * 1.18], tickformat=USD_FORMAT)
    return _style(fig, "Requirement: cross vs portfolio", "", "Requirement (USD)")


# -- Liquidation ----------------------------------------------------------------------------
def liquidation_chart(curves: pd.DataFrame, asset: str, today: float,
                      liquidations: Mapping[str, Mapping[str, object]] | None = None) -> go.Figure:
    """Equity and each mode's maintenance (USD) against the price of ``asset``.

    ``curves`` is :func:`margin.margin_curves` output (price, equity_<mode>, maintenance_<mode>);
    ``liquidations`` maps a mode to :func:`margin.liquidation_prices` output; crossings inside the
    plotted range are drawn as labelled vertical lines in the mode's colour.
    """
    price = curves["price"].to_numpy(dtype=float)
    fig = go.Figure()
    hover = "%{x:$,.4~g}: %{y:$,.0f}<extra>%{fullData.name}</extra>"
    fig.add_trace(go.Scatter(x=price, y=curves["equity_cross"], name="Equity", mode="lines",
                             line={"color": EQUITY_COLOR, "width": 4}, meta={"mode": "equity"},
                             hovertemplate=hover))
    if "equity_portfolio" in curves and np.max(np.abs(curves["equity_portfolio"] - curves["equity_cross"])) > 0.5:
        fig.add_trace(go.Scatter(x=price, y=curves["equity_portfolio"], name="Equity (portfolio haircuts)",
                                 mode="lines", line={"color": EQUITY_COLOR, "width": 3, "dash": "dot"},
                                 meta={"mode": "equity"}, hovertemplate=hover))
    for mode in ("cross", "portfolio", "isolated"):
        column = f"maintenance_{mode}"
        if column not in curves:
            continue
        fig.add_trace(go.Scatter(x=price, y=curves[column], name=f"{MODE_LABELS[mode]} maintenance", mode="lines",
                                 line={"color": MODE_COLORS[mode], "width": 3}, meta={"mode": mode},
                                 hovertemplate=hover))
        if mode == "isolated":
            fig.add_trace(go.Scatter(x=price, y=curves["equity_isolated"], name="Isolated sub-account equity",
                                     mode="lines", line={"color": ISOLATED_COLOR, "width": 3, "dash": "dot"},
                                     meta={"mode": "isolated"}, hovertemplate=hover))
    fig.add_vline(x=today, line_color=NEUTRAL_COLOR, line_width=2,
                  annotation_text=f"today {_price(today)}", annotation_position="bottom right",
                  annotation_font={"size": FONT_SIZE, "color": NEUTRAL_COLOR})
    low, high = float(price.min()), float(price.max())
    slot = 0
    for mode, found in (liquidations or {}).items():
        for side in ("below", "above"):
            value = found.get(side)
            if value is None or not low <= value <= high or (found.get("already") and side == "above"):
                continue
            fig.add_vline(x=value, line_color=MODE_COLORS[mode], line_dash="dash", line_width=3)
            fig.add_annotation(x=value, y=1.0 - 0.08 * slot, xref="x", yref="paper", showarrow=False,
                               xanchor="left", yanchor="top", text=f"{MODE_LABELS[mode]} liq. {_price(value)}",
                               font={"size": FONT_SIZE, "color": MODE_COLORS[mode]},
                               bgcolor="rgba(255,255,255,0.8)")
            slot += 1
    fig.update_xaxes(tickformat=_price_format(today), range=[low, high])
    fig.update_yaxes(tickformat=USD_FORMAT, range=list(focus_range(curves, today)))
    return _style(fig, f"Equity and maintenance as {asset} moves", f"{asset} price (USD)", "USD", height=540)


def focus_range(curves: pd.DataFrame, today: float) -> tuple[float, float]:
    """A y range (USD) that keeps today's equity and every maintenance curve readable.

    Equity runs far off in both directions on a 0.3x-2x price axis; the crossing with
    maintenance, the part that matters, happens near today's equity level. Zoom out by
    double-clicking the chart.
    """
    price = curves["price"].to_numpy(dtype=float)
    i = int(np.argmin(np.abs(price - today)))
    equity_today = abs(float(curves["equity_cross"].iloc[i]))
    maintenance = curves[[c for c in curves if c.startswith("maintenance_")]].to_numpy(dtype=float)
    top = max(equity_today * 2.0, float(np.nanmax(maintenance)) * 1.1 if maintenance.size else 0.0, 1.0)
    bottom = min(-0.4 * max(equity_today, 1.0), float(np.nanmin(maintenance)) if maintenance.size else 0.0)
    return bottom, top


# -- Shocks ---------------------------------------------------------------------------------
_SWEEP_AXES = {
    "vol_mult": ("Volatility multiplier (×, 1 = today)", "×%{x:g}"),
    "corr_shock": ("Correlation shock (−1 hedges break, +1 all move together)", "%{x:+.1f}"),
}


def sweep_lines(line: pd.DataFrame, along: str, jumps: pd.DataFrame | None = None, title: str = "") -> go.Figure:
    """Requirements of both modes (USD) along one axis of a shock sweep, jumps annotated.

    ``line`` holds the sweep rows of one line (fixed other shock), ``jumps`` the matching rows of
    :func:`margin.detect_jumps`; each jump gets a marker and the scenario that became binding.
    """
    x_title, x_hover = _SWEEP_AXES[along]
    line = line.sort_values(along)
    x = line[along].to_numpy(dtype=float)
    fig = go.Figure()
    for mode in ("cross", "portfolio"):
        for kind, dash, width in (("initial", "dot", 3), ("maintenance", "solid", 4)):
            name = f"{MODE_LABELS[mode]} {kind}"
            fig.add_trace(go.Scatter(
                x=x, y=line[f"{mode}_{kind}"], name=name, mode="lines+markers", meta={"mode": mode},
                line={"color": MODE_COLORS[mode], "dash": dash, "width": width}, marker={"size": 7},
                hovertemplate=f"{x_hover}: %{{y:$,.0f}}<extra>{name}</extra>",
            ))
    fig.add_trace(go.Scatter(x=x, y=line["equity"], name="Equity", mode="lines", meta={"mode": "equity"},
                             line={"color": EQUITY_COLOR, "dash": "dash", "width": 3},
                             hovertemplate=f"{x_hover}: %{{y:$,.0f}}<extra>Equity</extra>"))
    if jumps is not None and not jumps.empty:
        fig.add_trace(go.Scatter(
            x=jumps[along], y=jumps["value"], name="Jump: binding scenario changes", mode="markers",
            meta={"mode": "portfolio"}, marker={"color": PORTFOLIO_COLOR, "size": 16, "symbol": "diamond",
                                                 "line": {"color": "black", "width": 2}},
            text=[short_label(s) for s in jumps["scenario_after"]],
            hovertemplate=f"{x_hover}: %{{y:$,.0f}}<br>then: %{{text}}<extra>jump</extra>",
        ))
        for i, (_, jump) in enumerate(jumps.iterrows()):
            fig.add_annotation(x=jump[along], y=jump["value"], text=f"{i + 1}: → {short_label(jump['scenario_after'])}",
                               showarrow=True, arrowhead=2, ax=0, ay=-45 - 32 * i,
                               font={"size": FONT_SIZE, "color": PORTFOLIO_COLOR},
                               bgcolor="rgba(255,255,255,0.85)", bordercolor=PORTFOLIO_COLOR)
    pad = 0.04 * (x.max() - x.min()) if x.size > 1 else 0.5
    if along == "corr_shock":
        fig.update_xaxes(range=[x.max() + pad, x.min() - pad], dtick=0.2)  # hedges breaking to the right
    else:
        fig.update_xaxes(range=[x.min() - pad, x.max() + pad])
    fig.update_yaxes(tickformat=USD_FORMAT, rangemode="tozero")
    return _style(fig, title or "Requirement under shocks", x_title, "Requirement (USD)")


def sweep_heatmap(sweep: pd.DataFrame, column: str = "portfolio_maintenance") -> go.Figure:
    """Heatmap of one sweep column (USD) over vol multiplier (rows) x correlation shock (columns)."""
    table = sweep.pivot_table(index="vol_mult", columns="corr_shock", values=column, aggfunc="first")
    table = table.sort_index().sort_index(axis=1)
    fig = go.Figure(go.Heatmap(
        z=table.to_numpy(dtype=float), x=[f"{c:+.1f}" for c in table.columns], y=[f"×{v:g}" for v in table.index],
        colorscale="Blues", colorbar={"title": {"text": "USD"}, "tickformat": USD_FORMAT},
        meta={"mode": "portfolio" if column.startswith("portfolio") else "cross"},
        hovertemplate="vol %{y}, correlation shock %{x}: %{z:$,.0f}<extra></extra>",
    ))
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    label = column.replace("_", " ")
    return _style(fig, f"{label.capitalize()} over both shocks", "Correlation shock", "Volatility multiplier (×)")


def scenario_grid_heatmap(grid: pd.DataFrame, unit: str) -> go.Figure:
    """The price x vol scenario P&L grid of one risk unit (USD), the worst cell outlined.

    ``grid`` is ``MarginResult.scenario_grids[unit]``: rows = vol scenario, columns = price move
    as a fraction of spot, values = P&L in USD (negative = loss).
    """
    values = grid.to_numpy(dtype=float)
    x = [f"{m * 100:+.1f} %".replace("+0.0 %", "0 %") for m in grid.columns.astype(float)]
    y = [str(v) for v in grid.index]
    bound = max(float(np.abs(values).max()), 1.0)
    fig = go.Figure(go.Heatmap(
        z=values, x=x, y=y, colorscale="RdBu", zmid=0, zmin=-bound, zmax=bound,
        text=[[_money(v) for v in row] for row in values], texttemplate="%{text}", textfont={"size": FONT_SIZE},
        colorbar={"title": {"text": "P&L (USD)"}, "tickformat": USD_FORMAT},
        hovertemplate="price %{x}, %{y}: %{text}<extra></extra>", meta={"mode": "portfolio"},
    ))
    row, col = np.unravel_index(int(np.argmin(values)), values.shape)
    fig.add_shape(type="rect", x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5, xref="x", yref="y",
                  line={"color": "black", "width": 5}, fillcolor="rgba(0,0,0,0)")
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    return _style(fig, f"Scenario P&L of the {unit} risk unit (worst cell outlined)", "Price move (% of spot)",
                  "Volatility scenario", height=380)


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
    colors = [CROSS_COLOR if c < threshold else "#9AA5B1" for c in centres]
    fig = go.Figure(go.Bar(x=centres, y=counts, width=width, marker_color=colors, name="Simulated days",
                           hovertemplate="P&L %{x:$,.0f}: %{y} paths<extra></extra>"))
    for value, label, dash, position in ((var_monte_carlo, "Monte Carlo", "solid", "top left"),
                                         (var_delta_normal, "delta-normal", "dash", "bottom left")):
        if value is None:
            continue
        fig.add_vline(x=-value, line_color="black", line_dash=dash, line_width=3,
                      annotation_text=f"99 % VaR {label}: {_money(value)}", annotation_position=position,
                      annotation_font={"size": FONT_SIZE})
    fig.update_layout(showlegend=False, bargap=0)
    fig.update_xaxes(tickformat=USD_FORMAT)
    return _style(fig, "Simulated one-day P&L (Monte Carlo)", "One-day P&L (USD)", "Number of paths", height=420)
