"""Hedging benefit (margin.benefit): an offset within a mode, never a mode or leverage difference.

Benefit = sum of each position's requirement standing alone (same rule set, same market) minus the
book's requirement. Under cross margin it is 0 by construction; a naked position has none at any
leverage. The Compare page words every comparison from the numbers it describes.
"""

import dataclasses
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from margin import (
    CROSS_PRESETS,
    Market,
    Perp,
    Portfolio,
    PortfolioError,
    Spot,
    cross_margin,
    default_market,
    hedging_benefit,
    load_portfolio,
    portfolio_margin,
)
from margin.presets import portfolio_params
from views import metrics, text
from views.samples import load_sample

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "sample_portfolios").glob("*.json"))
APP = str(ROOT / "app.py")
LEVERAGES = (1.0, 5.0, 20.0)
CORRELATED = portfolio_params(None).with_changes(offsets="correlated")


def sample(stem: str) -> tuple[Portfolio, Market]:
    """A sample's book (margin.load_portfolio) and the market the app builds for it (views.samples)."""
    path = next(p for p in SAMPLES if p.stem.startswith(stem))
    return load_portfolio(path), load_sample(path.name)[1]


def at_leverage(book: Portfolio, leverage: float) -> Portfolio:
    return book.with_positions(dataclasses.replace(p, leverage=leverage) if isinstance(p, Perp) else p
                               for p in book.positions)


def one_position_books(book: Portfolio) -> list[Portfolio]:
    """Each row and each collateral balance in a book of its own, built here without margin.benefit
    (the samples hold each instrument and each coin once)."""
    return [Portfolio((p,)) for p in book.positions] + [Portfolio((), {a: q}) for a, q in book.collateral.items()]


# -- the engine --------------------------------------------------------------------------------
@pytest.mark.parametrize("leverage", LEVERAGES)
def test_a_naked_long_perp_has_no_hedging_benefit_at_any_leverage(leverage):
    book, market = sample("01_")
    book = at_leverage(book, leverage)
    for mode in ("portfolio", "cross"):
        result = hedging_benefit(book, market, mode)
        assert (result.initial, result.maintenance) == (0.0, 0.0), (mode, leverage)
        assert (result.initial_share, result.maintenance_share) == (0.0, 0.0)
        assert result.standalone_initial == pytest.approx(result.book_initial, rel=1e-12)


def test_leverage_moves_the_mode_difference_of_sample_01_but_not_its_benefit():
    book, market = sample("01_")
    gaps, benefits = set(), set()
    for leverage in LEVERAGES:
        levered = at_leverage(book, leverage)
        gaps.add(round(cross_margin(levered, market).initial - portfolio_margin(levered, market).initial, 6))
        benefits.add(hedging_benefit(levered, market).initial)
    assert len(gaps) == len(LEVERAGES)  # the old "benefit" (cross - portfolio) moved with leverage
    assert benefits == {0.0}


def test_the_btc_eth_pair_has_a_positive_benefit_under_correlated_offsets_whatever_its_leverage():
    book, market = sample("03_")
    results = [hedging_benefit(at_leverage(book, lev), market, "portfolio", CORRELATED) for lev in LEVERAGES]
    first = results[0]
    assert first.initial > 0 and first.maintenance > 0
    assert 0 < first.initial_share < 1 and first.initial == pytest.approx(first.initial_share * first.standalone_initial)
    for other in results[1:]:
        assert other.initial == pytest.approx(first.initial, abs=1e-9)
        assert other.maintenance == pytest.approx(first.maintenance, abs=1e-9)
    # at 20x the old "benefit" (cross initial - portfolio initial) was negative; this one is not
    levered = at_leverage(book, 20.0)
    assert cross_margin(levered, market).initial < portfolio_margin(levered, market, CORRELATED).initial
    assert results[-1].initial > 0


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_cross_margin_has_no_hedging_benefit_on_any_sample(path):
    book, market = load_portfolio(path), load_sample(path.name)[1]
    result = hedging_benefit(book, market, "cross")
    assert (result.initial, result.maintenance) == (0.0, 0.0)
    assert result.book_initial == pytest.approx(cross_margin(book, market).initial, rel=1e-12)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_portfolio_benefit_is_the_sum_of_one_position_books_minus_the_book(path):
    book, market = load_portfolio(path), load_sample(path.name)[1]
    alone = [portfolio_margin(b, market) for b in one_position_books(book)]
    whole = portfolio_margin(book, market)
    result = hedging_benefit(book, market, "portfolio")
    expected_initial = sum(r.initial for r in alone) - whole.initial
    expected_maintenance = sum(r.maintenance for r in alone) - whole.maintenance
    assert result.initial == pytest.approx(expected_initial, rel=1e-9, abs=1e-6)
    assert result.maintenance == pytest.approx(expected_maintenance, rel=1e-9, abs=1e-6)
    assert sorted(result.standalone["initial"]) == pytest.approx(sorted(r.initial for r in alone), rel=1e-12)


