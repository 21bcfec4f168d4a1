"""Cross and isolated margin: venue tiers, published liquidation examples, per-position rules.

Published numbers and their sources:
- Hyperliquid Docs, Trading > Margin tiers (hyperliquid.gitbook.io/hyperliquid-docs/trading/
  margin-tiers): maintenance = notional x rate - deduction, rate = half the initial rate at the
  tier's max leverage, deduction(n) = deduction(n-1) + floor(n) (rate(n) - rate(n-1)); mainnet BTC
  0-150M at 40x, above at 20x -> tier-1 deduction 150M x (2.5 % - 1.25 %) = 1,875,000 USDC.
  Testnet BTC table 0-10k 40x, 10-50k 25x, 50-100k 10x, 100-300k 5x, >300k 3x.
- Hyperliquid community wiki (hyperliquid-co.gitbook.io/wiki, margin-management): "$10,000
  position on 20x max leverage asset: With 10x leverage: Initial margin = $1,000, Maintenance
  margin = $250; With 20x leverage: Initial margin = $500, Maintenance margin = $250".
- Hyperliquid isolated liquidation prices returned by the exchange (via ccxt), as asserted in
  freqtrade tests/exchange/test_hyperliquid.py (commit 3b1fb5af), max leverage BTC/ETH 50, SOL/DOGE 20.
- Binance FAQ "How to Calculate Liquidation Price of USDS-M Futures Contracts"
  (binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93): the two-position cross example
  (WB 1,535,443.01; BTCUSDT long 109.488 @ 32,481.98, mark 31,967.27, MMR 2.5 %, cum 16,300;
  ETHUSDT long 3,683.979 @ 1,456.84, mark 1,335.18, MMR 10 %, cum 135,365) -> LP ETH 1,153.26,
  LP BTC 26,316.89; intermediates TMM 71,200.81144 (BTC) and 356,512.508 (ETH). The FAQ's
  maintenance amount example: "Maintenance Amount on Level 3 = 250,000 * (1% - 0.5%) + 50 USDT =
  1,300 USDT" (older table); COIN-M example "100 * 100 / 25,000 * 0.4% - 0 = 0.0016 BTC".
- Binance /fapi/v1/leverageBracket snapshot (freqtrade binance_leverage_tiers.json, commit 01d10aeb,
  mid-2024): BTCUSDT / ETHUSDT (floor, MMR, cum) columns typed below.
- Deribit standard margin for short options (TSLab mirror of Deribit's docs; docs/model.md):
  IM = max(0.15 - OTM/underlying, 0.10) x underlying + mark, MM = 0.075 x underlying + mark.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from margin import (
    CROSS_PRESETS,
    CrossParams,
    Future,
    Market,
    Option,
    Perp,
    Portfolio,
    PortfolioError,
    Spot,
    cross_margin,
    default_market,
    isolated_margin,
    liquidation_prices,
    margin_curves,
    presets,
)
from margin.params import resolve_tiers

FAST = settings(max_examples=40, deadline=None)


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _black76(forward: float, strike: float, vol: float, years: float, is_call: bool) -> float:
    """Textbook Black-76 with r = 0, written out independently of margin.pricing."""
    if years <= 0 or vol <= 0:
        return max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
    total = vol * math.sqrt(years)
    d1 = (math.log(forward / strike) + 0.5 * total**2) / total
    d2 = d1 - total
    if is_call:
        return forward * _norm_cdf(d1) - strike * _norm_cdf(d2)
    return strike * _norm_cdf(-d2) - forward * _norm_cdf(-d1)


def _one_asset_market(asset: str, price: float, vol: float = 0.5) -> Market:
    return Market({asset: price, "USDC": 1.0}, {asset: vol, "USDC": 0.01})


# ---------------------------------------------------------------------------------------------
# Hyperliquid tiers
# ---------------------------------------------------------------------------------------------


def test_hyperliquid_btc_tier_one_deduction_by_continuity():
    """Docs: MMR = half of 1/max-leverage; deduction(1) = 150M x (1/40 - 1/80) ... = 1,875,000."""
    tiers = presets.HYPERLIQUID.tiers_for("BTC")
    assert tiers[0] == pytest.approx((0.0, 0.0125, 0.0, 40.0))
    assert tiers[1] == pytest.approx((150_000_000.0, 0.025, 1_875_000.0, 20.0))


def test_hyperliquid_btc_maintenance_above_tier_one():
    """200M notional: 200M x 2.5 % - 1,875,000 = 3,125,000; continuous at the 150M floor."""
    market = _one_asset_market("BTC", 100_000.0)
    big = cross_margin(Portfolio([Perp("BTC", 2_000.0, 100_000.0)]), market, "hyperliquid")
    assert big.maintenance == pytest.approx(200e6 * 0.025 - 1_875_000.0)
    at_floor = cross_margin(Portfolio([Perp("BTC", 1_500.0, 100_000.0)]), market, "hyperliquid")
    just_below = cross_margin(Portfolio([Perp("BTC", 1_500.0 - 1e-6, 100_000.0)]), market, "hyperliquid")
    assert at_floor.maintenance == pytest.approx(150e6 * 0.0125, rel=1e-9)
    assert just_below.maintenance == pytest.approx(at_floor.maintenance, rel=1e-9)


def test_hyperliquid_testnet_btc_table_deductions():
    """Testnet BTC table (Docs): rates 1/80, 1/50, 1/20, 1/10, 1/6 -> deductions by the docs' rule."""
    table = [(0, 40), (10_000, 25), (50_000, 10), (100_000, 5), (300_000, 3)]
    resolved = resolve_tiers(tuple((floor, 1 / (2 * lev)) for floor, lev in table))
    expected = [0.0, 10_000 * (0.02 - 0.0125)]
    expected.append(expected[-1] + 50_000 * (0.05 - 0.02))
    expected.append(expected[-1] + 100_000 * (0.10 - 0.05))
    expected.append(expected[-1] + 300_000 * (1 / 6 - 0.10))
    assert [tier[2] for tier in resolved] == pytest.approx(expected)
    assert expected == pytest.approx([0.0, 75.0, 1_575.0, 6_575.0, 26_575.0])


