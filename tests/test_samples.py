"""Every sample portfolio loads, tells its story and prices under both modes on the default market."""

import json
import math
from pathlib import Path

import pytest

from margin import cross_margin, default_market, liquidation_price, load_portfolio, portfolio_margin
from margin.io import load_document, save_portfolio
from views.rules import every_rule_set
from views.samples import load_sample

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


@pytest.mark.parametrize("rules", every_rule_set(), ids=lambda r: r.label)
def test_every_sample_prices_under_every_rule_set_the_app_offers(rules):
    for path in SAMPLES:
        book, market = load_sample(path.name)
        cm, pm = cross_margin(book, market, rules.cross), portfolio_margin(book, market, rules.portfolio_params)
        for result in (cm, pm):
            assert all(math.isfinite(v) for v in (result.initial, result.maintenance, result.equity)), path.stem
            assert result.initial >= result.maintenance >= 0, path.stem


@pytest.mark.parametrize("rules", every_rule_set(), ids=lambda r: r.label)
def test_the_coin_margined_sample_is_liquidated_by_a_fall_of_btc_in_every_mode(rules):
    """Sample 10 (long $100,000 BTC inverse perp, short $50,000 inverse future, 1 BTC deposited) is long BTC
    in dollars: every mode liquidates it below today's price, portfolio margin first."""
    book, market = load_sample("10_coin_margined_btc.json")
    today = market.prices["BTC"]
    found = {mode: liquidation_price(book, market, "BTC", mode,
                                     rules.portfolio_params if mode == "portfolio" else rules.cross)
             for mode in ("cross", "isolated", "portfolio")}
    assert all(price is not None and 0 < price < today for price in found.values()), found
    assert found["cross"] < found["portfolio"] < today


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
