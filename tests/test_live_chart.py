"""ui.live_chart: charts drawn by a component that updates the drawn figure in place.

The unit tests check the plotly.js file it serves, its fallback and what it sends; the browser tests check
that a slider move updates the same chart element (no re-creation), that a viewer's zoom survives it,
and that plotly.js is served by this app and not fetched from anywhere else.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import plotly
import pytest
from streamlit.testing.v1 import AppTest

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
PLOTLY_SOURCE = Path(plotly.__file__).parent / "package_data" / live_chart.PLOTLY_FILE


def test_static_serving_is_on_and_the_copied_file_is_not_committed():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True
    assert "/static/" in (ROOT / ".gitignore").read_text().split()


def test_plotly_js_is_copied_from_the_plotly_package_and_copied_again_when_it_differs(tmp_path, monkeypatch):
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
    assert drawn[1].config == {"displaylogo": False, "responsive": True, "displayModeBar": False}
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
@pytest.mark.browser
def test_a_control_change_updates_the_same_chart_element_and_keeps_the_viewers_zoom():
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
        assert [u for u in fetched if u.split("?")[0].endswith("/app/static/plotly.min.js")], fetched
        assert all(u.startswith(url) for u in fetched), fetched
        full = tab.evaluate("() => { window.__chartBefore = document.querySelector('.ml-chart'); "
                            "return window.__chartBefore.layout.xaxis.range.slice(); }")
        # The viewer zooms in: a drag across the plot (plotly's zoom box, along x only).
        plot = tab.locator(".ml-chart .nsewdrag").first.bounding_box()
        middle = plot["y"] + plot["height"] / 2
        tab.mouse.move(plot["x"] + plot["width"] * 0.3, middle)
        tab.mouse.down()
        tab.mouse.move(plot["x"] + plot["width"] * 0.45, middle + 2, steps=8)
        tab.mouse.move(plot["x"] + plot["width"] * 0.5, middle + 2, steps=4)
        tab.mouse.up()
        zoomed = tab.evaluate("() => document.querySelector('.ml-chart').layout.xaxis.range.slice()")
        assert zoomed[1] - zoomed[0] < 0.5 * (full[1] - full[0]), (full, zoomed)
        revision = tab.evaluate("() => document.querySelector('.ml-chart').dataset.revision")
        lines_before = tab.evaluate("() => document.querySelector('.ml-chart').data.map(t => JSON.stringify(t.y))")
        tab.locator('[data-testid="stCheckbox"]').filter(has_text="Other assets co-move").first.click()
        tab.wait_for_function("(r) => document.querySelector('.ml-chart').dataset.revision !== r", arg=revision,
                              timeout=30_000)
        wait_for_idle(tab)
        same = tab.evaluate("""() => {
          const chart = document.querySelector('.ml-chart');
          return {element: chart === window.__chartBefore,
                  range: chart.layout.xaxis.range, charts: document.querySelectorAll('.ml-chart').length,
                  lines: chart.data.map(t => JSON.stringify(t.y))};
        }""")
        assert same["element"], "the chart was re-created, not updated"
        assert same["charts"] == 1
        assert same["lines"] != lines_before, "the move did not reach the chart"
        assert same["range"] == pytest.approx(zoomed), "the viewer's zoom was lost"
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
