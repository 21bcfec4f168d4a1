"""The batched portfolio-margin path (many market states at once) equals the reference path."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin import Future, Market, Option, Perp, Portfolio, Spot
from margin.book import book_arrays, market_vectors
from margin.portfolio import evaluate, maintenance_at_states
from margin.presets import PORTFOLIO_PRESETS

MARKET = Market({"BTC": 88_000.0, "ETH": 2_900.0, "SOL": 138.0, "USDT": 1.0},
                {"BTC": 0.55, "ETH": 0.7, "SOL": 0.85, "USDT": 0.01},
                {("BTC", "ETH"): 0.85, ("BTC", "SOL"): 0.7, ("ETH", "SOL"): 0.6}, {"BTC": 0.05})

positions = st.lists(st.one_of(
    st.builds(Perp, st.sampled_from(["BTC", "ETH", "SOL"]), st.floats(-20, 20), st.floats(50, 1e5)),
    st.builds(Future, st.just("BTC"), st.floats(-3, 3), st.floats(5e4, 1e5), st.floats(0, 200)),
    st.builds(Option, st.sampled_from(["BTC", "ETH", "SOL"]), st.sampled_from(["call", "put"]),
              st.sampled_from([100.0, 2_500.0, 80_000.0, 95_000.0, 140.0]), st.floats(0, 90), st.floats(-5, 5)),
    st.builds(Spot, st.sampled_from(["BTC", "SOL", "USDT"]), st.floats(-10, 1e4)),
), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(book_positions=positions, preset=st.sampled_from(sorted(PORTFOLIO_PRESETS)),
       segregated=st.booleans(), elasticity=st.floats(0, 3))
def test_batched_states_equal_one_evaluation_per_state(book_positions, preset, segregated, elasticity):
    params = PORTFOLIO_PRESETS[preset]
    if segregated:
        params = params.with_changes(offsets="segregated")
    arrays = book_arrays(Portfolio(book_positions, {"USDT": 5_000.0}), MARKET)
    spots, vols, basis = market_vectors(arrays, MARKET)
    ratio = np.geomspace(0.2, 3.0, 9)[:, None]
    state_spots = spots * ratio ** np.ones(len(arrays.assets))
    state_vols = vols * ratio ** (-elasticity)
    correlation = MARKET.correlation_array(list(arrays.assets))
    batched = maintenance_at_states(arrays, state_spots, state_vols, basis, params, correlation)
    for i in range(ratio.size):
        reference = evaluate(arrays, state_spots[i], state_vols[i], basis, params, [correlation])[0]["maintenance"]
        assert batched[i] == pytest.approx(reference, rel=1e-9, abs=1e-7)
