"""The cache keys of ui/engine_cache.py: st.cache_data is shared by every session of a server, so two
markets (or books) that differ must never share a key, or one student's numbers show up for another."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from margin import Market, Option, Portfolio, portfolio_margin
from ui import smile_panel
from ui.engine_cache import market_key, portfolio_key
from views import samples

APP = str(Path(__file__).resolve().parents[1] / "app.py")

BASE = Market({"BTC": 88_000.0, "ETH": 2_900.0}, {"BTC": 0.55, "ETH": 0.7}, {("BTC", "ETH"): 0.85}, {"BTC": 0.05})
CHANGED = {
    "a price": BASE.with_prices({"BTC": 88_001.0}),
    "a vol": BASE.with_vols({"ETH": 0.71}),
    "the correlation": BASE.with_correlation({("BTC", "ETH"): 0.84}),
    "the basis": Market(dict(BASE.prices), dict(BASE.vols), {("BTC", "ETH"): 0.85}, {"BTC": 0.06}),
    "a smile": BASE.with_smile({"BTC": (-0.1, 0.0)}),
    "another smile": BASE.with_smile({"BTC": (-0.1, 0.01)}),
}


@pytest.mark.parametrize("what", sorted(CHANGED))
def test_markets_that_differ_never_share_a_key(what):
    changed = CHANGED[what]
    assert changed != BASE
    assert market_key(changed) != market_key(BASE)


def test_a_coin_settled_option_is_another_book():
    usd = Portfolio([Option("BTC", "call", 100_000.0, 30.0, -1.0)])
    coin = Portfolio([Option("BTC", "call", 100_000.0, 30.0, -1.0, settlement="coin")])
    assert portfolio_key(usd) != portfolio_key(coin)


def test_a_skew_set_on_build_moves_compare_and_no_other_session():
    """Build › Market › smile: the skew reaches Compare's numbers, and a second session on the flat
    market still sees the flat numbers (the cache is shared by sessions)."""
    book, market = samples.load_sample("05_short_strangle.json")
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.selectbox(key="sidebar_sample").set_value("05_short_strangle.json").run()
    app.session_state[smile_panel.OPEN_KEY] = True  # the smile panel draws its inputs only while open
    app.run()
    app.number_input(key=next(w.key for w in app.number_input if w.key.startswith("skew_") and
                              w.key.endswith("_BTC"))).set_value(-0.2).run()
    assert not app.exception
    ws = app.session_state["workspace"]
    assert ws.market.smile == {"BTC": (-0.2, 0.0)}
    app.switch_page("pages/compare.py").run()
    skewed = portfolio_margin(book, market.with_smile({"BTC": (-0.2, 0.0)}), "classroom").initial
    flat = portfolio_margin(book, market, "classroom").initial
    assert round(skewed) != round(flat)
    shown = " ".join(m.value for m in app.metric)
    assert f"${skewed:,.0f}" in shown
    other = AppTest.from_file(APP, default_timeout=60)
    other.run()
    other.selectbox(key="sidebar_sample").set_value("05_short_strangle.json").run()
    other.switch_page("pages/compare.py").run()
    assert f"${flat:,.0f}" in " ".join(m.value for m in other.metric)
