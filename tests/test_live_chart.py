"""ui.live_chart: charts drawn by a component that updates the drawn figure in place.

The unit tests check the plotly.js file it serves, its fallback and what it sends; the browser tests check
that a slider move updates the same chart element (no re-creation), that a viewer's zoom survives it,
and that plotly.js is served by this app and not fetched from anywhere else.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import plotly
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from margin import load_portfolio
from margin.io import encode_share_token
from tests.browser_support import (
    CHROMIUM_ARGS,
    require_chromium,
    streamlit_server,
    wait_for_charts,
    wait_for_idle,
)
from tests.figures import drawn_charts
from ui import live_chart

ROOT = Path(__file__).resolve().parents[1]
PLOTLY_SOURCE = live_chart.PLOTLY_SOURCE
#: The full plotly.js the plotly Python package ships: the version its figures are written for.
PACKAGE_PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def test_static_serving_is_on_and_the_copied_file_is_not_committed():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True
    assert "/static/" in (ROOT / ".gitignore").read_text().split()


def test_the_plotly_bundle_is_copied_into_static_and_copied_again_when_it_differs(tmp_path, monkeypatch):
    monkeypatch.setattr(live_chart, "STATIC_DIR", tmp_path / "static")
    live_chart._plotly_js_in_place.cache_clear()
    try:
        assert live_chart._plotly_js_in_place()
        target = tmp_path / "static" / live_chart.PLOTLY_FILE
        assert target.read_bytes() == PLOTLY_SOURCE.read_bytes()
        target.write_text("// an older plotly.js")
        live_chart._plotly_js_in_place.cache_clear()
        assert live_chart._plotly_js_in_place()
        assert target.read_bytes() == PLOTLY_SOURCE.read_bytes()
        assert not list((tmp_path / "static").glob("*.partial"))
    finally:
        live_chart._plotly_js_in_place.cache_clear()


def test_the_served_bundle_is_the_plotly_js_of_the_installed_plotly_package():
    """The figures are built by the plotly package for its own plotly.js: a plotly upgrade must bring the
    same version of the cartesian bundle (npm plotly.js-cartesian-dist-min) into ui/assets."""
    shipped = re.search(r"plotly\.js v(\S+)", PACKAGE_PLOTLY_JS.read_text()[:400]).group(1)
    assert shipped == live_chart.BUNDLE_VERSION
    assert PLOTLY_SOURCE.stat().st_size < PACKAGE_PLOTLY_JS.stat().st_size / 2
    assert (live_chart.ASSETS / "plotly-cartesian.LICENSE").read_text().startswith("MIT License")


def test_every_trace_type_the_charts_build_is_in_the_bundle():
    """A trace type the cartesian bundle lacks would draw nothing: every type the app's code names (a trace
    dict's "type", a go.<Trace>(...) call) must be one of its trace modules."""
    from plotly.basedatatypes import BaseTraceType

    trace_types = {name.lower() for name in dir(go)
                   if isinstance(getattr(go, name), type) and issubclass(getattr(go, name), BaseTraceType)}
    named = set()
    for path in [path for folder in ("charts", "ui", "views", "pages", "lessons") for path in (ROOT / folder).glob("*.py")]:
        source = path.read_text()
        named |= {t for t in re.findall(r'"type":\s*"(\w+)"', source) if t in trace_types}
        named |= {t.lower() for t in re.findall(r"go\.(\w+)\(", source) if t.lower() in trace_types}
    assert {"scatter", "bar", "heatmap"} <= named
    assert named <= set(live_chart.BUNDLE_TRACES), named - set(live_chart.BUNDLE_TRACES)
    bundle = PLOTLY_SOURCE.read_text()
    for trace in live_chart.BUNDLE_TRACES:
        assert f'name:"{trace}"' in bundle, trace


def test_an_unwritable_static_folder_means_not_available(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setattr(live_chart, "STATIC_DIR", blocked / "static")
    live_chart._plotly_js_in_place.cache_clear()
    try:
        assert live_chart._plotly_js_in_place() is False
    finally:
        live_chart._plotly_js_in_place.cache_clear()


def _two_charts() -> None:
    import plotly.graph_objects as go

    from ui import live_chart

    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout={"height": 300, "title": {"text": "A line"}})
    live_chart.draw(figure.to_dict(), "first")
    live_chart.draw(figure.to_dict(), "second", config={"displayModeBar": False})


