"""Build page, "Market data": estimate vols and correlations from daily closes and apply them to the market.

The source is an uploaded CSV (wide ``date,BTC,ETH`` or long ``date,asset,close``) or the example
history in ``sample_data/example_prices.csv``. Its bytes go through pure functions
(:func:`read_history`, :func:`estimate_history`, :func:`preview_apply`, :func:`handle`) that never
raise: every problem comes back as a message, and a new Market only when the whole estimate can be
applied (nothing is ever half-applied). :func:`draw` is the Streamlit part; "Apply to the market"
saves the new market in the workspace and bumps ``market_revision`` so the market controls restart.
Missing dates: a short gap the estimator bridged is named in a warning beside the results; a gap too
long to bridge is an error naming its dates, whose way out on this page is the window slider.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from charts import history as history_charts
from margin import Market, PortfolioError
from margin.history import (
    DEFAULT_LAMBDA,
    MAX_BRIDGED_DAYS,
    EstimateResult,
    apply_estimates,
    estimate_market_inputs,
    gap_warning,
    parse_price_history,
)
from ui import page, state, text

EXAMPLE_PATH = Path(__file__).resolve().parent.parent / "sample_data" / "example_prices.csv"
EXPANDER_LABEL = "Estimate volatility and correlation from a price history"
CACHE_ENTRIES = 16
#: Smallest window the slider offers (daily returns).
MIN_WINDOW = 10
#: The market controls accept volatilities from 0.1 % to 2000 % a year (fractions 0.001 to 20).
VOL_MIN, VOL_MAX = 0.001, 20.0
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


# -- pure part: bytes -> estimate -> new market ---------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What applying a history to a market would give.

    Attributes:
        estimate: the estimate, or None when the file could not be read or estimated.
        market: the new Market when everything can be applied, else None.
        error: why nothing can be applied (None when ``market`` is set).
        unknown: assets of the history that the market has no price for.
        inconsistent: the estimate clashes with the correlations the market keeps for other assets;
            applying with ``repair=True`` would work.
    """

    estimate: EstimateResult | None = None
    market: Market | None = None
    error: str | None = None
    unknown: tuple[str, ...] = field(default_factory=tuple)
    inconsistent: bool = False


_WINDOW_FIX = re.compile(r", or choose a window of at most (\d+) returns\)")


def _slider_fix(match: re.Match) -> str:
    most = int(match.group(1))
    return f", or move the Window slider to {most} or less)" if most >= MIN_WINDOW else ")"


def _message(error: Exception) -> str:
    if isinstance(error, PortfolioError):
        # A gap too long to bridge: the page's way to shorten the window is its slider.
        return _WINDOW_FIX.sub(_slider_fix, str(error))
    return f"the file could not be read ({type(error).__name__}: {error})."


def read_history(data: bytes) -> tuple[pd.DataFrame | None, str | None]:
    """Daily closes parsed from CSV bytes, or (None, the PortfolioError message naming line/column)."""
    try:
        return parse_price_history(bytes(data)), None
    except Exception as error:  # noqa: BLE001 - a bad file is a message, never a traceback
        return None, _message(error)


def estimate_history(data: bytes, window: int | None = None, method: str = "plain",
                     lam: float = DEFAULT_LAMBDA) -> tuple[EstimateResult | None, str | None]:
    """(estimate, None) from CSV bytes, or (None, message). ``window`` None: every return."""
    prices, error = cached_read(data)
    if prices is None:
        return None, error
    try:
        return estimate_market_inputs(prices, window=window, method=method, lam=lam), None
    except Exception as error:  # noqa: BLE001
        return None, _message(error)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_read(data: bytes) -> tuple[pd.DataFrame | None, str | None]:
    """:func:`read_history`, cached on the file's bytes."""
    return read_history(data)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_estimate(data: bytes, window: int | None, method: str,
                    lam: float) -> tuple[EstimateResult | None, str | None]:
    """:func:`estimate_history`, cached on the file's bytes and the parameters."""
    return estimate_history(data, window, method, lam)


def unknown_assets(estimate: EstimateResult, market: Market) -> tuple[str, ...]:
    return tuple(asset for asset in estimate.vols if asset not in market.prices)


