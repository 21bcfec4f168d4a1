"""Liquidation: equity against each mode's maintenance as one asset's price moves."""

import contextlib

import streamlit as st

from charts.style import MODE_LABELS
from margin import Future, Perp
from margin.instruments import INVERSE_TYPES
from margin.market import is_stablecoin
from ui import engine_cache, figures, page, state
from views import coins, glossary, metrics, text

slot = page.begin()
st.title("Where does the account get liquidated?")
st.caption("Move one asset's price: the chart shows 0.3× to 2× today's, and the liquidation prices are searched "
           "from near 0 up to 100× today's. The account is liquidated where equity meets the maintenance "
           "requirement. Each mode re-evaluates its whole rule set at every price.")


@st.fragment
def liquidation_panel() -> None:
    ws = state.get()
    assets = [a for a in ws.portfolio.assets() if a in ws.market.prices and not is_stablecoin(a)]
    if not assets:
        st.info("The book has no position whose price can move. Add one on the Build page.")
        return
    left, middle, right = st.columns([1, 1, 2])
    kept_asset = page.kept("liq_asset", assets[0])  # a kept asset the book no longer holds: its first
    asset = left.selectbox("Asset", assets, index=assets.index(kept_asset) if kept_asset in assets else 0,
                           key="liq_asset")
    co_move = middle.checkbox("Other assets co-move", value=page.kept("liq_co_move", False), key="liq_co_move",
                              help="Other assets follow by their correlation-implied beta instead of standing still.")
    elasticity = right.slider("Spot-vol elasticity (vol rises as price falls)", 0.0, 3.0,
                              page.kept("liq_elasticity", 0.0), 0.25, key="liq_elasticity",
                              help="vol' = vol × (P / today)^-k. 0 keeps vols fixed.")
    for key, value in (("liq_asset", asset), ("liq_co_move", co_move), ("liq_elasticity", elasticity)):
        page.remember(key, value)  # for the viewer's return from another page (ui.page.KEPT_INPUTS)
    today = ws.market.prices[asset]
    modes = ("cross", "portfolio")
    if any(isinstance(p, (Perp, Future, *INVERSE_TYPES)) and p.asset == asset for p in ws.portfolio.positions):
        modes = (*modes, "isolated")
    presets = engine_cache.mode_params(ws.cross_preset, ws.portfolio_rules)
    # A large book's search takes a while on a cache miss (a 200-position book: ~0.2 s, more on a busy
    # server); Streamlit shows the spinner only once the work has lasted half a second.
    progress = (st.spinner(f"Finding where each mode liquidates as {asset} moves…", show_time=True)
                if len(ws.portfolio.positions) >= metrics.PROGRESS_FROM_POSITIONS else contextlib.nullcontext())
    with progress:
        figure = page.safe(figures.liquidation_figure, ws.portfolio, ws.market, asset, modes, ws.cross_preset,
                           ws.portfolio_rules, co_move, elasticity)
        found = {}
        for mode in modes:
            result = page.safe(engine_cache.liquidation, ws.portfolio, ws.market, asset, mode, presets[mode],
                               co_move, elasticity)
            if result is not None:
                found[mode] = result
        lines = held = None
        if figure is not None and elasticity > 0:
            lines = page.safe(engine_cache.curves, ws.portfolio, ws.market, asset, modes, ws.cross_preset,
                              ws.portfolio_rules, co_move, elasticity)
            held = page.safe(engine_cache.curves, ws.portfolio, ws.market, asset, modes, ws.cross_preset,
                             ws.portfolio_rules, co_move, 0.0)
    if figure is None:
        return
    page.chart(figure, key="liq_chart")
    if lines is not None and held is not None:
        st.caption(text.read_spot_vol(lines, held, today))
    vol = ws.market.vols[asset]
    sigma = metrics.daily_sigma(vol)
    # A card and its reading per mode, the distance under the price: two elements a mode, each redrawn by every
    # move of the slider (docs/performance.md: a move's time grows with the elements it redraws).
    columns = st.columns(len(found))
    for column, (mode, result) in zip(columns, found.items(), strict=True):
        nearest = metrics.nearest_liquidation(result, today)
        fraction, sigmas = metrics.distance(today, nearest, vol)
        with column:
            st.metric(f"{MODE_LABELS[mode]} liquidation price", text.price(nearest), border=True,
                      help=f"{glossary.tooltip('liquidation price')}\n\n{glossary.tooltip('daily standard deviation')}",
                      delta=text.distance_delta(fraction, sigmas, bool(result.get("already"))), delta_color="off",
                      delta_arrow="off")
            st.caption(text.read_liquidation(mode, asset, nearest, today, bool(result.get("already")),
                                             metrics.other_crossing(result, nearest)) + " "
                       + text.read_distance(fraction, sigmas, sigma, metrics.days_between(sigmas)))
    if "isolated" in found:
        st.caption("Isolated: only the perps and futures on this asset, holding their isolated margin; "
                   "the rest of the account cannot help them, and cannot be dragged down by them.")
    pooled = coins.read_pooled_equity(ws.portfolio, ws.portfolio_rules)
    if pooled:
        st.info(pooled)


liquidation_panel()
page.end(slot)