@FAST
@given(
    floors=st.lists(st.floats(min_value=1e3, max_value=1e9), min_size=1, max_size=6, unique=True),
    rates=st.lists(st.floats(min_value=0.001, max_value=0.5), min_size=7, max_size=7),
)
def test_continuity_rule_makes_maintenance_continuous_at_every_floor(floors, rates):
    floors = [0.0, *sorted(floors)]
    rates = sorted(rates)[: len(floors)]
    resolved = resolve_tiers(tuple(zip(floors, rates, strict=True)))
    for (_, r0, d0, _), (f1, r1, d1, _) in zip(resolved, resolved[1:], strict=False):
        assert f1 * r0 - d0 == pytest.approx(f1 * r1 - d1, rel=1e-9, abs=1e-6)


def test_hyperliquid_wiki_example_20x_asset():
    """$10,000 on a 20x asset (SOL on mainnet): 10x -> IM 1,000, MM 250; 20x -> IM 500, MM 250."""
    market = _one_asset_market("SOL", 100.0)
    at_10x = cross_margin(Portfolio([Perp("SOL", 100.0, 100.0, leverage=10)]), market, "hyperliquid")
    at_20x = cross_margin(Portfolio([Perp("SOL", 100.0, 100.0, leverage=20)]), market, "hyperliquid")
    at_max = cross_margin(Portfolio([Perp("SOL", -100.0, 100.0)]), market, "hyperliquid")
    assert (at_10x.initial, at_10x.maintenance) == pytest.approx((1_000.0, 250.0))
    assert (at_20x.initial, at_20x.maintenance) == pytest.approx((500.0, 250.0))
    assert (at_max.initial, at_max.maintenance) == pytest.approx((500.0, 250.0))


def test_without_tiers_rate_is_half_the_initial_rate_at_max_leverage():
    params = CrossParams(max_leverage={"BTC": 50.0})
    market = _one_asset_market("BTC", 80_000.0)
    result = cross_margin(Portfolio([Perp("BTC", 0.5, 80_000.0, leverage=5)]), market, params)
    assert result.maintenance == pytest.approx(40_000.0 / 100.0)
    assert result.initial == pytest.approx(40_000.0 / 5.0)


# ---------------------------------------------------------------------------------------------
# Binance brackets
# ---------------------------------------------------------------------------------------------

#: Published cum ("maintenance amount") columns of the 2024 bracket snapshot.
BINANCE_BTC_CUM = [0, 50, 950, 11_450, 131_450, 481_450, 2_981_450, 14_481_450, 26_481_450,
                   41_481_450, 121_481_450, 421_481_450]
BINANCE_ETH_CUM = [0, 50, 950, 11_450, 131_450, 381_450, 2_006_450, 9_506_450, 17_506_450,
                   27_506_450, 80_506_450, 280_506_450]


@pytest.mark.parametrize("table, cum", [(presets._BINANCE_BRACKETS["BTC"], BINANCE_BTC_CUM),
                                        (presets._BINANCE_BRACKETS["ETH"], BINANCE_ETH_CUM)])
def test_binance_cum_column_follows_from_floors_and_rates(table, cum):
    """Only (floor, rate) go in; the continuity rule must rebuild Binance's published cum column."""
    resolved = resolve_tiers(tuple((floor, rate) for floor, rate, _, _ in table))
    assert [tier[2] for tier in resolved] == pytest.approx(cum, abs=1e-6)
    assert [row[2] for row in table] == cum  # the preset carries the published column


def test_binance_faq_maintenance_amount_level_3():
    """FAQ (older table): level 3 = 250,000 x (1 % - 0.5 %) + 50 = 1,300 USDT."""
    older = ((0, 0.004), (50_000, 0.005), (250_000, 0.01), (1_000_000, 0.025), (10_000_000, 0.05))
    resolved = resolve_tiers(older)
    assert resolved[2][2] == pytest.approx(1_300.0)
    # The same recursion gives the 16,300 cum of the 2.5 % bracket used in the FAQ's LP example.
    assert resolved[3][2] == pytest.approx(16_300.0)


def test_binance_faq_264k_position_uses_the_1_percent_bracket():
    """FAQ: a 264,000 USDT BTCUSDT position has MMR 1 %, maintenance amount 1,300 (older table)."""
    older = ((0, 0.004), (50_000, 0.005), (250_000, 0.01), (1_000_000, 0.025), (10_000_000, 0.05))
    params = CrossParams(max_leverage={"BTC": 125.0}, maintenance_tiers={"BTC": older})
    market = _one_asset_market("BTC", 40_000.0)
    result = cross_margin(Portfolio([Perp("BTC", 264_000.0 / 40_000.0, 40_000.0)]), market, params)
    assert result.maintenance == pytest.approx(264_000.0 * 0.01 - 1_300.0)


def test_binance_coin_m_example_first_bracket():
    """FAQ: 100 contracts x 100 USD at mark 25,000, MMR 0.4 %, amount 0 -> 0.0016 BTC (= 40 USD)."""
    market = _one_asset_market("BTC", 25_000.0)
    result = cross_margin(Portfolio([Perp("BTC", 10_000.0 / 25_000.0, 25_000.0)]), market, "binance")
    assert result.maintenance / 25_000.0 == pytest.approx(0.0016)


def test_binance_preset_mid_table_bracket():
    """5,000,000 USDT BTCUSDT sits in bracket 4 (1 %, cum 11,450): 50,000 - 11,450."""
    market = _one_asset_market("BTC", 100_000.0)
    result = cross_margin(Portfolio([Perp("BTC", 50.0, 100_000.0)]), market, "binance")
    assert result.maintenance == pytest.approx(5_000_000 * 0.01 - 11_450)


