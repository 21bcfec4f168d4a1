"""The engine-call cache: st.cache_data wrappers around engine calls, keyed by book, market and rule sets.

Every cached call of the engine is here (margin requirements, curves, liquidation prices, sweeps,
VaR, hedging benefits, the lessons' answers, readouts and texts, a price history's estimates), and
the memo that makes their keys cheap. Portfolio and Market are hashed by canonical JSON keys
(``HASH_FUNCS``, computed once per object by :func:`by_identity`), so two equal books share a cache
entry. Returned values are results and DataFrames, never Markets (a Market does not pickle).
Errors propagate: the pages show them (``ui.page.safe``).

Portfolio rule sets: a function's portfolio-preset argument is a PortfolioParams (the page passes the
workspace's rule set in force, ``Workspace.portfolio_rules``) or a preset name, meaning that preset as
published; either is resolved to the PortfolioParams before the cache sees it (:func:`rules_for`),
so the cache key is the rule set itself, never just its name.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd
import streamlit as st

import margin
from lessons import catalogue, framework
from margin import Market, Portfolio, PortfolioParams
from margin.history import EstimateResult
from margin.io import portfolio_to_dict
from views import history, metrics, samples
from views.rules import portfolio_rules

T = TypeVar("T")
MAX_ENTRIES = 64


def by_identity(func: Callable[..., T], maxsize: int = 256) -> Callable[..., T]:
    """Memoise ``func`` on the identity of its arguments (immutable Portfolios and Markets).

    A session keeps the same Portfolio and Market objects across reruns, so their canonical keys
    and share token are computed once per book rather than on every call of every rerun (they
    cost milliseconds each: JSON of the book, the correlation matrix). The arguments are held in
    the memo, so an id is never reused while its entry lives; entries beyond ``maxsize`` go
    oldest first.
    """
    memo: OrderedDict[tuple[int, ...], tuple[tuple, T]] = OrderedDict()
    lock = threading.Lock()

    def wrapper(*args):
        ids = tuple(id(a) for a in args)
        with lock:
            hit = memo.get(ids)
            if hit is not None and all(a is b for a, b in zip(hit[0], args, strict=True)):
                memo.move_to_end(ids)
                return hit[1]
        value = func(*args)
        with lock:
            memo[ids] = (args, value)
            while len(memo) > maxsize:
                memo.popitem(last=False)
        return value

    return functools.update_wrapper(wrapper, func)


@by_identity
def portfolio_key(portfolio: Portfolio) -> str:
    return json.dumps(portfolio_to_dict(portfolio), sort_keys=True)


@by_identity
def market_key(market: Market) -> str:
    frame = market.correlation
    # Every field of the Market: a field left out lets two sessions with different markets share (and show)
    # one cached result, as the smile once did.
    return json.dumps({"prices": dict(market.prices), "vols": dict(market.vols), "basis": dict(market.basis),
                       "smile": {asset: list(pair) for asset, pair in market.smile.items()},
                       "assets": list(frame.index), "rho": frame.to_numpy().round(15).tolist()}, sort_keys=True)


@by_identity
def rules_key(params: PortfolioParams) -> str:
    """Every field of a portfolio rule set, as canonical JSON (two equal rule sets share a cache entry)."""
    return json.dumps(params.as_dict(), sort_keys=True, default=lambda value: dict(value))


HASH_FUNCS = {Portfolio: portfolio_key, Market: market_key, PortfolioParams: rules_key}


def rules_for(preset: str | PortfolioParams) -> PortfolioParams:
    """The portfolio rule set ``preset`` means: a PortfolioParams as it is, a name as the preset is published."""
    return preset if isinstance(preset, PortfolioParams) else portfolio_rules(preset)


def cache(func):
    """st.cache_data, bounded, with Portfolio, Market and PortfolioParams hashed by their canonical keys."""
    return st.cache_data(max_entries=MAX_ENTRIES, hash_funcs=HASH_FUNCS, show_spinner=False)(func)


def cache_rules(*names: str):
    """:func:`cache`, with the arguments ``names`` (portfolio presets) resolved by :func:`rules_for` first."""

    def decorate(func):
        cached = cache(func)
        signature = inspect.signature(func)

        @functools.wraps(func)
        def call(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            for name in names:
                bound.arguments[name] = rules_for(bound.arguments[name])
            return cached(*bound.args, **bound.kwargs)

        call.clear = cached.clear
        return call

    return decorate


def materialise(result: margin.MarginResult) -> margin.MarginResult:
    """The same result with its lazy breakdown and grids built, so st.cache_data can pickle it."""
    grids = {unit: result.scenario_grids[unit] for unit in result.scenario_grids}
    return dataclasses.replace(result, breakdown_source=result.breakdown, scenario_grids=grids)


@cache
def cross(book: Portfolio, market: Market, preset: str) -> margin.MarginResult:
    return materialise(margin.cross_margin(book, market, preset))


@cache_rules("preset")
def portfolio(book: Portfolio, market: Market, preset: str | PortfolioParams) -> margin.MarginResult:
    return materialise(margin.portfolio_margin(book, market, preset))


@cache_rules("portfolio_preset")
def headline(book: Portfolio, market: Market, cross_preset: str,
             portfolio_preset: str | PortfolioParams) -> dict[str, float]:
    """Equity, maintenance and initial margin (USD) of both modes, for the sidebar summary.

    Only the six numbers are cached: st.cache_data pickles what it keeps, and the two results with
    their breakdown tables cost ~5 ms to build and pickle on every slider move (the numbers ~1 ms),
    for a summary that shows none of the tables.
    """
    cross_result = margin.cross_margin(book, market, cross_preset)
    portfolio_result = margin.portfolio_margin(book, market, portfolio_preset)
    return {f"{mode}_{field}": float(getattr(result, field))
            for mode, result in (("cross", cross_result), ("portfolio", portfolio_result))
            for field in ("equity", "maintenance", "initial")}


@cache
def isolated(book: Portfolio, market: Market, asset: str, preset: str) -> margin.MarginResult:
    return materialise(margin.isolated_margin(book, market, asset, preset))


def mode_params(cross_preset: str, portfolio_preset: str | PortfolioParams) -> dict[str, str | PortfolioParams]:
    """mode -> its rule set: cross and isolated take the cross preset, portfolio the portfolio one."""
    return {"cross": cross_preset, "isolated": cross_preset, "portfolio": portfolio_preset}


@cache_rules("portfolio_preset")
def curves(book: Portfolio, market: Market, asset: str, modes: tuple[str, ...], cross_preset: str,
           portfolio_preset: str | PortfolioParams, co_move: bool, elasticity: float) -> pd.DataFrame:
    """Equity and maintenance on :func:`views.metrics.price_grid` around today's price of ``asset``."""
    prices = metrics.price_grid(market.prices[asset])
    return margin.margin_curves(book, market, asset, prices, modes, mode_params(cross_preset, portfolio_preset),
                                co_move, elasticity)


