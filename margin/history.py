# Over 400 lines: the estimators and the module docstring stating the conventions every formula relies on.
"""Price history: annualised volatilities and correlations from daily closes, plain or EWMA.

Reading a CSV of closes (wide or long, every problem named by line) lives in
:mod:`margin.history_io`; :func:`parse_price_history` and its limits are importable from here too,
so ``from margin.history import parse_price_history, estimate_market_inputs`` is all a caller needs.

Units and conventions
---------------------
* Input is **daily closes** in USD (any positive price unit works: only ratios are used), one
  row per calendar day, indexed by date. Returns are **log returns** between consecutive rows,
  ``ln(P_t / P_{t-1})``.
* Volatility is **annualised, as a fraction** (0.55 = 55 % a year), the same unit as
  :attr:`margin.market.Market.vols`. A daily variance is annualised with a **365-day year**,
  ``sigma_annual = sqrt(365 * var_daily)``, because crypto trades every calendar day (the same
  year the engine uses for option expiries).
* **Missing dates** (:mod:`margin.history_dates`): the return across ``g`` missing days spans
  ``k = g + 1`` days, and as a k-day return's variance is k times a day's the estimators use
  ``u = r / sqrt(k)`` (:func:`scaled_returns`) in place of ``r``: nothing is filled in, the prices are
  never changed. A gap of up to :data:`MAX_BRIDGED_DAYS` days is bridged and reported
  (:attr:`EstimateResult.gaps`, :func:`gap_warning`); a longer one inside the window raises
  :class:`HistoryGapError`. ``calendar="trading"``: each row is one trading period, dates unchecked.
* Two estimators, chosen with ``method``, both on the (scaled) returns ``u``:

  - ``"plain"``: sample standard deviation (``ddof=1``, mean removed) and Pearson correlation of
    the last ``window`` returns (all returns when ``window`` is None), every return weighted equally
    (for a zero-mean random walk with gaps, equal weights on ``r / sqrt(k)`` is the maximum-likelihood
    estimate of a day's variance).
  - ``"ewma"``: the RiskMetrics exponentially weighted moving average (Hull, *Risk Management and
    Financial Institutions*, section on EWMA), zero mean::

        sigma2_n = lam * sigma2_{n-1} + (1 - lam) * u_{n-1}**2
        cov_n    = lam * cov_{n-1}    + (1 - lam) * u_{n-1} * v_{n-1}

    A return that spans k days takes k daily steps at once, ``lam**k`` and ``1 - lam**k`` in place
    of ``lam`` and ``1 - lam`` (as if each of its k days had moved by ``u``), so the decay runs in
    calendar days. Without gaps this is exactly the recursion above.

    **Seed**: the recursion starts from the square (cross product) of the *first* return of the
    window, ``sigma2 = u_1**2``, and then absorbs ``u_2 ... u_m`` one at a time; the result after the
    last return ``u_m`` is the forecast for the next day. Unrolled, this is a weighted average of
    squared returns whose weights ``lam**(m-1), (1-lam)*lam**(m-2), ..., (1-lam)`` sum to exactly 1
    (:func:`ewma_weights`), so a short window is not biased low (as seeding with 0 would be), and
    with non-negative weights the EWMA covariance matrix is positive semi-definite by construction.

Both estimators give a positive semi-definite correlation in exact arithmetic. The result is still
checked: if rounding leaves it not positive semi-definite (smallest eigenvalue below
``-PSD_TOLERANCE``) it is repaired with :func:`margin.market.nearest_correlation` and the repair
is reported (``DataFrame.attrs["repaired"]`` on the matrix, ``EstimateResult.repaired``).
Every problem raises :class:`~margin.errors.PortfolioError` saying how to fix it. Pure
pandas/NumPy: this module never imports streamlit or plotly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from margin.errors import PortfolioError
from margin.history_dates import (
    CALENDARS,
    MAX_BRIDGED_DAYS,
    Gap,
    HistoryGapError,
    calendar_days,
    find_gaps,
    gap_warning,
    gaps_behind,
    return_spans,
)
from margin.history_io import (
    ASSET_NAMES,
    CLOSE_NAMES,
    DATE_NAMES,
    MAX_ASSETS,
    MAX_ROWS,
    MIN_ROWS,
    parse_price_history,
)
from margin.market import PSD_TOLERANCE, Market, check_correlation_psd, nearest_correlation

__all__ = [
    "ASSET_NAMES",
    "CALENDARS",
    "CLOSE_NAMES",
    "DATE_NAMES",
    "DAYS_PER_YEAR",
    "DEFAULT_LAMBDA",
    "MAX_ASSETS",
    "MAX_BRIDGED_DAYS",
    "MAX_ROWS",
    "METHODS",
    "MIN_DAILY_VARIANCE",
    "MIN_ROWS",
    "EstimateResult",
    "Gap",
    "HistoryGapError",
    "InconsistentCorrelationError",
    "annualised_deviation",
    "annualised_vols",
    "apply_estimates",
    "correlation_from_covariance",
    "correlation_matrix",
    "estimate_market_inputs",
    "ewma_covariance",
    "ewma_variance_update",
    "ewma_weights",
    "find_gaps",
    "gap_warning",
    "log_returns",
    "parse_price_history",
    "sample_covariance",
    "scaled_returns",
]

#: A daily return variance at or below this (daily deviation 1e-12) counts as "the price never moved".
MIN_DAILY_VARIANCE = 1e-24
#: RiskMetrics' decay factor for daily data.
DEFAULT_LAMBDA = 0.94
#: Calendar days per year: crypto trades every day.
DAYS_PER_YEAR = 365
METHODS = ("plain", "ewma")


# --------------------------------------------------------------------------------------------
# Estimation
# --------------------------------------------------------------------------------------------
def _check_prices(prices: object, minimum: int = MIN_ROWS) -> pd.DataFrame:
    """A clean float DataFrame of closes (> 0, finite, >= ``minimum`` rows, dates increasing) or PortfolioError."""
    if isinstance(prices, pd.Series):
        prices = prices.to_frame(name=str(prices.name) if prices.name is not None else "asset")
    if not isinstance(prices, pd.DataFrame):
        raise PortfolioError(
            f"prices: expected a DataFrame of daily closes, one column per asset (got {type(prices).__name__}). "
            "Use parse_price_history() to read a CSV."
        )
    if prices.shape[1] == 0:
        raise PortfolioError("prices: no asset columns. Give one column of daily closes per asset.")
    if prices.shape[0] < minimum:
        raise PortfolioError(
            f"prices: {prices.shape[0]} rows of closes; at least {minimum} are needed. Add more days of history."
        )
    try:
        values = prices.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise PortfolioError(
            "prices: every close must be a number. Use parse_price_history() to read a CSV."
        ) from None
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        row, column = (int(v[0]) for v in np.nonzero(bad))
        raise PortfolioError(
            f"prices['{prices.columns[column]}'] at {prices.index[row]}: {values[row, column]} is not a price "
            "above 0. Fill the gap or correct the close."
        )
    calendar_days(prices.index)
    return pd.DataFrame(values, index=prices.index, columns=[str(c) for c in prices.columns])


def _check_options(method: str, lam: float, calendar: str = "daily") -> None:
    if method not in METHODS:
        raise PortfolioError(f"method: must be 'plain' or 'ewma' (got {method!r}).")
    if calendar not in CALENDARS:
        raise PortfolioError(
            f"calendar: must be 'daily' (a close every calendar day, as crypto trades) or 'trading' "
            f"(each row one trading period) (got {calendar!r})."
        )
    if method == "ewma":
        try:
            value = float(lam)
        except (TypeError, ValueError):
            raise PortfolioError(f"lam: must be a number between 0 and 1 (got {lam!r}).") from None
        if not (0.0 < value < 1.0):
            raise PortfolioError(
                f"lam: the EWMA decay must be between 0 and 1, exclusive (got {lam!r}); RiskMetrics uses 0.94."
            )


def log_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Log returns ``ln(P_t / P_{t-1})`` between consecutive rows of closes (one row fewer).

    Args:
        prices: daily closes, one column per asset (as from :func:`parse_price_history`), all > 0,
            dates increasing.

    Returns:
        DataFrame of log returns (fractions, not %), indexed by the later date of each pair. These
        are the raw returns: one that crosses missing days spans several days (:func:`find_gaps`);
        the estimators scale it, this function does not.
    """
    clean = _check_prices(prices, minimum=2)
    values = np.log(clean.to_numpy())
    return pd.DataFrame(np.diff(values, axis=0), index=clean.index[1:], columns=clean.columns)


