"""The positions table of the Build page: Portfolio <-> DataFrame, row by row. Pure; no streamlit.

One row per position with columns type, asset, side, size, usd_size, entry, leverage, strike,
expiry, isolated_margin. ``type`` is spot, perp, future, call, put, inverse perp, inverse future,
coin call or coin put (an option settled in its coin, as Deribit's BTC and ETH options).
Linear contracts, options and spot are sized in coins (``size``); coin-margined (inverse) contracts
in US dollars of face value (``usd_size``), as their venues quote them: each row fills one of the
two. Sizes are positive and ``side`` (long/short) carries the sign. Rows are validated by the
engine's own constructors, so every message names the row and the field: "Row 2, strike: must be
> 0 ...".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from margin import Future, Option, Perp, Portfolio, PortfolioError, Spot
from margin.instruments import INVERSE_TYPES, InverseFuture, InversePerp
from margin.names import ParsedName, parse_name

TYPES = ("perp", "future", "call", "put", "spot", "inverse perp", "inverse future", "coin call", "coin put")
#: Options settled in their coin (``Option.settlement == "coin"``): the type column says so.
COIN_OPTIONS = ("coin call", "coin put")
#: The coin-margined types: sized in USD of face value (``usd_size``), P&L paid in the coin.
INVERSE = ("inverse perp", "inverse future")
SIDES = ("long", "short")
COLUMNS = ["type", "asset", "side", "size", "usd_size", "entry", "leverage", "strike", "expiry", "isolated_margin"]
NUMERIC = ["size", "usd_size", "entry", "leverage", "strike", "expiry", "isolated_margin"]
#: The table's own column, beside the position's: ticked, the row leaves the book (the table has a fixed
#: number of rows: :func:`table_frame`).
REMOVE = "remove"
#: The column headers of the size columns, as the Build page shows them (messages name them too).
SIZE_LABEL = "Size (coins)"
USD_SIZE_LABEL = "Size (USD, inverse)"

#: Which optional fields each type accepts, and which it requires (besides its size).
_ALLOWED = {
    "spot": set(),
    "perp": {"entry", "leverage", "isolated_margin"},
    "future": {"entry", "leverage", "isolated_margin", "expiry"},
    "call": {"entry", "strike", "expiry"},
    "put": {"entry", "strike", "expiry"},
    "coin call": {"entry", "strike", "expiry"},
    "coin put": {"entry", "strike", "expiry"},
    "inverse perp": {"entry", "leverage", "isolated_margin"},
    "inverse future": {"entry", "leverage", "isolated_margin", "expiry"},
}
#: In the table's column order, so a half-typed row's first missing field is named first.
_REQUIRED = {"spot": (), "perp": ("entry",), "future": ("entry", "expiry"),
             "call": ("strike", "expiry"), "put": ("strike", "expiry"),
             "coin call": ("strike", "expiry"), "coin put": ("strike", "expiry"),
             "inverse perp": ("entry",), "inverse future": ("entry", "expiry")}
_FIELD_HELP = {
    "entry": "entry price in USD", "strike": "strike in USD", "expiry": "days to expiry",
    "leverage": "leverage (x)", "isolated_margin": "isolated margin in USD",
}


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def position_row(position) -> dict:
    """One table row for a position."""
    row = dict.fromkeys(COLUMNS)
    row.update(asset=position.asset, side="long" if position.qty >= 0 else "short")
    if isinstance(position, INVERSE_TYPES):
        row.update(type=position.kind_label, usd_size=abs(position.usd_size), entry=position.entry_price,
                   leverage=position.leverage, isolated_margin=position.isolated_margin)
        if isinstance(position, InverseFuture):
            row["expiry"] = position.expiry_days
        return row
    row["size"] = abs(position.qty)
    if isinstance(position, Option):
        kind = f"coin {position.kind}" if position.coin_settled else position.kind
        row.update(type=kind, strike=position.strike, expiry=position.expiry_days, entry=position.entry_price)
    elif isinstance(position, (Perp, Future)):
        row.update(type="future" if isinstance(position, Future) else "perp", entry=position.entry_price,
                   leverage=position.leverage, isolated_margin=position.isolated_margin)
        if isinstance(position, Future):
            row["expiry"] = position.expiry_days
    else:
        row["type"] = "spot"
    return row


def positions_frame(portfolio: Portfolio) -> pd.DataFrame:
    """The editable table of ``portfolio``'s positions (numeric columns as floats, blanks as NaN)."""
    return _frame([position_row(p) for p in portfolio.positions])