def liquidation(book: Portfolio, market: Market, asset: str, mode: str, preset: str | PortfolioParams,
                co_move: bool, elasticity: float) -> dict:
    """Liquidation prices of ``mode``; ``preset`` is a cross preset, or in portfolio mode a portfolio one."""
    return _liquidation(book, market, asset, mode, rules_for(preset) if mode == "portfolio" else preset, co_move,
                        elasticity)


@cache
def _liquidation(book: Portfolio, market: Market, asset: str, mode: str, preset: str | PortfolioParams,
                 co_move: bool, elasticity: float) -> dict:
    return margin.liquidation_prices(book, market, asset, mode, preset, co_move, elasticity)


@cache_rules("portfolio_preset")
def sweep(book: Portfolio, market: Market, vol_mults: tuple[float, ...], corr_shocks: tuple[float, ...],
          cross_preset: str, portfolio_preset: str | PortfolioParams) -> pd.DataFrame:
    return margin.shock_sweep(book, market, list(vol_mults), list(corr_shocks), cross_preset, portfolio_preset)


@cache_rules("portfolio_preset")
def sweep_jumps(book: Portfolio, market: Market, cross_preset: str, portfolio_preset: str | PortfolioParams,
                along: str, held: float) -> pd.DataFrame:
    """The jumps the Shocks page marks on one line of the sweep (the other shock held at ``held``)."""
    table = sweep(book, market, metrics.VOL_MULTS, metrics.CORR_SHOCKS, cross_preset, portfolio_preset)
    fixed = "corr_shock" if along == "vol_mult" else "vol_mult"
    return metrics.jumps_on_line(margin.detect_jumps(table, along=along), fixed, held)