def test_draw_sends_the_figure_its_key_and_config_to_the_component():
    app = AppTest.from_function(_two_charts).run()
    assert not app.exception
    drawn = drawn_charts(app)
    assert [chart.key for chart in drawn] == ["first", "second"]
    assert drawn[0].spec["data"][0]["y"] == [3, 4] and drawn[0].spec["layout"]["height"] == 300
    assert drawn[1].config == {**live_chart.BASE_CONFIG, "displayModeBar": False}
    assert not app.get("plotly_chart")


def test_without_static_serving_draw_falls_back_to_st_plotly_chart(monkeypatch):
    monkeypatch.setattr(live_chart, "_static_serving", lambda: False)
    app = AppTest.from_function(_two_charts).run()
    assert not app.exception
    assert not app.get("bidi_component")
    drawn = drawn_charts(app)
    assert [chart.key for chart in drawn] == ["first", "second"]
    assert all(element.proto.theme == "streamlit" for element in app.get("plotly_chart"))


@pytest.mark.parametrize("page", ["pages/compare.py", "pages/liquidation.py", "pages/shocks.py", "pages/replay.py"])
def test_every_chart_page_draws_with_the_component(page):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    app.switch_page(page).run()
    assert not app.exception
    assert drawn_charts(app) and not app.get("plotly_chart")


# -- in the browser ----------------------------------------------------------------------------
def _ranges(tab) -> dict:
    return tab.evaluate("() => { const l = document.querySelector('.ml-chart').layout; "
                        "return {x: l.xaxis.range.slice(), y: l.yaxis.range.slice()}; }")


def _zoom_in(tab) -> dict:
    """Drag a zoom box across the middle of the chart (both axes); the zoomed ranges."""
    full = _ranges(tab)
    plot = tab.locator(".ml-chart .nsewdrag").first.bounding_box()
    tab.mouse.move(plot["x"] + plot["width"] * 0.3, plot["y"] + plot["height"] * 0.3)
    tab.mouse.down()
    tab.mouse.move(plot["x"] + plot["width"] * 0.45, plot["y"] + plot["height"] * 0.5, steps=8)
    tab.mouse.move(plot["x"] + plot["width"] * 0.55, plot["y"] + plot["height"] * 0.6, steps=4)
    tab.mouse.up()
    zoomed = _ranges(tab)
    for axis in ("x", "y"):
        assert zoomed[axis][1] - zoomed[axis][0] < 0.5 * (full[axis][1] - full[axis][0]), (axis, full, zoomed)
    return zoomed


def _wait_for_update(tab, revision: str) -> None:
    tab.wait_for_function("(r) => document.querySelector('.ml-chart').dataset.revision !== r", arg=revision,
                          timeout=30_000)
    wait_for_idle(tab)


