"""Build page, "Market data", the pure part: a price history's bytes -> an estimate -> a new market.

The source is an uploaded CSV (wide ``date,BTC,ETH`` or long ``date,asset,close``) or the example
history in ``sample_data/example_prices.csv``. Its bytes go through functions (:func:`read_history`,
:func:`estimate_history`, :func:`preview_apply`, :func:`handle`) that never raise: every problem
comes back as a message, and a new Market only when the whole estimate can be applied (nothing is
ever half-applied). The plain-language readings of an estimate are here too. No streamlit:
``ui.history_panel`` draws the panel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from margin import Market, PortfolioError
from margin.history import (
    DEFAULT_LAMBDA,
    EstimateResult,
    HistoryGapError,
    InconsistentCorrelationError,
    apply_estimates,
    estimate_market_inputs,
    parse_price_history,
)
from views.text import percent

EXAMPLE_PATH = Path(__file__).resolve().parent.parent / "sample_data" / "example_prices.csv"
#: Smallest window the slider offers (daily returns).
MIN_WINDOW = 10
#: The market controls accept volatilities from 0.1 % to 2000 % a year (fractions 0.001 to 20).
VOL_MIN, VOL_MAX = 0.001, 20.0


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


#: How the page asks for a shorter window (a gap too long to bridge) and for the repair (inconsistent
#: correlations): its own controls, in place of the engine's keyword arguments.
WINDOW_SLIDER = "move the Window slider to {returns} or less"
REPAIR_BOX = 'tick "Repair" below'


def _message(error: Exception) -> str:
    """What the page says for ``error``: a typed refusal worded with the page's own controls, any other
    PortfolioError as it is, anything else as a file that could not be read."""
    if isinstance(error, HistoryGapError):
        # The page's way to shorten the window is its slider, which starts at MIN_WINDOW returns.
        return error.explain(WINDOW_SLIDER if error.returns_after >= MIN_WINDOW else None)
    if isinstance(error, PortfolioError):
        return str(error)
    return f"the file could not be read ({type(error).__name__}: {error})."


def read_history(data: bytes) -> tuple[pd.DataFrame | None, str | None]:
    """Daily closes parsed from CSV bytes, or (None, the PortfolioError message naming line/column)."""
    try:
        return parse_price_history(bytes(data)), None
    except Exception as error:  # noqa: BLE001 - a bad file is a message, never a traceback
        return None, _message(error)


def estimate_prices(prices: pd.DataFrame, window: int | None = None, method: str = "plain",
                    lam: float = DEFAULT_LAMBDA) -> tuple[EstimateResult | None, str | None]:
    """(estimate, None) from parsed closes, or (None, message). ``window`` None: every return."""
    try:
        return estimate_market_inputs(prices, window=window, method=method, lam=lam), None
    except Exception as error:  # noqa: BLE001
        return None, _message(error)


def estimate_history(data: bytes, window: int | None = None, method: str = "plain", lam: float = DEFAULT_LAMBDA,
                     read: Callable[[bytes], tuple[pd.DataFrame | None, str | None]] = read_history,
                     ) -> tuple[EstimateResult | None, str | None]:
    """(estimate, None) from CSV bytes, or (None, message). ``window`` None: every return; ``read``
    parses the bytes (:func:`read_history`, or a cached copy of it)."""
    prices, error = read(data)
    if prices is None:
        return None, error
    return estimate_prices(prices, window, method, lam)


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
    except InconsistentCorrelationError as error:
        if not repair and _repairable(market, estimate):
            return Outcome(estimate, None, error.explain(repair=REPAIR_BOX), unknown, inconsistent=True)
        return Outcome(estimate, None, _message(error), unknown)
    except Exception as error:  # noqa: BLE001
        return Outcome(estimate, None, _message(error), unknown)


def _repairable(market: Market, estimate: EstimateResult) -> bool:
    """True when applying with the repair works (the nearest valid matrix can be found)."""
    try:
        apply_estimates(market, estimate, ignore_unknown=True, repair=True)
    except Exception:  # noqa: BLE001 - the first message is the one to show
        return False
    return True


def handle(data: bytes, market: Market, *, window: int | None = None, method: str = "plain",
           lam: float = DEFAULT_LAMBDA, ignore_unknown: bool = False, repair: bool = False,
           estimate: Callable[..., tuple[EstimateResult | None, str | None]] = estimate_history) -> Outcome:
    """CSV bytes -> the new market, in one call that never raises: everything or nothing.

    Returns an :class:`Outcome` whose ``market`` is the complete new Market, or None with ``error``
    (the parser's message names the line or column) when anything is wrong. ``estimate`` is
    :func:`estimate_history` or a cached copy of it (``ui.engine_cache``), called as
    ``estimate(data, window, method, lam)``.
    """
    if method != "ewma":
        lam = DEFAULT_LAMBDA  # ignored by "plain": one cache entry
    found, error = estimate(bytes(data), window, method, float(lam))
    if found is None:
        return Outcome(None, None, error)
    return preview_apply(market, found, ignore_unknown, repair)


# -- plain-language readings ----------------------------------------------------------------------
def _day(stamp: pd.Timestamp | None) -> str:
    return "—" if stamp is None else f"{stamp.day} {stamp:%b %Y}"


def daily_move(vol: float, days_per_year: float) -> float:
    """The typical daily move (one standard deviation, fraction) of an annualised volatility."""
    return vol / math.sqrt(days_per_year)


def read_vol(asset: str, vol: float, days_per_year: float, market_vol: float | None = None) -> str:
    """'BTC moved about 2.9 % a day, 55 % a year (the market uses 55 % today).'"""
    sentence = (f"{asset} moved about {percent(daily_move(vol, days_per_year))} a day, "
                f"{percent(vol, 0)} a year")
    if market_vol is None:
        return sentence + " (not in the market)."
    return sentence + f" (the market uses {percent(market_vol, 0)} today)."


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
        how = f"{strength} together: the same way on about {percent(same, 0)} of days"
    else:
        how = f"{strength} against each other: opposite ways on about {percent(1 - same, 0)} of days"
    return f"{first} and {second}: ρ = {rho:+.2f}, they moved {how} (what ρ implies for normal returns)."


def read_sample(estimate: EstimateResult) -> str:
    """How many returns, which dates, which estimator."""
    if estimate.method == "ewma":
        lam = estimate.lam if estimate.lam is not None else DEFAULT_LAMBDA
        how = (f"EWMA with λ = {lam:.2f}: recent days count most; a return 30 days old weighs "
               f"{percent(lam ** 30, 0)} as much as yesterday's")
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
    parts = [f"{a} {percent(v, 0)}" for a, v in estimate.vols.items() if a not in outcome.unknown]
    skipped = f" Ignored: {', '.join(outcome.unknown)}." if outcome.unknown else ""
    return (f"Applied to the market from {name}: volatilities {', '.join(parts)} a year and their correlations."
            f"{skipped} Every page now uses them; the market controls above show the new values.")
