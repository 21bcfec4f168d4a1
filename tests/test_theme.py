"""Light and dark: a theme switch in the app menu, charts that follow it, colours that read on both.

The convention (see the charts.style docstring): every figure carries charts.style.TEMPLATE (light) and fixes
no background or text colour; ui.page.chart draws it with ui.live_chart's component, which recolours it
for the active theme in the browser (as Streamlit's chart theme does); line and label colours read on the white and on the dark background.
The last test switches the theme in a real chromium, through the menu, and watches the chart follow.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.colors import sample_colorscale
from streamlit.testing.v1 import AppTest

from charts import history as charts_history
from charts import style
from margin import default_market, load_portfolio
from margin.history import estimate_market_inputs
from tests.browser_support import (
    CHART_READING,
    CHROMIUM_ARGS,
    contrast,
    relative_luminance,
    require_chromium,
    streamlit_server,
    wait_for_charts,
    wait_for_idle,
)
from tests.figures import chart_figures, drawn_charts
from ui import live_chart, page

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
LIGHT = CONFIG["theme"]["light"]["backgroundColor"]
DARK = CONFIG["theme"]["dark"]["backgroundColor"]


@pytest.fixture(scope="module")
def figures() -> dict[str, go.Figure]:
    market = default_market()
    found = chart_figures(load_portfolio(ROOT / "sample_portfolios" / "03_btc_eth_pair.json"), market, "BTC",
                          ("cross", "portfolio", "isolated"), n_paths=2_000)
    rng = np.random.default_rng(3)
    closes = pd.DataFrame(100 * np.exp(np.cumsum(rng.standard_normal((120, 3)) * 0.02, axis=0)),
                          columns=["BTC", "ETH", "SOL"], index=pd.date_range("2025-01-01", periods=120, freq="D"))
    estimate = estimate_market_inputs(closes)
    found["history vol"] = charts_history.vol_bars(estimate, dict(market.vols))
    found["history correlation"] = charts_history.correlation_heatmap(estimate)
    return found


# -- the switch ---------------------------------------------------------------------------------
def test_the_app_menu_is_shown_and_offers_both_themes():
    """Streamlit shows the theme chooser in the app menu when there is more than one theme, and with
    toolbarMode "minimal" shows that menu only when the page config sets an entry of it."""
    assert CONFIG["client"]["toolbarMode"] == "minimal"
    assert page.PAGE_CONFIG["menu_items"]["About"]
    assert {"backgroundColor", "textColor"} <= set(CONFIG["theme"]["light"]) & set(CONFIG["theme"]["dark"])
    assert relative_luminance(LIGHT) > 0.9 and relative_luminance(DARK) < 0.02
    for theme in ("light", "dark"):
        colours = CONFIG["theme"][theme]
        assert contrast(colours["textColor"], colours["backgroundColor"]) >= 7, theme


# -- one convention for every figure ------------------------------------------------------------
def test_every_figure_uses_the_one_light_template_and_fixes_no_background_or_text_colour(figures):
    for name, figure in figures.items():
        layout = figure.layout
        assert layout.template.to_plotly_json() == style.TEMPLATE.to_plotly_json(), name
        assert layout.paper_bgcolor is None and layout.plot_bgcolor is None, name
        for font in (layout.font, layout.title.font, layout.legend.font, layout.xaxis.tickfont, layout.yaxis.tickfont,
                     layout.xaxis.title.font, layout.yaxis.title.font):
            assert font.color is None, f"{name}: a text colour is fixed, the theme cannot change it"
        assert layout.xaxis.title.standoff == style.STANDOFF == layout.yaxis.title.standoff, name
        assert layout.margin.pad == 0, name


def _line_and_text_colours(figure: go.Figure) -> list[tuple[str, str]]:
    """(where, colour) of every line and text colour the figure sets, except over a heatmap's cells."""
    found = []
    for trace in figure.data:
        if trace.type == "heatmap":
            continue
        if trace.type == "scatter" and "lines" in (trace.mode or ""):
            found.append((f"{trace.name} line", trace.line.color))
        if trace.textfont is not None and trace.textfont.color is not None:
            colours = trace.textfont.color
            found += [(f"{trace.name} text", c) for c in ([colours] if isinstance(colours, str) else colours)]
    heatmap = any(t.type == "heatmap" for t in figure.data)
    for shape in figure.layout.shapes:
        if not (heatmap and shape.type == "rect"):
            found.append((f"{shape.type} shape", shape.line.color))
    for annotation in figure.layout.annotations:
        if annotation.font.color is not None:
            found.append((f"annotation {annotation.text}", annotation.font.color))
    return [(where, colour) for where, colour in found if colour is not None]


