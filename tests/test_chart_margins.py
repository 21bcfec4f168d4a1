"""Charts come with margins that already fit, so Plotly draws each one once (in a real browser).

Plotly's automargin grows a margin that is too small by drawing the whole chart a second time; on
a slider move that doubled the browser's work per chart. charts._margins sizes the margins before
Plotly sees them; here chromium draws every chart of every sample book 1000 px wide with the
plotly.js that ships with the plotly package and checks that no margin had to grow.
"""

from __future__ import annotations

import json
from pathlib import Path

import plotly
import plotly.io as pio
import pytest

from margin import default_market, load_portfolio
from margin.market import is_stablecoin
from tests.browser_support import CHROMIUM_ARGS, require_chromium
from tests.figures import chart_figures

pytestmark = pytest.mark.browser
SAMPLES = Path(__file__).resolve().parents[1] / "sample_portfolios"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
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
