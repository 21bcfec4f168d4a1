"""Live market data (margin.live, ui.live_panel) on recorded responses: the examples of Deribit's API docs
(tests/fixtures/live/README.md) for public/get_index_price (11628.81) and the book summaries (mark_iv 80
-> 0.80). Nothing reaches the network at import or when the Build page loads: sockets are made to fail
and every connection attempt is recorded; the refresh button, served recorded responses, changes the
market and says where from; offline, it says so and keeps the market."""

from __future__ import annotations

import datetime
import io
import json
import socket
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from margin import PortfolioError, default_market
from margin.live import LiveDataError, LiveSnapshot, fetch_snapshot, parse_atm_vol, parse_index_price

ROOT = Path(__file__).resolve().parents[1]
LIVE = ROOT / "tests" / "fixtures" / "live"
APP = str(ROOT / "app.py")


def recorded(name: str) -> dict:
    return json.loads((LIVE / name).read_text())


def test_the_documented_index_price_is_read():
    assert parse_index_price(recorded("deribit_get_index_price.json")) == 11628.81


def test_the_documented_option_summary_gives_its_mark_iv_as_a_fraction():
    assert parse_atm_vol(recorded("deribit_get_book_summary_by_instrument_option.json"), "ETH") == pytest.approx(0.80)


def test_a_summary_without_options_of_the_currency_is_refused():
    with pytest.raises(LiveDataError, match="no BTC option"):  # the documented by-currency example: futures only
        parse_atm_vol(recorded("deribit_get_book_summary_by_currency.json"), "BTC")
    with pytest.raises(LiveDataError, match="no BTC option"):
        parse_atm_vol(recorded("deribit_get_book_summary_by_instrument_option.json"), "BTC")


@pytest.mark.parametrize("payload, expected", [
    ({"jsonrpc": "2.0", "error": {"code": 10001, "message": "error"}}, "answered with an error"),
    ({"jsonrpc": "2.0"}, "no 'result'"),
    ({"jsonrpc": "2.0", "result": {"index_price": -1}}, "above 0"),
    ({"jsonrpc": "2.0", "result": {"index_price": "1"}}, "above 0"),
    ([1, 2], "not a JSON-RPC object"),
])
def test_bad_index_responses_are_named(payload, expected):
    with pytest.raises(LiveDataError, match=expected):
        parse_index_price(payload)
    assert issubclass(LiveDataError, PortfolioError)


def option_row(name: str, iv: float, underlying: float, day: datetime.date) -> dict:
    stamp = datetime.datetime(day.year, day.month, day.day, 12, tzinfo=datetime.UTC).timestamp() * 1000
    return {"instrument_name": name, "mark_iv": iv, "underlying_price": underlying, "creation_timestamp": stamp}


def test_the_atm_vol_is_the_strike_nearest_the_underlying_in_the_expiry_nearest_a_month():
    day = datetime.date(2026, 1, 2)  # 30 Jan is 28.3 days away, 27 Feb 56.3, 9 Jan 7.3
    rows = [option_row("BTC-30JAN26-90000-C", 50.0, 91_000.0, day),
            option_row("BTC-30JAN26-95000-C", 48.0, 91_000.0, day),
            option_row("BTC-30JAN26-85000-P", 56.0, 91_000.0, day),
            option_row("BTC-9JAN26-91000-C", 70.0, 91_000.0, day),
            option_row("BTC-27FEB26-91000-C", 45.0, 91_000.0, day),
            option_row("ETH-30JAN26-3000-C", 99.0, 3_000.0, day),
            option_row("BTC-PERPETUAL", 80.0, 91_000.0, day)]
    assert parse_atm_vol({"result": rows}, "BTC") == pytest.approx(0.50)
    assert parse_atm_vol({"result": rows}, "ETH") == pytest.approx(0.99)


class Recorded:
    """An opener that serves the recorded responses and records every URL asked for."""

    def __init__(self, fail: Exception | None = None):
        self.urls: list[str] = []
        self.fail = fail

    def __call__(self, request, timeout):
        self.urls.append(request.full_url)
        assert timeout <= 10
        if self.fail:
            raise self.fail
        if "get_index_price" in request.full_url:
            body = recorded("deribit_get_index_price.json")
        else:
            body = recorded("deribit_get_book_summary_by_instrument_option.json")
            if "currency=BTC" in request.full_url:
                body = json.loads(json.dumps(body).replace("ETH-22FEB19-140-P", "BTC-22FEB19-140-P"))
        return io.BytesIO(json.dumps(body).encode())


