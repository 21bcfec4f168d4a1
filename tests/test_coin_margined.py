"""The coin-margined sample (sample 10: long $100,000 BTC inverse perpetual, short $50,000 BTC 90-day
inverse future, 1 BTC deposited) on every page and in the share link, its requirements in BTC on
Compare, and the lesson on coin-margined contracts: its answers are the engine's, its convexity
numbers are margin.units.coin_pnl_per_face, and a BTC deposit doubles the perpetual's dollar exposure.
A real browser walks Build -> Compare -> Liquidation with the sample loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lessons import catalogue, framework
from lessons.coin_margined import MOVE
from margin import (
    Portfolio,
    cross_margin,
    hedging_benefit,
    liquidation_price,
    load_portfolio,
    portfolio_margin,
)
from margin.instruments import InverseFuture, InversePerp
from margin.io import decode_share_token, encode_share_token
from margin.presets import DEFAULT_CROSS
from margin.units import coin_pnl_per_face
from tests.browser_support import CHROMIUM_ARGS, go_to, require_chromium, streamlit_server, wait_for_idle
from views import coins, text
from views.rules import every_rule_set
from views.samples import load_sample

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SAMPLE = "10_coin_margined_btc.json"
TIMEOUT = 60
PAGES = ("pages/build.py", "pages/compare.py", "pages/liquidation.py", "pages/shocks.py", "pages/learn.py")
COMBOS = every_rule_set()
LESSON = catalogue.BY_ID["coin-margined"]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def with_sample() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.selectbox(key="sidebar_sample").set_value(SAMPLE).run()
    assert not at.exception and not errors(at)
    return at


# -- the sample --------------------------------------------------------------------------------------
def test_the_sample_is_a_deribit_style_coin_book():
    book, market = load_sample(SAMPLE)
    perp, future = book.positions
    assert isinstance(perp, InversePerp) and perp.usd_size == 100_000.0 and perp.asset == "BTC"
    assert isinstance(future, InverseFuture) and future.usd_size == -50_000.0 and future.expiry_days == 90.0
    assert dict(book.collateral) == {"BTC": 1.0}
    assert coins.book_coin(book) == "BTC"
    # entries are today's marks: the book opens with no unrealised profit or loss
    assert perp.entry_price == pytest.approx(market.prices["BTC"], abs=0.01)
    assert future.entry_price == pytest.approx(coins.today_mark(future, market), abs=0.01)
    assert cross_margin(book, market, "hyperliquid").equity == pytest.approx(market.prices["BTC"], abs=1.0)


def test_every_page_shows_the_sample_without_error_and_keeps_the_book():
    at = with_sample()
    book = load_portfolio(ROOT / "sample_portfolios" / SAMPLE)
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert not errors(at), (page, errors(at))
        assert at.session_state["workspace"].portfolio == book, page


def test_compare_gives_the_requirements_in_btc_from_the_engines_numbers():
    at = with_sample()
    at.switch_page("pages/compare.py").run()
    ws = at.session_state["workspace"]
    price = ws.market.prices["BTC"]
    cm = cross_margin(ws.portfolio, ws.market, ws.cross_preset)
    pm = portfolio_margin(ws.portfolio, ws.market, ws.portfolio_rules)
    caption = next(c.value for c in at.caption if c.value.startswith("In BTC"))
    assert caption == coins.read_in_coin("BTC", ws.market, cm, pm)
    for mode, result in (("cross", cm), ("portfolio", pm)):
        shown = ", ".join(f"{name} {coins.coins(getattr(result, name) / price, 'BTC')}"
                          for name in ("initial", "maintenance", "equity"))
        assert f"{mode} {shown}" in caption
    assert f"portfolio initial {pm.initial / price:.4f} BTC, maintenance {pm.maintenance / price:.4f} BTC" in caption
    # the leverage note counts the inverse contracts as perps and futures
    note = next(i.value for i in at.info if i.value.startswith("Cross initial margin"))
    assert "no perps or futures" not in note and f"All of the {text.money(cm.initial)}" in note


def test_compare_shows_no_btc_caption_for_a_linear_book():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/compare.py").run()
    assert not [c.value for c in at.caption if c.value.startswith("In BTC")]


def test_the_hedging_benefit_stands_the_perp_and_the_future_alone_apart():
    """Each inverse contract is an instrument of its own (they used to stand alone together as a 'holding')."""
    at = with_sample()
    at.switch_page("pages/compare.py").run()
    ws = at.session_state["workspace"]
    benefit = hedging_benefit(ws.portfolio, ws.market, "portfolio", ws.portfolio_rules)
    assert benefit.standalone["kind"].tolist() == ["inverse perp", "inverse future", "holding"]
    assert [rows for rows in benefit.standalone["rows"]] == [(0,), (1,), ()]
    assert benefit.maintenance > 0  # the short future offsets part of the long perp and the deposit
    shown = {m.label: m.value for m in at.metric}
    assert shown["Hedging benefit under portfolio margin, maintenance"] == text.money_gap(
        benefit.standalone_maintenance, benefit.book_maintenance)


def test_liquidation_offers_the_isolated_sub_account_of_the_inverse_contracts():
    at = with_sample()
    at.switch_page("pages/liquidation.py").run()
    ws = at.session_state["workspace"]
    shown = {m.label: m.value for m in at.metric}
    for mode in ("cross", "isolated"):
        price = liquidation_price(ws.portfolio, ws.market, "BTC", mode, ws.cross_preset)
        assert shown[f"{mode.capitalize()} liquidation price"] == text.price(price)
    price = liquidation_price(ws.portfolio, ws.market, "BTC", "portfolio", ws.portfolio_rules)
    assert shown["Portfolio liquidation price"] == text.price(price)


def test_the_share_link_carries_the_coin_book():
    book, market = load_sample(SAMPLE)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["book"] = encode_share_token(book)
    at.run()
    assert not at.exception and not errors(at)
    ws = at.session_state["workspace"]
    assert ws.portfolio == book and ws.market == market
    at.switch_page("pages/compare.py").run()
    shown = {m.label: m.value for m in at.metric}
    assert shown["Portfolio maintenance margin"] == text.money(
        portfolio_margin(book, market, ws.portfolio_rules).maintenance)
    assert shown["Cross initial margin"] == text.money(cross_margin(book, market, ws.cross_preset).initial)
    # and the link the app writes for the sample opens the same book again
    opened = with_sample()
    assert decode_share_token(opened.query_params["book"]).portfolio == book


# -- the lesson --------------------------------------------------------------------------------------
def test_the_lesson_is_listed_on_the_coin_sample():
    assert LESSON in catalogue.LESSONS and LESSON.sample == SAMPLE
    assert len(LESSON.steps) == 3 and len(LESSON.questions) == 3


@pytest.mark.parametrize("rules", COMBOS, ids=lambda r: r.label)
def test_the_convexity_answer_is_the_coin_loss_per_face(rules):
    """At -16 % a long inverse perp loses 19.05 % of its face in BTC; at +16 % it gains 13.79 %."""
    solution = framework.solve(LESSON, 0, rules.cross, rules.portfolio_params)
    assert solution.value == pytest.approx(-100 * float(coin_pnl_per_face(-MOVE)), abs=1e-6)
    assert solution.value == pytest.approx(19.0476, abs=1e-3)
    assert "19.05 %" in solution.why and "gains 13.79 % in BTC" in solution.why
    look, _, why = framework.step_text(LESSON, 1, rules.cross, rules.portfolio_params)
    assert "a long inverse contract loses more on a fall than it gains on the same rise" in why
    assert "19.0 % of the face's 1.1369 BTC" in why and "13.8 %." in why
    readout = framework.read(LESSON, 1, -16.0, rules.cross, rules.portfolio_params)
    assert dict(readout.metrics)["In BTC, share of the face"] == "−19.0 %"
    assert dict(readout.metrics)["Perp P&L in USD"] == "−$16,000"
    assert "The same move the other way gains 13.8 % in BTC" in readout.note


@pytest.mark.parametrize("rules", COMBOS, ids=lambda r: r.label)
def test_a_btc_deposit_doubles_the_dollar_exposure_and_the_answers_are_the_engines(rules):
    book, market = load_sample(SAMPLE)
    perp = book.positions[0]
    today = market.prices["BTC"]
    alone, backed = Portfolio((perp,)), Portfolio((perp,), {"BTC": perp.usd_size / today})
    params = rules.portfolio_params
    ratio = portfolio_margin(backed, market, params).maintenance / portfolio_margin(alone, market, params).maintenance
    solution = framework.solve(LESSON, 1, rules.cross, params)
    assert solution.value == pytest.approx(ratio, rel=1e-9)
    if not params.inverse_risk_in_coin:  # measured in USD, the deposit is a second long of the face's size
        losses = [portfolio_margin(b, market, params).details["scenario_loss"] for b in (backed, alone)]
        assert losses[0] == pytest.approx(2 * losses[1], rel=1e-6)
        assert 1.9 < solution.value <= 2.0 + 1e-6  # add-ons on the perp alone (a roll shock) do not double
    readout = dict(framework.read(LESSON, 2, 100.0, rules.cross, params).metrics)
    assert readout["Dollar exposure"] == "2.00× the face"
    assert dict(framework.read(LESSON, 2, 0.0, rules.cross, params).metrics)["Dollar exposure"] == "1.00× the face"
    # under cross margin the BTC-backed account goes first, near half today's price (the whole deposit)
    usdc = Portfolio((perp,), {"USDC": perp.usd_size})
    with_btc = liquidation_price(backed, market, "BTC", "cross", rules.cross)
    with_usdc = liquidation_price(usdc, market, "BTC", "cross", rules.cross)
    assert with_btc > with_usdc and 0.45 < with_btc / today < 0.55
    assert framework.solve(LESSON, 2, rules.cross, params).accepted == frozenset({0})
    _, _, why = framework.step_text(LESSON, 2, rules.cross, params)
    assert f"liquidates the BTC-backed account at {text.price(with_btc)}" in why
    assert "the first to go is the BTC-backed account" in why


# -- a real browser -----------------------------------------------------------------------------------
@pytest.mark.browser
def test_a_browser_walks_the_coin_sample_through_build_compare_and_liquidation():
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    shots = ROOT / "artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    book, market = load_sample(SAMPLE)
    with streamlit_server("app.py") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            tab = browser.new_page(viewport={"width": 1440, "height": 1000})
            tab.goto(f"{url}/?book={encode_share_token(book)}", wait_until="domcontentloaded")
            wait_for_idle(tab)
            for title, expect in (("Build", "Coin-margined rows"), ("Compare", "In BTC, at today's price"),
                                  ("Liquidation", "Isolated liquidation price")):
                if title != "Build":
                    go_to(tab, title)
                main = tab.locator('[data-testid="stMain"]')
                main.get_by_text(expect, exact=False).first.wait_for(timeout=30_000)
                assert tab.locator('[data-testid="stException"]').count() == 0, title
                alerts = tab.locator('[data-testid="stAlertContentError"]')
                assert alerts.count() == 0, (title, alerts.first.inner_text())
                tab.screenshot(path=str(shots / f"coin-{title.lower()}.png"), full_page=True)
            shown = tab.locator('[data-testid="stMain"]').inner_text()
            cross = liquidation_price(book, market, "BTC", "cross", DEFAULT_CROSS)
            assert text.price(cross) in shown
        finally:
            browser.close()


def test_the_pooled_equity_caveat_appears_exactly_where_deribit_splits_a_book_across_currencies():
    """Under deribit a book with coins and dollar-settled derivatives has two accounts' requirements but
    one pooled equity here: the pages say so; a book in one currency, or a rule set in dollars, needs no word."""
    from margin.presets import PORTFOLIO_PRESETS
    from views import coins as coin_views
    from views.samples import sample_names
    split = {"02_basis_trade.json", "04_covered_call.json", "06_conversion.json"}
    for name in sample_names():
        book, _ = load_sample(name)
        assert bool(coin_views.read_pooled_equity(book, PORTFOLIO_PRESETS["deribit"])) == (name in split), name
        for other in ("classroom", "okx", "span"):
            assert coin_views.read_pooled_equity(book, PORTFOLIO_PRESETS[other]) == ""


def test_compare_and_liquidation_say_the_equity_is_pooled_under_deribit_for_a_split_book():
    from streamlit.testing.v1 import AppTest

    from views import coins as coin_views
    app = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    app.run()
    app.selectbox(key="sidebar_sample").set_value("04_covered_call.json").run()
    app.selectbox(key="sidebar_portfolio_preset").set_value("deribit").run()
    book = app.session_state["workspace"].portfolio
    wanted = coin_views.read_pooled_equity(book, app.session_state["workspace"].portfolio_rules)
    assert wanted
    for page in ("pages/compare.py", "pages/liquidation.py"):
        app.switch_page(page).run()
        assert not app.exception
        assert wanted in [i.value for i in app.info], page