# ---------------------------------------------------------------------------------------------
# The Binance two-position cross liquidation example
# ---------------------------------------------------------------------------------------------

BINANCE_EXAMPLE_PARAMS = CrossParams(
    name="binance-faq",
    max_leverage={"BTC": 125.0, "ETH": 125.0},
    maintenance_tiers={"BTC": [(0, 0.025, 16_300)], "ETH": [(0, 0.10, 135_365)]},
)
BINANCE_EXAMPLE_BOOK = Portfolio(
    [Perp("BTC", 109.488, 32_481.98), Perp("ETH", 3_683.979, 1_456.84)],
    collateral={"USDT": 1_535_443.01},
)
BINANCE_EXAMPLE_MARKET = Market({"BTC": 31_967.27, "ETH": 1_335.18, "USDT": 1.0},
                                {"BTC": 0.6, "ETH": 0.8, "USDT": 0.01})


def _cross_liquidation(book, market, params, asset, low, high):
    """Tiny solver: the price of ``asset`` (others held) where equity = cross maintenance."""

    def excess(price):
        result = cross_margin(book, market.with_prices({asset: price}), params)
        return result.equity - result.maintenance

    return brentq(excess, low, high, xtol=1e-10, rtol=1e-14)


def test_binance_example_intermediates():
    """Published TMM: BTC 71,200.81144, ETH 356,512.508; UPNL BTC -56,354.57, ETH -448,192.89."""
    result = cross_margin(BINANCE_EXAMPLE_BOOK, BINANCE_EXAMPLE_MARKET, BINANCE_EXAMPLE_PARAMS)
    rows = result.breakdown.set_index("asset")
    assert rows.loc["BTC", "maintenance"] == pytest.approx(71_200.81144, abs=1e-3)
    assert rows.loc["ETH", "maintenance"] == pytest.approx(356_512.508, abs=1e-3)
    assert rows.loc["BTC", "equity"] == pytest.approx(-56_354.57, abs=5e-3)
    assert rows.loc["ETH", "equity"] == pytest.approx(-448_192.89, abs=5e-3)
    assert result.equity == pytest.approx(1_535_443.01 - 56_354.57 - 448_192.89, abs=1e-2)


def test_binance_example_eth_liquidation_price():
    """Binance FAQ: LP(ETHUSDT) = 1,153.26 with BTC held at its mark."""
    price = _cross_liquidation(BINANCE_EXAMPLE_BOOK, BINANCE_EXAMPLE_MARKET, BINANCE_EXAMPLE_PARAMS,
                               "ETH", 100.0, 1_335.18)
    assert price == pytest.approx(1_153.26, abs=0.005)


def test_binance_example_btc_liquidation_price():
    """Binance FAQ: LP(BTCUSDT) = 26,316.89 with ETH held at its mark."""
    price = _cross_liquidation(BINANCE_EXAMPLE_BOOK, BINANCE_EXAMPLE_MARKET, BINANCE_EXAMPLE_PARAMS,
                               "BTC", 1_000.0, 31_967.27)
    assert price == pytest.approx(26_316.89, abs=0.005)


# ---------------------------------------------------------------------------------------------
# Hyperliquid isolated liquidation prices (exchange-returned, via freqtrade's tests)
# ---------------------------------------------------------------------------------------------

# (asset, side, entry price, contracts, isolated collateral USDC, leverage, published liq price)
HYPERLIQUID_ROWS = [
    ("ETH", "long", 2458.5, 0.015, 36.864593, 1.0, 0.86915825),
    ("BTC", "long", 63287.0, 0.00039, 24.673292, 1.0, 22.37166537),
    ("SOL", "long", 146.82, 0.16, 23.482979, 1.0, 0.05269872),
    ("SOL", "long", 145.83, 0.33, 24.045107, 2.0, 74.83696193),
    ("ETH", "long", 2459.5, 0.0199, 24.454895, 2.0, 1243.0411908),
    ("BTC", "long", 62739.0, 0.00077, 24.137992, 2.0, 31708.03843631),
    ("DOGE", "long", 0.11586, 437.0, 25.29769, 2.0, 0.05945697),
    ("ETH", "short", 2642.8, 0.019, 25.091876, 2.0, 3924.18322043),
    ("SOL", "short", 155.89, 0.32, 24.924941, 2.0, 228.07847866),
    ("DOGE", "short", 0.14333, 351.0, 25.136807, 2.0, 0.20970228),
    ("BTC", "short", 68595.0, 0.00069, 23.64871, 2.0, 101849.99354283),
    ("BTC", "short", 65536.0, 0.00099, 21.604172, 3.0, 86493.46174617),
    ("SOL", "long", 173.06, 0.6, 20.735658, 5.0, 142.05186667),
    ("ETH", "long", 2545.5, 0.0329, 20.909894, 4.0, 1929.23322895),
    ("BTC", "short", 67400.0, 0.00031, 20.887308, 1.0, 133443.97317151),
    ("ETH", "short", 2552.0, 0.0327, 20.833393, 4.0, 3157.53150453),
    ("BTC", "long", 66930.0, 0.0015, 20.043862, 5.0, 54108.51043771),
    ("BTC", "long", 67033.0, 0.00121, 20.251817, 4.0, 50804.00091827),
    ("ETH", "long", 2521.9, 0.0237, 19.902091, 3.0, 1699.14071943),
    ("BTC", "short", 68139.0, 0.00145, 19.72573, 5.0, 80933.61590987),
    ("SOL", "short", 178.29, 0.11, 19.605036, 1.0, 347.82205322),
    ("SOL", "long", 176.23, 0.33, 19.364946, 3.0, 120.56240404),
    ("SOL", "short", 173.08, 0.33, 19.01881, 3.0, 225.08561715),
    ("BTC", "short", 68240.0, 0.00105, 17.887922, 4.0, 84431.79820839),
    ("ETH", "short", 2518.4, 0.007, 17.62263, 1.0, 4986.05799151),
    ("ETH", "long", 2533.2, 0.0347, 17.555195, 5.0, 2047.7642302),
    ("DOGE", "long", 0.13284, 360.0, 15.943218, 3.0, 0.09082388),
    ("SOL", "short", 163.11, 0.48, 15.650731, 5.0, 190.94213618),
    ("BTC", "long", 67141.0, 0.00067, 14.979079, 3.0, 45236.52992613),
]
HL_2024_PARAMS = CrossParams(name="hyperliquid-2024",
                             max_leverage={"BTC": 50.0, "ETH": 50.0, "SOL": 20.0, "DOGE": 20.0})


