"""Venue exports -> positions (margin.venue_import), checked on the example payloads the venues publish
(tests/fixtures/venues/README.md cites each) against numbers the venue itself prints in the same payload:
Deribit's size_currency (coins of the USD-sized perp), OKX's isolated margin (coins = face / (entry x
lever), which confirms the 10 USD face of ETH-USD), OKX's liability against the margin position it funds,
Binance's notional (positionAmt x markPrice). Bad and partial files are refused whole with the row and
field named. The Build page's import panel is driven through AppTest."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from margin import CROSS_PRESETS, PORTFOLIO_PRESETS, PortfolioError, Spot, default_market
from margin.defaults import SNAPSHOT_DATE
from margin.instruments import InverseFuture, InversePerp, Perp
from margin.venue_import import VENUE_PRESETS, detect_venue, import_positions, read_json
from tests.app_support import table_positions

ROOT = Path(__file__).resolve().parents[1]
VENUES = ROOT / "tests" / "fixtures" / "venues"
APP = str(ROOT / "app.py")


def payload(name: str) -> bytes:
    return (VENUES / name).read_bytes()


def rows(name: str) -> object:
    return json.loads(payload(name))


def test_every_venue_preset_exists():
    for venue, (cross, portfolio) in VENUE_PRESETS.items():
        assert cross is None or cross in CROSS_PRESETS, venue
        assert portfolio is None or portfolio in PORTFOLIO_PRESETS, venue
        assert cross or portfolio


def test_deribits_documented_perpetual_is_fifty_dollars_of_inverse_face():
    document = rows("deribit_get_positions.json")
    row = document["result"][0]
    result = import_positions(payload("deribit_get_positions.json"), default_market(), SNAPSHOT_DATE)
    assert result.venue == "deribit" and (result.cross_preset, result.portfolio_preset) == ("deribit", "deribit")
    (position,) = result.positions
    assert position == InversePerp("BTC", 50.0, 7440.18)
    # Deribit prints the same position in coins: size_currency = USD face / mark price
    assert position.usd_size / row["mark_price"] == pytest.approx(row["size_currency"], rel=1e-6)
    assert result.labels == ("BTC-PERPETUAL",) and result.notes == ()


def test_okxs_documented_inverse_future_on_the_day_it_was_opened():
    (row,) = rows("okx_positions_futures_2021.json")
    opened = datetime.datetime.fromtimestamp(int(row["cTime"]) / 1000, datetime.UTC).date()
    assert opened == datetime.date(2021, 4, 27)
    result = import_positions(payload("okx_positions_futures_2021.json"), default_market(), opened)
    (position,) = result.positions
    assert isinstance(position, InverseFuture) and position.asset == "ETH"
    assert position.entry_price == 2566.31 and position.leverage == 10.0
    # OKX's isolated margin, in ETH, is the face value over entry x leverage: it fixes the face at 10 USD
    assert position.usd_size / (position.entry_price * position.leverage) == pytest.approx(float(row["margin"]),
                                                                                         rel=1e-9)
    expiry = datetime.datetime(2021, 4, 30, 8, tzinfo=datetime.UTC) - datetime.datetime(2021, 4, 27, tzinfo=datetime.UTC)
    assert position.expiry_days == pytest.approx(expiry / datetime.timedelta(days=1))
    assert (result.cross_preset, result.portfolio_preset) == (None, "okx")


def test_the_same_okx_file_at_the_snapshots_date_is_refused_as_expired():
    with pytest.raises(PortfolioError, match=r"^Row 1, instId: ETH-USD-210430 expired on 30 Apr 2021"):
        import_positions(payload("okx_positions_futures_2021.json"), default_market(), SNAPSHOT_DATE)


def test_okxs_documented_margin_position_is_the_coin_held_and_the_usdt_owed():
    row = rows("okx_positions_margin.json")["data"][0]
    result = import_positions(payload("okx_positions_margin.json"), default_market(), SNAPSHOT_DATE)
    assert result.positions == (Spot("BTC", float(row["pos"])), Spot("USDT", float(row["liab"])))
    # the venue's own numbers agree with that reading: the BTC bought beyond the margin cost the USDT owed
    funded = (float(row["pos"]) - float(row["margin"])) * float(row["avgPx"])
    assert funded == pytest.approx(-float(row["liab"]), rel=2e-3)


def test_binances_documented_hedge_mode_rows_at_their_notional():
    document = rows("binance_position_risk_v3_hedge.json")
    market = default_market()
    comp = float(document[1]["markPrice"])
    with_comp = type(market)({**market.prices, "COMP": comp}, {**market.vols, "COMP": 1.0})
    result = import_positions(payload("binance_position_risk_v3_hedge.json"), with_comp, SNAPSHOT_DATE)
    assert result.positions == (Perp("ADA", 30.0, 0.385), Perp("COMP", -1.0, 70.92841))
    for position, row in zip(result.positions, document, strict=True):
        assert position.qty * float(row["markPrice"]) == pytest.approx(float(row["notional"]), rel=1e-9)
    assert (result.cross_preset, result.portfolio_preset) == ("binance", None)


def test_a_row_whose_asset_has_no_price_refuses_the_whole_file():
    with pytest.raises(PortfolioError, match=r"^Row 2, symbol: COMP has no price in the market"):
        import_positions(payload("binance_position_risk_v3_hedge.json"), default_market(), SNAPSHOT_DATE)


def test_the_venue_is_detected_from_the_shape():
    assert detect_venue(rows("deribit_get_positions.json")) == "deribit"
    assert detect_venue(rows("okx_positions_margin.json")) == "okx"
    assert detect_venue(rows("okx_positions_futures_2021.json")) == "okx"
    assert detect_venue(rows("binance_position_risk_v3_hedge.json")) == "binance"
    with pytest.raises(PortfolioError, match="not Deribit's"):
        import_positions(payload("okx_positions_margin.json"), default_market(), SNAPSHOT_DATE, venue="deribit")


def deribit_row(**changes) -> dict:
    row = dict(rows("deribit_get_positions.json")["result"][0])
    row.update(changes)
    return row


def binance_row(**changes) -> dict:
    row = {"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "0.5", "entryPrice": "90000", "leverage": "10"}
    row.update(changes)
    return row


@pytest.mark.parametrize("document, expected", [
    ({"result": [deribit_row(), deribit_row(size="x")]}, "Row 2, size: must be a number"),
    ({"result": [deribit_row(direction="sell")]}, "Row 1, size: 50 disagrees with direction 'sell'"),
    ({"result": [deribit_row(instrument_name="BTC-USDT-SWAP")]}, "Row 1, instrument_name: BTC-USDT-SWAP is a OKX name"),
    ({"result": [deribit_row(instrument_name="BTC-FOO")]}, "Row 1, instrument_name: 'BTC-FOO' is no Deribit"),
    ({"result": [deribit_row(average_price=None)]}, "Row 1, average_price: missing"),
    ([binance_row(), binance_row(symbol="ETHUSDT", positionSide="LONG", positionAmt="-2")],
     "Row 2, positionAmt: -2 disagrees with positionSide LONG"),
    ([binance_row(leverage="500")], "Row 1, leverage: 500x is outside"),
    ([binance_row(entryPrice="0")], "Row 1, entryPrice: must be a price above 0"),
    ({"code": "0", "data": [{"instType": "SWAP", "instId": "DOGE-USDT-SWAP", "pos": "3", "avgPx": "0.1"}]},
     "Row 1, instId: OKX's contract value for DOGE-USDT-SWAP is not stored here"),
    ({"code": "0", "data": [{"instType": "FUTURES", "instId": "BTC-USD-SWAP", "pos": "3", "avgPx": "1"}]},
     "Row 1, instType: FUTURES does not match"),
    ({"code": "51000", "msg": "Parameter error", "data": []}, "OKX error response (code 51000"),
    ([binance_row(positionAmt="0"), binance_row(positionAmt="0.000")], "every row of the file has size 0"),
    ([], "lists no position"),
    ({"hello": 1}, "no positions export this tool reads"),
])
def test_bad_or_partial_files_are_refused_whole_naming_row_and_field(document, expected):
    with pytest.raises(PortfolioError) as caught:
        import_positions(json.dumps(document), default_market(), SNAPSHOT_DATE)
    assert expected in str(caught.value)


@pytest.mark.parametrize("text, expected", [
    ('[{"symbol": "BTCUSDT", "symbol": "ETHUSDT"}]', "twice"),
    ('[{"symbol": "BTCUSDT", "positionAmt": NaN}]', "NaN"),
    ('[{"symbol": "BTCUSDT", // comment\n "positionAmt": "1"}]', "not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_malformed_json_is_refused(text, expected):
    with pytest.raises(PortfolioError, match=expected):
        read_json(text)


def test_okx_long_short_mode_and_net_mode_read_the_same_sides():
    def okx(side, pos):
        return json.dumps({"code": "0", "data": [{"instType": "SWAP", "instId": "BTC-USDT-SWAP", "posSide": side,
                                                   "pos": pos, "avgPx": "90000", "lever": "5"}]})
    short_net = import_positions(okx("net", "-3"), default_market(), SNAPSHOT_DATE).positions
    short_side = import_positions(okx("short", "3"), default_market(), SNAPSHOT_DATE).positions
    assert short_net == short_side == (Perp("BTC", -0.03, 90000.0, leverage=5.0),)  # 3 contracts x 0.01 BTC


def test_zero_rows_are_skipped_and_said():
    document = [binance_row(), binance_row(symbol="ETHUSDT", positionAmt="0")]
    result = import_positions(json.dumps(document), default_market(), SNAPSHOT_DATE)
    assert len(result.positions) == 1 and result.skipped == 1
    assert any("1 row of size 0 skipped (ETHUSDT)" in note for note in result.notes)


def test_coin_m_contracts_are_a_hundred_dollars_of_btc_face():
    document = [binance_row(symbol="BTCUSD_PERP", positionAmt="-4", leverage=None)]
    (position,) = import_positions(json.dumps(document), default_market(), SNAPSHOT_DATE).positions
    assert position == InversePerp("BTC", -400.0, 90000.0)


# -- the Build page --------------------------------------------------------------------------------

def uploader(at: AppTest):
    from ui import import_panel

    return at.file_uploader(key=import_panel.UPLOAD_KEY)


def build_with_open(key: str) -> AppTest:
    """The Build page after its first run, with the expander whose open state is ``key`` opened (each is drawn
    only while open)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[key] = True
    return at.run()


