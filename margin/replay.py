"""Crash replay: today's book walked day by day through a real price path, both modes at every day.

:func:`replay` takes the book and market of today, a history of daily closes (a bundled crash
episode, :func:`load_episode`; the example history; an uploaded CSV read by
:func:`margin.history.parse_price_history`) and the rule sets, and returns one row per replayed day:
prices, EWMA volatilities, equity, cross and portfolio maintenance and initial margin, margin-call
and liquidation flags. Every day is priced in one vectorised pass per mode
(:func:`margin.cross.cross_arrays` and :func:`margin.portfolio.maintenance_at_states` over all days
at once), never a loop calling the single-book functions.

What a day is (the conventions, stated once):

* **Prices move by the path's returns, from today's prices.** On the first replayed day (``start``)
  every price is today's; on day t an asset in the path is at today's price x close_t / close_start.
  So the replay asks "what if this episode started today, on this book"; entry prices, collateral
  and quantities stay as the book has them (no funding, fees, top-ups or partial liquidation).
* **Volatility is the path's own EWMA** (RiskMetrics, decay ``lam``, 365-day year), estimated from
  the closes up to and including day t, with the seed and missing-date rules of
  :mod:`margin.history` (:func:`ewma_variance_path`; on each day it equals
  ``annualised_vols(path up to that day, method="ewma")``). The closes before ``start`` only warm it
  up. A crash day's return enters that day's volatility, so a scan range that answers volatility
  widens as the crash unfolds. Option marks use these vols too.
* **An asset of the book that the path lacks** (a stablecoin aside) moves with the path's ``anchor``
  (BTC by default) by its correlation-implied beta, beta = rho x vol / vol_anchor from today's
  market (:func:`margin.liquidation_price`'s co-move rule): price = today x (anchor ratio)^beta, and
  its volatility is today's scaled by the anchor's EWMA volatility over its value on ``start``.
  Without the anchor in the path it is held at today's price and volatility. A stablecoin the path
  lacks is held at today's price and volatility (the episode has no depeg in it).
* **Held fixed**: correlations (today's matrix), the futures basis, and **expiries**: options keep
  the days to expiry the book states and futures their basis, every day. The replay shows what the
  market's moves do to the book as it stands, not time decay; a short option would otherwise expire
  mid-episode, which the engine does not settle.
* **Flags.** A margin call on day t: equity below the mode's initial margin. Liquidation: the first
  day equity falls below the mode's maintenance (the venue would close the book then); the frame
  still prices the book as held afterwards, and ``liquidated_<mode>`` is True from that day on.

Money is USD, volatility annualised as a fraction, dates calendar days (crypto trades every day).
Pure Python + NumPy + pandas: no streamlit, no plotly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from margin.book import book_arrays, equity_parts, market_vectors
from margin.cross import cross_arrays
from margin.errors import PortfolioError
from margin.history import (
    DAYS_PER_YEAR,
    DEFAULT_LAMBDA,
    MAX_BRIDGED_DAYS,
    MIN_DAILY_VARIANCE,
    HistoryGapError,
    log_returns,
    parse_price_history,
    scaled_returns,
)
from margin.history_dates import gaps_behind, return_spans
from margin.instruments import Portfolio
from margin.market import Market, is_stablecoin
from margin.params import PortfolioParams
from margin.portfolio import maintenance_at_states
from margin.presets import cross_params, portfolio_params
from margin.units import scan_ranges, unit_plan

__all__ = ["EPISODES_DIR", "MODES", "Episode", "episodes", "ewma_variance_path", "load_episode", "replay"]

MODES = ("cross", "portfolio")
EPISODES_DIR = Path(__file__).resolve().parent.parent / "sample_data" / "episodes"
#: Days per block of the running EWMA: each block is one small matrix product, so the work grows
#: linearly with the path and no power of lambda overflows.
_EWMA_BLOCK = 256


# -- the bundled episodes --------------------------------------------------------------------------
@dataclass(frozen=True)
class Episode:
    """A bundled crash: ``file`` (in :data:`EPISODES_DIR`) holds daily USD closes from 60 days before
    ``start`` (warm-up for the EWMA) to ``end``; ``crash_day`` is the day the episode is known by."""

    id: str
    title: str
    file: str
    start: pd.Timestamp
    end: pd.Timestamp
    crash_day: pd.Timestamp
    what: str


@lru_cache(maxsize=1)
def _catalogue() -> tuple[dict, tuple[Episode, ...]]:
    document = json.loads((EPISODES_DIR / "episodes.json").read_text())
    found = tuple(Episode(id=item["id"], title=item["title"], file=item["file"], start=pd.Timestamp(item["start"]),
                          end=pd.Timestamp(item["end"]), crash_day=pd.Timestamp(item["crash_day"]),
                          what=item["what"]) for item in document["episodes"])
    return document["source"], found


def episodes() -> tuple[Episode, ...]:
    """The bundled crash episodes, oldest first (``sample_data/episodes/episodes.json``)."""
    return _catalogue()[1]


def episode_source() -> dict:
    """Where the episodes' closes come from: repository, commit, paths and the original source."""
    return dict(_catalogue()[0])


