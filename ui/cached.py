"""Cached engine calls (st.cache_data, bounded) and :func:`safe`, which turns errors into st.error.

Portfolio and Market are hashed by canonical JSON keys (``hash_funcs``), so two equal books share
a cache entry. Returned values are results and DataFrames, never Markets (a Market does not pickle).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd
import streamlit as st

import charts
import margin
from margin import Market, Portfolio, PortfolioError
from margin.io import portfolio_to_dict

T = TypeVar("T")
MAX_ENTRIES = 64


def portfolio_key(portfolio: Portfolio) -> str:
    return json.dumps(portfolio_to_dict(portfolio), sort_keys=True)


def market_key(market: Market) -> str:
    frame = market.correlation
    return json.dumps({"prices": dict(market.prices), "vols": dict(market.vols), "basis": dict(market.basis),
                       "assets": list(frame.index), "rho": frame.to_numpy().round(15).tolist()}, sort_keys=True)


HASH_FUNCS = {Portfolio: portfolio_key, Market: market_key}


def _cache(func):
    return st.cache_data(max_entries=MAX_ENTRIES, hash_funcs=HASH_FUNCS, show_spinner=False)(func)


def safe(func: Callable[..., T], *args, **kwargs) -> T | None:
    """Call ``func``; on PortfolioError show its message, on anything else a short note. None on error.

    No traceback ever reaches the page.
    """
    try:
        return func(*args, **kwargs)
    except PortfolioError as error:
        st.error(str(error))
    except Exception as error:  # noqa: BLE001 - the page must show a message, not a traceback
        st.error(f"Something went wrong: {type(error).__name__}: {error}")
    return None


@st.cache_data(max_entries=MAX_ENTRIES, hash_funcs=HASH_FUNCS, show_spinner=False)
def figure(builder: str, *args) -> dict:
    """``charts.<builder>(*args)`` as a validated plain dict, cached.

    A dict because the cache hands back a fresh unpickled copy on every hit: a go.Figure would be
    re-validated property by property (~16 ms a figure), a dict unpickles in ~0.1 ms.
    ``ui.page.chart`` draws it without validating it a second time.
    """
    return getattr(charts, builder)(*args).to_dict()


def materialise(result: margin.MarginResult) -> margin.MarginResult:
    """The same result with its lazy breakdown and grids built, so st.cache_data can pickle it."""
    grids = {unit: result.scenario_grids[unit] for unit in result.scenario_grids}
    return dataclasses.replace(result, breakdown_source=result.breakdown, scenario_grids=grids)


@_cache
def cross(book: Portfolio, market: Market, preset: str) -> margin.MarginResult:
    return materialise(margin.cross_margin(book, market, preset))


@_cache
def portfolio(book: Portfolio, market: Market, preset: str) -> margin.MarginResult:
    return materialise(margin.portfolio_margin(book, market, preset))


@_cache
def isolated(book: Portfolio, market: Market, asset: str, preset: str) -> margin.MarginResult:
    return materialise(margin.isolated_margin(book, market, asset, preset))


def _mode_params(cross_preset: str, portfolio_preset: str) -> dict[str, str]:
    return {"cross": cross_preset, "isolated": cross_preset, "portfolio": portfolio_preset}


@_cache
def curves(book: Portfolio, market: Market, asset: str, prices: tuple[float, ...], modes: tuple[str, ...],
           cross_preset: str, portfolio_preset: str, co_move: bool, elasticity: float) -> pd.DataFrame:
    return margin.margin_curves(book, market, asset, np.asarray(prices), modes,
                                _mode_params(cross_preset, portfolio_preset), co_move, elasticity)


@_cache
def liquidation(book: Portfolio, market: Market, asset: str, mode: str, preset: str, co_move: bool,
                elasticity: float) -> dict:
    return margin.liquidation_prices(book, market, asset, mode, preset, co_move, elasticity)


@_cache
def sweep(book: Portfolio, market: Market, vol_mults: tuple[float, ...], corr_shocks: tuple[float, ...],
          cross_preset: str, portfolio_preset: str) -> pd.DataFrame:
    return margin.shock_sweep(book, market, list(vol_mults), list(corr_shocks), cross_preset, portfolio_preset)


@_cache
def jumps(sweep_frame: pd.DataFrame, along: str) -> pd.DataFrame:
    return margin.detect_jumps(sweep_frame, along=along)


@_cache
def var(book: Portfolio, market: Market, method: str, confidence: float = 0.99) -> float:
    return margin.value_at_risk(book, market, confidence=confidence, horizon_days=1, method=method)


@_cache
def pnl(book: Portfolio, market: Market) -> np.ndarray:
    return margin.simulate_pnl(book, market, horizon_days=1)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def sample_stories() -> list[dict[str, str]]:
    """[{name, title, story}] of every sample portfolio file."""
    from ui.state import SAMPLES_DIR, sample_names

    out = []
    for name in sample_names():
        book = margin.load_portfolio(SAMPLES_DIR / name)
        out.append({"name": name, "title": book.title or name, "story": book.story})
    return out