@cache
def var(book: Portfolio, market: Market, method: str, confidence: float = 0.99) -> float:
    return margin.value_at_risk(book, market, confidence=confidence, horizon_days=1, method=method)


@cache
def pnl(book: Portfolio, market: Market) -> np.ndarray:
    return margin.simulate_pnl(book, market, horizon_days=1)


@cache_rules("portfolio_preset")
def hedging_benefits(book: Portfolio, market: Market, cross_preset: str,
                     portfolio_preset: str | PortfolioParams) -> dict:
    """mode -> HedgingBenefit of the book under each mode's rule set (the Compare page)."""
    return {"cross": margin.hedging_benefit(book, market, "cross", cross_preset),
            "portfolio": margin.hedging_benefit(book, market, "portfolio", portfolio_preset)}


# -- the lessons: answers, readouts and generated texts, on a lesson's sample book ----------------
LESSON_ENTRIES = 512


@st.cache_data(max_entries=LESSON_ENTRIES, show_spinner=False)
def lesson_solution(lesson_id: str, index: int, cross: str, portfolio: str,
                    offsets: str | None = None) -> framework.Solution:
    """The engine's answer to question ``index`` of a lesson under these rule sets."""
    return framework.solve(catalogue.BY_ID[lesson_id], index, cross, portfolio_rules(portfolio, offsets))


@st.cache_data(max_entries=LESSON_ENTRIES, show_spinner=False)
def lesson_step_texts(lesson_id: str, step: int, cross: str, portfolio: str,
                      offsets: str | None = None) -> tuple[str, ...]:
    """(look, move, why) of a lesson's content step, generated from the numbers where they are."""
    return framework.step_text(catalogue.BY_ID[lesson_id], step, cross, portfolio_rules(portfolio, offsets))


@st.cache_data(max_entries=LESSON_ENTRIES, show_spinner=False)
def lesson_readout(lesson_id: str, step: int, value: float, cross: str, portfolio: str,
                   offsets: str | None = None) -> framework.Readout:
    """The live numbers of a lesson step's control at ``value``."""
    return framework.read(catalogue.BY_ID[lesson_id], step, value, cross, portfolio_rules(portfolio, offsets))


# -- a price history (Build page, market data) ------------------------------------------------------
HISTORY_ENTRIES = 16


@st.cache_data(max_entries=HISTORY_ENTRIES, show_spinner=False)
def history_read(data: bytes) -> tuple[pd.DataFrame | None, str | None]:
    """:func:`views.history.read_history`, cached on the file's bytes."""
    return history.read_history(data)


@st.cache_data(max_entries=HISTORY_ENTRIES, show_spinner=False)
def history_estimate(data: bytes, window: int | None, method: str,
                     lam: float) -> tuple[EstimateResult | None, str | None]:
    """:func:`views.history.estimate_history`, cached on the file's bytes and the parameters."""
    return history.estimate_history(data, window, method, lam, read=history_read)


# -- the sample books' titles and stories (the sidebar's labels, the Learn page) -------------------
@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def sample_stories() -> list[dict[str, str]]:
    """[{name, title, story}] of every sample portfolio file (:func:`views.samples.sample_stories`)."""
    return samples.sample_stories()
