"""Build's sliders of "Adjust one position" rerun only the fragments that show the book (pages/build.py,
``book_fragments``), not the whole page: these tests fail when any place that shows the book keeps the
old book after a move.

AppTest, after a fragment-only run, holds the elements of the fragments that ran and nothing else. So
"every element that a whole-page run draws differently after the move was drawn by the move, as the whole
page draws it" is checked element by element, by delta path, against whole-page runs before and after the
move. One chromium test checks what AppTest cannot: the browser keeps the rest of the page, and the
sidebar, the narrow screens' strip, the table, the picker, the workbench, the share link, the address bar
and the download all carry the new size, and so does Compare after switching pages.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from margin import PortfolioError, cross_margin, portfolio_margin
from margin.greeks import book_greeks
from margin.io import decode_share_token
from margin.whatif import incremental_margin, make_trade
from tests.app_support import opened_app
from ui import smile_panel, state, workbench
from ui.workbench import PAYOFF_FRAGMENT, PAYOFF_PANEL_FRAGMENT
from ui.workbench import book_fragments as workbench_fragments
from views import coins, editor, link, samples, text
from views.samples import load_sample

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 60
STRANGLE = "05_short_strangle.json"  # a short call and a short put on BTC, 14 days out
SLIDER_INPUT = 'input[type="range"], [role="slider"]'


def _leaves(node, path=()):
    """(delta path, element) of every element under ``node`` (AppTest's tree: blocks hold children by index)."""
    children = getattr(node, "children", None)
    if children is None:
        yield path, node
        return
    for index, child in children.items():
        yield from _leaves(child, (*path, index))


def _drawn(at: AppTest, moved_slider: str) -> dict[tuple, bytes]:
    """Every element the last run drew (main area and sidebar), by delta path, as its serialised proto; the
    moved slider without its value (the browser shows the value it was moved to: the move does not redraw it,
    but a new range or label would have to be)."""
    drawn = {}
    for path, element in _leaves(at._tree):
        proto = getattr(element, "proto", None)
        if proto is None:
            continue
        if getattr(element, "type", None) == "slider" and element.label.startswith(moved_slider):
            proto = type(proto).FromString(proto.SerializeToString())
            for name in ("default", "value", "raw_value", "set_value"):
                proto.ClearField(name)
        drawn[path] = proto.SerializeToString(deterministic=True)
    return drawn


def _slider(at: AppTest, label_start: str):
    return next(s for s in at.slider if s.label.startswith(label_start))


def _move(at: AppTest, label_start: str, value) -> tuple[dict, dict, dict]:
    """What a whole-page run drew, what the slider move drew, what a whole-page run after it draws."""
    at.run()
    before = _drawn(at, label_start)
    _slider(at, label_start).set_value(value).run()
    assert not at.exception
    moved = _drawn(at, label_start)
    at.run()
    assert not at.exception and not at.error
    return before, moved, _drawn(at, label_start)


def _assert_nothing_stale(before: dict, moved: dict, after: dict) -> None:
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert len(changed) >= 5, f"the move changed almost nothing on the page: {sorted(changed)}"
    stale = sorted(path for path in changed if path in after and moved.get(path) != after[path])
    assert not stale, f"drawn by the whole page after the move, but not so by the move (stale): {stale}"
    left_over = sorted(path for path in changed - after.keys() if path in moved)
    assert not left_over, f"the move drew elements the whole page no longer has: {left_over}"
    assert len(moved) < len(after) / 2, "the move reran (most of) the whole page"


def changed(sample: str) -> state.Workspace:
    """The sample as a user has already changed it: its title and story marked so (views.samples.edited). A
    sample's first change reruns the whole page (the story box at its top says so:
    test_a_samples_first_change_reruns_the_page_and_marks_its_story); the moves after it, the fragments."""
    ws = state.fresh(sample)
    return dataclasses.replace(ws, portfolio=samples.edited(ws.portfolio))


def opened(sample: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["workspace"] = changed(sample)
    at.run()
    assert not at.exception
    return at


@pytest.fixture
def app() -> AppTest:
    return opened(samples.DEFAULT_SAMPLE)


def strangle() -> AppTest:
    return opened(STRANGLE)


def test_a_samples_first_change_reruns_the_page_and_marks_its_story():
    at = opened_app(TIMEOUT)
    title = at.session_state["workspace"].portfolio.title
    _slider(at, "Size").set_value(3.0).run()
    assert not at.exception
    book = at.session_state["workspace"].portfolio
    assert book.title == title + " (changed)" and book.story.startswith("As loaded, before your changes: ")
    assert at.info[0].value == f"**{book.title}**  \n{book.story}"  # the whole page ran: the box at its top too


@pytest.mark.parametrize("tab", workbench.BUILD_TABS)
def test_a_size_move_redraws_every_element_that_shows_the_book_and_only_those(app, tab):
    # Whichever of the workbench's tabs is open (each drawn only while open) is redrawn with the book. Opened a
    # run before the move: from its second run on, its inputs are kept through the Session State API (their
    # protos then carry set_value), as for a viewer who opened the tab and then moved a slider.
    app.session_state[workbench.BUILD_TAB_KEY] = tab
    app.run()
    _assert_nothing_stale(*_move(app, "Size", 3.0))


def test_a_leverage_move_too(app):
    _assert_nothing_stale(*_move(app, "Leverage", 4.0))


@pytest.mark.parametrize("label, value", [("Size", 3.0), ("Strike", 120_000.0), ("Expiry", 3.0)])
def test_an_options_size_strike_and_expiry_moves_too(label, value):
    # The expiry move shortens the book's longest expiry: the payoff's T+n slider gets a new range.
    _assert_nothing_stale(*_move(strangle(), label, value))


def test_a_payoff_day_move_redraws_the_chart_and_its_reading_and_nothing_else():
    before, moved, after = _move(strangle(), "Days from now", 7)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert changed, "the day changed nothing on the page"
    stale = sorted(path for path in changed if path in after and moved.get(path) != after[path])
    assert not stale, f"drawn by the whole page after the move, but not so by the move (stale): {stale}"
    assert len(moved) <= 3, f"the move redrew {len(moved)} elements, not the chart and its reading alone"


def test_the_payoff_panel_reruns_with_its_controls_only_when_the_book_changes_them():
    book, market = load_sample(STRANGLE)
    resized = book.replace_position(0, dataclasses.replace(book.positions[0], qty=-2.0))
    shorter = book.replace_position(0, dataclasses.replace(book.positions[0], expiry_days=3.0))
    shorter = shorter.replace_position(1, dataclasses.replace(shorter.positions[1], expiry_days=3.0))
    assert PAYOFF_FRAGMENT in workbench_fragments(book, resized, market)
    assert PAYOFF_PANEL_FRAGMENT not in workbench_fragments(book, resized, market)
    assert PAYOFF_PANEL_FRAGMENT in workbench_fragments(book, shorter, market)


@pytest.mark.parametrize("tab", [workbench.TICKET_TAB, workbench.GREEKS_TAB])
def test_each_fragment_of_a_size_move_shows_the_new_book(app, tab):
    app.session_state[workbench.BUILD_TAB_KEY] = tab
    app.run()
    _slider(app, "Size").set_value(3.0).run()
    assert not app.exception
    ws = app.session_state["workspace"]
    assert ws.portfolio.positions[0].qty == pytest.approx(3.0)
    # the positions table (its values, in place), and not the picker: its labels leave out the size
    assert app.data_editor[0].value["size"].tolist()[0] == pytest.approx(3.0)
    assert not [s for s in app.selectbox if s.label == "Position"]
    # the sidebar's summary and the narrow screens' strip
    cm = cross_margin(ws.portfolio, ws.market, ws.cross_preset)
    pm = portfolio_margin(ws.portfolio, ws.market, ws.portfolio_rules)
    sidebar = " ".join(m.value for m in app.sidebar.markdown)
    assert f"Maintenance: cross **{text.money(cm.maintenance)}**, portfolio **{text.money(pm.maintenance)}**" in sidebar
    strip = next(m.value for m in app.main.markdown if m.value.startswith("| USD | Cross | Portfolio |"))
    assert f"| Maintenance | **{text.money(cm.maintenance)}** | **{text.money(pm.maintenance)}** |" in strip
    if tab == workbench.TICKET_TAB:  # the ticket's cards: its trade (the default BTC put) added to the new book
        strike = app.session_state["workbench_build_strike_BTC_put"]
        trade = make_trade("put", "BTC", "buy", 1.0, ws.market, strike, 30.0)
        result = incremental_margin(ws.portfolio, trade, ws.market, ws.cross_preset, ws.portfolio_rules)
        cards = {m.label: m.value for m in app.metric}
        assert cards["Cross maintenance"] == text.money(result.after["cross"]["maintenance"])
        assert cards["Portfolio initial"] == text.money(result.after["portfolio"]["initial"])
    else:  # the greeks of the new book
        table = next(d.value for d in app.dataframe if "Underlying" in d.value.columns)
        assert table["Delta (USD)"].iloc[-1] == pytest.approx(book_greeks(ws.portfolio, ws.market).book["delta_usd"])
    # the share link's box and the address bar
    assert next(m.value for m in app.markdown if "book=" in m.value).strip("`").endswith(state.share_query(ws))
    assert decode_share_token(app.query_params["book"]).portfolio == ws.portfolio


def test_with_the_smile_panel_open_an_option_move_reruns_the_whole_page():
    at = strangle()
    at.session_state[smile_panel.OPEN_KEY] = True
    at.run()
    _slider(at, "Strike").set_value(120_000.0).run()
    assert not at.exception
    assert at.title and any(n.label.endswith("skew") for n in at.number_input), \
        "the open smile panel plots each option's strike: the whole page reruns"


def test_a_refused_value_is_said_under_the_sliders_and_changes_nothing(app, monkeypatch):
    before = app.session_state["workspace"].portfolio

    def refuse(position, field, value):
        raise PortfolioError(f"{field}: refused in this test.")

    monkeypatch.setattr(editor, "adjust", refuse)
    _slider(app, "Size").set_value(3.0).run()
    assert not app.exception
    assert [e.value for e in app.error] == ["size: refused in this test."]
    assert app.session_state["workspace"].portfolio == before


def test_picking_another_position_shows_its_sliders(app):
    picker = next(s for s in app.selectbox if s.label == "Position")
    picker.set_value(1).run()
    assert not app.exception
    assert _slider(app, "Size").label == "Size (ETH)"


def test_the_streamlit_api_this_relies_on():
    """Keyed fragments, rerun by key from a widget callback (Streamlit 1.67); without them a slider move
    would have to rerun the whole page."""
    import inspect

    import streamlit as st

    assert "key" in inspect.signature(st.fragment).parameters
    assert "Sequence" in str(inspect.signature(st.rerun).parameters["scope"].annotation)


# -- in chromium ------------------------------------------------------------------------------------
def _link_book(address: str):
    """The book a link (the share link's box or the address bar) restores."""
    view, document = link.decode(dict(parse_qsl(urlsplit(address.strip()).query)))
    return document.portfolio


@pytest.mark.browser
def test_in_the_browser_a_slider_move_leaves_no_place_showing_the_old_size(chromium):
    from tests.browser_support import go_to, metric_values, streamlit_server, wait_for_idle

    book, market = load_sample("03_btc_eth_pair.json")
    with streamlit_server("app.py") as server:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        tab = context.new_page()
        tab.goto(f"{server}/", wait_until="domcontentloaded")
        wait_for_idle(tab)
        tab.get_by_role("tab", name=workbench.TICKET_TAB).click()  # the workbench's tabs: the ticket's cards
        wait_for_idle(tab)
        size = tab.locator('[data-testid="stSlider"]').filter(has_text="Size (BTC)").locator(SLIDER_INPUT).first
        size.focus()
        for _ in range(3):
            size.press("ArrowRight")
        wait_for_idle(tab)
        assert tab.locator('[data-testid="stException"]').count() == 0
        shown = float(size.input_value())
        assert shown > 1.0
        moved = samples.edited(book.replace_position(0, dataclasses.replace(book.positions[0], qty=shown)))
        cm, pm = cross_margin(moved, market), portfolio_margin(moved, market)
        # the page outside the fragments is still there
        assert tab.locator("h1").filter(has_text="Build a book").count() == 1
        assert tab.locator('[data-testid="stMain"]').get_by_role("heading", name="Market", exact=True).count() == 1
        # the sidebar's summary and the strip (hidden at this width, but in the page)
        sidebar = tab.locator('[data-testid="stSidebar"]').inner_text()
        assert f"Maintenance: cross {text.money(cm.maintenance)}, portfolio {text.money(pm.maintenance)}" in sidebar
        strip = tab.locator(".st-key-compact_summary").text_content()
        assert text.money(cm.maintenance) in strip and text.money(pm.maintenance) in strip
        # the positions table (the rows of its screen-reader copy) and the picker's label
        rows = tab.locator('[data-testid="stDataFrame"]').first.locator("table tr")
        assert rows.nth(1).locator("td").all_text_contents()[:6] == ["1", "false", "perp", "BTC", "long", f"{shown:g}"]
        picker = tab.locator('[class*="st-key-build_pick_"] input[role="combobox"]').input_value()
        assert coins.position_label(moved.positions[0]) in picker
        # the share link's box, the address bar and the download
        assert _link_book(tab.locator(".st-key-share_link_box").inner_text()) == moved
        assert _link_book(tab.url) == moved
        with tab.expect_download() as download:
            tab.get_by_role("button", name="Download portfolio (JSON)").click()
        saved = json.loads(Path(download.value.path()).read_text())
        assert saved["positions"][0]["qty"] == pytest.approx(shown)
        # the workbench's cards, as the whole page draws them for the same book (opened from the link)
        cards = {label: value for label, value in metric_values(tab).items() if "with the trade" in value}
        assert len(cards) == 4
        fresh = context.new_page()
        fresh.goto(tab.url, wait_until="domcontentloaded")
        wait_for_idle(fresh)
        fresh.get_by_role("tab", name=workbench.TICKET_TAB).click()
        wait_for_idle(fresh)
        assert {label: value for label, value in metric_values(fresh).items() if "with the trade" in value} == cards
        # Compare after switching pages, and Build again
        go_to(tab, "Compare")
        compare = metric_values(tab)
        assert compare["Cross maintenance margin"].startswith(text.money(cm.maintenance))
        assert compare["Portfolio maintenance margin"].startswith(text.money(pm.maintenance))
        go_to(tab, "Build")
        assert _link_book(tab.url) == moved
        context.close()
