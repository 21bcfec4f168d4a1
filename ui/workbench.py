"""The trader's workbench on the Build and Compare pages: a trade ticket (what a trade would do to both
modes' requirements and liquidation prices before it is added), the greeks table and the payoff chart.

Each panel is a fragment: moving one of its controls reruns the panel, not the page. What each shows of
the book (the ticket's result, the greeks, the payoff chart) is a keyed fragment of its own, which a Build
slider that moves the book reruns without the panel's controls, with the page's other fragments that show
the book (:func:`book_fragments`). On the Build page the three are tabs, drawn only while open. The engine calls
are cached here with :mod:`ui.engine_cache`'s keys (book, market, rule set); the ticket's trade is
passed as its fields, so a bad field is refused inside the engine (``margin.whatif.make_trade``) and
shown with :func:`ui.page.safe`. Pages call :func:`build_panels` and :func:`compare_panels`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from charts import workbench as charts
from margin import Market, Option, Portfolio, PortfolioParams
from margin.greeks import Greeks, book_greeks
from margin.instruments import describe
from margin.market import is_stablecoin
from margin.payoff import longest_expiry_days, payoff_frame
from margin.whatif import TRADE_KINDS, IncrementalMargin, incremental_margin, make_trade, nearest_liquidation
from ui import engine_cache, page, state
from ui.engine_cache import cache, cache_rules
from views import metrics, samples, text
from views import workbench as words

#: The payoff's price axis: today's price x these, widened to show a liquidation price a little beyond.
PAYOFF_LOW, PAYOFF_HIGH, PAYOFF_POINTS = 0.6, 1.4, 241
OPTION_KINDS = ("call", "put", "coin call", "coin put")  # a coin call or put settles in its coin (Deribit's)
DATED_KINDS = ("future", "inverse future", *OPTION_KINDS)
#: Set by the ticket's button: the panel then reruns the whole page.
ADDED_KEY = "workbench_trade_added"
ADDED_NOTE_KEY = "workbench_trade_added_note"
#: The keys of the fragments that show the book (st.rerun reruns them by these): the ticket's result, the
#: greeks, the payoff chart; and the payoff panel with its controls (asset on the axis, T+n range).
TICKET_FRAGMENT, GREEKS_FRAGMENT, PAYOFF_FRAGMENT = "workbench_ticket", "workbench_greeks", "workbench_payoff"
PAYOFF_PANEL_FRAGMENT = "workbench_payoff_panel"
#: The Build page's workbench is three tabs, each drawn only while open (on_change="rerun"): a move of the
#: book redraws one of them, and the page's first visit draws the payoff alone. Drawn together, the
#: ticket's and the greeks' ~20 elements and data grid cost every move of a Build slider and every first
#: visit (docs/performance.md: the size slider 3.5x -> 2.5-3.0x the minimal app, the first load 1.54x ->
#: 1.19-1.26x).
BUILD_TAB_KEY = "workbench_build_tab"
PAYOFF_TAB, TICKET_TAB, GREEKS_TAB = "Payoff", "What if I add a trade?", "Greeks"
BUILD_TABS = (PAYOFF_TAB, TICKET_TAB, GREEKS_TAB)


def open_build_tab() -> str:
    """The workbench tab open on the Build page (the payoff until the viewer picks another)."""
    tab = st.session_state.get(BUILD_TAB_KEY)
    return tab if tab in BUILD_TABS else PAYOFF_TAB


def book_fragments(before: Portfolio, after: Portfolio, market: Market) -> tuple[str, ...]:
    """The workbench's fragments to rerun when the book goes from ``before`` to ``after`` (a Build slider):
    the open tab's; for the payoff, the panel with its controls when they change with the book, else only
    its chart."""
    tab = open_build_tab()
    if tab == TICKET_TAB:
        return (TICKET_FRAGMENT,)
    if tab == GREEKS_TAB:
        return (GREEKS_FRAGMENT,)
    return (PAYOFF_FRAGMENT,) if payoff_controls_follow(before, after, market) else (PAYOFF_PANEL_FRAGMENT,)


# -- cached engine calls ----------------------------------------------------------------------------
@cache_rules("portfolio_preset")
def whatif(book: Portfolio, market: Market, kind: str, asset: str, side: str, size: float, strike: float | None,
           expiry_days: float | None, cross_preset: str, portfolio_preset: str | PortfolioParams) -> IncrementalMargin:
    """:func:`margin.incremental_margin` of the ticket's trade under the rule sets in force."""
    trade = make_trade(kind, asset, side, size, market, strike, expiry_days)
    return incremental_margin(book, trade, market, cross_preset, portfolio_preset, liquidation=_cached_liquidation)


