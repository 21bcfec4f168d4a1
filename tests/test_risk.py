"""VaR lens: Hull's two-asset delta-normal example, and Monte Carlo agreeing on a linear book."""

import math

import pytest
from scipy.stats import norm

from margin import Market, Option, Perp, Portfolio, Spot, value_at_risk
from margin.risk import simulate_pnl

# Hull, Risk Management and Financial Institutions (3rd ed.), model-building approach, two-asset example:
# $10m Microsoft (daily vol 2 %) and $5m AT&T (daily vol 1 %), rho = 0.3, z = 2.33.
# Published: daily SD 220,227; 10-day 99 % VaR 1,622,657; Microsoft alone 1,473,621; AT&T alone 368,405.
HULL = Market({"MSFT": 100.0, "T": 50.0}, {"MSFT": 0.02 * math.sqrt(365), "T": 0.01 * math.sqrt(365)},
              {("MSFT", "T"): 0.3})
Z_233 = norm.cdf(2.33)


def test_hull_two_asset_portfolio_var():
    book = Portfolio([Spot("MSFT", 100_000.0), Spot("T", 100_000.0)])
    assert value_at_risk(book, HULL, confidence=Z_233, horizon_days=10) == pytest.approx(1_622_657, abs=2)


@pytest.mark.parametrize(("asset", "published"), [("MSFT", 1_473_621), ("T", 368_405)])
def test_hull_single_asset_var(asset, published):
    book = Portfolio([Spot(asset, 100_000.0)])
    assert value_at_risk(book, HULL, confidence=Z_233, horizon_days=10) == pytest.approx(published, abs=2)


def test_hull_diversification_benefit():
    together = value_at_risk(Portfolio([Spot("MSFT", 1e5), Spot("T", 1e5)]), HULL, confidence=Z_233, horizon_days=10)
    apart = sum(value_at_risk(Portfolio([Spot(a, 1e5)]), HULL, confidence=Z_233, horizon_days=10) for a in ("MSFT", "T"))
    assert apart - together == pytest.approx(219_369, abs=3)


MARKET = Market({"BTC": 88_000.0, "ETH": 2_900.0}, {"BTC": 0.55, "ETH": 0.70}, {("BTC", "ETH"): 0.85})


def test_monte_carlo_agrees_with_delta_normal_on_a_linear_book():
    book = Portfolio([Perp("BTC", 1.0, 88_000.0), Perp("ETH", -10.0, 2_900.0)])
    analytic = value_at_risk(book, MARKET)
    simulated = value_at_risk(book, MARKET, method="monte-carlo", n_paths=100_000)
    assert simulated == pytest.approx(analytic, rel=0.04)


def test_monte_carlo_is_seeded():
    book = Portfolio([Option("BTC", "put", 80_000.0, 10, -3.0)])
    assert value_at_risk(book, MARKET, method="monte-carlo") == value_at_risk(book, MARKET, method="monte-carlo")


def test_short_put_tail_is_fatter_than_delta_normal_says():
    """Full revaluation sees the short put's convexity: losses grow faster than delta predicts."""
    book = Portfolio([Option("BTC", "put", 80_000.0, 10, -3.0)])
    assert value_at_risk(book, MARKET, method="monte-carlo") > value_at_risk(book, MARKET)


def test_simulated_pnl_of_an_empty_book_is_zero():
    assert not simulate_pnl(Portfolio([]), MARKET, n_paths=500).any()


def test_bad_var_inputs_are_named():
    book = Portfolio([Spot("BTC", 1.0)])
    for kwargs, field in (({"confidence": 1.5}, "confidence"), ({"horizon_days": 0}, "horizon_days"),
                          ({"method": "historical"}, "method")):
        with pytest.raises(Exception, match=field):
            value_at_risk(book, MARKET, **kwargs)
