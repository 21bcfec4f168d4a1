"""Build page, Market: the volatility smile of each coin the book holds options on (skew, curvature).

The smile sets each option's vol from its strike and expiry (:mod:`margin.smile`); every page prices
with it. The controls return what they show; the page folds them into the market it saves.
"""

from __future__ import annotations

import streamlit as st

from charts.smile import smile_chart
from margin import Market, Option, Portfolio
from margin.smile import MAX_CURVATURE, MAX_SKEW
from ui import page
from views import smile as words

OPEN_KEY = "build_smile_open"


def smile_inputs(book: Portfolio, market: Market, revision: int) -> dict[str, tuple[float, float]]:
    """(skew, curvature) per coin the book holds options on, as the controls show them now."""
    assets = sorted({p.asset for p in book.positions if isinstance(p, Option) and p.asset in market.prices})
    if not assets:
        return {}
    chosen: dict[str, tuple[float, float]] = {}
    shaped = any(a in market.smile for a in assets)
    # Drawn only while open (on_change="rerun"): closed, the Build page's every rerun skips its inputs and
    # charts, and the market keeps the smile it has.
    panel = st.expander("Volatility smile: each option at its own strike's volatility", expanded=shaped,
                        key=OPEN_KEY, on_change="rerun")
    if not panel.open:
        return {}
    with panel:
        st.caption("The volatility above is the at-the-money one. Skew below 0 prices low strikes (puts) at higher "
                   "volatility, as crypto markets do; curvature lifts both wings. Both 0: flat, every option at "
                   "the at-the-money volatility. Each expiry gets its own curve from the two numbers "
                   "(moneyness scaled by √time).")
        for asset in assets:
            skew, curvature = market.smile.get(asset, (0.0, 0.0))
            left, right = st.columns(2)
            new_skew = left.number_input(f"{asset} skew", min_value=-MAX_SKEW, max_value=MAX_SKEW, value=float(skew),
                                         step=0.05, format="%.2f", key=f"skew_{revision}_{asset}")
            new_curvature = right.number_input(f"{asset} curvature", min_value=0.0, max_value=MAX_CURVATURE,
                                               value=float(curvature), step=0.01, format="%.2f",
                                               key=f"curvature_{revision}_{asset}")
            chosen[asset] = (float(new_skew), float(new_curvature))
            shown = market.with_smile({asset: chosen[asset]})
            points = words.option_points(book, shown, asset)
            st.caption(words.read_smile(asset, points, float(shown.vols[asset]), *chosen[asset]))
            page.chart(smile_chart(words.smile_curves(book, shown, asset), points, asset,
                                   float(shown.prices[asset])), key=f"smile_chart_{asset}")
    return chosen