def test_fetch_reads_the_quoted_assets_and_says_which_it_could_not():
    opener = Recorded()
    taken = datetime.datetime(2026, 1, 2, 9, 30, tzinfo=datetime.UTC)
    snapshot = fetch_snapshot(["BTC", "ETH", "ZEC"], opener=opener, now=lambda: taken)
    assert snapshot.prices == {"BTC": 11628.81, "ETH": 11628.81}
    assert snapshot.vols == {"BTC": pytest.approx(0.8), "ETH": pytest.approx(0.8)}
    assert snapshot.missing == ("ZEC",) and snapshot.date == datetime.date(2026, 1, 2)
    assert any("index_name=btc_usd" in url for url in opener.urls)
    assert any("get_book_summary_by_currency?currency=ETH&kind=option" in url for url in opener.urls)
    assert all(url.startswith("https://www.deribit.com/api/v2/public/") for url in opener.urls)
    market = snapshot.apply(default_market())
    assert market.prices["BTC"] == 11628.81 and market.vols["ETH"] == pytest.approx(0.8)
    assert market.prices["ZEC"] == default_market().prices["ZEC"]


@pytest.mark.parametrize("failure, expected", [
    (urllib.error.URLError("Name or service not known"), "offline, or the site is unreachable"),
    (TimeoutError("timed out"), "no answer from Deribit"),
    (urllib.error.HTTPError("u", 503, "down", {}, None), "HTTP 503"),
])
def test_a_failing_request_raises_a_named_error(failure, expected):
    with pytest.raises(LiveDataError, match=expected):
        fetch_snapshot(["BTC"], opener=Recorded(failure))


def test_assets_without_a_deribit_index_are_refused_without_a_request():
    opener = Recorded()
    with pytest.raises(LiveDataError, match="no index for ZEC"):
        fetch_snapshot(["ZEC"], opener=opener)
    assert opener.urls == []


@pytest.fixture
def no_network(monkeypatch):
    """Every socket connection attempt is recorded and refused."""
    attempts: list = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(None, address))
    return attempts


PROBE = """
import socket, sys
attempts = []
def refuse(self, address, *args, **kwargs):
    attempts.append(address)
    raise OSError("network disabled")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = lambda address, *a, **k: refuse(None, address)
import margin.live, margin.names, margin.venue_import, ui.live_panel, ui.import_panel  # noqa: E401
print(len(attempts))
"""


def test_importing_the_live_modules_opens_no_connection():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0"


def test_nothing_reaches_the_network_when_the_build_page_loads(no_network):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any(c.value.startswith("Market of 24 Dec 2025: the seed snapshot") for c in at.caption)
    assert no_network == []


def test_offline_refresh_says_so_and_keeps_the_market(no_network):
    at = AppTest.from_file(APP, default_timeout=60).run()
    before = at.session_state["workspace"].market
    next(b for b in at.button if b.label.startswith("Refresh from exchange")).click().run()
    assert not at.exception
    (message,) = [e.value for e in at.error]
    assert message.startswith("Could not refresh from the exchange") and "The market is unchanged" in message
    assert "Market of 24 Dec 2025" in message
    assert at.session_state["workspace"].market == before
    assert no_network  # the button, and only the button, tried to connect


def test_a_refresh_with_recorded_responses_changes_the_market_and_its_label(monkeypatch):
    import urllib.request

    opener = Recorded()
    monkeypatch.setattr(urllib.request, "urlopen", opener)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert opener.urls == []
    next(b for b in at.button if b.label.startswith("Refresh from exchange")).click().run()
    assert not at.exception and not [e.value for e in at.error]
    market = at.session_state["workspace"].market
    assert market.prices["BTC"] == 11628.81 and market.vols["BTC"] == pytest.approx(0.8)
    assert any(s.value.startswith("Refreshed from Deribit: BTC $11,629") for s in at.success)
    label = next(c.value for c in at.caption if c.value.startswith("Market of"))
    assert "UTC: Deribit public API" in label and "BTC 80%" in label
    assert isinstance(at.session_state["live_snapshot"], LiveSnapshot)
