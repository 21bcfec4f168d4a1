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

import charts
from margin import (
    cross_margin,
    default_market,
    detect_jumps,
    liquidation_prices,
    load_portfolio,
    margin_curves,
    portfolio_margin,
    shock_sweep,
    simulate_pnl,
    value_at_risk,
)
from margin.market import is_stablecoin
from tests.browser_support import CHROMIUM_ARGS, require_chromium
from ui import metrics

pytestmark = pytest.mark.browser
SAMPLES = Path(__file__).resolve().parents[1] / "sample_portfolios"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
WIDTH = 1000


def _sample_figures(path: Path, market) -> dict:
    book = load_portfolio(path)
    cm, pm = cross_margin(book, market), portfolio_margin(book, market)
    asset = next(a for a in book.assets() if not is_stablecoin(a))
    today = market.prices[asset]
    curves = margin_curves(book, market, asset, metrics.price_grid(today), ("cross", "portfolio"))
    found = {mode: liquidation_prices(book, market, asset, mode) for mode in ("cross", "portfolio")}
    sweep = shock_sweep(book, market, metrics.VOL_MULTS, metrics.CORR_SHOCKS)
    jumps = metrics.jumps_on_line(detect_jumps(sweep, along="vol_mult"), "corr_shock", 0.0)
    figures = {
        "bars": charts.requirement_bars(cm, pm),
        "liquidation": charts.liquidation_chart(curves, asset, today, found),
        "vol_lines": charts.sweep_lines(metrics.sweep_line(sweep, "corr_shock", 0.0), "vol_mult", jumps),
        "corr_lines": charts.sweep_lines(metrics.sweep_line(sweep, "vol_mult", 1.0), "corr_shock"),
        "heatmap": charts.sweep_heatmap(sweep),
        "var": charts.pnl_histogram(simulate_pnl(book, market, n_paths=2_000), value_at_risk(book, market), None),
    }
    unit = pm.details.get("binding_unit")
    if unit in pm.scenario_grids:
        figures["grid"] = charts.scenario_grid_heatmap(pm.scenario_grids[unit], unit)
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
