"""The dates of a price history: every calendar day should hold a close; a run of missing days is a gap.

Crypto trades every day, so a history should hold a close for every calendar day between its first
and last date. A run of missing days is a *gap* (:func:`find_gaps`); the return across a gap of
``g`` missing days spans ``k = g + 1`` days. For a random walk a k-day return's variance is k times
a day's, so the estimators use ``u = r / sqrt(k)``, which has one day's variance, in place of ``r``
(:func:`margin.history.scaled_returns`): nothing is filled in and the prices are never changed.

- A gap of up to :data:`MAX_BRIDGED_DAYS` missing days is **bridged** that way and **reported**:
  :attr:`margin.history.EstimateResult.gaps` lists the gaps inside the window, :func:`gap_warning`
  says it in words.
- A **longer gap** inside the window is **refused** (:class:`HistoryGapError`, a PortfolioError naming
  its dates and the fix: fill in the closes, or use only the history after the gap). One return
  then stands in for weeks, the EWMA's "recent" would mean a month ago, and such a hole usually
  means the file was assembled wrong; the estimate would look precise and not be.
- Days before the first or after the last date are not gaps: the history simply starts or ends.
- Dates must increase: a DataFrame with a date repeated or out of order is refused
  (:func:`margin.history_io.parse_price_history` sorts a file's rows itself and refuses a repeated date).
- ``calendar="trading"`` says each row is one trading period (e.g. business-day closes, with
  ``days_per_year=252``): the spacing of the dates is then not checked and every return counts as
  one period. An index that holds no dates is read the same way.

Dates and gaps only; the estimators are :mod:`margin.history`. Pure pandas/NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from margin.errors import PortfolioError

#: Longest run of missing calendar days that is bridged (the return across it scaled to one day);
#: a longer gap inside the window is refused. 3 covers an outage over a long weekend.
MAX_BRIDGED_DAYS = 3
#: ``"daily"``: a close every calendar day, gaps detected; ``"trading"``: each row is one period.
CALENDARS = ("daily", "trading")
#: How many gaps a message names before "and N more".
_GAPS_NAMED = 3
_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Gap:
    """A run of consecutive calendar days with no close, between two dates that have one.

    Attributes:
        first: the first missing day (midnight).
        days: how many days are missing in a row (1 for a single missing day).
    """

    first: pd.Timestamp
    days: int

    @property
    def last(self) -> pd.Timestamp:
        """The last missing day."""
        return self.first + (self.days - 1) * _DAY

    @property
    def before(self) -> pd.Timestamp:
        """The date of the last close before the gap."""
        return self.first - _DAY

    @property
    def after(self) -> pd.Timestamp:
        """The date of the first close after the gap."""
        return self.last + _DAY

    @property
    def span(self) -> int:
        """Days spanned by the return across the gap (missing days + 1)."""
        return self.days + 1

    def __str__(self) -> str:
        if self.days == 1:
            return f"{self.first:%Y-%m-%d}"
        return f"{self.first:%Y-%m-%d} to {self.last:%Y-%m-%d} ({self.days} days)"


def calendar_days(index: pd.Index) -> pd.DatetimeIndex | None:
    """The dates of ``index`` as midnights, checked to increase; None when it holds no dates."""
    if not isinstance(index, pd.DatetimeIndex):
        return None
    if index.hasnans:
        row = int(np.flatnonzero(index.isna())[0])
        raise PortfolioError(
            f"prices: row {row + 1} has no date. Give every close its date, or delete the row."
        )
    days = index.normalize()
    if days.tz is not None:
        days = days.tz_localize(None)
    steps = np.diff(days.asi8)
    bad = np.flatnonzero(steps <= 0)
    if bad.size:
        i = int(bad[0])
        if steps[i] == 0:
            raise PortfolioError(
                f"prices: two closes on {days[i]:%Y-%m-%d} (rows {i + 1} and {i + 2}). Keep one close per "
                "asset per day: delete or correct one of the rows."
            )
        raise PortfolioError(
            f"prices: the dates are not in order ({days[i]:%Y-%m-%d} in row {i + 1} is followed by "
            f"{days[i + 1]:%Y-%m-%d}). Sort the rows by date, e.g. prices.sort_index(); "
            "parse_price_history() sorts a file's rows itself."
        )
    return days


def return_spans(index: pd.Index, calendar: str) -> np.ndarray:
    """Calendar days spanned by each return (one fewer than rows); all 1 without a daily calendar."""
    days = calendar_days(index)  # checks the order of the dates whatever the calendar
    if days is None or calendar != "daily":
        return np.ones(max(len(index) - 1, 0))
    return day_steps(days)


def day_steps(days: pd.DatetimeIndex) -> np.ndarray:
    """Whole calendar days between consecutive midnights (whatever the index's time unit)."""
    return np.rint(np.asarray((days[1:] - days[:-1]) / _DAY, dtype=float))


def gaps_behind(ends: pd.Index, spans: np.ndarray) -> tuple[Gap, ...]:
    """The gaps behind the returns ending on ``ends`` that span ``spans`` days."""
    gaps = []
    for i in np.flatnonzero(spans > 1):
        end = pd.Timestamp(ends[i]).normalize()
        end = end.tz_localize(None) if end.tzinfo is not None else end
        gaps.append(Gap(end - (int(spans[i]) - 1) * _DAY, int(spans[i]) - 1))
    return tuple(gaps)


def find_gaps(prices: pd.DataFrame | pd.Series | pd.DatetimeIndex) -> tuple[Gap, ...]:
    """The runs of missing calendar days between the first and the last date, oldest first.

    Args:
        prices: daily closes indexed by date (as from :func:`parse_price_history`), or the dates.

    Returns:
        One :class:`Gap` per run of missing days (empty when every day has a close). Days before
        the first date or after the last are not gaps.

    Raises:
        PortfolioError if the dates repeat or are out of order, or if there are no dates.
    """
    index = prices if isinstance(prices, pd.Index) else getattr(prices, "index", None)
    if not isinstance(index, pd.DatetimeIndex):
        raise PortfolioError(
            "find_gaps: expected closes indexed by date, or the dates (a DatetimeIndex). "
            "Use parse_price_history() to read a CSV."
        )
    days = calendar_days(index)
    assert days is not None
    return gaps_behind(days[1:], day_steps(days))


def _named(gaps: tuple[Gap, ...] | list[Gap]) -> str:
    named = "; ".join(str(gap) for gap in gaps[:_GAPS_NAMED])
    rest = len(gaps) - _GAPS_NAMED
    return named + (f"; and {rest} more gap{'s' if rest > 1 else ''}" if rest > 0 else "")


def gap_warning(gaps: tuple[Gap, ...] | list[Gap]) -> str:
    """In words: which days are missing and what bridging them did ("" when none are).

    The gaps are those of :attr:`EstimateResult.gaps` (bridged, each at most
    :data:`MAX_BRIDGED_DAYS` days).
    """
    if not gaps:
        return ""
    missing = sum(gap.days for gap in gaps)
    days = f"{missing} day{'s are' if missing > 1 else ' is'} missing from the history"
    if len(gaps) == 1:
        gap = gaps[0]
        how = (
            f"The return from {gap.before:%Y-%m-%d} to {gap.after:%Y-%m-%d} spans {gap.span} days and a "
            f"{gap.span}-day return's variance is {gap.span} times a one-day return's, so it was divided by "
            f"√{gap.span} and counts as one daily return."
        )
    else:
        how = (
            f"Each of the {len(gaps)} returns across a gap spans k days (k = missing days + 1) and a k-day "
            "return's variance is k times a day's, so each was divided by √k and counts as one daily return."
        )
    return (
        f"{days} ({_named(gaps)}). {how} Effect: the estimate rests on {missing} return"
        f"{'s' if missing > 1 else ''} fewer than a complete file would give, and no multi-day move is "
        "counted as a one-day move (which would inflate the volatility). The file is unchanged: add the "
        "missing closes to use every day."
    )


class HistoryGapError(PortfolioError):
    """A price history with closes missing for more than :data:`MAX_BRIDGED_DAYS` days in a row inside
    the window: refused rather than guessed.

    Attributes:
        gaps: the gaps too long to bridge, oldest first.
        returns_after: the returns after the last of them, the longest window that avoids them all.

    The message (:meth:`explain`) names the dates and the fixes; a caller with another way to shorten
    the window (the app's slider) words that fix itself with ``explain(shorter_window=...)``.
    """

    #: How the message says to shorten the window; ``{returns}`` is :attr:`returns_after`.
    SHORTER_WINDOW = "choose a window of at most {returns} returns"

    def __init__(self, gaps: tuple[Gap, ...] | list[Gap], returns_after: int) -> None:
        self.gaps = tuple(gaps)
        self.returns_after = int(returns_after)
        super().__init__(self.explain())

    def explain(self, shorter_window: str | None = SHORTER_WINDOW) -> str:
        """The refusal in words. ``shorter_window``: the fix that shortens the window (``{returns}`` is
        filled in), or None to offer only deleting the rows before the gap."""
        first, last = self.gaps[0], self.gaps[-1]
        if len(self.gaps) == 1:
            what = f"no closes from {first.first:%Y-%m-%d} to {first.last:%Y-%m-%d} ({first.days} days in a row)"
        else:
            what = (
                f"closes are missing for more than {MAX_BRIDGED_DAYS} days in a row in {len(self.gaps)} places: "
                f"{_named(self.gaps)}"
            )
        if self.returns_after >= 2:
            window = f", or {shorter_window.format(returns=self.returns_after)}" if shorter_window else ""
            fix = f"use only the closes from {last.after:%Y-%m-%d} on (delete the rows before it{window})"
        else:  # nothing to estimate from after the gap: the rows after it are the odd ones out
            rows = self.returns_after + 1
            fix = (
                f"delete the {rows} row{'s' if rows > 1 else ''} from {last.after:%Y-%m-%d} on, so that the "
                f"history ends on {last.before:%Y-%m-%d}"
            )
        return (
            f"price history: {what}. Crypto trades every day, so the return from {first.before:%Y-%m-%d} to "
            f"{first.after:%Y-%m-%d} spans {first.span} days; counted as one day's move it would inflate the "
            f"volatility. A gap of up to {MAX_BRIDGED_DAYS} missing days is bridged (the return across it is "
            "scaled to a one-day return), a longer one is refused rather than guessed. Fill in the missing closes "
            f"from your price source, or {fix}."
        )