@lru_cache(maxsize=8)
def _episode_prices(file: str) -> pd.DataFrame:
    return parse_price_history(EPISODES_DIR / file)


def load_episode(episode_id: str) -> tuple[Episode, pd.DataFrame]:
    """(the episode, its daily closes as :func:`margin.history.parse_price_history` reads them: a copy)."""
    found = {item.id: item for item in episodes()}
    if episode_id not in found:
        raise PortfolioError(f"episode: no bundled episode called {episode_id!r}; choose one of {', '.join(found)}.")
    item = found[episode_id]
    return item, _episode_prices(item.file).copy()


# -- EWMA volatility along a path --------------------------------------------------------------------
def ewma_variance_path(returns: np.ndarray, spans: np.ndarray | None = None, lam: float = DEFAULT_LAMBDA) -> np.ndarray:
    """The seeded RiskMetrics EWMA daily variance after each return: row t is the estimate from
    returns 0..t (the convention of :mod:`margin.history`, so it equals
    ``ewma_covariance(returns[:t+1], ewma_weights(t+1, lam, spans[:t+1]))``'s diagonal).

    Args:
        returns: (T, A) one-day returns (fractions), oldest first; a return across missing days
            already divided by the square root of the days it spans (:func:`margin.history.scaled_returns`).
        spans: (T,) calendar days each return spans (default all 1): a return spanning k days takes k
            daily steps at once, lam**k.
        lam: the decay factor in (0, 1).

    Returns (T, A) daily variances: var_0 = u_0**2 (the seed) and
    var_t = lam**(D_t - D_0) u_0**2 + sum_{0<i<=t} (1 - lam**k_i) lam**(D_t - D_i) u_i**2, D the
    cumulative days. Computed in blocks of days, each one matrix product.
    """
    squared = np.atleast_2d(np.asarray(returns, dtype=float)) ** 2
    count = squared.shape[0]
    days = np.ones(count) if spans is None else np.asarray(spans, dtype=float)
    elapsed = np.cumsum(days)
    weight = 1.0 - lam**days  # the new return's weight in its step
    weight[0] = 1.0  # the first return seeds the variance
    out = np.empty_like(squared)
    carried = np.zeros(squared.shape[1])  # the variance before the block (nothing before the seed)
    carried_at = elapsed[0]
    for lo in range(0, count, _EWMA_BLOCK):
        hi = min(lo + _EWMA_BLOCK, count)
        at = elapsed[lo:hi]
        lag = at[:, None] - at[None, :]  # days from return i to day t inside the block
        decay = np.where(lag >= 0, lam ** np.maximum(lag, 0.0), 0.0)
        out[lo:hi] = decay @ (weight[lo:hi, None] * squared[lo:hi]) + lam ** (at - carried_at)[:, None] * carried
        carried, carried_at = out[hi - 1], at[-1]
    return out


