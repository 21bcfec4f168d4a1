"""Cached engine calls (st.cache_data, bounded) and :func:`safe`, which turns errors into st.error.

Portfolio and Market are hashed by canonical JSON keys (``hash_funcs``), so two equal books share
a cache entry. Returned values are results and DataFrames, never Markets (a Market does not pickle).

Portfolio rule sets: a function's portfolio-preset argument is a PortfolioParams or a preset name.
A name means that preset as the session's workspace varies it (its cross-unit ``offsets`` choice,
see :func:`rules_for`), and is turned into the PortfolioParams before the cache sees it, so the
cache key is the rule set itself, never just its name.
"""

from __future__ import annotations

import contextlib
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

import charts.compare
import charts.liquidation
import charts.shocks
import margin
from margin import Market, Portfolio, PortfolioError, PortfolioParams
from margin.io import portfolio_to_dict
from margin.presets import portfolio_params
from views import metrics

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
    return json.dumps({"prices": dict(market.prices), "vols": dict(market.vols), "basis": dict(market.basis),
                       "assets": list(frame.index), "rho": frame.to_numpy().round(15).tolist()}, sort_keys=True)


@by_identity
def rules_key(params: PortfolioParams) -> str:
    """Every field of a portfolio rule set, as canonical JSON (two equal rule sets share a cache entry)."""
    return json.dumps(params.as_dict(), sort_keys=True, default=lambda value: dict(value))


HASH_FUNCS = {Portfolio: portfolio_key, Market: market_key, PortfolioParams: rules_key}


@functools.lru_cache(maxsize=64)
def portfolio_rules(preset: str, offsets: str | None = None) -> PortfolioParams:
    """The portfolio preset ``preset`` with its cross-unit ``offsets`` set ("correlated" | "segregated"; None
    keeps the preset's own). The same object for the same arguments, so its cache key is computed once."""
    params = portfolio_params(preset)
    if offsets is None or offsets == params.offsets:
        return params
    return params.with_changes(offsets=offsets)


def rules_for(preset: str | PortfolioParams) -> PortfolioParams:
    """The portfolio rule set a page means by ``preset``.

    A PortfolioParams is taken as it is. A name is that preset as the session's workspace varies it:
    with the workspace's offsets choice when it is the workspace's portfolio preset, as published
    otherwise (and outside a session).
    """
    if isinstance(preset, PortfolioParams):
        return preset
    from ui.state import KEY, Workspace

    workspace = st.session_state.get(KEY)
    if isinstance(workspace, Workspace) and workspace.portfolio_preset == preset:
        return workspace.portfolio_rules
    return portfolio_rules(preset)


def _cache(func):
    return st.cache_data(max_entries=MAX_ENTRIES, hash_funcs=HASH_FUNCS, show_spinner=False)(func)


def _cache_rules(*names: str):
    """:func:`_cache`, with the arguments ``names`` (portfolio presets) resolved by :func:`rules_for` first."""

    def decorate(func):
        cached = _cache(func)
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


def materialise(result: margin.MarginResult) -> margin.MarginResult:
    """The same result with its lazy breakdown and grids built, so st.cache_data can pickle it."""
    grids = {unit: result.scenario_grids[unit] for unit in result.scenario_grids}
    return dataclasses.replace(result, breakdown_source=result.breakdown, scenario_grids=grids)


@_cache
def cross(book: Portfolio, market: Market, preset: str) -> margin.MarginResult:
    return materialise(margin.cross_margin(book, market, preset))


@_cache_rules("preset")
def portfolio(book: Portfolio, market: Market, preset: str | PortfolioParams) -> margin.MarginResult:
    return materialise(margin.portfolio_margin(book, market, preset))


@_cache_rules("portfolio_preset")
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


@_cache
def isolated(book: Portfolio, market: Market, asset: str, preset: str) -> margin.MarginResult:
    return materialise(margin.isolated_margin(book, market, asset, preset))


def _mode_params(cross_preset: str, portfolio_preset: str | PortfolioParams) -> dict[str, str | PortfolioParams]:
    return {"cross": cross_preset, "isolated": cross_preset, "portfolio": portfolio_preset}


@_cache_rules("portfolio_preset")
def curves(book: Portfolio, market: Market, asset: str, modes: tuple[str, ...], cross_preset: str,
           portfolio_preset: str | PortfolioParams, co_move: bool, elasticity: float) -> pd.DataFrame:
    """Equity and maintenance on :func:`views.metrics.price_grid` around today's price of ``asset``."""
    prices = metrics.price_grid(market.prices[asset])
    return margin.margin_curves(book, market, asset, prices, modes, _mode_params(cross_preset, portfolio_preset),
                                co_move, elasticity)


