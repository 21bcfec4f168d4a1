"""Crash replay (margin/replay.py): the vectorised replay against a slow day-by-day reference built only
from the public single-book functions, on every sample over every bundled episode and the example
history; the running EWMA against its closed form and against margin.history's own estimator; the
liquidation day; the bundled episode files and their cited closes; refusals."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from charts.replay import replay_chart
from margin import Perp, Portfolio, PortfolioError, cross_margin, portfolio_margin
from margin.history import (
    HistoryGapError,
    annualised_vols,
    ewma_variance_update,
    parse_price_history,
)
from margin.market import is_stablecoin
from margin.presets import CROSS_PRESETS
from margin.replay import (
    EPISODES_DIR,
    days_survived,
    episodes,
    ewma_variance_path,
    load_episode,
    replay,
    worst_move,
)
from views import replay as readings
from views.rules import every_rule_set
from views.samples import EMPTY, load_sample, sample_names

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [*sample_names(), EMPTY]
EPISODES = [item.id for item in episodes()]
EXAMPLE = ROOT / "sample_data" / "example_prices.csv"


# -- the slow reference: one Market per day, the public single-book functions ------------------------
def reference(book, market, path, start, end, cross=None, rules=None, anchor="BTC"):
    """Every replayed day as its own Market (prices moved by the path's returns from today's, vols from
    margin.history.annualised_vols on the closes up to that day), priced with cross_margin and
    portfolio_margin one day at a time."""
    path = path.loc[:end]
    days = path.loc[start:].index
    columns = {c.upper(): c for c in path.columns}
    rows = []
    for day in days:
        upto = path.loc[:day]
        ewma = annualised_vols(upto, method="ewma")
        prices, vols = {}, {}
        for asset in book.assets():
            if asset.upper() in columns:
                column = columns[asset.upper()]
                prices[asset] = market.prices[asset] * path.loc[day, column] / path.loc[start, column]
                if ewma[column] > 1e-12 * math.sqrt(365):
                    vols[asset] = float(ewma[column])
            elif not is_stablecoin(asset) and anchor in columns.values() and anchor in market.prices:
                rho = float(market.correlation.loc[asset, anchor])
                beta = rho * market.vols[asset] / market.vols[anchor]
                prices[asset] = market.prices[asset] * (path.loc[day, anchor] / path.loc[start, anchor]) ** beta
                first = float(annualised_vols(path.loc[:start], method="ewma")[anchor])
                vols[asset] = market.vols[asset] * float(ewma[anchor]) / first
        today = market.with_prices(prices).with_vols(vols)
        cm, pm = cross_margin(book, today, cross), portfolio_margin(book, today, rules)
        rows.append({"date": day, **{f"price_{a}": today.prices[a] for a in book.assets()},
                     **{f"vol_{a}": today.vols[a] for a in book.assets()},
                     "equity_cross": cm.equity, "maintenance_cross": cm.maintenance, "initial_cross": cm.initial,
                     "equity_portfolio": pm.equity, "maintenance_portfolio": pm.maintenance,
                     "initial_portfolio": pm.initial})
    return pd.DataFrame(rows).set_index("date")


def assert_same(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    for column in slow.columns:
        np.testing.assert_allclose(fast[column].to_numpy(), slow[column].to_numpy(), rtol=1e-9, atol=1e-9,
                                   err_msg=column)


def first_below(slow: pd.DataFrame, mode: str):
    below = slow[f"equity_{mode}"] < slow[f"maintenance_{mode}"]
    return below.idxmax() if below.any() else None


@pytest.mark.parametrize("episode", EPISODES)
@pytest.mark.parametrize("sample", SAMPLES)
def test_the_replay_equals_a_day_by_day_loop_of_the_single_book_functions(sample, episode):
    book, market = load_sample(sample)
    item, path = load_episode(episode)
    fast = replay(book, path, market, start=item.start, end=item.end)
    slow = reference(book, market, path, item.start, item.end)
    assert list(fast.index) == list(slow.index)
    assert_same(fast, slow)
    for mode in ("cross", "portfolio"):
        # The liquidation day is the first day equity falls below maintenance, and nothing before it is.
        assert fast.attrs["liquidation_day"][mode] == first_below(slow, mode)
        flags = fast[f"liquidated_{mode}"].to_numpy()
        day = fast.attrs["liquidation_day"][mode]
        expected = np.zeros(len(fast), dtype=bool) if day is None else fast.index >= day
        assert (flags == expected).all()
        call = slow[f"equity_{mode}"] < slow[f"initial_{mode}"]
        assert (fast[f"call_{mode}"].to_numpy() == call.to_numpy()).all()


@pytest.mark.parametrize("rules", every_rule_set()[::5], ids=lambda r: r.label)
def test_the_replay_equals_the_loop_under_other_rule_sets(rules):
    book, market = load_sample("07_diversified_alts.json")  # SOL is no column of March 2020: a proxy
    item, path = load_episode("covid-2020")
    fast = replay(book, path, market, rules.cross, rules.portfolio_params, start=item.start, end=item.end)
    assert "SOL" in fast.attrs["proxied"]
    assert_same(fast, reference(book, market, path, item.start, item.end, rules.cross, rules.portfolio_params))


@pytest.mark.parametrize("sample", ["03_btc_eth_pair.json", "05_short_strangle.json", "09_cross_contagion.json"])
def test_the_replay_over_the_example_history_equals_the_loop(sample):
    """A year of synthetic closes (BTC, ETH, SOL): past one block of the running EWMA (256 days)."""
    book, market = load_sample(sample)
    path = parse_price_history(EXAMPLE)
    start = path.index[30]
    fast = replay(book, path, market, start=start)
    assert len(fast) == len(path) - 30
    slow = reference(book, market, path, start, path.index[-1])
    assert_same(fast, slow)


# -- the running EWMA ----------------------------------------------------------------------------------
def test_the_running_ewma_is_the_seeded_recursion_by_hand():
    """Returns 1 %, -2 %, 3 %, lambda 0.9: var = 1e-4, then 0.9e-4 + 0.1 x 4e-4 = 1.3e-4, then
    0.9 x 1.3e-4 + 0.1 x 9e-4 = 2.07e-4 (Hull's step, ewma_variance_update(0.01**2, 0.02, 0.9) = 1.3e-4)."""
    out = ewma_variance_path(np.array([[0.01], [-0.02], [0.03]]), lam=0.9)
    np.testing.assert_allclose(out[:, 0], [1e-4, 1.3e-4, 2.07e-4], rtol=1e-12)
    assert ewma_variance_update(0.01**2, 0.02, 0.9) == pytest.approx(out[1, 0], rel=1e-12)


def test_a_return_across_a_gap_takes_its_days_at_once():
    """The third return spans 2 days (one missing), already scaled to u = r / sqrt(2): it decays the
    variance by 0.9**2 and enters with weight 1 - 0.9**2."""
    u = 0.03 / math.sqrt(2)
    out = ewma_variance_path(np.array([[0.01], [-0.02], [u]]), spans=np.array([1.0, 1.0, 2.0]), lam=0.9)
    assert out[2, 0] == pytest.approx(0.81 * 1.3e-4 + 0.19 * u * u, rel=1e-12)


def test_the_running_ewma_equals_the_step_by_step_update_across_blocks():
    rng = np.random.default_rng(7)
    returns = rng.normal(0.0, 0.03, size=(700, 2))
    spans = rng.choice([1.0, 1.0, 1.0, 2.0, 4.0], size=700)
    out = ewma_variance_path(returns, spans, lam=0.94)
    var = returns[0] ** 2
    for t in range(1, 700):
        var = 0.94 ** spans[t] * var + (1 - 0.94 ** spans[t]) * returns[t] ** 2
        np.testing.assert_allclose(out[t], var, rtol=1e-10)


def test_replay_vols_are_margin_history_ewma_on_the_closes_up_to_each_day():
    book, market = load_sample("03_btc_eth_pair.json")
    item, path = load_episode("ftx-2022")
    frame = replay(book, path, market, start=item.start, end=item.end, lam=0.9)
    for day in frame.index[::4]:
        expected = annualised_vols(path.loc[:day], method="ewma", lam=0.9)
        assert frame.loc[day, "vol_BTC"] == pytest.approx(expected["BTC"], rel=1e-12)
        assert frame.loc[day, "vol_ETH"] == pytest.approx(expected["ETH"], rel=1e-12)


# -- what a day is ----------------------------------------------------------------------------------
def test_the_first_day_is_today_and_prices_follow_the_path_returns():
    book, market = load_sample("03_btc_eth_pair.json")
    item, path = load_episode("may-2021")
    frame = replay(book, path, market, start=item.start, end=item.end)
    assert frame.index[0] == item.start and frame.index[-1] == item.end
    assert frame["price_BTC"].iloc[0] == market.prices["BTC"]
    # 19 May 2021: BTC closed at 37,002.44 from 42,909.40 the day before (Yahoo closes), -13.8 %.
    day, move = worst_move(frame, "BTC")
    assert day == pd.Timestamp("2021-05-19")
    assert move == pytest.approx(37002.44140625 / 42909.40234375 - 1, rel=1e-12)


def test_a_coin_the_episode_lacks_follows_btc_by_its_correlation_beta():
    book, market = load_sample("09_cross_contagion.json")  # HYPE: in no episode
    item, path = load_episode("aug-2024")
    frame = replay(book, path, market, start=item.start, end=item.end)
    beta = float(market.correlation.loc["HYPE", "BTC"]) * market.vols["HYPE"] / market.vols["BTC"]
    assert frame.attrs["proxied"]["HYPE"] == pytest.approx(beta)
    btc = path.loc[item.start:item.end, "BTC"] / path.loc[item.start, "BTC"]
    np.testing.assert_allclose(frame["price_HYPE"], market.prices["HYPE"] * btc.to_numpy() ** beta, rtol=1e-12)
    assert frame["vol_HYPE"].iloc[0] == pytest.approx(market.vols["HYPE"])
    assert "USDC" in frame.attrs["held"]


def test_a_lone_long_liquidates_on_the_first_day_equity_is_below_maintenance_by_hand():
    """One BTC perp long at 10x with 10,000 USDC over March 2020, cross maintenance under hyperliquid
    is 1/(2 x 40) of the notional: the account is liquidated on the first day 10,000 + (P - entry) <
    P / 80, i.e. P < (entry - 10,000) x 80 / 79."""
    book, market = load_sample("01_naked_long_perp.json")
    entry = market.prices["BTC"]
    lone = Portfolio((Perp("BTC", 1.0, entry, leverage=10),), {"USDC": 10_000.0})
    item, path = load_episode("covid-2020")
    frame = replay(lone, path, market, "hyperliquid", start=item.start, end=item.end)
    assert CROSS_PRESETS["hyperliquid"].max_leverage["BTC"] == 40
    threshold = (entry - 10_000.0) * 80 / 79
    prices = frame["price_BTC"]
    assert frame.attrs["liquidation_day"]["cross"] == prices[prices < threshold].index[0]
    assert days_survived(frame, "cross") == int(frame.loc[prices[prices < threshold].index[0], "day"])


# -- the bundled episodes ------------------------------------------------------------------------------
@pytest.mark.parametrize("episode", EPISODES)
def test_each_episode_file_is_a_complete_daily_history_with_sixty_days_of_warm_up(episode):
    item, path = load_episode(episode)
    assert (EPISODES_DIR / item.file).is_file()
    assert {"BTC", "ETH"} <= set(path.columns)
    assert path.index[0] == item.start - pd.Timedelta(days=60) and path.index[-1] == item.end
    assert (np.diff(path.index.asi8) == pd.Timedelta(days=1).value).all()  # no missing day
    assert item.start <= item.crash_day <= item.end
    assert (path.to_numpy() > 0).all()


def test_the_bundled_closes_match_an_independent_copy_of_yahoo_data():
    """viveksing77/Portfolio-Optimization @ 932be4ab, data/BTC-USD.csv and data/ETH-USD.csv (Yahoo Finance,
    six decimals): 2021-05-19 closes BTC 37002.441406, ETH 2460.679199; 2021-05-12 BTC 49150.535156."""
    _, path = load_episode("may-2021")
    assert path.loc["2021-05-19", "BTC"] == pytest.approx(37002.441406, abs=5e-7)
    assert path.loc["2021-05-19", "ETH"] == pytest.approx(2460.679199, abs=5e-7)
    assert path.loc["2021-05-12", "BTC"] == pytest.approx(49150.535156, abs=5e-7)


def test_the_readme_cites_the_source_of_every_episode():
    readme = (EPISODES_DIR / "README.md").read_text()
    assert "Alexshch09/Stocks-prices" in readme and "11c6cc3c080b66a3bcdd820d4863f327a5a0a433" in readme
    for item in episodes():
        assert item.file in readme


# -- refusals ----------------------------------------------------------------------------------------
def test_a_gap_longer_than_three_days_is_refused_with_its_dates():
    book, market = load_sample("03_btc_eth_pair.json")
    item, path = load_episode("covid-2020")
    holed = path.drop(pd.date_range("2020-03-01", "2020-03-04"))
    with pytest.raises(HistoryGapError, match="2020-03-01 to 2020-03-04"):
        replay(book, holed, market, start=item.start)
    bridged = path.drop(pd.date_range("2020-03-01", "2020-03-02"))
    frame = replay(book, bridged, market, start=item.start)
    assert len(frame.attrs["gaps"]) == 1


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"start": "2020-01-06"}, "needs two"),
    ({"start": "1999-01-01"}, "no close on 1999-01-01"),
    ({"start": "2020-03-10", "end": "2020-03-05"}, "before start"),
    ({"start": "not a date"}, "a date such as"),
    ({"lam": 1.0}, "between 0 and 1"),
    ({"lam": True}, "between 0 and 1"),
])
def test_bad_arguments_are_refused_naming_the_field(kwargs, match):
    book, market = load_sample("03_btc_eth_pair.json")
    _, path = load_episode("covid-2020")
    with pytest.raises(PortfolioError, match=match):
        replay(book, path, market, **kwargs)