def _cached_liquidation(book: Portfolio, market: Market, asset: str, mode: str, preset) -> dict:
    """:func:`margin.liquidation_prices` through the page's cache: the book's own search (before the trade)
    is the one :func:`payoff_chart` draws, found once per move of the book."""
    return engine_cache.liquidation(book, market, asset, mode, preset, False, 0.0)


@cache
def greeks(book: Portfolio, market: Market) -> Greeks:
    return book_greeks(book, market)


@cache
def payoff(book: Portfolio, market: Market, asset: str, days_ahead: float, low: float, high: float) -> pd.DataFrame:
    """:func:`margin.payoff.payoff_frame` from ``low`` x to ``high`` x today's price, today's price and the
    book's strikes on ``asset`` included: the expiry payoff bends only at strikes, so its best and worst and
    the ends of a flat stretch, which the reading names, are then exact (a user walk read "$1,015 at $75,894"
    for a peak of $1,139 at the 76,000 strike)."""
    today = float(market.prices[asset])
    grid = today * np.linspace(low, high, PAYOFF_POINTS)
    strikes = [p.strike for p in book.positions if isinstance(p, Option) and p.asset == asset
               and grid[0] <= p.strike <= grid[-1]]
    prices = np.unique(np.concatenate([grid, [today], strikes]))
    return payoff_frame(book, market, asset, prices, days_ahead)


# -- helpers -------------------------------------------------------------------------------------------
def _book_coins(ws) -> list[str]:
    """The book's priced non-stablecoin assets, in book order, else the market's first coin."""
    return _coins_of(ws.portfolio, ws.market)


def _coins_of(book: Portfolio, market: Market) -> list[str]:
    coins = [a for a in book.assets() if a in market.prices and not is_stablecoin(a)]
    return coins or [a for a in market.assets if not is_stablecoin(a)][:1]


def _round_strike(value: float) -> float:
    step = metrics.nice_step(value) * 10  # 88,000 -> 1,000; 2,920 -> 100
    return float(round(value / step) * step)


def _change_card(column, label: str, result: IncrementalMargin, mode: str, field: str) -> None:
    change = result.change(mode, field)
    still = text.is_zero(change)
    column.metric(label, text.money(result.after[mode][field]), delta=words.card_delta(change),
                  delta_color="off" if still else "inverse", delta_arrow="off" if still else "auto", border=True)


def _cents_table(result: IncrementalMargin) -> pd.DataFrame:
    rows = []
    for mode in ("cross", "portfolio"):
        for field in ("initial", "maintenance"):
            rows.append({"requirement": f"{mode.capitalize()} {field}", "before": result.before[mode][field],
                         "after": result.after[mode][field], "change": result.change(mode, field)})
    return pd.DataFrame(rows)


