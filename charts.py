"""Pure chart builders: engine results and DataFrames -> plotly ``go.Figure``. No streamlit here.

Every chart uses the same colour per margin mode (Okabe-Ito palette, readable by colour-blind
viewers), fonts of at least 16 px for a projector, axis titles with units, SVG traces (go.Scatter,
never WebGL) and at most a few hundred points per trace. Each mode's trace carries
``meta={"mode": ...}`` so tests can check the colours.

Light and dark: a figure carries a light template (plotly_white's page layout, see ``TEMPLATE``)
for drawing anywhere; in the app ``ui.page.chart`` draws it with Streamlit's theme, which swaps the
template's background, text and grid colours for the active theme's, light or dark, in the browser
(so the chart follows a theme switch at once, without a rerun). No builder fixes a background or a
text colour therefore: text with no meaning colour takes the theme's; the mode colours and
``NEUTRAL_COLOR`` read at 3:1 or better on both the white and the dark background, so they are the
same in both themes; and an outline drawn on a coloured cell takes the ink that contrasts with that
cell (``ink_on``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import sample_colorscale

CROSS_COLOR = "#D55E00"  # vermillion
PORTFOLIO_COLOR = "#0072B2"  # blue
ISOLATED_COLOR = "#CC79A7"  # reddish purple
EQUITY_COLOR = "#009E73"  # bluish green
NEUTRAL_COLOR = "#8A8F98"  # mid grey: 3.2:1 on white, 5.8:1 on the dark theme's #0e1117
MODE_COLORS = {"cross": CROSS_COLOR, "portfolio": PORTFOLIO_COLOR, "isolated": ISOLATED_COLOR, "equity": EQUITY_COLOR}
MODE_LABELS = {"cross": "Cross", "portfolio": "Portfolio", "isolated": "Isolated"}

FONT_SIZE = 16
MAX_POINTS = 400
_HEIGHT = 480

#: plotly_white's page layout (backgrounds, grid and axis colours, fonts), without its per-trace-type
#: defaults and colour scales: copying the full template into every figure cost ~12 ms on build and
#: ~12 ms again on serialisation, a quarter of a slider's rerun. Every colour scale here is explicit.
TEMPLATE = go.layout.Template(layout={
    key: value for key, value in pio.templates["plotly_white"].layout.to_plotly_json().items()
    if key in ("autotypenumbers", "colorway", "font", "hovermode", "hoverlabel", "paper_bgcolor", "plot_bgcolor",
               "xaxis", "yaxis", "title", "shapedefaults", "annotationdefaults")
})
#: Gap (px) between the tick labels and an axis title: plotly_white's. Set on every axis, since
#: Streamlit's theme would otherwise widen it (to 20-24 px) and the margins below would no longer fit.
STANDOFF = 15
#: The legend's distance (px) from the bottom edge of the figure.
_LEGEND_GAP = 6


def legend(height: int) -> dict:
    """The legend of a ``height`` px figure: horizontal, in the figure's bottom-left corner.

    Placed on the figure (``"container"`` coordinates), not on the plot: a legend placed a fraction of
    the plot's height below it lands on the x-axis title when fonts grow (presenter mode) or when the
    plot is short. Down in the corner, plotly keeps the plot area and its axis labels above it: when
    its rows need more than the bottom margin leaves (a phone, where it wraps), the plot is drawn
    shorter instead of under the legend.
    """
    return {"orientation": "h", "xref": "container", "x": 0, "xanchor": "left", "yref": "container",
            "y": _LEGEND_GAP / height, "yanchor": "bottom", "font": {"size": FONT_SIZE}}


def _figure(traces: list[dict], title: str, x_title: str, y_title: str, height: int = _HEIGHT,
            shapes: list[dict] | None = None, annotations: list[dict] | None = None,
            xaxis: dict | None = None, yaxis: dict | None = None, **layout) -> go.Figure:
    """One figure from plain trace and layout dicts, validated once by plotly.

    Built in one go rather than by add_trace/add_shape/update_layout calls: each of those
    re-validates what is already there, which made a chart cost 40-70 ms to build; one pass
    costs a fraction of that. The template is plotly_white's layout (see ``TEMPLATE``).
    """
    axis_font = {"size": FONT_SIZE}
    layout.setdefault("margin", _margins(traces, layout.get("showlegend", True)))
    layout["margin"] = {**layout["margin"], "pad": 0}  # Streamlit's theme would pad the axes by 8 px
    return go.Figure(data=traces, layout={
        "template": TEMPLATE,
        "title": {"text": title, "font": {"size": FONT_SIZE + 4}},
        "font": {"size": FONT_SIZE},
        "hoverlabel": {"font": {"size": FONT_SIZE}},
        "legend": legend(height),
        "height": height,
        "xaxis": {"title": {"text": x_title, "font": axis_font, "standoff": STANDOFF}, "tickfont": axis_font,
                  **(xaxis or {})},
        "yaxis": {"title": {"text": y_title, "font": axis_font, "standoff": STANDOFF}, "tickfont": axis_font,
                  **(yaxis or {})},
        "shapes": shapes or [],
        "annotations": annotations or [],
        **layout,
    })


#: Room (px) for the y tick labels and title, a colour bar, the title, and the x axis with no legend.
_LEFT, _RIGHT, _COLOR_BAR, _TOP, _BOTTOM = 110, 45, 160, 70, 90
#: Legend rows are sized for a plot this wide (px): the main column of a 1280-1400 px screen beside the sidebar.
_LEGEND_WIDTH = 700


def _margins(traces: list[dict], show_legend: bool) -> dict:
    """Margins (px) that already fit the axis labels, colour bar and legend below the plot.

    Plotly's automargin grows a margin that is too small by drawing the chart a second time: with
    margins that fit, each chart draws once (measured in chromium: 44-58 ms a draw down to 26-33
    ms). Wider labels or a narrower screen still work, at the old price; tests/test_chart_margins.py
    checks that no chart of the sample books needs more at 1000 px.
    """
    bar = any(t.get("type") == "heatmap" for t in traces)
    named = [t.get("name", "") for t in traces if t.get("showlegend", True) and t.get("type") != "heatmap"]
    bottom = _BOTTOM
    if show_legend and len(named) > 1:
        # ~0.5 em a character, plus the symbol and gap of each item; rows as wrapped in _LEGEND_WIDTH.
        width = sum(FONT_SIZE * 0.5 * len(name) + 40 for name in named)
        bottom = 72 + 42 * math.ceil(width / _LEGEND_WIDTH)
    return {"l": _LEFT, "r": _COLOR_BAR if bar else _RIGHT, "t": _TOP, "b": bottom}


def _vline(x: float, color: str, width: float, dash: str = "solid") -> dict:
    """A full-height vertical line at ``x`` (a plain shape: ``add_vline`` cost ~4 ms a line)."""
    return {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "paper",
            "line": {"color": color, "width": width, "dash": dash}}


def _line_label(x: float, text: str, color: str | None, position: str = "top left") -> dict:
    """A label beside a vertical line at ``x``: ``position`` is "top|bottom left|right" of the line.

    ``color`` None: the theme's text colour (see the module docstring).
    """
    vertical, horizontal = position.split()
    font = {"size": FONT_SIZE} if color is None else {"size": FONT_SIZE, "color": color}
    return {"x": x, "xref": "x", "y": 1 if vertical == "top" else 0, "yref": "paper", "text": text,
            "showarrow": False, "xanchor": "right" if horizontal == "left" else "left",
            "align": "right" if horizontal == "left" else "left",  # lines of text flush with the line
            "yanchor": "top" if vertical == "top" else "bottom", "font": font}


def label_side(x: float, low: float, high: float) -> str:
    """"right" or "left": the side of a vertical line at ``x`` on an axis from ``low`` to ``high`` with
    more room for a label. A label on the short side of a line near the edge ran off the plot on a
    phone, where the plot is ~200 px wide."""
    return "right" if x <= (low + high) / 2 else "left"


def ink_on(color: str) -> str:
    """"black" or "white", whichever contrasts more with ``color`` ("#rrggbb" or "rgb(r, g, b)"), by
    WCAG relative luminance: for a line drawn over a coloured cell, which looks the same in both themes."""
    if color.startswith("#"):
        channels = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    else:
        channels = [int(float(c)) for c in color[color.index("(") + 1:color.index(")")].split(",")[:3]]
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "white"


def scale_fonts(fig: go.Figure, scale: float) -> go.Figure:
    """A copy of ``fig`` with every font size (titles, axes, ticks, legend, annotations, colour bars,
    cell text) multiplied by ``scale``, margins and height grown to fit: the presenter view.

    ``scale`` 1 returns ``fig`` itself, so the default drawing is unchanged.
    """
    if scale == 1:
        return fig
    return go.Figure(scale_spec(fig.to_plotly_json(), scale))


def scale_spec(spec: dict, scale: float) -> dict:
    """:func:`scale_fonts` on a figure's plain-dict form (``fig.to_dict()``); returns a new dict."""
    if scale == 1:
        return spec
    scaled = copy.deepcopy(spec)
    _scale_font_sizes(scaled, scale, inside_font=False)
    layout = scaled.setdefault("layout", {})
    margin = layout.get("margin", {})
    layout["margin"] = {**margin, **{side: round((margin.get(side) or 0) * scale) for side in ("l", "r", "t", "b")}}
    if layout.get("height"):
        layout["height"] = round(layout["height"] * (1 + (scale - 1) / 2))
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
    categories = ["Initial margin", "Maintenance margin"]
    traces = []
    for mode, result in (("cross", cross), ("portfolio", portfolio)):
        values = [result.initial, result.maintenance]
        name = f"{MODE_LABELS[mode]} margin"
        if getattr(result, "params_name", ""):
            name += f" ({result.params_name})"
        traces.append({
            "type": "bar", "x": categories, "y": values, "name": name, "marker": {"color": MODE_COLORS[mode]},
            "meta": {"mode": mode}, "text": [_money(v) for v in values], "textposition": "outside",
            "textfont": {"size": FONT_SIZE}, "hovertemplate": "%{x}: %{y:$,.0f}<extra>" + name + "</extra>",
        })
    equity_line = {"type": "line", "y0": cross.equity, "y1": cross.equity, "yref": "y", "x0": 0, "x1": 1,
                   "xref": "paper", "line": {"color": EQUITY_COLOR, "width": 3, "dash": "dash"}}
    equity_label = {"y": cross.equity, "yref": "y", "x": 1, "xref": "paper", "text": f"Equity {_money(cross.equity)}",
                    "showarrow": False, "xanchor": "right", "yanchor": "bottom",
                    "font": {"size": FONT_SIZE, "color": EQUITY_COLOR}}
    top = max(cross.initial, cross.maintenance, portfolio.initial, portfolio.maintenance, cross.equity, 1.0)
    # On a phone (a ~200 px plot) one-line category names were turned on their side and ran off the
    # chart, and the amounts shrank to fit their bars: break the names over two lines, and hide an
    # amount that would need shrinking below FONT_SIZE (the cards above and the hover still give it).
    margin = _margins(traces, True)
    margin["b"] += round(FONT_SIZE * 1.25)  # the names' second line
    return _figure(traces, "Requirement: cross vs portfolio", "", "Requirement (USD)",
                   shapes=[equity_line], annotations=[equity_label], margin=margin,
                   xaxis={"tickvals": categories, "ticktext": [c.replace(" ", "<br>") for c in categories]},
                   yaxis={"range": [0, top * 1.18], "tickformat": USD_FORMAT}, barmode="group", bargap=0.3,
                   uniformtext={"mode": "hide", "minsize": FONT_SIZE})


