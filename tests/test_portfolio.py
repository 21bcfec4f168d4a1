"""Portfolio (risk-based) margin: SPAN scenarios, lone positions, hedges, correlation, a slow mirror.

Published numbers and their sources:
- SPAN's 16 risk scenarios: price 0, +/-1/3, +/-2/3, +/-1 of the price scan range, each with vol
  up and vol down, plus +/-2 x range (vol unchanged) counted at 35 % (NSE SPAN table, reproduced
  in LPU "DCOM510 Financial Derivatives", Table 12.1; McMillan, *Options as a Strategic
  Investment*, ch. 34, pp. 668-670).
- McMillan's risk array for one long S&P future, scan range $10,000: 0, 0, +/-3,330, +/-6,670,
  +/-10,000 and extremes +/-7,000 ("extreme move is 14 points, or $7,000" = 2 x 10,000 x 35 %);
  the SPAN requirement is the largest loss, $10,000.
- Deribit Portfolio Margin (support.deribit.com/hc/en-us/articles/25944756247837): "Maximum
  underlying price move e.g. +/-16%. This is broken down into 9 evenly spaced buckets".
- OKX portfolio margin notice (2 Jan 2025): BTC/ETH spot shock +/-0, 4, 8, 12 %; extreme move
  +/-24 %.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin import (
    Future,
    Market,
    Option,
    Perp,
    Portfolio,
    PortfolioParams,
    Spot,
    default_market,
    portfolio_margin,
)
from margin.instruments import InversePerp
from margin.portfolio import scan_range
from margin.presets import CLASSROOM_PM, DERIBIT_PM, OKX_PM, PORTFOLIO_PRESETS, SPAN_PM
from margin.pricing import black76_price
from margin.reference import reference_portfolio_margin

FAST = settings(max_examples=30, deadline=None)
PRESETS = list(PORTFOLIO_PRESETS)  # classroom, deribit, okx, span


def _market(prices, vols, corr=None, basis=None) -> Market:
    return Market(prices, vols, corr, basis)


BTC_ETH = _market({"BTC": 88_000.0, "ETH": 2_900.0, "USDC": 1.0}, {"BTC": 0.55, "ETH": 0.70, "USDC": 0.01},
                  {("BTC", "ETH"): 0.85})


def _range(params: PortfolioParams, asset: str, vol: float) -> float:
    """docs/model.md: range = max(floor, k x vol x sqrt(horizon)), here capped at 95 % as the engine does."""
    floor = params.price_range.get(asset, params.default_price_range)
    return min(max(floor, params.range_vol_multiple * vol * math.sqrt(params.range_horizon_days / 365.0)), 0.95)


# ---------------------------------------------------------------------------------------------
# SPAN: 16 scenarios and McMillan's risk array
# ---------------------------------------------------------------------------------------------


def test_span_preset_has_the_16_published_scenarios():
    assert SPAN_PM.price_steps == 7
    assert SPAN_PM.vol_states == ("up", "down")
    assert SPAN_PM.extreme_multiple == 2.0
    assert SPAN_PM.extreme_fraction == 0.35
    result = portfolio_margin(Portfolio([Perp("BTC", 1.0, 88_000.0)]), BTC_ETH, "span")
    grid = result.scenario_grids["BTC"]
    scan = result.details["ranges"]["BTC"]
    fractions = np.array(grid.columns, dtype=float) / scan
    np.testing.assert_allclose(fractions, [-1, -2 / 3, -1 / 3, 0, 1 / 3, 2 / 3, 1], atol=1e-5)
    assert list(grid.index) == ["vol up", "vol down"]
    assert grid.size + 2 == 16  # 7 price moves x 2 vol moves + 2 extremes


def test_span_vol_scan_is_symmetric_and_independent_of_expiry():
    """SPAN's vol scenarios are +/- one vol scan range (NSE: 25 % of implied vol) at any expiry."""
    from margin.portfolio import shocked_vols

    vols = shocked_vols(SPAN_PM, 0.40, np.array([1.0, 7.0, 30.0, 180.0]))
    np.testing.assert_allclose(vols[0], 0.40 * 1.25)
    np.testing.assert_allclose(vols[1], 0.40)
    np.testing.assert_allclose(vols[2], 0.40 * 0.75)


