"""The pages' figures as plotly specs, cached (st.cache_data): engine results from :mod:`ui.engine_cache`,
drawn by :mod:`charts`.

Cached as plain dicts: the cache hands back a fresh unpickled copy on every hit, and a go.Figure
would be re-validated property by property (~16 ms a figure) where a dict unpickles in ~0.1 ms;
``ui.page.chart`` draws it without validating it again. Each is keyed by the page's inputs (book,
market, rule sets, control values), never by the DataFrames it is drawn from: hashing those cost
more than the whole rest of a cached rerun.
"""

from __future__ import annotations

import contextlib

from charts import compare, liquidation, shocks
from margin import Market, Portfolio, PortfolioError, PortfolioParams
from ui import engine_cache
from ui.engine_cache import cache, cache_rules
from views import metrics


def _spec(figure) -> dict:
    return figure.to_dict()


@cache_rules("portfolio_preset")
def liquidation_figure(book: Portfolio, market: Market, asset: str, modes: tuple[str, ...], cross_preset: str,
                       portfolio_preset: str | PortfolioParams, co_move: bool, elasticity: float) -> dict:
    """The Liquidation page's chart; modes whose search failed are left out of its markers."""
    presets = engine_cache.mode_params(cross_preset, portfolio_preset)
    found = {}
    for mode in modes:
        with contextlib.suppress(PortfolioError):
            found[mode] = engine_cache.liquidation(book, market, asset, mode, presets[mode], co_move, elasticity)
    lines = engine_cache.curves(book, market, asset, modes, cross_preset, portfolio_preset, co_move, elasticity)
    return _spec(liquidation.liquidation_chart(lines, asset, market.prices[asset], found))


@cache_rules("portfolio_preset")
def requirement_figure(book: Portfolio, market: Market, cross_preset: str,
                       portfolio_preset: str | PortfolioParams) -> dict:
    """The Compare page's bars: both modes' initial and maintenance requirements."""
    return _spec(compare.requirement_bars(engine_cache.cross(book, market, cross_preset),
                                          engine_cache.portfolio(book, market, portfolio_preset)))


@cache_rules("portfolio_preset")
def sweep_line_figure(book: Portfolio, market: Market, cross_preset: str, portfolio_preset: str | PortfolioParams,
                      along: str, held: float, title: str) -> dict:
    """One line of the Shocks sweep, the other shock held at ``held``, its jumps marked."""
    table = engine_cache.sweep(book, market, metrics.VOL_MULTS, metrics.CORR_SHOCKS, cross_preset, portfolio_preset)
    marks = engine_cache.sweep_jumps(book, market, cross_preset, portfolio_preset, along, held)
    fixed = "corr_shock" if along == "vol_mult" else "vol_mult"
    return _spec(shocks.sweep_lines(metrics.sweep_line(table, fixed, held), along, marks, title))


@cache_rules("portfolio_preset")
def sweep_heatmap_figure(book: Portfolio, market: Market, cross_preset: str,
                         portfolio_preset: str | PortfolioParams) -> dict:
    """Portfolio maintenance over both shocks of the sweep."""
    table = engine_cache.sweep(book, market, metrics.VOL_MULTS, metrics.CORR_SHOCKS, cross_preset, portfolio_preset)
    return _spec(shocks.sweep_heatmap(table, "portfolio_maintenance"))


@cache_rules("preset")
def scenario_grid_figure(book: Portfolio, market: Market, preset: str | PortfolioParams, unit: str) -> dict:
    """The price × vol scenario grid of the risk unit ``unit``."""
    grid = engine_cache.portfolio(book, market, preset).scenario_grids[unit]
    return _spec(shocks.scenario_grid_heatmap(grid, unit))


@cache
def var_figure(book: Portfolio, market: Market) -> dict:
    """The simulated one-day P&L with both VaR lines."""
    return _spec(shocks.pnl_histogram(engine_cache.pnl(book, market), engine_cache.var(book, market, "delta-normal"),
                                      engine_cache.var(book, market, "monte-carlo")))
