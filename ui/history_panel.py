"""Build page, "Market data": the Streamlit panel that estimates vols and correlations from daily closes
and applies them to the market.

The bytes of the uploaded CSV (or the example history) go through :mod:`views.history`, which never
raises; :func:`draw` is the panel. "Apply to the market" saves the new market in the workspace, so
the market controls restart from it. Missing dates: a short gap the estimator bridged is named in a
warning beside the results; a gap too long to bridge is an error naming its dates, whose way out on
this page is the window slider.
"""

from __future__ import annotations

import streamlit as st

from charts import history as history_charts
from margin import Market
from margin.history import DEFAULT_LAMBDA, MAX_BRIDGED_DAYS, EstimateResult, gap_warning
from ui import engine_cache, page, state
from views import history
from views.history import EXAMPLE_PATH, MIN_WINDOW

EXPANDER_LABEL = "Estimate volatility and correlation from a price history"
METHOD_LABELS = {"plain": "Plain (equal weights)", "ewma": "EWMA (RiskMetrics)"}

UPLOAD_KEY = "history_upload"
EXAMPLE_KEY = "history_example"
FORGET_KEY = "history_forget"
METHOD_KEY = "history_method"
LAMBDA_KEY = "history_lambda"
WINDOW_KEY = "history_window"
IGNORE_KEY = "history_ignore_unknown"
REPAIR_KEY = "history_repair"
APPLY_KEY = "history_apply"
OPEN_KEY = "history_open"
SOURCE_KEY = "history_source"  # {"kind": "upload" | "example", "name": str, "data": bytes, "id": str}
SEEN_KEY = "history_seen_upload"  # file_id of the last upload taken in
MESSAGE_KEY = "history_message"  # ("success" | "error", text), shown once after "Apply"


def handle(data: bytes, market: Market, **options) -> history.Outcome:
    """:func:`views.history.handle` with the cached estimate (:func:`ui.engine_cache.history_estimate`)."""
    return history.handle(data, market, estimate=engine_cache.history_estimate, **options)


def _set_source(kind: str, name: str, data: bytes, ident: str) -> None:
    st.session_state[SOURCE_KEY] = {"kind": kind, "name": name, "data": data, "id": ident}
    for key in (WINDOW_KEY, IGNORE_KEY, REPAIR_KEY, MESSAGE_KEY):
        st.session_state.pop(key, None)


def _use_example() -> None:
    try:
        _set_source("example", EXAMPLE_PATH.name, EXAMPLE_PATH.read_bytes(), "example")
    except OSError as error:
        st.session_state[MESSAGE_KEY] = ("error", f"The example file could not be read ({error.strerror}).")


def _forget() -> None:
    for key in (SOURCE_KEY, WINDOW_KEY, IGNORE_KEY, REPAIR_KEY, MESSAGE_KEY):
        st.session_state.pop(key, None)


def _apply(window: int | None, method: str, lam: float, ignore_unknown: bool, repair: bool) -> None:
    """Button callback: runs before the page, so the market controls restart from the new market."""
    try:
        source = st.session_state.get(SOURCE_KEY)
        if not source:
            return
        current = state.get()
        outcome = handle(source["data"], current.market, window=window, method=method, lam=lam,
                         ignore_unknown=ignore_unknown, repair=repair)
        if outcome.market is None:
            st.session_state[MESSAGE_KEY] = ("error", f"{outcome.error} Nothing was applied; the market is unchanged.")
            return
        state.save(current.with_market(outcome.market))
        st.session_state[MESSAGE_KEY] = ("success", history.applied_message(outcome, source["name"]))
    except Exception as error:  # noqa: BLE001 - never a traceback
        st.session_state[MESSAGE_KEY] = ("error", f"Nothing was applied ({type(error).__name__}: {error}).")