@dataclass(frozen=True)
class _Sample:
    """The returns an estimate uses: scaled to one day each, with the days they span and the gaps."""

    returns: pd.DataFrame
    spans: np.ndarray
    gaps: tuple[Gap, ...]


def _windowed_returns(prices: pd.DataFrame, window: int | None, calendar: str = "daily") -> _Sample:
    clean = _check_prices(prices, minimum=2)
    returns = log_returns(clean)
    spans = return_spans(clean.index, calendar)
    available = len(returns)
    if available < MIN_ROWS - 1:
        raise PortfolioError(
            f"prices: {available + 1} closes; at least {MIN_ROWS} are needed ({MIN_ROWS - 1} returns). "
            "Add more days of history."
        )
    if window is not None:
        if isinstance(window, bool) or not isinstance(window, int | np.integer):
            raise PortfolioError(
                f"window: a whole number of daily returns, e.g. 90, or None for all (got {window!r})."
            )
        if window < 2:
            raise PortfolioError(f"window: at least 2 returns are needed (got {window}).")
        if window > available:
            raise PortfolioError(
                f"window: {window} returns asked for, but the history has {available + 1} closes, so {available} "
                f"returns. Use a window up to {available}, or None for the whole history."
            )
    start = 0 if window is None else available - int(window)
    used, used_spans = returns.iloc[start:], spans[start:]
    too_long = np.flatnonzero(used_spans > MAX_BRIDGED_DAYS + 1)
    if too_long.size:
        long_gaps = gaps_behind(used.index[too_long], used_spans[too_long])
        raise HistoryGapError(long_gaps, returns_after=len(used) - int(too_long[-1]) - 1)
    scaled = scaled_returns(used, used_spans)
    return _Sample(scaled, used_spans, gaps_behind(used.index, used_spans))


