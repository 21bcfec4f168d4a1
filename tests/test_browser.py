"""Real browser: `streamlit run` + Debian chromium via Playwright. Visits every page, moves a slider,
checks charts are drawn and no exception element appears, and saves screenshots to artifacts/."""

from __future__ import annotations

import pytest

from tests.browser_support import (
    CHROMIUM_ARGS,
    PAGES,
    ROOT,
    SLIDER,
    page_url,
    require_chromium,
    streamlit_server,
    wait_for_idle,
)

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def server():
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with streamlit_server("app.py") as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def tab(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()


def _no_exceptions(tab) -> None:
    errors = tab.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()[:500]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_without_exception(server, tab, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.goto(page_url(server, name), wait_until="domcontentloaded")
    wait_for_idle(tab)
    tab.wait_for_selector('[data-testid="stMain"]')
    _no_exceptions(tab)
    assert tab.locator('[data-testid="stDialog"]').count() == 0, "a dialog covers the page"
    if name in ("compare", "liquidation", "shocks"):
        tab.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
        assert tab.locator(".js-plotly-plot").count() >= 1
        assert tab.locator("canvas.gl-canvas").count() == 0, "charts must be SVG, not WebGL"
    if name == "compare":
        assert tab.locator('[data-testid="stMetric"]').count() >= 4
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_moving_a_slider_reruns_and_changes_the_numbers(server, tab):
    tab.goto(f"{server}/liquidation", wait_until="domcontentloaded")
    wait_for_idle(tab)
    tab.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    metrics = tab.locator('[data-testid="stMetricValue"]')
    before = [metrics.nth(i).inner_text() for i in range(metrics.count())]
    slider = tab.locator(SLIDER).first
    slider.focus()
    for _ in range(10):
        slider.press("ArrowRight")
    wait_for_idle(tab)
    tab.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    _no_exceptions(tab)
    after = [metrics.nth(i).inner_text() for i in range(metrics.count())]
    tab.screenshot(path=str(SHOTS / "liquidation-after-slider.png"), full_page=True)
    assert before != after, "moving the first slider on the Liquidation page should change a number"


def test_a_shared_link_restores_the_book_in_the_browser(server, tab):
    from margin import cross_margin, default_market, load_portfolio
    from margin.io import encode_share_token

    book = load_portfolio(ROOT / "sample_portfolios" / "05_short_strangle.json")
    expected = cross_margin(book, default_market())
    tab.goto(f"{server}/compare?book={encode_share_token(book)}", wait_until="domcontentloaded")
    wait_for_idle(tab)
    tab.wait_for_selector('[data-testid="stMetricValue"]')
    _no_exceptions(tab)
    text = tab.locator('[data-testid="stMain"]').inner_text()
    assert f"{expected.initial:,.0f}" in text


def test_a_tampered_link_shows_an_error_not_a_traceback(server, tab):
    tab.goto(f"{server}/compare?book=%%%not-a-book", wait_until="domcontentloaded")
    wait_for_idle(tab)
    _no_exceptions(tab)
    assert tab.locator('[data-testid="stAlertContentError"]').count() >= 1