def test_mcmillan_risk_array_of_one_long_future():
    """Scan range $10,000: the array is 0, +/-3,333, +/-6,667, +/-10,000; requirement $10,000."""
    market = _market({"SPX": 100_000.0}, {"SPX": 0.05})  # low vol: the 10 % floor sets the range
    assert _range(SPAN_PM, "SPX", 0.05) == 0.10
    for position in (Perp("SPX", 1.0, 100_000.0), Future("SPX", 1.0, 100_000.0, 60)):
        result = portfolio_margin(Portfolio([position]), market, "span")
        grid = result.scenario_grids["SPX"]
        for row in ("vol up", "vol down"):
            # McMillan prints these rounded to $10: 3,330 and 6,670.
            np.testing.assert_allclose(grid.loc[row].to_numpy(),
                                       [-10_000, -6_670, -3_330, 0, 3_330, 6_670, 10_000], atol=5.0)
        # Extreme scenario: 2 x 10,000 x 35 % = 7,000 < 10,000, so the -1 x range row binds.
        assert result.maintenance == pytest.approx(10_000.0)
        assert result.initial == pytest.approx(13_000.0)
        assert "extreme" not in result.binding_scenario
        assert "-10.0%" in result.binding_scenario


def test_extreme_scenario_binds_when_its_weight_exceeds_one_half():
    """At weight 0.6 the extreme loss 0.6 x 2 x range beats the full range: the extremes are used."""
    market = _market({"SPX": 100_000.0}, {"SPX": 0.05})
    params = SPAN_PM.with_changes(extreme_fraction=0.6)
    result = portfolio_margin(Portfolio([Perp("SPX", -1.0, 100_000.0)]), market, params)
    assert result.maintenance == pytest.approx(12_000.0)
    assert "extreme" in result.binding_scenario


@FAST
@given(price=st.floats(min_value=1.0, max_value=1e5), vol=st.floats(min_value=0.05, max_value=3.0),
       qty=st.floats(min_value=-100.0, max_value=100.0).filter(lambda q: abs(q) > 1e-3),
       preset=st.sampled_from(PRESETS), basis=st.floats(min_value=-0.2, max_value=0.3),
       days=st.floats(min_value=0.0, max_value=365.0), kind=st.sampled_from(["perp", "future"]))