def test_the_samples_include_hedges_and_naked_books():
    """The per-sample checks above are not vacuous: some samples save margin, some save none."""
    benefits = {p.stem: hedging_benefit(load_portfolio(p), load_sample(p.name)[1]).initial for p in SAMPLES}
    assert benefits["01_naked_long_perp"] == 0.0 and benefits["08_stablecoin_depeg"] == 0.0
    assert all(benefits[s] > 0 for s in ("02_basis_trade", "03_btc_eth_pair", "06_conversion"))


def test_collateral_stands_alone_once_so_the_depeg_add_on_is_no_benefit():
    """Two perps on different coins with stablecoin collateral, no offsets counted: the benefit is 0.
    Handing the collateral to every standalone position would count its depeg add-on twice."""
    market = default_market()
    book = Portfolio((Perp("BTC", 1.0, 88_000.0), Perp("SOL", -50.0, 140.0)), {"USDT": 50_000.0})
    segregated = portfolio_params(None).with_changes(offsets="segregated")
    result = hedging_benefit(book, market, "portfolio", segregated)
    assert result.initial == 0.0 and result.maintenance == 0.0
    usdt = result.standalone.set_index("asset").loc["USDT"]
    assert usdt["kind"] == "holding" and usdt["maintenance"] > 0  # the depeg add-on, counted once
    assert list(result.standalone["kind"]) == ["perp", "perp", "holding"]


def test_rows_on_one_instrument_are_one_position_even_across_a_tier():
    """Splitting a position into rows changes no benefit; above Hyperliquid's 150M BTC tier the
    whole position's tier applies, so rows priced apart would fake a (negative) cross benefit."""
    market = default_market()
    whole = Portfolio((Perp("BTC", 2_000.0, 88_000.0),), {"USDC": 1e6})
    split = Portfolio((Perp("BTC", 1_000.0, 88_000.0), Perp("BTC", 1_000.0, 88_000.0)), {"USDC": 1e6})
    for mode in ("cross", "portfolio"):
        a, b = hedging_benefit(whole, market, mode), hedging_benefit(split, market, mode)
        assert (b.initial, b.maintenance) == (a.initial, a.maintenance) == (0.0, 0.0), mode
        assert len(b.standalone) == 2 and b.standalone["rows"].iloc[0] == (0, 1)


def test_a_long_and_a_short_on_different_coins_offset_and_a_spot_row_joins_its_coins_collateral():
    market = default_market()
    book = Portfolio((Perp("BTC", 1.0, 88_000.0), Perp("ETH", -25.0, 2_900.0), Perp("BTC", 0.5, 88_000.0),
                      Spot("BTC", 0.25)), {"BTC": 0.25, "USDC": 10_000.0})
    result = hedging_benefit(book, market, "portfolio", CORRELATED)
    table = result.standalone.set_index("position")
    assert list(result.standalone["kind"]) == ["perp", "perp", "holding", "holding"]
    assert table.loc["Long 1 BTC perp + Long 0.5 BTC perp", "rows"] == (0, 2)
    assert table.loc["Hold 0.5 BTC (spot row 4 + collateral)", "qty"] == pytest.approx(0.5)
    assert result.initial > 0 and result.initial == pytest.approx(table["initial"].sum() - result.book_initial)


def test_an_empty_book_has_nothing_to_offset():
    result = hedging_benefit(Portfolio(), default_market())
    assert result.standalone.empty and result.initial == 0.0 and result.initial_share is None


