"""The ?book= share link: a token restores the same book, market and requirements; a bad one is refused."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from margin import cross_margin, default_market, load_portfolio, portfolio_margin
from margin.io import apply_market_overrides, decode_share_token, encode_share_token
from ui import text

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SAMPLES = ROOT / "sample_portfolios"
TIMEOUT = 30


def open_link(token: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["book"] = token
    at.run()
    assert not at.exception
    return at


def shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("sample", ["04_covered_call.json", "07_diversified_alts.json"])
def test_a_shared_link_restores_the_book_the_market_and_the_requirements(sample):
    book = load_portfolio(SAMPLES / sample)
    overrides = {"vols": {book.positions[0].asset: 1.2}, "prices": {"BTC": 95_000.0}}
    at = open_link(encode_share_token(book, overrides))
    assert not at.error
    market = apply_market_overrides(default_market(), overrides)
    workspace = at.session_state["workspace"]
    assert workspace.portfolio == book
    assert workspace.market == market
    at.switch_page("pages/compare.py").run()
    numbers = shown(at)
    cm, pm = cross_margin(book, market), portfolio_margin(book, market)
    assert numbers["Cross initial margin"] == text.money(cm.initial)
    assert numbers["Cross maintenance margin"] == text.money(cm.maintenance)
    assert numbers["Portfolio initial margin"] == text.money(pm.initial)
    assert numbers["Portfolio maintenance margin"] == text.money(pm.maintenance)


def test_the_link_follows_the_book_as_it_is_edited():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    next(s for s in at.slider if s.label.startswith("Size")).set_value(3.0).run()
    restored = decode_share_token(at.query_params["book"])
    assert restored.portfolio == at.session_state["workspace"].portfolio
    assert restored.portfolio.positions[0].qty == pytest.approx(3.0)


def test_a_link_from_one_session_opens_the_same_numbers_in_another():
    first = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    next(n for n in first.number_input if n.label == "ETH volatility (% a year)").set_value(90.0).run()
    first.switch_page("pages/compare.py").run()
    second = open_link(first.query_params["book"])
    second.switch_page("pages/compare.py").run()
    assert shown(second) == shown(first)
    assert second.session_state["workspace"].market.vols["ETH"] == pytest.approx(0.9)


@pytest.mark.parametrize("token", ["not-a-token!!", "eJzLSM3JyQcABiwCFQ", "A" * 50_000])
def test_a_bad_link_shows_the_reason_and_keeps_the_default_book(token):
    at = open_link(token)
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and "shared link could not be opened" in messages[0]
    assert at.session_state["workspace"].portfolio == load_portfolio(SAMPLES / "03_btc_eth_pair.json")