# -- the trade ticket ---------------------------------------------------------------------------------
@st.fragment
def trade_ticket(where: str, compact: bool = False) -> None:
    """Instrument, side and size of one trade, and what it would do to both modes before it is added
    (:func:`ticket_result`, its own fragment, which a move of the book reruns without the inputs)."""
    ws = state.get()
    key = f"workbench_{where}"
    coins = [a for a in ws.market.assets if not is_stablecoin(a)]
    first = _book_coins(ws)[0]
    top = st.columns([1.2, 1, 0.8, 1.2, 1.2, 1] if not compact else [1, 1, 0.8, 1, 1, 0.8])
    kind = top[0].selectbox("Instrument", TRADE_KINDS, index=TRADE_KINDS.index("put"), key=f"{key}_kind")
    asset = top[1].selectbox("Asset", coins, index=coins.index(first) if first in coins else 0, key=f"{key}_asset")
    side = top[2].selectbox("Side", ("buy", "sell"), key=f"{key}_side")
    today = float(ws.market.prices[asset])
    inverse = kind.startswith("inverse")
    size = top[3].number_input(words.ticket_size_label(kind, asset), min_value=0.0,
                               value=10_000.0 if inverse else 1.0, step=1_000.0 if inverse else metrics.nice_step(1.0) * 10,
                               format="%.6g", key=f"{key}_size_{'usd' if inverse else asset}")
    strike = expiry = None
    if kind in OPTION_KINDS:
        strike = top[4].number_input("Strike (USD)", min_value=0.0, value=_round_strike(today * (0.9 if kind.endswith("put")
                                     else 1.1)), step=metrics.nice_step(today) * 10, format="%.6g",
                                     key=f"{key}_strike_{asset}_{kind}")
    if kind in DATED_KINDS:
        expiry = top[5].number_input("Expiry (days)", min_value=0.0, max_value=3650.0, value=30.0, step=1.0,
                                     key=f"{key}_expiry")
    ticket_result(where, compact, kind, asset, side, size, strike, expiry)


@st.fragment(key=TICKET_FRAGMENT)
def ticket_result(where: str, compact: bool, kind: str, asset: str, side: str, size: float, strike: float | None,
                  expiry: float | None) -> None:
    """What the ticket's trade (its inputs as the ticket last read them) would do to the workspace's book."""
    ws = state.get()
    key = f"workbench_{where}"
    today = float(ws.market.prices[asset])
    result = page.safe(whatif, ws.portfolio, ws.market, kind, asset, side, size, strike, expiry, ws.cross_preset,
                       ws.portfolio_rules)
    if result is None:
        return
    cards = st.columns(4)
    _change_card(cards[0], "Cross initial", result, "cross", "initial")
    _change_card(cards[1], "Cross maintenance", result, "cross", "maintenance")
    _change_card(cards[2], "Portfolio initial", result, "portfolio", "initial")
    _change_card(cards[3], "Portfolio maintenance", result, "portfolio", "maintenance")
    st.caption(f"{words.read_requirement_change(result, 'initial')} "
               f"{words.read_requirement_change(result, 'maintenance')} {words.read_cost(result)}")
    liquidation = words.read_liquidation_change(result, today)
    if liquidation:
        st.caption(liquidation)
    (st.success if result.reduces_risk else st.warning)(words.read_risk(result))
    if not compact:
        # Drawn only while open (on_change="rerun" reruns this fragment): closed, a move of the book skips its table.
        exact = st.expander("Before and after, to the cent", key=f"{key}_cents", on_change="rerun")
        if exact.open:
            with exact:
                st.caption("Each figure is a full computation of the book without and with the trade (the Compare "
                           "page's numbers); the change is their difference.")
                st.dataframe(_cents_table(result), hide_index=True, width="stretch",
                             column_config={"requirement": "Requirement",
                                            **{name: st.column_config.NumberColumn(name.capitalize(), format="$%.2f")
                                               for name in ("before", "after", "change")}})
    st.button("Add this trade to the book", key=f"{key}_add", on_click=_add_trade, args=(result.book_after,),
              help="Adds the position, paying its premium (or spot cost) from the stablecoin collateral.")
    if st.session_state.pop(ADDED_KEY, False):
        st.rerun(scope="app")  # the button reran this panel only: the page's tables must show the new book
    added = st.session_state.pop(ADDED_NOTE_KEY, None)
    if added:  # said where the viewer is (the table that changed may be off screen), once, on the page's run
        st.toast(added)


def _add_trade(book: Portfolio) -> None:
    """The ticket's button: the book with the trade becomes the workspace's (a callback, so it is saved
    before any part of the page runs again), and a note says what was added."""
    state.replace_book(samples.edited(book), sample=state.CUSTOM)
    st.session_state[ADDED_KEY] = True
    st.session_state[ADDED_NOTE_KEY] = (f"Added to the book: {describe(book.positions[-1])}. The cards now show "
                                        "what the same trade would add again.")


