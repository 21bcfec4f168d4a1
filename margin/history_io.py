# Over 400 lines: one reader that names every way a price file can be wrong, by line and column.
"""Price history files: read a CSV of daily closes into a clean table, or say exactly what is wrong.

:func:`parse_price_history` is the one entry point (also importable from :mod:`margin.history`,
which holds the estimators). It accepts two layouts, column names case-insensitive:

* **wide**: a date column and one column of closes per asset, ``date,BTC,ETH``;
* **long**: exactly three columns, ``date,asset,close``, one row per (date, asset).

Parsing never drops or fills data silently: every problem raises
:class:`~margin.errors.PortfolioError` naming the line (1-based, as a text editor shows it) or the
column and saying how to fix it. Rows may come in any order (the result is sorted by date); a date
repeated, an empty or unreadable cell, a price <= 0 are refused. Missing *dates* (a day with no row
at all) are not a parsing error: the file is returned as it is, and the estimators in
:mod:`margin.history` decide what a gap in the calendar means (they bridge a short one and refuse a
long one, see :func:`margin.history.find_gaps`). Pure pandas/NumPy: no streamlit, no plotly.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from margin.errors import PortfolioError

#: Most dates (rows of closes) a history may hold: 20,000 days is about 55 years of daily closes.
MAX_ROWS = 20_000
#: Most assets (price columns) a history may hold.
MAX_ASSETS = 50
#: Fewest closes a history needs: 3 closes give 2 returns, the minimum for a sample deviation.
MIN_ROWS = 3

DATE_NAMES = ("date", "datetime", "timestamp", "time", "day")
ASSET_NAMES = ("asset", "symbol", "ticker", "coin")
CLOSE_NAMES = ("close", "price", "close_price")
#: Cell texts that mean "no close here" (an empty cell, NaN, N/A, ...).
_MISSING_WORDS = frozenset({"", "nan", "na", "n/a", "#n/a", "null", "none", "-"})

#: A UTC offset or zone name after a time of day ("...T00:00:00Z", "... 00:00:00 UTC", "...+02:00").
_ZONE_SUFFIX = r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
_EXAMPLE_WIDE = "date,BTC,ETH\n2025-01-01,87959.91,2920.50\n2025-01-02,88512.30,2951.75"


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
    """Text cells -> positive finite floats; raises on the first empty cell, text, or price <= 0.

    ``row_assets`` (long format) names the asset of each row, so the message can say which one.
    """
    text = pd.Series([v.strip() for v in values], dtype=object)
    empty = text.str.lower().isin(_MISSING_WORDS).to_numpy()
    numbers = pd.to_numeric(text.where(~empty), errors="coerce").to_numpy(dtype=float)
    not_number = np.isnan(numbers) & ~empty
    not_finite = np.isinf(numbers)
    not_positive = np.isfinite(numbers) & (numbers <= 0)
    problems = empty | not_number | not_finite | not_positive
    if not problems.any():
        return numbers
    first = int(np.flatnonzero(problems)[0])
    count = int(problems.sum())
    more = f" ({count - 1} more problem cells in this column)" if count > 1 else ""
    asset = f" for {row_assets[first]}" if row_assets is not None else ""
    where = f"price history, line {lines[first]}, {column_label}"
    day = f"{asset} on {dates[first]:%Y-%m-%d}" if dates is not None else asset
    cell = text.iloc[first]
    if empty[first]:
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

    Days with no row at all (missing dates) are kept as they are, not filled in and not refused
    here: the estimators of :mod:`margin.history` bridge a gap of up to
    ``margin.history.MAX_BRIDGED_DAYS`` missing days and refuse a longer one.

    Returns:
        DataFrame indexed by a sorted, unique ``DatetimeIndex`` named ``date``, one ``float64``
        column of daily closes per asset (wide: in header order; long: sorted by asset name).
        No NaN, every price > 0. The values are the file's, only put in date order.

    Raises:
        PortfolioError naming the line (1-based, as in the file) or column and the fix for: no date
        column, an unreadable or empty date, a date repeated (or a date/asset pair repeated in long
        format), a cell that is not a number, a price <= 0, a missing close (an empty cell, or in long
        format a date where an asset has no row; the message names the asset and date), fewer than
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
