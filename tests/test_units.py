"""Risk units revalued in one vectorised pass equal a loop over units, moves, vols and options."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import margin.units as units_module
from margin import Option, Perp, Portfolio, PortfolioError, Spot, portfolio_margin
from margin import book as book_module
from margin.book import book_arrays, equity_parts, market_vectors
from margin.presets import CLASSROOM_PM, portfolio_params
from margin.pricing import black76_price
from margin.units import unit_set
from tests.books import MARKET
from tests.books import positions as book_positions

positions = book_positions(8)


def _looped_pnl(book, units, moves):
    """P&L of unit u at moves[u, i], vol state v, summed position by position (USD)."""
    states = {"up": 0, "flat": 1, "down": 2}
    out = np.zeros(moves.shape + (3,))
    for u, asset in enumerate(units.assets):
        spot, iv = MARKET.prices[asset], MARKET.vols[asset]
        options = [p for p in book.positions if isinstance(p, Option) and p.asset == asset]
        vols = units_module.shocked_vols(CLASSROOM_PM, iv, np.array([p.expiry_days for p in options], dtype=float))
        for i, move in enumerate(moves[u]):
            move = max(move, -1.0)
            for v in states.values():
                total = units.linear_delta[u] * move
                for j, p in enumerate(options):
                    years = p.expiry_days / 365.0
                    now = black76_price(spot * (1 + move), p.strike, vols[v, j], years, p.is_call)
                    base = black76_price(spot, p.strike, iv, years, p.is_call)
                    total += p.qty * (float(now) - float(base))
                out[u, i, v] = total
    return out


@settings(max_examples=40, deadline=None)
@given(book_positions=positions, seed=st.integers(0, 2**16), dedup=st.booleans(), block=st.sampled_from([1, 3, 16_384]))
def test_vectorised_revaluation_equals_a_loop(book_positions, seed, dedup, block, monkeypatch_module):
    book = Portfolio(book_positions, {"USDT": 5_000.0})
    arrays = book_arrays(book, MARKET)
    spots, vols, basis = market_vectors(arrays, MARKET)
    units = unit_set(arrays, spots, vols, basis, CLASSROOM_PM)
    if len(units) == 0:
        return
    rng = np.random.default_rng(seed)
    # Repeated values (as joint scenarios have) and moves past -100 % (extremes of wide ranges).
    moves = rng.choice([-1.6, -0.5, -0.16, 0.0, 0.0, 0.08, 0.16, 0.5, 1.2], size=(len(units), 12))
    monkeypatch_module.setattr(units_module, "_DEDUP_MIN_PRICES", 0 if dedup else 10**9)
    monkeypatch_module.setattr(units_module, "_DEDUP_MIN_OPTIONS_PER_SEARCH", 0)
    monkeypatch_module.setattr(units_module, "_PRICES_PER_BLOCK", block)
    vectorised = units.revalue(moves)
    expected = _looped_pnl(book, units, moves)
    scale = 1e-9 * max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(vectorised, expected, rtol=1e-9, atol=scale)


@settings(max_examples=30, deadline=None)
@given(book_positions=positions, seed=st.integers(0, 2**16), dedup=st.booleans())
def test_units_at_several_states_equal_one_unit_set_per_state(book_positions, seed, dedup, monkeypatch_module):
    """unit_sets (S states built with array operations, no loop over states) holds, state by state,
    the units unit_set builds for that state alone, and revalues them alike."""
    book = Portfolio(book_positions, {"USDT": 5_000.0})
    arrays = book_arrays(book, MARKET)
    spots, vols, basis = market_vectors(arrays, MARKET)
    rng = np.random.default_rng(seed)
    state_spots = spots * rng.uniform(0.3, 2.0, size=(3, spots.size))
    state_vols = vols * rng.uniform(0.5, 3.0, size=(3, vols.size))
    stacked = units_module.unit_sets(arrays, state_spots, state_vols, basis, CLASSROOM_PM)
    n_units = stacked.units_per_state
    if n_units == 0:
        return
    monkeypatch_module.setattr(units_module, "_DEDUP_MIN_PRICES", 0 if dedup else 10**9)
    monkeypatch_module.setattr(units_module, "_DEDUP_MIN_OPTIONS_PER_SEARCH", 0)
    moves = rng.choice([-1.5, -0.3, 0.0, 0.1, 0.4], size=(len(stacked), 7))
    pnl = stacked.revalue(moves)
    for m in range(3):
        alone = unit_set(arrays, state_spots[m], state_vols[m], basis, CLASSROOM_PM)
        view = stacked.state(m)
        for name in ("spot", "vol", "scan_range", "linear_delta", "long_linear", "short_linear", "net_short",
                     "exposed", "opt_unit", "opt_qty", "opt_vols", "opt_base", "option_starts"):
            np.testing.assert_allclose(getattr(view, name), getattr(alone, name), rtol=1e-12, err_msg=name)
        rows = slice(m * n_units, (m + 1) * n_units)
        expected = alone.revalue(moves[rows])
        scale = 1e-9 * max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(pnl[rows], expected, rtol=1e-9, atol=scale)
        np.testing.assert_allclose(view.revalue(moves[rows]), expected, rtol=1e-9, atol=scale)


def test_an_option_at_expiry_is_revalued_at_intrinsic_value_beside_live_ones():
    """A 0-day option has no vol x sqrt(time) to divide by: its block falls back to the general
    formula, and the book still revalues as the loop does."""
    book = Portfolio((Option("BTC", "call", 80_000.0, 0.0, 2.0), Option("BTC", "put", 95_000.0, 30.0, -1.0),
                      Perp("ETH", 3.0, 2_900.0)), {"USDT": 5_000.0})
    arrays = book_arrays(book, MARKET)
    units = unit_set(*_at_market(book), CLASSROOM_PM)
    assert not units.revaluer.live
    moves = np.array([[-1.5, -0.2, 0.0, 0.1, 0.3]] * len(units))
    expected = _looped_pnl(book, units, moves)
    np.testing.assert_allclose(units.revalue(moves), expected, rtol=1e-9, atol=1e-6)
    assert arrays.opt_days.min() == 0.0


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_units_are_the_underlyings_with_derivatives_or_non_stable_holdings():
    book = Portfolio((Perp("ETH", 1.0, 2_900.0), Spot("SOL", 3.0), Option("BTC", "call", 95_000.0, 30.0, -1.0)),
                     {"USDT": 1_000.0})
    units = unit_set(*_at_market(book), CLASSROOM_PM)
    assert units.assets == ("ETH", "SOL", "BTC")  # USDT collateral is a depeg add-on, not a unit
    assert units.linear_delta.tolist() == pytest.approx([2_900.0, 3 * 138.0, 0.0])
    assert units.opt_unit.tolist() == [2]


def _at_market(book):
    arrays = book_arrays(book, MARKET)
    return (arrays, *market_vectors(arrays, MARKET))


# -- what is kept from one pricing to the next --------------------------------------------------------

RULE_SETS = ("classroom", "deribit", "okx", "span")


@settings(max_examples=30, deadline=None)
@given(book_positions=positions, collateral=st.floats(-1_000.0, 50_000.0))
def test_kept_plans_price_like_a_book_seen_for_the_first_time(book_positions, collateral):
    """A book priced under several rule sets in turn (the plan is kept per rule set) gives what a
    never-seen copy of it gives under each, margin, add-ons and equity included."""
    book = Portfolio(book_positions, {"USDT": collateral})
    seen = {name: portfolio_margin(book, MARKET, name) for name in RULE_SETS + RULE_SETS}
    for name in RULE_SETS:
        book_module._layout.cache_clear()
        fresh = portfolio_margin(Portfolio(book_positions, {"USDT": collateral}), MARKET, name)
        assert seen[name].maintenance == pytest.approx(fresh.maintenance, rel=1e-12, abs=1e-9)
        assert seen[name].details["addon_total"] == pytest.approx(fresh.details["addon_total"], rel=1e-12, abs=1e-9)
        rows = fresh.breakdown[fresh.breakdown["component"].str.endswith("add-on")
                               | fresh.breakdown["component"].isin(["short-option minimum", "roll shock"])]
        assert fresh.details["addon_total"] == pytest.approx(rows["maintenance"].sum(), rel=1e-12, abs=1e-9)
        rules = portfolio_params(name)
        arrays = book_arrays(book, MARKET)
        haircut = np.array([rules.haircut(arrays.assets[a]) for a in arrays.hold_asset], dtype=float)
        spots, vols, basis = market_vectors(arrays, MARKET)
        repriced = float(equity_parts(arrays, spots[None, :], vols, basis, haircut)["equity"][0])
        assert fresh.equity == pytest.approx(repriced, rel=1e-12, abs=1e-6)


def test_a_book_pickles_without_what_the_engine_derived_from_it():
    book = Portfolio((Perp("ETH", 1.0, 2_900.0),), {"USDT": 1_000.0})
    book_arrays(book, MARKET)
    assert "_derived" in vars(book)
    copy = pickle.loads(pickle.dumps(book))
    assert copy == book and hash(copy) == hash(book) and "_derived" not in vars(copy)


def test_market_vectors_are_read_only_and_in_the_order_asked():
    prices, vols, basis, correlation = MARKET.vectors(("SOL", "BTC"))
    assert prices.tolist() == [138.0, 88_000.0] and vols.tolist() == [0.85, 0.55] and basis.tolist() == [0.0, 0.05]
    assert correlation.tolist() == [[1.0, 0.7], [0.7, 1.0]]
    for array in (prices, vols, basis, correlation):
        with pytest.raises(ValueError):
            array[0] = 0.0  # shared by every caller: nobody may change it in place
    with pytest.raises(PortfolioError, match="DOGE"):
        MARKET.vectors(("BTC", "DOGE"))
