"""Price history: parse daily closes and estimate annualised vols and correlations from them.

Units and conventions
---------------------
* Input is **daily closes** in USD (any positive price unit works: only ratios are used), one
  row per calendar day. Returns are **log returns** between consecutive rows, ``ln(P_t / P_{t-1})``.
* Volatility is **annualised, as a fraction** (0.55 = 55 % a year), the same unit as
  :attr:`margin.market.Market.vols`. A daily variance is annualised with a **365-day year**,
  ``sigma_annual = sqrt(365 * var_daily)``, because crypto trades every calendar day (the same
  year the engine uses for option expiries). ``days_per_year`` can be set to 252 for assets that
  only trade on business days. If the file skips days (weekends, outages), each return simply spans
  the gap between two consecutive rows; nothing is filled in.
* Two estimators, chosen with ``method``:

  - ``"plain"``: sample standard deviation (``ddof=1``, mean removed) and Pearson correlation of
    the last ``window`` returns (all returns when ``window`` is None), every return weighted equally.
  - ``"ewma"``: the RiskMetrics exponentially weighted moving average (Hull, *Risk Management and
    Financial Institutions*, section on EWMA), zero mean::

        sigma2_n = lam * sigma2_{n-1} + (1 - lam) * u_{n-1}**2
        cov_n    = lam * cov_{n-1}    + (1 - lam) * u_{n-1} * v_{n-1}

    **Seed**: the recursion starts from the square (cross product) of the *first* return of the
    window, ``sigma2 = u_1**2``, and then absorbs ``u_2 ... u_m`` one at a time; the result after the
    last return ``u_m`` is the forecast for the next day. Unrolled, this is a weighted average of
    squared returns whose weights ``lam**(m-1), (1-lam)*lam**(m-2), ..., (1-lam)`` sum to exactly 1,
    so a short window is not biased low (as seeding with 0 would be), and with non-negative weights
    the EWMA covariance matrix is positive semi-definite by construction.

Both estimators give a positive semi-definite correlation in exact arithmetic. The result is still
checked: if rounding leaves it not positive semi-definite (smallest eigenvalue below
``-PSD_TOLERANCE``) it is repaired with :func:`margin.market.nearest_correlation` and the repair
is reported (``DataFrame.attrs["repaired"]`` on the matrix, ``EstimateResult.repaired``).

Parsing never drops or fills data silently: every problem raises
:class:`~margin.errors.PortfolioError` naming the line (1-based, as a text editor shows it) or the
column and saying how to fix it. Pure pandas/NumPy: this module never imports streamlit or plotly.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from margin.errors import PortfolioError
from margin.market import PSD_TOLERANCE, Market, check_correlation_psd, nearest_correlation

#: Most dates (rows of closes) a history may hold: 20,000 days is about 55 years of daily closes.
MAX_ROWS = 20_000
#: Most assets (price columns) a history may hold.
MAX_ASSETS = 50
#: Fewest closes a history needs: 3 closes give 2 returns, the minimum for a sample deviation.
MIN_ROWS = 3
#: A daily return variance at or below this (daily deviation 1e-12) counts as "the price never moved".
MIN_DAILY_VARIANCE = 1e-24
#: RiskMetrics' decay factor for daily data.
DEFAULT_LAMBDA = 0.94
#: Calendar days per year: crypto trades every day.
DAYS_PER_YEAR = 365

DATE_NAMES = ("date", "datetime", "timestamp", "time", "day")
ASSET_NAMES = ("asset", "symbol", "ticker", "coin")
CLOSE_NAMES = ("close", "price", "close_price")
METHODS = ("plain", "ewma")
_GAP_WORDS = frozenset({"", "nan", "na", "n/a", "#n/a", "null", "none", "-"})

#: A UTC offset or zone name after a time of day ("...T00:00:00Z", "... 00:00:00 UTC", "...+02:00").
_ZONE_SUFFIX = r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
_EXAMPLE_WIDE = "date,BTC,ETH\n2025-01-01,87959.91,2920.50\n2025-01-02,88512.30,2951.75"


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------
def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PortfolioError(
            f"price history: the file is not UTF-8 text (byte {error.start} cannot be read). "
            "Save it as 'CSV UTF-8' from your spreadsheet."
        ) from None


def _read_source(source: object) -> str:
    """The CSV text of a path, CSV text, bytes or file-like object."""
    if isinstance(source, bytes | bytearray | memoryview):
        return _decode(bytes(source))
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return source.lstrip("\ufeff")
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            is_file = path.is_file()
        except (OSError, ValueError):
            is_file = False
        if not is_file:
            if isinstance(source, str) and "," in source:
                return source.lstrip("\ufeff")  # one line of CSV text
            raise PortfolioError(
                f"price history: no file at '{source}'. Give the path of a CSV file, or the CSV text itself."
            )
        try:
            return _decode(path.read_bytes())
        except OSError as error:
            raise PortfolioError(f"price history: cannot read '{source}' ({error.strerror}).") from None
    if hasattr(source, "getvalue") or hasattr(source, "read"):
        # getvalue() returns the whole buffer even if it was read before (BytesIO, Streamlit uploads).
        data = source.getvalue() if hasattr(source, "getvalue") else source.read()  # type: ignore[attr-defined]
        if isinstance(data, bytes | bytearray | memoryview):
            return _decode(bytes(data))
        if isinstance(data, str):
            return data.lstrip("\ufeff")
    raise PortfolioError(
        f"price history: expected a file path, CSV text, bytes or an open file (got {type(source).__name__})."
    )


def _blank(cells: list[str]) -> bool:
    if cells and cells[0].strip():
        return False  # the common case, decided without scanning the row
    return all(not cell.strip() for cell in cells)


def _column_label(index: int, name: str | None = None) -> str:
    """'column 3 (ETH)': columns numbered from 1 as a spreadsheet user counts them."""
    return f"column {index + 1} ({name})" if name else f"column {index + 1}"


def _matches(name: str, choices: tuple[str, ...]) -> bool:
    return name.strip().lower() in choices


def _looks_like_date(text: str) -> bool:
    try:
        return not pd.isna(pd.to_datetime(text.strip(), format="ISO8601"))
    except (ValueError, TypeError, OverflowError):
        return False


def _parse_dates(values: list[str], lines: list[int], column: str) -> pd.DatetimeIndex:
    """ISO dates (YYYY-MM-DD, optionally with a time) -> calendar days; names the first bad line."""
    stripped = np.array([v.strip() for v in values], dtype=object)
    empty = np.flatnonzero(stripped == "")
    if empty.size:
        raise PortfolioError(
            f"price history, line {lines[int(empty[0])]}: the date (column '{column}') is empty. "
            "Give every row a date as YYYY-MM-DD, or delete the row."
        )
    # Parse each distinct text once (a long-format file repeats every date once per asset).
    codes, uniques = pd.factorize(stripped)
    # The day is the calendar date as written: drop a UTC offset or zone after a time of day.
    naive = pd.Series(uniques, dtype=object).str.replace(_ZONE_SUFFIX, r"\1", regex=True)
    parsed_unique = pd.to_datetime(naive, errors="coerce", format="ISO8601")
    parsed = pd.Series(parsed_unique.to_numpy()[codes])
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        first = int(bad[0])
        more = f" ({bad.size - 1} more rows have unreadable dates)" if bad.size > 1 else ""
        raise PortfolioError(
            f"price history, line {lines[first]}: '{stripped[first]}' in column '{column}' is not a date"
            f"{more}. Write dates as YYYY-MM-DD, e.g. 2025-01-31."
        )
    return pd.DatetimeIndex(parsed.dt.normalize()).as_unit("ns")


def _parse_closes(
    values: list[str],
    lines: list[int],
    dates: pd.DatetimeIndex | None,
    column_label: str,
    row_assets: list[str] | None = None,
) -> np.ndarray:
    """Text cells -> positive finite floats; raises on the first gap, text, or price <= 0.

    ``row_assets`` (long format) names the asset of each row, so the message can say which one.
    """
    text = pd.Series([v.strip() for v in values], dtype=object)
    gap = text.str.lower().isin(_GAP_WORDS).to_numpy()
    numbers = pd.to_numeric(text.where(~gap), errors="coerce").to_numpy(dtype=float)
    not_number = np.isnan(numbers) & ~gap
    not_finite = np.isinf(numbers)
    not_positive = np.isfinite(numbers) & (numbers <= 0)
    problems = gap | not_number | not_finite | not_positive
    if not problems.any():
        return numbers
    first = int(np.flatnonzero(problems)[0])
    count = int(problems.sum())
    more = f" ({count - 1} more problem cells in this column)" if count > 1 else ""
    asset = f" for {row_assets[first]}" if row_assets is not None else ""
    where = f"price history, line {lines[first]}, {column_label}"
    day = f"{asset} on {dates[first]:%Y-%m-%d}" if dates is not None else asset
    cell = text.iloc[first]
    if gap[first]:
        raise PortfolioError(
            f"{where}: no close{day} (the cell is {'empty' if not cell else repr(cell)}){more}. "
            "Every asset needs a close on every date: fill it in from your price source, or delete that "
            "date's row (for all assets) or the asset's column. Gaps are never filled automatically."
        )
    if not_number[first]:
        raise PortfolioError(
            f"{where}: '{cell}'{day} is not a number{more}. Write plain numbers with a dot for decimals "
            "and no currency signs or thousands separators, e.g. 87959.91."
        )
    if not_finite[first]:
        raise PortfolioError(
            f"{where}: '{cell}'{day} is not a finite price{more}. Use the actual close in USD."
        )
    raise PortfolioError(
        f"{where}: the close{day} is {cell}; prices must be above 0{more}. Correct the close or delete the row."
    )


def _first_duplicate(keys: pd.Index | pd.MultiIndex) -> tuple[int, int] | None:
    """Positions (first, second) of the first repeated key in file order, or None."""
    duplicated = keys.duplicated(keep=False)
    if not duplicated.any():
        return None
    positions = np.flatnonzero(duplicated)
    later = np.flatnonzero(keys.duplicated(keep="first"))[0]
    earlier = next(int(p) for p in positions if keys[p] == keys[later])
    return earlier, int(later)


def parse_price_history(source: object) -> pd.DataFrame:
    """Read daily closes from a CSV file and return them as a wide table.

    Args:
        source: a path (``str`` or ``Path``), the CSV text itself, ``bytes``, or a file-like object
            (an open file, ``io.BytesIO``, a Streamlit upload). UTF-8, comma separated.

    Two layouts are accepted; column names are case-insensitive:

    * **wide**: a date column (``date``, ``datetime``, ``timestamp``, ``time`` or ``day``) and one
      column per asset holding its daily close, e.g. ``date,BTC,ETH``;
    * **long**: exactly three columns, a date, an asset (``asset``/``symbol``/``ticker``/``coin``)
      and a close (``close``/``price``/``close_price``), one row per (date, asset).

    Dates are ISO (``YYYY-MM-DD``; a time of day and a UTC offset are allowed and dropped: the
    calendar date as written is the day, one close per day). Rows may come in any order. Fully
    blank lines are skipped; nothing else is.

    Returns:
        DataFrame indexed by a sorted, unique ``DatetimeIndex`` named ``date``, one ``float64``
        column of daily closes per asset (wide: in header order; long: sorted by asset name).
        No NaN, every price > 0.

    Raises:
        PortfolioError naming the line (1-based, as in the file) or column and the fix for: no date
        column, an unreadable or empty date, a date repeated (or a date/asset pair repeated in long
        format), a cell that is not a number, a price <= 0, a gap (an empty cell, or in long format a
        date where an asset has no row; the message names the asset and date), fewer than
        ``MIN_ROWS`` dates, no asset column, more than ``MAX_ROWS`` dates or ``MAX_ASSETS`` assets.
    """
    text = _read_source(source)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    last_line = 0
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, list[str]]] = []
    row_cap = MAX_ROWS
    try:
        for cells in reader:
            if _blank(cells):
                last_line = reader.line_num
                continue
            if header is None:
                header, header_line = cells, reader.line_num
                header, row_cap = _check_header(header, header_line)
                last_line = reader.line_num
                continue
            rows.append((reader.line_num, cells))
            if len(rows) > row_cap:
                break
            last_line = reader.line_num
    except csv.Error as error:
        raise PortfolioError(
            f"price history, line {last_line + 1}: the CSV cannot be read ({error}). "
            'Check that every quote (") on this line is closed.'
        ) from None
    if header is None:
        raise PortfolioError(f"price history: the file is empty. Expected CSV such as:\n{_EXAMPLE_WIDE}")
    long_format = any(_matches(name, ASSET_NAMES) for name in header)
    if len(rows) > row_cap:
        unit = "rows" if long_format else "dates (rows)"
        raise PortfolioError(
            f"price history: more than {row_cap:,} {unit}; the limit is {row_cap:,} "
            f"(line {rows[-1][0]} is over it). Keep the most recent part of the history."
        )
    width = len(header)
    for line, cells in rows:
        if len(cells) == width:
            continue
        if len(cells) < width:
            raise PortfolioError(
                f"price history, line {line}: {len(cells)} cells but the header (line {header_line}) has "
                f"{width} columns. Every row needs a date and a value for every column."
            )
        extra = [i for i in range(width, len(cells)) if cells[i].strip()]
        if extra:
            raise PortfolioError(
                f"price history, line {line}: a value in {_column_label(extra[0])}, which has no name in the "
                f"header (line {header_line}). Name the column in the header or remove the value."
            )
    if long_format:
        return _parse_long(header, rows)
    return _parse_wide(header, rows)


def _check_header(header: list[str], line: int) -> tuple[list[str], int]:
    """Validate the header row; returns it trimmed of trailing unnamed columns, and the row cap."""
    names = [cell.strip() for cell in header]
    while names and not names[-1]:
        names.pop()  # trailing separators from a spreadsheet; their cells must be empty (checked later)
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        raise PortfolioError(
            f"price history, line {line}: the columns are separated by "
            f"{'semicolons' if ';' in names[0] else 'tabs'}. Save the file with commas, e.g.\n{_EXAMPLE_WIDE}"
        )
    if names and _looks_like_date(names[0]):
        raise PortfolioError(
            f"price history, line {line}: the first line holds data ('{names[0]}'), not column names. "
            f"Add a header line such as 'date,BTC,ETH'. Expected CSV such as:\n{_EXAMPLE_WIDE}"
        )
    for index, name in enumerate(names):
        if not name:
            raise PortfolioError(
                f"price history, line {line}: {_column_label(index)} has no name. Name it after the asset "
                "(e.g. BTC) or delete the column."
            )
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            raise PortfolioError(
                f"price history, line {line}: {_column_label(seen[name], name)} and {_column_label(index, name)} "
                "have the same name. Give each column its own name (one column per asset)."
            )
        seen[name] = index
    date_columns = [i for i, name in enumerate(names) if _matches(name, DATE_NAMES)]
    if not date_columns:
        raise PortfolioError(
            f"price history, line {line}: no date column (found {', '.join(names) or 'nothing'}). "
            f"Name the column that holds the dates 'date'. Expected CSV such as:\n{_EXAMPLE_WIDE}"
        )
    if len(date_columns) > 1:
        labels = " and ".join(_column_label(i, names[i]) for i in date_columns)
        raise PortfolioError(
            f"price history, line {line}: {labels} could both be the date. Keep one and rename or delete the other."
        )
    asset_columns = [i for i, name in enumerate(names) if _matches(name, ASSET_NAMES)]
    close_columns = [i for i, name in enumerate(names) if _matches(name, CLOSE_NAMES)]
    if asset_columns:  # long format: date, asset, close
        if len(asset_columns) > 1 or len(close_columns) != 1 or len(names) != 3:
            raise PortfolioError(
                f"price history, line {line}: a long-format file takes exactly three columns, date, asset and "
                f"close (found {', '.join(names)}). Remove the other columns, or use the wide format "
                "(a date column and one column of closes per asset)."
            )
        return names, MAX_ROWS * MAX_ASSETS
    if close_columns:
        index = close_columns[0]
        raise PortfolioError(
            f"price history, line {line}: {_column_label(index, names[index])} does not say which asset it "
            "prices. Rename it to the asset's ticker (e.g. BTC), or add an 'asset' column (long format)."
        )
    if len(names) < 2:
        raise PortfolioError(
            f"price history, line {line}: no asset columns, only the date. Add one column of daily closes "
            f"per asset, e.g.\n{_EXAMPLE_WIDE}"
        )
    if len(names) - 1 > MAX_ASSETS:
        raise PortfolioError(
            f"price history, line {line}: {len(names) - 1} asset columns; the limit is {MAX_ASSETS}. "
            "Keep the assets your portfolio holds."
        )
    return names, MAX_ROWS


def _check_row_count(count: int) -> None:
    if count < MIN_ROWS:
        raise PortfolioError(
            f"price history: {count} date{'s' if count != 1 else ''} of closes; at least {MIN_ROWS} are needed "
            f"({MIN_ROWS - 1} returns). Add more days of history."
        )


def _parse_wide(header: list[str], rows: list[tuple[int, list[str]]]) -> pd.DataFrame:
    _check_row_count(len(rows))
    lines = [line for line, _ in rows]
    date_index = next(i for i, name in enumerate(header) if _matches(name, DATE_NAMES))
    dates = _parse_dates([cells[date_index] for _, cells in rows], lines, header[date_index])
    duplicate = _first_duplicate(dates)
    if duplicate is not None:
        first, second = duplicate
        raise PortfolioError(
            f"price history, lines {lines[first]} and {lines[second]}: both are {dates[first]:%Y-%m-%d}. "
            "Keep one close per asset per day: delete or correct one of the rows."
        )
    data: dict[str, np.ndarray] = {}
    for index, name in enumerate(header):
        if index == date_index:
            continue
        values = [cells[index] for _, cells in rows]
        data[name] = _parse_closes(values, lines, dates, _column_label(index, name))
    frame = pd.DataFrame(data, index=dates)
    return _finish(frame)


def _parse_long(header: list[str], rows: list[tuple[int, list[str]]]) -> pd.DataFrame:
    if not rows:
        _check_row_count(0)
    lines = [line for line, _ in rows]
    date_index = next(i for i, name in enumerate(header) if _matches(name, DATE_NAMES))
    asset_index = next(i for i, name in enumerate(header) if _matches(name, ASSET_NAMES))
    close_index = next(i for i, name in enumerate(header) if _matches(name, CLOSE_NAMES))
    dates = _parse_dates([cells[date_index] for _, cells in rows], lines, header[date_index])
    assets = [cells[asset_index].strip() for _, cells in rows]
    for line, asset in zip(lines, assets, strict=True):
        if not asset:
            raise PortfolioError(
                f"price history, line {line}: the asset (column '{header[asset_index]}') is empty. "
                "Write the asset's ticker, e.g. BTC."
            )
    keys = pd.MultiIndex.from_arrays([dates, assets])
    duplicate = _first_duplicate(keys)
    if duplicate is not None:
        first, second = duplicate
        raise PortfolioError(
            f"price history, lines {lines[first]} and {lines[second]}: both give {assets[first]} on "
            f"{dates[first]:%Y-%m-%d}. Keep one close per asset per day: delete or correct one of the rows."
        )
    order = sorted(set(assets))  # row order in a long file is arbitrary: sort for a stable layout
    if len(order) > MAX_ASSETS:
        raise PortfolioError(
            f"price history: {len(order)} assets in column '{header[asset_index]}'; the limit is {MAX_ASSETS}. "
            "Keep the assets your portfolio holds."
        )
    closes = _parse_closes(
        [cells[close_index] for _, cells in rows],
        lines,
        dates,
        _column_label(close_index, header[close_index]),
        row_assets=assets,
    )
    unique_dates = dates.unique()
    if len(unique_dates) > MAX_ROWS:
        raise PortfolioError(
            f"price history: {len(unique_dates):,} dates; the limit is {MAX_ROWS:,}. "
            "Keep the most recent part of the history."
        )
    _check_row_count(len(unique_dates))
    series = pd.Series(closes, index=keys)
    frame = series.unstack()
    frame = frame.reindex(columns=order)
    missing = frame.isna().to_numpy()
    if missing.any():
        frame = frame.sort_index()
        missing = frame.isna().to_numpy()
        day, column = (int(v[0]) for v in np.nonzero(missing))
        # np.nonzero is row-major: the earliest date, then the first asset missing on it.
        asset = frame.columns[column]
        count = int(missing.sum())
        more = f" ({count - 1} more date/asset pairs are missing)" if count > 1 else ""
        raise PortfolioError(
            f"price history: no close for {asset} on {frame.index[day]:%Y-%m-%d} (other assets have one that "
            f"day){more}. Add a row '{frame.index[day]:%Y-%m-%d},{asset},<close>', or delete that date for "
            "every asset. Gaps are never filled automatically."
        )
    return _finish(frame)


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_index().astype("float64")
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
    frame.index.name = "date"
    frame.columns = pd.Index([str(c) for c in frame.columns])
    return frame


# --------------------------------------------------------------------------------------------
# Estimation
# --------------------------------------------------------------------------------------------
def _check_prices(prices: object, minimum: int = MIN_ROWS) -> pd.DataFrame:
    """A clean float DataFrame of closes (> 0, finite, >= ``minimum`` rows) or PortfolioError."""
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
    return pd.DataFrame(values, index=prices.index, columns=[str(c) for c in prices.columns])


def _check_method(method: str, lam: float) -> None:
    if method not in METHODS:
        raise PortfolioError(f"method: must be 'plain' or 'ewma' (got {method!r}).")
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
    """Daily log returns ``ln(P_t / P_{t-1})`` of a table of daily closes (one row fewer).

    Args:
        prices: daily closes, one column per asset (as from :func:`parse_price_history`), all > 0.

    Returns:
        DataFrame of log returns (fractions per day, not %), indexed by the later date of each pair.
    """
    clean = _check_prices(prices, minimum=2)
    values = np.log(clean.to_numpy())
    return pd.DataFrame(np.diff(values, axis=0), index=clean.index[1:], columns=clean.columns)


def _windowed_returns(prices: pd.DataFrame, window: int | None) -> pd.DataFrame:
    returns = log_returns(prices)
    available = len(returns)
    if available < MIN_ROWS - 1:
        raise PortfolioError(
            f"prices: {available + 1} closes; at least {MIN_ROWS} are needed ({MIN_ROWS - 1} returns). "
            "Add more days of history."
        )
    if window is None:
        return returns
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
    return returns.iloc[-int(window) :]


def ewma_variance_update(prev_var: float, ret: float, lam: float = DEFAULT_LAMBDA) -> float:
    """One step of the RiskMetrics EWMA: ``lam * prev_var + (1 - lam) * ret**2``.

    Units are whatever the inputs use: with a daily variance and a daily return (fraction) it gives
    the next day's daily variance. Hull's example: ``ewma_variance_update(0.01**2, 0.02, 0.90)``
    is 0.00013, a daily volatility of 1.14 %.
    """
    return lam * prev_var + (1.0 - lam) * ret * ret


def ewma_weights(count: int, lam: float = DEFAULT_LAMBDA) -> np.ndarray:
    """Weights of the ``count`` returns (oldest first) in the seeded EWMA recursion; they sum to 1.

    The oldest return seeds the variance (weight ``lam**(count-1)``); return k (1-based) after it
    carries ``(1 - lam) * lam**(count - k)``.
    """
    exponents = np.arange(count - 1, -1, -1, dtype=float)
    weights = (1.0 - lam) * lam**exponents
    weights[0] = lam ** (count - 1)
    return weights


def _covariance(returns: pd.DataFrame, method: str, lam: float) -> np.ndarray:
    """Daily covariance matrix of the returns: sample (ddof=1, demeaned) or seeded EWMA (zero mean)."""
    values = returns.to_numpy()
    if method == "plain":
        centred = values - values.mean(axis=0)
        covariance = centred.T @ centred / (len(values) - 1)
    else:
        weights = ewma_weights(len(values), lam)
        covariance = (values * weights[:, None]).T @ values
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
    prices: pd.DataFrame, window: int | None, method: str, lam: float
) -> tuple[pd.DataFrame, np.ndarray]:
    """The returns used and their daily covariance matrix."""
    _check_method(method, lam)
    returns = _windowed_returns(prices, window)
    return returns, _covariance(returns, method, float(lam))


def _correlation_from_covariance(covariance: np.ndarray, assets: list[str]) -> tuple[pd.DataFrame, bool]:
    deviations = np.sqrt(np.diag(covariance))
    return _valid_correlation(covariance / np.outer(deviations, deviations), assets)


def annualised_vols(
    prices: pd.DataFrame,
    window: int | None = None,
    method: str = "plain",
    lam: float = DEFAULT_LAMBDA,
    days_per_year: float = DAYS_PER_YEAR,
) -> pd.Series:
    """Annualised volatility of each asset from daily closes, as a fraction (0.55 = 55 %/yr).

    Args:
        prices: daily closes, one column per asset.
        window: use the last ``window`` daily log returns (None: all of them).
        method: ``"plain"``: sample standard deviation (ddof=1); ``"ewma"``: RiskMetrics EWMA
            seeded with the first squared return of the window (see the module docstring).
        lam: EWMA decay factor in (0, 1); ignored by ``"plain"``.
        days_per_year: annualisation, ``sigma_annual = sigma_daily * sqrt(days_per_year)``;
            365 (calendar days, crypto trades every day) by default.

    Returns:
        Series asset -> annualised volatility (fraction), named ``"vol"``.
    """
    days = _check_days(days_per_year)
    returns, covariance = _estimate(prices, window, method, lam)
    return pd.Series(np.sqrt(np.diag(covariance) * days), index=returns.columns, name="vol")


def correlation_matrix(
    prices: pd.DataFrame,
    window: int | None = None,
    method: str = "plain",
    lam: float = DEFAULT_LAMBDA,
) -> pd.DataFrame:
    """Correlation of daily log returns, a valid correlation matrix indexed by asset on both axes.

    ``"plain"`` is the Pearson correlation of the last ``window`` returns; ``"ewma"`` the EWMA
    covariance (seeded like :func:`annualised_vols`) divided by the EWMA deviations. The result is
    symmetric with a unit diagonal and positive semi-definite; if rounding made it otherwise it is
    repaired with :func:`~margin.market.nearest_correlation` and ``result.attrs["repaired"]`` is
    True (False when no repair was needed).
    """
    returns, covariance = _estimate(prices, window, method, lam)
    frame, _ = _correlation_from_covariance(covariance, list(returns.columns))
    return frame


@dataclass(frozen=True, eq=False)
class EstimateResult:
    """Vols and correlations estimated from a price history.

    Attributes:
        vols: asset -> annualised volatility as a fraction (365-day year by default).
        correlation: correlation matrix (DataFrame indexed by asset on both axes), valid (PSD).
        n_returns: how many daily returns the estimate used (the window, or all returns).
        repaired: True if the estimated correlation had to be repaired to be PSD.
        window: the window asked for (None: the whole history).
        method: ``"plain"`` or ``"ewma"``.
        lam: the EWMA decay factor (None for ``"plain"``).
        start, end: dates of the first and last return used.
        days_per_year: the annualisation used.
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

    @property
    def assets(self) -> list[str]:
        return list(self.vols)


def estimate_market_inputs(
    prices: pd.DataFrame,
    window: int | None = None,
    method: str = "plain",
    lam: float = DEFAULT_LAMBDA,
    days_per_year: float = DAYS_PER_YEAR,
) -> EstimateResult:
    """Annualised vols and the correlation matrix from daily closes, in one pass.

    Same arguments and units as :func:`annualised_vols` and :func:`correlation_matrix`.
    """
    days = _check_days(days_per_year)
    returns, covariance = _estimate(prices, window, method, lam)
    correlation, repaired = _correlation_from_covariance(covariance, list(returns.columns))
    vols = np.sqrt(np.diag(covariance) * days)
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
            default that raises PortfolioError; with ``repair=True`` the combined matrix is replaced by
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
            raise PortfolioError(
                f"price history: the estimated correlations among {', '.join(common)} are inconsistent with "
                f"the correlations the market keeps for {', '.join(kept)} (together the matrix is not positive "
                "semi-definite). Include those assets in the history, edit their correlations, or apply with "
                "repair=True to use the nearest valid matrix."
            ) from None
        correlation = nearest_correlation(correlation)
    return Market(market.prices, vols, correlation, market.basis)