def test_every_line_and_label_colour_reads_on_the_white_and_on_the_dark_background(figures):
    seen = 0
    for name, figure in figures.items():
        for where, colour in _line_and_text_colours(figure):
            seen += 1
            for background in (LIGHT, DARK):
                assert contrast(colour, background) >= 3, f"{name}: {where} {colour} on {background}"
    assert seen >= 20
    for colour in (*style.MODE_COLORS.values(), style.NEUTRAL_COLOR):
        assert min(contrast(colour, LIGHT), contrast(colour, DARK)) >= 3, colour


def test_the_mode_colours_are_the_same_in_both_themes():
    """Nothing is recoloured per theme: a mode keeps its colour (and charts.style.MODE_COLORS is the only
    place it is set), which is why each must read on both backgrounds (previous test)."""
    assert style.MODE_COLORS == {"cross": "#D55E00", "portfolio": "#0072B2", "isolated": "#CC79A7",
                                  "equity": "#009E73"}


def test_an_outline_on_a_heatmap_cell_contrasts_with_that_cell(figures):
    assert style.ink_on("#ffffff") == "black" and style.ink_on("rgb(247, 247, 247)") == "black"
    assert style.ink_on("rgb(103, 0, 31)") == "white" and style.ink_on("#0e1117") == "white"
    grid = figures["grid"]
    values = np.asarray(grid.data[0].z)
    (outline,) = grid.layout.shapes
    row, col = np.unravel_index(int(np.argmin(values)), values.shape)
    bound = grid.data[0].zmax
    cell = sample_colorscale("RdBu", [(values[row, col] + bound) / (2 * bound)])[0]
    assert contrast(outline.line.color, cell) >= 4.5, (outline.line.color, cell)


# -- the page draws with the theme --------------------------------------------------------------
def _chart_app() -> None:
    import plotly.graph_objects as go

    from ui import page

    figure = go.Figure(go.Bar(x=["a"], y=[1]), layout={"font": {"size": 16}, "height": 400})
    page.chart(figure.to_dict(), key="as_dict")
    page.chart(figure, key="as_figure", config={"displayModeBar": False})


@pytest.mark.parametrize("presenter", [False, True])
def test_page_chart_draws_dicts_and_figures_in_place_with_presenter_fonts(presenter):
    app = AppTest.from_function(_chart_app)
    app.session_state["presenter"] = presenter
    app.run()
    assert not app.exception
    drawn = drawn_charts(app)
    assert [chart.key for chart in drawn] == ["as_dict", "as_figure"]
    assert not app.get("plotly_chart")  # ui.live_chart's component, which updates a drawn chart in place
    for chart in drawn:
        assert chart.spec["layout"]["font"]["size"] == pytest.approx(16 * (style.PRESENTER_FONT_SCALE if presenter else 1))
    assert drawn[0].config == live_chart.BASE_CONFIG
    assert drawn[1].config == {**live_chart.BASE_CONFIG, "displayModeBar": False}


# -- in the browser ----------------------------------------------------------------------------
@pytest.mark.browser
def test_switching_the_theme_in_the_menu_recolours_the_chart_at_once():
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with streamlit_server("app.py") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="light")
        tab = context.new_page()
        tab.goto(f"{url}/compare", wait_until="domcontentloaded")
        wait_for_idle(tab)
        wait_for_charts(tab)
        (before,) = tab.evaluate(CHART_READING)
        assert relative_luminance(before["background"]) > 0.9
        for theme, dark in (("Dark", True), ("Light", False)):
            tab.locator('[data-testid="stMainMenu"]').click()
            chooser = tab.locator('[data-testid="stThemeSwitcher"]')
            assert chooser.is_visible()
            assert {"System", "Light", "Dark"} <= set(chooser.inner_text().split())
            tab.locator(f'[data-testid="stMainMenuItem-theme-{theme}"]').click()
            tab.keyboard.press("Escape")
            tab.wait_for_timeout(800)
            (chart,) = tab.evaluate(CHART_READING)
            app = tab.evaluate("() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor")
            assert (relative_luminance(chart["background"]) < 0.02) == dark, (theme, chart["background"])
            assert contrast(chart["background"], app) < 1.1, (theme, chart["background"], app)
            assert contrast(chart["tick"], chart["background"]) >= 4.5, (theme, chart["tick"])
        context.close()
        browser.close()