def _frame(rows: list[dict]) -> pd.DataFrame:
    """``rows`` (dicts over :data:`COLUMNS`) as a frame, its columns built at once: the Build page builds
    its table on every move of a slider (pandas' per-column conversion took ~2 ms of each)."""
    columns = {}
    for column in COLUMNS:
        values = [row[column] for row in rows]
        if column in NUMERIC:
            columns[column] = np.array([math.nan if v is None else float(v) for v in values], dtype=float)
        else:
            columns[column] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns, columns=COLUMNS)


def table_frame(portfolio: Portfolio) -> pd.DataFrame:
    """The Build page's positions table: :func:`positions_frame`, one blank row at the end to type a new
    position into, and the :data:`REMOVE` tick boxes; rows numbered from 1 (the numbers the messages use).

    Why a fixed number of rows rather than Streamlit's dynamic rows (add and delete in the grid): Streamlit
    identifies a dynamic-rows editor by its data, so every change of a value (a slider's move) makes it a new
    widget, which the browser builds from scratch (~35 ms a move, docs/performance.md); a fixed-rows editor
    is identified by its key and its columns and row count, and takes new values in place."""
    frame = _frame([*(position_row(p) for p in portfolio.positions), dict.fromkeys(COLUMNS)])
    frame[REMOVE] = False
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="Row")
    return frame


def _removed(row: Mapping) -> bool:
    value = row.get(REMOVE)
    return bool(value) and not _blank(value)


def removed_rows(frame: pd.DataFrame) -> list[int]:
    """The row numbers (from 1) ticked to be removed in the edited table."""
    return [number for number, (_, row) in enumerate(frame.iterrows(), start=1) if _removed(row)]


def index_after_removal(index: int, removed: list[int]) -> int:
    """Where the position at ``index`` (from 0) is once the rows ``removed`` (numbers from 1) are gone; 0 when
    it is one of them."""
    if index + 1 in removed:
        return 0
    return index - sum(1 for number in removed if number <= index)


def restarts_table(frame: pd.DataFrame) -> bool:
    """Whether the edited table (:func:`table_frame`'s) must be drawn afresh from the book it makes: a row
    is ticked to be removed, or the blank last row was typed into (the table then needs a new blank row)."""
    if frame.empty:
        return False
    last = frame.iloc[-1]
    return any(_removed(row) for _, row in frame.iterrows()) or not all(_blank(last.get(c)) for c in COLUMNS)


def _row_position(row: Mapping):
    """Build one position from a row, raising PortfolioError('field: message')."""
    kind = row.get("type")
    if _blank(kind) or str(kind).lower() not in _ALLOWED:
        raise PortfolioError(f"type: choose one of {', '.join(TYPES)}.")
    kind = str(kind).lower()
    if _blank(row.get("asset")):
        raise PortfolioError("asset: choose the asset, e.g. BTC.")
    side = row.get("side")
    if _blank(side) or str(side).lower() not in SIDES:
        raise PortfolioError("side: choose long or short.")
    size = _row_size(kind, row)
    for name in _REQUIRED[kind]:
        if _blank(row.get(name)):
            raise PortfolioError(f"{name}: {_a(kind)} needs its {_FIELD_HELP[name]}.")
    for name in set(NUMERIC) - {"size", "usd_size"} - _ALLOWED[kind]:
        if not _blank(row.get(name)):
            raise PortfolioError(f"{name}: {_a(kind)} has no {_FIELD_HELP[name]}; clear the cell.")
    values = {name: float(row[name]) for name in _ALLOWED[kind] if not _blank(row.get(name))}
    qty = size if str(side).lower() == "long" else -size
    asset = str(row["asset"]).strip()
    if kind == "spot":
        return Spot(asset, qty)
    if kind == "perp":
        return Perp(asset, qty, values["entry"], values.get("leverage"), values.get("isolated_margin"))
    if kind == "future":
        return Future(asset, qty, values["entry"], values["expiry"], values.get("leverage"),
                      values.get("isolated_margin"))
    if kind == "inverse perp":
        return InversePerp(asset, qty, values["entry"], values.get("leverage"), values.get("isolated_margin"))
    if kind == "inverse future":
        return InverseFuture(asset, qty, values["entry"], values["expiry"], values.get("leverage"),
                             values.get("isolated_margin"))
    settlement = "coin" if kind in COIN_OPTIONS else "usd"
    return Option(asset, kind.split()[-1], values["strike"], values["expiry"], qty, values.get("entry"), settlement)