def _source() -> dict | None:
    """The history to use: a newly uploaded file wins; clearing the uploader forgets its file."""
    uploaded = st.file_uploader("Daily closes (CSV)", type=["csv"], key=UPLOAD_KEY,
                                help="Wide: a date column and one column of closes per asset (date,BTC,ETH). "
                                     "Long: three columns date,asset,close. Dates as YYYY-MM-DD, one row a day: "
                                     f"up to {MAX_BRIDGED_DAYS} missing days in a row are bridged (and named), "
                                     "a longer gap is refused.")
    if uploaded is not None and st.session_state.get(SEEN_KEY) != uploaded.file_id:
        st.session_state[SEEN_KEY] = uploaded.file_id  # a new file: it replaces the current history
        _set_source("upload", uploaded.name, uploaded.getvalue(), uploaded.file_id)
    elif uploaded is None:
        st.session_state.pop(SEEN_KEY, None)
        source = st.session_state.get(SOURCE_KEY)
        if source is not None and source["kind"] == "upload":
            st.session_state.pop(SOURCE_KEY, None)
    return st.session_state.get(SOURCE_KEY)


def _window(returns: int) -> int | None:
    """The window slider (10 to all returns); None means every return."""
    if returns <= MIN_WINDOW:
        st.caption(f"The file holds {returns} daily returns; all of them are used.")
        return None
    value = st.session_state.get(WINDOW_KEY)
    if not isinstance(value, int) or not MIN_WINDOW <= value <= returns:
        st.session_state[WINDOW_KEY] = returns
    chosen = st.slider("Window: the most recent daily returns to use", min_value=MIN_WINDOW, max_value=returns,
                       step=1, key=WINDOW_KEY,
                       help=f"From the last {MIN_WINDOW} days to the whole file ({returns} returns). A short window "
                            "follows the latest regime; a long one is steadier.")
    return None if chosen >= returns else int(chosen)


def _results(estimate: EstimateResult, market: Market) -> None:
    st.caption(history.read_sample(estimate))
    if estimate.gaps:
        st.warning(gap_warning(estimate.gaps))
    if estimate.repaired:
        st.warning("The estimated correlations were slightly inconsistent (rounding left the matrix not positive "
                   "semi-definite), so they were repaired: the figures below are the nearest valid correlation "
                   "matrix.")
    else:
        st.caption("The estimated correlation matrix is valid as it stands: no repair was needed.")
    left, right = st.columns([1.1, 1])
    with left:
        st.dataframe(history.vol_table(estimate, market), hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(c, format="%.1f %%")
                                    for c in ("Estimated (%/yr)", "Market today (%/yr)")}
                     | {"Estimated (%/day)": st.column_config.NumberColumn("Estimated (%/day)", format="%.2f %%")})
        for asset, vol in estimate.vols.items():
            st.caption(history.read_vol(asset, vol, estimate.days_per_year, market.vols.get(asset)))
    with right:  # page.chart: the page's theme, and presenter mode's larger fonts
        page.chart(history_charts.vol_bars(estimate, dict(market.vols)), key="history_vol_chart",
                   config={"displayModeBar": False})
    left, right = st.columns([1.1, 1])
    with left:
        page.chart(history_charts.correlation_heatmap(estimate), key="history_corr_chart",
                   config={"displayModeBar": False})
    frame = estimate.correlation
    assets = list(frame.index)
    pairs = sorted(((a, b, float(frame.loc[a, b])) for i, a in enumerate(assets) for b in assets[i + 1:]),
                   key=lambda p: -abs(p[2]))
    with right:
        st.markdown("**Strongest pairs**" if len(pairs) > 1 else "**The pair**")
        for first, second, rho in pairs[:6]:
            st.caption(history.read_correlation(first, second, rho))
        if len(pairs) > 6:
            st.caption(f"… and {len(pairs) - 6} more pairs in the heatmap.")
        if not pairs:
            st.caption("One asset: no correlation to estimate.")


def _show(message: tuple[str, str] | None) -> None:
    if message is not None:
        (st.success if message[0] == "success" else st.error)(message[1])


