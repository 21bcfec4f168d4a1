"""The workspace keeps its own bookkeeping, and a run saves it at most once.

``Workspace.with_book`` / ``with_market`` / ``with_rules`` bump the Build page's editor revisions
themselves (no caller bumps a counter by hand); every page composes a run's changes and saves once:
here each interaction that writes the workspace is replayed through AppTest with ``ui.state.save``
counted.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.state
from margin import load_portfolio
from tests.app_support import typed_into_last_row
from ui.state import Editors, Workspace
from views.editor import adjust
from views.samples import edited, load_sample

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SAMPLES = ROOT / "sample_portfolios"
EXAMPLE = ROOT / "sample_data" / "example_prices.csv"
TIMEOUT = 60


# -- the bookkeeping ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pair() -> Workspace:
    book, market = load_sample("03_btc_eth_pair.json")
    return Workspace(book, market)


@pytest.fixture(scope="module")
def strangle():
    return load_sample("05_short_strangle.json")


def test_a_book_from_outside_restarts_every_editor(pair, strangle):
    book, market = strangle
    after = pair.with_book(book, "outside", market, "05_short_strangle.json")
    assert (after.portfolio, after.market, after.sample) == (book, market, "05_short_strangle.json")
    assert after.editors == Editors(positions=1, collateral=1, market=1, sliders=1, base=book, anchor=book)
    assert (after.base, after.anchor) == (book, book)


def test_a_slider_moves_the_tables_data_in_place_and_keeps_the_sliders_anchor(pair):
    moved = pair.portfolio.replace_position(0, adjust(pair.portfolio.positions[0], "size", 3.0))
    after = pair.with_book(moved, "slider")
    moved = edited(moved)  # the user's change, marked (test_a_users_change_marks_the_samples_title_and_story)
    assert after.editors == Editors(positions=0, base=moved, anchor=pair.portfolio)  # same table, new data
    again = after.with_book(moved.replace_position(0, moved.positions[0]), "slider")
    assert again.editors.anchor is pair.portfolio and again.editors.sliders == 0  # the range stays put


def test_a_slider_restarts_a_table_that_holds_edits_of_its_own(pair):
    moved = pair.portfolio.replace_position(0, adjust(pair.portfolio.positions[0], "size", 3.0))
    after = pair.with_book(moved, "slider", table_edited=True)
    assert after.editors == Editors(positions=1, base=edited(moved), anchor=pair.portfolio)


def test_a_row_typed_or_removed_restarts_the_table_and_re_anchors(pair, strangle):
    after = pair.with_book(strangle[0], "rows")
    book = edited(strangle[0])
    assert after.editors == Editors(positions=1, sliders=1, base=book, anchor=book)


def test_a_users_change_marks_the_samples_title_and_story(pair):
    """A user walk read "BTC/ETH pair: long BTC, short ETH · 0 positions" and the story's "Long 1 BTC perp ... at
    10x" over an emptied book: a change of the user's says the story is the book's as loaded."""
    emptied = dataclasses.replace(pair.portfolio, positions=())
    for source in ("table", "filled", "rows", "slider"):
        book = pair.with_book(emptied, source).portfolio
        assert book.positions == () and book.title == pair.portfolio.title + " (changed)"
        assert book.story == "As loaded, before your changes: " + pair.portfolio.story
        assert edited(book) is book  # marked once
    assert pair.with_book(emptied, "outside").portfolio is emptied  # a sample, a file, a link: as it says


def test_a_table_edit_keeps_the_tables_and_re_anchors_the_sliders(pair, strangle):
    book = edited(strangle[0])
    after = pair.with_book(book, "table")
    assert after.editors == Editors(sliders=1, base=pair.portfolio, anchor=book)
    assert after.base is pair.portfolio  # the table keeps starting from the data it was drawn with
    filled = after.with_book(book, "filled")
    assert filled.editors == Editors(positions=1, sliders=2, base=book, anchor=book)


def test_only_a_book_from_outside_brings_a_market(pair, strangle):
    with pytest.raises(ValueError, match="only a book from outside"):
        pair.with_book(strangle[0], "table", strangle[1])


def test_the_market_controls_restart_only_for_a_market_from_elsewhere(pair):
    shocked = pair.market.shocked(vol_mult=2.0)
    assert pair.with_market(shocked, "controls").editors == pair.editors
    assert pair.with_market(shocked).editors.market == pair.editors.market + 1