def unknown_message(unknown: tuple[str, ...] | list[str]) -> str:
    names = ", ".join(unknown)
    one = len(unknown) == 1
    return (f"{names} {'is' if one else 'are'} in the file but not in the market, which has no price for "
            f"{'it' if one else 'them'}. Tick \"Ignore {names}\" to apply the other assets, or remove "
            f"{'that column' if one else 'those columns'} from the file.")


def _check_vol_range(estimate: EstimateResult, assets: list[str]) -> str | None:
    for asset in assets:
        vol = estimate.vols[asset]
        if not VOL_MIN <= vol <= VOL_MAX:
            return (f"{asset}'s estimated volatility is {vol * 100:.3g} % a year, outside the "
                    f"{VOL_MIN * 100:g} % to {VOL_MAX * 100:g} % the market accepts. Remove its column from "
                    "the file (the market keeps its own volatility) or use a longer window.")
    return None


def preview_apply(market: Market, estimate: EstimateResult, ignore_unknown: bool = False,
                  repair: bool = False) -> Outcome:
    """The market with the estimate applied (:func:`margin.history.apply_estimates`), or why not."""
    unknown = unknown_assets(estimate, market)
    if unknown and not ignore_unknown:
        return Outcome(estimate, None, unknown_message(unknown), unknown)
    known = [asset for asset in estimate.vols if asset in market.prices]
    problem = _check_vol_range(estimate, known)
    if problem:
        return Outcome(estimate, None, problem, unknown)
    try:
        return Outcome(estimate, apply_estimates(market, estimate, ignore_unknown=True, repair=repair), None,
                       unknown)
    except Exception as error:  # noqa: BLE001
        message = _message(error)
    inconsistent = False
    if not repair:
        try:
            apply_estimates(market, estimate, ignore_unknown=True, repair=True)
            inconsistent = True
        except Exception:  # noqa: BLE001 - the first message is the one to show
            pass
    if inconsistent:
        message = message.replace("apply with repair=True", "tick \"Repair\" below")
    return Outcome(estimate, None, message, unknown, inconsistent)


def handle(data: bytes, market: Market, *, window: int | None = None, method: str = "plain",
           lam: float = DEFAULT_LAMBDA, ignore_unknown: bool = False, repair: bool = False) -> Outcome:
    """CSV bytes -> the new market, in one call that never raises: everything or nothing.

    Returns an :class:`Outcome` whose ``market`` is the complete new Market, or None with ``error``
    (the parser's message names the line or column) when anything is wrong.
    """
    if method != "ewma":
        lam = DEFAULT_LAMBDA  # ignored by "plain": one cache entry
    estimate, error = cached_estimate(bytes(data), window, method, float(lam))
    if estimate is None:
        return Outcome(None, None, error)
    return preview_apply(market, estimate, ignore_unknown, repair)


# -- plain-language readings ----------------------------------------------------------------------
def _day(stamp: pd.Timestamp | None) -> str:
    return "—" if stamp is None else f"{stamp.day} {stamp:%b %Y}"


def daily_move(vol: float, days_per_year: float) -> float:
    """The typical daily move (one standard deviation, fraction) of an annualised volatility."""
    return vol / math.sqrt(days_per_year)


def read_vol(asset: str, vol: float, days_per_year: float, market_vol: float | None = None) -> str:
    """'BTC moved about 2.9 % a day, 55 % a year (the market uses 55 % today).'"""
    sentence = (f"{asset} moved about {text.percent(daily_move(vol, days_per_year))} a day, "
                f"{text.percent(vol, 0)} a year")
    if market_vol is None:
        return sentence + " (not in the market)."
    return sentence + f" (the market uses {text.percent(market_vol, 0)} today)."