@pytest.mark.parametrize("asset, side, entry, size, collateral, leverage, published", HYPERLIQUID_ROWS)
def test_hyperliquid_isolated_liquidation_price(asset, side, entry, size, collateral, leverage, published):
    qty = size if side == "long" else -size
    book = Portfolio([Perp(asset, qty, entry, leverage=leverage, isolated_margin=collateral)])
    market = Market({asset: entry}, {asset: 0.6})

    def excess(price):
        result = isolated_margin(book, market.with_prices({asset: price}), asset, HL_2024_PARAMS)
        return result.equity - result.maintenance

    assert excess(entry) > 0  # healthy at entry
    low, high = (entry * 1e-9, entry) if side == "long" else (entry, entry * 100)
    price = brentq(excess, low, high, xtol=1e-14, rtol=1e-14)
    assert price == pytest.approx(published, rel=1e-4)


def test_isolated_margin_defaults_to_entry_notional_over_leverage():
    market = _one_asset_market("BTC", 90_000.0)
    book = Portfolio([Perp("BTC", 0.5, 100_000.0, leverage=10)], collateral={"USDC": 1e6})
    result = isolated_margin(book, market, "BTC", "hyperliquid")
    held = 0.5 * 100_000.0 / 10
    assert result.equity == pytest.approx(held + 0.5 * (90_000.0 - 100_000.0))  # the USDC does not help
    assert result.maintenance == pytest.approx(0.5 * 90_000.0 * 0.0125)


def test_isolated_margin_needs_a_linear_position():
    market = _one_asset_market("BTC", 90_000.0)
    with pytest.raises(PortfolioError):
        isolated_margin(Portfolio([Spot("BTC", 1.0)]), market, "BTC")


# ---------------------------------------------------------------------------------------------
# Options, borrows, haircuts, futures, empty books
# ---------------------------------------------------------------------------------------------

OPTION_CASES = [
    # kind, strike: OTM call (floor binds), near OTM call, ITM call, OTM put (floor), near OTM put, ITM put
    ("call", 100_000.0), ("call", 92_000.0), ("call", 80_000.0),
    ("put", 70_000.0), ("put", 86_000.0), ("put", 95_000.0),
]


@pytest.mark.parametrize("kind, strike", OPTION_CASES)
@pytest.mark.parametrize("preset", ["hyperliquid", "binance", "deribit"])
def test_deribit_short_option_margin_by_hand(kind, strike, preset):
    """IM = max(0.15 - OTM/S, 0.10) S + mark, MM = 0.075 S + mark, per short contract."""
    spot, vol, days, qty = 88_000.0, 0.55, 30.0, -2.0
    market = Market({"BTC": spot, "USDC": 1.0}, {"BTC": vol, "USDC": 0.01})
    book = Portfolio([Option("BTC", kind, strike, days, qty)], collateral={"USDC": 50_000.0})
    mark = _black76(spot, strike, vol, days / 365, kind == "call")
    otm = max(strike - spot, 0.0) if kind == "call" else max(spot - strike, 0.0)
    initial = 2 * (max(0.15 - otm / spot, 0.10) * spot + mark)
    maintenance = 2 * (0.075 * spot + mark)
    result = cross_margin(book, market, preset)
    assert result.initial == pytest.approx(initial, rel=1e-9)
    assert result.maintenance == pytest.approx(maintenance, rel=1e-9)
    assert result.equity == pytest.approx(50_000.0 - 2 * mark, rel=1e-9)


def test_long_options_need_no_margin():
    market = Market({"BTC": 88_000.0, "USDC": 1.0}, {"BTC": 0.55, "USDC": 0.01})
    book = Portfolio([Option("BTC", "call", 95_000.0, 30, 3.0), Option("BTC", "put", 80_000.0, 60, 1.0)])
    result = cross_margin(book, market)
    assert result.initial == 0.0 and result.maintenance == 0.0
    expected = 3 * _black76(88_000.0, 95_000.0, 0.55, 30 / 365, True) + _black76(88_000.0, 80_000.0, 0.55, 60 / 365, False)
    assert result.equity == pytest.approx(expected, rel=1e-9)


def test_borrow_margin_on_negative_spot():
    """A borrow counts in full in equity and pays rate x |USD value| (defaults 20 % / 10 %)."""
    market = Market({"ETH": 3_000.0, "USDC": 1.0}, {"ETH": 0.7, "USDC": 0.01})
    book = Portfolio([Spot("ETH", -10.0)], collateral={"USDC": 40_000.0})
    params = CrossParams(borrow_initial_rate=0.2, borrow_maintenance_rate=0.1, haircuts={"ETH": 0.5})
    result = cross_margin(book, market, params)
    assert result.initial == pytest.approx(0.2 * 30_000.0)
    assert result.maintenance == pytest.approx(0.1 * 30_000.0)
    assert result.equity == pytest.approx(40_000.0 - 30_000.0)  # no haircut on a debt