def test_another_portfolio_preset_comes_with_its_own_offsets(pair):
    segregated = pair.with_rules(offsets="segregated")
    assert segregated.offsets == "segregated" and segregated.portfolio_offsets == "segregated"
    assert segregated.with_rules(portfolio_preset="span").offsets is None
    assert segregated.with_rules(cross_preset="binance").offsets == "segregated"
    assert pair.with_rules(offsets=pair.portfolio_offsets).offsets is None  # the preset's own: stored as None


# -- one save per run -----------------------------------------------------------------------------
@pytest.fixture
def saves(monkeypatch) -> list[Workspace]:
    """Every workspace ``ui.state.save`` is given while the test runs."""
    seen: list[Workspace] = []
    original = ui.state.save

    def counted(workspace: Workspace) -> Workspace:
        seen.append(workspace)
        return original(workspace)

    monkeypatch.setattr(ui.state, "save", counted)
    return seen


def run(at: AppTest, saves: list, most: int = 1) -> AppTest:
    """One run (with the reruns it asks for), checked to save at most ``most`` times."""
    saves.clear()
    at.run()
    assert not at.exception
    assert len(saves) <= most, f"{len(saves)} saves in one run"
    return at


def test_every_build_page_interaction_saves_at_most_once(saves):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    run(at, saves)
    revision = at.session_state["workspace"].editors.positions
    # a table edit and a market edit in the same run: one save carries both
    at.session_state[f"positions_{revision}"] = {"edited_rows": {"0": {"size": 2.0}}, "added_rows": [],
                                                 "deleted_rows": []}
    next(n for n in at.number_input if n.label == "BTC price (USD)").set_value(90_000.0)
    run(at, saves)
    assert len(saves) == 1
    ws = at.session_state["workspace"]
    assert ws.portfolio.positions[0].qty == pytest.approx(2.0) and ws.market.prices["BTC"] == 90_000.0
    # a perp typed without an entry: filled from today's price, the table restarted
    typed_into_last_row(at, {"type": "perp", "asset": "SOL", "side": "long", "size": 10.0})
    run(at, saves)
    assert len(saves) == 1 and at.session_state["workspace"].portfolio.positions[-1].asset == "SOL"
    next(s for s in at.slider if s.label.startswith("Size")).set_value(3.0)
    run(at, saves)
    assert len(saves) == 1
    # The move reran only the fragments that show the book (AppTest then holds only their elements); the
    # whole page run after it, with nothing changed, saves nothing.
    run(at, saves, most=0)
    next(n for n in at.number_input if n.label == "ρ BTC/ETH").set_value(-0.9)
    run(at, saves, most=0)  # an invalid matrix is not applied
    next(b for b in at.button if b.label == "Repair correlations").click()
    run(at, saves)
    data = (SAMPLES / "05_short_strangle.json").read_bytes()
    at.file_uploader[0].set_value(("strangle.json", data, "application/json"))
    run(at, saves)
    assert at.session_state["workspace"].portfolio == load_portfolio(data.decode())


def test_the_sidebar_and_the_price_history_save_at_most_once_a_run(saves):
    from ui import history_panel

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    run(at, saves)
    at.selectbox(key="sidebar_sample").set_value("07_diversified_alts.json")
    run(at, saves)
    at.selectbox(key="sidebar_portfolio_preset").set_value("okx")
    run(at, saves)
    at.radio(key="sidebar_offsets").set_value("segregated")
    run(at, saves)
    at.toggle(key="sidebar_presenter").set_value(True)
    run(at, saves, most=0)
    at.session_state[history_panel.OPEN_KEY] = True
    run(at, saves, most=0)
    at.button(key=history_panel.EXAMPLE_KEY).click()
    run(at, saves, most=0)
    at.button(key=history_panel.APPLY_KEY).click()
    run(at, saves)
    assert len(saves) == 1


def test_opening_and_leaving_a_lesson_saves_at_most_once_a_run(saves):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lesson"] = "binance"  # a lesson with rule sets of its own: book and rules in one save
    run(at, saves)
    assert len(saves) == 1
    ws = at.session_state["workspace"]
    assert ws.cross_preset == "binance" and ws.sample == "02_basis_trade.json"
    at.button(key="learn_restore").click()  # the previous book and the student's rule sets back together
    run(at, saves)
    assert len(saves) == 1
    ws = at.session_state["workspace"]
    assert ws.cross_preset == "hyperliquid" and ws.sample == "03_btc_eth_pair.json"
    at.selectbox(key="learn_pick").set_value(None)
    run(at, saves)
    at.button(key="learn_start_haircuts-depeg").click()
    run(at, saves)
    at.selectbox(key="learn_pick").set_value("binance")
    run(at, saves)
    at.selectbox(key="learn_pick").set_value(None)
    run(at, saves)
    assert at.session_state["workspace"].cross_preset == "hyperliquid"