@pytest.mark.parametrize("kwargs, named", [
    ({"book": "not a book"}, "book"),
    ({"market": {"BTC": 1.0}}, "market"),
    ({"mode": "isolated"}, "mode"),
    ({"mode": 3}, "mode"),
    ({"params": "no-such-preset"}, "params"),
    ({"params": CROSS_PRESETS["hyperliquid"]}, "params"),
])
def test_bad_input_is_a_portfolio_error_naming_the_argument(kwargs, named):
    book, market = sample("03_")
    arguments = {"book": book, "market": market, "mode": "portfolio", "params": None, **kwargs}
    with pytest.raises(PortfolioError, match=rf"^{named}\b"):
        hedging_benefit(**arguments)


def test_an_unpriced_asset_is_named_by_the_engine():
    with pytest.raises(PortfolioError, match="NOPE"):
        hedging_benefit(Portfolio((Perp("NOPE", 1.0, 5.0),)), default_market(), "cross")


# -- sentences generated from the numbers they describe ---------------------------------------
COMPARATIVES = re.compile(r"\b(save|saves|less|more|cheaper|dearer)\b")


def comparatives(sentence: str) -> set[str]:
    return set(COMPARATIVES.findall(sentence))


def test_benefit_sentence_follows_the_sign_of_standalone_minus_together():
    saved = text.read_hedging_benefit(32_928.0, 9_970.0, "initial")
    assert comparatives(saved) == {"save", "less"} and "$22,958" in saved and "69.7 %" in saved
    dearer = text.read_hedging_benefit(10_000.0, 10_500.0, "maintenance")
    assert comparatives(dearer) == {"more"} and "$500 more maintenance" in dearer
    for together in (18_556.0, 18_556.3):  # a gap that shows as $0 is no gap
        nothing = text.read_hedging_benefit(18_556.0, together)
        assert comparatives(nothing) == set() and "$0" in nothing


def test_mode_difference_sentence_follows_the_sign_of_cross_minus_portfolio():
    cheaper = text.read_mode_difference(15_706.0, 9_970.0, "initial")
    assert comparatives(cheaper) == {"less"} and "$5,736 less initial" in cheaper
    dearer = text.read_mode_difference(2_481.0, 7_669.0, "maintenance")
    assert comparatives(dearer) == {"more"} and "$5,188 more maintenance" in dearer
    same = text.read_mode_difference(1_000.0, 1_000.2)
    assert comparatives(same) == set() and "same" in same


def test_cross_benefit_sentence_says_zero_by_construction_only_when_it_is_zero():
    zero = text.read_cross_benefit(8_796.0, 8_796.0, 1_099.5, 1_099.5)
    assert zero.startswith("$0 under cross margin, by construction") and comparatives(zero) == set()
    broken = text.read_cross_benefit(8_796.0, 8_700.0, 1_099.5, 1_099.5)
    assert "by construction" not in broken and "$96" in broken
    negative = text.read_cross_benefit(8_700.0, 8_796.0, 1_099.5, 1_099.5)
    assert "−$96" in negative


def test_benefit_share_sentence():
    assert "69.7 %" in text.read_benefit_share(0.697, 0.697)
    assert "nothing" in text.read_benefit_share(None, None)
    assert "0.0 %" in text.read_benefit_share(0.0, 0.0)


def test_leverage_caveat_names_the_leverage_and_the_part_it_sets():
    one = text.read_leverage_caveat([1.0], 87_960.0, 87_960.0)
    assert "(1x here)" in one and "at 1x, as here, it is the whole notional" in one and "All of the $87,960" in one
    ten = text.read_leverage_caveat([10.0], 8_796.0, 10_000.0)
    assert "(10x here)" in ten and "10.0 %" in ten and "$8,796 of the $10,000" in ten
    assert "not with hedging" in ten
    assert "(5x to 20x here)" in text.read_leverage_caveat([5.0, 20.0], 1.0, 1.0)
    assert "no perps or futures" in text.read_leverage_caveat([], 0.0, 3_000.0)


@pytest.mark.parametrize("first, second", [(32_928.2, 9_969.6), (14_273.55, 1_099.5), (7_668.92, 2_481.48),
                                           (100.4, 100.6), (0.0, 0.49), (5.0, 5_000.5)])
