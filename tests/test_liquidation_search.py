"""The liquidation search (issue 21): the vectorised search returns what the previous one did.

The previous search, kept here as the reference: price every point of the scan grid (240 below,
120 above today's price), take the first negative one on each side and run scipy's ``brentq``
between it and the point before. The new one (margin/liquidation.py) prices a coarse subset for
portfolio margin, refines around the first crossing and every dip, and solves both sides' brackets
together. Both use the same evaluator (equity and maintenance at trial prices), so any difference
is the search's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from margin import Future, Market, Option, Perp, Portfolio, PortfolioError, Spot, default_market
from margin import liquidation as liq
from margin.market import is_stablecoin
from margin.presets import CROSS_PRESETS, PORTFOLIO_PRESETS
from views.samples import load_sample, sample_names

TOLERANCE = 1e-6


def reference_liquidation_prices(book, market, asset, mode="cross", params=None, co_move=False,
                                 spot_vol_elasticity=0.0) -> dict:
    """The search before issue 21: every grid point priced, the first negative per side, brentq inside."""
    evaluator = liq._Evaluator(book, market, asset, mode, params, co_move, spot_vol_elasticity)
    today = evaluator.today
    if float(evaluator.excess(np.array([today]))[0]) < 0:
        return {"below": today, "above": today, "already": True}
    result = {"below": None, "above": None, "already": False}
    for side, grid in zip(("below", "above"), liq._scan_grids(today, liq._SCAN_POINTS), strict=True):
        values = evaluator.excess(grid)
        negative = np.flatnonzero(values < 0)
        if negative.size == 0:
            continue
        first = int(negative[0])
        inside = today if first == 0 else float(grid[first - 1])
        low, high = sorted((inside, float(grid[first])))
        result[side] = float(brentq(lambda p: float(evaluator.excess(np.array([p]))[0]), low, high,
                                    xtol=1e-12 * today, rtol=1e-12, maxiter=200))
    return result


def assert_same(new: dict, old: dict, where: str, evaluator=None) -> None:
    """Equal to ``TOLERANCE``; or, given the ``evaluator``, two roots of an excess that is zero to
    round-off all the way between them (then either is as much a root as the other)."""
    assert new["already"] == old["already"], where
    for side in ("below", "above"):
        if old[side] is None:
            assert new[side] is None, f"{where} {side}: {new[side]} where the reference found none"
            continue
        assert new[side] is not None, f"{where} {side}: none where the reference found {old[side]}"
        if new[side] == pytest.approx(old[side], rel=TOLERANCE):
            continue
        assert evaluator is not None and flat_zero_between(evaluator, new[side], old[side]), (
            f"{where} {side}: {new[side]} against the reference's {old[side]}")


def flat_zero_between(evaluator, first: float, second: float) -> bool:
    """True when equity - maintenance is within round-off of zero (1e-9 of today's equity and
    maintenance) at 200 prices from ``first`` to ``second``."""
    equity, maintenance = evaluator(np.array([evaluator.today]))
    noise = 1e-9 * max(1.0, abs(float(equity[0])), abs(float(maintenance[0])))
    flat = np.abs(evaluator.excess(np.linspace(first, second, 200))).max() <= noise
    FLAT_CASES.append((first, second))
    return bool(flat)


#: Mismatches accepted as two roots of a flat zero (printed by the sample test, to be looked at).
FLAT_CASES: list = []


def both(book, market, asset, mode, preset, co_move=False, elasticity=0.0):
    """(new, reference, evaluator) results, or error texts when the arguments are refused."""
    out = []
    for search in (liq.liquidation_prices, reference_liquidation_prices):
        try:
            out.append(search(book, market, asset, mode, preset, co_move, elasticity))
        except PortfolioError as error:
            out.append(str(error))
    evaluator = None if isinstance(out[1], str) else liq._Evaluator(book, market, asset, mode, preset, co_move,
                                                                     elasticity)
    return (*out, evaluator)


def movable(book, market):
    return [a for a in book.assets() if a in market.prices and not is_stablecoin(a)]


RULE_SETS = [("cross", p) for p in CROSS_PRESETS] + [("isolated", p) for p in CROSS_PRESETS] + [
    ("portfolio", p) for p in PORTFOLIO_PRESETS]


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_under_every_rule_set_matches_the_reference(name):
    book, market = load_sample(name)
    checked = 0
    for mode, preset in RULE_SETS:
        for asset in movable(book, market):
            for co_move, elasticity in ((False, 0.0), (True, 0.0), (False, 1.5)):
                new, old, evaluator = both(book, market, asset, mode, preset, co_move, elasticity)
                where = f"{name} {mode}/{preset} {asset} co_move={co_move} k={elasticity}"
                if isinstance(old, str):
                    assert new == old, where
                    continue
                assert_same(new, old, where, evaluator)
                checked += 1
    assert checked > 0


def random_book(rng: np.random.Generator, market: Market) -> Portfolio:
    """A mixed book over BTC, ETH and SOL: options of both kinds and sides, perps, futures, spot."""
    positions = []
    for _ in range(int(rng.integers(1, 14))):
        asset = str(rng.choice(["BTC", "ETH", "SOL"]))
        spot = market.prices[asset]
        qty = float(rng.choice([-1, 1]) * rng.uniform(0.05, 2.0) * 60_000 / spot)
        kind = int(rng.integers(0, 5))
        if kind <= 1:
            positions.append(Option(asset, "call" if kind == 0 else "put", spot * float(rng.uniform(0.6, 1.5)),
                                    float(rng.integers(1, 200)), qty))
        elif kind == 2:
            positions.append(Perp(asset, qty, spot * float(rng.uniform(0.8, 1.2)), leverage=float(rng.choice([3, 10, 20]))))
        elif kind == 3:
            positions.append(Future(asset, qty, spot * float(rng.uniform(0.9, 1.1)), float(rng.integers(3, 200))))
        else:
            positions.append(Spot(asset, abs(qty)))
    return Portfolio(tuple(positions), {"USDC": float(rng.choice([2_000, 10_000, 40_000, 150_000]))})


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), mode_preset=st.sampled_from(RULE_SETS), co_move=st.booleans(),
       elasticity=st.sampled_from([0.0, 0.5, 2.0]))
def test_random_books_match_the_reference(seed, mode_preset, co_move, elasticity):
    market = default_market()
    rng = np.random.default_rng(seed)
    book = random_book(rng, market)
    asset = str(rng.choice(movable(book, market)))
    mode, preset = mode_preset
    new, old, evaluator = both(book, market, asset, mode, preset, co_move, elasticity)
    if isinstance(old, str):
        assert new == old
    else:
        assert_same(new, old, f"seed {seed} {mode}/{preset} {asset}", evaluator)


def test_a_large_book_matches_the_reference_and_prices_far_fewer_states():
    """60 options, perps and futures over ten assets; portfolio margin, each asset in turn: same prices,
    and the search prices under a third of the reference's 361 trial states."""
    market = default_market()
    rng = np.random.default_rng(21)
    assets = ["BTC", "ETH", "SOL", "XRP", "BNB", "DOGE", "ADA", "LINK", "BCH", "HYPE"]
    positions = []
    for i in range(60):
        asset = assets[i % 10]
        spot = market.prices[asset]
        qty = float(rng.choice([-1, 1]) * rng.uniform(0.1, 2.0) * 88_000 / spot)
        if i % 3 == 0:
            positions.append(Option(asset, "call" if i % 2 else "put", spot * float(rng.uniform(0.7, 1.3)),
                                    float(rng.integers(1, 120)), qty))
        elif i % 3 == 1:
            positions.append(Perp(asset, qty, spot * float(rng.uniform(0.9, 1.1)), leverage=10))
        else:
            positions.append(Future(asset, qty, spot, float(rng.integers(7, 180))))
    book = Portfolio(tuple(positions), {"USDC": 150_000.0})
    counted = []
    original = liq._Evaluator.__call__

    def counting(self, prices):
        counted.append(np.atleast_1d(prices).size)
        return original(self, prices)

    for asset in ("BTC", "ETH", "DOGE", "HYPE"):
        old = reference_liquidation_prices(book, market, asset, "portfolio")
        counted.clear()
        liq._Evaluator.__call__ = counting
        try:
            new = liq.liquidation_prices(book, market, asset, "portfolio")
        finally:
            liq._Evaluator.__call__ = original
        assert_same(new, old, asset)
        assert sum(counted) < 361 / 3, (asset, counted)