def ewma_variance_update(prev_var: float, ret: float, lam: float = DEFAULT_LAMBDA) -> float:
    """One step of the RiskMetrics EWMA: ``lam * prev_var + (1 - lam) * ret**2``.

    Units are whatever the inputs use: with a daily variance and a daily return (fraction) it gives
    the next day's daily variance. Hull's example: ``ewma_variance_update(0.01**2, 0.02, 0.90)``
    is 0.00013, a daily volatility of 1.14 %.
    """
    return lam * prev_var + (1.0 - lam) * ret * ret


def ewma_weights(count: int, lam: float = DEFAULT_LAMBDA, spans: object = None) -> np.ndarray:
    """Weights of the ``count`` returns (oldest first) in the seeded EWMA recursion; they sum to 1.

    The oldest return seeds the variance (weight ``lam**(count-1)``); return k (1-based) after it
    carries ``(1 - lam) * lam**(count - k)``.

    ``spans`` (optional, one per return): the calendar days each return spans. A return spanning d
    days takes d daily steps at once: weight ``(1 - lam**d) * lam**(days after it)``, the seed
    ``lam**(days after it)``. All 1 (the default) gives the weights above.
    """
    days = np.ones(count) if spans is None else np.asarray(spans, dtype=float)
    after = np.concatenate([np.cumsum(days[::-1])[::-1][1:], [0.0]])  # days spanned by later returns
    weights = (1.0 - lam**days) * lam**after
    weights[0] = lam ** after[0]
    return weights


def sample_covariance(returns: np.ndarray) -> np.ndarray:
    """Sample covariance of returns (rows: days, columns: assets), mean removed, ``ddof=1``:
    ``C = (U - mean(U))ᵀ (U - mean(U)) / (m - 1)`` for m returns."""
    centred = returns - returns.mean(axis=0)
    return centred.T @ centred / (len(returns) - 1)


