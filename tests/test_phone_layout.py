"""Phones and the projector in a real chromium (issue 20 items 5 and 6).

- A phone (390x844): the Compare page shows cross and portfolio side by side, both modes' initial and
  maintenance requirements on the first screen, each equal to the engine's own figure for the
  default book; no text is wider than its box and nothing scrolls sideways; Plotly's toolbar is
  hidden; the other pages put the sidebar's summary (collapsed on a phone) at the top, and a desktop
  does not show it twice.
- A projector (1920x1080, presenter mode): the four key cards (initial and maintenance of both modes)
  are above the fold.
- Learn: the left and right arrow keys step a lesson back and forward, but not while typing in a field.

The numbers are computed here by the engine (margin.cross_margin / portfolio_margin on the sample
book with the default rule sets) and formatted by views.text.money, not read from the page's code.
"""

from __future__ import annotations

import re

import pytest

from margin import cross_margin, portfolio_margin
from margin.presets import DEFAULT_CROSS, DEFAULT_PORTFOLIO, portfolio_params
from tests.browser_support import (
    HORIZONTAL_EXTENT,
    OVERFLOWING_TEXT,
    TEXT_BLOCKS,
    streamlit_server,
    wait_for_charts,
    wait_for_idle,
)
from views import text
from views.samples import DEFAULT_SAMPLE, load_sample

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}
DESKTOP = {"width": 1440, "height": 900}
KEY_CARDS = ("Cross initial margin", "Portfolio initial margin", "Cross maintenance margin",
             "Portfolio maintenance margin")
#: Each metric card's label, value and box (px, in the viewport's coordinates).
CARDS = """
() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stMetric"]')].map(card => {
  const box = card.getBoundingClientRect(), value = card.querySelector('[data-testid="stMetricValue"]');
  const valueBox = value.getBoundingClientRect();
  return {label: card.querySelector('[data-testid="stMetricLabel"]').innerText.trim(), value: value.innerText.trim(),
          top: box.top, bottom: box.bottom, left: box.left, right: box.right,
          valueBottom: valueBox.bottom, valueRight: valueBox.right,
          valueFits: value.scrollWidth <= value.clientWidth + 1};
})
"""


@pytest.fixture(scope="module")
def server():
    with streamlit_server("app.py") as url:
        yield url


@pytest.fixture(scope="module")
def engine_figures():
    """The default book's requirements (USD) by the engine, formatted as the cards show money."""
    book, market = load_sample(DEFAULT_SAMPLE)
    cross = cross_margin(book, market, DEFAULT_CROSS)
    portfolio = portfolio_margin(book, market, portfolio_params(DEFAULT_PORTFOLIO))
    return {"Cross initial margin": text.money(cross.initial), "Cross maintenance margin": text.money(cross.maintenance),
            "Portfolio initial margin": text.money(portfolio.initial),
            "Portfolio maintenance margin": text.money(portfolio.maintenance)}


def _open(chromium, url: str, viewport: dict):
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    wait_for_idle(page)
    return context, page