def test_collateral_haircuts():
    market = default_market()
    book = Portfolio([], collateral={"BTC": 1.0, "SOL": 100.0, "USDT": 1_000.0, "DOGE": 10_000.0})
    params = CrossParams(haircuts={"BTC": 0.05, "SOL": 0.10}, default_haircut=0.20)
    result = cross_margin(book, market, params)
    p = market.prices
    expected = (0.95 * p["BTC"] + 0.90 * 100 * p["SOL"] + 1_000 * p["USDT"]  # stablecoin: no haircut
                + 0.80 * 10_000 * p["DOGE"])
    assert result.equity == pytest.approx(expected, rel=1e-12)
    assert result.maintenance == 0.0
    # Binance preset: BTC at 95 % (ASSUMPTION documented in the preset).
    assert cross_margin(Portfolio([], {"BTC": 2.0}), market, "binance").equity == pytest.approx(1.9 * p["BTC"])


def test_collateral_equals_spot_position():
    market = default_market()
    as_collateral = cross_margin(Portfolio([], {"ETH": 5.0}), market, "binance")
    as_spot = cross_margin(Portfolio([Spot("ETH", 5.0)]), market, "binance")
    assert as_collateral.equity == pytest.approx(as_spot.equity)


def test_future_is_marked_with_basis():
    """Future mark = spot x exp(basis x days / 365); notional and P&L at the mark."""
    spot, basis, days = 80_000.0, 0.08, 90.0
    market = Market({"BTC": spot}, {"BTC": 0.5}, basis={"BTC": basis})
    mark = spot * math.exp(basis * days / 365)
    book = Portfolio([Future("BTC", -2.0, 81_000.0, days, leverage=5)])
    result = cross_margin(book, market, CrossParams(max_leverage={"BTC": 25.0}))
    assert result.equity == pytest.approx(-2.0 * (mark - 81_000.0))
    assert result.maintenance == pytest.approx(2 * mark * 0.02)
    assert result.initial == pytest.approx(2 * mark / 5)


@pytest.mark.parametrize("preset", ["hyperliquid", "binance", "deribit"])
def test_empty_book_costs_nothing(preset):
    result = cross_margin(Portfolio(), default_market(), preset)
    assert (result.initial, result.maintenance, result.equity) == (0.0, 0.0, 0.0)


def test_breakdown_adds_up():
    market = default_market()
    book = Portfolio([Perp("BTC", 1.0, 88_000.0, leverage=10), Perp("ETH", -30.0, 2_900.0),
                      Option("BTC", "call", 100_000.0, 30, -1.0), Spot("ETH", 5.0), Spot("SOL", -20.0)],
                     collateral={"USDC": 20_000.0})
    result = cross_margin(book, market)
    assert result.breakdown["maintenance"].sum() == pytest.approx(result.maintenance)
    assert result.breakdown["initial"].sum() == pytest.approx(result.initial)
    assert result.breakdown["equity"].sum() == pytest.approx(result.equity)


# ---------------------------------------------------------------------------------------------
# Properties on random books
# ---------------------------------------------------------------------------------------------

ASSETS = ["BTC", "ETH", "SOL", "DOGE"]
_PRICES = default_market().prices


@st.composite
def positions(draw):
    asset = draw(st.sampled_from(ASSETS))
    spot = _PRICES[asset]
    kind = draw(st.sampled_from(["perp", "future", "option", "spot"]))
    qty = draw(st.floats(min_value=-50.0, max_value=50.0).filter(lambda q: abs(q) > 1e-3))
    scale = 1.0 / spot * 1e4  # keep notionals between ~10 USD and ~5M USD
    qty *= scale
    entry = spot * draw(st.floats(min_value=0.5, max_value=1.5))
    if kind == "perp":
        leverage = draw(st.one_of(st.none(), st.floats(min_value=1.0, max_value=100.0)))
        return Perp(asset, qty, entry, leverage=leverage)
    if kind == "future":
        return Future(asset, qty, entry, draw(st.floats(min_value=0.0, max_value=365.0)))
    if kind == "option":
        return Option(asset, draw(st.sampled_from(["call", "put"])), spot * draw(st.floats(0.5, 1.8)),
                      draw(st.floats(min_value=0.0, max_value=365.0)), qty)
    return Spot(asset, qty)


books = st.builds(
    lambda ps, usdc: Portfolio(ps, collateral={"USDC": usdc}),
    st.lists(positions(), min_size=0, max_size=6),
    st.floats(min_value=0.0, max_value=1e6),
)


@FAST
@given(book=books, preset=st.sampled_from(["hyperliquid", "binance", "deribit"]))
def test_requirement_non_negative_and_initial_at_least_maintenance(book, preset):
    result = cross_margin(book, default_market(), preset)
    assert result.maintenance >= 0.0
    assert result.initial >= result.maintenance - 1e-9 * max(1.0, result.maintenance)
    assert math.isfinite(result.equity)


@FAST
@given(book=books, shock=st.floats(min_value=-1.0, max_value=1.0),
       preset=st.sampled_from(["hyperliquid", "binance", "deribit"]))
def test_cross_margin_ignores_correlation(book, shock, preset):
    market = default_market()
    base = cross_margin(book, market, preset)
    shocked = cross_margin(book, market.shocked(corr_shock=shock), preset)
    assert (shocked.initial, shocked.maintenance, shocked.equity) == (base.initial, base.maintenance, base.equity)


@FAST
@given(book=books, vol_mult=st.floats(min_value=0.2, max_value=5.0))
def test_volatility_moves_cross_only_through_option_marks(book, vol_mult):
    """Without options, a vol shock changes nothing in cross margin ("indirect" effect only)."""
    linear = book.with_positions([p for p in book.positions if not isinstance(p, Option)])
    market = default_market()
    base = cross_margin(linear, market)
    shocked = cross_margin(linear, market.shocked(vol_mult=vol_mult))
    assert (shocked.initial, shocked.maintenance, shocked.equity) == (base.initial, base.maintenance, base.equity)