def liquidation(book: Portfolio, market: Market, asset: str, mode: str, preset: str | PortfolioParams,
                co_move: bool, elasticity: float) -> dict:
    """Liquidation prices of ``mode``; ``preset`` is a cross preset, or in portfolio mode a portfolio one."""
    return _liquidation(book, market, asset, mode, rules_for(preset) if mode == "portfolio" else preset, co_move,
                        elasticity)


@_cache
def _liquidation(book: Portfolio, market: Market, asset: str, mode: str, preset: str | PortfolioParams,
                 co_move: bool, elasticity: float) -> dict:
    return margin.liquidation_prices(book, market, asset, mode, preset, co_move, elasticity)


@_cache_rules("portfolio_preset")
def sweep(book: Portfolio, market: Market, vol_mults: tuple[float, ...], corr_shocks: tuple[float, ...],
          cross_preset: str, portfolio_preset: str | PortfolioParams) -> pd.DataFrame:
    return margin.shock_sweep(book, market, list(vol_mults), list(corr_shocks), cross_preset, portfolio_preset)


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


# -- figures ---------------------------------------------------------------------------------
# Cached as plain dicts: the cache hands back a fresh unpickled copy on every hit, and a go.Figure
# would be re-validated property by property (~16 ms a figure) where a dict unpickles in ~0.1 ms;
# ``ui.page.chart`` draws it without validating it again. Each is keyed by the page's inputs (book,
# market, presets, control values), never by the DataFrames it is drawn from: hashing those cost
# more than the whole rest of a cached rerun.
def _spec(figure) -> dict:
    return figure.to_dict()


@_cache_rules("portfolio_preset")
def liquidation_figure(book: Portfolio, market: Market, asset: str, modes: tuple[str, ...], cross_preset: str,
                       portfolio_preset: str | PortfolioParams, co_move: bool, elasticity: float) -> dict:
    """The Liquidation page's chart; modes whose search failed are left out of its markers."""
    found = {}
    for mode in modes:
        with contextlib.suppress(PortfolioError):
            found[mode] = liquidation(book, market, asset, mode, _mode_params(cross_preset, portfolio_preset)[mode],
                                      co_move, elasticity)
    lines = curves(book, market, asset, modes, cross_preset, portfolio_preset, co_move, elasticity)
    return _spec(charts.liquidation.liquidation_chart(lines, asset, market.prices[asset], found))


@_cache_rules("portfolio_preset")
def requirement_figure(book: Portfolio, market: Market, cross_preset: str,
                       portfolio_preset: str | PortfolioParams) -> dict:
    return _spec(charts.compare.requirement_bars(cross(book, market, cross_preset), portfolio(book, market, portfolio_preset)))


@_cache_rules("portfolio_preset")
def sweep_line_view(book: Portfolio, market: Market, cross_preset: str, portfolio_preset: str | PortfolioParams,
                    along: str, held: float, title: str) -> tuple[dict, pd.DataFrame]:
    """(chart, jumps on the line) for one line of the Shocks sweep, the other shock held at ``held``."""
    table = sweep(book, market, metrics.VOL_MULTS, metrics.CORR_SHOCKS, cross_preset, portfolio_preset)
    fixed = "corr_shock" if along == "vol_mult" else "vol_mult"
    marks = metrics.jumps_on_line(margin.detect_jumps(table, along=along), fixed, held)
    return _spec(charts.shocks.sweep_lines(metrics.sweep_line(table, fixed, held), along, marks, title)), marks


@_cache_rules("portfolio_preset")
def sweep_heatmap_figure(book: Portfolio, market: Market, cross_preset: str,
                         portfolio_preset: str | PortfolioParams) -> dict:
    table = sweep(book, market, metrics.VOL_MULTS, metrics.CORR_SHOCKS, cross_preset, portfolio_preset)
    return _spec(charts.shocks.sweep_heatmap(table, "portfolio_maintenance"))


@_cache_rules("preset")
def scenario_grid_figure(book: Portfolio, market: Market, preset: str | PortfolioParams, unit: str) -> dict:
    return _spec(charts.shocks.scenario_grid_heatmap(portfolio(book, market, preset).scenario_grids[unit], unit))


@_cache
def var_figure(book: Portfolio, market: Market) -> dict:
    return _spec(charts.shocks.pnl_histogram(pnl(book, market), var(book, market, "delta-normal"),
                                      var(book, market, "monte-carlo")))