def test_on_a_phone_compare_shows_both_modes_side_by_side_on_the_first_screen(server, chromium, engine_figures):
    context, page = _open(chromium, f"{server}/compare", PHONE)
    try:
        wait_for_charts(page)
        cards = {card["label"]: card for card in page.evaluate(CARDS)}
        for label in KEY_CARDS:
            card = cards[label]
            assert card["value"] == engine_figures[label], (label, card["value"], engine_figures[label])
            assert card["top"] >= 0 and card["valueBottom"] <= PHONE["height"], f"{label} is below the first screen: {card}"
            assert card["right"] <= PHONE["width"] and card["valueFits"], f"{label} is cut off: {card}"
        for kind in ("initial", "maintenance"):
            cross, portfolio = cards[f"Cross {kind} margin"], cards[f"Portfolio {kind} margin"]
            assert cross["right"] <= portfolio["left"], f"{kind}: the modes are stacked, not side by side"
            assert abs(cross["top"] - portfolio["top"]) < 2, f"{kind}: the two cards are not on one row"
        overflowing = page.evaluate(OVERFLOWING_TEXT, TEXT_BLOCKS)
        assert not overflowing, f"text wider than its box: {overflowing}"
        extent = page.evaluate(HORIZONTAL_EXTENT)
        assert extent["document"] <= extent["viewport"] and extent["mainContent"] <= extent["main"], extent
        toolbar = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot .modebar-container')]
            .map(e => getComputedStyle(e).display)""")
        assert toolbar and set(toolbar) == {"none"}, f"Plotly's toolbar shows over the chart on a phone: {toolbar}"
        strip = page.locator(".st-key-compact_summary")
        assert strip.count() == 0, "Compare's first cards are the summary; it is not drawn twice"
    finally:
        context.close()


def _strip_numbers(page) -> dict[str, tuple[str, str]]:
    """row name -> (cross, portfolio) as the summary strip at the top of the page shows them."""
    rows = page.evaluate("""() => [...document.querySelectorAll('.st-key-compact_summary tbody tr')]
        .map(row => [...row.querySelectorAll('td')].map(cell => cell.innerText.trim()))""")
    return {row[0]: (row[1], row[2]) for row in rows}


def test_a_phone_gets_the_sidebar_summary_at_the_top_and_a_desktop_does_not_see_it_twice(server, chromium,
                                                                                         engine_figures):
    context, page = _open(chromium, f"{server}/liquidation", PHONE)
    try:
        strip = page.locator(".st-key-compact_summary")
        assert strip.is_visible()
        title = page.locator('[data-testid="stMain"] h1').first
        assert strip.bounding_box()["y"] < title.bounding_box()["y"], "the summary is not on top"
        assert strip.bounding_box()["y"] + strip.bounding_box()["height"] <= PHONE["height"]
        shown = _strip_numbers(page)
        assert shown["Maintenance"] == (engine_figures["Cross maintenance margin"],
                                        engine_figures["Portfolio maintenance margin"])
        assert shown["Initial"] == (engine_figures["Cross initial margin"], engine_figures["Portfolio initial margin"])
        assert not page.locator('[data-testid="stSidebar"]').is_visible() or page.evaluate(
            "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().right <= 0")
        page.set_viewport_size(DESKTOP)
        page.wait_for_timeout(500)
        assert not strip.is_visible(), "a desktop shows the summary in the sidebar and at the top"
    finally:
        context.close()


def test_on_a_projector_in_presenter_mode_the_key_cards_are_above_the_fold(server, chromium, engine_figures):
    context, page = _open(chromium, f"{server}/compare?presenter=on", PROJECTOR)
    try:
        assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "20px"  # presenter
        cards = {card["label"]: card for card in page.evaluate(CARDS)}
        for label in KEY_CARDS:
            card = cards[label]
            assert card["value"] == engine_figures[label]
            assert card["bottom"] <= PROJECTOR["height"], f"{label} ends at {card['bottom']:.0f} px, below the fold"
        folded = page.locator('[data-testid="stMain"] [data-testid="stExpander"] details:not([open])')
        assert folded.count() >= 4, "the breakdowns, workbench and sources are not folded"
    finally:
        context.close()


BLUR = "() => document.activeElement && document.activeElement.blur()"


def _step(page) -> int:
    shown = page.locator('[data-testid="stMain"]').get_by_text(re.compile(r"^Step \d+ of \d+$")).first.inner_text()
    return int(shown.split()[1])


def test_the_arrow_keys_step_a_lesson_but_not_while_typing(server, chromium):
    context, page = _open(chromium, f"{server}/learn?lesson=hedge&step=1", DESKTOP)
    try:
        assert _step(page) == 1
        page.evaluate(BLUR)  # the page has the focus, as after a presenter's click on it
        page.keyboard.press("ArrowRight")
        wait_for_idle(page)
        assert _step(page) == 2 and "step=2" in page.url
        page.keyboard.press("ArrowRight")
        wait_for_idle(page)
        assert _step(page) == 3
        page.keyboard.press("ArrowLeft")
        wait_for_idle(page)
        assert _step(page) == 2 and "step=2" in page.url
        # In the lesson picker's text field the arrows move the caret, not the lesson.
        picker = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"] input').first
        picker.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowLeft")
        page.wait_for_timeout(800)
        wait_for_idle(page)
        assert _step(page) == 2
        page.keyboard.press("Escape")
        page.evaluate(BLUR)
        page.keyboard.press("ArrowLeft")
        wait_for_idle(page)
        assert _step(page) == 1
        page.keyboard.press("ArrowLeft")  # the first step: Back is disabled, nothing happens
        page.wait_for_timeout(800)
        wait_for_idle(page)
        assert _step(page) == 1
    finally:
        context.close()