def test_vol_shock_raises_cross_requirement_of_short_options():
    market = default_market()
    book = Portfolio([Option("BTC", "call", 100_000.0, 30, -1.0), Option("BTC", "put", 75_000.0, 30, -1.0)])
    calm = cross_margin(book, market)
    stressed = cross_margin(book, market.shocked(vol_mult=2.0))
    assert stressed.maintenance > calm.maintenance
    assert stressed.equity < calm.equity
    assert np.isclose(stressed.maintenance - calm.maintenance, calm.equity - stressed.equity)


# ---------------------------------------------------------------------------------------------
# One position per instrument (docs/model.md, "Cross-margin tiers apply to the whole position on an
# instrument"): venues hold one position per symbol in one-way mode and take the bracket from its
# whole notional, so splitting a position into rows changes nothing.
# ---------------------------------------------------------------------------------------------

#: BTC at the default market's price, where the issue's numbers were measured.
BTC_PRICE = 87_959.907984


def test_binance_200_btc_is_one_position_whatever_the_rows():
    """200 BTC x 87,959.91 = 17,591,981.60 USD: bracket 12M-70M (2 %, cum 131,450) ->
    351,839.63 - 131,450 = 220,389.63; IM at that bracket's 25x = 703,679.26. Counted row by row,
    200 rows of 1 BTC sat in the 0.5 % bracket: 200 x (439.80 - 50) = 77,959.91 and IM at 100x."""
    market = _one_asset_market("BTC", BTC_PRICE)
    one = cross_margin(Portfolio([Perp("BTC", 200.0, BTC_PRICE)]), market, "binance")
    rows = cross_margin(Portfolio([Perp("BTC", 1.0, BTC_PRICE)] * 200), market, "binance")
    notional = 200 * BTC_PRICE
    assert one.maintenance == pytest.approx(notional * 0.02 - 131_450, rel=1e-12)
    assert one.maintenance == pytest.approx(220_389.63, abs=0.005)
    assert one.initial == pytest.approx(notional / 25, rel=1e-12)
    assert rows.maintenance == pytest.approx(one.maintenance, rel=1e-12)
    assert rows.initial == pytest.approx(one.initial, rel=1e-12)
    # the breakdown shares the position's maintenance by size: 1/200 each
    assert rows.breakdown["maintenance"].iloc[:200].to_numpy() == pytest.approx(np.full(200, one.maintenance / 200))


def test_hyperliquid_2000_btc_is_one_position_in_the_150m_tier():
    """2,000 BTC = 175.9M USD, above the 150M floor: 175.9M x 2.5 % - 1,875,000 = 2,522,995.40
    (IM at 20x) as one row or two rows of 1,000 (row by row each was 87.96M x 1.25 %: 2,198,997.70)."""
    market = _one_asset_market("BTC", BTC_PRICE)
    one = cross_margin(Portfolio([Perp("BTC", 2_000.0, BTC_PRICE)]), market, "hyperliquid")
    two = cross_margin(Portfolio([Perp("BTC", 1_000.0, BTC_PRICE)] * 2), market, "hyperliquid")
    assert one.maintenance == pytest.approx(2_000 * BTC_PRICE * 0.025 - 1_875_000, rel=1e-12)
    assert one.maintenance == pytest.approx(2_522_995.40, abs=0.005)
    assert one.initial == pytest.approx(2_000 * BTC_PRICE / 20, rel=1e-12)
    assert (two.initial, two.maintenance) == pytest.approx((one.initial, one.maintenance), rel=1e-12)
    isolated_one = isolated_margin(Portfolio([Perp("BTC", 2_000.0, BTC_PRICE)]), market, "BTC", "hyperliquid")
    isolated_two = isolated_margin(Portfolio([Perp("BTC", 1_000.0, BTC_PRICE)] * 2), market, "BTC", "hyperliquid")
    assert isolated_two.maintenance == pytest.approx(isolated_one.maintenance, rel=1e-12)
    assert isolated_two.initial == pytest.approx(isolated_one.initial, rel=1e-12)


def test_rows_of_opposite_sign_net_into_one_position():
    """One-way mode: a long 2 and a short 1 on one perp are a long 1 position; the short row was
    closed into it and carries no margin, the long row carries the whole long 1."""
    market = _one_asset_market("BTC", BTC_PRICE)
    netted = cross_margin(Portfolio([Perp("BTC", 2.0, 80_000.0, leverage=10), Perp("BTC", -1.0, 90_000.0)]),
                          market, "binance")
    single = cross_margin(Portfolio([Perp("BTC", 1.0, 80_000.0, leverage=10)]), market, "binance")
    assert (netted.initial, netted.maintenance) == pytest.approx((single.initial, single.maintenance), rel=1e-12)
    assert netted.maintenance == pytest.approx(BTC_PRICE * 0.005 - 50, rel=1e-12)
    rows = netted.breakdown.iloc[:2]
    assert rows["maintenance"].tolist() == pytest.approx([netted.maintenance, 0.0])
    assert rows["initial"].tolist() == pytest.approx([netted.initial, 0.0])
    # ... while the P&L of both rows still counts, each at its own entry
    assert netted.equity == pytest.approx(2 * (BTC_PRICE - 80_000) - (BTC_PRICE - 90_000), rel=1e-12)
    # a flat instrument needs nothing
    flat = cross_margin(Portfolio([Perp("BTC", 3.0, BTC_PRICE), Perp("BTC", -1.0, BTC_PRICE),
                                   Perp("BTC", -2.0, BTC_PRICE)]), market, "hyperliquid")
    assert (flat.initial, flat.maintenance) == (0.0, 0.0)


def test_net_side_rows_share_the_position_by_size_at_their_own_leverage():
    """Long 3 at 10x and long 1 at 2x, short 2: the long 2 left is 3/4 and 1/4 of each long row."""
    market = _one_asset_market("BTC", BTC_PRICE)
    book = Portfolio([Perp("BTC", 3.0, BTC_PRICE, leverage=10), Perp("BTC", 1.0, BTC_PRICE, leverage=2),
                      Perp("BTC", -2.0, BTC_PRICE)])
    result = cross_margin(book, market, "binance")
    position_mm = 2 * BTC_PRICE * 0.005 - 50
    rows = result.breakdown.iloc[:3]
    assert rows["maintenance"].tolist() == pytest.approx([0.75 * position_mm, 0.25 * position_mm, 0.0])
    assert rows["initial"].tolist() == pytest.approx([1.5 * BTC_PRICE / 10, 0.5 * BTC_PRICE / 2, 0.0])
    assert result.maintenance == pytest.approx(position_mm)


