"""Black-76 / Black-Scholes pricing: textbook values, parity, greeks, limits, broadcasting.

Published numbers:
- Hull, *Options, Futures and Other Derivatives*, Example 15.6 (9e/10e; 13.6 in 7e, p. 294):
  S = 42, K = 40, r = 10 %, sigma = 20 %, T = 0.5 -> d1 = 0.7693, d2 = 0.6278, call 4.76,
  put 0.81; the extra digits 4.7594 / 0.8086 are quoted by py_vollib's tests of the same example.
- Hull OFOD 7e, Example 16.6, p. 338: European put on a future, F = K = 20, r = 9 %,
  sigma = 25 %, t = 4 months -> 1.12 (py_vollib `ref_python/black/__init__.py`: 1.11664145656).
- py_vollib `ref_python/black` doctest: F = K = 100, sigma = 20 %, r = 2 %, t = 0.5, call
  -> 5.5811067246048118.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin.pricing import (
    Black76Revaluer,
    black76_delta,
    black76_gamma,
    black76_price,
    black76_theta,
    black76_vega,
    black_scholes_price,
)

FAST = settings(max_examples=60, deadline=None)


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


# ---------------------------------------------------------------------------------------------
# Published textbook values
# ---------------------------------------------------------------------------------------------


def test_hull_example_15_6_black_scholes_call():
    """Hull OFOD Example 15.6: call = 4.76 (4.7594 to four decimals)."""
    call = float(black_scholes_price(42.0, 40.0, 0.20, 0.5, True, rate=0.10))
    assert call == pytest.approx(4.7594, abs=5e-5)
    assert round(call, 2) == 4.76


def test_hull_example_15_6_black_scholes_put():
    """Hull OFOD Example 15.6: put = 0.81 (0.8086 to four decimals)."""
    put = float(black_scholes_price(42.0, 40.0, 0.20, 0.5, False, rate=0.10))
    assert put == pytest.approx(0.8086, abs=5e-5)
    assert round(put, 2) == 0.81


def test_hull_example_15_6_delta_is_n_of_d1():
    """Hull 15.6 publishes d1 = 0.7693; the spot delta of the call is N(d1).

    The engine's delta is dPrice/dForward; with F = S e^{rT}, dC/dS = e^{rT} dC/dF.
    """
    spot, strike, vol, years, rate = 42.0, 40.0, 0.20, 0.5, 0.10
    forward = spot * math.exp(rate * years)
    delta_forward = float(black76_delta(forward, strike, vol, years, True, rate=rate))
    assert delta_forward * math.exp(rate * years) == pytest.approx(_norm_cdf(0.7693), abs=1e-4)


def test_hull_example_16_6_black76_put_on_future():
    """Hull OFOD 7e Example 16.6: F = K = 20, r = 9 %, sigma = 25 %, t = 4/12 -> put 1.1166."""
    put = float(black76_price(20.0, 20.0, 0.25, 4.0 / 12.0, False, rate=0.09))
    assert put == pytest.approx(1.11664145656, abs=1e-8)
    assert round(put, 2) == 1.12


def test_py_vollib_black76_call_reference():
    """py_vollib ref_python/black doctest: F = K = 100, sigma 0.2, r 0.02, t 0.5 -> 5.58110672460."""
    call = float(black76_price(100.0, 100.0, 0.2, 0.5, True, rate=0.02))
    assert call == pytest.approx(5.5811067246048118, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# Parity, bounds and limits
# ---------------------------------------------------------------------------------------------

forwards = st.floats(min_value=1e-2, max_value=1e6)
moneyness = st.floats(min_value=0.2, max_value=5.0)
vols = st.floats(min_value=0.01, max_value=3.0)
years_st = st.floats(min_value=0.0, max_value=5.0)
rates = st.floats(min_value=-0.05, max_value=0.2)


@FAST
@given(forward=forwards, ratio=moneyness, vol=vols, years=years_st, rate=rates)
def test_put_call_parity(forward, ratio, vol, years, rate):
    """C - P = e^{-rt} (F - K) for every forward, strike, vol, expiry and rate."""
    strike = forward * ratio
    call = float(black76_price(forward, strike, vol, years, True, rate=rate))
    put = float(black76_price(forward, strike, vol, years, False, rate=rate))
    expected = math.exp(-rate * years) * (forward - strike)
    assert call - put == pytest.approx(expected, abs=1e-9 * (forward + strike))


@FAST
@given(
    forward=st.floats(min_value=1e-6, max_value=1e9),
    ratio=st.floats(min_value=1e-3, max_value=1e3),
    vol=st.floats(min_value=0.0, max_value=10.0),
    years=st.floats(min_value=0.0, max_value=20.0),
    is_call=st.booleans(),
)
def test_prices_are_never_negative_and_within_bounds(forward, ratio, vol, years, is_call):
    """0 <= intrinsic <= price <= F (call) or K (put), finite, for any inputs (r = 0)."""
    strike = forward * ratio
    price = float(black76_price(forward, strike, vol, years, is_call))
    assert math.isfinite(price)
    assert price >= 0.0
    intrinsic = max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
    cap = forward if is_call else strike
    tol = 1e-9 * (forward + strike)
    assert intrinsic - tol <= price <= cap + tol


@pytest.mark.parametrize("is_call", [True, False])
@pytest.mark.parametrize("forward, strike", [(100.0, 80.0), (100.0, 100.0), (100.0, 125.0)])
def test_expiry_gives_intrinsic_value(forward, strike, is_call):
    """At t = 0 an option is worth its intrinsic value, whatever the volatility."""
    price = float(black76_price(forward, strike, 0.8, 0.0, is_call))
    intrinsic = max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
    assert price == pytest.approx(intrinsic, abs=1e-12)


@pytest.mark.parametrize("is_call", [True, False])
@pytest.mark.parametrize("forward, strike", [(100.0, 90.0), (100.0, 110.0)])
def test_price_approaches_intrinsic_as_expiry_approaches(forward, strike, is_call):
    """Continuity at expiry: one second before expiry the price is within a cent of intrinsic."""
    intrinsic = max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
    price = float(black76_price(forward, strike, 0.8, 1.0 / (365 * 86400), is_call))
    assert price == pytest.approx(intrinsic, abs=1e-2)


@pytest.mark.parametrize("is_call", [True, False])
@pytest.mark.parametrize("forward, strike", [(100.0, 90.0), (100.0, 100.0), (100.0, 110.0)])
@pytest.mark.parametrize("rate", [0.0, 0.05])
def test_vol_to_zero_limit_is_discounted_forward_intrinsic(forward, strike, is_call, rate):
    """sigma -> 0: the price tends to e^{-rt} max(F - K, 0) (call) / e^{-rt} max(K - F, 0) (put)."""
    years = 0.5
    intrinsic = max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
    expected = math.exp(-rate * years) * intrinsic
    at_zero = float(black76_price(forward, strike, 0.0, years, is_call, rate=rate))
    assert at_zero == pytest.approx(expected, abs=1e-12)
    tiny = [float(black76_price(forward, strike, v, years, is_call, rate=rate)) for v in (1e-2, 1e-4, 1e-6)]
    errors = [abs(p - expected) for p in tiny]
    # Converges: each step closer, the last one essentially there (ATM error ~ 0.4 F sigma sqrt(t)).
    assert errors[0] >= errors[1] >= errors[2]
    assert errors[2] < 1e-4


def test_price_increases_with_vol():
    """Vega > 0: both calls and puts gain value as volatility rises."""
    sigmas = np.linspace(0.05, 2.0, 40)
    for is_call in (True, False):
        prices = black76_price(100.0, 105.0, sigmas, 0.25, is_call)
        assert np.all(np.diff(prices) > 0)


# ---------------------------------------------------------------------------------------------
# Greeks against finite differences
# ---------------------------------------------------------------------------------------------

GREEK_CASES = [
    # forward, strike, vol, years, rate
    (100.0, 100.0, 0.55, 30 / 365, 0.0),
    (88000.0, 100000.0, 0.55, 0.25, 0.0),
    (2900.0, 2500.0, 0.9, 7 / 365, 0.0),
    (42.0 * math.exp(0.05), 40.0, 0.2, 0.5, 0.10),
    (20.0, 20.0, 0.25, 4 / 12, 0.09),
]


@pytest.mark.parametrize("is_call", [True, False])
@pytest.mark.parametrize("forward, strike, vol, years, rate", GREEK_CASES)
def test_delta_matches_central_difference(forward, strike, vol, years, rate, is_call):
    h = forward * 1e-5
    up = float(black76_price(forward + h, strike, vol, years, is_call, rate=rate))
    down = float(black76_price(forward - h, strike, vol, years, is_call, rate=rate))
    numeric = (up - down) / (2 * h)
    assert float(black76_delta(forward, strike, vol, years, is_call, rate=rate)) == pytest.approx(
        numeric, rel=1e-6, abs=1e-8
    )


@pytest.mark.parametrize("forward, strike, vol, years, rate", GREEK_CASES)
def test_gamma_matches_second_difference(forward, strike, vol, years, rate):
    h = forward * 1e-3
    mid = float(black76_price(forward, strike, vol, years, True, rate=rate))
    up = float(black76_price(forward + h, strike, vol, years, True, rate=rate))
    down = float(black76_price(forward - h, strike, vol, years, True, rate=rate))
    numeric = (up - 2 * mid + down) / h**2
    gamma = float(black76_gamma(forward, strike, vol, years, rate=rate))
    assert gamma == pytest.approx(numeric, rel=1e-4)
    # Puts have the same gamma (parity is linear in F).
    mid_p = float(black76_price(forward, strike, vol, years, False, rate=rate))
    up_p = float(black76_price(forward + h, strike, vol, years, False, rate=rate))
    down_p = float(black76_price(forward - h, strike, vol, years, False, rate=rate))
    assert gamma == pytest.approx((up_p - 2 * mid_p + down_p) / h**2, rel=1e-4)


@pytest.mark.parametrize("is_call", [True, False])
@pytest.mark.parametrize("forward, strike, vol, years, rate", GREEK_CASES)
def test_vega_matches_central_difference(forward, strike, vol, years, rate, is_call):
    h = 1e-5
    up = float(black76_price(forward, strike, vol + h, years, is_call, rate=rate))
    down = float(black76_price(forward, strike, vol - h, years, is_call, rate=rate))
    numeric = (up - down) / (2 * h)
    assert float(black76_vega(forward, strike, vol, years, rate=rate)) == pytest.approx(numeric, rel=1e-6)


@pytest.mark.parametrize("is_call", [True, False])
@pytest.mark.parametrize("forward, strike, vol, years, rate", GREEK_CASES)
def test_theta_matches_central_difference(forward, strike, vol, years, rate, is_call):
    """Theta = dPrice/d(calendar time) = -dPrice/d(time to expiry), per year."""
    h = years * 1e-5
    shorter = float(black76_price(forward, strike, vol, years - h, is_call, rate=rate))
    longer = float(black76_price(forward, strike, vol, years + h, is_call, rate=rate))
    numeric = (shorter - longer) / (2 * h)
    assert float(black76_theta(forward, strike, vol, years, is_call, rate=rate)) == pytest.approx(
        numeric, rel=1e-5, abs=1e-9
    )


def test_greeks_at_expiry():
    """At t = 0: delta is 1/0 (call ITM/OTM), -1/0 for puts; gamma, vega, theta are 0."""
    assert float(black76_delta(110.0, 100.0, 0.5, 0.0, True)) == 1.0
    assert float(black76_delta(90.0, 100.0, 0.5, 0.0, True)) == 0.0
    assert float(black76_delta(90.0, 100.0, 0.5, 0.0, False)) == -1.0
    assert float(black76_delta(110.0, 100.0, 0.5, 0.0, False)) == 0.0
    assert float(black76_gamma(100.0, 100.0, 0.5, 0.0)) == 0.0
    assert float(black76_vega(100.0, 100.0, 0.5, 0.0)) == 0.0
    assert float(black76_theta(100.0, 100.0, 0.5, 0.0, True)) == 0.0


# ---------------------------------------------------------------------------------------------
# Broadcasting
# ---------------------------------------------------------------------------------------------


def test_prices_broadcast_over_arrays():
    """Shapes (3, 1) x (4,) broadcast to (3, 4); every cell equals the scalar computation."""
    forward = np.array([[80.0], [100.0], [120.0]])
    strike = np.array([90.0, 100.0, 110.0, 130.0])
    is_call = np.array([True, False, True, False])
    vol = 0.6
    years = np.array([0.1, 0.2, 0.0, 1.0])
    grid = black76_price(forward, strike, vol, years, is_call)
    assert grid.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            scalar = float(black76_price(float(forward[i, 0]), strike[j], vol, years[j], bool(is_call[j])))
            assert grid[i, j] == pytest.approx(scalar, rel=1e-14, abs=1e-14)


def test_greeks_broadcast_over_arrays():
    forward = np.linspace(50.0, 150.0, 5)[:, None]
    strike = np.array([100.0, 120.0])
    vol = np.array([0.3, 0.9])
    delta = black76_delta(forward, strike, vol, 0.25, True)
    gamma = black76_gamma(forward, strike, vol, 0.25)
    vega = black76_vega(forward, strike, vol, 0.25)
    theta = black76_theta(forward, strike, vol, 0.25, False)
    for array in (delta, gamma, vega, theta):
        assert np.shape(array) == (5, 2)
    assert delta[2, 1] == pytest.approx(float(black76_delta(100.0, 120.0, 0.9, 0.25, True)))
    assert vega[4, 0] == pytest.approx(float(black76_vega(150.0, 100.0, 0.3, 0.25)))


def test_black_scholes_is_black76_on_the_forward():
    """BS(S) = Black-76(F = S e^{rT}) with discounting at r, across a vector of spots."""
    spots = np.array([30.0, 42.0, 55.0])
    bs = black_scholes_price(spots, 40.0, 0.2, 0.5, True, rate=0.1)
    b76 = black76_price(spots * math.exp(0.05), 40.0, 0.2, 0.5, True, rate=0.1)
    np.testing.assert_allclose(bs, b76, rtol=1e-14)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), n_options=st.integers(1, 6), n_forwards=st.integers(1, 9))
def test_revaluer_equals_quantity_times_black76_price(seed, n_options, n_forwards):
    """The revaluation kernel (constants hoisted, call/put sign folded in) prices like
    black76_price, from forward 0 (a -100 % move) to far out of the money, in three vol states."""
    rng = np.random.default_rng(seed)
    strike = rng.uniform(50.0, 150.0, n_options)
    years = rng.choice([1.0 / 365, 7.0 / 365, 0.25, 2.0], n_options)
    is_call = rng.random(n_options) < 0.5
    qty = rng.uniform(-5.0, 5.0, n_options)
    vols = rng.uniform(0.05, 3.0, (n_options, 3))
    forward = rng.choice([0.0, 1.0, 60.0, 100.0, 140.0, 400.0], (n_options, n_forwards))
    revaluer = Black76Revaluer(strike, years, is_call, vols)
    assert revaluer.live
    log_forward = np.log(np.maximum(forward, 1e-12))
    price = black76_price(forward[..., None], strike[:, None, None], vols[:, None, :], years[:, None, None],
                          is_call[:, None, None])
    np.testing.assert_allclose(revaluer.value(slice(None), forward, log_forward), price, rtol=1e-10, atol=1e-9)
    got = revaluer.value(slice(None), forward, log_forward, weight=qty)
    np.testing.assert_allclose(got, qty[:, None, None] * price, rtol=1e-10, atol=1e-9)
    part = slice(1, None)  # a block of the options prices the same as those options alone
    np.testing.assert_allclose(revaluer.value(part, forward[part], log_forward[part], weight=qty[part]),
                               qty[part, None, None] * price[part], rtol=1e-10, atol=1e-9)
    spot = forward[:, -1] + 1.0
    np.testing.assert_allclose(revaluer.marks(spot), black76_price(spot, strike, vols[:, 1], years, is_call),
                               rtol=1e-10, atol=1e-9)


def test_revaluer_leaves_options_at_expiry_to_the_general_formula():
    assert not Black76Revaluer(np.array([90.0, 100.0]), np.array([0.1, 0.0]), np.array([True, False]),
                               np.full((2, 3), 0.5)).live
    assert not Black76Revaluer(np.array([90.0]), np.array([0.1]), np.array([True]), np.array([[0.5, 0.0, 0.5]])).live