# -- greeks -------------------------------------------------------------------------------------------
@st.fragment(key=GREEKS_FRAGMENT)
def greeks_panel(where: str) -> None:
    """The greeks table per underlying and for the book, with the per-position rows folded."""
    ws = state.get()
    found = page.safe(greeks, ws.portfolio, ws.market)
    if found is None:
        return
    st.caption(words.read_greeks(found))
    if found.units.empty:
        return
    money_columns = {label: st.column_config.NumberColumn(label, format="dollar")
                     for name, label in words.GREEK_LABELS.items() if name.endswith("usd") or name == "gamma_usd_1pct"}
    coin_columns = {words.GREEK_LABELS["delta_coins"]: st.column_config.NumberColumn(words.GREEK_LABELS["delta_coins"],
                                                                                     format="%.4g"),
                    words.GREEK_LABELS["gamma"]: st.column_config.NumberColumn(words.GREEK_LABELS["gamma"], format="%.3g")}
    st.dataframe(words.greeks_table(found), hide_index=True, width="stretch", placeholder="—",
                 column_config={**money_columns, **coin_columns})
    rows = st.expander("Greeks per position", key=f"workbench_{where}_positions", on_change="rerun")
    if rows.open:
        with rows:
            st.dataframe(words.positions_table(found), hide_index=True, width="stretch", placeholder="—",
                         column_config={**money_columns, **coin_columns})
    st.caption("Black-76 on the spot price (rate 0) at each coin's volatility, the scenario grid's own pricing: "
               "delta and gamma are the slopes of the grid's P&L at today's price. Stablecoins are the account's "
               "money and carry no greek.")


# -- payoff -------------------------------------------------------------------------------------------
@st.fragment(key=PAYOFF_PANEL_FRAGMENT)
def payoff_panel(where: str) -> None:
    """P&L against one asset's price at expiry and at T+n days, today's price and the liquidation prices
    (the chart and its reading: :func:`payoff_chart`, its own fragment, which a move of the book or of the
    T+n day reruns without these controls)."""
    ws = state.get()
    key = f"workbench_{where}_payoff"
    coins = _book_coins(ws)
    left, right = st.columns([1, 2])
    asset = left.selectbox("Asset on the axis", coins, key=f"{key}_asset")
    if _days_range(ws.portfolio):
        # A move of the day reruns the chart alone (it reads the day itself: _payoff_day), not these controls.
        # No value=: it starts at min_value (day 0), and Streamlit warns of a value given with one kept through
        # the Session State API (_keep_closed_tabs_inputs).
        right.slider("Days from now (T+n)", min_value=0, max_value=_days_range(ws.portfolio),
                     key=f"{key}_days", on_change=st.rerun, args=([PAYOFF_FRAGMENT],),
                     help="The green line: the book after this many days, prices of the other coins and "
                          "volatilities held. The dashed line: at expiry.")
    else:
        right.caption("No option or dated future: the book's P&L is the same today and at any later date.")
    payoff_chart(where, asset)


def _payoff_day(book: Portfolio, key: str) -> int:
    """The payoff's T+n day: the slider's value (kept while its tab is closed), within the book's range."""
    last_day = _days_range(book)
    return min(int(st.session_state.get(f"{key}_days", 0)), last_day) if last_day else 0


def payoff_controls_follow(before: Portfolio, after: Portfolio, market: Market) -> bool:
    """Whether :func:`payoff_panel`'s own controls show ``after`` as they show ``before`` (the coins on its
    axis, the T+n slider's range): when not, a move of the book must rerun the panel, not only its chart."""
    return (_coins_of(before, market) == _coins_of(after, market)
            and _days_range(before) == _days_range(after))


def _days_range(book: Portfolio) -> int:
    """The T+n slider's last day (0: no slider, the book has no dated position a day or more out)."""
    longest = longest_expiry_days(book)
    return int(math.floor(longest)) if longest >= 1 else 0