def test_a_path_without_the_books_assets_is_refused():
    book, market = load_sample("03_btc_eth_pair.json")
    _, path = load_episode("covid-2020")
    with pytest.raises(PortfolioError, match="none of the book's assets"):
        replay(book, path[["XRP"]], market)
    with pytest.raises(PortfolioError, match="DataFrame of daily closes"):
        replay(book, path.to_numpy(), market)
    with pytest.raises(PortfolioError, match="no bundled episode"):
        load_episode("1929")


# -- the words and the chart, from the numbers --------------------------------------------------------
def test_the_outcome_names_the_mode_the_loop_liquidates_first_and_the_days_between():
    """Sample 01 over March 2020: the day-by-day loop finds each mode's first day below maintenance; the
    sentence names the earlier one first and the gap in days between them."""
    book, market = load_sample("01_naked_long_perp.json")
    item, path = load_episode("covid-2020")
    slow = reference(book, market, path, item.start, item.end)
    cross, portfolio = first_below(slow, "cross"), first_below(slow, "portfolio")
    assert cross is not None and portfolio is not None and cross != portfolio
    first = "Portfolio margin" if portfolio < cross else "Cross margin"
    gap = abs((cross - portfolio).days)
    words = readings.outcome(replay(book, path, market, start=item.start, end=item.end))
    assert words.startswith(f"{first} liquidates the book first")
    assert f"{gap} days after" in words


