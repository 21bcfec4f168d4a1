"""Build page, Market: the market's date and source, and the "Refresh from exchange" control.

Nothing here goes online until the user presses the button: the button's callback calls
:func:`margin.live.fetch_snapshot` (Deribit's public API, no keys, a few seconds' timeout); on success
the workspace gets the market with Deribit's index prices and ATM vols (``Workspace.with_market``), on
failure the message says so and the market stays as it was. The seed snapshot of
:data:`margin.defaults.SNAPSHOT_DATE` is the default. :func:`market_date` is the date instrument names
and imports count expiry days from.
"""

from __future__ import annotations

import datetime

import streamlit as st

from margin.defaults import SNAPSHOT_DATE
from margin.live import (
    DERIBIT_INDICES,
    DERIBIT_OPTION_CURRENCIES,
    LiveDataError,
    LiveSnapshot,
    fetch_snapshot,
)
from ui import state
from views import text

SNAPSHOT_KEY = "live_snapshot"  # the last LiveSnapshot applied
MESSAGE_KEY = "live_message"  # ("success" | "error", text), shown once after a refresh
REFRESH_KEY = "live_refresh"
SEED_SOURCE = "the seed snapshot (margin/defaults.py: prices of 24 Dec 2025, assumed volatilities)"


def _live(ws: state.Workspace) -> LiveSnapshot | None:
    """The refresh whose prices and vols the market still holds (every one), else None."""
    snapshot = st.session_state.get(SNAPSHOT_KEY)
    if not isinstance(snapshot, LiveSnapshot):
        return None
    same_prices = all(ws.market.prices.get(a) == p for a, p in snapshot.prices.items())
    same_vols = all(ws.market.vols.get(a) == v for a, v in snapshot.vols.items())
    return snapshot if same_prices and same_vols else None


def market_date(ws: state.Workspace) -> datetime.date:
    """The market's date: the day of the refresh it holds, else the seed snapshot's (24 Dec 2025)."""
    snapshot = _live(ws)
    return snapshot.date if snapshot is not None else SNAPSHOT_DATE


def market_label(ws: state.Workspace) -> str:
    """'Market of 24 Dec 2025: the seed snapshot ...' or 'Market of <UTC time>: Deribit ...'."""
    snapshot = _live(ws)
    if snapshot is None:
        return f"Market of {SNAPSHOT_DATE:%d %b %Y}: {SEED_SOURCE}, with any changes made on this page."
    vols = ", ".join(f"{a} {v:.0%}" for a, v in snapshot.vols.items())
    return (f"Market of {snapshot.taken_at:%d %b %Y %H:%M} UTC: {snapshot.source}; index prices of "
            f"{', '.join(snapshot.prices)}" + (f", at-the-money volatilities {vols}" if vols else "") + ".")


def _refresh() -> None:
    """Button callback: fetch, apply whole or not at all."""
    current = state.get()
    before = market_label(current)
    assets = current.portfolio.assets() or ["BTC", "ETH"]
    try:
        snapshot = fetch_snapshot(assets)
        market = snapshot.apply(current.market)
    except LiveDataError as error:
        st.session_state[MESSAGE_KEY] = ("error", f"Could not refresh from the exchange: {error} The market is "
                                                  f"unchanged. {before}")
        return
    except Exception as error:  # noqa: BLE001 - never a traceback; the market stays
        st.session_state[MESSAGE_KEY] = ("error", f"Could not refresh from the exchange ({type(error).__name__}: "
                                                  f"{error}). The market is unchanged.")
        return
    st.session_state[SNAPSHOT_KEY] = snapshot
    state.save(current.with_market(market))
    read = " · ".join(f"{a} {text.price(p)}" for a, p in snapshot.prices.items())
    kept = [a for a in assets if a not in snapshot.prices]
    no_vol = [a for a in snapshot.prices if a not in snapshot.vols]
    extra = ""
    if kept:
        extra += f" {', '.join(kept)} keep{'s' if len(kept) == 1 else ''} the current price (Deribit has no index of it)."
    if no_vol:
        extra += (f" {', '.join(no_vol)} keep{'s' if len(no_vol) == 1 else ''} the current volatility (Deribit quotes "
                  f"option volatilities for {' and '.join(DERIBIT_OPTION_CURRENCIES)} only).")
    st.session_state[MESSAGE_KEY] = ("success", f"Refreshed from Deribit: {read}.{extra}")


def draw(ws: state.Workspace) -> None:
    """The market's date and source, and the refresh button (online only when pressed)."""
    st.caption(market_label(ws))
    st.button("Refresh from exchange (Deribit, online)", key=REFRESH_KEY, on_click=_refresh,
              help="Loads index prices (" + ", ".join(DERIBIT_INDICES) + ") and at-the-money implied volatilities "
                   "(BTC, ETH) from Deribit's public market data, no keys. Nothing is sent until you press it; "
                   "offline, the market stays as it is.")
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        (st.success if message[0] == "success" else st.error)(message[1])