def test_lone_linear_position_costs_range_times_notional(price, vol, qty, preset, basis, days, kind):
    params = PORTFOLIO_PRESETS[preset]
    market = _market({"BTC": price}, {"BTC": vol}, basis={"BTC": basis})
    if kind == "perp":
        position, mark = Perp("BTC", qty, price), price
    else:
        position, mark = Future("BTC", qty, price, days), price * math.exp(basis * days / 365)
    result = portfolio_margin(Portfolio([position]), market, preset)
    floor, annual = params.roll_shock("BTC")  # Deribit's roll shock, OKX's MR4 basis: size at the index
    years = 0.0 if kind == "perp" else days / 365
    roll = abs(qty) * price * max(floor, annual * years)
    expected = params.mm_factor * (_range(params, "BTC", vol) * abs(qty) * mark + roll)
    assert result.maintenance == pytest.approx(expected, rel=1e-9)
    assert result.initial == pytest.approx(params.im_multiplier * expected, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Deribit and OKX grids
# ---------------------------------------------------------------------------------------------


def test_lone_long_btc_perp_under_classroom():
    """+/-16 % range (BTC vol 55 %: 4 daily sigma = 11.5 % < 16 %): MM = 16 % of notional, IM = 1.3x."""
    result = portfolio_margin(Portfolio([Perp("BTC", 1.0, 88_000.0)]), BTC_ETH, "classroom")
    assert result.maintenance == pytest.approx(0.16 * 88_000.0)
    assert result.initial == pytest.approx(1.3 * 0.16 * 88_000.0)
    assert list(result.breakdown["component"]) == ["scenario loss"]  # no add-ons
    np.testing.assert_allclose(np.array(result.scenario_grids["BTC"].columns, dtype=float),
                               np.linspace(-0.16, 0.16, 9), atol=1e-6)


def test_lone_long_btc_perp_under_deribit():
    """Deribit S:PM: 16 % loss + roll shock 1 % of the size at the index, times mm_factor 0.8; initial is
    the risk-matrix margin (0.8 x 1.25 = 1)."""
    result = portfolio_margin(Portfolio([Perp("BTC", 1.0, 88_000.0)]), BTC_ETH, "deribit")
    assert result.maintenance == pytest.approx(0.8 * (0.16 + 0.01) * 88_000.0)
    assert result.initial == pytest.approx((0.16 + 0.01) * 88_000.0)
    assert list(result.breakdown["component"]) == ["scenario loss", "roll shock", "maintenance factor"]


def test_okx_btc_spot_shocks():
    """OKX notice: BTC spot shock +/-0, 4, 8, 12 %; extreme +/-24 % (= 2 x 12 %)."""
    result = portfolio_margin(Portfolio([Perp("BTC", 1.0, 88_000.0)]), BTC_ETH, "okx")
    np.testing.assert_allclose(np.array(result.scenario_grids["BTC"].columns, dtype=float),
                               [-0.12, -0.08, -0.04, 0.0, 0.04, 0.08, 0.12], atol=1e-6)
    assert OKX_PM.extreme_multiple * OKX_PM.range_floor("BTC") == pytest.approx(0.24)


@pytest.mark.parametrize("preset", [p for p in PRESETS if not PORTFOLIO_PRESETS[p].inverse_risk_in_coin])
def test_spot_hedged_with_short_perp_pays_only_the_basis_addon(preset):
    params = PORTFOLIO_PRESETS[preset]
    book = Portfolio([Spot("BTC", 2.0), Perp("BTC", -2.0, 88_000.0)])
    result = portfolio_margin(book, BTC_ETH, preset)
    rows = result.breakdown.set_index("component")
    assert rows.loc["scenario loss", "maintenance"] == pytest.approx(0.0, abs=1e-6)
    basis = params.basis_addon_rate * 176_000.0  # min(long, short) linear USD
    roll = params.roll_shock("BTC")[0] * 176_000.0  # the perp's size at the index (Deribit, OKX's MR4)
    assert rows.get("maintenance").get("basis add-on", 0.0) == pytest.approx(basis)
    assert rows.get("maintenance").get("roll shock", 0.0) == pytest.approx(roll)
    assert basis + roll > 0
    assert result.maintenance == pytest.approx(params.mm_factor * (basis + roll))
    # ... far below the unhedged spot alone.
    assert result.maintenance < 0.1 * portfolio_margin(Portfolio([Spot("BTC", 2.0)]), BTC_ETH, preset).maintenance


def test_deribit_keeps_each_settlement_currency_apart():
    """Deribit KB 'Portfolio Margin' (article 25944756247837): "Each of the settlement currencies is
    treated separately." A BTC balance is the BTC account's own currency: alone it needs no margin, and
    it does not offset a USD-settled (USDC) perp, which is charged as if alone. Hedged in its own
    currency, with a short coin-margined perp (a synthetic dollar), the BTC account is charged the
    short perp's loss in BTC: the worst is the +16 % rise, 1 - 1/1.16 of the face."""
    deposit = Portfolio([], {"BTC": 2.0})
    assert portfolio_margin(deposit, BTC_ETH, "deribit").maintenance == 0.0
    assert portfolio_margin(deposit, BTC_ETH, "classroom").maintenance > 0.0  # in USD the deposit is at risk
    perp = Perp("BTC", -2.0, 88_000.0)
    alone = portfolio_margin(Portfolio([perp]), BTC_ETH, "deribit").maintenance
    assert portfolio_margin(Portfolio([Spot("BTC", 2.0), perp]), BTC_ETH, "deribit").maintenance == pytest.approx(alone)
    face = 2.0 * 88_000.0
    synthetic = Portfolio([InversePerp("BTC", -face, 88_000.0)], {"BTC": 2.0})
    result = portfolio_margin(synthetic, BTC_ETH, "deribit")
    roll = 0.01 * face  # the perp's size in coins at the index x Deribit's min_annualised_move
    assert result.maintenance == pytest.approx(0.8 * (face * (1 - 1 / 1.16) + roll))


def test_stablecoins_are_not_scanned_but_pay_the_depeg_addon():
    result = portfolio_margin(Portfolio([], {"USDC": 100_000.0}), BTC_ETH, "classroom")
    assert result.scenario_grids == {}
    assert result.maintenance == pytest.approx(CLASSROOM_PM.depeg_addon_rate * 100_000.0)
    assert portfolio_margin(Portfolio([], {"USDC": 100_000.0}), BTC_ETH, "deribit").maintenance == 0.0  # none at Deribit


def test_short_option_minimum_nets_per_strike():
    """Deribit legacy page: call +10 and put -20 on strike X -> net short 10 -> 10 x 1 %."""
    market = _market({"BTC": 88_000.0}, {"BTC": 0.55})
    book = Portfolio([Option("BTC", "call", 90_000.0, 30, 10.0), Option("BTC", "put", 90_000.0, 30, -20.0)])
    rows = portfolio_margin(book, market, "classroom").breakdown.set_index("component")
    assert rows.loc["short-option minimum", "maintenance"] == pytest.approx(0.01 * 88_000.0 * 10)


def test_portfolio_equity_counts_holdings_pnl_and_option_marks():
    """Same equity definition as cross (no haircuts in the PM presets): USDC + spot + uPnL + marks."""
    book = Portfolio([Perp("BTC", 1.0, 90_000.0), Spot("ETH", 2.0), Option("BTC", "put", 80_000.0, 30, 1.0)],
                     collateral={"USDC": 10_000.0})
    mark = float(black76_price(88_000.0, 80_000.0, 0.55, 30 / 365, False))
    expected = 10_000.0 + (88_000.0 - 90_000.0) + 2 * 2_900.0 + mark
    for preset in PRESETS:
        assert portfolio_margin(book, BTC_ETH, preset).equity == pytest.approx(expected)


def test_extreme_moves_cannot_push_prices_below_zero():
    market = _market({"BTC": 100_000.0}, {"BTC": 0.5})
    params = SPAN_PM.with_changes(extreme_multiple=3.0, extreme_fraction=1.0, default_price_range=0.5)
    long_spot = portfolio_margin(Portfolio([Spot("BTC", 1.0)]), market, params)
    assert long_spot.maintenance <= 100_000.0 + 1e-6  # a holding cannot lose more than its value
    short_put = portfolio_margin(Portfolio([Option("BTC", "put", 100_000.0, 30, -1.0)]), market, params)
    assert short_put.maintenance <= 100_000.0 + 1e-6  # the put pays at most its strike


# ---------------------------------------------------------------------------------------------
# Volatility: shocks and the responsive range
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", PRESETS)
def test_vol_shock_raises_the_requirement_of_a_short_strangle(preset):
    book = Portfolio([Option("BTC", "call", 100_000.0, 30, -1.0), Option("BTC", "put", 75_000.0, 30, -1.0)])
    calm = portfolio_margin(book, BTC_ETH, preset)
    stressed = portfolio_margin(book, BTC_ETH.shocked(vol_mult=2.0), preset)
    assert stressed.maintenance > calm.maintenance


@pytest.mark.parametrize("params", list(PORTFOLIO_PRESETS.values()), ids=list(PORTFOLIO_PRESETS))
def test_scan_range_widens_with_volatility_where_the_rule_set_says_so(params):
    """classroom and span widen the range with volatility; Deribit and OKX publish fixed ranges."""
    vols = np.linspace(0.05, 5.0, 60)
    ranges = [scan_range(params, "BTC", v) for v in vols]
    assert all(b >= a for a, b in zip(ranges, ranges[1:], strict=False))
    for v, r in zip(vols, ranges, strict=True):
        assert r == pytest.approx(_range(params, "BTC", v))
    assert (ranges[-1] > ranges[0]) == (params.range_vol_multiple > 0)
    assert (params.range_vol_multiple > 0) == (params.name in ("classroom", "span"))


def test_vol_shock_widens_the_range_of_the_result():
    """classroom BTC: 4 x 0.55 / sqrt(365) = 11.5 % < 16 % floor; doubled vol gives 23.0 %."""
    book = Portfolio([Perp("BTC", 1.0, 88_000.0)])
    calm = portfolio_margin(book, BTC_ETH, "classroom")
    stressed = portfolio_margin(book, BTC_ETH.shocked(vol_mult=2.0), "classroom")
    assert calm.details["ranges"]["BTC"] == pytest.approx(0.16)
    assert stressed.details["ranges"]["BTC"] == pytest.approx(4 * 1.1 / math.sqrt(365))
    assert stressed.maintenance == pytest.approx(88_000.0 * 4 * 1.1 / math.sqrt(365))


# ---------------------------------------------------------------------------------------------
# Correlation: signed offsets
# ---------------------------------------------------------------------------------------------


@FAST
@given(rho=st.floats(min_value=0.2, max_value=0.95), vol_btc=st.floats(min_value=0.2, max_value=1.5),
       vol_eth=st.floats(min_value=0.2, max_value=1.5), notional=st.floats(min_value=1e3, max_value=1e7),
       preset=st.sampled_from(PRESETS))
def test_hedged_pair_costs_more_as_correlation_breaks_down(rho, vol_btc, vol_eth, notional, preset):
    """Long BTC, short ETH with |N_ETH| vol_ETH = N_BTC vol_BTC: corr_shock 0 < -0.5 < -1."""
    market = _market({"BTC": 88_000.0, "ETH": 2_900.0}, {"BTC": vol_btc, "ETH": vol_eth}, {("BTC", "ETH"): rho})
    eth_notional = notional * vol_btc / vol_eth
    book = Portfolio([Perp("BTC", notional / 88_000.0, 88_000.0), Perp("ETH", -eth_notional / 2_900.0, 2_900.0)])
    params = PORTFOLIO_PRESETS[preset].with_changes(offsets="correlated")  # Deribit and OKX: the sidebar's choice
    costs = [portfolio_margin(book, market.shocked(corr_shock=s), params).maintenance for s in (0.0, -0.5, -1.0)]
    assert costs[0] < costs[1] < costs[2]
    if PORTFOLIO_PRESETS[preset].offsets == "segregated":  # as the venue publishes it: correlation changes nothing
        alone = [portfolio_margin(book, market.shocked(corr_shock=s), preset).maintenance for s in (0.0, -1.0)]
        assert alone[0] == pytest.approx(alone[1], rel=1e-12)


@FAST
@given(sizes=st.lists(st.floats(min_value=1e3, max_value=1e7), min_size=3, max_size=3),
       preset=st.sampled_from(PRESETS))
def test_long_only_book_costs_more_as_correlation_rises(sizes, preset):
    market = default_market()
    book = Portfolio([Perp(a, n / market.prices[a], market.prices[a]) for a, n in zip(("BTC", "ETH", "SOL"), sizes,
                                                                                       strict=True)])
    params = PORTFOLIO_PRESETS[preset].with_changes(offsets="correlated")  # Deribit and OKX: the sidebar's choice
    costs = [portfolio_margin(book, market.shocked(corr_shock=s), params) for s in (0.0, 0.5, 1.0)]
    assert costs[0].maintenance < costs[1].maintenance < costs[2].maintenance
    # Perfect correlation: no diversification left, the requirement is the sum of unit losses.
    top = costs[2].details
    assert top["scenario_loss"] == pytest.approx(top["segregated_loss"], rel=1e-9)
    assert costs[2].maintenance == pytest.approx(params.mm_factor * (top["segregated_loss"] + top["addon_total"]),
                                                 rel=1e-9)


def test_hedged_pair_benefits_from_correlation():
    """The signed aggregation rewards a hedge when assets co-move: far below segregated."""
    book = Portfolio([Perp("BTC", 1.0, 88_000.0), Perp("ETH", -88_000.0 * 0.55 / 0.70 / 2_900.0, 2_900.0)])
    correlated = portfolio_margin(book, BTC_ETH, "classroom")
    segregated = portfolio_margin(book, BTC_ETH, CLASSROOM_PM.with_changes(offsets="segregated"))
    assert correlated.maintenance < 0.6 * segregated.maintenance


# ---------------------------------------------------------------------------------------------
# Properties on random books
# ---------------------------------------------------------------------------------------------

ASSETS = ["BTC", "ETH", "SOL"]
_DEFAULT = default_market()


@st.composite
def positions(draw):
    asset = draw(st.sampled_from(ASSETS))
    spot = _DEFAULT.prices[asset]
    kind = draw(st.sampled_from(["perp", "future", "option", "option", "spot"]))
    qty = draw(st.floats(min_value=-20.0, max_value=20.0).filter(lambda q: abs(q) > 1e-2)) * 1e4 / spot
    if kind == "perp":
        return Perp(asset, qty, spot * draw(st.floats(min_value=0.8, max_value=1.2)))
    if kind == "future":
        return Future(asset, qty, spot, draw(st.sampled_from([0.0, 0.5, 7.0, 29.0, 30.0, 90.0, 365.0])))
    if kind == "option":
        # A coarse strike ladder, so calls and puts often share a strike (per-strike netting).
        strike = round(spot * draw(st.sampled_from([0.6, 0.75, 0.9, 1.0, 1.1, 1.25, 1.6])), 2)
        days = draw(st.sampled_from([0.0, 0.5, 1.0, 3.0, 14.0, 30.0, 45.0, 120.0, 365.0]))
        return Option(asset, draw(st.sampled_from(["call", "put"])), strike, days, qty)
    return Spot(asset, qty)


books = st.builds(
    lambda ps, usdc: Portfolio(ps, collateral={"USDC": usdc} if usdc else {}),
    st.lists(positions(), min_size=1, max_size=6),
    st.sampled_from([0.0, 0.0, 25_000.0]),
)
markets = st.builds(lambda v, s: _DEFAULT.shocked(vol_mult=v, corr_shock=s),
                    st.floats(min_value=0.5, max_value=3.0), st.floats(min_value=-1.0, max_value=1.0))


@pytest.mark.parametrize("preset", PRESETS)
def test_empty_book_costs_nothing(preset):
    result = portfolio_margin(Portfolio(), default_market(), preset)
    assert (result.initial, result.maintenance, result.equity) == (0.0, 0.0, 0.0)


@FAST
@given(book=books, market=markets, preset=st.sampled_from(PRESETS))
def test_requirement_is_non_negative_and_breakdown_adds_up(book, market, preset):
    result = portfolio_margin(book, market, preset)
    assert result.maintenance >= 0.0
    assert result.initial >= result.maintenance
    scale = max(1.0, result.maintenance)
    assert result.breakdown["maintenance"].sum() == pytest.approx(result.maintenance, abs=1e-9 * scale)
    assert result.breakdown["initial"].sum() == pytest.approx(result.initial, abs=1e-9 * scale)


@FAST
@given(book=books, market=markets, preset=st.sampled_from(PRESETS))
def test_segregated_never_costs_less_than_correlated(book, market, preset):
    params = PORTFOLIO_PRESETS[preset]
    correlated = portfolio_margin(book, market, params)
    segregated = portfolio_margin(book, market, params.with_changes(offsets="segregated"))
    assert segregated.maintenance >= correlated.maintenance - 1e-9 * max(1.0, segregated.maintenance)


# ---------------------------------------------------------------------------------------------
# The slow, obvious reference implementation (margin/reference.py) holds the fast path
# ---------------------------------------------------------------------------------------------


def _assert_matches_reference(book, market, params):
    expected = reference_portfolio_margin(book, market, params)
    result = portfolio_margin(book, market, params)
    scale = 1e-9 * max(1.0, expected["maintenance"])
    assert result.maintenance == pytest.approx(expected["maintenance"], rel=1e-9, abs=scale)
    assert result.initial == pytest.approx(expected["initial"], rel=1e-9, abs=scale)
    assert result.details["segregated_loss"] == pytest.approx(expected["segregated"], rel=1e-9, abs=scale)
    assert result.details["scenario_loss"] == pytest.approx(expected["loss"], rel=1e-9, abs=scale)
    assert result.details["addon_total"] == pytest.approx(expected["addons"], rel=1e-9, abs=scale)


@st.composite
def rule_sets(draw):
    """A preset, sometimes with numbers changed so rarely-binding rules (extremes, the vol floor) bind."""
    params = PORTFOLIO_PRESETS[draw(st.sampled_from(PRESETS))]
    changes = {"offsets": draw(st.sampled_from(["correlated", "correlated", "segregated"]))}
    if draw(st.booleans()):
        changes["extreme_fraction"] = draw(st.sampled_from([0.6, 0.9]))
    if draw(st.booleans()):
        changes["vol_down_shift"] = 0.5  # (30/1)^0.3 x 0.5 > 0.95: the vol-down floor binds
    if draw(st.booleans()):
        changes["price_steps"] = draw(st.sampled_from([3, 5, 11]))
    return params.with_changes(**changes)


@settings(max_examples=30, deadline=None)
@given(book=books, market=markets, params=rule_sets())
def test_engine_matches_slow_reference_on_random_books(book, market, params):
    _assert_matches_reference(book, market, params)


EDGE_BOOKS = {
    "short straddle expiring in 12 hours": Portfolio([Option("BTC", "call", 88_000.0, 0.5, -3.0),
                                                      Option("BTC", "put", 88_000.0, 0.5, -3.0)]),
    "long 1-day ATM straddle (vol-down floor)": Portfolio([Option("ETH", "call", 2_920.0, 1.0, 50.0),
                                                           Option("ETH", "put", 2_920.0, 1.0, 50.0)]),
    "calendar spread across the 30-day boundary": Portfolio([Option("BTC", "call", 90_000.0, 29.0, -2.0),
                                                             Option("BTC", "call", 90_000.0, 31.0, 2.0)]),
    "deep OTM short puts (extremes bind)": Portfolio([Option("SOL", "put", 80.0, 60.0, -500.0),
                                                      Perp("SOL", 10.0, 138.0)]),
    "basis trade plus options on two units": Portfolio([Future("BTC", 1.0, 90_000.0, 90), Perp("BTC", -1.0, 88_000.0),
                                                        Option("ETH", "put", 2_500.0, 14, -10.0),
                                                        Spot("ETH", 4.0)], collateral={"USDT": 5_000.0}),
}


@pytest.mark.parametrize("name", list(EDGE_BOOKS))
@pytest.mark.parametrize("params", [CLASSROOM_PM, DERIBIT_PM, SPAN_PM,
                                    OKX_PM.with_changes(vol_down_shift=0.5, extreme_fraction=0.9)],
                         ids=["classroom", "deribit", "span", "okx-modified"])
def test_engine_matches_slow_reference_on_edge_books(name, params):
    _assert_matches_reference(EDGE_BOOKS[name], default_market(), params)


def test_engine_matches_slow_reference_on_the_design_book():
    """The example book of docs/model.md, on the default market, under every preset."""
    book = Portfolio([Perp("BTC", 1.0, 88_000.0, leverage=10), Perp("ETH", -30.0, 2_900.0),
                      Option("BTC", "call", 100_000.0, 30, -1.0), Spot("ETH", 5.0)],
                     collateral={"USDC": 20_000.0})
    for params in PORTFOLIO_PRESETS.values():
        _assert_matches_reference(book, default_market(), params)