# -- Liquidation ----------------------------------------------------------------------------
def liquidation_chart(curves: pd.DataFrame, asset: str, today: float,
                      liquidations: Mapping[str, Mapping[str, object]] | None = None) -> go.Figure:
    """Equity and each mode's maintenance (USD) against the price of ``asset``.

    ``curves`` is :func:`margin.margin_curves` output (price, equity_<mode>, maintenance_<mode>);
    ``liquidations`` maps a mode to :func:`margin.liquidation_prices` output; crossings inside the
    plotted range are drawn as labelled vertical lines in the mode's colour.
    """
    price = curves["price"].to_numpy(dtype=float)
    hover = "%{x:$,.4~g}: %{y:$,.0f}<extra>%{fullData.name}</extra>"

    def line(column: str, name: str, mode: str, width: float, dash: str = "solid") -> dict:
        return {"type": "scatter", "x": price, "y": curves[column].to_numpy(dtype=float), "name": name,
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
    low, high = float(price.min()), float(price.max())
    shapes = [_vline(today, NEUTRAL_COLOR, 2)]
    annotations = [_line_label(today, f"today {_price(today)}", None, f"bottom {label_side(today, low, high)}")]
    bottom, top = focus_range(curves, today)
    labels: dict[str, list] = {"x": [], "y": [], "text": [], "color": [], "position": []}
    for mode, found in (liquidations or {}).items():
        for side in ("below", "above"):
            value = found.get(side)
            if value is None or not low <= value <= high or (found.get("already") and side == "above"):
                continue
            shapes.append(_vline(value, MODE_COLORS[mode], 3, "dash"))
            labels["x"].append(value)
            # Two lines (name, price) stacked down from the top: one line ran off a phone's ~200 px plot.
            labels["y"].append(top - (0.09 + 0.16 * (len(shapes) - 2)) * (top - bottom))
            lines, side = (f"{MODE_LABELS[mode]} liq.", _price(value)), label_side(value, low, high)
            labels["text"].append("<br>".join(f" {line}" if side == "right" else f"{line} " for line in lines))
            labels["position"].append(f"middle {side}")
            labels["color"].append(MODE_COLORS[mode])
    if labels["x"]:
        # Text on a trace, not layout annotations: a browser lays out each annotation's box on
        # every redraw (~4 ms apiece), and this chart redraws at every slider move. Not clipped at the
        # plot's edge: a label near it runs on into the margin rather than being cut off.
        traces.append({"type": "scatter", "mode": "text", "x": labels["x"], "y": labels["y"], "text": labels["text"],
                       "textposition": labels["position"], "textfont": {"size": FONT_SIZE, "color": labels["color"]},
                       "cliponaxis": False, "showlegend": False, "hoverinfo": "skip", "name": "liquidation prices"})
    return _figure(traces, f"Equity and maintenance as {asset} moves", f"{asset} price (USD)", "USD", height=540,
                   shapes=shapes, annotations=annotations,
                   xaxis={"tickformat": _price_format(today), "range": [low, high]},
                   yaxis={"tickformat": USD_FORMAT, "range": [bottom, top]})


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
#: What a correlation shock does (margin.market.shock_correlation): toward 0 below 0, toward 1 above.
CORR_SHOCK_TITLE = "Correlation shock (−1 = hedges break: every correlation falls to 0; +1 = all rise to 1)"


def _shock_tick(shock: float) -> str:
    """'−1.0', '0', '+0.4': a correlation shock as the heatmap's column label (a true minus)."""
    return "0" if round(shock, 6) == 0 else f"{shock:+.1f}".replace("-", "−")


_SWEEP_AXES = {
    "vol_mult": ("Volatility multiplier (×, 1 = today)", "×%{x:g}"),
    "corr_shock": (CORR_SHOCK_TITLE, "correlation shock %{x:+.1f}"),
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
        xaxis = {"range": [x.max() + pad, x.min() - pad], "dtick": 0.2}  # hedges breaking to the right
    else:
        xaxis = {"range": [x.min() - pad, x.max() + pad]}
    return _figure(traces, title or "Requirement under shocks", x_title, "Requirement (USD)",
                   xaxis=xaxis, yaxis={"tickformat": USD_FORMAT, "rangemode": "tozero"})


def sweep_heatmap(sweep: pd.DataFrame, column: str = "portfolio_maintenance") -> go.Figure:
    """Heatmap of one sweep column (USD) over vol multiplier (rows) x correlation shock (columns)."""
    table = sweep.pivot_table(index="vol_mult", columns="corr_shock", values=column, aggfunc="first")
    table = table.sort_index().sort_index(axis=1)
    heatmap = {
        "type": "heatmap", "z": table.to_numpy(dtype=float), "x": [_shock_tick(c) for c in table.columns],
        "y": [f"×{v:g}" for v in table.index], "colorscale": "Blues",
        "colorbar": {"title": {"text": "USD"}, "tickformat": USD_FORMAT},
        "meta": {"mode": "portfolio" if column.startswith("portfolio") else "cross"},
        "hovertemplate": "vol %{y}, correlation shock %{x}: %{z:$,.0f}<extra></extra>",
    }
    label = column.replace("_", " ")
    return _figure([heatmap], f"{label.capitalize()} over both shocks", CORR_SHOCK_TITLE,
                   "Volatility multiplier (×)", xaxis={"type": "category"}, yaxis={"type": "category"})


def scenario_grid_heatmap(grid: pd.DataFrame, unit: str) -> go.Figure:
    """The price x vol scenario P&L grid of one risk unit (USD), the worst cell outlined.

    ``grid`` is ``MarginResult.scenario_grids[unit]``: rows = vol scenario, columns = price move
    as a fraction of spot, values = P&L in USD (negative = loss).
    """
    values = grid.to_numpy(dtype=float)
    x = [f"{m * 100:+.1f} %".replace("+0.0 %", "0 %").replace("-0.0 %", "0 %").replace("-", "−")
         for m in grid.columns.astype(float)]
    y = [str(v) for v in grid.index]
    bound = max(float(np.abs(values).max()), 1.0)
    heatmap = {
        "type": "heatmap", "z": values, "x": x, "y": y, "colorscale": "RdBu", "zmid": 0, "zmin": -bound,
        "zmax": bound, "text": [[_money(v) for v in row] for row in values], "texttemplate": "%{text}",
        "textfont": {"size": FONT_SIZE}, "colorbar": {"title": {"text": "P&L (USD)"}, "tickformat": USD_FORMAT},
        "hovertemplate": "price %{x}, %{y}: %{text}<extra></extra>", "meta": {"mode": "portfolio"},
    }
    row, col = np.unravel_index(int(np.argmin(values)), values.shape)
    cell = sample_colorscale("RdBu", [float(np.clip((values[row, col] + bound) / (2 * bound), 0, 1))])[0]
    worst = {"type": "rect", "x0": col - 0.5, "x1": col + 0.5, "y0": row - 0.5, "y1": row + 0.5, "xref": "x",
             "yref": "y", "line": {"color": ink_on(cell), "width": 5}, "fillcolor": "rgba(0,0,0,0)"}
    # A unit without options loses the same in every vol row: the title says so, as the page's reading does.
    same_rows = len(values) > 1 and bool(np.all(np.ptp(values, axis=0) <= 1e-6 * bound))
    title = f"Scenario P&L of the {unit} risk unit (worst cell outlined{'; every vol row the same' if same_rows else ''})"
    return _figure([heatmap], title, "Price move (% of spot)",
                   "Volatility scenario", height=380, shapes=[worst], xaxis={"type": "category"},
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
    colors = [CROSS_COLOR if c < threshold else "#9AA5B1" for c in centres]
    bars = {"type": "bar", "x": centres, "y": counts, "width": width, "marker": {"color": colors},
            "name": "Simulated days", "hovertemplate": "P&L %{x:$,.0f}: %{y} paths<extra></extra>", "showlegend": False}
    traces, shapes = [bars], []
    # Each VaR line is named in the legend (a line sample in its dash), not by a label beside it: the
    # two lines are often a few dollars apart, and on a phone a label beside one ran off the chart
    # or over the bars whichever side it took. The legend wraps at any width.
    for value, label, dash in ((var_monte_carlo, "Monte Carlo", "solid"), (var_delta_normal, "delta-normal", "dash")):
        if value is None:
            continue
        shapes.append(_vline(-value, NEUTRAL_COLOR, 3, dash))
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines", "hoverinfo": "skip",
                       "name": f"99 % VaR {label}: {_money(value)}",
                       "line": {"color": NEUTRAL_COLOR, "width": 3, "dash": dash}})
    return _figure(traces, "Simulated one-day P&L (Monte Carlo)", "One-day P&L (USD)", "Number of paths", height=420,
                   shapes=shapes, xaxis={"tickformat": USD_FORMAT}, showlegend=len(traces) > 1, bargap=0)