def _a(kind: str) -> str:
    """'a perp', 'an inverse perp'."""
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _row_size(kind: str, row: Mapping) -> float:
    """The row's size, positive: in coins (``size``), or in USD of face value (``usd_size``) for an
    inverse contract; the other size column must be blank, so a number is never read in the wrong unit."""
    inverse = kind in INVERSE
    name, other = ("usd_size", "size") if inverse else ("size", "usd_size")
    if not _blank(row.get(other)):
        if inverse:
            raise PortfolioError(f"size: {_a(kind)} is sized in US dollars of face value, not coins: enter it under "
                                 f"{USD_SIZE_LABEL} and clear {SIZE_LABEL}.")
        raise PortfolioError(f"usd_size: {_a(kind)} is sized in coins under {SIZE_LABEL}; {USD_SIZE_LABEL} is for "
                             "inverse contracts only: clear the cell.")
    value = row.get(name)
    if _blank(value):
        if inverse:
            raise PortfolioError(f"usd_size: enter the face value in US dollars under {USD_SIZE_LABEL} (positive; "
                                 "the side sets long or short).")
        raise PortfolioError("size: enter a size in coins (positive; the side sets long or short).")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise PortfolioError(f"{name}: must be a number (got {value!r}).") from None
    if not math.isfinite(value) or value < 0:
        raise PortfolioError(f"{name}: must be 0 or more; use the side column for shorts.")
    return value


def _rename(message: str) -> str:
    """Engine field names -> the table's column names (qty -> size, expiry_days -> expiry ...)."""
    for engine, column in (("expiry_days", "expiry"), ("entry_price", "entry"), ("qty", "size")):
        if message.startswith(engine + ":"):
            return column + message[len(engine):]
    return message


def frame_positions(frame: pd.DataFrame) -> tuple[list, list[str]]:
    """(positions, errors) from the edited table. Entirely blank rows, and rows ticked to be removed
    (:data:`REMOVE`), are skipped.

    Errors read "Row 2, strike: must be > 0 ..."; the caller applies the positions only when there
    are no errors, so nothing the user typed is dropped silently.
    """
    positions, errors = [], []
    for number, (_, row) in enumerate(frame.iterrows(), start=1):
        record = {column: row.get(column) for column in COLUMNS}
        if all(_blank(value) for value in record.values()) or _removed(row):
            continue
        try:
            positions.append(_row_position(record))
        except PortfolioError as error:
            errors.append(f"Row {number}, {_rename(str(error))}")
    return positions, errors


def today_mark(kind: object, asset: object, expiry: object, market) -> float | None:
    """Today's mark (USD) of a perp or future on ``asset`` (linear or inverse): the spot price for a
    perp, spot x exp(basis x days / 365) for a future (the market's rule, :class:`margin.Market`);
    None when the asset has no price, the row is no perp or future, or a future has no valid expiry yet."""
    kind = "" if _blank(kind) else str(kind).lower().removeprefix("inverse ")
    if _blank(asset) or kind not in ("perp", "future"):
        return None
    spot = market.prices.get(str(asset).strip())
    if spot is None:
        return None
    if kind == "perp":
        return float(spot)
    try:
        days = float(expiry)
    except (TypeError, ValueError):
        return None
    if _blank(expiry) or not math.isfinite(days) or days < 0:
        return None
    return float(spot) * math.exp(float(market.basis.get(str(asset).strip(), 0.0)) * days / 365.0)


def fill_entries(frame: pd.DataFrame, market) -> tuple[pd.DataFrame, list[tuple[int, str, float]]]:
    """The table with each perp or future row's (linear or inverse) blank entry set to today's mark (:func:`today_mark`),
    and [(row number, asset, entry)] of the rows filled. ``frame`` itself is left as it is."""
    filled: list[tuple[int, str, float]] = []
    out = frame.copy()
    for number, (index, row) in enumerate(frame.iterrows(), start=1):
        if not _blank(row.get("entry")) or _removed(row):
            continue
        mark = today_mark(row.get("type"), row.get("asset"), row.get("expiry"), market)
        if mark is not None:
            out.loc[index, "entry"] = mark
            filled.append((number, str(row.get("asset")).strip(), mark))
    return out, filled


def table_assets(frame: pd.DataFrame) -> list[str]:
    """The assets named in the table's rows, in order, each once."""
    seen: dict[str, None] = {}
    for value in frame.get("asset", pd.Series(dtype=object)):
        if not _blank(value):
            seen.setdefault(str(value).strip(), None)
    return list(seen)


def collateral_frame(portfolio: Portfolio) -> pd.DataFrame:
    """The collateral table: one row per asset with its amount in coins."""
    frame = pd.DataFrame({"asset": list(portfolio.collateral), "amount": list(portfolio.collateral.values())},
                         columns=["asset", "amount"])
    frame["asset"] = frame["asset"].astype(object)
    frame["amount"] = pd.to_numeric(frame["amount"]).astype(float)
    return frame