class Curve:
    """A stand-in evaluator: excess(price) from a formula, today's price 100."""

    today = 100.0

    def __init__(self, excess):
        self.excess = lambda prices: excess(np.atleast_1d(np.asarray(prices, dtype=float)))


def first_negative_on_the_grid(curve: Curve, grid: np.ndarray) -> float | None:
    negative = np.flatnonzero(curve.excess(grid) < 0)
    return None if negative.size == 0 else float(grid[negative[0]])


@pytest.mark.parametrize("centre_index", [30, 95, 150, 200, 236])
@pytest.mark.parametrize("width_cells", [0.6, 1.5, 3.0])
def test_a_dip_between_coarse_points_is_found(centre_index, width_cells):
    """A smooth dip below zero narrower than a coarse cell (6 grid points), on a slope that falls
    away from today's price and rises again after it, lies between two coarse points: the search
    still brackets it at the same grid point as pricing every point would."""
    below, above = liq._scan_grids(100.0, liq._SCAN_POINTS)
    log_distance = -np.log(below / 100.0)
    centre = log_distance[centre_index]
    spacing = log_distance[centre_index] - log_distance[centre_index - 1]
    width = width_cells * spacing

    def excess(prices):
        x = -np.log(prices / 100.0)
        return 1.0 + np.abs(x - centre) / centre - 1.6 * np.exp(-0.5 * ((x - centre) / width) ** 2)

    curve = Curve(excess)
    today_value, brackets = liq._first_brackets(curve, (below, above), liq._COARSE_STRIDE)
    assert today_value > 0
    expected = first_negative_on_the_grid(curve, below)
    assert expected is not None
    assert brackets[0] is not None and brackets[0][2] == expected
    assert brackets[1] is None