def test_every_gap_in_a_sentence_is_the_difference_of_the_figures_it_shows(first, second):
    """Whole-dollar figures: $32,928 - $9,970 reads $22,958 (not $22,959, 22,958.6 rounded)."""
    assert abs(text.shown_gap(first, second) - (first - second)) <= 1.0
    for sentence in (text.read_hedging_benefit(first, second), text.read_mode_difference(first, second)):
        figures = [float(f.replace(",", "")) for f in re.findall(r"\$([\d,]+)", sentence)]
        if len(figures) == 3:  # gap, then the two figures (benefit: standalone, together; modes: portfolio, cross)
            gap, a, b = figures
            assert gap == abs(a - b), sentence
        else:  # zero: the same figure twice, or once
            assert "$0" in sentence or len(set(figures)) == 1, sentence
    assert text.versus_cross(second, first) == f"{'-' if round(first) > round(second) else '+'}" \
        f"${abs(round(first) - round(second)):,.0f} vs cross"


def test_chosen_leverages():
    book = Portfolio((Perp("BTC", 1.0, 88_000.0, leverage=10), Perp("ETH", 1.0, 2_900.0),
                      Perp("BTC", 1.0, 88_000.0, leverage=100)))
    assert metrics.chosen_leverages(book, "hyperliquid") == [10.0, 25.0, 40.0]  # None and 100x: the maximum


# -- the Compare page --------------------------------------------------------------------------
OFFSETS_SAVE = ("hedge each other offset", "Offsets save")


def page_texts(at: AppTest) -> list[str]:
    elements = [*at.caption, *at.markdown, *at.info, *at.warning, *at.success, *at.error]
    return [e.value for e in elements] + [f"{m.label}: {m.value}" for m in at.metric]


@pytest.mark.parametrize("leverage", [1.0, 10.0])
def test_compare_page_on_sample_01_shows_a_zero_hedging_benefit_and_no_offset_savings(leverage):
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.selectbox(key="sidebar_sample").set_value("01_naked_long_perp.json").run()
    ws = at.session_state["workspace"]
    book = at_leverage(ws.portfolio, leverage)
    at.session_state["workspace"] = ws.with_book(book, "outside")
    at.switch_page("pages/compare.py").run()
    assert not at.exception and not at.error
    shown = {m.label: m.value for m in at.metric}
    assert shown["Hedging benefit under portfolio margin, initial"] == "$0"
    assert shown["Hedging benefit under portfolio margin, maintenance"] == "$0"
    assert shown["Hedging benefit under cross margin"] == "$0"
    texts = page_texts(at)
    assert any(t.startswith("Hedging benefit under portfolio margin: $0 of initial margin") for t in texts)
    assert any(t.startswith("$0 under cross margin, by construction") for t in texts)
    assert not [t for t in texts if any(phrase in t for phrase in OFFSETS_SAVE)]
    # the mode difference is shown apart, worded from its own sign, with the leverage caveat
    cm, pm = cross_margin(book, ws.market), portfolio_margin(book, ws.market)
    word = "less" if cm.initial > pm.initial else "more"
    assert f"Portfolio margin asks {text.money(abs(cm.initial - pm.initial))} {word} initial margin" in " ".join(texts)
    assert any(f"({leverage:g}x here)" in t and "not with hedging" in t for t in texts)


def test_compare_page_benefit_follows_the_offsets_setting_like_the_cards():
    """Segregated offsets: the BTC/ETH pair's units no longer offset, so its benefit drops to $0, and
    the benefit's 'book together' figure is the portfolio card's figure under either setting."""
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/compare.py").run()
    for offsets in ("correlated", "segregated"):
        at.radio(key="sidebar_offsets").set_value(offsets).run()
        assert not at.exception and not at.error
        ws = at.session_state["workspace"]
        rules = portfolio_params(None).with_changes(offsets=offsets)
        pm, benefit = portfolio_margin(ws.portfolio, ws.market, rules), hedging_benefit(ws.portfolio, ws.market,
                                                                                       "portfolio", rules)
        shown = {m.label: m.value for m in at.metric}
        assert shown["Portfolio initial margin"] == text.money(pm.initial)
        assert shown["Hedging benefit under portfolio margin, initial"] == text.money_gap(benefit.standalone_initial,
                                                                                          pm.initial)
        assert (benefit.initial > 0) == (offsets == "correlated")
