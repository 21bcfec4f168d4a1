"""The Compare page of the default book (sample 03, the BTC/ETH pair) in a real chromium, as a phone
(390x844), a projector in presenter mode (1920x1080) and a desktop in the dark theme (1440x900).

Screenshots go to test-artifacts/ (compare-<view>.png the first screen, compare-<view>-full.png the
whole page, compare-<view>-chart.png the chart), and each view must read cleanly: no heading, metric,
caption or text block wider than its box, no sideways scrolling, every piece of chart text inside
its chart with the legend clear of the x axis, chart text at 4.5:1 or better on the chart, and in
the dark theme a dark chart on the dark page.

Every page (Build, Compare, Liquidation, Shocks, Replay, and Learn on a lesson's step) is also shot
on the phone and on the projector in presenter mode (test-artifacts/<page>-<view>.png and
<page>-<view>-full.png), and read the same way: no text wider than its box, no sideways scrolling,
no chart text off its chart, and no chart text drawn over other chart text (liquidation labels,
jump numbers, heatmap cells).
"""

from __future__ import annotations

import pytest

from tests.browser_support import (
    CHART_READING,
    HORIZONTAL_EXTENT,
    OVERFLOWING_TEXT,
    PAGES,
    ROOT,
    TEXT_BLOCKS,
    contrast,
    full_page_screenshot,
    page_url,
    relative_luminance,
    sidebar_select,
    streamlit_server,
    wait_for_charts,
    wait_for_idle,
)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
#: name -> (viewport width, height, colour scheme the browser asks for, query string)
VIEWS = {
    "phone": (390, 844, "light", ""),
    "projector": (1920, 1080, "light", "?presenter=on"),
    "dark": (1440, 900, "dark", ""),
}


@pytest.fixture(scope="module")
def server():
    with streamlit_server("app.py") as url:
        yield url


@pytest.fixture(scope="module", params=list(VIEWS))
def view(request, server, chromium):
    """(name, the Compare page open in that view, what the page and its chart read like)."""
    name = request.param
    width, height, scheme, query = VIEWS[name]
    context = chromium.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{server}/compare{query}", wait_until="domcontentloaded")
    wait_for_idle(page)
    wait_for_charts(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"compare-{name}.png"))
    reading = {
        "overflowing": page.evaluate(OVERFLOWING_TEXT, TEXT_BLOCKS),
        "extent": page.evaluate(HORIZONTAL_EXTENT),
        "charts": page.evaluate(CHART_READING),
        "page_background": page.evaluate(
            "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor"),
        "sample": sidebar_select(page, "sidebar_sample").input_value(),
        "presenter": page.evaluate("() => getComputedStyle(document.documentElement).fontSize"),
    }
    chart = page.locator(".js-plotly-plot").first
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=str(ARTIFACTS / f"compare-{name}-chart.png"))
    full_page_screenshot(page, ARTIFACTS / f"compare-{name}-full.png")
    yield name, page, reading
    context.close()


def test_the_default_book_is_the_btc_eth_pair_and_the_projector_is_in_presenter_mode(view):
    name, _, reading = view
    assert reading["sample"].startswith("03"), reading["sample"]
    assert (reading["presenter"] == "20px") == (name == "projector"), reading["presenter"]  # 125 % of 16 px
    assert (ARTIFACTS / f"compare-{name}.png").stat().st_size > 10_000
    assert (ARTIFACTS / f"compare-{name}-full.png").stat().st_size > 10_000


def test_no_text_overflows_its_box_and_the_page_does_not_scroll_sideways(view):
    name, _, reading = view
    assert not reading["overflowing"], f"{name}: text wider than its box: {reading['overflowing']}"
    extent = reading["extent"]
    assert extent["document"] <= extent["viewport"], f"{name}: the page scrolls sideways: {extent}"
    assert extent["mainContent"] <= extent["main"], f"{name}: the main area scrolls sideways: {extent}"


def test_chart_text_stays_inside_the_chart_and_off_the_x_axis(view):
    name, _, reading = view
    (chart,) = reading["charts"]  # the Compare page draws one chart
    assert chart["title"].startswith("Requirement"), chart["title"]
    assert chart["texts"] >= 10, chart
    assert not chart["outside"], f"{name}: chart text outside the chart: {chart['outside']}"
    assert not chart["covered"], f"{name}: the legend covers x-axis text: {chart['covered']}"
    assert chart["width"] <= VIEWS[name][0]