def test_both_expanders_draw_their_forms_only_while_open():
    from ui import import_panel

    closed = AppTest.from_file(APP, default_timeout=60).run()
    labels = [e.label for e in closed.expander]
    assert import_panel.EXPANDER_LABEL in labels and any(label.startswith("Add a position by") for label in labels)
    assert not closed.text_input and not closed.get("file_uploader")[1:], "a closed expander drew its form"
    assert [t.key for t in build_with_open(import_panel.NAME_OPEN_KEY).text_input] == [import_panel.NAME_KEY]
    assert uploader(build_with_open(import_panel.IMPORT_OPEN_KEY)).key == import_panel.UPLOAD_KEY


def test_build_imports_deribits_example_and_selects_deribits_rule_sets():
    from ui import import_panel

    at = build_with_open(import_panel.IMPORT_OPEN_KEY)
    collateral = at.session_state["workspace"].portfolio.collateral
    uploader(at).set_value(("deribit.json", payload("deribit_get_positions.json"), "application/json")).run()
    assert not at.exception and not [e.value for e in at.error]
    apply = next(b for b in at.button if b.label.startswith("Replace the book's positions"))
    apply.click().run()
    assert not at.exception
    ws = at.session_state["workspace"]
    assert ws.portfolio.positions == (InversePerp("BTC", 50.0, 7440.18),)
    assert ws.portfolio.collateral == collateral
    assert (ws.cross_preset, ws.portfolio_preset) == ("deribit", "deribit")
    assert any("Imported 1 position from deribit.json (Deribit)" in s.value for s in at.success)
    assert table_positions(at)["type"].tolist() == ["inverse perp"]