def _body(message: tuple[str, str] | None) -> bool:
    """The panel's content; True once ``message`` (the last Apply's outcome) has been shown."""
    st.caption("Daily closes in, annualised volatilities and correlations out (log returns, 365-day year). "
               "Nothing changes until you press \"Apply to the market\".")
    source = _source()
    st.button("Use the example price history", key=EXAMPLE_KEY, on_click=_use_example,
              help="One simulated year of BTC, ETH and SOL closes (sample_data/example_prices.csv).")
    if source is None:
        st.caption("Upload a CSV of daily closes or use the example to see the estimates.")
        return False
    st.markdown(f"**History:** {source['name']}")
    prices, error = engine_cache.history_read(source["data"])
    if prices is None:
        st.error(f"Could not read {source['name']}: {error} Nothing was applied; the market is unchanged.")
        return False
    returns = len(prices) - 1
    first, second, third = st.columns([1.2, 1, 1.6])
    method = first.radio("Estimator", list(METHOD_LABELS), format_func=METHOD_LABELS.__getitem__, key=METHOD_KEY,
                         horizontal=True, help="Plain: sample standard deviation and correlation. EWMA: recent "
                                               "days weigh more (RiskMetrics, as in Hull).")
    lam = second.slider("EWMA decay λ", min_value=0.80, max_value=0.99, value=DEFAULT_LAMBDA, step=0.01,
                        key=LAMBDA_KEY, disabled=method != "ewma",
                        help="RiskMetrics uses 0.94 for daily data. Smaller λ forgets the past faster.")
    with third:
        window = _window(returns)
    market = state.get().market
    outcome = handle(source["data"], market, window=window, method=method, lam=float(lam))
    if outcome.estimate is None:
        st.error(f"{outcome.error} Nothing was applied; the market is unchanged.")
        return False
    _results(outcome.estimate, market)
    ignore = repair = False
    if outcome.unknown:
        names = ", ".join(outcome.unknown)
        st.warning(history.unknown_message(outcome.unknown))
        ignore = st.checkbox(f"Ignore {names}", key=IGNORE_KEY,
                             help="Apply the assets the market knows; leave these out.")
    if ignore or not outcome.unknown:
        outcome = history.preview_apply(market, outcome.estimate, ignore_unknown=ignore)
        if outcome.inconsistent:
            st.warning(outcome.error)
            repair = st.checkbox("Repair: use the nearest valid correlation matrix for the whole market", key=REPAIR_KEY,
                                 help="Higham's method; it moves the kept correlations and the estimates slightly.")
            if repair:
                outcome = history.preview_apply(market, outcome.estimate, ignore_unknown=ignore, repair=True)
        elif outcome.market is None and outcome.error:
            st.error(f"{outcome.error} Nothing can be applied.")
    left, right = st.columns([1, 1])
    left.button("Apply to the market", key=APPLY_KEY, type="primary", disabled=outcome.market is None,
                on_click=_apply, args=(window, method, float(lam), ignore, repair),
                help="Replace the volatilities and correlations of the assets in the file; the others keep theirs.")
    right.button("Forget this history", key=FORGET_KEY, on_click=_forget)
    _show(message)
    return True


def draw() -> None:
    """The "Market data" expander of the Build page. Never lets a traceback reach the page."""
    message = st.session_state.pop(MESSAGE_KEY, None)
    st.subheader("Market data")
    if SOURCE_KEY in st.session_state or message is not None:
        st.session_state[OPEN_KEY] = True
    # Drawn only while open (on_change="rerun"): closed, it costs the page one element, not a dozen.
    panel = st.expander(EXPANDER_LABEL, key=OPEN_KEY, on_change="rerun")
    if not panel.open:
        return
    with panel:
        shown = False
        try:
            shown = _body(message)
        except Exception as error:  # noqa: BLE001 - a message, never a traceback
            st.error(f"The price history could not be used ({type(error).__name__}: {error}). "
                     "Nothing was applied; the market is unchanged.")
        if not shown:
            _show(message)