def test_roots_of_known_functions_for_many_brackets_at_once():
    """exp(-p/50) - 1/2 (root 50 ln 2), 1 - (p/100)^3 (root 100) and a step-like tanh: each to 1e-12
    relative, solved together."""
    roots_expected = np.array([50 * math.log(2), 100.0, 70.0])

    def excess(prices):
        out = np.empty(prices.size)
        # each bracket's trial points stay inside its own bracket, so the function is picked by range
        low = prices < 60
        mid = (prices >= 60) & (prices < 90)
        high = prices >= 90
        out[low] = np.exp(-prices[low] / 50) - 0.5
        out[mid] = -np.tanh((prices[mid] - 70.0) * 40)
        out[high] = 1 - (prices[high] / 100) ** 3
        return out

    brackets = [(20.0, float(excess(np.array([20.0]))[0]), 59.0, float(excess(np.array([59.0]))[0])),
                (90.0, float(excess(np.array([90.0]))[0]), 140.0, float(excess(np.array([140.0]))[0])),
                (61.0, float(excess(np.array([61.0]))[0]), 89.0, float(excess(np.array([89.0]))[0]))]
    found = liq._roots(excess, brackets, 100.0)
    np.testing.assert_allclose(found, roots_expected, rtol=1e-11)


def test_an_inside_point_at_zero_is_the_root():
    found = liq._roots(lambda p: 80.0 - p, [(80.0, 0.0, 90.0, -10.0)], 100.0)
    assert found[0] == 80.0


def test_already_liquidated_and_never_liquidated_as_the_reference_says():
    market = default_market()
    broke = Portfolio([Perp("BTC", 1.0, 1.4 * market.prices["BTC"])], {"USDC": 1_000.0})
    funded = Portfolio([Spot("BTC", 1.0)], {"USDC": 1_000.0})
    for book in (broke, funded):
        for mode, preset in (("cross", None), ("portfolio", None)):
            new, old, _ = both(book, market, "BTC", mode, preset)
            assert_same(new, old, f"{mode}")
    assert liq.liquidation_prices(broke, market, "BTC", "portfolio")["already"]
    assert liq.liquidation_prices(funded, market, "BTC", "portfolio") == {"below": None, "above": None,
                                                                          "already": False}
