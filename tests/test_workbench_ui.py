"""The workbench in the app (ui/workbench.py on the Build and Compare pages): AppTest checks that the trade
ticket's cards show the difference of two full computations (cross_margin and portfolio_margin of the
book with and without the trade, built here), that a bad size is refused naming the field, that the
trade can be added, that the greeks table shows the engine's greeks and the payoff its chart; one
real-browser test walks the Build page's workbench in chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from margin import Option, Perp, Portfolio, cross_margin, portfolio_margin
from margin.greeks import book_greeks
from margin.pricing import black76_price
from tests.app_support import opened_app
from tests.browser_support import metric_values, page_url, streamlit_server, wait_for_idle
from ui import state as ui_state
from ui import workbench
from views import text
from views.samples import load_sample

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 60
KEY = "workbench_build"


def open_tab(at: AppTest, tab: str) -> AppTest:
    """Open one of the Build workbench's tabs (each drawn only while open)."""
    at.session_state[workbench.BUILD_TAB_KEY] = tab
    at.run()
    assert not at.exception
    return at


@pytest.fixture
def app() -> AppTest:
    """The Build page with the workbench's trade ticket open."""
    return open_tab(opened_app(TIMEOUT), workbench.TICKET_TAB)


def test_the_build_workbench_draws_only_its_open_tab():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not [m for m in at.metric if m.label == "Cross initial"], "the ticket was drawn behind its tab"
    assert not [d for d in at.dataframe if "Underlying" in d.value.columns], "the greeks were drawn behind their tab"
    assert any(c.value.startswith("At BTC ") for c in at.caption)  # the payoff's reading: the first tab
    open_tab(at, workbench.TICKET_TAB)
    assert [m for m in at.metric if m.label == "Cross initial"]
    assert not any(c.value.startswith("At BTC ") for c in at.caption)


def _by_key(elements, key):
    return next(e for e in elements if e.key == key)


