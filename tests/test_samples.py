"""Every sample portfolio loads, tells its story and prices under both modes on the default market."""

import json
import math
from pathlib import Path

import pytest

from margin import cross_margin, default_market, load_portfolio, portfolio_margin
from margin.io import load_document, save_portfolio

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "sample_portfolios").glob("*.json"))


def test_there_are_at_least_eight_samples():
    assert len(SAMPLES) >= 8


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_loads_with_title_story_and_finite_requirements(path):
    book = load_portfolio(path)
    assert book.title and len(book.story) > 40
    market = default_market()
    for result in (cross_margin(book, market), portfolio_margin(book, market)):
        assert all(math.isfinite(v) for v in (result.initial, result.maintenance, result.equity))
        assert result.initial >= result.maintenance >= 0


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_round_trips_through_save(path):
    book = load_portfolio(path)
    again = load_portfolio(save_portfolio(book))
    assert again == book
    assert load_document(json.loads(path.read_text())).portfolio == book


def test_hedged_samples_are_cheaper_under_portfolio_margin():
    """The stories promise it: basis trade, pair and conversion save margin under PM."""
    market = default_market()
    for stem in ("02_basis_trade", "03_btc_eth_pair", "06_conversion"):
        book = load_portfolio(next(p for p in SAMPLES if p.stem == stem))
        assert portfolio_margin(book, market).initial < cross_margin(book, market).initial, stem


def test_results_pickle_with_their_breakdowns():
    """st.cache_data pickles what it stores: deferred breakdowns and grids must survive it."""
    import pickle

    book = load_portfolio(SAMPLES[0])
    for result in (cross_margin(book, default_market()), portfolio_margin(book, default_market())):
        again = pickle.loads(pickle.dumps(result))
        assert again.maintenance == result.maintenance
        assert again.breakdown.equals(result.breakdown)
        assert {k: v.shape for k, v in again.scenario_grids.items()} == {
            k: v.shape for k, v in result.scenario_grids.items()}
