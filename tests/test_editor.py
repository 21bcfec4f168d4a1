"""The Build page's positions table (views.editor) and what the page does with it: a perp or future
row left without an entry opens at today's mark, the table shows the entry it took, blank cells
show blank (not "None"), and the market controls fold the stablecoins away."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from margin import Future, Perp, Portfolio, cross_margin, default_market
from margin.market import is_stablecoin
from views import editor, text

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
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def test_a_new_perp_row_without_entry_opens_at_todays_price_and_the_table_shows_it(app):
    ws = app.session_state["workspace"]
    today = ws.market.prices["SOL"]
    app.session_state[f"positions_{ws.editors.positions}"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"type": "perp", "asset": "SOL", "side": "long", "size": 10.0}]}
    app.run()
    assert not app.exception and not [e.value for e in app.error]
    after = app.session_state["workspace"]
    added = after.portfolio.positions[-1]
    assert isinstance(added, Perp) and added.asset == "SOL" and added.entry_price == today
    # the table restarted from the book: its new row shows the entry it took
    assert after.editors.positions == ws.editors.positions + 1
    table = app.data_editor[0].value
    assert table["entry"].iloc[-1] == today
    assert any(text.price(today) in i.value and "row 3" in i.value for i in app.info)
    assert any(c.value.startswith("Today's prices:") and f"SOL {text.price(today)}" in c.value for c in app.caption)


def test_blank_cells_of_the_tables_show_blank_not_none(app):
    positions = app.data_editor[0]
    assert positions.value["strike"].isna().all()  # the default book's perps have blank strikes
    assert positions.proto.HasField("placeholder") and positions.proto.placeholder == "", "blank cells read 'None'"


def test_stablecoins_are_folded_away_but_editable(app):
    coins = [n.label for n in app.main.number_input if n.label.endswith("price (USD)")]
    ws = app.session_state["workspace"]
    stables = [a for a in ws.portfolio.assets() if is_stablecoin(a)]
    assert stables and coins
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