def test_build_refuses_a_bad_export_and_keeps_the_book():
    from ui import import_panel

    at = build_with_open(import_panel.IMPORT_OPEN_KEY)
    before = at.session_state["workspace"]
    uploader(at).set_value(("binance.json", payload("binance_position_risk_v3_hedge.json"), "application/json")).run()
    assert not at.exception
    (message,) = [e.value for e in at.error]
    assert "Row 2, symbol: COMP has no price" in message and "your book is unchanged" in message
    assert not [b for b in at.button if b.label.startswith("Replace the book's positions")]
    assert at.session_state["workspace"].portfolio == before.portfolio


def test_build_adds_a_position_by_name():
    from ui import import_panel

    at = build_with_open(import_panel.NAME_OPEN_KEY)
    at.text_input(key=import_panel.NAME_KEY).set_value("ETH-PERPETUAL")
    at.selectbox(key=import_panel.SIDE_KEY).set_value("short")
    at.number_input(key=import_panel.SIZE_KEY).set_value(5000.0)
    next(b for b in at.button if b.label == "Add to the book").click().run()
    assert not at.exception and not [e.value for e in at.error]
    ws = at.session_state["workspace"]
    assert ws.portfolio.positions[-1] == InversePerp("ETH", -5000.0, ws.market.prices["ETH"])
    assert table_positions(at)["type"].tolist()[-1] == "inverse perp"
    assert any("Read as Deribit ETH coin-margined (inverse) perpetual" in s.value for s in at.success)
    at.text_input(key=import_panel.NAME_KEY).set_value("BTC-27JUN25-100000-C")
    at.number_input(key=import_panel.SIZE_KEY).set_value(1.0)
    next(b for b in at.button if b.label == "Add to the book").click().run()
    (message,) = [e.value for e in at.error]
    assert "expired on 27 Jun 2025, before the market's date 24 Dec 2025" in message
    assert at.session_state["workspace"].portfolio == ws.portfolio