def frame_collateral(frame: pd.DataFrame) -> tuple[dict[str, float], list[str]]:
    """(asset -> amount, errors) from the edited collateral table; an asset listed twice is an error."""
    balances: dict[str, float] = {}
    errors: list[str] = []
    for number, (_, row) in enumerate(frame.iterrows(), start=1):
        asset, amount = row.get("asset"), row.get("amount")
        if _blank(asset) and _blank(amount):
            continue
        if _blank(asset):
            errors.append(f"Collateral row {number}, asset: choose the asset, e.g. USDC.")
        elif _blank(amount):
            errors.append(f"Collateral row {number}, amount: enter an amount in coins.")
        elif asset in balances:
            errors.append(f"Collateral row {number}, asset: {asset} is listed twice; keep one row per asset.")
        else:
            try:
                value = float(amount)
            except (TypeError, ValueError):
                errors.append(f"Collateral row {number}, amount: must be a number (got {amount!r}).")
                continue
            if not math.isfinite(value):
                errors.append(f"Collateral row {number}, amount: must be a finite number.")
                continue
            balances[str(asset)] = value
    return balances, errors


def build_portfolio(base: Portfolio, positions: list, collateral: Mapping[str, float]) -> Portfolio:
    """A new Portfolio with ``base``'s title and story (PortfolioError names any bad field)."""
    return Portfolio(tuple(positions), dict(collateral), base.title, base.story)


def adjust(position, field: str, value: float):
    """A copy of ``position`` with one slider field changed (size keeps the side; an inverse contract's
    size is its USD face value)."""
    if field == "size" and isinstance(position, INVERSE_TYPES):
        return dataclasses.replace(position, usd_size=math.copysign(float(value), position.usd_size or 1.0))
    if field == "size":
        return dataclasses.replace(position, qty=math.copysign(float(value), position.qty or 1.0))
    if field == "leverage":
        return dataclasses.replace(position, leverage=float(value))
    if field == "strike":
        return dataclasses.replace(position, strike=float(value))
    if field == "expiry":
        return dataclasses.replace(position, expiry_days=float(value))
    raise PortfolioError(f"{field}: not a slider field (size, leverage, strike, expiry).")


def edited_market(base, prices: Mapping[str, float], vols: Mapping[str, float]):
    """``base`` with the controls' prices (USD) and vols (fractions); PortfolioError names the asset."""
    changed_prices = {a: p for a, p in prices.items() if base.prices.get(a) != p}
    changed_vols = {a: v for a, v in vols.items() if base.vols.get(a) != v}
    market = base.with_prices(changed_prices) if changed_prices else base
    return market.with_vols(changed_vols) if changed_vols else market


@dataclasses.dataclass(frozen=True)
class NamedPosition:
    """A position added by its venue name: the book with it, what the name was read as, and how.

    ``entry_from_market`` is True when the entry was left blank and today's mark filled it in; ``note``
    says where the engine departs from the venue (a coin-settled option priced as USD-settled)."""

    portfolio: Portfolio
    parsed: ParsedName
    position: object
    entry_from_market: bool
    note: str


def add_by_name(portfolio: Portfolio, name: object, side: object, size: object, entry: object, market,
                as_of) -> NamedPosition:
    """``portfolio`` with one more position, read from a Deribit, OKX or Binance instrument ``name``
    (:func:`margin.names.parse_name`, expiries in days from ``as_of``, the market's date). ``size`` is
    positive, in USD of face value for a coin-margined perp or future and in coins otherwise; ``side``
    long or short. A blank ``entry`` on a perp or future is today's mark (:func:`today_mark`); an option's
    entry is its premium, display only. PortfolioError names the field: name, side, size, entry."""
    parsed = parse_name(name, as_of)
    if parsed.asset not in market.prices:
        raise PortfolioError(f"name: {parsed.asset} has no price in the market (priced: {', '.join(market.assets)}).")
    if _blank(side) or str(side).lower() not in SIDES:
        raise PortfolioError("side: choose long or short.")
    unit = "US dollars of face value" if parsed.inverse else "coins"
    if _blank(size):
        raise PortfolioError(f"size: enter the size in {unit} (positive; the side sets long or short).")
    try:
        amount = float(size)
    except (TypeError, ValueError):
        raise PortfolioError(f"size: must be a number of {unit}, got {size!r}.") from None
    if not math.isfinite(amount) or amount <= 0:
        raise PortfolioError(f"size: must be above 0 ({unit}); the side sets long or short.")
    price = None if _blank(entry) else entry
    from_market = False
    if price is None and parsed.kind != "option":
        kind = ("inverse " if parsed.inverse else "") + parsed.kind
        price = today_mark(kind, parsed.asset, parsed.expiry_days, market)
        from_market = True
    try:
        position, note = parsed.position(amount if str(side).lower() == "long" else -amount, price)
    except PortfolioError as error:
        raise PortfolioError(_rename(str(error))) from None
    book = Portfolio(tuple(portfolio.positions) + (position,), portfolio.collateral, portfolio.title, portfolio.story)
    return NamedPosition(book, parsed, position, from_market, note)
