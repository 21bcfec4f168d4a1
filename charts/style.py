"""The one style of every chart: colours, fonts, the light template, margins and legend that fit, and
presenter-mode scaling. Pure: plotly only, no streamlit and no engine call.

Every chart uses the same colour per margin mode (Okabe-Ito palette, readable by colour-blind
viewers), fonts of at least 16 px for a projector, axis titles with units, SVG traces (go.Scatter,
never WebGL) and at most a few hundred points per trace. Each mode's trace carries
``meta={"mode": ...}`` so tests can check the colours. The page modules (``charts.compare``,
``charts.liquidation``, ``charts.shocks``, ``charts.history``) build their figures with :func:`figure`.

Light and dark: a figure carries a light template (plotly_white's page layout, see ``TEMPLATE``)
for drawing anywhere; in the app ``ui.page.chart`` draws it with :mod:`ui.live_chart`, whose
component swaps the template's background, text and grid colours for the page's, light or dark, in
the browser (so the chart follows a theme switch at once, without a rerun). No builder fixes a
background or a text colour therefore: text with no meaning colour takes the theme's; the mode colours and
``NEUTRAL_COLOR`` read at 3:1 or better on both the white and the dark background, so they are the
same in both themes; and an outline drawn on a coloured cell takes the ink that contrasts with that
cell (``ink_on``).

Presenter mode (a projector): ``ui.page.chart`` passes every figure through :func:`scale_spec` with
:data:`PRESENTER_FONT_SCALE`.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import plotly.io as pio

CROSS_COLOR = "#D55E00"  # vermillion
PORTFOLIO_COLOR = "#0072B2"  # blue
ISOLATED_COLOR = "#CC79A7"  # reddish purple
EQUITY_COLOR = "#009E73"  # bluish green
NEUTRAL_COLOR = "#8A8F98"  # mid grey: 3.2:1 on white, 5.8:1 on the dark theme's #0e1117
MUTED_COLOR = "#9AA5B1"  # light grey: the histogram's ordinary bars, the market's vols today
ESTIMATE_COLOR = "#56B4E9"  # Okabe-Ito sky blue: a volatility estimated from a price history
#: Correlations, a diverging scale pinned to [−1, 1]: strong negative red, zero white, strong positive blue.
CORRELATION_SCALE = [
    [0.0, "#B2182B"],
    [0.25, "#EF8A62"],
    [0.5, "#F7F7F7"],
    [0.75, "#67A9CF"],
    [1.0, "#2166AC"],
]
MODE_COLORS = {"cross": CROSS_COLOR, "portfolio": PORTFOLIO_COLOR, "isolated": ISOLATED_COLOR, "equity": EQUITY_COLOR}
MODE_LABELS = {"cross": "Cross", "portfolio": "Portfolio", "isolated": "Isolated"}

FONT_SIZE = 16
MAX_POINTS = 400
HEIGHT = 480
#: Presenter mode: chart fonts × this (margins grow alike, the plot area by half as much).
PRESENTER_FONT_SCALE = 1.4
USD_FORMAT = "$,.0f"  # d3: "−$20,000", never "$−20,000"

#: plotly_white's page layout (backgrounds, grid and axis colours, fonts), without its per-trace-type
#: defaults and colour scales: copying the full template into every figure cost ~12 ms on build and
#: ~12 ms again on serialisation, a quarter of a slider's rerun. Every colour scale here is explicit.
TEMPLATE = go.layout.Template(layout={
    key: value for key, value in pio.templates["plotly_white"].layout.to_plotly_json().items()
    if key in ("autotypenumbers", "colorway", "font", "hovermode", "hoverlabel", "paper_bgcolor", "plot_bgcolor",
               "xaxis", "yaxis", "title", "shapedefaults", "annotationdefaults")
})
#: Whether :func:`figure` has plotly validate every property of the figure it builds. Off in the app: the
#: spec drawn is the same either way (tests/test_chart_validation.py serialises every chart both ways), and
#: validation cost 2-5 ms a chart on every slider move (the Liquidation chart: 4.75 ms against 1.2 ms).
#: The test suite turns it on (tests/conftest.py), so a misspelt property still fails every test that draws it.
VALIDATE = False
#: Gap (px) between the tick labels and an axis title: plotly_white's. Set on every axis (Streamlit's
#: chart theme, the fallback drawing, would otherwise widen it to 20-24 px and the margins below would no longer fit).
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


def figure(traces: list[dict], title: str, x_title: str, y_title: str, height: int = HEIGHT,
            shapes: list[dict] | None = None, annotations: list[dict] | None = None,
            xaxis: dict | None = None, yaxis: dict | None = None, title_pad: int | None = None,
            **layout) -> go.Figure:
    """One figure from plain trace and layout dicts (validated by plotly when :data:`VALIDATE`).

    Built in one go rather than by add_trace/add_shape/update_layout calls: each of those
    re-validates what is already there, which made a chart cost 40-70 ms to build; one pass
    costs a fraction of that. The template is plotly_white's layout (see ``TEMPLATE``). ``margin``
    in ``layout`` replaces the fitted margins (:func:`margins`). ``title_pad`` (px) pins the title that far
    below the figure's top edge, where plotly would centre it in the top margin (a margin that also holds
    other text, such as charts.liquidation's labels).
    """
    axis_font = {"size": FONT_SIZE}
    layout.setdefault("margin", margins(traces, layout.get("showlegend", True)))
    layout["margin"] = {**layout["margin"], "pad": 0}  # Streamlit's chart theme (the fallback) would pad the axes by 8 px
    return go.Figure(_validate=VALIDATE, data=traces, layout={
        "template": TEMPLATE,
        "title": {"text": title, "font": {"size": FONT_SIZE + 4},
                  **({} if title_pad is None else {"yref": "container", "y": 1, "yanchor": "top",
                                                   "pad": {"t": title_pad}})},
        "font": {"size": FONT_SIZE},
        "hoverlabel": {"font": {"size": FONT_SIZE}},
        "legend": legend(height),
        "height": height,
        "xaxis": {"title": {"text": x_title, "font": axis_font, "standoff": STANDOFF}, "tickfont": axis_font,
                  **(xaxis or {})},
        "yaxis": {"title": {"text": y_title, "font": axis_font, "standoff": STANDOFF}, "tickfont": axis_font,
                  **(yaxis or {})},
        # Left out when empty, as plotly's validation drops an empty list (the spec is the same either way).
        **({"shapes": shapes} if shapes else {}),
        **({"annotations": annotations} if annotations else {}),
        **layout,
    })


#: Room (px) for the y tick labels and title, a colour bar, the title, and the x axis with no legend.
_LEFT, _RIGHT, _COLOR_BAR, _TOP, _BOTTOM = 110, 45, 160, 70, 90
#: Legend rows are sized for a plot this wide (px): the main column of a 1280-1400 px screen beside the sidebar.
_LEGEND_WIDTH = 700


def margins(traces: list[dict], show_legend: bool) -> dict:
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


def vline(x: float, color: str, width: float, dash: str = "solid") -> dict:
    """A full-height vertical line at ``x`` (a plain shape: ``add_vline`` cost ~4 ms a line)."""
    return {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "paper",
            "line": {"color": color, "width": width, "dash": dash}}


def line_label(x: float, text: str, color: str | None, position: str = "top left") -> dict:
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


def scale_spec(spec: dict, scale: float) -> dict:
    """A copy of a figure's plain-dict form (``fig.to_dict()``) with every font size (titles, axes,
    ticks, legend, annotations, colour bars, cell text) multiplied by ``scale``, margins and height
    grown to fit: the presenter view. ``scale`` 1 returns ``spec`` itself."""
    if scale == 1:
        return spec
    scaled = _fresh(spec)
    _scale_font_sizes(scaled, scale, inside_font=False)
    layout = scaled.setdefault("layout", {})
    margin = layout.get("margin", {})
    grown = {side: round((margin.get(side) or 0) * scale) for side in ("l", "r", "t", "b")}
    layout["margin"] = {**margin, **grown}
    if layout.get("height"):
        # The plot area grows by half the font scale and the margins by all of it: text placed in
        # the plot's data units a fixed number of px apart (charts.liquidation's labels above the
        # plot) then keeps its room as the fonts grow, as the plot itself does not shrink.
        plot = layout["height"] - (margin.get("t") or 0) - (margin.get("b") or 0)
        layout["height"] = round(plot * (1 + (scale - 1) / 2) + grown["t"] + grown["b"])
    return scaled


def _fresh(node):
    """A copy of ``node`` with a dict or list of its own at every place, arrays and strings shared.

    Not copy.deepcopy: a figure built without validation (:data:`VALIDATE`) keeps the one font dict that
    :func:`figure` gives both axes' titles and ticks, and deepcopy keeps it one dict, which
    :func:`_scale_font_sizes` then scaled four times over (presenter mode's axis titles ran off the chart).
    """
    if isinstance(node, dict):
        return {key: _fresh(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [_fresh(item) for item in node]
    return node


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



def price_format(today: float) -> str:
    """A d3 tick format for prices around ``today``: thousands as "$50k" from $10,000 up (a phone's
    ~200 px axis tilted "$100,000" on its side), whole dollars, cents, or three significant digits."""
    if today >= 10_000:
        return "$~s"
    if today >= 100:
        return "$,.0f"
    if today >= 1:
        return "$,.2f"
    return "$.3~g"
