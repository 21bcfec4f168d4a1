"""Real browser: `streamlit run` + Debian chromium via Playwright. Visits every page, moves a slider,
checks charts are drawn and no exception element appears, keeps the sidebar's choices across page
switches, reopens a share link in a fresh browser, and saves screenshots to artifacts/."""

from __future__ import annotations

import pytest

from tests.browser_support import (
    PAGES,
    ROOT,
    SLIDER,
    choose_in_sidebar,
    click_sidebar_radio,
    click_sidebar_toggle,
    go_to,
    metric_values,
    page_url,
    sidebar_radio_value,
    sidebar_select,
    sidebar_toggle,
    streamlit_server,
    wait_for_idle,
)
from views.rules import preset_title

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def server():
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with streamlit_server("app.py") as url:
        yield url


@pytest.fixture
def tab(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def fresh_tab(chromium):
    """A second browser context: no cookies, no storage, a new Streamlit session."""
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


def test_the_liquidation_settings_are_shown_as_kept_after_a_visit_to_build(server, tab):
    """A user walk found Liquidation's settings reset after a look at Build; a first mend kept the value in the
    server but the browser showed the slider at 0 (AppTest cannot see that): the slider, and the cards, must
    both show the kept value."""
    tab.goto(f"{server}/liquidation", wait_until="domcontentloaded")
    wait_for_idle(tab)
    slider = tab.locator(SLIDER).first
    slider.focus()
    for _ in range(4):
        slider.press("ArrowRight")
    wait_for_idle(tab)
    shown = slider.input_value()
    cards = metric_values(tab)
    assert float(shown) == 1.0
    go_to(tab, "Build")
    go_to(tab, "Liquidation")
    _no_exceptions(tab)
    assert tab.locator(SLIDER).first.input_value() == shown
    assert metric_values(tab) == cards


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


def _sidebar(tab) -> dict[str, object]:
    """What the sidebar's selectors show right now."""
    return {"sample": sidebar_select(tab, "sidebar_sample").input_value(),
            "cross": sidebar_select(tab, "sidebar_cross_preset").input_value(),
            "portfolio": sidebar_select(tab, "sidebar_portfolio_preset").input_value(),
            "offsets": sidebar_radio_value(tab, "sidebar_offsets"),
            "presenter": sidebar_toggle(tab, "sidebar_presenter").is_checked()}


def _summary(tab) -> str:
    """The sidebar's text blocks: its summary (the book's title in it) and its captions."""
    return " ".join(tab.locator('[data-testid="stSidebar"] [data-testid="stMarkdownContainer"]').all_inner_texts())


def _choose_a_view(tab) -> None:
    """Sample 07, binance / okx, segregated offsets, presenter on: none of them a default."""
    choose_in_sidebar(tab, "sidebar_sample", "07 ·")
    choose_in_sidebar(tab, "sidebar_cross_preset", "binance")
    choose_in_sidebar(tab, "sidebar_portfolio_preset", "okx")
    click_sidebar_radio(tab, "sidebar_offsets", "segregated")
    click_sidebar_toggle(tab, "sidebar_presenter")


CHOSEN = {"sample": "07 · Diversified long alts", "cross": preset_title("cross", "binance"),
          "portfolio": preset_title("portfolio", "okx"), "offsets": "segregated", "presenter": True}


def test_the_sidebar_shows_the_choices_after_every_page_switch(server, tab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.goto(page_url(server, "build"), wait_until="domcontentloaded")
    wait_for_idle(tab)
    _choose_a_view(tab)
    assert _sidebar(tab) == CHOSEN
    assert "Diversified long alts" in _summary(tab)
    # Before the fix every second switch drew new sidebar widgets at their first option.
    for number, title in enumerate(["Compare", "Liquidation", "Build", "Liquidation", "Compare", "Shocks", "Learn",
                                    "Compare"], start=1):
        go_to(tab, title)
        _no_exceptions(tab)
        assert _sidebar(tab) == CHOSEN, f"switch {number}, to {title}"
        assert "Diversified long alts" in _summary(tab), f"switch {number}, to {title}"
    tab.screenshot(path=str(SHOTS / "sidebar-after-eight-switches.png"))
    # On the eighth switch the stale label read "01 ·"; choosing 01 now must load it.
    choose_in_sidebar(tab, "sidebar_sample", "01 ·")
    assert _sidebar(tab)["sample"].startswith("01 · Naked")
    assert "Naked" in _summary(tab) and "Diversified long alts" not in _summary(tab)
    go_to(tab, "Liquidation")
    assert _sidebar(tab) == {**CHOSEN, "sample": _sidebar(tab)["sample"]} and _sidebar(tab)["sample"].startswith("01")


def test_a_share_link_reopens_the_same_compare_page_in_a_fresh_browser(server, tab, fresh_tab):
    from margin import portfolio_margin
    from margin.io import apply_market_overrides
    from margin.presets import portfolio_params
    from views import link, text
    from views.samples import base_market

    tab.goto(page_url(server, "build"), wait_until="domcontentloaded")
    wait_for_idle(tab)
    _choose_a_view(tab)
    price = tab.locator('input[aria-label="SOL price (USD)"]')
    price.fill("150")
    price.press("Enter")
    wait_for_idle(tab)
    go_to(tab, "Compare")
    _no_exceptions(tab)
    original = metric_values(tab)
    assert len(original) >= 10
    shared = tab.url
    fresh_tab.goto(shared, wait_until="domcontentloaded")
    wait_for_idle(fresh_tab)
    fresh_tab.wait_for_selector('[data-testid="stMetricValue"]')
    _no_exceptions(fresh_tab)
    assert fresh_tab.locator('[data-testid="stAlertContentError"]').count() == 0
    assert metric_values(fresh_tab) == original
    assert _sidebar(fresh_tab) == {**CHOSEN, "sample": "Your own book (uploaded or shared)"}  # the price was edited
    fresh_tab.screenshot(path=str(SHOTS / "compare-from-share-link.png"), full_page=True)
    # and they are the engine's numbers for that book under okx with segregated offsets
    from urllib.parse import parse_qsl, urlsplit

    view, document = link.decode(dict(parse_qsl(urlsplit(shared).query)))
    assert document.market_overrides["prices"]["SOL"] == 150.0
    market = apply_market_overrides(base_market(), document.market_overrides)
    rules = portfolio_params("okx").with_changes(offsets="segregated")
    expected = portfolio_margin(document.portfolio, market, rules)
    assert original["Portfolio initial margin"].split(" [")[0] == text.money(expected.initial)
