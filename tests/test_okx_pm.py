"""The "okx" portfolio preset reproduces OKX's own worked example.

Source: OKX API v5 reference, "Position builder (new)", POST /api/v5/account/position-builder
(www.okx.com/docs-v5/en/#trading-account-rest-api-position-builder-new), example response with
ts 1736936801642 (2025-01-15). A short of 10 BTC-USDT-SWAP contracts (0.01 BTC each: 0.1 BTC) and a
long of 10 LTC-USDT-SWAP contracts (1 LTC each):

    BTC unit: mr1 1164.4109244719994 (spot shock +12 %), mr6 1164.4109244720 (half the loss at +/-24 %),
              mr4 19.4098073796, mmr 1183.8207318516002, imr 1538.9669514070802
    LTC unit: mr1 183.50672805719995 (spot shock -18 %), mr6 183.5067280572 (half the loss at -36 %),
              mr4 8.1562464, mmr 191.6629744572, imr 249.16186679436
    derivMmr 1375.4837063088003 = the sum of the units (no offset between underlyings).

The example shocks BTC from 97,034.2437 USD (mr1 / 0.12 / 0.1) and states its delta at a mark of
97,049.0369 (delta / 0.1): one price serves both here, so the BTC unit agrees to 3e-6 of its value
(mr4 is 0.2 % of a delta 0.015 % higher). LTC likewise: shocked from 101.948182, delta at 101.95308.
"""

import pytest

from margin import Market, Perp, Portfolio, portfolio_margin
from margin.presets import OKX_PM

BTC_PRICE = 1164.4109244719994 / 0.12 / 0.1
LTC_PRICE = 183.50672805719995 / 0.18 / 10


def _units():
    market = Market({"BTC": BTC_PRICE, "LTC": LTC_PRICE}, {"BTC": 0.5, "LTC": 0.8}, {("BTC", "LTC"): 0.7})
    btc = portfolio_margin(Portfolio([Perp("BTC", -0.1, 100_000.0)]), market, OKX_PM)
    ltc = portfolio_margin(Portfolio([Perp("LTC", 10.0, 80.0)]), market, OKX_PM)
    both = portfolio_margin(Portfolio([Perp("BTC", -0.1, 100_000.0), Perp("LTC", 10.0, 80.0)]), market, OKX_PM)
    return btc, ltc, both


def test_okx_position_builder_example_per_risk_unit():
    btc, ltc, _ = _units()
    assert btc.details["scenario_loss"] == pytest.approx(1164.4109244719994, rel=1e-12)  # max(MR1, MR6)
    assert btc.maintenance == pytest.approx(1183.8207318516002, rel=3e-6)
    assert btc.initial == pytest.approx(1538.9669514070802, rel=3e-6)
    assert ltc.details["scenario_loss"] == pytest.approx(183.50672805719995, rel=1e-12)
    assert ltc.maintenance == pytest.approx(191.6629744572, rel=3e-6)
    assert ltc.initial == pytest.approx(249.16186679436, rel=3e-6)


def test_okx_sums_risk_units_without_offsets():
    btc, ltc, both = _units()
    assert both.maintenance == pytest.approx(btc.maintenance + ltc.maintenance, rel=1e-12)
    assert both.maintenance == pytest.approx(1375.4837063088003, rel=3e-6)  # derivMmr


def test_okx_extreme_move_counts_half_its_loss():
    """mr6 = half the loss at the extreme move: BTC 2328.82 at +24 % gives 1164.41."""
    _, ltc, _ = _units()
    market = Market({"LTC": LTC_PRICE}, {"LTC": 0.8})
    grid_only = portfolio_margin(Portfolio([Perp("LTC", 10.0, 80.0)]), market, OKX_PM.with_changes(extreme_fraction=0.0))
    assert grid_only.details["scenario_loss"] == pytest.approx(0.18 * 10 * LTC_PRICE, rel=1e-12)  # MR1
    extreme_only = portfolio_margin(Portfolio([Perp("LTC", 10.0, 80.0)]), market,
                                    OKX_PM.with_changes(price_steps=3, price_range={"LTC": 0.036}, extreme_multiple=10.0))
    assert extreme_only.details["scenario_loss"] == pytest.approx(183.5067280572, rel=1e-12)  # MR6: half of 367.01