def ewma_covariance(returns: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """EWMA covariance of returns (rows: days, oldest first), zero mean: ``C = Σ_t w_t u_t u_tᵀ`` with the
    weights of :func:`ewma_weights` (the seeded RiskMetrics recursion unrolled)."""
    return (returns * weights[:, None]).T @ returns


def _covariance(sample: _Sample, method: str, lam: float) -> np.ndarray:
    """Daily covariance matrix of the returns used, by ``method``; a price that never moves is refused."""
    returns = sample.returns
    values = returns.to_numpy()
    if method == "plain":
        covariance = sample_covariance(values)
    else:
        covariance = ewma_covariance(values, ewma_weights(len(values), lam, sample.spans))
    covariance = (covariance + covariance.T) / 2.0
    variances = np.diag(covariance)
    flat = [returns.columns[i] for i in np.flatnonzero(~(variances > MIN_DAILY_VARIANCE))]
    if flat:
        raise PortfolioError(
            f"prices: {', '.join(flat)} never move{'s' if len(flat) == 1 else ''} over the "
            f"{len(values)} returns used, so the volatility would be 0. Remove "
            f"{'that column' if len(flat) == 1 else 'those columns'} (the market keeps its own volatility), "
            "or use a longer window."
        )
    return covariance


def annualised_deviation(daily_variance: np.ndarray, days_per_year: float) -> np.ndarray:
    """Annualised volatility (fraction) from daily variances: ``σ = √(days_per_year × var_daily)``."""
    return np.sqrt(daily_variance * days_per_year)


def scaled_returns(returns: pd.DataFrame, spans: np.ndarray) -> pd.DataFrame:
    """Each return divided by the square root of the days it spans, ``u = r / √k``: a k-day return's
    variance is k times a day's, so ``u`` has one day's variance."""
    return returns / np.sqrt(spans)[:, None] if (spans > 1).any() else returns


def _valid_correlation(values: np.ndarray, assets: list[str]) -> tuple[pd.DataFrame, bool]:
    """Clip to [-1, 1], unit diagonal, symmetric; repair with nearest_correlation if not PSD."""
    matrix = np.clip((values + values.T) / 2.0, -1.0, 1.0)
    np.fill_diagonal(matrix, 1.0)
    frame = pd.DataFrame(matrix, index=list(assets), columns=list(assets))
    repaired = bool(np.linalg.eigvalsh(matrix)[0] < -PSD_TOLERANCE)
    if repaired:
        frame = nearest_correlation(frame)
        frame = frame.clip(-1.0, 1.0)
        values_repaired = frame.to_numpy(copy=True)
        np.fill_diagonal(values_repaired, 1.0)
        frame = pd.DataFrame(values_repaired, index=list(assets), columns=list(assets))
    frame.attrs["repaired"] = repaired
    return frame, repaired


def _check_days(days_per_year: object) -> float:
    try:
        days = float(days_per_year)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        days = float("nan")
    if not math.isfinite(days) or days <= 0:
        raise PortfolioError(f"days_per_year: must be a number above 0, e.g. 365 (got {days_per_year!r}).")
    return days


def _estimate(
    prices: pd.DataFrame, window: int | None, method: str, lam: float, calendar: str
) -> tuple[_Sample, np.ndarray]:
    """The returns used and their daily covariance matrix."""
    _check_options(method, lam, calendar)
    sample = _windowed_returns(prices, window, calendar)
    return sample, _covariance(sample, method, float(lam))


def correlation_from_covariance(covariance: np.ndarray) -> np.ndarray:
    """Correlations from a covariance matrix: ``ρ_ij = C_ij / (σ_i σ_j)``, ``σ_i = √C_ii``."""
    deviations = np.sqrt(np.diag(covariance))
    return covariance / np.outer(deviations, deviations)


def _correlation_from_covariance(covariance: np.ndarray, assets: list[str]) -> tuple[pd.DataFrame, bool]:
    return _valid_correlation(correlation_from_covariance(covariance), assets)


def annualised_vols(
    prices: pd.DataFrame,
    window: int | None = None,
    method: str = "plain",
    lam: float = DEFAULT_LAMBDA,
    days_per_year: float = DAYS_PER_YEAR,
    calendar: str = "daily",
) -> pd.Series:
    """Annualised volatility of each asset from daily closes, as a fraction (0.55 = 55 %/yr).

    Args:
        prices: daily closes, one column per asset, indexed by increasing dates.
        window: use the last ``window`` log returns (None: all of them).
        method: ``"plain"``: sample standard deviation (ddof=1); ``"ewma"``: RiskMetrics EWMA
            seeded with the first squared return of the window (see the module docstring).
        lam: EWMA decay factor in (0, 1); ignored by ``"plain"``.
        days_per_year: annualisation, ``sigma_annual = sigma_daily * sqrt(days_per_year)``;
            365 (calendar days, crypto trades every day) by default.
        calendar: ``"daily"`` (default): a close is expected every calendar day; a return across up
            to :data:`MAX_BRIDGED_DAYS` missing days is scaled to a one-day return, a longer gap in the
            window raises PortfolioError. ``"trading"``: each row is one period, dates not checked.

    Returns:
        Series asset -> annualised volatility (fraction), named ``"vol"``.
    """
    days = _check_days(days_per_year)
    sample, covariance = _estimate(prices, window, method, lam, calendar)
    return pd.Series(annualised_deviation(np.diag(covariance), days), index=sample.returns.columns, name="vol")


def correlation_matrix(
    prices: pd.DataFrame,
    window: int | None = None,
    method: str = "plain",
    lam: float = DEFAULT_LAMBDA,
    calendar: str = "daily",
) -> pd.DataFrame:
    """Correlation of daily log returns, a valid correlation matrix indexed by asset on both axes.

    ``"plain"`` is the Pearson correlation of the last ``window`` returns; ``"ewma"`` the EWMA
    covariance (seeded like :func:`annualised_vols`) divided by the EWMA deviations. Missing dates
    are handled as in :func:`annualised_vols`. The result is symmetric with a unit diagonal and
    positive semi-definite; if rounding made it otherwise it is repaired with
    :func:`~margin.market.nearest_correlation` and ``result.attrs["repaired"]`` is True (False when
    no repair was needed).
    """
    sample, covariance = _estimate(prices, window, method, lam, calendar)
    frame, _ = _correlation_from_covariance(covariance, list(sample.returns.columns))
    return frame


@dataclass(frozen=True, eq=False)
class EstimateResult:
    """Vols and correlations estimated from a price history.

    Attributes:
        vols: asset -> annualised volatility as a fraction (365-day year by default).
        correlation: correlation matrix (DataFrame indexed by asset on both axes), valid (PSD).
        n_returns: how many returns the estimate used (the window, or all returns).
        repaired: True if the estimated correlation had to be repaired to be PSD.
        window: the window asked for (None: the whole history).
        method: ``"plain"`` or ``"ewma"``.
        lam: the EWMA decay factor (None for ``"plain"``).
        start, end: dates of the first and last return used.
        days_per_year: the annualisation used.
        gaps: the missing-date gaps inside the window, each bridged by scaling the return across
            it to a one-day return (empty when every day has a close); :func:`gap_warning` words them.
        calendar: ``"daily"`` or ``"trading"`` (see :func:`annualised_vols`).
    """

    vols: dict[str, float]
    correlation: pd.DataFrame
    n_returns: int
    repaired: bool
    window: int | None
    method: str
    lam: float | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    days_per_year: float = DAYS_PER_YEAR
    gaps: tuple[Gap, ...] = ()
    calendar: str = "daily"

    @property
    def assets(self) -> list[str]:
        return list(self.vols)

    @property
    def missing_days(self) -> int:
        """Days missing inside the window (bridged)."""
        return sum(gap.days for gap in self.gaps)


def estimate_market_inputs(
    prices: pd.DataFrame,
    window: int | None = None,
    method: str = "plain",
    lam: float = DEFAULT_LAMBDA,
    days_per_year: float = DAYS_PER_YEAR,
    calendar: str = "daily",
) -> EstimateResult:
    """Annualised vols and the correlation matrix from daily closes, in one pass.

    Same arguments and units as :func:`annualised_vols` and :func:`correlation_matrix`; the result
    lists the gaps it bridged (``gaps``), and a gap too long to bridge raises PortfolioError.
    """
    days = _check_days(days_per_year)
    sample, covariance = _estimate(prices, window, method, lam, calendar)
    returns = sample.returns
    correlation, repaired = _correlation_from_covariance(covariance, list(returns.columns))
    vols = annualised_deviation(np.diag(covariance), days)
    return EstimateResult(
        vols={str(asset): float(vol) for asset, vol in zip(returns.columns, vols, strict=True)},
        correlation=correlation,
        n_returns=len(returns),
        repaired=repaired,
        window=None if window is None else int(window),
        method=method,
        lam=float(lam) if method == "ewma" else None,
        start=returns.index[0] if isinstance(returns.index[0], pd.Timestamp) else None,
        end=returns.index[-1] if isinstance(returns.index[-1], pd.Timestamp) else None,
        days_per_year=days,
        gaps=sample.gaps,
        calendar=calendar,
    )


class InconsistentCorrelationError(PortfolioError):
    """The estimated correlations clash with the ones a market keeps for the assets the history does not
    cover: together the matrix is not positive semi-definite (``apply_estimates(..., repair=True)``
    would use the nearest valid matrix).

    Attributes:
        estimated: the assets whose correlations come from the history.
        kept: the market's other assets, whose correlations are kept.

    A caller with another way to ask for the repair (the app's checkbox) words it with
    ``explain(repair=...)``.
    """

    #: How the message says to ask for the repair.
    REPAIR = "apply with repair=True"

    def __init__(self, estimated: list[str], kept: list[str]) -> None:
        self.estimated = tuple(estimated)
        self.kept = tuple(kept)
        super().__init__(self.explain())

    def explain(self, repair: str = REPAIR) -> str:
        """The clash in words; ``repair``: how to ask for the nearest valid matrix."""
        return (
            f"price history: the estimated correlations among {', '.join(self.estimated)} are inconsistent with "
            f"the correlations the market keeps for {', '.join(self.kept)} (together the matrix is not positive "
            f"semi-definite). Include those assets in the history, edit their correlations, or {repair} to use "
            "the nearest valid matrix."
        )


def apply_estimates(
    market: Market, estimate: EstimateResult, *, ignore_unknown: bool = False, repair: bool = False
) -> Market:
    """A new Market whose vols and correlations come from ``estimate`` for the assets it covers.

    Assets of the market that the history does not cover keep their vols, and every pair involving
    one of them keeps its correlation. Prices and basis are unchanged.

    Args:
        market: the current Market (not modified: Markets are immutable).
        estimate: from :func:`estimate_market_inputs`.
        ignore_unknown: if False (default), an asset in the history but not in the market raises
            PortfolioError naming it; if True such assets are left out.
        repair: the estimated block combined with the kept pairs can be inconsistent (not PSD). By
            default that raises InconsistentCorrelationError; with ``repair=True`` the combined matrix is replaced by
            its nearest valid correlation matrix (which moves the kept pairs and estimates slightly).

    Returns:
        A complete, validated new Market. Nothing is ever half-applied: either every estimate is in
        the returned Market or a PortfolioError is raised and the caller keeps the old Market.
    """
    if not isinstance(market, Market):
        raise PortfolioError(f"apply_estimates: expected a Market (got {type(market).__name__}).")
    if not isinstance(estimate, EstimateResult):
        raise PortfolioError(
            f"apply_estimates: expected an EstimateResult from estimate_market_inputs (got {type(estimate).__name__})."
        )
    unknown = [asset for asset in estimate.vols if asset not in market.prices]
    if unknown and not ignore_unknown:
        raise PortfolioError(
            f"price history: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} in the history but not "
            "in the market. Add a price for "
            f"{'it' if len(unknown) == 1 else 'them'} in the market, remove the column from the file, or apply "
            "with ignore_unknown=True to skip it."
        )
    common = [asset for asset in market.assets if asset in estimate.vols]
    if not common:
        raise PortfolioError(
            f"price history: none of its assets ({', '.join(estimate.vols)}) is in the market "
            f"({', '.join(market.assets)}). Name the columns after the market's assets."
        )
    missing = [
        a for a in common if a not in estimate.correlation.index or a not in estimate.correlation.columns
    ]
    if missing:
        raise PortfolioError(f"apply_estimates: the estimate has no correlation for {', '.join(missing)}.")
    vols = dict(market.vols)
    vols.update({asset: float(estimate.vols[asset]) for asset in common})
    correlation = market.correlation  # a copy
    correlation.loc[common, common] = estimate.correlation.loc[common, common].to_numpy(dtype=float)
    kept = [asset for asset in market.assets if asset not in common]
    try:
        check_correlation_psd(correlation)
    except PortfolioError:
        if not repair:
            raise InconsistentCorrelationError(common, kept) from None
        correlation = nearest_correlation(correlation)
    return Market(market.prices, vols, correlation, market.basis)