def read_correlation(first: str, second: str, rho: float) -> str:
    """'BTC and ETH: ρ = +0.84, strongly together: the same way on about 82 % of days ...'.

    The share of days is what ρ implies for normally distributed returns: 1/2 + asin(ρ)/π.
    """
    same = 0.5 + math.asin(max(-1.0, min(1.0, rho))) / math.pi
    size = abs(rho)
    strength = "strongly" if size >= 0.7 else "moderately" if size >= 0.4 else "weakly" if size >= 0.2 else None
    if strength is None:
        how = "almost independently: the same way on about half of the days"
    elif rho > 0:
        how = f"{strength} together: the same way on about {text.percent(same, 0)} of days"
    else:
        how = f"{strength} against each other: opposite ways on about {text.percent(1 - same, 0)} of days"
    return f"{first} and {second}: ρ = {rho:+.2f}, they moved {how} (what ρ implies for normal returns)."


def read_sample(estimate: EstimateResult) -> str:
    """How many returns, which dates, which estimator."""
    if estimate.method == "ewma":
        lam = estimate.lam if estimate.lam is not None else DEFAULT_LAMBDA
        how = (f"EWMA with λ = {lam:.2f}: recent days count most; a return 30 days old weighs "
               f"{text.percent(lam ** 30, 0)} as much as yesterday's")
    else:
        how = "plain: every return weighted equally"
    bridged = len(estimate.gaps)
    scaled = (f" ({bridged} of them span{'s' if bridged == 1 else ''} missing days and "
              f"{'was' if bridged == 1 else 'were'} scaled to a one-day return, see the warning)") if bridged else ""
    return (f"Estimated from {estimate.n_returns} daily returns{scaled}, {_day(estimate.start)} to "
            f"{_day(estimate.end)} ({how}). Volatility is annualised with a {estimate.days_per_year:g}-day year.")


def vol_table(estimate: EstimateResult, market: Market) -> pd.DataFrame:
    """One row per asset: estimated vol (% a year and a day) beside the market's vol today."""
    rows = []
    for asset, vol in estimate.vols.items():
        today = market.vols.get(asset)
        rows.append({"Asset": asset, "Estimated (%/yr)": vol * 100,
                     "Estimated (%/day)": daily_move(vol, estimate.days_per_year) * 100,
                     "Market today (%/yr)": None if today is None else today * 100})
    return pd.DataFrame(rows)


def applied_message(outcome: Outcome, name: str) -> str:
    estimate = outcome.estimate
    assert estimate is not None and outcome.market is not None
    parts = [f"{a} {text.percent(v, 0)}" for a, v in estimate.vols.items() if a not in outcome.unknown]
    skipped = f" Ignored: {', '.join(outcome.unknown)}." if outcome.unknown else ""
    return (f"Applied to the market from {name}: volatilities {', '.join(parts)} a year and their correlations."
            f"{skipped} Every page now uses them; the market controls above show the new values.")


# -- Streamlit part -------------------------------------------------------------------------------
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
        state.save(current.replace(market=outcome.market, market_revision=current.market_revision + 1))
        st.session_state[MESSAGE_KEY] = ("success", applied_message(outcome, source["name"]))
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
    st.caption(read_sample(estimate))
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
        st.dataframe(vol_table(estimate, market), hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(c, format="%.1f %%")
                                    for c in ("Estimated (%/yr)", "Market today (%/yr)")}
                     | {"Estimated (%/day)": st.column_config.NumberColumn("Estimated (%/day)", format="%.2f %%")})
        for asset, vol in estimate.vols.items():
            st.caption(read_vol(asset, vol, estimate.days_per_year, market.vols.get(asset)))
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
            st.caption(read_correlation(first, second, rho))
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
    prices, error = cached_read(source["data"])
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
        st.warning(unknown_message(outcome.unknown))
        ignore = st.checkbox(f"Ignore {names}", key=IGNORE_KEY,
                             help="Apply the assets the market knows; leave these out.")
    if ignore or not outcome.unknown:
        outcome = preview_apply(market, outcome.estimate, ignore_unknown=ignore)
        if outcome.inconsistent:
            st.warning(outcome.error)
            repair = st.checkbox("Repair: use the nearest valid correlation matrix for the whole market", key=REPAIR_KEY,
                                 help="Higham's method; it moves the kept correlations and the estimates slightly.")
            if repair:
                outcome = preview_apply(market, outcome.estimate, ignore_unknown=ignore, repair=True)
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