@st.fragment(key=PAYOFF_FRAGMENT)
def payoff_chart(where: str, asset: str) -> None:
    """The payoff chart of the workspace's book against ``asset`` at the T+n slider's day, and its reading."""
    ws = state.get()
    key = f"workbench_{where}_payoff"
    days = _payoff_day(ws.portfolio, key)
    today = float(ws.market.prices[asset])
    liquidations, now = {}, set()
    for mode in ("cross", "portfolio"):
        preset = ws.cross_preset if mode == "cross" else ws.portfolio_rules
        found = page.safe(engine_cache.liquidation, ws.portfolio, ws.market, asset, mode, preset, False, 0.0)
        liquidations[mode] = None if found is None else nearest_liquidation(found, today)
        if found is not None and found.get("already"):
            now.add(mode)  # already below maintenance: its line is today's price, labelled "now"
    shown = [p / today for p in liquidations.values() if p is not None]
    low = max(0.2, min([PAYOFF_LOW, *(0.7 * s for s in shown)]))  # room for a label facing away
    high = min(3.0, max([PAYOFF_HIGH, *(1.3 * s for s in shown)]))
    frame = page.safe(payoff, ws.portfolio, ws.market, asset, float(days), low, high)
    if frame is None:
        return
    page.chart(charts.payoff_chart(frame, asset, today, days, liquidations, now), key=f"{key}_chart")
    st.caption(words.read_payoff(frame, asset, today, days))


# -- the pages' sections ------------------------------------------------------------------------------
#: The Build tabs' inputs kept while their tab is closed (their keys start so; the tab's own key, buttons and
#: fragments' keys aside). Streamlit forgets a widget's value on a run that does not draw it.
_KEPT_PREFIX = "workbench_build_"
_NOT_KEPT = (BUILD_TAB_KEY, f"{_KEPT_PREFIX}add")


def _keep_closed_tabs_inputs() -> None:
    """Keep what the viewer set in a tab (the ticket's trade, the payoff's asset and day) while another tab is
    open: a value written back through the Session State API outlives the run that does not draw its widget
    (a user walk lost a ticket's trade by looking at the greeks). A payoff control that the book no longer
    allows (a coin it no longer holds, a day past its last expiry) is dropped, so the control starts afresh."""
    ws = state.get()
    allowed = {f"{_KEPT_PREFIX}payoff_asset": lambda value: value in _book_coins(ws),
               f"{_KEPT_PREFIX}payoff_days": lambda value: 0 <= value <= _days_range(ws.portfolio)}
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(_KEPT_PREFIX)]:
        if key in _NOT_KEPT or key.endswith("_cents") or key.endswith("_positions"):
            continue
        value = st.session_state[key]
        if key in allowed and not allowed[key](value):
            del st.session_state[key]
        else:
            st.session_state[key] = value


def build_panels() -> None:
    """The Build page's workbench: the payoff, the trade ticket and the greeks, as tabs drawn only while open
    (what the viewer set in a closed tab is kept: :func:`_keep_closed_tabs_inputs`)."""
    st.subheader("Payoff, trades and greeks")
    _keep_closed_tabs_inputs()
    payoff, ticket, greeks = st.tabs(BUILD_TABS, key=BUILD_TAB_KEY, on_change="rerun")
    if payoff.open:
        with payoff:
            payoff_panel("build")
    if ticket.open:
        with ticket:
            st.caption("Choose an instrument, a side and a size: the cards show each requirement with the trade and "
                       "how much it changes, before anything is added. Perps and futures open at today's mark; an "
                       "option's premium (and a spot purchase) is paid from the stablecoin collateral.")
            trade_ticket("build")
    if greeks.open:
        with greeks:
            greeks_panel("build")


def compare_panels() -> None:
    """The Compare page's workbench: a compact trade ticket and the greeks table, folded."""
    ticket = st.expander("What if I add a trade? (incremental margin)", key="workbench_compare_ticket",
                         on_change="rerun")
    if ticket.open:
        with ticket:
            trade_ticket("compare", compact=True)
    table = st.expander("Greeks of the book", key="workbench_compare_greeks", on_change="rerun")
    if table.open:
        with table:
            greeks_panel("compare")