def test_chart_text_reads_on_the_chart_and_the_chart_matches_the_theme(view):
    name, _, reading = view
    (chart,) = reading["charts"]
    background = chart["background"]
    for part in ("tick", "legendText"):
        assert contrast(chart[part], background) >= 4.5, f"{name}: {part} {chart[part]} on {background}"
    assert contrast(background, reading["page_background"]) < 1.1, (background, reading["page_background"])
    if VIEWS[name][2] == "dark":
        assert relative_luminance(background) < 0.02, f"the dark theme's chart is drawn on {background}"
        assert relative_luminance(chart["tick"]) > 0.6, chart["tick"]
    else:
        assert relative_luminance(background) > 0.9, f"the light theme's chart is drawn on {background}"


# -- every page on a phone and on the projector ------------------------------------------------------
#: page name -> the path and query it opens with (Learn on a lesson's first step, Replay as it opens).
EVERY_PAGE = {**{name: "" for name in PAGES}, "replay": "", "learn": "?lesson=hedge&step=1"}
#: Chart text that overlaps other chart text: the boxes of every text element in the main plot, the
#: annotations and the trace texts (tick labels are laid out by plotly itself and left out).
OVERLAPPING_CHART_TEXT = """
() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(chart => {
  const boxes = [...chart.querySelectorAll('.textpoint text, .annotation-text, .gtitle, .legendtext')]
    .filter(t => t.textContent.trim()).map(t => ({text: t.textContent.trim().slice(0, 40), r: t.getBoundingClientRect()}))
    .filter(b => b.r.width > 0);
  const found = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i].r, b = boxes[j].r;
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
      found.push([boxes[i].text, boxes[j].text]);
  }
  return found;
})
"""


@pytest.fixture(scope="module", params=["phone", "projector"])
def every_page(request, server, chromium):
    """(view, {page: what it reads like}) with each page's screenshots written to test-artifacts/."""
    name = request.param
    width, height, scheme, query = VIEWS[name]
    context = chromium.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    readings = {}
    ARTIFACTS.mkdir(exist_ok=True)
    for page_name, own_query in EVERY_PAGE.items():
        joined = own_query + (("&" if own_query else "?") + query.lstrip("?") if query else "")
        page.goto(page_url(server, page_name) + joined, wait_until="domcontentloaded")
        wait_for_idle(page)
        if page.locator(".js-plotly-plot").count():
            wait_for_charts(page)
        page.screenshot(path=str(ARTIFACTS / f"{page_name}-{name}.png"))
        full_page_screenshot(page, ARTIFACTS / f"{page_name}-{name}-full.png")
        readings[page_name] = {
            "overflowing": page.evaluate(OVERFLOWING_TEXT, TEXT_BLOCKS),
            "extent": page.evaluate(HORIZONTAL_EXTENT),
            "charts": page.evaluate(CHART_READING),
            "overlapping": page.evaluate(OVERLAPPING_CHART_TEXT),
            "errors": page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]').all_inner_texts(),
        }
    yield name, readings
    context.close()


def test_every_page_on_a_phone_and_a_projector_reads_without_clipped_or_overlapping_text(every_page):
    name, readings = every_page
    assert set(readings) == set(EVERY_PAGE)
    for page_name, reading in readings.items():
        assert not reading["errors"], f"{page_name} ({name}): {reading['errors']}"
        assert (ARTIFACTS / f"{page_name}-{name}-full.png").stat().st_size > 10_000
        assert not reading["overflowing"], f"{page_name} ({name}): text wider than its box: {reading['overflowing']}"
        extent = reading["extent"]
        assert extent["document"] <= extent["viewport"], f"{page_name} ({name}) scrolls sideways: {extent}"
        assert extent["mainContent"] <= extent["main"], f"{page_name} ({name}): the main area scrolls sideways"
        for chart in reading["charts"]:
            assert not chart["outside"], f"{page_name} ({name}) {chart['title']!r}: text off the chart: {chart['outside']}"
            assert not chart["covered"], f"{page_name} ({name}) {chart['title']!r}: the legend covers the x axis"
        assert not reading["overlapping"], f"{page_name} ({name}): chart text over chart text: {reading['overlapping']}"
    charted = [page_name for page_name, reading in readings.items() if reading["charts"]]
    assert {"compare", "liquidation", "shocks"} <= set(charted), charted