def _cards(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def _expected(ws, trade: Option | object) -> dict[str, float]:
    """Each requirement's change, from two full computations: the book, and the book with the trade and
    its premium paid from the USDC collateral (written out here)."""
    book, market = ws.portfolio, ws.market
    collateral = dict(book.collateral)
    if isinstance(trade, Option):
        premium = trade.qty * float(black76_price(market.prices[trade.asset], trade.strike, market.vols[trade.asset],
                                                  trade.expiry_days / 365, trade.is_call))
        collateral["USDC"] = collateral.get("USDC", 0.0) - premium / market.prices["USDC"]
    after = Portfolio(tuple(book.positions) + (trade,), collateral)
    out = {}
    for mode, compute, params in (("Cross", cross_margin, ws.cross_preset),
                                  ("Portfolio", portfolio_margin, ws.portfolio_rules)):
        before, later = compute(book, market, params), compute(after, market, params)
        for field in ("initial", "maintenance"):
            out[f"{mode} {field}"] = (getattr(later, field), getattr(later, field) - getattr(before, field))
    return out


def test_the_build_ticket_shows_two_full_computations_apart(app):
    ws = app.session_state["workspace"]
    kind, asset = _by_key(app.selectbox, f"{KEY}_kind").value, _by_key(app.selectbox, f"{KEY}_asset").value
    assert (kind, asset) == ("put", "BTC")
    strike = _by_key(app.number_input, f"{KEY}_strike_BTC_put").value
    trade = Option("BTC", "put", strike, 30.0, 1.0)
    cards = _cards(app)
    for label, (value, change) in _expected(ws, trade).items():
        shown_value, shown_delta = cards[label]
        assert shown_value == text.money(value), label
        assert shown_delta == (f"{text.signed_money(change)} with the trade" if round(change) else
                               "no change with the trade"), label
    # The sample's hedge (a BTC put on a long BTC / short ETH book) lowers portfolio maintenance.
    assert any("lowers portfolio maintenance margin" in c.value for c in app.caption)
    assert any(s.value.startswith("This trade reduces risk") for s in app.success)


def test_a_perp_sale_updates_the_cards_and_a_zero_size_is_refused(app):
    _by_key(app.selectbox, f"{KEY}_kind").select("perp").run()
    _by_key(app.selectbox, f"{KEY}_side").select("sell").run()
    _by_key(app.number_input, f"{KEY}_size_BTC").set_value(0.5).run()
    assert not app.exception
    ws = app.session_state["workspace"]
    trade = Perp("BTC", -0.5, ws.market.prices["BTC"])
    cards = _cards(app)
    for label, (_, change) in _expected(ws, trade).items():
        assert cards[label][1] == (f"{text.signed_money(change)} with the trade" if round(change) else
                                   "no change with the trade"), label
    _by_key(app.number_input, f"{KEY}_size_BTC").set_value(0.0).run()
    assert any(e.value.startswith("trade.size") for e in app.error)


def test_adding_the_trade_puts_it_in_the_book(app):
    before = app.session_state["workspace"].portfolio
    _by_key(app.button, f"{KEY}_add").click().run()
    assert not app.exception
    after = app.session_state["workspace"].portfolio
    assert len(after.positions) == len(before.positions) + 1
    added = after.positions[-1]
    assert isinstance(added, Option) and added.kind == "put" and added.qty == 1.0
    assert after.collateral["USDC"] < before.collateral["USDC"]  # the premium was paid
    # Said where the viewer is (the user walk: nothing said so, and the trade could be added twice unseen).
    from margin.instruments import describe

    assert [t.value for t in app.toast] == [f"Added to the book: {describe(added)}. The cards now show what the "
                                            "same trade would add again."]
    app.run()
    assert not app.toast  # once


def test_the_greeks_table_and_payoff_chart_are_drawn(app):
    ws = app.session_state["workspace"]
    greeks = book_greeks(ws.portfolio, ws.market)
    open_tab(app, workbench.GREEKS_TAB)
    table = next(d.value for d in app.dataframe if "Underlying" in d.value.columns)
    assert list(table["Underlying"]) == ["BTC", "ETH", "Book"]
    assert table["Delta (USD)"].iloc[-1] == pytest.approx(greeks.book["delta_usd"])
    assert any(c.value.startswith("If every coin it holds rose 1 %") for c in app.caption)
    open_tab(app, workbench.PAYOFF_TAB)
    assert not any(s.key == "workbench_build_payoff_days" for s in app.slider)  # a linear book: no T+n slider
    assert any(c.value.startswith("At BTC ") for c in app.caption)


def test_the_payoff_slider_appears_for_a_book_with_options():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    book, _ = load_sample("05_short_strangle.json")
    at.session_state["workspace"] = ui_state.fresh("05_short_strangle.json")
    at.run()
    assert not at.exception
    slider = _by_key(at.slider, "workbench_build_payoff_days")
    assert slider.max == 14
    slider.set_value(7).run()
    assert any(c.value.startswith("At BTC ") and "in 7 days" in c.value for c in at.caption)
    assert book == at.session_state["workspace"].portfolio


def test_the_compare_page_has_a_compact_ticket_and_the_greeks():
    at = AppTest.from_file(str(ROOT / "pages" / "compare.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    at.session_state["workbench_compare_ticket"] = True
    at.session_state["workbench_compare_greeks"] = True
    at.run()
    assert not at.exception
    labels = {m.label for m in at.metric}
    assert {"Cross initial", "Portfolio maintenance"} <= labels
    assert any("Underlying" in d.value.columns for d in at.dataframe)


@pytest.mark.browser
def test_the_build_workbench_in_a_real_browser(chromium):
    with streamlit_server("app.py") as url:
        context = chromium.new_context(viewport={"width": 1440, "height": 900})
        tab = context.new_page()
        tab.goto(page_url(url, "build"))
        wait_for_idle(tab)
        # The payoff is the first tab; the ticket and the greeks are drawn when their tab opens.
        assert tab.locator(".js-plotly-plot .gtitle").filter(has_text="Payoff as BTC moves").count() == 1
        tab.get_by_role("tab", name=workbench.TICKET_TAB).click()
        wait_for_idle(tab)
        assert tab.locator('[data-testid="stException"]').count() == 0
        shown = metric_values(tab)
        assert shown["Portfolio maintenance"].startswith("$") and "with the trade" in shown["Portfolio maintenance"]
        tab.get_by_role("tab", name=workbench.GREEKS_TAB).click()
        wait_for_idle(tab)
        assert tab.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').count() >= 2  # positions, greeks
        tab.get_by_role("tab", name=workbench.GREEKS_TAB).scroll_into_view_if_needed()
        (ROOT / "artifacts" / "screenshots").mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ROOT / "artifacts" / "screenshots" / "workbench-build.png"), full_page=False)
        context.close()


# -- the readings (views/workbench.py): every comparative word follows the numbers -------------------
def test_the_ticket_reading_says_but_when_the_modes_move_opposite_ways():
    book, market = load_sample("10_coin_margined_btc.json")
    from margin.whatif import incremental_margin, make_trade
    from views import workbench as words

    result = incremental_margin(book, make_trade("put", "BTC", "buy", 1.0, market, strike=79_000.0, expiry_days=30),
                                market, with_liquidation=False)
    portfolio, cross = result.change("portfolio", "maintenance"), result.change("cross", "maintenance")
    assert portfolio < 0 < cross  # the put hedges the long; the premium is borrowed in USDC
    sentence = words.read_requirement_change(result, "maintenance")
    assert sentence == (f"Adding this put lowers portfolio maintenance margin by {text.money(-portfolio)} but raises "
                        f"cross maintenance margin by {text.money(cross)}.")
    assert "borrowed" in words.read_cost(result)


def test_break_evens_and_the_payoff_reading_of_a_long_straddle():
    from margin.payoff import payoff_frame
    from tests.books import MARKET
    from views import workbench as words

    book = Portfolio([Option("BTC", "call", 88_000.0, 30, 1.0, entry_price=5_000.0),
                      Option("BTC", "put", 88_000.0, 30, 1.0, entry_price=4_500.0)])
    frame = payoff_frame(book, MARKET, "BTC", [70_000.0, 80_000.0, 88_000.0, 95_000.0, 110_000.0], 0)
    # At expiry the straddle breaks even at the strike -/+ the premiums paid, 9,500 each way (the expiry
    # payoff is linear between the grid's points on either side, so interpolation is exact).
    assert words.break_evens(frame["price"], frame["pnl_expiry"]) == pytest.approx([78_500.0, 97_500.0])
    reading = words.read_payoff(frame, "BTC", 88_000.0, 0)
    assert reading.startswith("At BTC $88,000, the book's P&L today is ")
    assert "at expiry −$9,500" in reading


def test_a_trade_and_a_payoff_day_set_in_a_tab_survive_a_look_at_another_tab():
    """The user walk: a ticket's trade (perp, sell, 3 BTC) and the payoff's T+n day were lost on opening the
    greeks and coming back (Streamlit forgets an undrawn widget's value); both are kept now."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["workspace"] = ui_state.fresh("05_short_strangle.json")
    at.run()
    _by_key(at.slider, "workbench_build_payoff_days").set_value(7).run()
    open_tab(at, workbench.TICKET_TAB)
    _by_key(at.selectbox, f"{KEY}_kind").select("perp").run()
    _by_key(at.selectbox, f"{KEY}_side").select("sell").run()
    _by_key(at.number_input, f"{KEY}_size_BTC").set_value(3.0).run()
    open_tab(at, workbench.GREEKS_TAB)
    open_tab(at, workbench.TICKET_TAB)
    assert _by_key(at.selectbox, f"{KEY}_kind").value == "perp"
    assert _by_key(at.selectbox, f"{KEY}_side").value == "sell"
    assert _by_key(at.number_input, f"{KEY}_size_BTC").value == 3.0
    assert _cards(at)["Cross initial"][1] != "no change with the trade"
    open_tab(at, workbench.PAYOFF_TAB)
    assert _by_key(at.slider, "workbench_build_payoff_days").value == 7
    assert any("in 7 days" in c.value for c in at.caption)
