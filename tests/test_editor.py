"""The Build page's positions table (views.editor) and what the page does with it: a perp or future
row left without an entry opens at today's mark, the table shows the entry it took, blank cells
show blank (not "None"), and the market controls fold the stablecoins away. Coin-margined (inverse)
rows are sized in USD of face value, round-trip through the table, get named messages and a reading
of their face in coins."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from margin import Future, Option, Perp, Portfolio, Spot, cross_margin, default_market
from margin.instruments import InverseFuture, InversePerp
from margin.market import is_stablecoin
from tests.app_support import opened_app, table_positions, typed_into_last_row
from views import coins, editor, metrics, samples, text

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 30


def row(**cells) -> dict:
    return {column: cells.get(column) for column in editor.COLUMNS}


def test_today_mark_is_spot_for_a_perp_and_the_basis_forward_for_a_future():
    base = default_market()
    spot = base.prices["BTC"]
    assert editor.today_mark("perp", "BTC", None, base) == spot
    assert editor.today_mark("future", "BTC", 73.0, base) == pytest.approx(
        spot * math.exp(base.basis.get("BTC", 0.0) * 73.0 / 365.0))
    # nothing to default: an option, a spot holding, an unpriced asset, a future without its expiry
    for kind, asset, expiry in (("call", "BTC", 30.0), ("spot", "BTC", None), ("perp", "NOPE", None),
                                ("future", "BTC", None), ("future", "BTC", float("nan")), (None, "BTC", None)):
        assert editor.today_mark(kind, asset, expiry, base) is None, (kind, asset, expiry)


def test_a_future_opens_at_the_mark_the_engine_gives_it():
    base = default_market()
    for asset in ("BTC", "ETH"):
        mark = editor.today_mark("future", asset, 30.0, base)
        engine = cross_margin(Portfolio((Future(asset, 1.0, 1.0, 30.0),), {"USDC": 1e6}), base).breakdown
        assert mark == pytest.approx(float(engine.loc[engine["type"] == "future", "mark"].iloc[0]))
        assert base.basis.get(asset, 0.0) == 0 or mark != base.prices[asset]  # the basis is in it
        positions, _ = editor.frame_positions(editor.fill_entries(pd.DataFrame(
            [row(type="future", asset=asset, side="long", size=1.0, expiry=30.0)]), base)[0])
        assert isinstance(positions[0], Future) and positions[0].entry_price == pytest.approx(mark)


def test_fill_entries_fills_only_blank_perp_and_future_entries_and_says_which():
    market = default_market()
    frame = pd.DataFrame([
        row(type="perp", asset="BTC", side="long", size=1.0),  # blank entry: filled
        row(type="perp", asset="ETH", side="short", size=2.0, entry=2500.0),  # typed: kept
        row(type="call", asset="BTC", side="short", size=1.0, strike=100_000.0, expiry=30.0),  # option: no entry
        row(type="future", asset="ETH", side="long", size=1.0, expiry=90.0),  # blank entry: its forward
        row(),  # an empty row stays empty
    ])
    filled_frame, filled = editor.fill_entries(frame, market)
    assert [number for number, _, _ in filled] == [1, 4]
    assert filled_frame.loc[0, "entry"] == market.prices["BTC"]
    assert filled_frame.loc[1, "entry"] == 2500.0
    assert pd.isna(filled_frame.loc[2, "entry"]) and pd.isna(frame.loc[0, "entry"])  # the input is untouched
    positions, errors = editor.frame_positions(filled_frame)
    assert not errors and isinstance(positions[0], Perp) and positions[0].entry_price == market.prices["BTC"]
    assert text.price(market.prices["BTC"]) in text.read_filled_entries(filled)


def test_without_a_price_a_perp_still_needs_its_entry():
    frame = pd.DataFrame([row(type="perp", asset="NOPE", side="long", size=1.0)])
    filled_frame, filled = editor.fill_entries(frame, default_market())
    assert not filled
    _, errors = editor.frame_positions(filled_frame)
    assert errors == ["Row 1, entry: a perp needs its entry price in USD."]


def test_table_assets_lists_each_named_asset_once_in_order():
    frame = pd.DataFrame([row(asset="ETH"), row(asset="BTC"), row(asset="ETH"), row(asset=None), row(asset=" ")])
    assert editor.table_assets(frame) == ["ETH", "BTC"]


def test_stablecoin_reading_says_on_or_off_the_peg_from_the_price():
    on = text.read_stablecoins(["USDC"], {"USDC": 0.999807})
    assert "USDC $0.9998, on its $1 peg" in on
    below = text.read_stablecoins(["USDT"], {"USDT": 0.95})
    assert "5.0 % below its $1 peg" in below
    above = text.read_stablecoins(["USDC"], {"USDC": 1.02})
    assert "2.0 % above its $1 peg" in above


# -- the Build page ----------------------------------------------------------------------------------
@pytest.fixture
def app() -> AppTest:
    return opened_app(TIMEOUT)


def test_a_new_perp_row_without_entry_opens_at_todays_price_and_the_table_shows_it(app):
    ws = app.session_state["workspace"]
    today = ws.market.prices["SOL"]
    typed_into_last_row(app, {"type": "perp", "asset": "SOL", "side": "long", "size": 10.0})
    app.run()
    assert not app.exception and not [e.value for e in app.error]
    after = app.session_state["workspace"]
    added = after.portfolio.positions[-1]
    assert isinstance(added, Perp) and added.asset == "SOL" and added.entry_price == today
    # the table restarted from the book: its new row shows the entry it took
    assert after.editors.positions == ws.editors.positions + 1
    assert table_positions(app)["entry"].iloc[-1] == today
    assert any(text.price(today) in i.value and "row 3" in i.value for i in app.info)
    assert any(c.value.startswith("Today's prices:") and f"SOL {text.price(today)}" in c.value for c in app.caption)


def test_a_complete_row_typed_into_the_last_row_joins_the_book_and_a_new_blank_row_follows(app):
    ws = app.session_state["workspace"]
    call = {"type": "call", "asset": "BTC", "side": "short", "size": 1.0, "strike": 100_000.0, "expiry": 30.0}
    typed_into_last_row(app, call)
    app.run()
    assert not app.exception and not [e.value for e in app.error]
    after = app.session_state["workspace"]
    assert after.portfolio.positions[:-1] == ws.portfolio.positions
    assert after.portfolio.positions[-1] == Option("BTC", "call", 100_000.0, 30.0, -1.0)
    assert after.editors.positions == ws.editors.positions + 1  # restarted: a blank row to type the next one into
    table = app.data_editor[0].value
    assert table.index.tolist() == [1, 2, 3, 4]  # numbered as the messages and the picker number them
    assert table_positions(app)["type"].tolist()[-1] == "call"


def test_a_row_ticked_remove_leaves_the_book_and_the_table(app):
    ws = app.session_state["workspace"]
    app.session_state[f"positions_{ws.editors.positions}"] = {
        "edited_rows": {"0": {editor.REMOVE: True}}, "added_rows": [], "deleted_rows": []}
    app.run()
    assert not app.exception and not [e.value for e in app.error]
    after = app.session_state["workspace"]
    assert after.portfolio.positions == ws.portfolio.positions[1:]
    assert table_positions(app)["asset"].tolist() == [p.asset for p in ws.portfolio.positions[1:]]
    assert not app.data_editor[0].value[editor.REMOVE].any()


def test_the_picker_follows_its_position_when_a_row_above_it_is_removed(app):
    """A user walk picked row 2 (the ETH perp), removed row 1, and found the picker on row 2 again: another
    position, which the next slider move changed."""
    typed_into_last_row(app, {"type": "put", "asset": "BTC", "side": "short", "size": 1.0, "strike": 80_000.0,
                              "expiry": 30.0})
    app.run()
    ws = app.session_state["workspace"]
    assert len(ws.portfolio.positions) == 3
    picker = next(s for s in app.selectbox if s.label == "Position")
    picker.set_value(1).run()
    eth, put = ws.portfolio.positions[1:]
    app.session_state[f"positions_{ws.editors.positions}"] = {
        "edited_rows": {"0": {editor.REMOVE: True}}, "added_rows": [], "deleted_rows": []}
    app.run()
    assert not app.exception and app.session_state["workspace"].portfolio.positions == (eth, put)
    picker = next(s for s in app.selectbox if s.label == "Position")
    assert picker.value == 0 and picker.options[0] == f"Row 1: {coins.position_label(eth)}"
    assert next(s for s in app.slider if s.label.startswith("Size")).value == pytest.approx(abs(eth.qty))


@pytest.mark.parametrize(("index", "removed", "after"), [(2, [1], 1), (2, [1, 2], 0), (1, [2], 0), (0, [2, 3], 0),
                                                         (3, [1, 3], 1), (1, [], 1)])
def test_an_index_after_removal_counts_the_rows_removed_above_it(index, removed, after):
    assert editor.index_after_removal(index, removed) == after


def test_a_half_typed_last_row_is_named_and_the_table_keeps_it(app):
    ws = app.session_state["workspace"]
    typed_into_last_row(app, {"type": "put"})
    app.run()
    assert not app.exception
    assert [e.value for e in app.error] == ["Row 3, asset: choose the asset, e.g. BTC."]
    after = app.session_state["workspace"]
    assert after.portfolio == ws.portfolio and after.editors.positions == ws.editors.positions  # still typing


@pytest.mark.parametrize("name", samples.sample_names())
def test_the_build_tables_frame_reads_back_as_the_book_and_asks_no_restart(name):
    book, _ = samples.load_sample(name)
    frame = editor.table_frame(book)
    assert len(frame) == len(book.positions) + 1 and frame.index[0] == 1
    assert editor.frame_positions(frame) == (list(book.positions), [])
    assert not editor.restarts_table(frame)
    ticked = frame.copy()
    ticked.loc[1, editor.REMOVE] = True
    assert editor.restarts_table(ticked) == bool(book.positions)
    assert editor.frame_positions(ticked)[0] == list(book.positions[1:])
    filled = editor.fill_entries(ticked.assign(entry=float("nan")), default_market())[1]
    assert 1 not in [number for number, _, _ in filled]  # a row on its way out is not filled in


def test_blank_cells_of_the_tables_show_blank_not_none(app):
    positions = app.data_editor[0]
    assert positions.value["strike"].isna().all()  # the default book's perps have blank strikes
    assert positions.proto.HasField("placeholder") and positions.proto.placeholder == "", "blank cells read 'None'"


def test_stablecoins_are_folded_away_but_editable(app):
    coins = [n.label for n in app.main.number_input if n.label.endswith("price (USD)")]
    ws = app.session_state["workspace"]
    stables = [a for a in ws.portfolio.assets() if is_stablecoin(a)]
    assert stables and coins
    # Drawn only while open (each element on the page costs every rerun: docs/performance.md).
    assert not any(label.startswith(stables[0]) for label in coins), "the closed expander drew its inputs"
    app.session_state["build_stables_open"] = True  # pages/build.py STABLES_OPEN_KEY
    app.run()
    folded = next(e for e in app.expander if e.label.startswith("Stablecoins"))
    inside = [n.label for n in folded.number_input]
    for asset in stables:
        assert f"{asset} price (USD)" in inside and f"{asset} volatility (% a year)" in inside
    # every correlation with a stablecoin is inside, none outside
    outside_rho = [n.label for n in app.main.number_input if n.label.startswith("ρ") and n.label not in inside]
    assert outside_rho and not any(s in label for label in outside_rho for s in stables)
    assert any(label.startswith("ρ") and stables[0] in label for label in inside)
    # still editable: a depeg typed in the folded section reaches the market
    price = next(n for n in folded.number_input if n.label == f"{stables[0]} price (USD)")
    price.set_value(0.9).run()
    assert not app.exception and app.session_state["workspace"].market.prices[stables[0]] == pytest.approx(0.9)
    app.session_state["build_stables_open"] = False  # folded again: the market keeps the depeg
    app.run()
    assert app.session_state["workspace"].market.prices[stables[0]] == pytest.approx(0.9)


# -- coin-margined (inverse) rows: sized in USD of face value, settled in the coin ------------------------
def test_inverse_rows_round_trip_through_the_table_with_their_usd_size():
    book = Portfolio((InversePerp("BTC", 10_000.0, 87_000.0, leverage=20.0, isolated_margin=600.0),
                      InverseFuture("ETH", -25_000.0, 3_000.0, 90.0),
                      Perp("BTC", 0.5, 88_000.0)), {"BTC": 1.0})
    frame = editor.positions_frame(book)
    assert frame["type"].tolist() == ["inverse perp", "inverse future", "perp"]
    assert frame["usd_size"].tolist()[:2] == [10_000.0, 25_000.0] and frame["side"].tolist()[:2] == ["long", "short"]
    assert frame["size"].isna().tolist() == [True, True, False]  # one size column per row, the other blank
    assert pd.isna(frame.loc[2, "usd_size"]) and frame.loc[1, "expiry"] == 90.0
    positions, errors = editor.frame_positions(frame)
    assert not errors and tuple(positions) == book.positions


def test_every_sample_round_trips_through_the_table():
    for name in samples.sample_names():
        book, _ = samples.load_sample(name)
        positions, errors = editor.frame_positions(editor.positions_frame(book))
        assert not errors and tuple(positions) == book.positions, name


@pytest.mark.parametrize(("cells", "message"), [
    ({"type": "inverse perp", "size": 1.0, "entry": 87_000.0},
     "Row 1, size: an inverse perp is sized in US dollars of face value, not coins: enter it under "
     f"{editor.USD_SIZE_LABEL} and clear {editor.SIZE_LABEL}."),
    ({"type": "perp", "size": 1.0, "usd_size": 10_000.0, "entry": 87_000.0},
     f"Row 1, usd_size: a perp is sized in coins under {editor.SIZE_LABEL}; {editor.USD_SIZE_LABEL} is for inverse "
     "contracts only: clear the cell."),
    ({"type": "inverse future", "entry": 87_000.0, "expiry": 30.0},
     f"Row 1, usd_size: enter the face value in US dollars under {editor.USD_SIZE_LABEL} (positive; the side sets "
     "long or short)."),
    ({"type": "inverse perp", "usd_size": -5.0, "entry": 87_000.0},
     "Row 1, usd_size: must be 0 or more; use the side column for shorts."),
    ({"type": "inverse future", "usd_size": 10_000.0, "entry": 87_000.0},
     "Row 1, expiry: an inverse future needs its days to expiry."),
    ({"type": "inverse perp", "usd_size": 10_000.0, "entry": 87_000.0, "strike": 90_000.0},
     "Row 1, strike: an inverse perp has no strike in USD; clear the cell."),
    ({"type": "inverse perp", "usd_size": 10_000.0, "entry": 0.0}, "Row 1, entry: must be > 0"),
    ({"type": "inverse perp", "usd_size": 10_000.0, "entry": 87_000.0, "leverage": 0.5}, "Row 1, leverage: must be >= 1"),
    ({"type": "inverse perp", "usd_size": 1e13, "entry": 87_000.0}, "Row 1, usd_size: must be <= 1e+12"),
])
def test_a_bad_inverse_row_gets_a_message_naming_the_row_and_the_field(cells, message):
    _, errors = editor.frame_positions(pd.DataFrame([row(asset="BTC", side="long", **cells)]))
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_an_inverse_row_left_without_entry_opens_at_todays_mark():
    market = default_market()
    spot = market.prices["BTC"]
    assert editor.today_mark("inverse perp", "BTC", None, market) == spot
    assert editor.today_mark("inverse future", "BTC", 90.0, market) == editor.today_mark("future", "BTC", 90.0, market)
    frame = pd.DataFrame([row(type="inverse perp", asset="BTC", side="long", usd_size=10_000.0),
                          row(type="inverse future", asset="BTC", side="short", usd_size=5_000.0, expiry=90.0)])
    filled_frame, filled = editor.fill_entries(frame, market)
    assert [number for number, _, _ in filled] == [1, 2]
    positions, errors = editor.frame_positions(filled_frame)
    assert not errors
    assert positions[0] == InversePerp("BTC", 10_000.0, spot)
    assert positions[1] == InverseFuture("BTC", -5_000.0, coins.today_mark(positions[1], market), 90.0)


def test_the_slider_of_an_inverse_row_moves_its_usd_face_and_keeps_its_side():
    short = InverseFuture("BTC", -50_000.0, 89_000.0, 90.0)
    ranges = metrics.slider_ranges(short, 88_000.0, 50.0)
    assert ranges["size"] == {"min": 0.0, "max": 250_000.0, "step": 100.0, "value": 50_000.0}
    assert set(ranges) == {"size", "leverage", "expiry"}
    assert editor.adjust(short, "size", 20_000.0) == InverseFuture("BTC", -20_000.0, 89_000.0, 90.0)
    assert editor.adjust(short, "leverage", 10.0).leverage == 10.0
    assert editor.adjust(short, "expiry", 30.0).expiry_days == 30.0
    assert set(metrics.slider_ranges(InversePerp("BTC", 1_000.0, 88_000.0), 88_000.0, 50.0)) == {"size", "leverage"}


def test_an_inverse_rows_reading_gives_its_face_in_coins_at_todays_price():
    market = default_market().with_prices({"BTC": 88_000.0})
    perp = InversePerp("BTC", 10_000.0, 87_000.0)
    assert coins.read_inverse(perp, market) == "long $10,000 BTC inverse perp = 0.1136 BTC at today's price ($88,000)"
    assert coins.position_label(perp) == "Long BTC inverse perp"  # the picker's: no size, which a slider moves
    assert coins.position_label(Perp("BTC", 1.0, 87_000.0)) == "Long BTC perp"
    future = InverseFuture("BTC", -10_000.0, 87_000.0, 90.0)
    mark = coins.today_mark(future, market)
    assert mark == pytest.approx(88_000.0 * math.exp(market.basis["BTC"] * 90 / 365))
    assert f"= {10_000 / mark:.4f} BTC at its mark today ({text.price(mark)})" in coins.read_inverse(future, market)
    assert coins.read_inverse_rows((Perp("BTC", 1.0, 87_000.0),), market) == ""


def test_a_book_is_coin_margined_when_every_position_settles_in_one_coin():
    perp, future = InversePerp("BTC", 10_000.0, 87_000.0), InverseFuture("BTC", -5_000.0, 88_000.0, 30.0)
    assert coins.book_coin(Portfolio((perp, future), {"BTC": 1.0, "USDC": 10.0})) == "BTC"
    assert coins.book_coin(Portfolio((perp, Spot("BTC", 1.0)))) == "BTC"
    assert coins.book_coin(Portfolio((perp, Perp("BTC", 1.0, 87_000.0)))) is None  # a linear contract settles in USD
    assert coins.book_coin(Portfolio((perp, InversePerp("ETH", 1_000.0, 3_000.0)))) is None  # two coins
    assert coins.book_coin(Portfolio((), {"BTC": 1.0})) is None


def test_the_sample_coin_book_opens_on_the_build_page_unchanged(app):
    """The table once read inverse rows as spot holdings and rewrote the book on the first run."""
    book, _ = samples.load_sample("10_coin_margined_btc.json")
    app.selectbox(key="sidebar_sample").set_value("10_coin_margined_btc.json").run()
    assert not app.exception and not [e.value for e in app.error]
    assert app.session_state["workspace"].portfolio == book
    table = table_positions(app)
    assert table["type"].tolist() == ["inverse perp", "inverse future"]
    assert table["usd_size"].tolist() == [100_000.0, 50_000.0] and table["size"].isna().all()
    reading = next(c.value for c in app.caption if c.value.startswith("Coin-margined rows"))
    ws = app.session_state["workspace"]
    for number, position in enumerate(book.positions, start=1):
        assert f"row {number}, {coins.read_inverse(position, ws.market)}" in reading
    assert "long $100,000 BTC inverse perp = 1.1369 BTC at today's price ($87,960)" in reading
    pick = next(s for s in app.selectbox if s.label == "Position")
    assert pick.options == ["Row 1: Long BTC inverse perp", "Row 2: Short BTC inverse future 90d"]
    position_sliders = [s.label for s in app.slider if s.label != "Days from now (T+n)"]  # the payoff's own
    assert position_sliders == ["Size (USD face value)", "Leverage (×)"]


def test_the_usd_size_slider_of_an_inverse_perp_resizes_its_face(app):
    app.selectbox(key="sidebar_sample").set_value("10_coin_margined_btc.json").run()
    next(s for s in app.slider if s.label == "Size (USD face value)").set_value(150_000.0).run()
    assert not app.exception and not [e.value for e in app.error]
    perp = app.session_state["workspace"].portfolio.positions[0]
    assert isinstance(perp, InversePerp) and perp.usd_size == 150_000.0
    assert app.data_editor[0].value["usd_size"].iloc[0] == 150_000.0


def test_a_new_inverse_row_typed_in_usd_opens_at_todays_price(app):
    ws = app.session_state["workspace"]
    today = ws.market.prices["BTC"]
    typed_into_last_row(app, {"type": "inverse perp", "asset": "BTC", "side": "short", "usd_size": 20_000.0})
    app.run()
    assert not app.exception and not [e.value for e in app.error]
    added = app.session_state["workspace"].portfolio.positions[-1]
    assert added == InversePerp("BTC", -20_000.0, today)
    assert any(f"short $20,000 BTC inverse perp = {20_000 / today:.4f} BTC" in c.value for c in app.caption)


def test_an_inverse_row_sized_in_coins_is_named_and_nothing_is_applied(app):
    ws = app.session_state["workspace"]
    typed_into_last_row(app, {"type": "inverse perp", "asset": "BTC", "side": "long", "size": 1.0})
    app.run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        f"Row 3, size: an inverse perp is sized in US dollars of face value, not coins: enter it under "
        f"{editor.USD_SIZE_LABEL} and clear {editor.SIZE_LABEL}."]
    assert app.session_state["workspace"].portfolio == ws.portfolio


def test_a_coin_settled_option_keeps_its_settlement_through_the_table():
    """A coin call or put (Deribit's BTC options settle in BTC) comes back from the table as it went in."""
    from margin import Option, Portfolio
    from views import editor
    book = Portfolio([Option("BTC", "put", 80_000.0, 30.0, -2.0, 150.0, settlement="coin"),
                      Option("BTC", "call", 100_000.0, 30.0, 1.0)])
    frame = editor.positions_frame(book)
    assert list(frame["type"]) == ["coin put", "call"]
    positions, errors = editor.frame_positions(frame)
    assert errors == [] and tuple(positions) == book.positions


@pytest.mark.parametrize(("step", "shown"), [(1000.0, "100000"), (100.0, "2900"), (0.001, "0.125"), (0.05, "0.35")])
def test_a_strike_slider_shows_its_value_to_its_steps_decimals(step, shown):
    """Build's strike slider read "100000.00" (the user walk): its format follows the step."""
    from views.metrics import slider_format

    value = float(shown)
    assert slider_format(step) % value == shown


def test_a_half_typed_option_names_its_strike_first_and_a_decade_long_expiry_is_refused_not_clipped():
    """A user walk: a put with strike and expiry blank was told of either one first (the fields were a set),
    and an expiry of 80000 days was clipped to 3650 by the grid without a word."""
    put = {"type": "put", "asset": "BTC", "side": "short", "size": 1.0}
    assert editor.frame_positions(pd.DataFrame([put]))[1] == ["Row 1, strike: a put needs its strike in USD."]
    assert editor.frame_positions(pd.DataFrame([{**put, "strike": 80_000.0, "expiry": 80_000.0}]))[1] == [
        "Row 1, expiry: must be <= 3650, got 80000.0. Use days, 0 to 3650."]  # the engine's own check, named
    assert editor.frame_positions(pd.DataFrame([{**put, "strike": 80_000.0, "expiry": 3_650.0}]))[1] == []