@pytest.mark.browser
def test_a_chart_updates_in_place_keeps_a_zoom_follows_its_column_and_trims_the_toolbar():
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with streamlit_server("app.py") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        tab = browser.new_page(viewport={"width": 1440, "height": 900})
        fetched = []
        tab.on("request", lambda request: fetched.append(request.url) if "plotly" in request.url else None)
        tab.goto(f"{url}/liquidation", wait_until="domcontentloaded")
        wait_for_idle(tab)
        wait_for_charts(tab)
        assert [u for u in fetched if u.split("?")[0].endswith("/app/static/plotly-cartesian.min.js")], fetched
        assert all(u.startswith(url) for u in fetched), fetched
        # The toolbar: full screen added; selection tools and "Share chart" (an upload to Plotly's cloud) gone.
        tab.locator(".ml-chart").first.hover()
        buttons = tab.evaluate("() => [...document.querySelectorAll('.ml-chart .modebar-btn')].map(b => b.dataset.title)")
        assert "Full screen" in buttons and "Zoom" in buttons, buttons
        assert not {"Box Select", "Lasso Select", "Share chart..."} & set(buttons), buttons
        # Full screen fills the screen's width as well as its height (it once kept the column's width), and back.
        column = tab.evaluate("() => document.querySelector('.ml-chart .main-svg').getBoundingClientRect().width")
        tab.locator('.ml-chart .modebar-btn[data-title="Full screen"]').first.click()
        tab.wait_for_function("() => document.fullscreenElement !== null", timeout=10_000)
        tab.wait_for_function("() => { const r = document.querySelector('.ml-chart .main-svg').getBoundingClientRect();"
                              " return Math.abs(r.width - window.innerWidth) < 2 && Math.abs(r.height - window.innerHeight) < 2; }",
                              timeout=10_000)
        tab.evaluate("() => document.exitFullscreen()")
        tab.wait_for_function("(w) => document.fullscreenElement === null && Math.abs(document.querySelector("
                              "'.ml-chart .main-svg').getBoundingClientRect().width - w) < 2", arg=column, timeout=10_000)
        tab.evaluate("() => { window.__chartBefore = document.querySelector('.ml-chart'); }")
        revision = tab.evaluate("() => document.querySelector('.ml-chart').dataset.revision")
        lines_before = tab.evaluate("() => document.querySelector('.ml-chart').data.map(t => JSON.stringify(t.y))")
        tab.locator('[data-testid="stCheckbox"]').filter(has_text="Other assets co-move").first.click()
        _wait_for_update(tab, revision)
        same = tab.evaluate("""() => {
          const chart = document.querySelector('.ml-chart');
          return {element: chart === window.__chartBefore, charts: document.querySelectorAll('.ml-chart').length,
                  lines: chart.data.map(t => JSON.stringify(t.y))};
        }""")
        assert same["element"], "the chart was re-created, not updated"
        assert same["charts"] == 1
        assert same["lines"] != lines_before, "the change did not reach the chart"
        zoomed = _zoom_in(tab)
        # Another asset is another chart: the zoom on BTC does not carry over.
        revision = tab.evaluate("() => document.querySelector('.ml-chart').dataset.revision")
        tab.locator('[data-testid="stSelectbox"]').filter(has_text="Asset").first.click()
        tab.get_by_role("option", name="ETH", exact=True).click()
        _wait_for_update(tab, revision)
        other = _ranges(tab)
        assert other["x"] != pytest.approx(zoomed["x"]), "BTC's zoom was kept on the ETH chart"
        # The column narrows without a window resize (as when the sidebar folds): the chart follows it.
        tab.evaluate("() => { document.querySelector('.ml-chart').parentElement.style.width = '600px'; }")
        tab.wait_for_function("() => Math.abs(document.querySelector('.ml-chart .main-svg')"
                              ".getBoundingClientRect().width - 600) < 2", timeout=10_000)
        # A slider move that changes both axes' data ranges (an option book, the spot-vol elasticity) keeps
        # the viewer's zoom on both axes (plotly's uirevision alone kept x and reset y).
        strangle = load_portfolio(ROOT / "sample_portfolios" / "05_short_strangle.json")
        tab.goto(f"{url}/liquidation?book={encode_share_token(strangle)}", wait_until="domcontentloaded")
        wait_for_idle(tab)
        wait_for_charts(tab)
        zoomed = _zoom_in(tab)
        revision = tab.evaluate("() => document.querySelector('.ml-chart').dataset.revision")
        figure_before = tab.evaluate("() => JSON.stringify(document.querySelector('.ml-chart').__marginLab.figure.layout)")
        tab.locator('[data-testid="stMain"] [data-testid="stSlider"] input[type="range"]').first.focus()
        tab.keyboard.press("End")
        _wait_for_update(tab, revision)
        assert tab.evaluate("() => JSON.stringify(document.querySelector('.ml-chart').__marginLab.figure.layout)") != figure_before
        kept = _ranges(tab)
        for axis in ("x", "y"):
            assert kept[axis] == pytest.approx(zoomed[axis]), f"the viewer's zoom on {axis} was lost"
        browser.close()


@pytest.mark.parametrize("page", ["pages/build.py", "pages/compare.py", "pages/liquidation.py", "pages/shocks.py",
                                  "pages/replay.py"])
def test_chart_pages_start_loading_plotly_js_before_their_first_chart(page):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    app.switch_page(page).run()
    order = [("preload" if "data-margin-lab-preload" in element.proto.body else "html")
             if element.type == "html" else element.type for element in app.main
             if element.type in ("html", "bidi_component")]
    assert "preload" in order and order.index("preload") < order.index("bidi_component"), order


def test_the_learn_page_does_not_preload_plotly_js():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    app.switch_page("pages/learn.py").run()
    assert not [e for e in app.get("html") if "data-margin-lab-preload" in e.proto.body]


def test_no_preload_where_the_component_is_not_available(monkeypatch):
    def preload_only() -> None:
        from ui import live_chart

        live_chart.preload()

    monkeypatch.setattr(live_chart, "_static_serving", lambda: False)
    app = AppTest.from_function(preload_only).run()
    assert not app.exception and not app.get("html")