def test_different_instruments_are_not_merged():
    """A perp and futures of two expiries on BTC are three positions: 3 x 88M each stay under
    Hyperliquid's 150M floor (merged they would be 264M, in the 2.5 % tier), and a long perp is not
    netted against a short future."""
    market = Market({"BTC": 88_000.0, "USDC": 1.0}, {"BTC": 0.5, "USDC": 0.01}, basis={"BTC": 0.06})
    positions_ = [Perp("BTC", 1_000.0, 88_000.0), Future("BTC", 1_000.0, 88_000.0, 30),
                  Future("BTC", -1_000.0, 88_000.0, 90)]
    together = cross_margin(Portfolio(positions_), market, "hyperliquid")
    alone = [cross_margin(Portfolio([p]), market, "hyperliquid") for p in positions_]
    assert together.maintenance == pytest.approx(sum(r.maintenance for r in alone), rel=1e-12)
    assert together.initial == pytest.approx(sum(r.initial for r in alone), rel=1e-12)
    marks = [88_000.0 * math.exp(0.06 * d / 365) for d in (0, 30, 90)]
    assert together.maintenance == pytest.approx(sum(1_000 * m * 0.0125 for m in marks), rel=1e-12)
    # a future expiring today is still not the perp
    today = cross_margin(Portfolio([Perp("BTC", 1_000.0, 88_000.0), Future("BTC", -1_000.0, 88_000.0, 0)]),
                         market, "hyperliquid")
    assert today.maintenance == pytest.approx(2 * 88e6 * 0.0125, rel=1e-12)


SPLIT_MARKET = Market({"BTC": 88_000.0, "ETH": 2_900.0, "SOL": 138.0, "USDC": 1.0},
                      {"BTC": 0.55, "ETH": 0.7, "SOL": 0.85, "USDC": 0.01},
                      {("BTC", "ETH"): 0.85, ("BTC", "SOL"): 0.7, ("ETH", "SOL"): 0.6},
                      {"BTC": 0.05, "ETH": 0.03})


@st.composite
def linear_rows(draw):
    """A perp or a future (two expiries, so rows collide on an instrument) of 1,000 USD to 400M USD
    notional: every Binance bracket up to 320M and Hyperliquid's second BTC/ETH/SOL tiers."""
    asset = draw(st.sampled_from(["BTC", "ETH", "SOL"]))
    spot = SPLIT_MARKET.prices[asset]
    qty = draw(st.sampled_from([1.0, -1.0])) * 10 ** draw(st.floats(min_value=3.0, max_value=8.6)) / spot
    entry = spot * draw(st.floats(min_value=0.8, max_value=1.2))
    leverage = draw(st.one_of(st.none(), st.sampled_from([1.0, 3.0, 10.0, 50.0])))
    expiry = draw(st.sampled_from([None, 30.0, 90.0]))
    if expiry is None:
        return Perp(asset, qty, entry, leverage=leverage)
    return Future(asset, qty, entry, expiry, leverage=leverage)


@st.composite
def split_cases(draw):
    """(book, the same book with one perp/future row split into k rows of its side, that row)."""
    rows = draw(st.lists(linear_rows(), min_size=1, max_size=4))
    gross = sum(abs(p.qty) * SPLIT_MARKET.prices[p.asset] for p in rows)
    book = Portfolio(rows, collateral={"USDC": gross * draw(st.floats(min_value=0.0, max_value=0.6))})
    index = draw(st.integers(min_value=0, max_value=len(rows) - 1))
    fractions = draw(st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=2, max_size=6))
    row = rows[index]
    pieces = [dataclasses.replace(row, qty=row.qty * f / sum(fractions)) for f in fractions]
    split = book.with_positions([*rows[:index], *pieces, *rows[index + 1:]])
    return book, split, row, gross


def _on_a_tier_floor(book: Portfolio, preset: str) -> bool:
    """Whether an instrument's net notional sits on a tier floor (within 1e-9): there the tier's max
    leverage jumps, and a split's last-bit rounding of the net quantity may pick either side."""
    net: dict[tuple, float] = {}
    for p in book.positions:
        key = (p.asset, getattr(p, "expiry_days", None))
        net[key] = net.get(key, 0.0) + p.qty
    for (asset, days), qty in net.items():
        mark = SPLIT_MARKET.prices[asset] * math.exp(SPLIT_MARKET.basis.get(asset, 0.0) * (days or 0.0) / 365)
        floors = [tier[0] for tier in CROSS_PRESETS[preset].tiers_for(asset) if tier[0] > 0]
        if any(abs(abs(qty) * mark / floor - 1.0) < 1e-9 for floor in floors):
            return True
    return False


@FAST
@given(case=split_cases(), preset=st.sampled_from(sorted(CROSS_PRESETS)))
def test_splitting_a_row_changes_no_requirement(case, preset):
    book, split, row, gross = case
    assume(not _on_a_tier_floor(book, preset))
    tolerance = {"rel": 1e-9, "abs": 1e-12 * gross}  # a net of ~0 may come back as ~1e-16 of gross
    for whole, parts in ((cross_margin(book, SPLIT_MARKET, preset), cross_margin(split, SPLIT_MARKET, preset)),
                         (isolated_margin(book, SPLIT_MARKET, row.asset, preset),
                          isolated_margin(split, SPLIT_MARKET, row.asset, preset))):
        assert parts.maintenance == pytest.approx(whole.maintenance, **tolerance)
        assert parts.initial == pytest.approx(whole.initial, **tolerance)
        assert parts.equity == pytest.approx(whole.equity, **tolerance)
        assert parts.breakdown["maintenance"].sum() == pytest.approx(parts.maintenance, **tolerance)


