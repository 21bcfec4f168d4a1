"""Fuzz every public engine entry point: each call succeeds or raises PortfolioError, nothing else.

Students type into the app, upload files and paste share links; the engine's contract (docs/model.md,
"Public engine API") is that bad input of any kind raises :class:`margin.PortfolioError` naming
the field and the fix, and that nothing is silently changed. Any other exception type here
(ValueError, TypeError, KeyError, AttributeError, OverflowError, LinAlgError, ...) is an escape.

Each example calls an entry point with every argument valid (often at the edge of its range:
tiny and huge prices, zero-day expiries, correlations of +/-1), or with exactly one argument
replaced by garbage: None, booleans, text (numeric-looking too), bytes, complex numbers, NaN,
+/-inf, negative, huge and tiny numbers, integers too large for a float, ragged and nested
lists, mappings where a list is expected and the reverse, arrays, DataFrames, arbitrary objects.
Successful calls are checked too: no NaN in a result, and what the caller gave is what is used.

Example counts are modest: the module runs in well under 20 s on two slow cores.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from margin import (
    CrossParams,
    Future,
    Market,
    Option,
    Perp,
    Portfolio,
    PortfolioError,
    PortfolioParams,
    Spot,
    cross_margin,
    detect_jumps,
    hedging_benefit,
    isolated_margin,
    liquidation_price,
    load_document,
    load_portfolio,
    margin_curves,
    nearest_correlation,
    portfolio_margin,
    save_portfolio,
    shock_sweep,
    simulate_pnl,
    value_at_risk,
)
from margin.instruments import InverseFuture, InversePerp
from margin.io import apply_market_overrides, decode_share_token, encode_share_token

#: Examples per test (1,500 in all). MARGIN_FUZZ_SCALE=20 runs twenty times as many, for a deeper
#: search before a release; the default keeps the module well under 20 s.
SCALE = max(1, int(os.environ.get("MARGIN_FUZZ_SCALE", "1")))
MANY, FEW = 100 * SCALE, 40 * SCALE
FUZZ = settings(max_examples=MANY, deadline=None, suppress_health_check=list(HealthCheck), database=None)
SOME = settings(max_examples=FEW, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def _succeeds_or_refuses(call, *args, **kwargs):
    """Run ``call``: its result, or None when it raised a PortfolioError that says something.

    Any other exception propagates and fails the test: that is an escape."""
    name = getattr(call, "__qualname__", repr(call))
    try:
        result = call(*args, **kwargs)
    except PortfolioError as error:
        assert str(error).strip(), "a PortfolioError must say what is wrong"
        event(f"{name}: refused")
        return None
    event(f"{name}: succeeded")
    return result


# -- garbage -------------------------------------------------------------------------------------
ODD_NUMBERS = st.sampled_from([
    0, -1, -0.0, 1e308, -1e308, 5e-324, 1e-300, float("nan"), float("inf"), -float("inf"),
    10**400, -(10**400), 2**63, np.float32(0.5), np.int64(3), np.float64("nan"), np.bool_(True),
])
ODD_OBJECTS = st.sampled_from([
    object(), np.array([1.0, 2.0]), np.array([[1.0]]), np.array([]), np.array(["a"]), np.array(0.5),
    pd.DataFrame(), pd.DataFrame({"a": [1.0]}), pd.Series([1.0]), set(), frozenset({1}), (), [], {}, b"", [[]],
    {"a": {"b": 1}}, [None], [float("nan")], range(3), 1j, print,
])
TEXT = st.one_of(st.text(max_size=6), st.sampled_from(["", "abc", "1", "0.5", "-1", "nan", "inf", "BTC", "12", " "]))
SCALAR_GARBAGE = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), ODD_NUMBERS,
                           st.floats(allow_nan=True, allow_infinity=True), TEXT, st.binary(max_size=3),
                           st.complex_numbers(max_magnitude=10))
GARBAGE = st.one_of(
    SCALAR_GARBAGE,
    ODD_OBJECTS,
    st.lists(st.one_of(st.floats(), st.integers(-5, 5), st.none(), TEXT), max_size=4),
    st.lists(st.lists(st.floats(-2, 2), max_size=3), max_size=3),  # ragged
    st.dictionaries(TEXT, SCALAR_GARBAGE, max_size=3),
    st.tuples(SCALAR_GARBAGE, SCALAR_GARBAGE),
)
HASHABLE_GARBAGE = SCALAR_GARBAGE.filter(lambda key: key == key)  # NaN keys cannot be looked up
ASSETS = ["BTC", "ETH", "USDC"]
BAD_ASSET = st.one_of(st.sampled_from(["SOL", "btc", "", "BTC "]), SCALAR_GARBAGE, ODD_OBJECTS)
BAD_KEY = st.one_of(st.sampled_from(["SOL", "btc", "", "BTC "]), HASHABLE_GARBAGE)  # can key a dict


def outside(low: float, high: float) -> st.SearchStrategy:
    """A number just outside [low, high], or garbage."""
    return st.one_of(st.floats(max_value=low, exclude_max=True), st.floats(min_value=high, exclude_min=True),
                     GARBAGE)


def arguments(valid: dict, bad: dict | None = None) -> st.SearchStrategy:
    """Keyword arguments: all valid about half the time, otherwise exactly one of them bad
    (``bad[name]`` when given, garbage otherwise), so failures point at one argument."""
    bad = bad or {}
    spoiled = st.sampled_from(sorted(valid)).flatmap(
        lambda name: st.fixed_dictionaries({**valid, name: bad.get(name, GARBAGE)}))
    return st.one_of(st.fixed_dictionaries(valid), spoiled)


def _finite(*values: float) -> None:
    for value in values:
        assert math.isfinite(value), values


MARKET = Market({"BTC": 88_000.0, "ETH": 2_900.0, "USDC": 1.0}, {"BTC": 0.55, "ETH": 0.7, "USDC": 0.01},
                {("BTC", "ETH"): 0.85})
BOOK = Portfolio([Perp("BTC", 1.0, 88_000.0, leverage=10), Perp("ETH", -10.0, 2_900.0),
                  Option("BTC", "call", 100_000.0, 30, -1.0), Future("ETH", 2.0, 2_950.0, 60), Spot("ETH", 1.0)],
                 {"USDC": 20_000.0})

# -- valid values at the edges of their ranges ------------------------------------------------------
PRICE = st.one_of(st.floats(1e-8, 1e12), st.sampled_from([1e-8, 1.0, 88_000.0, 1e12]))
VOL = st.one_of(st.floats(1e-6, 20), st.sampled_from([1e-6, 0.01, 0.55, 20.0]))
RHO = st.one_of(st.floats(-1, 1), st.sampled_from([-1.0, 0.0, 1.0, 0.85]))
PRICES = st.fixed_dictionaries({"BTC": PRICE, "ETH": PRICE, "USDC": st.floats(0.5, 2)})
VOLS = st.fixed_dictionaries({"BTC": VOL, "ETH": VOL, "USDC": st.floats(1e-3, 1)})
BASIS = st.one_of(st.none(), st.fixed_dictionaries({}, optional={"BTC": st.floats(-5, 5), "ETH": st.floats(-5, 5)}))


def _three(rho: float) -> list[list[float]]:
    return [[1.0, rho, 0.0], [rho, 1.0, 0.0], [0.0, 0.0, 1.0]]


CORRELATION = st.one_of(
    st.none(),
    RHO.map(lambda rho: {("BTC", "ETH"): rho}),
    RHO.map(lambda rho: {("ETH", "BTC"): rho, ("BTC", "ETH"): rho, ("USDC", "USDC"): 1}),
    RHO.map(_three), RHO.map(lambda rho: np.array(_three(rho))),
    RHO.map(lambda rho: pd.DataFrame(_three(rho), index=ASSETS, columns=ASSETS)),
    RHO.map(lambda rho: pd.DataFrame([[1.0, rho], [rho, 1.0]], index=["ETH", "BTC"], columns=["ETH", "BTC"])),
)


def _bad_matrices(values: st.SearchStrategy) -> st.SearchStrategy:
    """Lists of rows of any shape (ragged too) and object arrays, filled from ``values``."""
    square = st.integers(0, 4).flatmap(lambda n: st.lists(st.lists(values, min_size=n, max_size=n), min_size=n,
                                                          max_size=n))
    return st.one_of(square, square.map(lambda rows: np.array(rows, dtype=object)),
                     st.lists(st.lists(values, max_size=4), max_size=4))


BAD_RHO = st.one_of(outside(-1, 1), SCALAR_GARBAGE)
BAD_CORRELATION = st.one_of(
    GARBAGE,
    st.dictionaries(st.one_of(st.tuples(st.sampled_from(ASSETS), st.sampled_from(ASSETS)),
                              st.tuples(st.sampled_from(ASSETS), BAD_KEY),
                              HASHABLE_GARBAGE), st.one_of(RHO, BAD_RHO), min_size=1, max_size=3),
    st.tuples(RHO, RHO).filter(lambda pair: pair[0] != pair[1]).map(
        lambda pair: {("BTC", "ETH"): pair[0], ("ETH", "BTC"): pair[1]}),             # conflicting pairs
    st.tuples(RHO, RHO).filter(lambda pair: pair[0] != pair[1]).map(
        lambda pair: [[1.0, pair[0], 0.0], [pair[1], 1.0, 0.0], [0.0, 0.0, 1.0]]),     # asymmetric
    st.one_of(st.floats(-10, 10), SCALAR_GARBAGE).filter(lambda d: d != 1).map(
        lambda d: [[d, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]]),                  # diagonal not 1
    _bad_matrices(st.one_of(RHO, BAD_RHO)),
    st.integers(0, 4).flatmap(lambda n: st.lists(st.lists(RHO, min_size=n, max_size=n), min_size=n, max_size=n)).map(
        pd.DataFrame),                                                               # labels 0, 1, ...: unpriced
    st.tuples(RHO, BAD_RHO).map(lambda pair: pd.DataFrame(
        [[1.0, pair[0], 0.0], [pair[0], 1.0, pair[1]], [0.0, pair[1], 1.0]], index=ASSETS, columns=ASSETS)),
    st.just(pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["BTC", "BTC"], columns=["BTC", "ETH"])),
)


def _pair_map(values: st.SearchStrategy, keys: st.SearchStrategy | None = None) -> st.SearchStrategy:
    return st.dictionaries(st.sampled_from(ASSETS) if keys is None else keys, values, min_size=1, max_size=3)


MARKET_ARGS = arguments(
    {"prices": PRICES, "vols": VOLS, "correlation": CORRELATION, "basis": BASIS},
    {"prices": st.one_of(GARBAGE, _pair_map(st.one_of(outside(0, 1e12), SCALAR_GARBAGE)),
                         _pair_map(PRICE, HASHABLE_GARBAGE)),
     "vols": st.one_of(GARBAGE, _pair_map(st.one_of(outside(0, 20), SCALAR_GARBAGE)),
                       st.fixed_dictionaries({"BTC": VOL, "ETH": VOL, "USDC": VOL, "SOL": VOL})),
     "correlation": BAD_CORRELATION,
     "basis": st.one_of(GARBAGE, _pair_map(st.one_of(outside(-5, 5), SCALAR_GARBAGE), st.sampled_from(
         ASSETS + ["SOL"])))},
)


@FUZZ
@given(args=MARKET_ARGS)
def test_market_constructor(args):
    market = _succeeds_or_refuses(Market, **args)
    if market is None:
        return
    # Nothing silently changed: the market holds exactly the numbers it was given.
    for asset, price in args["prices"].items():
        assert market.prices[asset] == float(price)
    frame, correlation = market.correlation, args["correlation"]
    if isinstance(correlation, dict):
        for (first, second), rho in correlation.items():
            assert frame.loc[first, second] == frame.loc[second, first] == pytest.approx(float(rho), abs=1e-12)
    elif isinstance(correlation, pd.DataFrame):
        for row in correlation.index:
            for col in correlation.columns:
                assert frame.loc[row, col] == pytest.approx(float(correlation.loc[row, col]), abs=1e-12)
    elif correlation is not None:
        assert np.allclose(frame.to_numpy(), np.asarray(correlation, dtype=float), atol=1e-12, rtol=0)


@FUZZ
@given(args=arguments({"vol_mult": st.floats(1e-3, 30), "corr_shock": st.floats(-1, 1)},
                      {"vol_mult": outside(0, 1e6), "corr_shock": outside(-1, 1)}),
       prices=st.one_of(_pair_map(PRICE, st.sampled_from(ASSETS)), GARBAGE, _pair_map(SCALAR_GARBAGE)),
       vols=st.one_of(_pair_map(VOL, st.sampled_from(ASSETS)), GARBAGE, _pair_map(SCALAR_GARBAGE)),
       correlation=st.one_of(CORRELATION, BAD_CORRELATION))
def test_market_methods(args, prices, vols, correlation):
    shocked = _succeeds_or_refuses(MARKET.shocked, **args)
    if shocked is not None:
        assert shocked.vols["BTC"] == pytest.approx(MARKET.vols["BTC"] * float(args["vol_mult"]))
    changed = _succeeds_or_refuses(MARKET.with_prices, prices)
    if changed is not None:
        assert all(changed.prices[a] == float(p) for a, p in prices.items())
    changed = _succeeds_or_refuses(MARKET.with_vols, vols)
    if changed is not None:
        assert all(changed.vols[a] == float(v) for a, v in vols.items())
    _succeeds_or_refuses(MARKET.with_correlation, correlation)


SQUARES = st.integers(0, 5).flatmap(lambda n: st.lists(st.lists(st.floats(-1.5, 1.5), min_size=n, max_size=n),
                                                       min_size=n, max_size=n))


@FUZZ
@given(args=arguments(
    {"matrix": st.one_of(SQUARES, SQUARES.map(np.array), st.just(MARKET.correlation)),
     "method": st.sampled_from(["higham", "clip"]), "max_iterations": st.integers(1, 300),
     "tol": st.floats(1e-12, 1e-3)},
    {"matrix": st.one_of(BAD_CORRELATION, _bad_matrices(st.floats(-1e300, 1e300)), _bad_matrices(SCALAR_GARBAGE)),
     "method": st.one_of(st.sampled_from(["Higham", "eig"]), GARBAGE),
     "max_iterations": st.one_of(st.integers(max_value=0), GARBAGE), "tol": st.one_of(outside(0, 1), GARBAGE)}))
def test_nearest_correlation(args):
    result = _succeeds_or_refuses(nearest_correlation, **args)
    if result is not None:
        values = np.asarray(result, dtype=float)
        assert np.isfinite(values).all()
        assert np.allclose(np.diag(values), 1.0) and np.allclose(values, values.T)


# -- rule sets -----------------------------------------------------------------------------------
def _tiers(draw_floors: list[int], rates: list[float], deductions: list[float | None]) -> list[tuple]:
    floors = [0, *sorted(set(draw_floors) - {0})]
    return [(f, r) if d is None else (f, r, d) for f, r, d in zip(floors, rates, deductions, strict=False)]


TIERS = st.builds(_tiers, st.lists(st.integers(1, 10**10), max_size=3), st.lists(st.floats(0, 1), min_size=4,
                                                                                  max_size=4),
                  st.lists(st.none() | st.floats(-1e9, 1e9), min_size=4, max_size=4))
BAD_TIERS = st.one_of(
    GARBAGE, st.just([]), st.just([(5, 0.01)]), st.just([(0, 0.01), (0, 0.02)]),
    st.lists(st.one_of(st.tuples(st.one_of(st.just(0), SCALAR_GARBAGE), st.one_of(st.floats(0, 1), outside(0, 1))),
                       st.tuples(st.just(0), st.floats(0, 1), SCALAR_GARBAGE), GARBAGE), min_size=1, max_size=3))
ASSET_KEYS = st.sampled_from(ASSETS + ["SOL"])
CROSS_VALID = {
    "name": st.text(max_size=8), "source": st.text(max_size=8),
    "max_leverage": st.dictionaries(ASSET_KEYS, st.floats(1, 1000), max_size=2),
    "default_max_leverage": st.floats(1, 1000),
    "maintenance_tiers": st.dictionaries(ASSET_KEYS, TIERS, max_size=2),
    "haircuts": st.dictionaries(ASSET_KEYS, st.floats(0, 1), max_size=2),
    **{name: st.floats(0, 1) for name in ("default_haircut", "option_initial_base", "option_initial_floor",
                                          "option_maintenance_rate", "borrow_initial_rate",
                                          "borrow_maintenance_rate")},
}
CROSS_BAD = {
    "max_leverage": st.one_of(GARBAGE, st.dictionaries(ASSET_KEYS, outside(1, 1000), min_size=1, max_size=1),
                              st.dictionaries(HASHABLE_GARBAGE, st.floats(1, 10), min_size=1, max_size=1)),
    "default_max_leverage": outside(1, 1000),
    "maintenance_tiers": st.one_of(GARBAGE, st.dictionaries(ASSET_KEYS, BAD_TIERS, min_size=1, max_size=1)),
    "haircuts": st.one_of(GARBAGE, st.dictionaries(ASSET_KEYS, outside(0, 1), min_size=1, max_size=1)),
    **{name: outside(0, 1) for name in ("default_haircut", "option_initial_base", "option_initial_floor",
                                        "option_maintenance_rate", "borrow_initial_rate", "borrow_maintenance_rate")},
}
PM_VALID = {
    "name": st.text(max_size=8), "source": st.text(max_size=8),
    "price_range": st.dictionaries(ASSET_KEYS, st.floats(1e-3, 0.99), max_size=2),
    "haircuts": st.dictionaries(ASSET_KEYS, st.floats(0, 1), max_size=2),
    "default_price_range": st.floats(1e-3, 0.99),
    "price_steps": st.sampled_from([3, 5, 9, 21, 201, np.int64(7)]),
    "vol_states": st.lists(st.sampled_from(["up", "flat", "down"]), min_size=1, max_size=3, unique=True),
    "offsets": st.sampled_from(["correlated", "segregated"]),
    **{name: st.floats(0, 1) for name in ("extreme_fraction", "short_option_min_rate", "basis_addon_rate",
                                          "depeg_addon_rate", "default_haircut", "vol_down_shift")},
    "vol_up_shift": st.floats(0, 10), "vol_power_short": st.floats(0, 3), "vol_power_long": st.floats(0, 3),
    "extreme_multiple": st.floats(0, 10), "range_vol_multiple": st.floats(0, 20),
    **{name: st.floats(1e-3, 1e3) for name in ("range_horizon_days", "vol_reference_days", "min_dte_days")},
    "im_multiplier": st.floats(1, 10),
}
PM_BAD = {
    "price_range": st.one_of(GARBAGE, st.dictionaries(ASSET_KEYS, outside(1e-3, 0.99), min_size=1, max_size=1)),
    "default_price_range": outside(1e-3, 0.99),
    "price_steps": st.one_of(st.integers(-3, 2), st.integers(202, 10**6), st.integers(2, 200).map(lambda n: 2 * n),
                             GARBAGE),
    "vol_states": st.one_of(GARBAGE, st.sampled_from(["up", "flat", ["up", "up"], ["UP"], [], ("x",)])),
    "offsets": st.one_of(GARBAGE, st.just("Correlated")),
    "im_multiplier": st.one_of(st.floats(max_value=1, exclude_max=True), GARBAGE),
}


@FUZZ
@given(changes=arguments(CROSS_VALID, CROSS_BAD), book=st.sampled_from(["default", "extreme"]))
def test_cross_params(changes, book):
    params = _succeeds_or_refuses(CrossParams, **changes)
    _succeeds_or_refuses(CrossParams().with_changes, **changes)
    if params is not None:
        # Odd but valid rule sets (a 0 % tier, 1000x leverage) still give finite requirements.
        for result in (_succeeds_or_refuses(cross_margin, BOOK if book == "default" else EXTREME_BOOK, MARKET, params),
                       _succeeds_or_refuses(isolated_margin, BOOK, MARKET, "BTC", params)):
            assert result is not None
            _finite(result.initial, result.maintenance, result.equity)


@FUZZ
@given(changes=arguments(PM_VALID, PM_BAD))
def test_portfolio_params(changes):
    params = _succeeds_or_refuses(PortfolioParams, **changes)
    _succeeds_or_refuses(PortfolioParams().with_changes, **changes)
    if params is not None:
        result = _succeeds_or_refuses(portfolio_margin, BOOK, MARKET, params)
        assert result is not None
        _finite(result.initial, result.maintenance, result.equity)


@SOME
@given(name=st.one_of(st.sampled_from(["bogus", "BINANCE ", "max_leverage"]), GARBAGE),
       value=st.one_of(st.just(1), GARBAGE))
def test_unknown_rule_sets_and_fields_are_refused(name, value):
    for call in (cross_margin, portfolio_margin):
        _succeeds_or_refuses(call, BOOK, MARKET, name)
    _succeeds_or_refuses(CrossParams().with_changes, **{str(name): value})
    _succeeds_or_refuses(PortfolioParams().with_changes, **{str(name): value})


# -- positions and portfolios ----------------------------------------------------------------------
QTY = st.one_of(st.floats(-1e9, 1e9), st.sampled_from([0.0, 1e-12, -1e9, 1e9]))
ENTRY = st.one_of(st.floats(1e-8, 1e12), st.sampled_from([1e-8, 1e12]))
DAYS = st.one_of(st.floats(0, 3650), st.sampled_from([0, 0.001, 3650]))
LEVERAGE = st.one_of(st.none(), st.floats(1, 200))
MARGIN = st.one_of(st.none(), st.floats(0, 1e12))
BAD_QTY, BAD_PRICE, BAD_DAYS = outside(-1e9, 1e9), st.one_of(outside(0, 1e12), st.just(0.0)), outside(0, 3650)
POSITION_BAD = {"asset": BAD_ASSET, "qty": BAD_QTY, "entry_price": BAD_PRICE, "strike": BAD_PRICE,
                "expiry_days": BAD_DAYS, "leverage": outside(1, 200), "isolated_margin": outside(0, 1e12),
                "kind": st.one_of(st.sampled_from(["Call ", "straddle"]), SCALAR_GARBAGE)}
ASSET = st.sampled_from(ASSETS[:2])
SPOT_ARGS = arguments({"asset": st.sampled_from(ASSETS), "qty": QTY}, POSITION_BAD)
PERP_ARGS = arguments({"asset": ASSET, "qty": QTY, "entry_price": ENTRY, "leverage": LEVERAGE,
                       "isolated_margin": MARGIN}, POSITION_BAD)
FUTURE_ARGS = arguments({"asset": ASSET, "qty": QTY, "entry_price": ENTRY, "expiry_days": DAYS,
                         "leverage": LEVERAGE, "isolated_margin": MARGIN}, POSITION_BAD)
INVERSE_PERP_ARGS = arguments({"asset": ASSET, "usd_size": QTY, "entry_price": ENTRY, "leverage": LEVERAGE,
                               "isolated_margin": MARGIN}, {**POSITION_BAD, "usd_size": BAD_QTY})
INVERSE_FUTURE_ARGS = arguments({"asset": ASSET, "usd_size": QTY, "entry_price": ENTRY, "expiry_days": DAYS,
                                 "leverage": LEVERAGE, "isolated_margin": MARGIN}, {**POSITION_BAD, "usd_size": BAD_QTY})
OPTION_ARGS = arguments({"asset": ASSET, "kind": st.sampled_from(["call", "put", "PUT"]), "strike": ENTRY,
                         "expiry_days": DAYS, "qty": QTY, "entry_price": st.none() | st.floats(0, 1e12),
                         "settlement": st.sampled_from(["usd", "coin", "COIN"])},
                        {**POSITION_BAD, "entry_price": st.one_of(outside(0, 1e12))})


@FUZZ
@given(spot=SPOT_ARGS, perp=PERP_ARGS, future=FUTURE_ARGS, option=OPTION_ARGS, inverse_perp=INVERSE_PERP_ARGS,
       inverse_future=INVERSE_FUTURE_ARGS)
def test_position_constructors(spot, perp, future, option, inverse_perp, inverse_future):
    for cls, args in ((Spot, spot), (Perp, perp), (Future, future), (Option, option), (InversePerp, inverse_perp),
                      (InverseFuture, inverse_future)):
        position = _succeeds_or_refuses(cls, **args)
        if position is not None:
            hash(position)
            size = "usd_size" if cls in (InversePerp, InverseFuture) else "qty"
            assert getattr(position, size) == float(args[size])  # nothing silently changed


VALID_POSITIONS = st.one_of(st.builds(Spot, **{k: v for k, v in {"asset": st.sampled_from(ASSETS), "qty": QTY}.items()}),
                            st.fixed_dictionaries({"asset": ASSET, "qty": QTY, "entry_price": ENTRY,
                                                   "leverage": LEVERAGE, "isolated_margin": MARGIN}).map(
                                                       lambda a: Perp(**a)),
                            st.builds(Future, ASSET, QTY, ENTRY, DAYS, LEVERAGE, MARGIN),
                            st.builds(InversePerp, ASSET, QTY, ENTRY, LEVERAGE, MARGIN),
                            st.builds(InverseFuture, ASSET, QTY, ENTRY, DAYS, LEVERAGE, MARGIN),
                            st.builds(Option, ASSET, st.sampled_from(["call", "put"]), ENTRY, DAYS, QTY))
POSITION_LISTS = st.lists(VALID_POSITIONS, max_size=4)
COLLATERAL = st.dictionaries(st.sampled_from(ASSETS), st.floats(-1e12, 1e12), max_size=3)


@FUZZ
@given(args=arguments(
    {"positions": st.one_of(POSITION_LISTS, POSITION_LISTS.map(tuple), POSITION_LISTS.map(iter), st.none()),
     "collateral": st.one_of(COLLATERAL, st.none()), "title": st.text(max_size=8), "story": st.text(max_size=8)},
    {"positions": st.one_of(GARBAGE, st.lists(st.one_of(VALID_POSITIONS, GARBAGE), min_size=1, max_size=3)),
     "collateral": st.one_of(GARBAGE, st.dictionaries(BAD_KEY, st.floats(1, 2),
                                                      min_size=1, max_size=1),
                             st.dictionaries(st.sampled_from(ASSETS), outside(-1e12, 1e12), min_size=1, max_size=1)),
     "title": st.one_of(SCALAR_GARBAGE.filter(lambda t: not isinstance(t, str)), st.just("x" * 5000)),
     "story": SCALAR_GARBAGE.filter(lambda t: not isinstance(t, str))}))
def test_portfolio_constructor(args):
    book = _succeeds_or_refuses(Portfolio, **args)
    if book is not None:
        hash(book)
        assert load_portfolio(save_portfolio(book)) == book


@FUZZ
@given(index=st.one_of(st.integers(-6, 6), GARBAGE), position=st.one_of(VALID_POSITIONS, GARBAGE),
       positions=st.one_of(POSITION_LISTS, GARBAGE), collateral=st.one_of(COLLATERAL, GARBAGE),
       assets=st.one_of(st.lists(st.sampled_from(ASSETS), max_size=3), st.lists(BAD_ASSET, min_size=1, max_size=2)))
def test_portfolio_and_market_methods(index, position, positions, collateral, assets):
    changed = _succeeds_or_refuses(BOOK.replace_position, index, position)
    if changed is not None:
        assert changed.positions[index] == position and len(changed.positions) == len(BOOK.positions)
    _succeeds_or_refuses(BOOK.with_positions, positions)
    _succeeds_or_refuses(BOOK.with_collateral, collateral)
    _succeeds_or_refuses(MARKET.correlation_array, assets)


# -- margin, risk, liquidation ---------------------------------------------------------------------
EXTREME_MARKETS = st.builds(
    lambda prices, vols, rho, basis: Market(prices, vols, {("BTC", "ETH"): rho}, basis),
    PRICES, VOLS, RHO, BASIS)
BOOKS = st.builds(lambda positions, collateral: Portfolio(positions, collateral), POSITION_LISTS, COLLATERAL)
EXTREME_BOOK = Portfolio([Perp("BTC", 1e9, 1e12, 1.0), Future("ETH", -1e9, 1e-8, 3650), Spot("ETH", -1e9),
                          Option("BTC", "put", 1e12, 3650, -1e9), Option("ETH", "call", 1e-8, 0, 1e9)],
                         {"USDC": -1e12, "BTC": 1e12})
BOOK_AND_MARKET = {"book": st.one_of(BOOKS, st.sampled_from([BOOK, EXTREME_BOOK])),
                   "market": st.one_of(EXTREME_MARKETS, st.just(MARKET))}
PRESET_OR_PARAMS = {
    "cross": st.one_of(st.sampled_from([None, "binance", "deribit", "hyperliquid"]),
                       st.fixed_dictionaries(CROSS_VALID).map(lambda kw: CrossParams(**kw))),
    "portfolio": st.one_of(st.sampled_from([None, "okx", "span", "deribit"]),
                           st.fixed_dictionaries(PM_VALID).map(lambda kw: PortfolioParams(**kw))),
}


def _no_nan(result) -> None:
    for value in (result.initial, result.maintenance, result.equity):
        assert not math.isnan(value), result
    assert not result.breakdown.select_dtypes("number").isna().any().any()


@FUZZ
@given(args=arguments({**BOOK_AND_MARKET, "cross": PRESET_OR_PARAMS["cross"], "pm": PRESET_OR_PARAMS["portfolio"],
                       "asset": st.sampled_from(ASSETS)}, {"asset": BAD_ASSET}))
def test_margin_models(args):
    book, market = args["book"], args["market"]
    isolated = _succeeds_or_refuses(isolated_margin, book, market, args["asset"], args["cross"])
    for result in (_succeeds_or_refuses(cross_margin, book, market, args["cross"]),
                   _succeeds_or_refuses(portfolio_margin, book, market, args["pm"]), isolated):
        if result is not None:
            _no_nan(result)
    for mode, params in (("cross", args["cross"]), ("portfolio", args["pm"]), (args["asset"], None)):
        _succeeds_or_refuses(hedging_benefit, book, market, mode, params)


@pytest.mark.parametrize("asset", [np.array(["BTC", "ETH"]), pd.DataFrame(), pd.Series(["BTC", "ETH"])])
def test_isolated_margin_refuses_an_array_asset(asset):
    with pytest.raises(PortfolioError):
        isolated_margin(BOOK, MARKET, asset)


@FUZZ
@given(args=arguments({**BOOK_AND_MARKET, "confidence": st.floats(0.5, 0.999), "horizon_days": st.floats(1e-3, 365),
                       "method": st.sampled_from(["delta-normal", "monte-carlo"]), "n_paths": st.integers(100, 500),
                       "seed": st.integers(0, 2**32)},
                      {"confidence": outside(0.5, 0.999), "horizon_days": outside(1e-3, 365),
                       "method": st.one_of(st.just("historical"), GARBAGE),
                       "n_paths": st.one_of(st.integers(max_value=99), st.integers(200_001), GARBAGE),
                       "seed": st.one_of(st.integers(max_value=-1), GARBAGE)}))
def test_value_at_risk(args):
    var = _succeeds_or_refuses(value_at_risk, **args)
    if var is not None:
        assert var >= 0 and not math.isnan(var)
    pnl = _succeeds_or_refuses(simulate_pnl, args["book"], args["market"], args["horizon_days"], args["n_paths"],
                               args["seed"])
    if pnl is not None:
        assert not np.isnan(pnl).any()


@SOME
@given(args=arguments({**BOOK_AND_MARKET, "asset": st.sampled_from(ASSETS),
                       "mode": st.sampled_from(["cross", "isolated", "portfolio"]), "params": st.none(),
                       "co_move": st.booleans(), "spot_vol_elasticity": st.floats(0, 10)},
                      {"asset": BAD_ASSET, "mode": st.one_of(st.just("Cross"), GARBAGE),
                       "params": st.one_of(st.sampled_from(["bogus", "okx"]), GARBAGE),
                       "co_move": GARBAGE,
                       "spot_vol_elasticity": outside(0, 10)}))
def test_liquidation_price(args):
    price = _succeeds_or_refuses(liquidation_price, **args)
    assert price is None or (math.isfinite(price) and price > 0)


@pytest.mark.parametrize("co_move", [np.array([1.0, 2.0]), pd.DataFrame(), "no"])
def test_liquidation_price_refuses_an_array_co_move(co_move):
    with pytest.raises(PortfolioError):
        liquidation_price(BOOK, MARKET, "BTC", co_move=co_move)


TRIAL_PRICES = st.lists(st.floats(1, 2e5), min_size=1, max_size=5)


@SOME
@given(args=arguments({"asset": st.sampled_from(["BTC", "ETH"]),
                       "prices": st.one_of(TRIAL_PRICES, TRIAL_PRICES.map(np.array), TRIAL_PRICES.map(tuple)),
                       "modes": st.lists(st.sampled_from(["cross", "portfolio", "isolated"]), max_size=3).map(tuple),
                       "params": st.one_of(st.none(), st.just({"cross": "binance", "portfolio": "okx"})),
                       "co_move": st.one_of(st.booleans(), st.just(np.bool_(True))),
                       "spot_vol_elasticity": st.floats(0, 10)},
                      {"asset": BAD_ASSET,
                       "prices": st.one_of(GARBAGE, st.lists(st.one_of(outside(0, 1e300), SCALAR_GARBAGE), min_size=1,
                                                             max_size=3), st.just([])),
                       "modes": st.one_of(GARBAGE, st.sampled_from(["cross", ("cross", "Portfolio")])),
                       "params": st.one_of(GARBAGE, st.just({"crosss": "binance"}), st.just({"cross": "okx"})),
                       "co_move": st.one_of(GARBAGE, st.just("no")),
                       "spot_vol_elasticity": outside(0, 10)}))
def test_margin_curves(args):
    frame = _succeeds_or_refuses(margin_curves, BOOK, MARKET, **args)
    if frame is not None:
        assert frame["price"].tolist() == [float(p) for p in args["prices"]]  # the prices asked for, in order


VALUE_LISTS = {"vol_mults": st.lists(st.floats(1e-3, 100), min_size=1, max_size=3),
               "corr_shocks": st.lists(st.floats(-1, 1), min_size=1, max_size=3)}


@SOME
@given(args=arguments({**VALUE_LISTS, "cross_params": PRESET_OR_PARAMS["cross"],
                       "portfolio_params": PRESET_OR_PARAMS["portfolio"]},
                      {"vol_mults": st.one_of(GARBAGE, st.sampled_from(["12", "1", b"1", [True], ["2"], {1: 2}]),
                                              st.lists(outside(1e-3, 100), min_size=1, max_size=2)),
                       "corr_shocks": st.one_of(GARBAGE, st.sampled_from(["0", "-1", [False]]),
                                                st.lists(outside(-1, 1), min_size=1, max_size=2))}))
def test_shock_sweep(args):
    sweep = _succeeds_or_refuses(shock_sweep, BOOK, MARKET, **args)
    if sweep is not None:
        # Nothing silently changed: the sweep runs exactly the values asked for.
        assert sorted(set(sweep["vol_mult"])) == sorted({float(v) for v in args["vol_mults"]})
        assert sorted(set(sweep["corr_shock"])) == sorted({float(v) for v in args["corr_shocks"]})
        assert not sweep.drop(columns=["binding_scenario", "binding_key"]).isna().any().any()


SWEEP = shock_sweep(BOOK, MARKET, [1, 2, 3], [0, -0.5, -1])


def _damaged_sweeps() -> st.SearchStrategy:
    drop = st.lists(st.sampled_from(list(SWEEP.columns)), min_size=1, max_size=3).map(
        lambda cols: SWEEP.drop(columns=cols))
    spoil = st.tuples(st.sampled_from(list(SWEEP.columns)), SCALAR_GARBAGE).map(
        lambda pair: SWEEP.assign(**{pair[0]: [pair[1]] * len(SWEEP)}))
    return st.one_of(drop, spoil, GARBAGE, st.just(pd.concat([SWEEP, SWEEP["vol_mult"]], axis=1)))


@FUZZ
@given(args=arguments({"sweep": st.sampled_from([SWEEP, SWEEP.iloc[:0], SWEEP.iloc[::-1]]),
                       "along": st.sampled_from(["vol_mult", "corr_shock"]),
                       "column": st.sampled_from(["portfolio_maintenance", "cross_initial", "equity"]),
                       "slope_ratio": st.floats(0, 10)},
                      {"sweep": _damaged_sweeps(), "along": st.one_of(st.just("equity"), GARBAGE),
                       "column": st.one_of(st.sampled_from(["binding_scenario", "nope"]), GARBAGE),
                       "slope_ratio": outside(0, 1e6)}))
def test_detect_jumps(args):
    _succeeds_or_refuses(detect_jumps, **args)


# -- files and share links ---------------------------------------------------------------------------
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)
POSITION_DOCS = st.one_of(
    st.builds(lambda a: {"type": "spot", **a}, st.fixed_dictionaries({"asset": st.sampled_from(ASSETS), "qty": QTY})),
    st.builds(lambda a: {"type": "perp", **a}, st.fixed_dictionaries(
        {"asset": ASSET, "qty": QTY, "entry_price": ENTRY}, optional={"leverage": st.floats(1, 200)})),
    st.builds(lambda a: {"type": "option", **a}, st.fixed_dictionaries(
        {"asset": ASSET, "kind": st.sampled_from(["call", "put"]), "strike": ENTRY, "expiry_days": DAYS, "qty": QTY})),
)
BAD_POSITION_DOCS = st.builds(
    lambda doc, key, value: {**doc, key: value}, POSITION_DOCS,
    st.sampled_from(["type", "asset", "qty", "entry_price", "kind", "strike", "expiry_days", "leverage", "bogus"]),
    st.one_of(JSONISH, st.just(10**400), st.floats(allow_nan=False)))
MARKET_BLOCKS = st.fixed_dictionaries({}, optional={
    "prices": st.dictionaries(st.sampled_from(ASSETS), PRICE, max_size=2),
    "vols": st.dictionaries(st.sampled_from(ASSETS), VOL, max_size=2),
    "basis": st.dictionaries(st.sampled_from(ASSETS), st.floats(-5, 5), max_size=2),
    "correlation": st.lists(st.tuples(st.just("BTC"), st.just("ETH"), RHO).map(list), max_size=1)})
DOCUMENT_ARGS = arguments(
    {"positions": st.lists(POSITION_DOCS, max_size=3), "collateral": COLLATERAL, "title": st.text(max_size=5),
     "market": MARKET_BLOCKS},
    {"positions": st.one_of(JSONISH, st.lists(st.one_of(BAD_POSITION_DOCS, JSONISH), min_size=1, max_size=2)),
     "collateral": st.one_of(JSONISH, st.dictionaries(st.sampled_from(ASSETS + ["", "x y"]),
                                                      st.one_of(JSONISH, st.just(10**400)), min_size=1, max_size=2)),
     "title": JSONISH,
     "market": st.one_of(JSONISH, st.builds(lambda block, key, value: {**block, key: value}, MARKET_BLOCKS,
                                            st.sampled_from(["prices", "vols", "basis", "correlation", "x"]),
                                            st.one_of(JSONISH, st.dictionaries(st.sampled_from(ASSETS), st.one_of(
                                                JSONISH, st.just(10**400)), min_size=1))))})
DOCUMENTS = st.one_of(
    DOCUMENT_ARGS,
    st.builds(lambda doc, key, value: {**doc, key: value}, DOCUMENT_ARGS,
              st.one_of(st.sampled_from(["schema", "extra"]), st.integers(), st.none(), st.just((1, 2))), JSONISH),
    JSONISH,
)


def _json_or_none(document: object) -> str | None:
    try:
        return json.dumps(document, allow_nan=False)
    except (TypeError, ValueError):
        return None


@FUZZ
@given(document=st.one_of(DOCUMENTS, GARBAGE))
def test_load_portfolio(document):
    for source in (document, _json_or_none(document)):
        if source is None:
            continue
        loaded = _succeeds_or_refuses(load_document, source)
        book = _succeeds_or_refuses(load_portfolio, source)
        if loaded is None:
            continue
        assert book == loaded.portfolio
        text = save_portfolio(loaded.portfolio, None, loaded.market_overrides)
        again = load_document(text)  # round trip: nothing silently changed
        assert again.portfolio == loaded.portfolio
        assert (again.market_overrides or None) == (loaded.market_overrides or None)
        market = _succeeds_or_refuses(apply_market_overrides, MARKET, loaded.market_overrides)
        if market is not None:
            for asset, price in (loaded.market_overrides or {}).get("prices", {}).items():
                assert market.prices[asset] == float(price)


@FUZZ
@given(token=st.one_of(TEXT, st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=",
                                     max_size=80), SCALAR_GARBAGE, st.just("A" * 50_000)),
       document=DOCUMENT_ARGS, cut=st.floats(0, 1))
def test_share_tokens(token, document, cut):
    _succeeds_or_refuses(decode_share_token, token)
    loaded = _succeeds_or_refuses(load_document, document)
    if loaded is not None:
        encoded = encode_share_token(loaded.portfolio, loaded.market_overrides)
        decoded = decode_share_token(encoded)
        assert decoded.portfolio == loaded.portfolio
        assert (decoded.market_overrides or None) == (loaded.market_overrides or None)
        # A truncated or edited link is damaged, never a traceback.
        _succeeds_or_refuses(decode_share_token, encoded[: int(len(encoded) * cut)])
        _succeeds_or_refuses(decode_share_token, encoded[::-1])


@SOME
@given(args=arguments({"portfolio": st.sampled_from([BOOK, EXTREME_BOOK]), "path": st.none(),
                       "market_overrides": st.one_of(st.none(), st.just({"prices": {"BTC": 90_000.0}}))},
                      {"path": SCALAR_GARBAGE.filter(lambda p: not isinstance(p, (str, bytes)))}))
def test_save_portfolio(args):
    _succeeds_or_refuses(save_portfolio, **args)
    _succeeds_or_refuses(encode_share_token, args["portfolio"], args["market_overrides"])


SMILE = st.one_of(st.tuples(st.floats(-2, 2), st.floats(0, 5)),
                  st.fixed_dictionaries({"skew": st.floats(-2, 2), "curvature": st.floats(0, 5)}))


@SOME
@given(args=arguments({**BOOK_AND_MARKET, "smile": st.dictionaries(st.sampled_from(["BTC", "ETH"]), SMILE, max_size=2),
                       "asset": st.sampled_from(["BTC", "ETH"]), "name": st.sampled_from(
                           ["BTC-PERPETUAL", "BTC-27JUN26-100000-C", "ETH-USD-SWAP", "BTCUSDT", "BTC-260627-90000-P"])},
                      {"smile": st.one_of(GARBAGE, st.dictionaries(BAD_KEY, GARBAGE, max_size=2)),
                       "asset": BAD_ASSET, "name": GARBAGE}))
def test_smile_greeks_payoff_trade_and_names(args):
    """The trader's workbench, the smile and the replay: each call succeeds or refuses with a PortfolioError."""
    import datetime

    from margin import book_greeks, book_pnl, incremental_margin, make_trade, replay
    from margin.names import parse_name
    from margin.venue_import import import_positions
    market = args["market"]  # garbage at times: the entry points below must refuse it
    if isinstance(market, Market):
        market = _succeeds_or_refuses(market.with_smile, args["smile"])
        if market is None:
            return
    book, asset = args["book"], args["asset"]
    _succeeds_or_refuses(book_greeks, book, market)
    pnl = _succeeds_or_refuses(book_pnl, book, market, asset, [1.0, 50_000.0, 1e6], [0.0, 7.0])
    if pnl is not None:
        assert not np.isnan(pnl).any()
    trade = _succeeds_or_refuses(make_trade, "put", asset, "buy", 1.0, market, strike=80_000.0, expiry_days=30.0)
    if trade is not None:
        _succeeds_or_refuses(incremental_margin, book, trade, market, with_liquidation=False)
    _succeeds_or_refuses(parse_name, args["name"], datetime.date(2025, 12, 24))
    closes = pd.DataFrame({"BTC": [88_000.0, 80_000.0, 60_000.0, 65_000.0], "ETH": [2_900.0, 2_500.0, 1_900.0, 2_000.0]},
                          index=pd.date_range("2020-03-09", periods=4, freq="D"))
    for path in (closes, args["smile"]):  # a real path, and garbage where a path goes
        frame = _succeeds_or_refuses(replay, book, path, market)
        if frame is not None:
            assert not frame.filter(like="maintenance_").isna().any().any()
    _succeeds_or_refuses(import_positions, json.dumps(args["smile"], default=str), market, datetime.date(2025, 12, 24))


TESTS = [test_market_constructor, test_market_methods, test_nearest_correlation, test_cross_params,
         test_portfolio_params, test_unknown_rule_sets_and_fields_are_refused, test_position_constructors,
         test_portfolio_constructor, test_portfolio_and_market_methods, test_margin_models, test_value_at_risk, test_liquidation_price,
         test_margin_curves, test_shock_sweep, test_detect_jumps, test_load_portfolio, test_share_tokens,
         test_save_portfolio, test_smile_greeks_payoff_trade_and_names]


def test_example_budget():
    """The module's size, kept in view: every entry point fuzzed, 1,540 examples in all."""
    total = sum(t._hypothesis_internal_use_settings.max_examples for t in TESTS)
    assert total == 1_540 * SCALE, total