# -- the replay ---------------------------------------------------------------------------------------
def _show(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _day(value: object, field: str, index: pd.DatetimeIndex) -> int | None:
    """The row of ``index`` holding the date ``value`` (None for None), or PortfolioError."""
    if value is None:
        return None
    try:
        when = pd.Timestamp(value).normalize()
    except (TypeError, ValueError):
        raise PortfolioError(f"{field}: a date such as '2020-03-12' (got {_show(value)}).") from None
    where = index.get_indexer([when])[0]
    if where < 0:
        raise PortfolioError(f"{field}: the history has no close on {when:%Y-%m-%d}; choose a date between "
                             f"{index[0]:%Y-%m-%d} and {index[-1]:%Y-%m-%d} that has one.")
    return int(where)


def _path_frame(path: object) -> pd.DataFrame:
    if not isinstance(path, pd.DataFrame) or not isinstance(path.index, pd.DatetimeIndex):
        raise PortfolioError("path: a DataFrame of daily closes indexed by date, one column per asset, as "
                             f"margin.history.parse_price_history returns (got {type(path).__name__}).")
    if path.shape[0] < 3:
        raise PortfolioError(f"path: {path.shape[0]} closes; the replay needs at least 3 (two returns warm up the "
                             "volatility). Add more days of history.")
    log_returns(path)  # checks every close and the order of the dates
    return path


@dataclass(frozen=True)
class _Moves:
    """Each book asset's price ratio to today and volatility on every replayed day, (T, A)."""

    ratio: np.ndarray
    vols: np.ndarray
    from_path: dict[str, str]
    proxied: dict[str, float]
    held: list[str]


def _moves(assets: tuple[str, ...], market: Market, closes: pd.DataFrame, variance: np.ndarray, rows: slice,
           anchor: str) -> _Moves:
    """Price ratios and vols of the book's assets on the replayed rows (see the module docstring)."""
    columns = {str(name).strip().upper(): name for name in closes.columns}
    values = closes.to_numpy(dtype=float)
    start = rows.start
    n_days = rows.stop - rows.start
    ratio, vols = np.ones((n_days, len(assets))), np.empty((n_days, len(assets)))
    from_path, proxied, held = {}, {}, []
    annual = np.sqrt(np.maximum(variance, 0.0) * DAYS_PER_YEAR)
    anchor_column = columns.get(anchor.upper()) if isinstance(anchor, str) else None
    for a, asset in enumerate(assets):
        today_vol = float(market.vols[asset])
        column = columns.get(asset.upper())
        if column is not None:
            j = list(closes.columns).index(column)
            ratio[:, a] = values[rows, j] / values[start, j]
            moved = variance[rows, j] > MIN_DAILY_VARIANCE  # a close that never moved keeps today's vol
            vols[:, a] = np.where(moved, annual[rows, j], today_vol)
            from_path[asset] = str(column)
        elif not is_stablecoin(asset) and anchor_column is not None and anchor in market.prices:
            j = list(closes.columns).index(anchor_column)
            rho = float(market.correlation_array([asset, anchor])[0, 1])
            beta = rho * today_vol / float(market.vols[anchor])
            ratio[:, a] = (values[rows, j] / values[start, j]) ** beta
            base = annual[start, j]
            vols[:, a] = today_vol * (annual[rows, j] / base if base > 0 else 1.0)
            proxied[asset] = beta
        else:
            vols[:, a] = today_vol
            held.append(asset)
    return _Moves(ratio, vols, from_path, proxied, held)


def replay(book: Portfolio, path: pd.DataFrame, market: Market, cross_preset: object = None,
           portfolio_rules: PortfolioParams | str | None = None, *, start: object = None, end: object = None,
           lam: float = DEFAULT_LAMBDA, anchor: str = "BTC") -> pd.DataFrame:
    """Walk ``book`` day by day through the closes ``path``, from today's ``market``.

    Args:
        book, market: today's Portfolio and Market (prices, vols, correlations, basis).
        path: daily closes (USD), indexed by date, one column per asset (column names matched to the
            book's tickers, case-insensitively), as :func:`margin.history.parse_price_history` returns.
        cross_preset: the cross rule set (None: the default preset, a name, or a CrossParams).
        portfolio_rules: the portfolio rule set (None: the default preset, a name, or PortfolioParams).
        start: the first replayed day (its prices are today's); the days before only warm up the EWMA.
            None: the third date (two returns warm up).
        end: the last replayed day (None: the path's last).
        lam: EWMA decay factor in (0, 1).
        anchor: the path asset that a book asset missing from the path follows by beta.

    Returns a DataFrame indexed by date (one row per replayed day) with columns ``day`` (0, 1, ...),
    ``price_<ASSET>`` (USD) and ``vol_<ASSET>`` (annualised) for each asset of the book,
    ``range_<ASSET>`` (the portfolio scan range, a fraction) for each risk unit, and for each mode
    (cross, portfolio) ``equity_``, ``maintenance_``, ``initial_`` (USD), ``call_`` (equity below
    initial), ``below_`` (equity below maintenance) and ``liquidated_`` (from the first day below
    maintenance on). ``attrs``: ``liquidation_day`` and ``first_call`` (mode -> Timestamp or None),
    ``from_path`` (book asset -> path column), ``proxied`` (asset -> beta on the anchor), ``held``,
    ``anchor``, ``lam``, ``gaps`` (missing dates bridged inside the used history).

    Raises PortfolioError for a bad argument, a path without any of the book's assets or the anchor,
    or a gap of more than MAX_BRIDGED_DAYS missing days (HistoryGapError).
    """
    arrays = book_arrays(book, market)
    cross_rules, rules = cross_params(cross_preset), portfolio_params(portfolio_rules)
    closes = _path_frame(path)
    if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not 0.0 < float(lam) < 1.0:
        raise PortfolioError(f"lam: the EWMA decay must be between 0 and 1, exclusive (got {_show(lam)}); "
                             "RiskMetrics uses 0.94.")
    index = closes.index
    first = _day(start, "start", index)
    first = 2 if first is None else first
    if first < 2:
        raise PortfolioError(f"start: {index[first]:%Y-%m-%d} leaves {first} return(s) before it; the EWMA "
                             f"volatility needs two. Start on {index[2]:%Y-%m-%d} or later.")
    last = _day(end, "end", index)
    last = len(index) - 1 if last is None else last
    if last < first:
        raise PortfolioError(f"end: {index[last]:%Y-%m-%d} is before start {index[first]:%Y-%m-%d}.")
    used = closes.iloc[: last + 1]
    spans = return_spans(used.index, "daily")
    too_long = np.flatnonzero(spans > MAX_BRIDGED_DAYS + 1)
    if too_long.size:
        raise HistoryGapError(gaps_behind(used.index[1:][too_long], spans[too_long]),
                              returns_after=len(spans) - int(too_long[-1]) - 1)
    scaled = scaled_returns(log_returns(used), spans).to_numpy()
    # Row r of the closes carries the estimate from the returns up to r (row 0 has none: never replayed).
    variance = np.vstack([np.full((1, used.shape[1]), np.nan), ewma_variance_path(scaled, spans, float(lam))])
    assets = arrays.assets
    moves = _moves(assets, market, used, variance, slice(first, last + 1), anchor)
    if not moves.from_path and not moves.proxied and any(not is_stablecoin(a) for a in assets):
        raise PortfolioError(f"path: none of the book's assets ({', '.join(assets)}) or {anchor} is in the history "
                             f"({', '.join(map(str, closes.columns))}). Name the columns after the book's assets.")
    spots, vols, basis = market_vectors(arrays, market)
    day_spots, day_vols = spots[None, :] * moves.ratio, moves.vols
    frame = pd.DataFrame({"day": np.arange(day_spots.shape[0])}, index=used.index[first : last + 1])
    frame.index.name = "date"
    for a, asset in enumerate(assets):
        frame[f"price_{asset}"] = day_spots[:, a]
        frame[f"vol_{asset}"] = day_vols[:, a]
    layout = arrays.unit_layout
    if layout.assets:
        floors = np.array([rules.range_floor(asset) for asset in layout.assets])
        ranges = scan_ranges(floors, day_vols[:, layout.is_unit], rules)
        for u, asset in enumerate(layout.assets):
            frame[f"range_{asset}"] = ranges[:, u]
    smile = market.smile_array(assets)  # each option at its strike's vol, the smile centred on each day's price
    cross = cross_arrays(arrays, cross_rules, day_spots, day_vols, basis, smile)
    correlation = market.correlation_array(list(assets)) if assets else np.eye(0)
    maintenance = (maintenance_at_states(arrays, day_spots, day_vols, basis, rules, correlation, smile) if assets
                   else np.zeros(len(frame)))
    equity = equity_parts(arrays, day_spots, day_vols, basis, unit_plan(arrays, rules).haircuts, smile)["equity"]
    numbers = {"cross": (cross["equity"], cross["maintenance"], cross["initial"]),
               "portfolio": (equity, maintenance, rules.im_multiplier * maintenance)}
    liquidation_day, first_call = {}, {}
    for mode, (mode_equity, mode_maintenance, mode_initial) in numbers.items():
        below = mode_equity < mode_maintenance
        call = mode_equity < mode_initial
        frame[f"equity_{mode}"] = mode_equity
        frame[f"maintenance_{mode}"] = mode_maintenance
        frame[f"initial_{mode}"] = mode_initial
        frame[f"call_{mode}"] = call
        frame[f"below_{mode}"] = below
        frame[f"liquidated_{mode}"] = np.logical_or.accumulate(below)
        liquidation_day[mode] = frame.index[int(np.argmax(below))] if below.any() else None
        first_call[mode] = frame.index[int(np.argmax(call))] if call.any() else None
    frame.attrs.update({"liquidation_day": liquidation_day, "first_call": first_call, "from_path": moves.from_path,
                        "proxied": moves.proxied, "held": moves.held, "anchor": anchor, "lam": float(lam),
                        "gaps": gaps_behind(used.index[1:], spans)})
    return frame


def days_survived(frame: pd.DataFrame, mode: str) -> int | None:
    """Replayed days before ``mode`` liquidates (0: on the first day), None when it never does."""
    if mode not in MODES:
        raise PortfolioError(f"mode: one of {', '.join(MODES)} (got {_show(mode)}).")
    day = frame.attrs.get("liquidation_day", {}).get(mode)
    return None if day is None else int(frame.loc[day, "day"])


def worst_move(frame: pd.DataFrame, asset: str) -> tuple[pd.Timestamp, float]:
    """(day, move) of ``asset``'s largest one-day fall in the replay (a fraction, negative for a fall)."""
    column = f"price_{asset}"
    if column not in frame:
        raise PortfolioError(f"asset: the replay has no price for {asset!r}.")
    prices = frame[column].to_numpy()
    if prices.size < 2:
        return frame.index[0], 0.0
    moves = prices[1:] / prices[:-1] - 1.0
    i = int(np.argmin(moves))
    return frame.index[i + 1], float(moves[i])