def test_the_chart_draws_the_days_up_to_the_one_shown_and_marks_a_liquidation_once_reached():
    book, market = load_sample("01_naked_long_perp.json")
    item, path = load_episode("covid-2020")
    frame = replay(book, path, market, start=item.start, end=item.end)
    day = int(frame.loc[frame.attrs["liquidation_day"]["portfolio"], "day"])
    before = replay_chart(frame, day - 1, "BTC")
    after = replay_chart(frame, day, "BTC")
    assert all(len(trace.x) == day for trace in before.data)
    assert "liquidation days" not in {trace.name for trace in before.data}
    marks = next(trace for trace in after.data if trace.name == "liquidation days")
    assert list(marks.text) == ["Portfolio liquidated"]
    assert list(marks.y) == [pytest.approx(frame["maintenance_portfolio"].iloc[day])]
    assert after.layout.yaxis.range[0] <= frame["equity_cross"].min()  # the axes hold the whole replay


@pytest.mark.parametrize("sample", ["04_covered_call.json", "05_short_strangle.json", "06_conversion.json"])
def test_a_skewed_smile_rides_along_each_day(sample):
    """With a smile on, each day's options sit at their strike's vol on a smile centred on that day's
    price: the vectorised replay still equals the day-by-day loop, and the smile changes the numbers."""
    book, market = load_sample(sample)
    skewed = market.with_smile({asset: (-0.2, 0.05) for asset in book.assets() if not is_stablecoin(asset)})
    item, path = load_episode(EPISODES[0])
    fast = replay(book, path, skewed, start=item.start, end=item.end)
    assert_same(fast, reference(book, skewed, path, item.start, item.end))
    flat = replay(book, path, market, start=item.start, end=item.end)
    assert not np.allclose(fast["maintenance_cross"], flat["maintenance_cross"])