@FAST
@given(case=split_cases(), preset=st.sampled_from(sorted(CROSS_PRESETS)),
       mode=st.sampled_from(["cross", "isolated"]))
def test_splitting_a_row_changes_no_liquidation_price(case, preset, mode):
    book, split, row, _ = case
    whole = liquidation_prices(book, SPLIT_MARKET, row.asset, mode, preset)
    parts = liquidation_prices(split, SPLIT_MARKET, row.asset, mode, preset)
    assert parts["already"] == whole["already"]
    for side in ("below", "above"):
        assert (parts[side] is None) == (whole[side] is None)
        if whole[side] is not None:
            assert parts[side] == pytest.approx(whole[side], rel=1e-7)


@pytest.mark.parametrize("preset", sorted(CROSS_PRESETS))
@pytest.mark.parametrize("mode", ["cross", "isolated"])
def test_merged_tiers_at_many_prices_at_once_match_one_price_at_a_time(preset, mode):
    """The vectorised path (the liquidation search's) takes each trial price's tier from the whole
    position, as single-price calls do, across tier floors."""
    book = Portfolio([Perp("BTC", 900.0, 88_000.0), Perp("BTC", 900.0, 87_000.0, leverage=5),
                      Perp("BTC", -200.0, 89_000.0), Future("BTC", 500.0, 86_000.0, 30), Perp("ETH", 2e4, 2_900.0)],
                     collateral={"USDC": 5e7})
    prices = np.geomspace(20_000.0, 300_000.0, 37)
    curves = margin_curves(book, SPLIT_MARKET, "BTC", prices, modes=(mode,), params={mode: preset})
    for price, maintenance in zip(prices, curves[f"maintenance_{mode}"], strict=True):
        market = SPLIT_MARKET.with_prices({"BTC": price})
        one = (cross_margin(book, market, preset) if mode == "cross"
               else isolated_margin(book, market, "BTC", preset))
        assert maintenance == pytest.approx(one.maintenance, rel=1e-12)



# Binance publishes each bracket's max leverage apart from its maintenance rate (GET
# /fapi/v1/leverageBracket, snapshot of 2024-10-24 in freqtrade's binance_leverage_tiers.json).


def test_binance_max_leverage_is_the_published_figure_not_one_over_twice_the_rate():
    """BTCUSDT 600,000-3,000,000 USD: 0.65 % and 75x (1 / (2 x 0.65 %) would be 76.9x)."""
    from margin.presets import BINANCE

    btc = 1_000_000.0 / 88_000.0  # a 1M USD position sits in the 0.65 % bracket
    market = Market({"BTC": 88_000.0}, {"BTC": 0.5})
    result = cross_margin(Portfolio([Perp("BTC", btc, 88_000.0, leverage=100)]), market, BINANCE)
    assert result.initial == pytest.approx(1_000_000.0 / 75.0)
    assert result.maintenance == pytest.approx(1_000_000.0 * 0.0065 - 950.0)


def test_binance_1000pepeusdt_first_bracket_is_75x_at_0_65_percent():
    from margin.presets import BINANCE

    market = Market({"PEPE": 0.00001}, {"PEPE": 1.0})
    result = cross_margin(Portfolio([Perp("PEPE", 1e9, 0.00001)]), market, BINANCE)  # 10,000 USD
    assert result.initial == pytest.approx(10_000.0 / 75.0)
    assert result.maintenance == pytest.approx(10_000.0 * 0.0065)


def test_binance_published_maintenance_amounts_follow_the_continuity_rule():
    """Binance FAQ: maintenance amount(n) = amount(n-1) + floor(n) x (rate(n) - rate(n-1)); every
    published 'cum' of the snapshot satisfies it, so the engine's rule and Binance's numbers agree."""
    from margin.params import resolve_tiers
    from margin.presets import _BINANCE_BRACKETS

    for asset, brackets in _BINANCE_BRACKETS.items():
        rebuilt = resolve_tiers(tuple((floor, rate) for floor, rate, _, _ in brackets))
        for (_, _, published, _), (_, _, derived, _) in zip(brackets, rebuilt, strict=True):
            assert derived == pytest.approx(published, abs=1e-6), asset


def test_a_long_and_a_short_of_one_option_are_no_position():
    """A venue holds one position per instrument: buying back a short option closes it, so cross margin
    (Deribit's standard margin per short option) falls to nothing, whatever row the trade sits in; rows of
    different strikes, expiries or settlements do not net."""
    market = Market({"ETH": 2_920.0, "USDC": 1.0}, {"ETH": 0.7, "USDC": 0.01})
    short = Option("ETH", "call", 3_400.0, 30.0, -10.0)
    closed = Portfolio([Spot("ETH", 10.0), short, Option("ETH", "call", 3_400.0, 30.0, 10.0)], {"USDC": 5_000.0})
    result = cross_margin(closed, market, "deribit")
    assert result.initial == 0.0 and result.maintenance == 0.0
    half = Portfolio([short, Option("ETH", "call", 3_400.0, 30.0, 4.0)])
    assert cross_margin(half, market, "deribit").maintenance == pytest.approx(
        cross_margin(Portfolio([Option("ETH", "call", 3_400.0, 30.0, -6.0)]), market, "deribit").maintenance)
    for other in (Option("ETH", "call", 3_500.0, 30.0, 10.0), Option("ETH", "call", 3_400.0, 31.0, 10.0),
                  Option("ETH", "put", 3_400.0, 30.0, 10.0),
                  Option("ETH", "call", 3_400.0, 30.0, 10.0, settlement="coin")):
        assert cross_margin(Portfolio([short, other]), market, "deribit").maintenance == pytest.approx(
            cross_margin(Portfolio([short]), market, "deribit").maintenance)
