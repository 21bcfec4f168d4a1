"""Charts come with margins that already fit, so Plotly draws each one once (in a real browser).

Plotly's automargin grows a margin that is too small by drawing the whole chart a second time; on
a slider move that doubled the browser's work per chart. charts.style.margins sizes the margins before
Plotly sees them; here chromium draws every chart of every sample book 1000 px wide with the
plotly.js bundle the app serves (ui/live_chart.py) and checks that no margin had to grow.

The same drawings, also in presenter mode (fonts x1.4) on a projector and a laptop and 358 px wide
(a phone), check the layout reads: the legend never covers the x axis's labels or title, and no text
(tick labels, titles, bar amounts, liquidation labels, annotations) runs off the chart.
"""

from __future__ import annotations

import json
from pathlib import Path

import plotly.io as pio
import pytest

from charts.style import PRESENTER_FONT_SCALE, scale_spec
from margin import default_market, load_portfolio
from margin.market import is_stablecoin
from tests.browser_support import CHROMIUM_ARGS, require_chromium
from tests.figures import chart_figures
from ui import live_chart

pytestmark = pytest.mark.browser
SAMPLES = Path(__file__).resolve().parents[1] / "sample_portfolios"
PLOTLY_JS = live_chart.PLOTLY_SOURCE
WIDTH = 1000


def _sample_figures(path: Path, market) -> dict:
    book = load_portfolio(path)
    asset = next(a for a in book.assets() if not is_stablecoin(a))
    figures = chart_figures(book, market, asset, ("cross", "portfolio"), n_paths=2_000)
    return {f"{path.stem} {name}": pio.to_json(figure) for name, figure in figures.items()}


@pytest.fixture(scope="module")
def figures() -> dict[str, str]:
    market = default_market()
    found = {}
    for path in sorted(SAMPLES.glob("*.json")):
        found.update(_sample_figures(path, market))
    return found


def test_every_chart_of_every_sample_draws_without_growing_a_margin(figures):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.set_content('<div id="chart"></div>')
        page.add_script_tag(path=str(PLOTLY_JS))
        grown = {}
        for name, spec in figures.items():
            drawn = page.evaluate("""async ([spec, width]) => {
                const figure = JSON.parse(spec), chart = document.getElementById('chart');
                Plotly.purge(chart);
                await Plotly.newPlot(chart, figure.data, Object.assign(figure.layout, {width}));
                const size = chart._fullLayout._size, asked = chart._fullLayout.margin;
                return {l: [size.l, asked.l], r: [size.r, asked.r], t: [size.t, asked.t], b: [size.b, asked.b]};
            }""", [spec, WIDTH])
            pushed = {side: got for side, (got, asked) in drawn.items() if got > asked + 0.5}
            if pushed:
                grown[name] = pushed
        browser.close()
    assert len(figures) >= 50
    assert not grown, f"Plotly had to grow these margins (a second draw each): {json.dumps(grown)}"


# -- presenter mode and a phone: nothing covered, nothing cut off ------------------------------------
#: The chart's width in the main column: a 1920 px projector beside the sidebar, a 1000 px laptop
#: window, a 390 px phone (no sidebar, 16 px padding each side).
PROJECTOR, LAPTOP, PHONE = 1400, 1000, 358
READ = """async ([spec, width]) => {
    const figure = JSON.parse(spec), chart = document.getElementById('chart');
    Plotly.purge(chart);
    await Plotly.newPlot(chart, figure.data, Object.assign(figure.layout, {width}));
    const size = chart._fullLayout._size, asked = chart._fullLayout.margin;
    const grown = {};
    for (const side of ['l', 'r', 't', 'b']) if (size[side] > asked[side] + 0.5) grown[side] = [asked[side], size[side]];
    const rect = e => e.getBoundingClientRect(), box = rect(chart.querySelector('.main-svg'));
    const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    const texts = [...chart.querySelectorAll('text')].filter(t => t.textContent.trim() && rect(t).width > 0);
    const outside = texts.filter(t => { const r = rect(t);
        return r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1; })
        .map(t => ({text: t.textContent.trim().slice(0, 50), title: !!t.closest('.g-xtitle, .g-ytitle, .g-gtitle')}));
    const legend = chart.querySelector('.legend .bg');
    const covered = legend ? texts.filter(t => t.closest('.xtick, .g-xtitle') && overlap(rect(legend), rect(t)))
        .map(t => t.textContent.trim()) : [];
    return {grown, outside, covered};
}"""


def _read(figures: dict[str, str], width: int, scale: float) -> dict[str, dict]:
    """name -> what chromium drew for each figure at ``width`` px, fonts × ``scale`` (presenter mode)."""
    from playwright.sync_api import sync_playwright

    drawn = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.set_content('<div id="chart"></div>')
        page.add_script_tag(path=str(PLOTLY_JS))
        for name, spec in figures.items():
            scaled = json.dumps(scale_spec(json.loads(spec), scale))
            drawn[name] = page.evaluate(READ, [scaled, width])
        browser.close()
    return drawn


def _off_the_chart(drawn: dict[str, dict], titles: bool) -> dict[str, list[str]]:
    """name -> the text drawn off the chart; chart and axis titles only if ``titles``."""
    found = {name: [t["text"] for t in d["outside"] if titles or not t["title"]] for name, d in drawn.items()}
    return {name: texts for name, texts in found.items() if texts}


def test_in_presenter_mode_on_a_projector_the_legend_clears_the_x_axis_and_all_text_stays_on_the_chart(figures):
    drawn = _read(figures, PROJECTOR, PRESENTER_FONT_SCALE)
    assert not {name: d["covered"] for name, d in drawn.items() if d["covered"]}, "the legend covers x-axis text"
    assert not _off_the_chart(drawn, titles=True)
    grown = {name: d["grown"] for name, d in drawn.items() if d["grown"]}
    assert not grown, f"margins grown on the projector (a second draw each): {grown}"


@pytest.mark.parametrize(("width", "scale"), [(LAPTOP, PRESENTER_FONT_SCALE), (PHONE, 1.0)], ids=["laptop-presenter", "phone"])
def test_narrow_charts_cut_off_no_label_and_the_legend_clears_the_x_axis(figures, width, scale):
    """A narrow chart may redraw with wider margins (the legend wraps to more rows); what must hold
    is that nothing is covered or cut off. Titles are left out: plotly draws a chart or axis title on
    one line it cannot wrap, and the longest (the correlation shock's axis title, the scenario
    grid's title) are wider than a phone, or than a laptop in presenter mode."""
    drawn = _read(figures, width, scale)
    covered = {name: d["covered"] for name, d in drawn.items() if d["covered"]}
    assert not covered, f"the legend covers x-axis labels at {width} px: {covered}"
    assert not _off_the_chart(drawn, titles=False), f"text cut off at {width} px"


def test_the_default_width_keeps_the_legend_clear_of_the_x_axis_and_all_text_on_the_chart(figures):
    drawn = _read(figures, WIDTH, 1.0)
    assert not {name: d["covered"] for name, d in drawn.items() if d["covered"]}
    assert not _off_the_chart(drawn, titles=True)
