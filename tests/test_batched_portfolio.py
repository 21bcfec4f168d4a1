"""The batched portfolio-margin path (many market states at once) equals the reference path."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin import Portfolio
from margin.book import book_arrays, market_vectors
from margin.portfolio import evaluate, maintenance_at_states
from margin.presets import PORTFOLIO_PRESETS
from tests.books import MARKET
from tests.books import positions as book_positions

positions = book_positions(6)


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
